//! How an event reads in each place: plain text, Slack and Discord webhook payloads, email bodies,
//! Atom entries. Pure functions of the event.

use serde_json::{json, Value};

use super::excerpts;
use crate::events::{Event, EventType};
use crate::summary::SectionChangeKind;

/// Cuts `s` to at most `max` characters, with `…` when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if s.chars().count() > max => format!("{}…", &s[..i]),
        _ => s.to_owned(),
    }
}

/// Changed provisions shown in a chat message; the rest are counted.
const CHAT_PROVISIONS: usize = 5;
/// Changed provisions shown in an HTML body.
const HTML_PROVISIONS: usize = 20;

/// How many provisions changed in all.
fn total(event: &Event) -> usize {
    event.provisions_total.unwrap_or(event.provisions.len())
}

fn change_word(k: SectionChangeKind) -> &'static str {
    match k {
        SectionChangeKind::Added => "added",
        SectionChangeKind::Removed => "removed",
        SectionChangeKind::Modified => "modified",
    }
}

/// The lines of the section list: `modified  Heading > Path  [topics]` then the excerpt.
pub fn section_lines(event: &Event, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for s in event.sections.iter().take(max) {
        let mut line = format!("{} {}", change_word(s.change), s.heading());
        if !s.topics.is_empty() {
            line.push_str(&format!(" [{}]", s.topics.join(", ")));
        }
        out.push(line);
    }
    if event.sections.len() > max {
        out.push(format!(
            "… and {} more section(s)",
            event.sections.len() - max
        ));
    }
    out
}

/// Plain text for people (stdout, email, exec-friendly).
pub fn text(event: &Event) -> String {
    let mut out = format!("{}\n", event.headline);
    if let Some(p) = &event.plugin_summary {
        out.push_str(&format!("{p}\n"));
    }
    out.push_str(&format!("{}  {}\n", event.document, event.url));
    match event.event_type {
        EventType::Added | EventType::Changed => {
            if let Some(c) = &event.counts {
                out.push_str(&format!(
                    "{} word(s) added, {} removed; {} line(s) added, {} removed\n",
                    c.words_added, c.words_removed, c.lines_added, c.lines_removed
                ));
            }
            if let Some(commit) = &event.commit {
                out.push_str(&format!("version {commit}, fetched {}\n", event.fetched_at));
            }
            // The archived evidence, when the web view is published.
            if let Some(u) = &event.version_url {
                out.push_str(&format!("archived: {u}\n"));
            }
            if let Some(u) = &event.diff_url {
                out.push_str(&format!("what changed: {u}\n"));
            }
            for p in event.provisions.iter().take(20) {
                out.push_str(&format!("  {:<8} {}", p.change.as_str(), p.heading()));
                if !p.topics.is_empty() {
                    out.push_str(&format!("  [{}]", p.topics.join(", ")));
                }
                out.push('\n');
                let words = p
                    .diff
                    .as_deref()
                    .or(p.after.as_deref())
                    .or(p.before.as_deref());
                if let Some(w) = words {
                    out.push_str(&format!("           {w}\n"));
                }
            }
            if total(event) > event.provisions.len().min(20) {
                out.push_str(&format!(
                    "  … and {} more changed provision(s)\n",
                    total(event) - event.provisions.len().min(20)
                ));
            }
            // Sections only when the event has no provisions (schema 1 events, first records).
            let sections = if event.provisions.is_empty() {
                &event.sections[..]
            } else {
                &[]
            };
            for s in sections.iter().take(20) {
                out.push_str(&format!("  {:<8} {}", change_word(s.change), s.heading()));
                if !s.topics.is_empty() {
                    out.push_str(&format!("  [{}]", s.topics.join(", ")));
                }
                out.push('\n');
                if !s.excerpt.is_empty() && event.event_type == EventType::Changed {
                    out.push_str(&format!("           {}\n", s.excerpt));
                }
            }
            if sections.len() > 20 {
                out.push_str(&format!(
                    "  … and {} more section(s)\n",
                    event.sections.len() - 20
                ));
            }
        }
        EventType::Unavailable | EventType::Recovered => {
            if let Some(e) = &event.error {
                out.push_str(&format!("last error: {e}\n"));
            }
            out.push_str(&format!("at {}\n", event.fetched_at));
        }
    }
    out
}

