//! Telling a cosmetic change from a substantive one: a change is cosmetic when the two texts become
//! equal once some normalisations are applied, and the reasons are the smallest set of those
//! normalisations that is needed.

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};

/// Why a change is only cosmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Spaces, line breaks, blank lines.
    Whitespace,
    /// Punctuation and Markdown markup characters.
    Punctuation,
    /// Upper/lower case.
    Capitalisation,
    /// The same date written another way (`March 5, 2025` → `2025-03-05`).
    DateFormat,
    /// Where a link points, with its text unchanged.
    LinkTargets,
    /// The same sentences in another order.
    SentenceOrder,
}

impl Reason {
    /// Words for people.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Whitespace => "whitespace",
            Reason::Punctuation => "punctuation",
            Reason::Capitalisation => "capitalisation",
            Reason::DateFormat => "date formats",
            Reason::LinkTargets => "link targets",
            Reason::SentenceOrder => "order of unchanged sentences",
        }
    }
}

/// The order normalisations are applied in: links and dates need the punctuation that later steps
/// remove, and sentences are split before punctuation goes.
const PIPELINE: [Reason; 6] = [
    Reason::LinkTargets,
    Reason::DateFormat,
    Reason::Capitalisation,
    Reason::Whitespace,
    Reason::SentenceOrder,
    Reason::Punctuation,
];

/// The order in which normalisations are tried for removal: the most forgiving first, so that a
/// whitespace-only change is called whitespace, not punctuation (which also folds whitespace).
const DROP_ORDER: [Reason; 6] = [
    Reason::SentenceOrder,
    Reason::Punctuation,
    Reason::Capitalisation,
    Reason::DateFormat,
    Reason::LinkTargets,
    Reason::Whitespace,
];

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    // `[text](target "title")` and `<https://…>` autolinks; the target may hold one level of
    // parentheses (Wikipedia-style URLs).
    Regex::new(r#"\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+"[^"]*")?\)|<https?://[^>\s]*>"#)
        .expect("static regex")
});

static MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

const MONTH_RE: &str = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?";

static DATE_MDY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b{MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b"
    ))
    .expect("static regex")
});
static DATE_DMY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_RE},?\s+(\d{{4}})\b"
    ))
    .expect("static regex")
});
static DATE_ISO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b").expect("static regex"));
// Numeric day-first or month-first dates are ambiguous; `/` is read month-first (US), `.` day-first.
static DATE_SLASH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b").expect("static regex"));
static DATE_DOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b").expect("static regex"));

fn month(name: &str) -> u32 {
    let lower = name.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| lower.starts_with(m))
        .map_or(0, |i| i as u32 + 1)
}

fn iso(y: &str, m: u32, d: &str) -> String {
    format!("{y}-{m:02}-{:02}", d.parse::<u32>().unwrap_or(0))
}

fn normalise_dates(s: &str) -> String {
    let s = DATE_MDY.replace_all(s, |c: &Captures<'_>| iso(&c[3], month(&c[1]), &c[2]));
    let s = DATE_DMY.replace_all(&s, |c: &Captures<'_>| iso(&c[3], month(&c[2]), &c[1]));
    let s = DATE_ISO.replace_all(&s, |c: &Captures<'_>| {
        iso(&c[1], c[2].parse().unwrap_or(0), &c[3])
    });
    let s = DATE_SLASH.replace_all(&s, |c: &Captures<'_>| {
        iso(&c[3], c[1].parse().unwrap_or(0), &c[2])
    });
    let s = DATE_DOT.replace_all(&s, |c: &Captures<'_>| {
        iso(&c[3], c[2].parse().unwrap_or(0), &c[1])
    });
    s.into_owned()
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Sentences (and lines: headings and list items have no full stop), sorted.
fn sort_sentences(s: &str) -> String {
    let mut sentences: Vec<&str> = Vec::new();
    for line in s.lines() {
        let mut start = 0;
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if matches!(b, b'.' | b'!' | b'?') && bytes.get(i + 1).is_none_or(|n| *n == b' ') {
                sentences.push(line[start..=i].trim());
                start = i + 1;
            }
        }
        sentences.push(line[start..].trim());
    }
    sentences.retain(|s| !s.is_empty());
    sentences.sort_unstable();
    sentences.join("\n")
}

fn strip_punctuation(s: &str) -> String {
    let spaced: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect();
    collapse_whitespace(&spaced)
}

