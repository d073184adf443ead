//! Config diagnostics, shared by every component's settings: one problem at a line ([`Issue`]),
//! the line of a byte offset, a collector with the checks common values need
//! ([`Diagnostics`]), human units (`units.rs`) and the shape of keys (`keys.rs`). A leaf: it
//! knows no component.

pub mod keys;
mod units;

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;
use url::Url;

pub use units::{parse_duration, parse_size};

/// One problem in a config file, at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key in dotted form, e.g. `document[3].url`.
    pub key: String,
    /// What is wrong and what is expected.
    pub message: String,
}

/// 1-based line of a byte offset.
pub fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Collects the problems of one config file while its sections are validated, each at the line
/// of its span.
#[derive(Debug)]
pub struct Diagnostics<'a> {
    src: &'a str,
    /// Where each line after the first starts, found on the first look-up: every document
    /// asks for its line, and counting from the top each time made a config of N documents
    /// cost N² (4 s of CPU at 10,000).
    line_starts: std::cell::OnceCell<Vec<usize>>,
    issues: Vec<Issue>,
}

impl<'a> Diagnostics<'a> {
    /// A collector for the file whose text is `src`.
    pub fn new(src: &'a str) -> Self {
        Self {
            src,
            line_starts: std::cell::OnceCell::new(),
            issues: Vec::new(),
        }
    }

    /// The 1-based line of a byte offset of the file (as [`line_of`] counts it).
    pub fn line(&self, offset: usize) -> usize {
        let starts = self.line_starts.get_or_init(|| {
            memchr::memchr_iter(b'\n', self.src.as_bytes())
                .map(|i| i + 1)
                .collect()
        });
        // Lines started at or before the offset, plus the first.
        starts.partition_point(|&start| start <= offset.min(self.src.len())) + 1
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }

    /// Every problem found, in line order (problems of one line in the order found).
    pub fn into_issues(mut self) -> Vec<Issue> {
        self.issues.sort_by_key(|i| i.line);
        self.issues
    }

    /// Records a problem of `key` at `span` (no line when `None`).
    pub fn push(
        &mut self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl fmt::Display,
    ) {
        self.issues.push(Issue {
            line: span.map(|s| self.line(s.start)),
            key: key.into(),
            message: message.to_string(),
        });
    }

    /// A duration, or `default` when absent or wrong (reported).
    pub fn duration(
        &mut self,
        v: &Option<Spanned<String>>,
        key: &str,
        default: Duration,
    ) -> Duration {
        match v {
            None => default,
            Some(s) => parse_duration(s.get_ref()).unwrap_or_else(|e| {
                self.push(Some(s.span()), key, e);
                default
            }),
        }
    }

    /// A size of more than 0 bytes, or `default` when absent or wrong (reported).
    pub fn size(&mut self, v: &Option<Spanned<String>>, key: &str, default: u64) -> u64 {
        match v {
            None => default,
            Some(s) => match parse_size(s.get_ref()) {
                Ok(0) => {
                    self.push(Some(s.span()), key, "must be more than 0 bytes");
                    default
                }
                Ok(n) => n,
                Err(e) => {
                    self.push(Some(s.span()), key, e);
                    default
                }
            },
        }
    }

    /// A whole number from `min` to `max`, or `default` when absent or out of range (reported).
    pub fn count(
        &mut self,
        v: &Option<Spanned<i64>>,
        key: &str,
        min: i64,
        max: i64,
        default: u64,
    ) -> u64 {
        match v {
            None => default,
            Some(n) if (min..=max).contains(n.get_ref()) => *n.get_ref() as u64,
            Some(n) => {
                self.push(
                    Some(n.span()),
                    key,
                    format!("{} is out of range; expected {min} to {max}", n.get_ref()),
                );
                default
            }
        }
    }

    /// An http(s) URL with a host, or `None` (reported).
    pub fn http_url(&mut self, u: &Spanned<String>, key: &str) -> Option<Url> {
        match Url::parse(u.get_ref()) {
            Ok(parsed)
                if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() =>
            {
                Some(parsed)
            }
            Ok(parsed) => {
                self.push(
                    Some(u.span()),
                    key,
                    format!(
                        "scheme {:?} is not supported; expected an http:// or https:// URL",
                        parsed.scheme()
                    ),
                );
                None
            }
            Err(e) => {
                self.push(
                    Some(u.span()),
                    key,
                    format!(
                        "{:?} is not a URL ({e}); expected e.g. \"https://example.org/privacy\"",
                        u.get_ref()
                    ),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indexed look-up gives the line `line_of` counts, at every offset, past the end, and
    /// for files with and without a final newline or any newline.
    #[test]
    fn indexed_lines_agree_with_counting() {
        for src in [
            "",
            "a",
            "\n",
            "a\nb",
            "a\nb\n",
            "\n\n[[document]]\nurl = \"x\"\n\n",
        ] {
            let diag = Diagnostics::new(src);
            for offset in 0..src.len() + 3 {
                assert_eq!(
                    diag.line(offset),
                    line_of(src, offset),
                    "{src:?} at {offset}"
                );
            }
        }
    }
}
