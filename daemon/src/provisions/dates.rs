//! Dates a version states about itself: when it takes effect and when it was last updated
//! (released), read from short date lines such as `Last updated: March 5, 2026`,
//! `Effective date: April 29, 2026` or `*Effective: April 10, 2026 (previous version)*`.

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};

/// The dates a version states.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatedDates {
    /// When the text says it takes effect: `YYYY-MM-DD`, or `YYYY-MM` when no day is given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub effective: Option<String>,
    /// When the text says it was last updated, revised or released.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub updated: Option<String>,
}

impl StatedDates {
    /// Whether neither date is stated.
    pub fn is_empty(&self) -> bool {
        self.effective.is_none() && self.updated.is_none()
    }
}

const MONTH: &str = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?";

/// Any date in a form policies write: `March 5, 2026`, `5 March 2026`, `2026-03-05`,
/// `03/05/2026` (month first), `05.03.2026` (day first), `March 2026`.
pub static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?:(?P<m1>{MONTH})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{{4}})|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{MONTH}),?\s+(?P<y2>\d{{4}})|(?P<y3>\d{{4}})-(?P<mo3>\d{{1,2}})-(?P<d3>\d{{1,2}})|(?P<mo4>\d{{1,2}})/(?P<d4>\d{{1,2}})/(?P<y4>\d{{4}})|(?P<d6>\d{{1,2}})\.(?P<mo6>\d{{1,2}})\.(?P<y6>\d{{4}})|(?P<m5>{MONTH}),?\s+(?P<y5>\d{{4}}))\b"
    ))
    .expect("static regex")
});

/// Label words that say what a date means, then the date (groups `label` and `date`).
pub static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?P<label>(?:last\s+)?(?:updated|update|modified|revised|revision)(?:\s+(?:on|date))?|release(?:d)?(?:\s+(?:on|date))?|published(?:\s+on)?|date\s+of\s+(?:last\s+)?(?:update|revision|publication)|effective(?:\s+date)?(?:\s+(?:as\s+of|from|on))?|in\s+effect\s+(?:as\s+of|from)|takes?\s+effect\s+(?:on|from)|valid\s+from|version\s+(?:date|of))\s*:?\s*(?P<date>{})",
        DATE.as_str().trim_start_matches("(?i)")
    ))
    .expect("static regex")
});

/// Longest date line, in words: a clause that happens to mention a date is not a date line.
const MAX_LINE_WORDS: usize = 16;

static MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_number(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| lower.starts_with(m))
        .map(|i| i as u32 + 1)
}

/// The date of a [`DATE`] match as `YYYY-MM-DD` (or `YYYY-MM`); `None` when it is not a real date.
pub fn iso(c: &Captures<'_>) -> Option<String> {
    let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
    let (y, m, d) = if let Some(m) = c.name("m1") {
        (num("y1")?, month_number(m.as_str())?, Some(num("d1")?))
    } else if let Some(m) = c.name("m2") {
        (num("y2")?, month_number(m.as_str())?, Some(num("d2")?))
    } else if c.name("y3").is_some() {
        (num("y3")?, num("mo3")?, Some(num("d3")?))
    } else if c.name("y4").is_some() {
        (num("y4")?, num("mo4")?, Some(num("d4")?))
    } else if c.name("y6").is_some() {
        (num("y6")?, num("mo6")?, Some(num("d6")?))
    } else {
        (num("y5")?, month_number(c.name("m5")?.as_str())?, None)
    };
    if !(1..=12).contains(&m) || !(1900..=2200).contains(&y) {
        return None;
    }
    match d {
        Some(d) if (1..=31).contains(&d) => Some(format!("{y:04}-{m:02}-{d:02}")),
        Some(_) => None,
        None => Some(format!("{y:04}-{m:02}")),
    }
}

