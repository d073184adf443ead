//! Content sniffing: whether a body served as text (HTML, plain text, JSON) really is text. The
//! `Content-Type` header is what the server claims; a misconfigured or hostile server sends
//! images, archives or random bytes as `text/html`, which would otherwise be recorded as a version
//! of replacement and control characters.

/// Why a body served as text is not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotText {
    /// Nothing, or only whitespace.
    #[error("the server sent an empty body ({0} bytes, no text); nothing to record")]
    Empty(usize),
    /// A known binary format, by its first bytes.
    #[error("the body is {0}, not text, although it is served as {1:?}")]
    Binary(&'static str, String),
    /// Too many characters that text does not hold.
    #[error("{percent}% of the body's characters are NUL, control characters or invalid sequences for its charset: it is binary data, not text (or its charset is declared wrong)")]
    Garbled {
        /// The share of such characters, in percent.
        percent: u32,
    },
}

/// Magic numbers of formats that are never text: what each body starts with, and its name.
const MAGIC: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\0", "a TIFF image"),
    (b"MM\0*", "a TIFF image"),
    (b"\0\0\x01\0", "an icon"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\0", "xz-compressed data"),
    (b"(\xb5/\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\xca\xfe\xba\xbe", "a Java class or Mach-O binary"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"\0asm", "a WebAssembly module"),
    (b"OggS", "an Ogg media file"),
    (b"ID3", "an MP3 file"),
    (b"fLaC", "a FLAC audio file"),
    (b"SQLite format 3\0", "an SQLite database"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
];

/// A share of bad characters (NUL, controls other than whitespace, U+FFFD from invalid
/// sequences) at or above which a body is not text, in percent. Random bytes give 10 to 60
/// depending on the charset; text, even with a stray wrong byte or a few escape sequences, gives
/// well under 1.
const MAX_BAD_PERCENT: usize = 10;

/// Whether the body is a PDF, whatever it is served as: it is extracted as one.
pub fn is_pdf(body: &[u8]) -> bool {
    body.starts_with(b"%PDF-")
}

/// The binary format the body's first bytes announce, if any. `BZh` and `MZ` are also how text
/// may begin, so they need their format's next bytes.
fn magic(body: &[u8]) -> Option<&'static str> {
    let (head, name) = MAGIC.iter().find(|(m, _)| body.starts_with(m))?;
    let confirmed = match *head {
        b"BZh" => body.get(3).is_some_and(u8::is_ascii_digit) && body[4..].starts_with(b"1AY&SY"),
        b"MZ" => body.len() >= 64 && body[2..64].contains(&0),
        _ => true,
    };
    if confirmed {
        return Some(name);
    }
    None
}

/// Checks that `body`, decoded as `text`, is text: not empty, not a known binary format, not
/// made of control characters and invalid sequences. `content_type` is for the message.
pub fn check_text(body: &[u8], text: &str, content_type: Option<&str>) -> Result<(), NotText> {
    if let Some(what) = magic(body) {
        return Err(NotText::Binary(
            what,
            content_type.unwrap_or("no content type").to_owned(),
        ));
    }
    let (chars, bad, visible) = census(text);
    if !visible {
        return Err(NotText::Empty(body.len()));
    }
    if bad * 100 >= chars * MAX_BAD_PERCENT {
        return Err(NotText::Garbled {
            percent: u32::try_from(bad * 100 / chars).unwrap_or(100),
        });
    }
    Ok(())
}

/// The characters of `text`: how many, how many are replacement or control characters (other
/// than tab, line feed, carriage return and form feed), and whether one is visible. This runs on
/// every fetch, so each count is one pass the compiler can vectorise: control characters are
/// U+0000–U+001F, U+007F (one byte each) and U+0080–U+009F (`C2 80`–`C2 9F` in UTF-8), and the
/// replacement character is `EF BF BD`.
fn census(text: &str) -> (usize, usize, bool) {
    let bytes = text.as_bytes();
    let (chars, ascii_controls) = count_chars_and_ascii_controls(bytes);
    let c1_controls = memchr::memchr_iter(0xC2, bytes)
        .filter(|&i| bytes.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)))
        .count();
    let replacements = memchr::memmem::find_iter(bytes, "\u{FFFD}".as_bytes()).count();
    // Printable ASCII other than the space is visible; only a page with none is read in full.
    let visible = bytes.iter().any(|&b| b > b' ' && b < 0x7f)
        || text
            .chars()
            .any(|c| !(c == '\u{FFFD}' || c.is_control() || c.is_whitespace() || c == '\u{FEFF}'));
    (chars, ascii_controls + c1_controls + replacements, visible)
}

