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
    /// Numbers of headings, clauses and cross-references (`1.` → `A.1.`, `Section 4` → `Section D`).
    Renumbering,
    /// British and American spellings, hyphenated and joined forms (`centre` → `center`,
    /// `log-in` → `login`).
    Spelling,
    /// A label word added to or changed before an unchanged date (`April 8` → `Effective April 8`).
    DateLabel,
    /// A heading's level or style (a heading written as a bold paragraph, `##` → `###`).
    HeadingStyle,
    /// The same paragraphs in another order within their section.
    ParagraphOrder,
    /// A paragraph split in two, or two joined, with the same words.
    Reflow,
    /// Lines of links only (breadcrumbs, navigation) or without any words, added or removed.
    Navigation,
    /// A line added or removed that repeats text the version has elsewhere (a title repeated).
    RepeatedText,
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
            Reason::Renumbering => "numbering",
            Reason::Spelling => "spelling variants",
            Reason::DateLabel => "a label before an unchanged date",
            Reason::HeadingStyle => "heading styles",
            Reason::ParagraphOrder => "order of unchanged paragraphs",
            Reason::Reflow => "paragraph breaks",
            Reason::Navigation => "navigation links",
            Reason::RepeatedText => "repeated text",
        }
    }
}

/// The order normalisations are applied in: links, numbers and dates need the punctuation that
/// later steps remove, a date label is found next to a date in any format, and sentences are
/// split before punctuation goes.
const PIPELINE: [Reason; 9] = [
    Reason::LinkTargets,
    Reason::Renumbering,
    Reason::DateLabel,
    Reason::DateFormat,
    Reason::Spelling,
    Reason::Capitalisation,
    Reason::Whitespace,
    Reason::SentenceOrder,
    Reason::Punctuation,
];

/// The order in which normalisations are tried for removal: the most forgiving first, so that a
/// whitespace-only change is called whitespace, not punctuation (which also folds whitespace).
const DROP_ORDER: [Reason; 9] = [
    Reason::SentenceOrder,
    Reason::Punctuation,
    Reason::Capitalisation,
    Reason::Spelling,
    Reason::DateLabel,
    Reason::DateFormat,
    Reason::Renumbering,
    Reason::LinkTargets,
    Reason::Whitespace,
];

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    // `[text](target "title")` (an image too) and `<https://…>` autolinks; the target may hold
    // one level of parentheses (Wikipedia-style URLs). The text stays, so a link added around or
    // removed from words is a link change.
    Regex::new(r#"!?\[(?P<text>[^\[\]]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+"[^"]*")?\)|<https?://[^>\s]*>"#)
        .expect("static regex")
});

/// A list marker or enumerator at the start of a line, after heading marks and emphasis; the
/// Markdown escape of a number that starts a line (`1\.`) is one too.
static LINE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?mix)^[\ \t]*(?P<lead>(?:\#{1,6}[\ \t]+)?[*_]*)
        (?:
            [-+*][\ \t]+
          | (?:section|article|clause|§)[\ \t]*[0-9a-z]{1,4}(?:\.[0-9a-z]{1,4})*\b\.?[\ \t]*
          | \(?[0-9]{1,3}(?:\.[0-9a-z]{1,3}\b)*\.?\\?\)[\ \t]*
          | [0-9]{1,3}(?:\.[0-9a-z]{1,3}\b)+\.?[\ \t]*
          | [0-9]{1,3}\\?\.[\ \t]*
          | [a-z](?:\.[0-9a-z]{1,3}\b)+\.?[\ \t]*
          | [a-z]\\?[.)][\ \t]+
          | \([a-z]{1,4}\)[\ \t]*
          | [ivx]{1,5}\\?[.)][\ \t]+
        )",
    )
    .expect("static regex")
});

/// A cross-reference to numbered parts: `Section 4.1`, `Sections E (Confidentiality), G and H`.
static CROSS_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    let number = r"(?:[0-9]{1,3}(?:\.[0-9A-Za-z]{1,3})*|[A-Z](?:\.[0-9A-Za-z]{1,3})*)\b";
    let title = r"(?:\s*\([^()]{1,60}\))?";
    Regex::new(&format!(
        r"(?P<word>\b(?i:sections?|clauses?|paragraphs?|articles?)\s+|§§?\s*){number}{title}(?:\s*(?:,|\band\b|\bor\b|\bto\b|\bthrough\b|-|–)\s*{number}{title})*"
    ))
    .expect("static regex")
});

static REFERENCE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\([^()]*\)|\b(?:[0-9]{1,3}(?:\.[0-9A-Za-z]{1,3})*|[A-Z](?:\.[0-9A-Za-z]{1,3})*)\b")
        .expect("static regex")
});

/// Numbers of lines and cross-references replaced by `#`.
fn strip_numbering(s: &str) -> String {
    let s = LINE_NUMBER.replace_all(s, "$lead");
    CROSS_REFERENCE
        .replace_all(&s, |c: &Captures<'_>| {
            let whole = &c[0];
            let word = &c["word"];
            let rest = REFERENCE_NUMBER.replace_all(&whole[word.len()..], |n: &Captures<'_>| {
                if n[0].starts_with('(') {
                    n[0].to_owned()
                } else {
                    "#".to_owned()
                }
            });
            format!("{}{rest}", word.trim_end())
        })
        .into_owned()
}

