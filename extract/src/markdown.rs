//! HTML to Markdown, with htmd.

use std::sync::OnceLock;

use htmd::options::{BulletListMarker, Options};
use htmd::HtmlToMarkdown;

fn converter() -> &'static HtmlToMarkdown {
    static CONVERTER: OnceLock<HtmlToMarkdown> = OnceLock::new();
    CONVERTER.get_or_init(|| {
        HtmlToMarkdown::builder()
            .options(Options {
                bullet_list_marker: BulletListMarker::Dash,
                ul_bullet_spacing: 1,
                ol_number_spacing: 1,
                ..Options::default()
            })
            .skip_tags(vec![
                "script", "style", "noscript", "template", "svg", "head",
            ])
            .build()
    })
}

/// Converts an HTML fragment or document to Markdown (not yet normalised; see
/// [`crate::normalise_text`]).
pub fn html_to_markdown(html: &str) -> String {
    // htmd's `convert` cannot fail on an in-memory string: its parser reads from a `&str`.
    unescape_heading_numbers(&converter().convert(html).unwrap_or_default())
}

/// `## 1\. Data we collect` → `## 1. Data we collect`. htmd escapes a number and a dot at the
/// start of any text, so that a paragraph does not turn into a list; inside an ATX heading the
/// text cannot start a list, and the escape only shows (in a paragraph it stays).
fn unescape_heading_numbers(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.split_inclusive('\n') {
        let hashes = line.len() - line.trim_start_matches('#').len();
        let rest = &line[hashes..];
        let digits = rest
            .strip_prefix(' ')
            .map(|r| r.len() - r.trim_start_matches(|c: char| c.is_ascii_digit()).len())
            .unwrap_or(0);
        if (1..=6).contains(&hashes) && digits > 0 && rest[1 + digits..].starts_with("\\.") {
            out.push_str(&line[..hashes + 1 + digits]);
            out.push_str(&rest[1 + digits + 1..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbered_headings_lose_their_escape_and_paragraphs_keep_it() {
        for (html, expected) in [
            ("<h2>1. Data we collect</h2>", "## 1. Data we collect"),
            ("<h3>12. Changes</h3>", "### 12. Changes"),
            ("<p>2. Not a list</p>", "2\\. Not a list"),
            ("<h2>Data, 1. and 2.</h2>", "## Data, 1. and 2."),
        ] {
            assert_eq!(super::html_to_markdown(html).trim(), expected, "{html}");
        }
    }
}
