//! The side-by-side diff of the diff page: a two-column table, old on the left and new on the
//! right, hunk by hunk with a few lines of context; a changed line is paired with its
//! counterpart and its changed words are marked (`<del>` left, `<ins>` right). Every piece of
//! text is escaped: the marks are the only markup.

use std::fmt::Write;

use similar::{ChangeTag, DiffTag, TextDiff};

use super::html::escape;

/// Lines of unchanged context around each change.
const CONTEXT: usize = 2;

/// One line on each side, words marked.
fn word_pair(old: &str, new: &str) -> (String, String) {
    let words = TextDiff::from_words(old, new);
    let (mut left, mut right) = (String::new(), String::new());
    for c in words.iter_all_changes() {
        let v = escape(c.value());
        match c.tag() {
            ChangeTag::Equal => {
                left.push_str(&v);
                right.push_str(&v);
            }
            ChangeTag::Delete => {
                let _ = write!(left, "<del>{v}</del>");
            }
            ChangeTag::Insert => {
                let _ = write!(right, "<ins>{v}</ins>");
            }
        }
    }
    (left, right)
}

/// `old` → `new` as one text, deleted words in `<del>`, inserted in `<ins>` (a provision's
/// change in the summary).
pub fn inline(old: &str, new: &str) -> String {
    let words = TextDiff::from_words(old, new);
    let mut out = String::new();
    for c in words.iter_all_changes() {
        let v = escape(c.value());
        let _ = match c.tag() {
            ChangeTag::Equal => write!(out, "{v}"),
            ChangeTag::Delete => write!(out, "<del>{v}</del>"),
            ChangeTag::Insert => write!(out, "<ins>{v}</ins>"),
        };
    }
    out
}

fn row(out: &mut String, class: &str, left: (Option<usize>, &str), right: (Option<usize>, &str)) {
    let n = |x: Option<usize>| x.map(|i| (i + 1).to_string()).unwrap_or_default();
    let _ = writeln!(
        out,
        "<tr class=\"{class}\"><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
        n(left.0),
        left.1,
        n(right.0),
        right.1
    );
}

/// The side-by-side table of `old` → `new`.
pub fn render(old: &str, new: &str) -> String {
    let diff = TextDiff::from_lines(old, new);
    let (olds, news) = (diff.old_slices(), diff.new_slices());
    let mut out = String::from(
        "<table class=\"side\"><tr><th class=\"n\"></th><th>before</th><th class=\"n\"></th><th>after</th></tr>\n",
    );
    for (i, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if i > 0 {
            out.push_str("<tr class=\"gap\"><td></td><td>…</td><td></td><td>…</td></tr>\n");
        }
        for op in group {
            let (o, n) = (op.old_range(), op.new_range());
            match op.tag() {
                DiffTag::Equal => {
                    for (a, b) in o.zip(n) {
                        let t = escape(olds[a].trim_end_matches('\n'));
                        row(&mut out, "same", (Some(a), &t), (Some(b), &t));
                    }
                }
                _ => {
                    // Pair the changed lines in order; the longer side's extra lines stand alone.
                    let len = o.len().max(n.len());
                    for k in 0..len {
                        let a = (k < o.len()).then_some(o.start + k);
                        let b = (k < n.len()).then_some(n.start + k);
                        let line = |s: &[&str], i: usize| s[i].trim_end_matches('\n').to_owned();
                        match (a, b) {
                            (Some(a), Some(b)) => {
                                let (l, r) = word_pair(&line(olds, a), &line(news, b));
                                row(&mut out, "changed", (Some(a), &l), (Some(b), &r));
                            }
                            (Some(a), None) => {
                                let l = format!("<del>{}</del>", escape(&line(olds, a)));
                                row(&mut out, "removed", (Some(a), &l), (None, ""));
                            }
                            (None, Some(b)) => {
                                let r = format!("<ins>{}</ins>", escape(&line(news, b)));
                                row(&mut out, "added", (None, ""), (Some(b), &r));
                            }
                            (None, None) => {}
                        }
                    }
                }
            }
        }
    }
    out.push_str("</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_are_marked_on_their_side_and_text_is_escaped() {
        let old = "a\nb\nWe keep chats for 30 days.\nc\nd\ne\nf\ng\nh\nlast <b>\n";
        let new = "a\nb\nWe keep chats for 90 days.\nc\nd\ne\nf\ng\nh\nlast <b>\nadded <script>\n";
        let html = render(old, new);
        assert!(
            html.contains("<td>We keep chats for <del>30</del> days.</td>"),
            "{html}"
        );
        assert!(
            html.contains("<td>We keep chats for <ins>90</ins> days.</td>"),
            "{html}"
        );
        assert!(html.contains("<ins>added &lt;script&gt;</ins>"), "{html}");
        assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
        // Two hunks: the unchanged middle is cut.
        assert!(html.contains("class=\"gap\""), "{html}");
        assert_eq!(
            inline("for 30 <days>", "for 90 <days>"),
            "for <del>30</del><ins>90</ins> &lt;days&gt;"
        );
        assert!(!html.contains("<td>e</td>"), "{html}");
    }
}