static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{L}\p{N}]+").expect("static regex"));

/// Joined and hyphenated forms of one word (`log-in`, `log in` → `login`).
static JOINED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(e|on|web|log|sign|set|opt|check|health|sub)[\ -](mail|line|site|in|up|out|box|care|processors?)\b")
        .expect("static regex")
});

/// Spelling variants folded to the American form, keeping the case of the first letter.
fn fold_spelling(s: &str) -> String {
    let s = JOINED.replace_all(s, |c: &Captures<'_>| {
        let joined = format!("{}{}", &c[1], &c[2]);
        let folded = super::spelling::fold(&[c[1].to_lowercase(), c[2].to_lowercase()]);
        if folded.len() == 1 {
            joined
        } else {
            c[0].to_owned()
        }
    });
    WORD.replace_all(&s, |c: &Captures<'_>| {
        let w = &c[0];
        let lower = w.to_lowercase();
        let folded = super::spelling::canonical(&lower);
        if folded == lower {
            return w.to_owned();
        }
        let mut chars = folded.chars();
        match (w.chars().next(), chars.next()) {
            (Some(f), Some(first)) if f.is_uppercase() => {
                if w.chars().all(|c| !c.is_lowercase()) {
                    folded.to_uppercase()
                } else {
                    first.to_uppercase().chain(chars).collect()
                }
            }
            _ => folded.into_owned(),
        }
    })
    .into_owned()
}

/// A label before a date removed, the date kept: `Effective from 13 November 2023` → the date.
fn strip_date_labels(s: &str) -> String {
    let mut out = s.to_owned();
    // Labels may stack (`Effective date: from ...`): repeat until nothing changes.
    loop {
        let next = crate::provisions::dates::LABELLED
            .replace_all(&out, |c: &Captures<'_>| c["date"].to_owned())
            .into_owned();
        if next == out {
            return out;
        }
        out = next;
    }
}

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

/// Letters and digits only: spaces go too, so `third-party`, `third party` and `thirdparty` are
/// one spelling.
fn strip_punctuation(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn apply(text: &str, enabled: &[Reason]) -> String {
    let mut s = text.to_owned();
    for step in PIPELINE {
        if !enabled.contains(&step) {
            continue;
        }
        s = match step {
            Reason::LinkTargets => LINK
                .replace_all(&s, |c: &Captures<'_>| match c.name("text") {
                    Some(t) => t.as_str().to_owned(),
                    None => String::new(),
                })
                .into_owned(),
            Reason::Renumbering => strip_numbering(&s),
            Reason::DateLabel => strip_date_labels(&s),
            Reason::Spelling => fold_spelling(&s),
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
            // Judged on provisions, not on text (see `provisions::changes`).
            Reason::HeadingStyle
            | Reason::ParagraphOrder
            | Reason::Reflow
            | Reason::Navigation
            | Reason::RepeatedText => s,
        };
    }
    s
}

/// The two texts without their common first and last lines.
fn differing_lines(old: &str, new: &str) -> (String, String) {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (
        a[head..a.len() - tail].join("\n"),
        b[head..b.len() - tail].join("\n"),
    )
}

/// `None` when the change is substantive; else the reasons it is cosmetic (empty when the texts
/// are identical).
pub fn classify(old: &str, new: &str) -> Option<Vec<Reason>> {
    if old == new {
        return Some(Vec::new());
    }
    // The commonest cosmetic change, answered with one cheap normalisation instead of the whole
    // search below (which gives the same answer: whitespace alone makes the texts equal).
    if apply(old, &[Reason::Whitespace]) == apply(new, &[Reason::Whitespace]) {
        return Some(vec![Reason::Whitespace]);
    }
    // Only the lines where the texts differ are normalised: every step works within a line
    // (sentences are split per line) or on the multiset of lines' sentences, to which the common
    // lines add the same on both sides. On a long policy with a few edits this is most of the
    // cost. Lines that only moved compare equal there without any step; the whole differing
    // window then decides, as before.
    let (removed, added) = changed_lines(old, new);
    if removed != added {
        if let Some(reasons) = search(&removed, &added) {
            if !reasons.is_empty() {
                return Some(reasons);
            }
        } else {
            return None;
        }
    }
    let (old, new) = differing_lines(old, new);
    search(&old, &new)
}

/// The lines of `old` that a line diff removes and the lines of `new` it adds, each in order.
fn changed_lines(old: &str, new: &str) -> (String, String) {
    let diff = similar::TextDiff::from_lines(old, new);
    let (mut removed, mut added) = (String::new(), String::new());
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => removed.push_str(change.value()),
            similar::ChangeTag::Insert => added.push_str(change.value()),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

/// The smallest set of steps under which `old` and `new` are equal, if there is one.
fn search(old: &str, new: &str) -> Option<Vec<Reason>> {
    // Sorting sentences is not a pure widening: a sentence cut in two sorts apart. So the texts
    // are equal under every normalisation, or under every one but the sentence sort.
    let all: Vec<Reason> = PIPELINE.to_vec();
    let no_sort: Vec<Reason> = all
        .iter()
        .copied()
        .filter(|r| *r != Reason::SentenceOrder)
        .collect();
    let mut enabled = [all, no_sort]
        .into_iter()
        .find(|set| apply(old, set) == apply(new, set))?;
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
mod tests;
