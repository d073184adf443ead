//! The HTML pages of the web view, rendered on the server: every piece of archive text (policy
//! text, commit subjects, trailers, summaries) goes through [`escape`], so a policy page's
//! markup is shown as text and never interpreted. No script, no external asset.

use std::borrow::Cow;
use std::fmt::Write;

use super::data::{DiffPage, DocumentRow, VersionPage, VersionRow};

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
del{background:#fdd;color:#900}ins{background:#dfd;color:#060;text-decoration:none}code{font-size:.9em}";

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} · termtrail</title><style>{STYLE}</style></head>\
<body><header><a href=\"/\">termtrail</a></header><main>\n{body}</main></body></html>\n",
        escape(title)
    )
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

/// `/`: the documents, by platform, with their latest version.
pub fn home(docs: &[DocumentRow]) -> String {
    let mut body = String::from("<h1>Documents</h1>\n");
    if docs.is_empty() {
        body.push_str("<p>No version recorded yet: run <code>termtrail check</code>.</p>\n");
    }
    let mut platform = None;
    for d in docs {
        if platform != Some(&d.platform) {
            if platform.is_some() {
                body.push_str("</table>\n");
            }
            platform = Some(&d.platform);
            let _ = write!(
                body,
                "<h2>{}</h2>\n<table><tr><th>document</th><th>versions</th><th>last version</th><th>subject</th></tr>\n",
                escape(&d.platform)
            );
        }
        let _ = writeln!(
            body,
            "<tr><td><a href=\"/d/{p}/{k}\">{k}</a></td><td>{n}</td><td><a href=\"/d/{p}/{k}/{c}\">{date}</a></td><td>{s}</td></tr>",
            p = escape(&d.platform),
            k = escape(&d.kind),
            n = d.versions,
            c = escape(&d.last_commit),
            date = escape(&d.last_date),
            s = escape(&d.last_subject),
        );
    }
    if platform.is_some() {
        body.push_str("</table>\n");
    }
    layout("Documents", &body)
}

/// `/d/PLATFORM/KIND`: every version, newest first.
pub fn timeline(doc: &str, versions: &[VersionRow]) -> String {
    let d = escape(doc);
    let mut body = format!(
        "<h1>{d}</h1>\n<p>{} version(s). <a href=\"/d/{d}/diff\">Last change</a></p>\n\
<table><tr><th>date</th><th>commit</th><th>subject</th><th></th></tr>\n",
        versions.len()
    );
    for (i, v) in versions.iter().enumerate() {
        let c = escape(&v.commit);
        let diff = match versions.get(i + 1) {
            Some(prev) => format!(
                "<a href=\"/d/{d}/diff?from={}&amp;to={c}\">diff</a>",
                escape(&prev.commit)
            ),
            None => "first record".to_owned(),
        };
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td><a href=\"/d/{d}/{c}\"><code>{}</code></a></td><td>{}</td><td>{diff}</td></tr>",
            escape(&v.date),
            escape(short(&v.commit)),
            escape(&v.subject),
        );
    }
    body.push_str("</table>\n");
    layout(doc, &body)
}

/// `/d/PLATFORM/KIND/COMMIT`: one version's text and trailers.
pub fn version(page: &VersionPage) -> String {
    let d = escape(&page.document);
    let mut body = format!(
        "<h1><a href=\"/d/{d}\">{d}</a> at <code>{}</code></h1>\n<p>{} · {}</p>\n<table>\n",
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
    let _ = write!(body, "</table>\n<pre>{}</pre>\n", escape(&page.text));
    layout(&page.document, &body)
}

/// `/d/PLATFORM/KIND/diff`: the change summary and the inline word diff.
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
        "<h1><a href=\"/d/{d}\">{d}</a>: {} → {}</h1>\n<pre class=\"summary\">{}</pre>\n<pre class=\"diff\">{words}</pre>\n",
        link(&page.from),
        link(&page.to),
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
        let row = VersionRow {
            commit: "0123456789abcdef".into(),
            date: "2026-01-01T00:00:00Z".into(),
            subject: evil.into(),
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
            text: evil.into(),
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
            },
            old_text: "plain\n".into(),
            new_text: format!("plain {evil}\n"),
            summary: evil.into(),
        };
        let rows = [VersionRow {
            commit: "0123456789abcdef".into(),
            date: "d".into(),
            subject: evil.into(),
        }];
        for html in [
            version(&page),
            diff(&diff_page),
            timeline("a/b", &rows),
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