/// Escapes Slack mrkdwn control characters.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack incoming-webhook payload: `text` (the notification fallback) and Block Kit `blocks`
/// (a header, the summary as mrkdwn, the sections, and a context line with the link).
pub fn slack(event: &Event) -> Value {
    let mut summary = format!("*{}*", slack_escape(&event.headline));
    if let Some(p) = &event.plugin_summary {
        summary.push_str(&format!("\n{}", slack_escape(p)));
    }
    if !event.topics.is_empty() {
        summary.push_str(&format!("\n*Topics:* {}", event.topics.join(", ")));
    }
    if let Some(c) = &event.class {
        summary.push_str(&format!("\n*Class:* {}", c.as_str()));
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": cut(&event.title, 150), "emoji": false}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&summary, 3000)}}),
    ];
    // The changed provisions, before → after, when the event carries them; else the sections.
    let provisions = excerpts::slack_lines(&event.provisions, total(event), CHAT_PROVISIONS);
    let sections = section_lines(event, 15);
    if !event.provisions.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&provisions.join("\n"), 3000)}}));
    } else if !sections.is_empty() {
        let list: Vec<String> = sections
            .iter()
            .map(|l| format!("• {}", slack_escape(l)))
            .collect();
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&list.join("\n"), 3000)}}));
    }
    let mut context = format!("<{}|Source> · {}", event.url, event.fetched_at);
    match (event.short_commit(), &event.version_url) {
        (Some(c), Some(u)) => context.push_str(&format!(" · <{u}|archived version `{c}`>")),
        (Some(c), None) => context.push_str(&format!(" · version `{c}`")),
        _ => {}
    }
    if let Some(u) = &event.diff_url {
        context.push_str(&format!(" · <{u}|what changed>"));
    }
    blocks.push(
        json!({"type": "context", "elements": [{"type": "mrkdwn", "text": cut(&context, 3000)}]}),
    );
    json!({"text": cut(&event.headline, 3000), "blocks": blocks})
}

/// A Discord webhook payload: `content` and one embed (title linking to the source, the summary
/// as description, fields for class, topics and sections, a timestamp).
pub fn discord(event: &Event) -> Value {
    let color = match (event.event_type, event.class) {
        (EventType::Unavailable, _) => 0xd0_3030,
        (EventType::Recovered, _) => 0x30_a050,
        (_, Some(crate::summary::Class::Cosmetic)) => 0x90_9090,
        _ => 0xe0_a020,
    };
    let mut fields = Vec::new();
    if let Some(c) = &event.class {
        fields.push(json!({"name": "Class", "value": c.as_str(), "inline": true}));
    }
    if !event.topics.is_empty() {
        fields.push(
            json!({"name": "Topics", "value": cut(&event.topics.join(", "), 1024), "inline": true}),
        );
    }
    if !event.provisions.is_empty() {
        let lines = excerpts::discord_lines(&event.provisions, total(event), CHAT_PROVISIONS);
        fields.push(
            json!({"name": "Changed provisions", "value": cut(&lines.join("\n"), 1024), "inline": false}),
        );
    }
    let sections = section_lines(event, 15);
    if !sections.is_empty() {
        fields.push(
            json!({"name": "Sections", "value": cut(&sections.join("\n"), 1024), "inline": false}),
        );
    }
    if let Some(c) = event.short_commit() {
        fields.push(json!({"name": "Version", "value": c, "inline": true}));
    }
    let mut embed = json!({
        "title": cut(&event.title, 256),
        "description": cut(
            &match &event.plugin_summary {
                Some(p) => format!("{}\n{p}", event.headline),
                None => event.headline.clone(),
            },
            4096
        ),
        "color": color,
        "fields": fields,
        "timestamp": event.fetched_at,
    });
    // The title links to the archived evidence when published, else to the live page (which
    // stays a field).
    match (&event.diff_url, &event.version_url) {
        (Some(u), _) | (None, Some(u)) => {
            embed["url"] = json!(u);
            if event.url.starts_with("http") {
                fields.push(
                    json!({"name": "Source", "value": cut(&event.url, 1024), "inline": false}),
                );
                embed["fields"] = json!(fields);
            }
        }
        _ if event.url.starts_with("http") => embed["url"] = json!(event.url),
        _ => {}
    }
    json!({"content": cut(&event.headline, 2000), "embeds": [embed], "allowed_mentions": {"parse": []}})
}

