//! The HTML pages of the web view, rendered on the server: every piece of archive text (policy
//! text, commit subjects, trailers, summaries) goes through [`escape`], so a policy page's
//! markup is shown as text and never interpreted. No script, no external asset.

use std::borrow::Cow;
use std::fmt::Write;

use super::data::{CheckStatus, DiffPage, HomeRow, Timeline, VersionPage, VersionRow};
use super::facts::VersionFacts;
use crate::provisions::{ChangeKind, ChangeSet};

/// Escapes the five characters that matter in HTML text and attribute values.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:70rem;margin:1rem auto;padding:0 1rem}\
pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}table{border-collapse:collapse}\
td,th{padding:.2rem .6rem;text-align:left;border-bottom:1px solid #ddd}\
del{background:#fdd;color:#900}ins{background:#dfd;color:#060;text-decoration:none}code{font-size:.9em}\
.muted{color:#666;font-size:.9em}.class{padding:0 .3rem;border-radius:.2rem;background:#eee}\
.substantive{background:#fde2c4}.cosmetic{background:#e4eefc}.first{background:#e6f4e6}\
.topic{display:inline-block;margin:.1rem;padding:0 .3rem;border-radius:.2rem;background:#f1e8fb;font-size:.9em}\
.failing{color:#a00;font-weight:bold}.ok{color:#060}.held{color:#a60}\
table.side{width:100%;table-layout:fixed}table.side td{vertical-align:top;white-space:pre-wrap;font-family:monospace;font-size:.85em}\
table.side .n{width:2.5rem;color:#999;text-align:right}tr.gap td{color:#999}\
article.policy{border-left:3px solid #ddd;padding-left:1rem}table.trailers td{word-break:break-all}";

pub(super) fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} · termtrail</title><style>{STYLE}</style></head>\
<body><header><a href=\"/\">termtrail</a></header><main>\n{body}</main></body></html>\n",
        escape(title)
    )
}

pub(super) fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

/// The class of a version, as a badge.
pub(super) fn class_badge(class: &str) -> String {
    format!("<span class=\"class {c}\">{c}</span>", c = escape(class))
}

/// Topics, each a link to the document's timeline filtered by it.
pub(super) fn topic_links(doc: &str, topics: &[String]) -> String {
    topics
        .iter()
        .map(|t| {
            let t = escape(t);
            format!(
                "<a class=\"topic\" href=\"/d/{}?topic={t}\">{t}</a>",
                escape(doc)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Effective and updated dates as a short note.
fn stated_dates(f: &VersionFacts) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &f.effective_date {
        parts.push(format!("effective {}", escape(d)));
    }
    if let Some(d) = &f.updated_date {
        parts.push(format!("updated {}", escape(d)));
    }
    parts.join(", ")
}

/// The check status of a document, in one cell.
fn status_cell(s: Option<&CheckStatus>) -> String {
    let Some(s) = s else {
        return "<span class=\"muted\">not checked here</span>".to_owned();
    };
    let mut out = String::new();
    if s.failures == 0 {
        out.push_str("<span class=\"ok\">ok</span>");
    } else {
        let _ = write!(
            out,
            "<span class=\"failing\">failing ({} in a row{})</span>",
            s.failures,
            s.failing_since
                .as_deref()
                .map(|t| format!(", since {}", escape(t)))
                .unwrap_or_default()
        );
    }
    if let Some(t) = &s.last_success {
        let _ = write!(out, "<br>last success {}", escape(t));
    }
    if let Some(h) = &s.held {
        let _ = write!(
            out,
            "<br><span class=\"held\">text held since {}: {}</span>",
            escape(&h.since),
            escape(&h.reason)
        );
    }
    out
}

/// `/`: the documents, by platform, with their last change and check status.
pub fn home(rows: &[HomeRow]) -> String {
    let mut body = String::from(
        "<h1>Documents</h1>\n<p><a href=\"/compare\">Compare a topic across platforms</a> · \
<a href=\"/feed.xml\">Atom feed</a></p>\n",
    );
    if rows.is_empty() {
        body.push_str("<p>No version recorded yet: run <code>termtrail check</code>.</p>\n");
    }
    let mut platform = None;
    for r in rows {
        let d = &r.document;
        if platform != Some(&d.platform) {
            if platform.is_some() {
                body.push_str("</table>\n");
            }
            platform = Some(&d.platform);
            let _ = write!(
                body,
                "<h2>{p}</h2>\n<p class=\"muted\"><a href=\"/feed/{p}.xml\">feed</a></p>\n<table><tr><th>document</th><th>versions</th><th>last change</th><th>class</th><th>topics</th><th>stated dates</th><th>checks</th></tr>\n",
                p = escape(&d.platform)
            );
        }
        let f = &r.last_change;
        let _ = writeln!(
            body,
            "<tr><td><a href=\"/d/{p}/{k}\">{k}</a></td><td>{n}</td><td><a href=\"/d/{p}/{k}/{c}\">{date}</a><br><span class=\"muted\">{s}</span></td><td>{class}</td><td>{topics}</td><td>{dates}</td><td>{status}</td></tr>",
            p = escape(&d.platform),
            k = escape(&d.kind),
            n = d.versions,
            c = escape(&d.last_commit),
            date = escape(&d.last_date),
            s = escape(&d.last_subject),
            class = class_badge(f.class),
            topics = topic_links(&d.id, &f.topics),
            dates = stated_dates(f),
            status = status_cell(r.status.as_ref()),
        );
    }
    if platform.is_some() {
        body.push_str("</table>\n");
    }
    layout("Documents", &body)
}

/// `/d/PLATFORM/KIND`: every version, newest first, with class, topics and dates; `topics` are
/// those offered by the filter, `topic` the one applied.
pub fn timeline(t: &Timeline) -> String {
    let (doc, versions, topics, topic) = (&t.document, &t.versions, &t.topics, t.topic.as_deref());
    let d = escape(doc);
    let mut options = String::from("<option value=\"\">all versions</option>");
    for t in topics {
        let _ = write!(
            options,
            "<option{sel}>{t}</option>",
            sel = if Some(t.as_str()) == topic {
                " selected"
            } else {
                ""
            },
            t = escape(t)
        );
    }
    let mut body = format!(
        "<h1>{d}</h1>\n<p>{} version(s){}. <a href=\"/d/{d}/diff\">Last change</a> · \
<a href=\"/d/{d}/provisions\">Provisions</a> · <a href=\"/feed/{d}.xml\">feed</a></p>\n\
<form method=\"get\" action=\"/d/{d}\"><label>Topic <select name=\"topic\">{options}</select></label> \
<button>Filter</button></form>\n\
<table><tr><th>date</th><th>commit</th><th>class</th><th>topics</th><th>provisions</th><th>stated dates</th><th>fetch</th><th></th></tr>\n",
        versions.len(),
        topic
            .map(|t| format!(" touching <strong>{}</strong>", escape(t)))
            .unwrap_or_default(),
    );
    for v in versions {
        let c = escape(&v.commit);
        let (class, topics, counts, dates) = match &v.facts {
            Some(f) => (
                class_badge(f.class),
                topic_links(doc, &f.topics),
                format!(
                    "+{} −{} ~{} ↕{}",
                    f.provisions_added,
                    f.provisions_removed,
                    f.provisions_modified,
                    f.provisions_moved
                ),
                stated_dates(f),
            ),
            None => Default::default(),
        };
        let diff = match v.facts.as_ref().map(|f| f.class) {
            Some("first") => "first record".to_owned(),
            _ => format!("<a href=\"/d/{d}/diff?to={c}\">diff</a>"),
        };
        let fetch = match (&v.fetched_at, &v.snapshot) {
            (Some(t), Some(s)) => format!(
                "{} <a href=\"/d/{d}/{c}/raw\" title=\"snapshot {}\">snapshot</a>",
                escape(t),
                escape(s)
            ),
            (Some(t), None) => escape(t).into_owned(),
            _ => String::new(),
        };
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td><a href=\"/d/{d}/{c}\"><code>{}</code></a><br><span class=\"muted\">{}</span></td><td>{class}</td><td>{topics}</td><td>{counts}</td><td>{dates}</td><td>{fetch}</td><td>{diff}</td></tr>",
            escape(&v.date),
            escape(short(&v.commit)),
            escape(&v.subject),
        );
    }
    body.push_str("</table>\n");
    layout(doc, &body)
}

/// `/d/PLATFORM/KIND/COMMIT`: one version rendered from its Markdown (raw HTML as text, unsafe
/// links dropped), its trailers, links to the raw snapshot and to the Markdown source.
pub fn version(page: &VersionPage) -> String {
    let d = escape(&page.document);
    let c = escape(&page.commit);
    let mut body = format!(
        "<h1><a href=\"/d/{d}\">{d}</a> at <code>{}</code></h1>\n<p>{} · {} · \
<a href=\"/d/{d}/diff?to={c}\">what changed</a> · <a href=\"/d/{d}/provisions?at={c}\">provisions</a></p>\n<table class=\"trailers\">\n",
        escape(short(&page.commit)),
        escape(&page.date),
        escape(&page.subject),
    );
    for t in &page.trailers {
        let _ = writeln!(
            body,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(&t.key),
            escape(&t.value)
        );
    }
    body.push_str("</table>\n");
    if !page.snapshot_pages.is_empty() {
        body.push_str("<p>Raw snapshot (as fetched, shown as text):");
        for (i, name) in page.snapshot_pages.iter().enumerate() {
            let _ = write!(
                body,
                " <a href=\"/d/{d}/{c}/raw?page={}\">{}</a>",
                i + 1,
                escape(name)
            );
        }
        body.push_str("</p>\n");
    }
    let _ = write!(
        body,
        "<article class=\"policy\">\n{}</article>\n<details><summary>Markdown as recorded</summary><pre>{}</pre></details>\n",
        super::markdown::render(&page.text),
        escape(&page.text)
    );
    layout(&page.document, &body)
}

/// Most provisions listed on top of a diff page.
const DIFF_PROVISIONS: usize = 60;

/// The change on provisions: class, topics, counts, then each changed provision (substantive
/// first) with its heading path, class, topics and its words before → after.
fn change_summary(doc: &str, set: &ChangeSet) -> String {
    let (added, removed, modified, moved) = set.tally();
    let mut out = format!(
        "<section class=\"summary\"><h2>Change summary</h2>\n<p>{} · {} · provisions: {added} added, {removed} removed, {modified} modified, {moved} moved</p>\n",
        class_badge(set.class.as_str()),
        if set.topics.is_empty() {
            "no topic".to_owned()
        } else {
            topic_links(doc, &set.topics)
        },
    );
    if !set.cosmetic_reasons.is_empty() {
        let reasons: Vec<&str> = set.cosmetic_reasons.iter().map(|r| r.describe()).collect();
        let _ = writeln!(
            out,
            "<p class=\"muted\">cosmetic: {}</p>",
            reasons.join(", ")
        );
    }
    let ranked = set.ranked();
    // Ids come with a replay of the history (the provisions pages); a diff of any two versions
    // is computed without one.
    let with_ids = ranked.iter().any(|p| !p.id.is_empty());
    let _ = writeln!(
        out,
        "<table class=\"provisions\"><tr>{}<th>change</th><th>class</th><th>topics</th><th>heading</th><th>text</th></tr>",
        if with_ids { "<th>provision</th>" } else { "" }
    );
    for p in ranked.iter().take(DIFF_PROVISIONS) {
        let text = match (&p.before, &p.after) {
            (Some(b), Some(a)) if b != a => super::side_by_side::inline(b, a),
            (_, Some(t)) if p.change == ChangeKind::Added => format!("<ins>{}</ins>", escape(t)),
            (Some(t), None) => format!("<del>{}</del>", escape(t)),
            (_, Some(t)) => escape(t).into_owned(),
            (None, None) => String::new(),
        };
        let id = if with_ids {
            format!(
                "<td><a href=\"/d/{d}/provision/{i}\"><code>{i}</code></a></td>",
                d = escape(doc),
                i = escape(&p.id)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr>{id}<td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{text}</td></tr>",
            p.change.as_str(),
            if p.moved { " (moved)" } else { "" },
            class_badge(p.class.as_str()),
            topic_links(doc, &p.topics),
            escape(&p.heading()),
        );
    }
    out.push_str("</table>\n");
    if ranked.len() > DIFF_PROVISIONS {
        let _ = writeln!(
            out,
            "<p class=\"muted\">and {} more provision(s) changed.</p>",
            ranked.len() - DIFF_PROVISIONS
        );
    }
    out.push_str("</section>\n");
    out
}

/// `/d/PLATFORM/KIND/diff`: the change summary on provisions, then the side-by-side and the
/// inline word diff.
pub fn diff(page: &DiffPage) -> String {
    let d = escape(&page.document);
    let link = |v: &VersionRow| {
        format!(
            "<a href=\"/d/{d}/{}\"><code>{}</code></a> ({})",
            escape(&v.commit),
            escape(short(&v.commit)),
            escape(&v.date)
        )
    };
    let words = crate::diff_view::render_marked(
        &page.old_text,
        &page.new_text,
        ["<del>", "</del>", "<ins>", "</ins>"],
        escape,
    );
    let body = format!(
        "<h1><a href=\"/d/{d}\">{d}</a>: {} → {}</h1>\n<p><a href=\"#side\">side by side</a> · <a href=\"#inline\">inline</a> · <a href=\"#sections\">sections</a></p>\n{}\
<h2 id=\"side\">Side by side</h2>\n{}<h2 id=\"inline\">Inline</h2>\n<pre class=\"diff\">{words}</pre>\n\
<h2 id=\"sections\">Sections</h2>\n<pre class=\"sections\">{}</pre>\n",
        link(&page.from),
        link(&page.to),
        change_summary(&page.document, &page.changes),
        super::side_by_side::render(&page.old_text, &page.new_text),
        escape(&page.summary),
    );
    layout(&page.document, &body)
}

/// An error page.
pub fn error(status: u16, message: &str) -> String {
    layout(
        "Error",
        &format!("<h1>{status}</h1>\n<p>{}</p>\n", escape(message)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_archive_text_is_escaped_everywhere() {
        let evil = "<script>alert(1)</script><img src=x onerror=alert(1)>\"'&";
        let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;";
        assert_eq!(escape(evil), escaped);
        let facts = VersionFacts {
            class: "substantive",
            topics: vec![evil.into()],
            provisions_added: 1,
            provisions_removed: 0,
            provisions_modified: 0,
            provisions_moved: 0,
            effective_date: Some(evil.into()),
            updated_date: None,
        };
        let row = VersionRow {
            commit: "0123456789abcdef".into(),
            date: "2026-01-01T00:00:00Z".into(),
            subject: evil.into(),
            fetched_at: Some(evil.into()),
            snapshot: Some(evil.into()),
            facts: Some(facts.clone()),
        };
        let page = VersionPage {
            document: "a/b".into(),
            commit: row.commit.clone(),
            date: row.date.clone(),
            subject: evil.into(),
            trailers: vec![super::super::data::Trailer {
                key: "Source-URL".into(),
                value: evil.into(),
            }],
            text: format!("{evil} [x](javascript:alert(1))"),
            snapshot_pages: vec![evil.into()],
        };
        let diff_page = DiffPage {
            document: "a/b".into(),
            from: VersionRow {
                subject: String::new(),
                ..row
            },
            to: VersionRow {
                commit: "fedcba9876543210".into(),
                date: "2026-01-02T00:00:00Z".into(),
                subject: String::new(),
                fetched_at: None,
                snapshot: None,
                facts: None,
            },
            old_text: "plain\n".into(),
            new_text: format!("plain {evil}\n"),
            summary: evil.into(),
            changes: crate::provisions::changes::summarise(
                Some("plain\n"),
                &format!("# {evil}\n\nplain {evil}\n"),
                &crate::summary::Taxonomy::default(),
            ),
        };
        let timeline_page = Timeline {
            document: "a/b".into(),
            topic: Some(evil.into()),
            topics: vec![evil.into()],
            versions: vec![VersionRow {
                commit: "0123456789abcdef".into(),
                date: "d".into(),
                subject: evil.into(),
                fetched_at: Some(evil.into()),
                snapshot: Some(evil.into()),
                facts: Some(facts.clone()),
            }],
        };
        let home_rows = [HomeRow {
            document: super::super::data::DocumentRow {
                id: "a/b".into(),
                platform: "a".into(),
                kind: "b".into(),
                versions: 1,
                last_commit: "0123456789abcdef".into(),
                last_date: "d".into(),
                last_time: 0,
                last_subject: evil.into(),
            },
            last_change: facts,
            status: Some(CheckStatus {
                last_checked: None,
                last_success: Some(evil.into()),
                failures: 2,
                failing_since: Some(evil.into()),
                held: Some(super::super::data::HeldText {
                    since: evil.into(),
                    reason: evil.into(),
                    snapshot: evil.into(),
                }),
            }),
        }];
        for html in [
            version(&page),
            diff(&diff_page),
            timeline(&timeline_page),
            home(&home_rows),
            error(404, evil),
        ] {
            assert!(
                !html.contains("<script") && !html.contains("<img"),
                "{html}"
            );
            assert!(html.contains("&lt;script&gt;"), "{html}");
        }
        assert!(diff(&diff_page).contains("<ins>&lt;script&gt;"));
    }
}
