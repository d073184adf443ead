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
    converter().convert(html).unwrap_or_default()
}
