//! Tracking parameters and per-request tokens in links already converted to Markdown (for plugins
//! that build their Markdown themselves). The rules themselves are in [`crate::links`], shared
//! with the declarative extractor, which cleans links before conversion.

use url::Url;

pub use crate::links::{
    is_tracking_name as is_tracking_param, looks_generated as looks_like_token,
};

/// `url` without per-request noise (see [`crate::links`]): tracking parameters, per-request
/// tokens, `;jsessionid=` path parameters, machine-generated fragments, and the revision
/// parameters of an asset. A fragment-only target (`#…`) keeps a human-written fragment; anything
/// else that does not parse as an absolute URL is returned unchanged.
pub fn strip_tracking_params(url: &str) -> String {
    clean_target(url, false)
}

/// [`strip_tracking_params`], for an embedded resource (`embedded`: an image) or a link.
fn clean_target(url: &str, embedded: bool) -> String {
    if url.starts_with('#') {
        return crate::links::clean_fragment_link(url);
    }
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    let before = parsed.to_string();
    if embedded {
        crate::links::clean_embedded_url(&mut parsed);
    } else {
        crate::links::clean_url(&mut parsed);
    }
    let after = parsed.to_string();
    if after == before {
        // Keep the link exactly as written when nothing was removed.
        url.to_owned()
    } else {
        after
    }
}

/// Whether the link text ending just before byte `end` of `text` opens with `![`: an image.
fn is_image(text: &str, end: usize) -> bool {
    let mut depth = 0usize;
    for (i, c) in text[..end].char_indices().rev() {
        match c {
            ']' => depth += 1,
            '[' if depth == 0 => return text[..i].ends_with('!'),
            '[' => depth -= 1,
            '\n' if text[..i].ends_with('\n') => return false,
            _ => {}
        }
    }
    false
}

/// Rewrites the targets of every Markdown link and image (`[text](URL)`, `[text](URL "title")`)
/// with [`strip_tracking_params`] (images as embedded resources).
pub fn clean_markdown_links(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(i) = rest.find("](") {
        let image = is_image(rest, i);
        out.push_str(&rest[..i + 2]);
        rest = &rest[i + 2..];
        // The target ends at the first space (a title follows) or at the ")" closing the link,
        // counting nested parentheses (URLs may hold them).
        let mut depth = 0usize;
        let mut end = rest.len();
        for (j, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = j;
                    break;
                }
                ')' => depth -= 1,
                ' ' | '\n' => {
                    end = j;
                    break;
                }
                _ => {}
            }
        }
        let (target, after) = rest.split_at(end);
        let (open, inner, close) = match target.strip_prefix('<').and_then(|t| t.strip_suffix('>'))
        {
            Some(inner) => ("<", inner, ">"),
            None => ("", target, ""),
        };
        out.push_str(open);
        out.push_str(&clean_target(inner, image));
        out.push_str(close);
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_tracking_and_tokens_keeps_the_rest() {
        let cases = [
            (
                "https://ex.org/p?utm_source=x&utm_medium=y&id=3",
                "https://ex.org/p?id=3",
            ),
            ("https://ex.org/p?fbclid=abc", "https://ex.org/p"),
            ("https://ex.org/p?GCLID=abc#s2", "https://ex.org/p#s2"),
            (
                "https://ex.org/p;jsessionid=99AF?lang=en&nonce=7",
                "https://ex.org/p?lang=en",
            ),
            ("https://ex.org/p?hl=en", "https://ex.org/p?hl=en"),
            (
                "https://ex.org/p?openaicom-did=0b8f2a3c-1d2e-4f5a-9b8c-7d6e5f4a3b2c&openaicom_referred=true",
                "https://ex.org/p?openaicom_referred=true",
            ),
            ("https://ex.org/p?s=a8F3kq09ZxLm2Pq7Rt5Wv", "https://ex.org/p"),
            ("mailto:privacy@ex.org", "mailto:privacy@ex.org"),
            ("/relative?utm_source=x", "/relative?utm_source=x"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_tracking_params(input), want, "{input}");
        }
    }

    #[test]
    fn cleans_links_in_markdown() {
        let md = "See [the policy](https://ex.org/p?utm_campaign=a&x=(1)) and \
                  [mail](<https://ex.org/m?gclid=1> \"t\") or ![i](https://ex.org/i.png?_ga=2).\n";
        assert_eq!(
            clean_markdown_links(md),
            "See [the policy](https://ex.org/p?x=%281%29) and \
             [mail](<https://ex.org/m> \"t\") or ![i](https://ex.org/i.png).\n"
        );
        assert_eq!(
            clean_markdown_links("no links ] ( here"),
            "no links ] ( here"
        );
    }

    #[test]
    fn images_in_markdown_are_assets_and_anchors_stay() {
        let md = "![Data flow](https://ex.org/_next/image?url=%2Fflow.png&w=1080&q=75) and \
                  [![logo](https://ex.org/logo.svg?v=9)](https://ex.org/home?v=9) \
                  see [section 2](#section-2) or [this](#a8F3kq09ZxLm2Pq7Rt5Wv-x).\n";
        assert_eq!(
            clean_markdown_links(md),
            "![Data flow](https://ex.org/_next/image?url=%2Fflow.png) and \
             [![logo](https://ex.org/logo.svg)](https://ex.org/home?v=9) \
             see [section 2](#section-2) or [this](#).\n"
        );
    }
}
