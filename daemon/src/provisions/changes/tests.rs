//! The change summary on provisions, on synthetic documents: one case per cosmetic reason, and
//! the topics of a change weighted to its changed words.

use super::*;

const BASE: &str = "# Example Privacy Policy\n\nLast updated: March 5, 2025\n\n## 1. Data We Collect\n\n1.1 We collect the prompts and files you submit.\n\n1.2 We collect device information such as your browser type.\n\n## 2. Retention\n\nWe keep your chats for 30 days. You can delete them at any time in your account settings.\n\nBackups are overwritten within a week.\n\n## 3. Sharing\n\nWe share data with service providers who host the Services, under contract. See the [list of providers](https://example.org/providers).\n\n## 4. Contact\n\nWrite to the privacy team at our office in the city center.\n";

fn summary(new: &str) -> ChangeSet {
    summarise(Some(BASE), new, &Taxonomy::default())
}

/// (name, new text, expected reasons); each must be cosmetic with exactly these reasons.
fn cosmetic_cases() -> Vec<(&'static str, String, Vec<Reason>)> {
    vec![
        ("whitespace", BASE.replace("We keep your chats", "We  keep your   chats"), vec![Reason::Whitespace]),
        ("punctuation", BASE.replace("under contract.", "under contract!"), vec![Reason::Punctuation]),
        ("capitalisation", BASE.replace("service providers", "Service Providers"), vec![Reason::Capitalisation]),
        ("spelling", BASE.replace("city center", "city centre"), vec![Reason::Spelling]),
        ("link target", BASE.replace("https://example.org/providers", "https://example.org/legal/providers"), vec![Reason::LinkTargets]),
        (
            "renumbering",
            BASE.replace("## 1. Data", "## A. Data").replace("1.1 We", "A.1 We").replace("1.2 We", "A.2 We"),
            vec![Reason::Renumbering],
        ),
        ("heading restyle", BASE.replace("## 4. Contact", "**4. Contact**"), vec![Reason::HeadingStyle]),
        ("heading level", BASE.replace("## 2. Retention", "### 2. Retention"), vec![Reason::HeadingStyle]),
        ("date label", BASE.replace("Last updated: March 5, 2025", "March 5, 2025").replace("BOGUS", ""), vec![]),
        ("date format", BASE.replace("March 5, 2025", "5 March 2025"), vec![Reason::DateFormat]),
        (
            "sentence order",
            BASE.replace(
                "We keep your chats for 30 days. You can delete them at any time in your account settings.",
                "You can delete them at any time in your account settings. We keep your chats for 30 days.",
            ),
            vec![Reason::SentenceOrder],
        ),
        (
            "paragraph order",
            BASE.replace(
                "1.1 We collect the prompts and files you submit.\n\n1.2 We collect device information such as your browser type.",
                "1.2 We collect device information such as your browser type.\n\n1.1 We collect the prompts and files you submit.",
            ),
            vec![Reason::ParagraphOrder],
        ),
        (
            "paragraph split",
            BASE.replace("for 30 days. You can delete", "for 30 days.\n\nYou can delete"),
            vec![Reason::Reflow],
        ),
        (
            "navigation links",
            format!("[Home](https://example.org/) / [Legal](https://example.org/legal)\n\n{BASE}"),
            vec![Reason::Navigation],
        ),
        ("empty link", format!("[](https://example.org/legal)\n\n{BASE}"), vec![Reason::Navigation]),
        (
            "repeated title",
            format!("Example Privacy Policy\n\n{BASE}"),
            vec![Reason::RepeatedText],
        ),
    ]
}

#[test]
fn each_cosmetic_reason_is_named() {
    for (name, new, reasons) in cosmetic_cases() {
        if reasons.is_empty() {
            continue;
        }
        let s = summary(&new);
        assert_eq!(s.class, Class::Cosmetic, "{name}: {:#?}", s.provisions);
        assert_eq!(s.cosmetic_reasons, reasons, "{name}: {:#?}", s.provisions);
        assert!(
            s.topics.is_empty(),
            "{name}: cosmetic changes bring no topics"
        );
    }
}

#[test]
fn a_label_added_to_an_unchanged_date_is_cosmetic() {
    let old = BASE.replace("Last updated: March 5, 2025", "March 5, 2025");
    for label in [
        "Effective March 5, 2025",
        "Effective date: March 5, 2025",
        "Last updated March 5, 2025",
    ] {
        let s = summarise(
            Some(&old),
            &old.replace("March 5, 2025", label),
            &Taxonomy::default(),
        );
        assert_eq!(s.class, Class::Cosmetic, "{label}");
        assert_eq!(s.cosmetic_reasons, [Reason::DateLabel], "{label}");
    }
    let s = summarise(
        Some(&old),
        &old.replace("March 5, 2025", "Effective April 5, 2025"),
        &Taxonomy::default(),
    );
    assert_eq!(s.class, Class::Substantive, "another date");
}

