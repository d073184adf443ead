//! Link clean-up: the same link must give the same text on every fetch. Pages put per-request
//! values into their links (session and device ids, challenge tokens, click ids, campaign tags);
//! left in, each fetch would look like a new version.
//!
//! The rules are general, not per site, and decided per part of the URL by what it can mean to a
//! reader of a policy:
//!
//! - scheme, host, port and path say which page or file is meant: they stay, except a
//!   `;jsessionid=` path parameter (a session, not a place);
//! - query parameters say which variant of the page (a language, a page number, a search): they
//!   stay, except known tracking names (`utm_*`, click ids, session ids) and any value that looks
//!   machine-generated (a UUID, a long hex or base64 token);
//! - on an asset (an image, a style sheet, a script, a font, a media file: by its extension, or
//!   anything embedded with `src`), parameters that only pick a revision, a rendition or a cache
//!   entry go: a bare value (`?1699999999`) and the names of versions, sizes, qualities, formats
//!   and cache keys (`?v=3&w=1080&q=75`); one that says which image (`?url=/a.png`,
//!   `?business_id=42`) stays;
//! - the fragment says where in the page: a human-written anchor (`#section-3`,
//!   `#11-how-we-use-data`) stays, a machine-generated one (a token, a UUID) goes, and a fragment
//!   made of parameters (`#k=v&…`) gets the query's rules.

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

/// File extensions of assets: a reader cares which file, never which revision or size of it.
const ASSET_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp", "tif", "tiff", "css", "js",
    "mjs", "map", "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "ogg", "mp3", "wav",
];