/// Whether `line` is short and mostly a date (`Last updated: May 6, 2026`): such a line is not a
/// heading of the text under it, whatever its Markdown says.
pub fn is_date_line(line: &str) -> bool {
    let words = super::words::Words::new(line);
    words.words.len() <= MAX_LINE_WORDS
        && DATE.captures_iter(&words.plain).any(|c| iso(&c).is_some())
}

/// What kind of date a label announces.
fn is_effective(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    l.contains("effect") || l.starts_with("valid")
}

/// Whether `line` may hold a [`LABELLED`] date: it has one of the label words, or markup whose
/// removal could join two pieces into one (a link target, an HTML comment). A cheap test that
/// spares reading every long line of a policy as words.
fn may_hold_label(line: &str) -> bool {
    const STEMS: [&str; 9] = [
        "updat", "modif", "revis", "releas", "publish", "date", "effect", "valid", "version",
    ];
    if line.contains("](") || line.contains('<') {
        return true;
    }
    let lower = line.to_ascii_lowercase();
    STEMS.iter().any(|s| lower.contains(s))
}

/// The effective and last-updated dates stated in `text`: the first of each kind found on a short
/// line (a heading, a paragraph or a list item of at most 16 words besides links).
pub fn stated(text: &str) -> StatedDates {
    let mut out = StatedDates::default();
    for line in text.lines() {
        if out.effective.is_some() && out.updated.is_some() {
            break;
        }
        if !line.chars().any(|c| c.is_ascii_digit()) || !may_hold_label(line) {
            continue;
        }
        let words = super::words::Words::new(line);
        if words.words.len() > MAX_LINE_WORDS {
            continue;
        }
        for c in LABELLED.captures_iter(&words.plain) {
            let Some(date) = c.name("date").and_then(|d| DATE.captures(d.as_str())) else {
                continue;
            };
            let Some(iso) = iso(&date) else { continue };
            let slot = if is_effective(&c["label"]) {
                &mut out.effective
            } else {
                &mut out.updated
            };
            if slot.is_none() {
                *slot = Some(iso);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, effective: Option<&str>, updated: Option<&str>) {
        let d = stated(text);
        assert_eq!(
            (d.effective.as_deref(), d.updated.as_deref()),
            (effective, updated),
            "{text:?}"
        );
    }

    #[test]
    fn labels_say_which_date_it_is() {
        check(
            "# Terms\n\nLast updated: March 5, 2026\n\nText.",
            None,
            Some("2026-03-05"),
        );
        check("Effective date: 29 April 2026", Some("2026-04-29"), None);
        check(
            "> Release date: April 22, 2026\n>\n> Effective date: April 29, 2026\n",
            Some("2026-04-29"),
            Some("2026-04-22"),
        );
        check(
            "*Effective: April 10, 2026 ([previous version](https://x.example/p))*",
            Some("2026-04-10"),
            None,
        );
        check("Last Updated: February 2026", None, Some("2026-02"));
        check("Updated: 25 March 2026", None, Some("2026-03-25"));
        check("Effective from 13 November 2023", Some("2023-11-13"), None);
        check("## Last modified on 2025-12-01", None, Some("2025-12-01"));
        // Markup whose removal joins a label word back together still counts (the cheap test
        // that skips lines without a label word must not skip these).
        check(
            "Last upd<!-- x -->ated: May 6, 2026",
            None,
            Some("2026-05-06"),
        );
        check(
            "[Eff](https://x.example/e)ective: May 7, 2026",
            Some("2026-05-07"),
            None,
        );
    }

    #[test]
    fn a_date_inside_a_clause_is_not_the_version_date() {
        check(
            "Since the update of March 5, 2026 we keep your chats for a longer period than we did before, as explained in the section on retention.",
            None,
            None,
        );
        check("Effective: Smarch 45, 2026", None, None);
        check("Effective 13/45/2026", None, None);
    }

    #[test]
    fn date_lines() {
        assert!(is_date_line("Last updated: May 6, 2026"));
        assert!(is_date_line("May 2026"));
        assert!(!is_date_line("How we use your data"));
    }
}
