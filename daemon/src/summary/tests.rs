use super::*;

const V1: &str = "# Privacy Policy\n\nThis policy explains what we do.\n\n## Data we collect\n\nWe collect your prompts and files.\n\n## How we use data\n\nWe use your content to provide the service. We do not use it to train our models.\n\n## Retention\n\nWe keep your chats for 30 days.\n\n## Contact\n\nWrite to privacy@example.org.\n";

fn tax() -> Taxonomy {
    Taxonomy::default()
}

fn section<'s>(s: &'s Summary, heading: &str) -> &'s SectionChange {
    s.sections
        .iter()
        .find(|c| c.heading() == heading)
        .unwrap_or_else(|| panic!("no change to {heading:?} in {:#?}", s.sections))
}

#[test]
fn modified_section_has_excerpt_and_topics() {
    let v2 = V1.replace(
        "We do not use it to train our models.",
        "We may use it to train our models unless you opt out in settings.",
    );
    let s = summarise(Some(V1), &v2, &tax());
    assert_eq!(s.class, Class::Substantive);
    assert_eq!(s.sections.len(), 1, "{:#?}", s.sections);
    let c = section(&s, "Privacy Policy > How we use data");
    assert_eq!(c.change, SectionChangeKind::Modified);
    assert!(c.excerpt.contains("[-do not-]"), "{}", c.excerpt);
    assert!(c.excerpt.contains("{+may+}"), "{}", c.excerpt);
    assert!(
        c.excerpt.contains("content to provide"),
        "context kept: {}",
        c.excerpt
    );
    // The changed line also says "your content", which is not about who owns it.
    assert_eq!(c.topics, ["model-training", "opt-out"]);
    assert_eq!(s.topics, c.topics);
    assert_eq!(s.counts.lines_added, 1);
    assert_eq!(s.counts.lines_removed, 1);
    // "do not" → "may"; "unless you opt out in settings" added.
    assert_eq!(s.counts.words_removed, 3, "{:?}", s.counts);
    assert_eq!(s.counts.words_added, 8, "{:?}", s.counts);
}

#[test]
fn added_section_is_reported_with_its_start() {
    let v2 = V1.replace(
        "## Contact",
        "## Children\n\nOur services are not directed to children under 13.\n\n## Contact",
    );
    let s = summarise(Some(V1), &v2, &tax());
    assert_eq!(s.sections.len(), 1, "{:#?}", s.sections);
    let c = section(&s, "Privacy Policy > Children");
    assert_eq!(c.change, SectionChangeKind::Added);
    assert_eq!(
        c.excerpt,
        "Our services are not directed to children under 13."
    );
    assert_eq!(c.topics, ["children"]);
}

#[test]
fn removed_section_is_reported() {
    let v2 = V1.replace("## Retention\n\nWe keep your chats for 30 days.\n\n", "");
    let s = summarise(Some(V1), &v2, &tax());
    assert_eq!(s.sections.len(), 1, "{:#?}", s.sections);
    let c = section(&s, "Privacy Policy > Retention");
    assert_eq!(c.change, SectionChangeKind::Removed);
    assert!(
        c.topics.contains(&"data-retention".to_owned()),
        "{:?}",
        c.topics
    );
    assert_eq!(s.class, Class::Substantive);
}

#[test]
fn untouched_sections_do_not_bring_their_topics() {
    // Only the contact line changes; the retention section (a topic) is not part of the change.
    let v2 = V1.replace("privacy@example.org", "dpo@example.org");
    let s = summarise(Some(V1), &v2, &tax());
    assert_eq!(s.sections.len(), 1);
    assert!(s.topics.is_empty(), "{:?}", s.topics);
}

#[test]
fn cosmetic_change_is_classified_with_reason() {
    let v2 = V1.replace(
        "We keep your chats for 30 days.",
        "We keep your chats for 30 days .",
    );
    let s = summarise(Some(V1), &v2, &tax());
    assert_eq!(s.class, Class::Cosmetic);
    assert_eq!(s.cosmetic_reasons, [Reason::Punctuation]);
    assert!(
        s.headline().starts_with("cosmetic (only"),
        "{}",
        s.headline()
    );
}

#[test]
fn first_record_is_substantive_and_lists_every_section() {
    let s = summarise(None, V1, &tax());
    assert_eq!(s.class, Class::Substantive);
    assert_eq!(s.sections.len(), 5);
    assert!(s
        .sections
        .iter()
        .all(|c| c.change == SectionChangeKind::Added));
    assert_eq!(s.counts.lines_removed, 0);
}

#[test]
fn custom_topic_from_config_is_found() {
    let mut t = tax();
    t.add(
        Topic::new("contact", "Contact details", &["dpo".to_owned()]).expect("valid"),
        false,
    )
    .expect("valid");
    let v2 = V1.replace("privacy@example.org", "the dpo at dpo@example.org");
    let s = summarise(Some(V1), &v2, &t);
    assert_eq!(s.topics, ["contact"]);
}

#[test]
fn unified_diff_is_cut_on_a_line_end() {
    let v2 = V1
        .replace("30 days", "90 days")
        .replace("prompts", "prompts, images");
    let (full, cut) = unified_diff(V1, &v2, "x/y.md", 100_000);
    assert!(!cut);
    assert!(full.starts_with("--- a/x/y.md\n+++ b/x/y.md\n"), "{full}");
    assert!(full.contains("-We keep your chats for 30 days.\n+We keep your chats for 90 days.\n"));
    let (short, cut) = unified_diff(V1, &v2, "x/y.md", 60);
    assert!(cut);
    assert!(short.len() <= 60 && short.ends_with('\n'), "{short:?}");
}

#[test]
fn render_text_names_sections_and_counts() {
    let v2 = V1.replace("30 days", "90 days");
    let text = summarise(Some(V1), &v2, &tax()).render_text();
    assert!(
        text.starts_with("substantive: section(s) 1 modified; topics: data-retention\n"),
        "{text}"
    );
    assert!(
        text.contains("modified Privacy Policy > Retention"),
        "{text}"
    );
    assert!(text.contains("[-30-]{+90+}"), "{text}");
}

/// Builds a synthetic policy of about `bytes` bytes with numbered sections.
pub(crate) fn long_policy(bytes: usize, seed: u32) -> String {
    let mut s = String::from("# Terms\n\n");
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!("## Section {i}\n\n"));
        for j in 0..6 {
            s.push_str(&format!("Clause {i}.{j}: we may process, retain and share the information you provide with service providers for the purposes described in section {}. ", (i * 7 + j + seed as usize) % 97));
        }
        s.push_str("\n\n");
        i += 1;
    }
    s
}

#[test]
fn long_document_diffs_quickly() {
    let old = long_policy(300_000, 0);
    let new = old
        .replace("Clause 10.2:", "Clause 10.2 (amended):")
        .replace(
            "## Section 200\n",
            "## Section 200\n\nWe will train models on this.\n",
        )
        .replace("Clause 350.0", "Clause 350.0 and also");
    let start = Instant::now();
    let s = summarise(Some(&old), &new, &tax());
    let took = start.elapsed();
    assert_eq!(s.sections.len(), 3, "{:#?}", s.sections);
    // Debug build on a shared machine: generous bound; the release bench records the real figure.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
