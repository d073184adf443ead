//! Decoding fetched bytes to text: the charset comes from the BOM, then the `Content-Type`
//! header, then a `<meta>` declaration in the first 1024 bytes (the HTML prescan), then UTF-8 if
//! the bytes are valid UTF-8, else windows-1252 (what browsers assume for legacy pages).

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// The charset parameter of a `Content-Type` value.
fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(v.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// The charset declared by a `<meta charset>` or `<meta http-equiv content>` in the first 1024
/// bytes. A simplified form of the HTML prescan: attribute order and quoting vary, so this looks
/// for `charset=` inside each `<meta` tag.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut rest = &lower[..];
    while let Some(at) = find(rest, b"<meta") {
        let tag = &rest[at..];
        let end = tag.iter().position(|&b| b == b'>').unwrap_or(tag.len());
        let tag = &tag[..end];
        if let Some(c) = find(tag, b"charset") {
            let after = &tag[c + 7..];
            let after = after.strip_prefix(b"=").or_else(|| {
                let trimmed = after.iter().position(|b| !b.is_ascii_whitespace())?;
                after[trimmed..].strip_prefix(b"=")
            });
            if let Some(value) = after {
                let value: Vec<u8> = value
                    .iter()
                    .copied()
                    .skip_while(|b| b.is_ascii_whitespace() || *b == b'"' || *b == b'\'')
                    .take_while(|b| {
                        !(b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b';' | b'/'))
                    })
                    .collect();
                if let Some(enc) = Encoding::for_label(&value) {
                    // A page that says UTF-16 in ASCII bytes cannot be UTF-16 (HTML spec).
                    return Some(
                        if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                            UTF_8
                        } else {
                            enc
                        },
                    );
                }
            }
        }
        rest = &rest[at + 5..];
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// Decodes a document body to text: borrowed when the body is already well-formed UTF-8 (most
/// pages), so that a fetch is not copied to be read.
pub fn decode<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Cow<'a, str> {
    let encoding = Encoding::for_bom(bytes)
        .map(|(enc, _)| enc)
        .or_else(|| content_type.and_then(header_charset))
        .or_else(|| meta_charset(bytes))
        .unwrap_or_else(|| {
            if std::str::from_utf8(bytes).is_ok() {
                UTF_8
            } else {
                WINDOWS_1252
            }
        });
    // `decode` removes a BOM of its own encoding and replaces malformed sequences with U+FFFD.
    encoding.decode(bytes).0
}

#[cfg(test)]
mod tests {
    use super::decode;
    use proptest::prelude::*;

    /// Content types as servers send them, well-formed or not, with real and bogus charsets.
    fn content_type() -> impl Strategy<Value = Option<String>> {
        let charset = prop_oneof![
            Just("utf-8".to_owned()),
            Just("\"Shift_JIS\"".to_owned()),
            Just("utf-16".to_owned()),
            Just("windows-1252".to_owned()),
            Just("x-bogus".to_owned()),
            "\\PC{0,12}",
        ];
        prop_oneof![
            Just(None),
            charset.prop_map(|c| Some(format!("text/html; charset={c}"))),
            "\\PC{0,40}".prop_map(Some),
        ]
    }

    /// Bodies: arbitrary bytes, or markup with `<meta charset>` declarations cut anywhere.
    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2048),
            (prop::collection::vec(any::<u8>(), 0..64), "[a-zA-Z0-9_\"'=;/ -]{0,30}").prop_map(
                |(tail, label)| {
                    let mut b = format!("<meta http-equiv=x content='text/html; charset={label}'><meta charset={label}").into_bytes();
                    b.extend(tail);
                    b
                }
            ),
        ]
    }

    proptest! {
        #[test]
        fn any_bytes_decode_without_panicking(bytes in body(), ct in content_type()) {
            let text = decode(&bytes, ct.as_deref());
            let _ = crate::fetch::check_text(&bytes, &text, ct.as_deref());
        }

        #[test]
        fn utf8_declared_as_such_decodes_to_itself(text in "\\PC{0,200}") {
            prop_assume!(!text.starts_with('\u{FEFF}'));
            let decoded = decode(text.as_bytes(), Some("text/plain; charset=utf-8"));
            prop_assert_eq!(decoded.as_ref(), text.as_str());
        }
    }

    #[test]
    fn charsets_are_found_in_the_right_order() {
        // "Café – 日本" in several encodings.
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("規約 改定");
        let (w1252, _, _) = encoding_rs::WINDOWS_1252.encode("Café – “quoted”");
        let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
        utf8_bom.extend_from_slice("Café".as_bytes());
        let mut utf16_bom = vec![0xFF, 0xFE];
        for u in "Café".encode_utf16() {
            utf16_bom.extend_from_slice(&u.to_le_bytes());
        }
        let mut meta_sjis = b"<html><head><meta charset=\"Shift_JIS\"></head><body>".to_vec();
        meta_sjis.extend_from_slice(&sjis);
        let mut meta_equiv =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">"
                .to_vec();
        meta_equiv.extend_from_slice(&w1252);
        let cases: Vec<(&str, Vec<u8>, Option<&str>, &str)> = vec![
            (
                "header",
                w1252.to_vec(),
                Some("text/html; charset=windows-1252"),
                "Café – “quoted”",
            ),
            (
                "header quoted",
                w1252.to_vec(),
                Some("text/html;charset=\"ISO-8859-1\""),
                "Café – “quoted”",
            ),
            (
                "header sjis",
                sjis.to_vec(),
                Some("text/html; charset=Shift_JIS"),
                "規約 改定",
            ),
            ("utf-8 bom", utf8_bom.clone(), None, "Café"),
            (
                "bom beats header",
                utf8_bom,
                Some("text/html; charset=windows-1252"),
                "Café",
            ),
            (
                "utf-16 bom",
                utf16_bom,
                Some("text/html; charset=utf-8"),
                "Café",
            ),
            ("meta charset", meta_sjis, None, "規約 改定"),
            ("meta http-equiv", meta_equiv, None, "Café – “quoted”"),
            (
                "no declaration, utf-8",
                "Café".as_bytes().to_vec(),
                None,
                "Café",
            ),
            (
                "no declaration, legacy",
                w1252.to_vec(),
                None,
                "Café – “quoted”",
            ),
        ];
        for (name, bytes, ct, want) in cases {
            assert!(
                decode(&bytes, ct).contains(want),
                "{name}: {:?}",
                decode(&bytes, ct)
            );
        }
    }
}
