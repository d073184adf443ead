//! A readable, word-level rendering of the difference between two versions.

use std::borrow::Cow;

use similar::{ChangeTag, TextDiff};

/// How to mark changed words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// ANSI colours (red removed, green added) for a terminal.
    Color,
    /// `[-removed-]` and `{+added+}`, as `git diff --word-diff=plain`.
    Plain,
}

/// Lines of unchanged context kept around each change.
const CONTEXT: usize = 2;

/// Renders the changes from `old` to `new`, hunk by hunk, with words marked inside changed lines.
pub fn render(old: &str, new: &str, style: Style) -> String {
    let marks = match style {
        Style::Color => ["\x1b[31;9m", "\x1b[0m", "\x1b[32;1m", "\x1b[0m"],
        Style::Plain => ["[-", "-]", "{+", "+}"],
    };
    render_marked(old, new, marks, |s| Cow::Borrowed(s))
}

/// Like [`render`], with the given marks (open and close of a removal, then of an addition)
/// around changed words, and every piece of text passed through `escape` first (the web view
/// escapes HTML there, so the marks are the only markup in the result).
pub fn render_marked(
    old: &str,
    new: &str,
    marks: [&str; 4],
    escape: fn(&str) -> Cow<'_, str>,
) -> String {
    let [del_open, del_close, ins_open, ins_close] = marks;
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    for (i, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if i > 0 {
            out.push_str("…\n");
        }
        for op in group {
            let (old_range, new_range) = (op.old_range(), op.new_range());
            match op.tag() {
                similar::DiffTag::Equal => {
                    for line in &diff.old_slices()[old_range] {
                        out.push_str("  ");
                        out.push_str(&escape(line));
                    }
                }
                _ => {
                    // Compare the changed block word by word so a one-word edit shows as one word.
                    let old_block: String = diff.old_slices()[old_range].concat();
                    let new_block: String = diff.new_slices()[new_range].concat();
                    let words = TextDiff::from_words(&old_block, &new_block);
                    let mut line = String::from("~ ");
                    for change in words.iter_all_changes() {
                        let v = change.value();
                        let (open, close) = match change.tag() {
                            ChangeTag::Equal => ("", ""),
                            ChangeTag::Delete => (del_open, del_close),
                            ChangeTag::Insert => (ins_open, ins_close),
                        };
                        for (j, piece) in v.split('\n').enumerate() {
                            if j > 0 {
                                out.push_str(line.trim_end());
                                out.push('\n');
                                line = String::from("~ ");
                            }
                            if !piece.is_empty() {
                                line.push_str(open);
                                line.push_str(&escape(piece));
                                line.push_str(close);
                            }
                        }
                    }
                    if line.trim() != "~" {
                        out.push_str(line.trim_end());
                        out.push('\n');
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_word_edit_is_one_marked_word() {
        let old = "# Terms\n\nWe keep data for 30 days.\n\nOther text.\n";
        let new = "# Terms\n\nWe keep data for 90 days.\n\nOther text.\n";
        let out = render(old, new, Style::Plain);
        assert!(
            out.contains("~ We keep data for [-30-]{+90+} days."),
            "{out}"
        );
        assert!(out.contains("  # Terms"), "{out}");
    }

    #[test]
    fn no_change_renders_nothing() {
        assert_eq!(render("a\n", "a\n", Style::Plain), "");
    }
}
