//! Tracking parameters and per-request tokens in links: they change from one fetch to the next
//! (or per visitor) without the policy changing, so they must not reach the recorded text.

use url::Url;

/// Query parameters dropped by name (compared in lowercase).
const EXACT: &[&str] = &[
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "__hstc",
    "__hssc",
    "__hsfp",
    "hsctatracking",
    "mkt_tok",
    "ref_src",
    "ref_url",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
    "s_kwcid",
    "s_cid",
    "trk",
    "trkcampaign",
    "spm",
    "sessionid",
    "session_id",
    "sid",
    "jsessionid",
    "phpsessid",
    "csrf",
    "csrf_token",
    "csrftoken",
    "_csrf",
    "token",
    "nonce",
    "request_id",
    "requestid",
    "_t",
    "_",
];

/// Query parameters dropped by prefix (compared in lowercase).
const PREFIXES: &[&str] = &[
    "utm_",
    "pk_",
    "mtm_",
    "hsa_",
    "matomo_",
    "piwik_",
    "__cf_chl_",
];

/// Whether a query parameter name is tracking or a per-request token.
pub fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    EXACT.contains(&name.as_str()) || PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Whether a parameter value looks generated per request or per visitor: a UUID, or a long
/// run of letters and digits mixed (device ids, nonces, session tokens), whatever its name.
pub fn looks_like_token(value: &str) -> bool {
    let is_uuid = value.len() == 36
        && value.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    let long_mixed = value.len() >= 20
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '='))
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_alphabetic());
    is_uuid || long_mixed
}

/// `url` without tracking parameters, per-request tokens and `;jsessionid=` path parameters.
/// Anything that does not parse as an absolute URL is returned unchanged.
pub fn strip_tracking_params(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    let mut changed = false;
    if let Some(i) = parsed.path().to_ascii_lowercase().find(";jsessionid=") {
        let path = parsed.path()[..i].to_owned();
        parsed.set_path(&path);
        changed = true;
    }
    if parsed.query().is_some() {
        let kept: Vec<(String, String)> = parsed
            .query_pairs()
            .filter(|(k, v)| !is_tracking_param(k) && !looks_like_token(v))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let before = parsed.query_pairs().count();
        if kept.len() != before {
            changed = true;
            if kept.is_empty() {
                parsed.set_query(None);
            } else {
                parsed.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
    }
    if changed {
        parsed.to_string()
    } else {
        url.to_owned()
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
