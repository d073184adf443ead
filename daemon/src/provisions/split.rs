//! A version's Markdown split into provisions: headings, paragraphs, list items, table rows and
//! code blocks, each with the path of headings above it.
//!
//! A heading that is only a date (`## Last updated: May 6, 2026`) is a provision but not a heading
//! of what follows, so a new date does not rename every section under it. Block quotes are read
//! as their content. Setext headings (`Title` over `===`) are headings, as ATX ones are.

use serde::{Deserialize, Serialize};

/// What kind of block a provision is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A heading; its level (1–6) is in [`Provision::level`].
    Heading,
    /// A paragraph.
    Paragraph,
    /// One item of a list (nested items are provisions of their own).
    ListItem,
    /// One row of a table (the header row too; the separator row is not a provision).
    TableRow,
    /// A fenced code block, whole.
    Code,
}

/// One provision of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provision {
    /// Heading, paragraph, list item, table row or code block.
    pub kind: Kind,
    /// Heading level (1–6) of a heading; 0 otherwise.
    pub level: u8,
    /// Titles of the headings above it, outermost first (for a heading: its parents).
    pub heading_path: Vec<String>,
    /// The Markdown as written, lines joined by `\n`, block-quote markers removed.
    pub text: String,
    /// Its first line in the version, 1-based.
    pub line: usize,
}

impl Provision {
    /// The heading path as one string, `A > B`; `(top)` before the first heading.
    pub fn heading(&self) -> String {
        if self.heading_path.is_empty() {
            "(top)".to_owned()
        } else {
            self.heading_path.join(" > ")
        }
    }
}

/// The level and title of an ATX heading line (`## Title ##`), if it is one.
pub fn atx_heading(line: &str) -> Option<(u8, String)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let level = trimmed.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &trimmed[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some((level as u8, heading_title(rest)))
}

/// A heading's title: closing `#`s and emphasis around the whole title removed.
pub fn heading_title(raw: &str) -> String {
    let t = raw.trim().trim_end_matches('#').trim();
    t.trim_matches(|c| c == '*' || c == '_').trim().to_owned()
}

/// The start of a list item: `- `, `* `, `+ `, `1. `, `1) `; returns the indentation width.
fn list_marker(line: &str) -> Option<usize> {
    let indent = line.len() - line.trim_start().len();
    let t = line.trim_start();
    let mut chars = t.char_indices();
    let (_, first) = chars.next()?;
    let after = if matches!(first, '-' | '*' | '+') {
        1
    } else {
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 || !matches!(t.as_bytes().get(digits), Some(b'.' | b')')) {
            return None;
        }
        digits + 1
    };
    match t.as_bytes().get(after) {
        Some(b' ' | b'\t') => Some(indent),
        None if after == t.len() => None,
        _ => None,
    }
}

fn is_thematic_break(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3
        && (t.chars().all(|c| c == '-')
            || t.chars().all(|c| c == '*')
            || t.chars().all(|c| c == '_'))
}