#[test]
fn one_substantive_provision_makes_the_version_substantive() {
    let new = BASE
        .replace("## 1. Data", "## A. Data")
        .replace("30 days", "90 days");
    let s = summary(&new);
    assert_eq!(s.class, Class::Substantive);
    assert!(s.cosmetic_reasons.is_empty());
    let substantive: Vec<_> = s
        .provisions
        .iter()
        .filter(|p| p.class == Class::Substantive)
        .collect();
    assert_eq!(substantive.len(), 1, "{:#?}", s.provisions);
    let p = substantive[0];
    assert_eq!(p.change, ChangeKind::Modified);
    assert_eq!(p.heading_path, ["Example Privacy Policy", "2. Retention"]);
    assert_eq!(
        p.diff.as_deref().map(|d| d.contains("[-30-]{+90+}")),
        Some(true),
        "{:?}",
        p.diff
    );
    assert_eq!(s.topics, ["data-retention"]);
    assert_eq!(
        s.ranked()[0].change,
        ChangeKind::Modified,
        "the substantive change first"
    );
}

#[test]
fn topics_come_from_the_changed_words() {
    // A long sentence rewritten around an unchanged "delete them at any time": the rewrite is
    // about sharing, and the unchanged wording does not lend its topic.
    let new = BASE.replace(
        "We share data with service providers who host the Services, under contract.",
        "We share data with service providers who host the Services, under contract, and we also sell aggregated usage statistics to advertising partners and data brokers.",
    );
    let s = summary(&new);
    assert_eq!(s.topics, ["third-party-sharing"]);
    // A small edit lends the sentence's topics: "30" → "14" in the retention sentence.
    let s = summary(&BASE.replace("30 days", "14 days"));
    assert_eq!(s.topics, ["data-retention"]);
    // A one-word grammar fix is substantive but says nothing about the sentence's topic.
    let s = summary(&BASE.replace("host the Services", "host Services"));
    assert_eq!(s.class, Class::Substantive);
    assert!(s.topics.is_empty(), "{:?}", s.topics);
    // An added paragraph brings every topic of its own text, and only those.
    let s = summary(&BASE.replace(
        "## 3. Sharing",
        "We use your chats to train our models unless you opt out.\n\n## 3. Sharing",
    ));
    assert_eq!(s.topics, ["model-training", "opt-out"]);
    // A removed paragraph brings its topics too.
    let s = summary(&BASE.replace("Backups are overwritten within a week.\n\n", ""));
    assert_eq!(s.class, Class::Substantive);
    assert!(
        s.topics.is_empty(),
        "overwriting backups names no rule: {:?}",
        s.topics
    );
}

#[test]
fn a_list_entry_takes_its_headings_topics() {
    let old = "# Terms\n\n## Prohibited uses\n\n- Sending spam\n- Attacking our systems\n";
    let new = "# Terms\n\n## Prohibited uses\n\n- Sending spam\n- Attacking our systems\n- Generating election misinformation\n";
    let s = summarise(Some(old), new, &Taxonomy::default());
    assert_eq!(s.topics, ["usage-restrictions"]);
    assert_eq!(s.provisions[0].heading_path, ["Terms", "Prohibited uses"]);
}

#[test]
fn a_paragraph_moved_to_another_section_is_substantive() {
    let new = BASE
        .replace("Backups are overwritten within a week.\n\n", "")
        .replace(
            "## 4. Contact\n\n",
            "## 4. Contact\n\nBackups are overwritten within a week.\n\n",
        );
    let s = summary(&new);
    assert_eq!(s.class, Class::Substantive, "{:#?}", s.provisions);
    assert_eq!(s.provisions.len(), 1);
    assert_eq!(s.provisions[0].change, ChangeKind::Moved);
    assert_eq!(
        s.provisions[0].heading_path,
        ["Example Privacy Policy", "4. Contact"]
    );
}

#[test]
fn first_record_and_stated_dates() {
    let s = summarise(None, BASE, &Taxonomy::default());
    assert_eq!(s.class, Class::Substantive);
    assert!(s.provisions.iter().all(|p| p.change == ChangeKind::Added));
    assert_eq!(s.dates.updated.as_deref(), Some("2025-03-05"));
    assert_eq!(s.dates.effective, None);
    let s = summary(&BASE.replace(
        "Last updated: March 5, 2025",
        "Released: April 22, 2026\n\nEffective date: April 29, 2026",
    ));
    assert_eq!(
        (s.dates.updated.as_deref(), s.dates.effective.as_deref()),
        (Some("2026-04-22"), Some("2026-04-29"))
    );
}

#[test]
fn word_diff_marks_words() {
    assert_eq!(
        word_diff("We keep chats for 30 days.", "We keep chats for 90 days."),
        "We keep chats for [-30-]{+90+} days."
    );
    assert_eq!(
        word_diff("do not sell", "may sell"),
        "[-do not-]{+may+} sell"
    );
}
