//! The HTML of the provision views: the provisions of a version, the timeline of one clause,
//! and the comparison of one topic across platforms. Every archive text is escaped.

use std::fmt::Write;

use super::html::{class_badge, escape, layout, short, topic_links};
use super::provisions::{ProvisionTimeline, ProvisionsPage};
use crate::provisions::report::Comparison;
use crate::summary::Taxonomy;

fn heading(path: &[String]) -> String {
    if path.is_empty() {
        "(top)".to_owned()
    } else {
        escape(&path.join(" › ")).into_owned()
    }
}

/// `/d/P/K/provisions`: every provision of a version with its id, heading path, topics and
/// dates.
pub fn provisions(page: &ProvisionsPage) -> String {
    let d = escape(&page.document);
    let c = escape(&page.commit);
    let mut body = format!(
        "<h1><a href=\"/d/{d}\">{d}</a>: provisions</h1>\n<p>Version <a href=\"/d/{d}/{c}\"><code>{}</code></a> of {}: {} provision(s){}.</p>\n\
<table class=\"provisions\"><tr><th>id</th><th>heading</th><th>topics</th><th>first seen</th><th>last changed</th><th>text</th></tr>\n",
        escape(short(&page.commit)),
        escape(&page.version_date),
        page.provisions.len(),
        page.topic
            .as_deref()
            .map(|t| format!(" tagged <strong>{}</strong>", escape(t)))
            .unwrap_or_default(),
    );
    for p in &page.provisions {
        let id = escape(&p.id);
        let _ = writeln!(
            body,
            "<tr id=\"{id}\"><td><a href=\"/d/{d}/provision/{id}\"><code>{id}</code></a></td><td>{}</td><td>{}</td>\
<td><a href=\"/d/{d}/{fc}\">{}</a></td><td><a href=\"/d/{d}/diff?to={lc}\">{}</a></td><td>{}</td></tr>",
            heading(&p.heading_path),
            topic_links(&page.document, &p.topics),
            escape(p.first_seen.date.get(..10).unwrap_or(&p.first_seen.date)),
            escape(p.last_changed.date.get(..10).unwrap_or(&p.last_changed.date)),
            escape(&p.text),
            fc = escape(&p.first_seen.commit),
            lc = escape(&p.last_changed.commit),
        );
    }
    body.push_str("</table>\n");
    layout(&page.document, &body)
}

/// `/d/P/K/provision/ID`: every version that changed one clause, with before → after.
pub fn provision_timeline(t: &ProvisionTimeline) -> String {
    let d = escape(&t.document);
    let mut body = format!(
        "<h1><a href=\"/d/{d}\">{d}</a>: provision <code>{}</code></h1>\n<p>{} change(s), oldest first.</p>\n\
<table class=\"provisions\"><tr><th>version</th><th>change</th><th>class</th><th>topics</th><th>heading</th><th>text</th></tr>\n",
        escape(&t.id),
        t.changes.len()
    );
    for e in &t.changes {
        let c = escape(&e.commit);
        let text = match (&e.before, &e.after) {
            (Some(b), Some(a)) if b != a => super::side_by_side::inline(b, a),
            (None, Some(a)) => format!("<ins>{}</ins>", escape(a)),
            (Some(b), None) => format!("<del>{}</del>", escape(b)),
            (_, Some(a)) => escape(a).into_owned(),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            body,
            "<tr><td><a href=\"/d/{d}/{c}\">{}</a><br><a class=\"muted\" href=\"/d/{d}/diff?to={c}\">diff</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{text}</td></tr>",
            escape(e.date.get(..10).unwrap_or(&e.date)),
            e.change.as_str(),
            class_badge(e.class.as_str()),
            topic_links(&t.document, &e.topics),
            heading(&e.heading_path),
        );
    }
    body.push_str("</table>\n");
    layout(&t.document, &body)
}

/// `/compare`: the topics to pick from, and with `?topic=`, the provisions of each platform's
/// documents tagged with it, side by side in reading order.
pub fn compare(taxonomy: &Taxonomy, comparison: Option<&Comparison>) -> String {
    let chosen = comparison.map(|c| c.topic.as_str());
    let mut body = String::from("<h1>Compare a topic across platforms</h1>\n<form method=\"get\" action=\"/compare\"><label>Topic <select name=\"topic\">");
    for t in &taxonomy.topics {
        let _ = write!(
            body,
            "<option value=\"{n}\"{sel}>{l}</option>",
            n = escape(&t.name),
            l = escape(if t.label.is_empty() {
                &t.name
            } else {
                &t.label
            }),
            sel = if Some(t.name.as_str()) == chosen {
                " selected"
            } else {
                ""
            },
        );
    }
    body.push_str("</select></label> <button>Compare</button></form>\n");
    let Some(c) = comparison else {
        return layout("Compare", &body);
    };
    let _ = writeln!(
        body,
        "<p>{} platform(s) have provisions tagged <strong>{}</strong> in their latest versions. <a href=\"/feed/topic/{t}.xml\">feed of changes</a></p>",
        c.platforms.len(),
        escape(&c.topic),
        t = escape(&c.topic),
    );
    for p in &c.platforms {
        let _ = writeln!(body, "<h2>{}</h2>", escape(&p.platform));
        for doc in &p.documents {
            let id = format!("{}/{}", p.platform, doc.kind);
            let d = escape(&id);
            let _ = writeln!(
                body,
                "<h3><a href=\"/d/{d}\">{k}</a></h3>\n<p class=\"muted\">version <a href=\"/d/{d}/{c}\"><code>{}</code></a> of {} · source {}</p>\n<table class=\"provisions\"><tr><th>id</th><th>heading</th><th>last changed</th><th>text</th></tr>",
                escape(short(&doc.commit)),
                escape(&doc.version_date),
                escape(&doc.url),
                k = escape(&doc.kind),
                c = escape(&doc.commit),
            );
            for pr in &doc.provisions {
                let _ = writeln!(
                    body,
                    "<tr><td><a href=\"/d/{d}/provision/{i}\"><code>{i}</code></a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    heading(&pr.heading_path),
                    escape(pr.last_changed.get(..10).unwrap_or(&pr.last_changed)),
                    escape(&pr.text),
                    i = escape(&pr.id),
                );
            }
            body.push_str("</table>\n");
        }
    }
    layout(&format!("Compare {}", c.topic), &body)
}
