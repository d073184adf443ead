//! Unit tests of `cosmetic`.

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

#[test]
fn renumbering_only() {
    let old = "## 1.**Services**\n\n1. **Overview.** We provide it.\n   2. Either party may end it, see Section 4.2 (Fees) and 5.\n";
    let new = "## **Services**\n\nA.1. **Overview.** We provide it.\nI.2.b. Either party may end it, see Section D.2 (Fees) and E.\n";
    assert_eq!(classify(old, new), Some(vec![Reason::Renumbering]));
    // A changed title inside a cross-reference is not numbering.
    assert_eq!(classify(old, &new.replace("(Fees)", "(Payments)")), None);
    // Extracted Markdown escapes a number that starts a heading.
    assert_eq!(
        classify("## 2\\. Retention\n", "## B. Retention\n"),
        Some(vec![Reason::Renumbering])
    );
    assert_eq!(classify("## 2\\. Retention\n", "## B. Deletion\n"), None);
}

#[test]
fn spelling_variants_only() {
    assert_eq!(
        classify(
            "Data Center and licence organisation",
            "Data Centre and license organization"
        ),
        Some(vec![Reason::Spelling])
    );
    assert_eq!(
        classify("Data Center Infrastructure", "Data centre infrastructure"),
        Some(vec![Reason::Capitalisation, Reason::Spelling])
    );
    assert_eq!(
        classify("log-in information", "login information"),
        Some(vec![Reason::Spelling])
    );
    assert_eq!(classify("Data centre", "Data centrum"), None);
}

#[test]
fn date_label_only() {
    assert_eq!(
        classify("January 5, 2026", "Effective January 5, 2026"),
        Some(vec![Reason::DateLabel])
    );
    assert_eq!(
        classify(
            "Effective date: 13 November 2023",
            "Effective from 13 November 2023"
        ),
        Some(vec![Reason::DateLabel])
    );
    assert_eq!(classify("January 5, 2026", "Effective May 13, 2026"), None);
}

#[test]
fn link_removed_around_unchanged_text() {
    assert_eq!(
        classify(
            "at [copilot.com](https://copilot.com/), and",
            "at copilot.com, and"
        ),
        Some(vec![Reason::LinkTargets])
    );
}
