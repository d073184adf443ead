//! Commit-message trailers, both ways: written one per line with single-line values, and read
//! back from the trailer block only (the last paragraph, by git's own rules through libgit2), so
//! that a line of a title or of a body paragraph can never pass for a trailer.

use crate::document::one_line;

/// The trailers of one commit message, in the order they are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailers(Vec<(String, String)>);

impl Trailers {
    /// Reads the trailer block of `message`. A message git cannot parse (it holds a NUL byte)
    /// has no trailers.
    pub fn parse(message: &str) -> Self {
        let Ok(parsed) = git2::message_trailers_bytes(message) else {
            return Self::default();
        };
        Self(
            parsed
                .iter()
                .map(|(k, v)| {
                    // A value folded over several lines (`git interpret-trailers` allows it; we
                    // never write one) reads as one line, as `%(trailers:unfold)` shows it.
                    let value = String::from_utf8_lossy(v);
                    let value = value.split('\n').map(str::trim).collect::<Vec<_>>();
                    (String::from_utf8_lossy(k).into_owned(), value.join(" "))
                })
                .collect(),
        )
    }

    /// The value of the last trailer `key` (keys compare case-insensitively, as in git).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of trailer `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl DoubleEndedIterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Every trailer, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The value of the last trailer `key` of `message`'s trailer block.
pub fn trailer(message: &str, key: &str) -> Option<String> {
    Trailers::parse(message).get(key).map(str::to_owned)
}

/// Appends the trailer line `Key: value` to a message being written. The value is made one
/// line (control characters and line breaks become spaces), so it cannot add a line; an empty
/// value is left out, since git would read the next line as its value.
pub fn push(message: &mut String, key: &str, value: &str) {
    let value = one_line(value);
    if !value.is_empty() {
        message.push_str(key);
        message.push_str(": ");
        message.push_str(&value);
        message.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A version message as `Archive::record_version` lays it out: subject, blank line, body
    /// paragraphs, blank line, trailers.
    fn message(title: &str, body: &[&str], trailers: &[(&str, &str)]) -> String {
        let mut m = format!("Update {}\n\n", one_line(title));
        for p in body {
            m.push_str(p);
            m.push_str("\n\n");
        }
        for (k, v) in trailers {
            push(&mut m, k, v);
        }
        m
    }

    #[test]
    fn our_messages_give_their_trailers_in_order() {
        let m = message(
            "ACME privacy policy",
            &["3 line(s) added, 1 removed."],
            &[
                ("Document", "acme/privacy-policy"),
                ("Source-URL", "https://acme.example/privacy?a=1#x"),
                ("Fetched-At", "2026-11-29T09:15:11Z"),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Type", "application/pdf"),
                ("Change-Class", "technical"),
            ],
        );
        let t = Trailers::parse(&m);
        assert_eq!(t.get("Document"), Some("acme/privacy-policy"));
        assert_eq!(
            t.get("source-url"),
            Some("https://acme.example/privacy?a=1#x")
        );
        assert_eq!(
            t.all("Content-Type").collect::<Vec<_>>(),
            ["text/html; charset=utf-8", "application/pdf"]
        );
        assert_eq!(trailer(&m, "Change-Class").as_deref(), Some("technical"));
        assert_eq!(t.iter().count(), 6);
        // A snapshot message: the trailers follow the subject directly.
        let m = "First snapshot of X\n\nDocument: a/b\nHTTP-Status: 200\n";
        assert_eq!(trailer(m, "HTTP-Status").as_deref(), Some("200"));
    }

    /// Each case: a message whose body or subject holds a line that looks like a trailer; the
    /// trailer must not be read.
    #[test]
    fn a_body_line_or_a_title_cannot_forge_a_trailer() {
        let cases: &[(&str, String)] = &[
            (
                "body paragraph",
                message("X", &["Change-Class: technical"], &[("Document", "a/b")]),
            ),
            (
                "title with a line break",
                message("X\n\nChange-Class: technical", &[], &[("Document", "a/b")]),
            ),
            (
                "value with a line break",
                message("X", &[], &[("Document", "a/b\nChange-Class: technical")]),
            ),
            (
                "value with a line break and a blank line",
                message(
                    "X",
                    &[],
                    &[("Source-URL", "u\n\nChange-Class: technical\n")],
                ),
            ),
            (
                "value with a carriage return",
                message("X", &[], &[("Source-URL", "u\r\nChange-Class: technical")]),
            ),
            ("subject only", "Change-Class: technical\n".to_owned()),
            (
                "body after the trailers' look-alike",
                "Update X\n\nChange-Class: technical\n\nSome text.\n".to_owned(),
            ),
        ];
        for (what, m) in cases {
            assert!(
                m.contains("Change-Class: technical"),
                "{what}: the case tests nothing"
            );
            assert_eq!(trailer(m, "Change-Class"), None, "{what}: {m:?}");
        }
    }

    #[test]
    fn empty_values_are_left_out_so_they_cannot_swallow_the_next_trailer() {
        let m = message(
            "X",
            &[],
            &[("Plugin-Summary", " \n "), ("Change-Class", "technical")],
        );
        assert!(!m.contains("Plugin-Summary"), "{m}");
        assert_eq!(trailer(&m, "Change-Class").as_deref(), Some("technical"));
        assert_eq!(
            trailer("a\0b\n\nK: v\n", "K"),
            None,
            "NUL: no trailers, no panic"
        );
    }

    proptest! {
        /// Whatever the values hold (line breaks, `Key: value` look-alikes, control characters,
        /// nothing), the message has exactly the trailers written, each value on one line.
        #[test]
        fn values_never_add_a_trailer(
            title in "(.|\n){0,60}",
            // Body paragraphs as the writer makes them: a sentence of ours that may quote
            // anything (made one line), here followed by a trailer look-alike line.
            body in proptest::collection::vec("(.|\n){0,40}", 0..3),
            values in proptest::collection::vec(
                prop_oneof![
                    ".*",
                    "[a-z]{0,5}(\r?\n[A-Z][a-z-]{0,8}: [a-z]{0,5}){1,3}\n?",
                    Just(String::new()),
                ],
                1..6,
            ),
        ) {
            let keys = ["Document", "Source-URL", "Content-Type", "Extractor", "Plugin-Summary", "Fetcher"];
            let written: Vec<(&str, &str)> =
                keys.iter().copied().zip(values.iter().map(String::as_str)).collect();
            let body: Vec<String> = body
                .iter()
                .map(|b| format!("Held back ({}).\nChange-Class: technical", one_line(b)))
                .collect();
            let body: Vec<&str> = body.iter().map(String::as_str).collect();
            let m = message(&title, &body, &written);
            let parsed = Trailers::parse(&m);
            let want: Vec<(String, String)> = written
                .iter()
                .map(|(k, v)| ((*k).to_owned(), one_line(v)))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            let got: Vec<(String, String)> =
                parsed.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            prop_assert_eq!(got, want, "message: {:?}", m);
            prop_assert_eq!(parsed.get("Change-Class"), None);
        }

        /// Any message at all parses without panicking.
        #[test]
        fn any_message_parses(m in "(.|\n){0,300}") {
            let t = Trailers::parse(&m);
            for (k, v) in t.iter() {
                prop_assert!(!k.contains('\n') && !v.contains('\n'), "{:?}: {:?}", k, v);
            }
        }
    }
}