fn is_table_separator(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|')
        && t.contains('-')
        && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

/// Removes block-quote markers (`> `, any depth) from the start of a line.
fn unquote(line: &str) -> &str {
    let mut l = line;
    loop {
        let t = l.trim_start();
        match t.strip_prefix('>') {
            Some(rest) => l = rest.strip_prefix(' ').unwrap_or(rest),
            None => return l,
        }
    }
}

struct Splitter {
    out: Vec<Provision>,
    /// (level, title) of the open headings.
    stack: Vec<(u8, String)>,
    /// The block being read: kind, lines, first line.
    open: Option<(Kind, Vec<String>, usize)>,
}

impl Splitter {
    fn path(&self) -> Vec<String> {
        self.stack.iter().map(|(_, t)| t.clone()).collect()
    }

    fn close(&mut self) {
        if let Some((kind, lines, line)) = self.open.take() {
            let text = lines.join("\n").trim().to_owned();
            if text.is_empty() {
                return;
            }
            let heading_path = self.path();
            self.out.push(Provision {
                kind,
                level: 0,
                heading_path,
                text,
                line,
            });
        }
    }

    fn heading(&mut self, level: u8, title: String, text: String, line: usize) {
        self.close();
        if title.is_empty() {
            // An empty heading (`#####`) names nothing.
            return;
        }
        if super::dates::is_date_line(&title) {
            self.out.push(Provision {
                kind: Kind::Heading,
                level,
                heading_path: self.path(),
                text,
                line,
            });
            return;
        }
        while self.stack.last().is_some_and(|(l, _)| *l >= level) {
            self.stack.pop();
        }
        self.out.push(Provision {
            kind: Kind::Heading,
            level,
            heading_path: self.path(),
            text,
            line,
        });
        self.stack.push((level, title));
    }

    fn push_line(&mut self, kind: Kind, line: &str, number: usize) {
        match &mut self.open {
            Some((_, lines, _)) => lines.push(line.to_owned()),
            None => self.open = Some((kind, vec![line.to_owned()], number)),
        }
    }
}

/// Splits a version's Markdown into provisions, in document order.
pub fn split(text: &str) -> Vec<Provision> {
    let mut s = Splitter {
        out: Vec::new(),
        stack: Vec::new(),
        open: None,
    };
    let mut fence: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let line = unquote(raw).trim_end();
        if let Some(marker) = &fence {
            s.push_line(Kind::Code, line, number);
            if line.trim_start().starts_with(marker.as_str()) {
                fence = None;
                s.close();
            }
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            s.close();
            fence = Some(trimmed[..3].to_owned());
            s.push_line(Kind::Code, line, number);
            continue;
        }
        if trimmed.is_empty() {
            s.close();
            continue;
        }
        if let Some((level, title)) = atx_heading(line) {
            s.heading(level, title, trimmed.to_owned(), number);
            continue;
        }
        // Setext: a one-line paragraph underlined with `===` or `---`.
        let underline = !trimmed.is_empty()
            && (trimmed.chars().all(|c| c == '=') || trimmed.chars().all(|c| c == '-'));
        if underline {
            if let Some((Kind::Paragraph, lines, first)) = &s.open {
                if lines.len() == 1 {
                    let title_line = lines[0].clone();
                    let first = *first;
                    s.open = None;
                    let level = if trimmed.starts_with('=') { 1 } else { 2 };
                    s.heading(
                        level,
                        heading_title(&title_line),
                        format!("{title_line}\n{trimmed}"),
                        first,
                    );
                    continue;
                }
            }
        }
        if is_thematic_break(line) {
            s.close();
            continue;
        }
        if trimmed.starts_with('|') {
            s.close();
            if !is_table_separator(line) {
                s.push_line(Kind::TableRow, trimmed, number);
                s.close();
            }
            continue;
        }
        if list_marker(line).is_some() {
            s.close();
            s.push_line(Kind::ListItem, line.trim(), number);
            continue;
        }
        match &s.open {
            // Continuation of a paragraph or an item (lazy or indented lines).
            Some((Kind::Paragraph | Kind::ListItem, _, _)) => {
                s.push_line(Kind::Paragraph, trimmed, number)
            }
            _ => {
                s.close();
                s.push_line(Kind::Paragraph, trimmed, number);
            }
        }
    }
    s.close();
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String, String)> {
        split(text)
            .into_iter()
            .map(|p| (p.kind, p.heading(), p.text))
            .collect()
    }

    #[test]
    fn blocks_become_provisions_with_heading_paths() {
        let text = "Intro line one\nline two\n\n# Terms\n\n## Data\n\n- first item\n  continued\n- second\n  1. nested\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n\n# not a heading\n```\n\n## Other\n\nText.\n";
        let k = kinds(text);
        let expect: Vec<(Kind, &str, &str)> = vec![
            (Kind::Paragraph, "(top)", "Intro line one\nline two"),
            (Kind::Heading, "(top)", "# Terms"),
            (Kind::Heading, "Terms", "## Data"),
            (Kind::ListItem, "Terms > Data", "- first item\ncontinued"),
            (Kind::ListItem, "Terms > Data", "- second"),
            (Kind::ListItem, "Terms > Data", "1. nested"),
            (Kind::TableRow, "Terms > Data", "| a | b |"),
            (Kind::TableRow, "Terms > Data", "| 1 | 2 |"),
            (
                Kind::Code,
                "Terms > Data",
                "```\ncode\n\n# not a heading\n```",
            ),
            (Kind::Heading, "Terms", "## Other"),
            (Kind::Paragraph, "Terms > Other", "Text."),
        ];
        let got: Vec<(Kind, &str, &str)> = k
            .iter()
            .map(|(a, b, c)| (*a, b.as_str(), c.as_str()))
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn a_date_heading_does_not_rename_the_sections_under_it() {
        let k =
            kinds("# Policy\n\n## Last updated: May 6, 2026\n\nWe keep data.\n\n#####\n\nMore.\n");
        assert_eq!(k[1].0, Kind::Heading);
        assert_eq!(k[2].1, "Policy", "{k:?}");
        assert_eq!(k[3].1, "Policy", "an empty heading names nothing: {k:?}");
    }

    #[test]
    fn setext_headings_and_quotes() {
        let k = kinds("Privacy\n=======\n\n> Last Update: July 4, 2025\n>\n> Effective: July 5, 2025\n\nData\n----\n\nText\n\n---\n\nAfter a rule.\n");
        let got: Vec<(Kind, &str, &str)> = k
            .iter()
            .map(|(a, b, c)| (*a, b.as_str(), c.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Kind::Heading, "(top)", "Privacy\n======="),
                (Kind::Paragraph, "Privacy", "Last Update: July 4, 2025"),
                (Kind::Paragraph, "Privacy", "Effective: July 5, 2025"),
                (Kind::Heading, "Privacy", "Data\n----"),
                (Kind::Paragraph, "Privacy > Data", "Text"),
                (Kind::Paragraph, "Privacy > Data", "After a rule."),
            ]
        );
    }

    #[test]
    fn heading_levels_and_lines() {
        let p = split("# A\n\n### B\n\ntext\n");
        assert_eq!((p[0].level, p[1].level, p[2].level), (1, 3, 0));
        assert_eq!((p[0].line, p[1].line, p[2].line), (1, 3, 5));
    }
}