/// Whether the URL's last path segment has an asset's extension.
fn is_asset(url: &Url) -> bool {
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .and_then(|last| last.rsplit_once('.'))
        .is_some_and(|(_, ext)| ASSET_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Whether one `-`/`_`/`.`-separated part of an anchor reads like a word or a number that a person
/// wrote: digits only, or letters in one case (or capitalised), like `11`, `data`, `GDPR`, `Data`.
fn is_word(part: &str) -> bool {
    let letters = part.bytes().all(|c| c.is_ascii_alphabetic());
    let tail_lower = part.bytes().skip(1).all(|c| c.is_ascii_lowercase());
    part.bytes().all(|c| c.is_ascii_digit())
        || (letters && (tail_lower || part.bytes().all(|c| c.is_ascii_uppercase())))
}

/// A fragment that no human wrote: a UUID, 16+ hex digits, or a 20+ character token with a part
/// that is neither a word nor a number (`tok-3f2a9c1e5b7d4f60a8b2`). Anchors built from heading
/// text (`11-how-we-use-your-information`) are words and numbers, however long.
pub fn looks_generated_fragment(v: &str) -> bool {
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
        && !v
            .split(['-', '_', '.'])
            .filter(|p| !p.is_empty())
            .all(is_word)
}

/// Query parameters of an asset that pick a revision, a rendition or a cache entry of the same
/// file (compared in lowercase).
const ASSET_VARIANT_PARAMS: &[&str] = &[
    "v",
    "ver",
    "version",
    "rev",
    "revision",
    "build",
    "cb",
    "cachebust",
    "cachebuster",
    "cache",
    "bust",
    "t",
    "ts",
    "timestamp",
    "time",
    "hash",
    "h",
    "w",
    "width",
    "height",
    "q",
    "quality",
    "fm",
    "format",
    "auto",
    "fit",
    "crop",
    "dpr",
    "itok",
    "imwidth",
    "sz",
    "size",
];

/// Whether an asset's query parameter only picks a variant of the file: a variant name, or a
/// bare value (`?1699999999`, parsed as a name without a value).
fn is_asset_variant(name: &str, value: &str) -> bool {
    ASSET_VARIANT_PARAMS.contains(&name.to_ascii_lowercase().as_str()) || value.is_empty()
}

/// `pairs` without the noise ones (and on an asset, without the variant ones); `None` when
/// nothing was dropped.
fn kept_pairs(
    pairs: url::form_urlencoded::Parse<'_>,
    asset: bool,
) -> Option<Vec<(String, String)>> {
    let all: Vec<(String, String)> = pairs
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let kept: Vec<(String, String)> = all
        .iter()
        .filter(|(k, v)| !(is_noise_param(k, v) || (asset && is_asset_variant(k, v))))
        .cloned()
        .collect();
    (kept.len() != all.len()).then_some(kept)
}

fn encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The fragment (without `#`) cleaned: `None` when it goes entirely.
fn clean_fragment(fragment: &str) -> Option<String> {
    if fragment.contains('=') {
        return match kept_pairs(url::form_urlencoded::parse(fragment.as_bytes()), false) {
            None => Some(fragment.to_owned()),
            Some(kept) if kept.is_empty() => None,
            Some(kept) => Some(encode(&kept)),
        };
    }
    (!looks_generated_fragment(fragment)).then(|| fragment.to_owned())
}

/// A fragment-only link target (`#section-3`, or empty) as written, less a machine-generated
/// fragment (then only `#` stays).
pub fn clean_fragment_link(target: &str) -> String {
    match target.strip_prefix('#') {
        Some(fragment) => format!("#{}", clean_fragment(fragment).unwrap_or_default()),
        None => target.to_owned(),
    }
}

/// The path parameter of Java servlet sessions, lowercase.
const JSESSIONID: &[u8] = b";jsessionid=";

fn clean(url: &mut Url, asset: bool) {
    // Searched for without a lowercase copy of every path (this runs for every link of every
    // fetch): `;` then the name, in any case.
    let session = memchr::memchr_iter(b';', url.path().as_bytes()).find(|&i| {
        url.path().as_bytes()[i..]
            .get(..JSESSIONID.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(JSESSIONID))
    });
    if let Some(i) = session {
        let path = url.path()[..i].to_owned();
        url.set_path(&path);
    }
    if url.query().is_some() {
        if let Some(kept) = kept_pairs(url.query_pairs(), asset) {
            if kept.is_empty() {
                url.set_query(None);
            } else {
                url.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
    }
    if let Some(fragment) = url.fragment() {
        match clean_fragment(fragment) {
            Some(f) if f == fragment => {}
            cleaned => url.set_fragment(cleaned.as_deref()),
        }
    }
}

/// Removes per-request noise from a link (see the module documentation): tracking and
/// per-request query parameters, `;jsessionid=` path parameters, machine-generated fragments,
/// and on a link to an asset file, the parameters picking a variant of it. The other parameters
/// keep their order.
pub fn clean_url(url: &mut Url) {
    let asset = is_asset(url);
    clean(url, asset);
}

/// [`clean_url`] for the address of something embedded in the page (an image's `src`): an asset
/// whatever its extension.
pub fn clean_embedded_url(url: &mut Url) {
    clean(url, true);
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

    /// One case per rule of the module documentation: (what, input, expected).
    #[test]
    fn each_url_part_keeps_only_what_a_reader_needs() {
        let cases = [
            // Path: a place, kept; a session in it, dropped.
            (
                "path kept",
                "https://e.org/legal/privacy",
                "https://e.org/legal/privacy",
            ),
            (
                "session path parameter",
                "https://e.org/p;jsessionid=A1B2C3?lang=en",
                "https://e.org/p?lang=en",
            ),
            (
                "session path parameter in capitals, after another parameter",
                "https://e.org/a;v=1/p;JSessionID=Z9?lang=en",
                "https://e.org/a;v=1/p?lang=en",
            ),
            (
                "a parameter that only starts like a session",
                "https://e.org/p;jsession=1",
                "https://e.org/p;jsession=1",
            ),
            // Asset links: revision, size and cache keys go; a value naming a file stays.
            (
                "image cache buster",
                "https://e.org/img/chart.png?v=1699999999",
                "https://e.org/img/chart.png",
            ),
            (
                "bare timestamp query",
                "https://e.org/static/site.css?1700000000123",
                "https://e.org/static/site.css",
            ),
            (
                "image size and quality",
                "https://e.org/a/logo.webp?w=1080&q=75&fm=avif",
                "https://e.org/a/logo.webp",
            ),
            (
                "asset named in a proxy",
                "https://e.org/img.png?url=%2Fmap.png&ver=5.2.1",
                "https://e.org/img.png?url=%2Fmap.png",
            ),
            (
                "upper-case extension",
                "https://e.org/SCAN.JPG?rev=3",
                "https://e.org/SCAN.JPG",
            ),
            // A page, not an asset: its parameters may choose a variant and stay.
            (
                "page version parameter",
                "https://e.org/privacy?v=2",
                "https://e.org/privacy?v=2",
            ),
            (
                "pdf is a document",
                "https://e.org/terms.pdf?version=2024",
                "https://e.org/terms.pdf?version=2024",
            ),
            // Fragments: anchors people wrote stay, tokens go.
            (
                "heading anchor",
                "https://e.org/p#11-how-we-use-your-information",
                "https://e.org/p#11-how-we-use-your-information",
            ),
            (
                "capitalised anchor",
                "https://e.org/p#Section_3_Data_Retention",
                "https://e.org/p#Section_3_Data_Retention",
            ),
            (
                "token fragment",
                "https://e.org/p#tok-3f2a9c1e5b7d4f60a8b2",
                "https://e.org/p",
            ),
            (
                "uuid fragment",
                "https://e.org/p#0b9e3c84-5f1d-4a7e-9c55-2b1f0d4c9e21",
                "https://e.org/p",
            ),
            (
                "hex fragment",
                "https://e.org/cdn-cgi/l/email-protection#7f1e0b0a3f1a071e120f131a",
                "https://e.org/cdn-cgi/l/email-protection",
            ),
            (
                "parameters in a fragment",
                "https://e.org/p#xtor=RSS-3&utm_source=feed&tab=data",
                "https://e.org/p#xtor=RSS-3&tab=data",
            ),
            (
                "only noise in a fragment",
                "https://e.org/p#access=Zx81Kq09aB7mN2pQ4rS6tU",
                "https://e.org/p",
            ),
        ];
        for (what, input, want) in cases {
            let mut u = Url::parse(input).expect("valid");
            clean_url(&mut u);
            assert_eq!(u.as_str(), want, "{what}: {input}");
        }
    }

    #[test]
    fn embedded_resources_are_assets_whatever_their_name() {
        for (input, want) in [
            (
                "https://e.org/_next/image?url=%2Fimg%2Fmap.png&w=3840&q=75",
                "https://e.org/_next/image?url=%2Fimg%2Fmap.png",
            ),
            (
                "https://e.org/render?id=7&cb=5521",
                "https://e.org/render?id=7",
            ),
            (
                "https://e.org/v1/certificate?business_id=17162496076&product=ART27&ts=1700000000",
                "https://e.org/v1/certificate?business_id=17162496076&product=ART27",
            ),
            ("https://e.org/img/chart.png", "https://e.org/img/chart.png"),
        ] {
            let mut u = Url::parse(input).expect("valid");
            clean_embedded_url(&mut u);
            assert_eq!(u.as_str(), want, "{input}");
        }
    }

    #[test]
    fn fragment_only_links_keep_human_anchors() {
        for (input, want) in [
            ("#section-3", "#section-3"),
            ("#radix-a8F3kq09ZxLm2Pq7Rt5Wv", "#"),
            ("", ""),
            ("#", "#"),
        ] {
            assert_eq!(clean_fragment_link(input), want, "{input:?}");
        }
    }
}
