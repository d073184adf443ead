//! The text similarity of a recorded version to Open Terms Archive's Markdown of the same fetch
//! (used by `migrate-ota --versions` and by the fidelity replay).
//!
//! Both texts are first brought to a common form, so that the score measures the text and not
//! the two tools' Markdown conventions: Setext headings (OTA) become ATX headings, table separator
//! rows and Markdown escapes are dropped, list bullets are unified, invisible characters removed,
//! typographic quotes made straight, and every run of whitespace becomes one space.
//!
//! The score is `2·M / T`, where `T` is the number of characters of both texts and `M` the number
//! of characters in the words a word-level diff (Myers, from `similar`) finds in both, in order.
//! 1.0 means the same words in the same order. A word-level diff, rather than a character-level
//! one, keeps this fast on 340 KB policies; over whole words it differs from a character ratio only
//! inside changed words.

use std::time::{Duration, Instant};

use similar::{Algorithm, ChangeTag, TextDiff};

/// Brings Markdown to the common form described in the module documentation.
pub fn comparable(md: &str) -> String {
    let lines: Vec<&str> = md.lines().collect();
    let mut out = String::with_capacity(md.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
        let underline = |c: char| next.len() >= 2 && next.chars().all(|x| x == c);
        if !line.is_empty() && (underline('=') || underline('-')) {
            out.push_str(if underline('=') { "# " } else { "## " });
            out.push_str(line);
            out.push('\n');
            i += 2;
            continue;
        }
        let is_table_rule = line.starts_with('|')
            && line.contains('-')
            && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '));
        if !is_table_rule {
            let line = match line.as_bytes().first() {
                Some(b'*' | b'+') if line.as_bytes().get(1) == Some(&b' ') => {
                    format!("-{}", &line[1..])
                }
                _ => line.to_owned(),
            };
            out.push_str(&line);
            out.push('\n');
        }
        i += 1;
    }
    let mut text = String::with_capacity(out.len());
    let mut chars = out.chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        let c = match c {
            '\\' if chars.peek().is_some_and(|n| n.is_ascii_punctuation()) => continue,
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => continue,
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' => '"',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if space || text.is_empty() {
                continue;
            }
            space = true;
        } else {
            space = false;
        }
        text.push(c);
    }
    text.trim_end().to_owned()
}

/// The similarity score of two Markdown texts, from 0.0 to 1.0.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (comparable(a), comparable(b));
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .deadline(Instant::now() + Duration::from_secs(60))
        .diff_words(&a, &b);
    let matched: usize = diff
        .iter_all_changes()
        .filter(|c| c.tag() == ChangeTag::Equal)
        .map(|c| c.value().len())
        .sum();
    2.0 * matched as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventions_do_not_count_words_do() {
        let ota = "Title\n=====\n\nSub\n---\n\n*   item one\n*   item \\_two\\_\n\n| a | b |\n| --- | --- |\n| c | d |\n\nIt\u{2019}s\u{2060} here.";
        let ours = "# Title\n\n## Sub\n\n- item one\n- item _two_\n\n| a | b |\n| ----- | ----- |\n| c | d |\n\nIt's here.\n";
        assert_eq!(comparable(ota), comparable(ours));
        assert_eq!(similarity(ota, ours), 1.0);
        let s = similarity(
            "We keep data for thirty days.",
            "We keep data for ninety days.",
        );
        assert!(s > 0.7 && s < 0.95, "{s}");
        assert_eq!(similarity("", ""), 1.0);
        assert_eq!(similarity("abc", ""), 0.0);
    }
}