/// Escapes text for HTML and XML.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 forbids most control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// An HTML body (email, Atom content): summary, sections with excerpts, and the diff.
pub fn html(event: &Event) -> String {
    let mut out = format!("<h2>{}</h2>\n", xml_escape(&event.headline));
    if let Some(p) = &event.plugin_summary {
        out.push_str(&format!("<p>{}</p>\n", xml_escape(p)));
    }
    out.push_str(&format!(
        "<p><a href=\"{}\">{}</a> ({})</p>\n",
        xml_escape(&event.url),
        xml_escape(&event.document),
        xml_escape(&event.fetched_at)
    ));
    if let Some(u) = &event.version_url {
        out.push_str(&format!(
            "<p><a href=\"{}\">Archived version</a>",
            xml_escape(u)
        ));
        if let Some(d) = &event.diff_url {
            out.push_str(&format!(
                " · <a href=\"{}\">what changed</a>",
                xml_escape(d)
            ));
        }
        out.push_str("</p>\n");
    }
    if !event.topics.is_empty() {
        out.push_str(&format!(
            "<p><b>Topics:</b> {}</p>\n",
            xml_escape(&event.topics.join(", "))
        ));
    }
    if !event.provisions.is_empty() {
        out.push_str(&excerpts::html_list(
            &event.provisions,
            total(event),
            HTML_PROVISIONS,
        ));
    } else if !event.sections.is_empty() {
        out.push_str("<ul>\n");
        for s in event.sections.iter().take(50) {
            out.push_str(&format!(
                "<li><b>{}</b> {}",
                change_word(s.change),
                xml_escape(&s.heading())
            ));
            if event.event_type == EventType::Changed && !s.excerpt.is_empty() {
                out.push_str(&format!("<br><small>{}</small>", xml_escape(&s.excerpt)));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n");
    }
    if let Some(d) = &event.diff {
        if event.event_type == EventType::Changed {
            out.push_str(&format!("<pre>{}</pre>\n", xml_escape(d)));
        }
    }
    if let Some(e) = &event.error {
        out.push_str(&format!("<p>Last error: {}</p>\n", xml_escape(e)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::availability_event;

    fn sample() -> Event {
        let doc = crate::document::DocumentId::parse("openai/privacy-policy").expect("valid");
        let mut e = availability_event(
            EventType::Unavailable,
            &doc,
            "OpenAI <privacy>",
            "https://example.org/p",
            3,
            Some("HTTP 500".into()),
            std::time::UNIX_EPOCH,
        );
        e.headline = "x".repeat(5000);
        e
    }

    #[test]
    fn slack_payload_respects_block_limits() {
        let p = slack(&sample());
        assert!(p["text"].as_str().expect("text").chars().count() <= 3000);
        assert_eq!(p["blocks"][0]["type"], "header");
        assert!(
            p["blocks"][0]["text"]["text"]
                .as_str()
                .expect("header")
                .chars()
                .count()
                <= 150
        );
    }

    #[test]
    fn discord_payload_respects_embed_limits() {
        let p = discord(&sample());
        assert!(p["content"].as_str().expect("content").chars().count() <= 2000);
        assert!(
            p["embeds"][0]["description"]
                .as_str()
                .expect("d")
                .chars()
                .count()
                <= 4096
        );
        assert_eq!(p["embeds"][0]["url"], "https://example.org/p");
    }

    #[test]
    fn html_is_escaped() {
        assert!(
            html(&sample()).contains("OpenAI &lt;privacy&gt;") || html(&sample()).contains("xxxx")
        );
        assert_eq!(xml_escape("a<b&\"c\u{1}"), "a&lt;b&amp;&quot;c");
    }

    #[test]
    fn alerts_link_to_the_archived_version_and_keep_the_live_page_as_source() {
        let mut e = sample();
        e.event_type = EventType::Changed;
        e.commit = Some("0123456789abcdef".into());
        let version = "https://terms.example.org/d/openai/privacy-policy/0123456789abcdef";
        let diff = "https://terms.example.org/d/openai/privacy-policy/diff?to=0123456789abcdef";
        // Without a public URL, the live page only.
        assert!(!text(&e).contains("terms.example.org"));
        assert_eq!(discord(&e)["embeds"][0]["url"], "https://example.org/p");
        e.version_url = Some(version.into());
        e.diff_url = Some(diff.into());
        let t = text(&e);
        assert!(
            t.contains(&format!("archived: {version}"))
                && t.contains(&format!("what changed: {diff}")),
            "{t}"
        );
        assert!(t.contains("https://example.org/p"), "{t}");
        let s = slack(&e).to_string();
        assert!(
            s.contains(&format!("<{version}|archived version `0123456789`>")),
            "{s}"
        );
        assert!(
            s.contains(&format!("<{diff}|what changed>"))
                && s.contains("<https://example.org/p|Source>"),
            "{s}"
        );
        let d = discord(&e);
        assert_eq!(d["embeds"][0]["url"], diff);
        assert!(
            d["embeds"][0]["fields"]
                .to_string()
                .contains("https://example.org/p"),
            "{d}"
        );
        let h = html(&e);
        assert!(
            h.contains(&format!(
                "<a href=\"{}\">Archived version</a>",
                xml_escape(version)
            )),
            "{h}"
        );
        assert!(h.contains("href=\"https://example.org/p\""), "{h}");
    }
}
