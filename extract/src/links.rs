//! Link clean-up: the same link must give the same text on every fetch. Pages put per-request
//! values into their links (session and device ids, challenge tokens, click ids, campaign tags);
//! left in, each fetch would look like a new version.
//!
//! The rules are general, not per site: known tracking parameters go by name, and any parameter
//! whose value looks machine-generated (a UUID, a long hex or base64 token) goes by shape.

use url::Url;

/// Query parameters that only ever carry tracking or per-request state (compared in lowercase).
const TRACKING_PARAMS: &[&str] = &[
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
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
    "rb_clickid",
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
    "cfid",
    "cftoken",
    "csrf",
    "csrf_token",
    "csrftoken",
    "_csrf",
    "token",
    "nonce",
    "request_id",
    "requestid",
    "ref_src",
    "ref_url",
    "_t",
    "_",
];

/// Parameter name prefixes of the same kind (`utm_source`, `__cf_chl_tk`, ...).
const TRACKING_PREFIXES: &[&str] = &[
    "utm_",
    "__cf_chl_",
    "pk_",
    "mtm_",
    "hsa_",
    "_bta_",
    "matomo_",
    "piwik_",
];

fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A value that no human wrote: a UUID, 16+ hex digits, or a 20+ character token mixing letters
/// and digits (device ids, nonces, session tokens, base64).
pub fn looks_generated(v: &str) -> bool {
    if is_uuid(v) {
        return true;
    }
    if v.len() >= 16
        && v.bytes().all(|c| c.is_ascii_hexdigit())
        && v.bytes().any(|c| c.is_ascii_digit())
    {
        return true;
    }
    v.len() >= 20
        && v.bytes().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'=' | b'%' | b'+' | b'/')
        })
        && v.bytes().any(|c| c.is_ascii_digit())
        && v.bytes().any(|c| c.is_ascii_alphabetic())
}

/// Whether a query parameter name is tracking or a per-request token, whatever its value.
pub fn is_tracking_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    TRACKING_PARAMS.contains(&lower.as_str())
        || TRACKING_PREFIXES.iter().any(|p| lower.starts_with(p))
        || lower.ends_with("-did")
        || lower.ends_with("_did")
}

/// Whether a query parameter is tracking or per-request state: by its name, or by its value.
pub fn is_noise_param(name: &str, value: &str) -> bool {
    is_tracking_name(name) || looks_generated(value)
}

/// Removes tracking and per-request query parameters, and `;jsessionid=` path parameters, from a
/// URL, keeping the other parameters in order.
pub fn clean_url(url: &mut Url) {
    if let Some(i) = url.path().to_ascii_lowercase().find(";jsessionid=") {
        let path = url.path()[..i].to_owned();
        url.set_path(&path);
    }
    if url.query().is_none() {
        return;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, v)| !is_noise_param(k, v))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.len() == url.query_pairs().count() {
        return;
    }
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_parameters_go_and_meaningful_ones_stay() {
        let cases = [
            ("https://e.org/p?utm_source=x&utm_medium=y", "https://e.org/p"),
            ("https://e.org/p?lang=en&fbclid=IwAR0abc", "https://e.org/p?lang=en"),
            (
                "https://e.org/?openaicom-did=0b9e3c84-5f1d-4a7e-9c55-2b1f0d4c9e21&openaicom_referred=true",
                "https://e.org/?openaicom_referred=true",
            ),
            ("https://e.org/x?__cf_chl_tk=Abc123Def456Ghi789Jkl0", "https://e.org/x"),
            ("https://e.org/x?t=5f1d4a7e9c552b1f0d4c", "https://e.org/x"),
            ("https://e.org/x?token=QmFzZTY0VG9rZW5WYWx1ZTEyMw", "https://e.org/x"),
            ("https://e.org/x?page=2&q=privacy+policy", "https://e.org/x?page=2&q=privacy+policy"),
            ("https://e.org/x?hl=en-GB&gl=IE", "https://e.org/x?hl=en-GB&gl=IE"),
            ("https://e.org/x?id=12345", "https://e.org/x?id=12345"),
            ("https://e.org/x#section-2", "https://e.org/x#section-2"),
        ];
        for (input, want) in cases {
            let mut u = Url::parse(input).expect("valid");
            clean_url(&mut u);
            assert_eq!(u.as_str(), want, "{input}");
        }
    }
}
