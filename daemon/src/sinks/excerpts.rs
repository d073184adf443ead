//! The changed provisions of an event as each place shows them: Slack mrkdwn and Discord
//! Markdown with the deleted words struck and the inserted ones bold, and HTML with styled
//! `<del>`/`<ins>` (everything escaped). Pure functions of the event's provisions.

use crate::events::provisions::EventProvision;
use crate::provisions::ChangeKind;

/// A run of a marked word diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Unchanged words.
    Same(String),
    /// Deleted words.
    Deleted(String),
    /// Inserted words.
    Inserted(String),
}

/// Reads a word diff marked `[-deleted-]{+inserted+}` (as events and `git diff --word-diff=plain`
/// write it) back into runs. A marker that is never closed is read as text.
pub fn parse_marked(diff: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = diff;
    let mut same = String::new();
    while !rest.is_empty() {
        let next = [("[-", "-]"), ("{+", "+}")]
            .iter()
            .filter_map(|(open, close)| {
                let start = rest.find(open)?;
                let end = rest[start + 2..].find(close)? + start + 2;
                Some((start, end, *open))
            })
            .min_by_key(|(start, _, _)| *start);
        match next {
            Some((start, end, open)) => {
                same.push_str(&rest[..start]);
                if !same.is_empty() {
                    out.push(Piece::Same(std::mem::take(&mut same)));
                }
                let inner = rest[start + 2..end].to_owned();
                out.push(if open == "[-" {
                    Piece::Deleted(inner)
                } else {
                    Piece::Inserted(inner)
                });
                rest = &rest[end + 2..];
            }
            None => {
                same.push_str(rest);
                rest = "";
            }
        }
    }
    if !same.is_empty() {
        out.push(Piece::Same(same));
    }
    out
}

