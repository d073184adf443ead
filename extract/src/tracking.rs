//! Tracking parameters and per-request tokens in links already converted to Markdown (for plugins
//! that build their Markdown themselves). The rules themselves are in [`crate::links`], shared
//! with the declarative extractor, which cleans links before conversion.

use url::Url;

pub use crate::links::{
    is_tracking_name as is_tracking_param, looks_generated as looks_like_token,
};

/// `url` without tracking parameters, per-request tokens and `;jsessionid=` path parameters.
/// Anything that does not parse as an absolute URL is returned unchanged.
pub fn strip_tracking_params(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    let before = parsed.to_string();
    crate::links::clean_url(&mut parsed);
    let after = parsed.to_string();
    if after == before {
        // Keep the link exactly as written when nothing was removed.
        url.to_owned()
    } else {
        after
    }
}

/// Rewrites the targets of every Markdown link and image (`[text](URL)`, `[text](URL "title")`)
/// with [`strip_tracking_params`].
pub fn clean_markdown_links(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(i) = rest.find("](") {
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
        out.push_str(&strip_tracking_params(inner));
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
}