fn apply(text: &str, enabled: &[Reason]) -> String {
    let mut s = text.to_owned();
    for step in PIPELINE {
        if !enabled.contains(&step) {
            continue;
        }
        s = match step {
            Reason::LinkTargets => LINK
                .replace_all(&s, |c: &Captures<'_>| {
                    if c[0].starts_with('<') {
                        "<link>".to_owned()
                    } else {
                        "]()".to_owned()
                    }
                })
                .into_owned(),
            Reason::DateFormat => normalise_dates(&s),
            Reason::Capitalisation => s.to_lowercase(),
            Reason::Whitespace => {
                // Keep line structure for sentence splitting; only fold runs inside lines and
                // drop blank lines and trailing spaces.
                s.lines()
                    .map(collapse_whitespace)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Reason::SentenceOrder => sort_sentences(&s),
            Reason::Punctuation => strip_punctuation(&s),
        };
    }
    s
}

/// `None` when the change is substantive; else the reasons it is cosmetic (empty when the texts
/// are identical).
pub fn classify(old: &str, new: &str) -> Option<Vec<Reason>> {
    if old == new {
        return Some(Vec::new());
    }
    let mut enabled: Vec<Reason> = PIPELINE.to_vec();
    if apply(old, &enabled) != apply(new, &enabled) {
        return None;
    }
    for r in DROP_ORDER {
        let without: Vec<Reason> = enabled.iter().copied().filter(|e| *e != r).collect();
        if apply(old, &without) == apply(new, &without) {
            enabled = without;
        }
    }
    enabled.sort();
    Some(enabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "# Data\n\nWe keep your chats for 30 days. You can delete them at any time.\n\nLast updated: March 5, 2025. See [our FAQ](https://example.org/faq).\n";

    fn reasons(new: &str) -> Option<Vec<Reason>> {
        classify(BASE, new)
    }

    #[test]
    fn whitespace_only() {
        let new = "# Data\n\n\nWe keep your chats   for 30 days.  You can delete them at any time.   \n\nLast updated: March 5, 2025. See [our FAQ](https://example.org/faq).\n\n";
        assert_eq!(reasons(new), Some(vec![Reason::Whitespace]));
    }

    #[test]
    fn punctuation_only() {
        let new = BASE
            .replace("at any time.", "at any time!")
            .replace("30 days", "30 days,");
        assert_eq!(reasons(&new), Some(vec![Reason::Punctuation]));
    }

    #[test]
    fn capitalisation_only() {
        let new = BASE.replace("We keep your chats", "We Keep Your Chats");
        assert_eq!(reasons(&new), Some(vec![Reason::Capitalisation]));
    }

    #[test]
    fn date_format_only() {
        for date in [
            "2025-03-05",
            "5 March 2025",
            "Mar. 5th, 2025",
            "03/05/2025",
            "05.03.2025",
        ] {
            let new = BASE.replace("March 5, 2025", date);
            assert_eq!(reasons(&new), Some(vec![Reason::DateFormat]), "{date}");
        }
    }

    #[test]
    fn another_date_is_substantive() {
        let new = BASE.replace("March 5, 2025", "April 5, 2025");
        assert_eq!(reasons(&new), None);
    }

    #[test]
    fn link_target_only() {
        let new = BASE.replace(
            "https://example.org/faq",
            "https://example.org/help/faq?x=(1)",
        );
        assert_eq!(reasons(&new), Some(vec![Reason::LinkTargets]));
    }

    #[test]
    fn sentence_order_only() {
        let new = BASE.replace(
            "We keep your chats for 30 days. You can delete them at any time.",
            "You can delete them at any time. We keep your chats for 30 days.",
        );
        assert_eq!(reasons(&new), Some(vec![Reason::SentenceOrder]));
    }

    #[test]
    fn combined_reasons_are_all_named() {
        let new = BASE
            .replace("We keep", "WE KEEP")
            .replace("March 5, 2025", "2025-03-05");
        assert_eq!(
            reasons(&new),
            Some(vec![Reason::Capitalisation, Reason::DateFormat])
        );
    }

    #[test]
    fn a_changed_word_is_substantive() {
        assert_eq!(reasons(&BASE.replace("30 days", "90 days")), None);
        assert_eq!(reasons(&BASE.replace("can delete", "cannot delete")), None);
        // A sentence moved and changed is not a reorder.
        let new = BASE.replace(
            "We keep your chats for 30 days. You can delete them at any time.",
            "You can delete them at any time. We keep your chats for 31 days.",
        );
        assert_eq!(reasons(&new), None);
    }
}