/// How a place marks text.
struct Style {
    escape: fn(&str) -> String,
    strike: (&'static str, &'static str),
    strong: (&'static str, &'static str),
    quote: &'static str,
    bullet: &'static str,
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown characters Discord would read as formatting inside a line, escaped (our lines start
/// with our own `> ` or `• `, so line-start markup cannot come from the text).
fn discord_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '_' | '~' | '`' | '|' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const SLACK: Style = Style {
    escape: slack_escape,
    strike: ("~", "~"),
    strong: ("*", "*"),
    quote: "> ",
    bullet: "• ",
};

const DISCORD: Style = Style {
    escape: discord_escape,
    strike: ("~~", "~~"),
    strong: ("**", "**"),
    quote: "> ",
    bullet: "• ",
};

/// Wraps trimmed text in markers, keeping the spaces around it outside them (chat markup does
/// not accept a space just inside a marker).
fn wrap(text: &str, (open, close): (&str, &str), escape: fn(&str) -> String) -> String {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return text.to_owned();
    }
    let lead = &text[..text.len() - text.trim_start().len()];
    let tail = &text[text.trim_end().len()..];
    format!("{lead}{open}{}{close}{tail}", escape(trimmed))
}

fn lines(provisions: &[EventProvision], total: usize, max: usize, style: &Style) -> Vec<String> {
    let mut out = Vec::new();
    for p in provisions.iter().take(max) {
        let mut head = format!(
            "{}{} {}",
            style.bullet,
            wrap(p.change.as_str(), style.strong, style.escape),
            (style.escape)(&p.heading())
        );
        if !p.topics.is_empty() {
            head.push_str(&format!(" [{}]", (style.escape)(&p.topics.join(", "))));
        }
        if !p.cosmetic_reasons.is_empty() {
            let r: Vec<&str> = p.cosmetic_reasons.iter().map(|r| r.describe()).collect();
            head.push_str(&format!(" (cosmetic: {})", r.join(", ")));
        }
        out.push(head);
        let body = match (p.change, &p.diff, &p.before, &p.after) {
            (ChangeKind::Modified, Some(d), _, _) => {
                let pieces = parse_marked(d);
                let mut body = String::new();
                for (i, piece) in pieces.iter().enumerate() {
                    // Chat markup needs a space between a struck and a bold run (`~1~ *2*`).
                    if i > 0
                        && matches!(piece, Piece::Inserted(_))
                        && matches!(pieces[i - 1], Piece::Deleted(_))
                    {
                        body.push(' ');
                    }
                    body.push_str(&match piece {
                        Piece::Same(t) => (style.escape)(t),
                        Piece::Deleted(t) => wrap(t, style.strike, style.escape),
                        Piece::Inserted(t) => wrap(t, style.strong, style.escape),
                    });
                }
                body
            }
            (ChangeKind::Removed, _, Some(b), _) => wrap(b, style.strike, style.escape),
            (_, _, _, Some(a)) => (style.escape)(a),
            (_, _, Some(b), None) => (style.escape)(b),
            _ => String::new(),
        };
        if !body.is_empty() {
            out.push(format!("{}{body}", style.quote));
        }
    }
    if total > max.min(provisions.len()) {
        out.push(format!(
            "… and {} more changed provision(s)",
            total - max.min(provisions.len())
        ));
    }
    out
}

/// Slack mrkdwn lines: per provision a bullet line, then its change quoted (`~old~ *new*`).
pub fn slack_lines(provisions: &[EventProvision], total: usize, max: usize) -> Vec<String> {
    lines(provisions, total, max, &SLACK)
}

/// Discord Markdown lines, likewise (`~~old~~ **new**`).
pub fn discord_lines(provisions: &[EventProvision], total: usize, max: usize) -> Vec<String> {
    lines(provisions, total, max, &DISCORD)
}

/// An HTML list of the changed provisions with their word diffs (`<del>`, `<ins>`, styled
/// inline for mail clients), every text escaped.
pub fn html_list(provisions: &[EventProvision], total: usize, max: usize) -> String {
    use super::format::xml_escape as esc;
    const DEL: &str = "background:#ffe0e0;color:#a00000;text-decoration:line-through";
    const INS: &str = "background:#e0ffe0;color:#006000;text-decoration:none;font-weight:bold";
    let mut out = String::from("<ul>\n");
    for p in provisions.iter().take(max) {
        out.push_str(&format!(
            "<li><b>{}</b> {}",
            p.change.as_str(),
            esc(&p.heading())
        ));
        if !p.topics.is_empty() {
            out.push_str(&format!(" <small>[{}]</small>", esc(&p.topics.join(", "))));
        }
        if !p.cosmetic_reasons.is_empty() {
            let r: Vec<&str> = p.cosmetic_reasons.iter().map(|r| r.describe()).collect();
            out.push_str(&format!(
                " <small>(cosmetic: {})</small>",
                esc(&r.join(", "))
            ));
        }
        let body = match (p.change, &p.diff, &p.before, &p.after) {
            (ChangeKind::Modified, Some(d), _, _) => parse_marked(d)
                .iter()
                .map(|piece| match piece {
                    Piece::Same(t) => esc(t),
                    Piece::Deleted(t) => format!("<del style=\"{DEL}\">{}</del>", esc(t)),
                    Piece::Inserted(t) => format!("<ins style=\"{INS}\">{}</ins>", esc(t)),
                })
                .collect::<String>(),
            (ChangeKind::Removed, _, Some(b), _) => {
                format!("<del style=\"{DEL}\">{}</del>", esc(b))
            }
            (ChangeKind::Added, _, _, Some(a)) => format!("<ins style=\"{INS}\">{}</ins>", esc(a)),
            (_, _, _, Some(a)) => esc(a),
            _ => String::new(),
        };
        if !body.is_empty() {
            out.push_str(&format!("<br><span>{body}</span>"));
        }
        out.push_str("</li>\n");
    }
    if total > max.min(provisions.len()) {
        out.push_str(&format!(
            "<li>… and {} more changed provision(s)</li>\n",
            total - max.min(provisions.len())
        ));
    }
    out.push_str("</ul>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Class;

    fn modified() -> EventProvision {
        EventProvision {
            id: "p0123456789".into(),
            change: ChangeKind::Modified,
            class: Class::Substantive,
            cosmetic_reasons: Vec::new(),
            topics: vec!["data-retention".into()],
            heading_path: vec!["Policy".into(), "Retention <b>".into()],
            before: Some("We keep chats for 30 days.".into()),
            after: Some("We keep chats for 90 days.".into()),
            diff: Some("We keep <chats> for [-30 days-]{+90 days *now*+}.".into()),
        }
    }

    #[test]
    fn marked_diffs_are_read_back() {
        assert_eq!(
            parse_marked("a [-b c-]{+d+} e {+f"),
            [
                Piece::Same("a ".into()),
                Piece::Deleted("b c".into()),
                Piece::Inserted("d".into()),
                Piece::Same(" e {+f".into()),
            ]
        );
    }

    #[test]
    fn chat_lines_strike_and_bold_and_escape() {
        let s = slack_lines(&[modified()], 3, 10);
        assert_eq!(
            s[0],
            "• *modified* Policy &gt; Retention &lt;b&gt; [data-retention]"
        );
        assert_eq!(
            s[1],
            "> We keep &lt;chats&gt; for ~30 days~ *90 days *now**."
        );
        assert_eq!(s[2], "… and 2 more changed provision(s)");
        let d = discord_lines(&[modified()], 1, 10);
        assert_eq!(
            d[1],
            "> We keep <chats> for ~~30 days~~ **90 days \\*now\\***."
        );
    }

    #[test]
    fn html_word_diff_is_styled_and_escaped() {
        let h = html_list(&[modified()], 1, 10);
        assert!(h.contains("Retention &lt;b&gt;"), "{h}");
        assert!(h.contains("We keep &lt;chats&gt; for <del style="), "{h}");
        assert!(h.contains(">30 days</del><ins style="), "{h}");
        assert!(h.contains(">90 days *now*</ins>."), "{h}");
        assert!(
            !h.contains("[-") && !h.contains("{+"),
            "markers become tags: {h}"
        );
    }
}
