//! The words of a piece of Markdown as people read them: link targets, images and markup left
//! out, each word lower-cased with its place in the plain text and the sentence it belongs to.
//! Topic rules, matching and the word diff of a provision all read text through this one view.

use std::ops::Range;

/// One word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lower case; letters and digits only (`third-party` is two words, `third` and `party`).
    pub text: String,
    /// Where it is in [`Words::plain`], in bytes.
    pub span: Range<usize>,
    /// Which sentence it is in (0-based), counting table cells and lines as sentences too.
    pub sentence: usize,
}

/// A text as words.
#[derive(Debug, Clone, Default)]
pub struct Words {
    /// The text without link targets, images and markup characters.
    pub plain: String,
    /// Its words, in order.
    pub words: Vec<Word>,
}

impl Words {
    /// Reads `markdown`.
    pub fn new(markdown: &str) -> Self {
        let plain = plain_text(markdown);
        let words = split_words(&plain);
        Self { plain, words }
    }

    /// The words' texts.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(|w| w.text.as_str())
    }

    /// Number of sentences (at least 1).
    pub fn sentences(&self) -> usize {
        self.words.last().map_or(1, |w| w.sentence + 1)
    }
}

/// The text of `markdown` without link targets, images, autolinks, HTML comments, escapes and
/// markup characters (`*`, `_`, `#`, `>`, backticks); `|` of tables kept (cells are sentences).
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let chars: Vec<char> = markdown.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() => {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            '!' if chars.get(i + 1) == Some(&'[') => {
                // An image: keep its alt text like a link's text.
                i += 1;
                continue;
            }
            ']' if chars.get(i + 1) == Some(&'(') => {
                // `[text](target)`: drop the target (one level of parentheses inside).
                let mut j = i + 2;
                let mut depth = 1;
                while j < chars.len() && depth > 0 {
                    match chars[j] {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        '\n' => break,
                        _ => {}
                    }
                    j += 1;
                }
                if depth == 0 {
                    i = j;
                    continue;
                }
            }
            '<' => {
                // Autolinks and HTML comments carry no words of the policy.
                let rest: String = chars[i..chars.len().min(i + 12)].iter().collect();
                let lower = rest.to_ascii_lowercase();
                if lower.starts_with("<http") || lower.starts_with("<mailto:") {
                    if let Some(end) = chars[i..].iter().position(|&c| c == '>' || c == '\n') {
                        if chars[i + end] == '>' {
                            i += end + 1;
                            continue;
                        }
                    }
                }
                if lower.starts_with("<!--") {
                    let s: String = chars[i..].iter().collect();
                    if let Some(end) = s.find("-->") {
                        i += s[..end + 3].chars().count();
                        continue;
                    }
                }
            }
            '[' | '*' | '_' | '`' | '#' | '>' => {
                // Markup; an underscore inside a word (`oai_did`) stays a separator either way.
                out.push(' ');
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Whether `c` ends a sentence when followed by whitespace or the end of the text.
fn ends_sentence(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | ';' | '…')
}

fn split_words(plain: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut sentence = 0;
    let mut pending_break = false;
    let mut start: Option<usize> = None;
    let mut iter = plain.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c.is_alphanumeric() {
            if start.is_none() {
                if pending_break && !words.is_empty() {
                    sentence += 1;
                }
                pending_break = false;
                start = Some(i);
            }
            continue;
        }
        if let Some(s) = start.take() {
            words.push(Word {
                text: plain[s..i].to_lowercase(),
                span: s..i,
                sentence,
            });
        }
        let next_is_space = iter.peek().is_none_or(|(_, n)| n.is_whitespace());
        if c == '\n' || c == '|' || (ends_sentence(c) && next_is_space) {
            pending_break = true;
        }
    }
    if let Some(s) = start {
        words.push(Word {
            text: plain[s..].to_lowercase(),
            span: s..plain.len(),
            sentence,
        });
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_images_and_markup_are_left_out() {
        let w = Words::new("**We** share data with [partners](https://x.example/opt-out?a=(1)) ![logo](l.png) <https://a.example/train>");
        let t: Vec<_> = w.texts().collect();
        assert_eq!(t, ["we", "share", "data", "with", "partners", "logo"]);
    }

    #[test]
    fn sentences_lines_and_cells_are_numbered() {
        let w = Words::new("One two. Three; four\nfive | six e.g.x 1.5");
        let s: Vec<_> = w
            .words
            .iter()
            .map(|w| (w.text.as_str(), w.sentence))
            .collect();
        assert_eq!(
            s,
            [
                ("one", 0),
                ("two", 0),
                ("three", 1),
                ("four", 2),
                ("five", 3),
                ("six", 4),
                ("e", 4),
                ("g", 4),
                ("x", 4),
                ("1", 4),
                ("5", 4)
            ]
        );
    }

    #[test]
    fn spans_point_into_the_plain_text() {
        let w = Words::new("Ünïcode *words*, third-party");
        for word in &w.words {
            assert_eq!(w.plain[word.span.clone()].to_lowercase(), word.text);
        }
        assert_eq!(w.words.len(), 4);
    }

    #[test]
    fn escapes_and_comments() {
        let w = Words::new(r"\_ga cookie <!-- hidden words --> \[not a link\]");
        let t: Vec<_> = w.texts().collect();
        assert_eq!(t, ["ga", "cookie", "not", "a", "link"]);
    }
}