/// The characters of the UTF-8 `bytes` (the bytes that do not continue a character) and its
/// ASCII controls other than tab, line feed, carriage return and form feed, in one pass. The
/// counts are kept in bytes over blocks of at most 255 bytes, so the compiler adds 32 bytes at a
/// time instead of widening each comparison to a 64-bit count (a fifth of the time of two
/// `filter().count()` passes on a 50 KB page).
fn count_chars_and_ascii_controls(bytes: &[u8]) -> (usize, usize) {
    let (mut chars, mut controls) = (0, 0);
    for block in bytes.chunks(255) {
        let (mut c, mut k) = (0u8, 0u8);
        for &b in block {
            // A continuation byte is 0b10xx_xxxx: -64 and below as a signed byte.
            c += u8::from((b as i8) >= -64);
            let control =
                (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r' && b != 0x0c) || b == 0x7f;
            k += u8::from(control);
        }
        chars += usize::from(c);
        controls += usize::from(k);
    }
    (chars, controls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::decode;

    /// Deterministic bytes that look random (an xorshift generator).
    fn noise(len: usize) -> Vec<u8> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    fn verdict(body: &[u8], ct: &str) -> Result<(), NotText> {
        check_text(body, &decode(body, Some(ct)), Some(ct))
    }

    /// The byte-wise census agrees with reading every character, on ASCII controls, whitespace
    /// of every kind, replacement characters, a BOM and mixed scripts.
    #[test]
    fn census_counts_as_the_chars_do() {
        let slow = |text: &str| {
            let (mut chars, mut bad, mut visible) = (0, 0, false);
            for c in text.chars() {
                chars += 1;
                if c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
                {
                    bad += 1;
                } else if !c.is_whitespace() && c != '\u{FEFF}' {
                    visible = true;
                }
            }
            (chars, bad, visible)
        };
        let mut all_ascii = String::new();
        for b in 0u8..0x80 {
            all_ascii.push(char::from(b));
        }
        // Longer than the 255-byte blocks of the count, with characters across their edges.
        let long = "a\x01é\u{9f}隐\u{1F512}\u{FFFD}\x7f ".repeat(300);
        for text in [
            long.as_str(),
            "",
            " \t\n\r\x0c",
            "\x0b\x1c\x1f\x7f\0",
            all_ascii.as_str(),
            "\u{FEFF}\u{A0}\u{2003}\u{3000}\u{85}",
            "\u{FFFD}\u{FFFD} ok",
            "Datenschutzerklärung — 隐私政策 \u{1F512}",
            "\u{9f}\u{80}x",
        ] {
            assert_eq!(census(text), slow(text), "{text:?}");
        }
    }

    #[test]
    fn binary_bodies_are_told_from_text() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(noise(500));
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend(noise(500));
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.extend(noise(500));
        let mut with_nuls = b"<html><body>".to_vec();
        with_nuls.extend(std::iter::repeat_n(0u8, 100));
        let page = "<html><body><p>Caf\u{e9} policy, \u{201c}quoted\u{201d}.</p></body></html>";
        let mut stray = page.as_bytes().repeat(20);
        stray.push(0xff);
        let escapes = format!("<p>{}</p>", "text \x1b[2J".repeat(3)).repeat(20);
        // (case, body, content type, Ok or a part of the reason)
        type Case<'a> = (&'a str, Vec<u8>, &'a str, Result<(), &'a str>);
        let cases: Vec<Case> = vec![
            ("png", png, "text/html", Err("a PNG image")),
            ("zip", zip, "text/plain", Err("a ZIP archive")),
            ("elf", elf, "text/html", Err("an ELF executable")),
            (
                "random as utf-8",
                noise(70_000),
                "text/html; charset=utf-8",
                Err("binary"),
            ),
            (
                "random, no charset",
                noise(70_000),
                "text/html",
                Err("binary"),
            ),
            (
                "random as latin-1",
                noise(70_000),
                "text/html; charset=iso-8859-1",
                Err("binary"),
            ),
            ("nuls", with_nuls, "text/html", Err("binary")),
            ("empty", Vec::new(), "text/html", Err("empty body")),
            (
                "blank",
                b"  \n\t ".to_vec(),
                "text/plain",
                Err("empty body"),
            ),
            (
                "page",
                page.as_bytes().to_vec(),
                "text/html; charset=utf-8",
                Ok(()),
            ),
            ("one stray byte", stray, "text/html; charset=utf-8", Ok(())),
            (
                "escape sequences",
                escapes.into_bytes(),
                "text/html",
                Ok(()),
            ),
            (
                "text starting MZ",
                b"MZ is a state code.".to_vec(),
                "text/plain",
                Ok(()),
            ),
            (
                "text starting BZh",
                b"BZh, said the bee.".to_vec(),
                "text/plain",
                Ok(()),
            ),
        ];
        for (name, body, ct, want) in cases {
            match (verdict(&body, ct), want) {
                (Ok(()), Ok(())) => {}
                (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
        // UTF-16 with its BOM is text: its NUL bytes are half of each character.
        let mut utf16 = vec![0xff, 0xfe];
        for u in "<p>Privacy policy</p>".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(verdict(&utf16, "text/html"), Ok(()));
        assert!(is_pdf(b"%PDF-1.7\n%\xe2\xe3"));
        assert!(!is_pdf(b"<html>%PDF-"));
    }
}
