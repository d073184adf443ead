//! Unit tests of `events`.

use super::*;

#[test]
fn one_alert_per_outage() {
    let run = [1, 2, 3, 4, 5, 0, 0, 1, 0];
    let mut before = 0;
    let mut alerts = Vec::new();
    for after in run {
        alerts.extend(availability_transition(before, after, 3));
        before = after;
    }
    assert_eq!(alerts, [EventType::Unavailable, EventType::Recovered]);
}

/// Commits `text` as `doc`'s version on `main`, fetched at a fixed time, with `extra` trailers.
fn commit(repo: &Repository, doc: &str, text: &str, extra: &str) -> Oid {
    crate::archive::testing::commit_version(
        repo,
        doc,
        text,
        1_700_000_000,
        &format!("Fetched-At: 2026-01-02T03:04:05Z\n{extra}"),
    )
}

#[test]
fn events_are_rebuilt_from_git_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init_bare(dir.path()).expect("init");
    let v1 = "# Policy\n\n## Retention\n\nWe keep chats for 30 days.\n";
    let a1 = commit(&repo, "acme/privacy-policy", v1, "");
    let b1 = commit(&repo, "other/terms-of-service", "# Terms\n\nBe nice.\n", "");
    let a2 = commit(&repo, "acme/privacy-policy", &v1.replace("30", "90"), "");
    let a3 = commit(
        &repo,
        "acme/privacy-policy",
        &v1.replace("30", "91"),
        "Plugin-Summary: Retention extended by one day\nChange-Class: technical\n",
    );
    let ctx = EventContext {
        taxonomy: Taxonomy::default(),
        titles: [("acme/privacy-policy".to_owned(), "ACME privacy".to_owned())].into(),
        diff_max_bytes: 10_000,
        replayer: Default::default(),
        public_url: None,
    };
    let added = version_event(&repo, a1, &ctx)
        .expect("read")
        .expect("a version");
    assert_eq!(added.event_type, EventType::Added);
    assert_eq!(added.previous_commit, None);
    assert_eq!(added.title, "ACME privacy");
    assert_eq!(added.url, "https://example.org/acme/privacy-policy");
    assert_eq!(added.fetched_at, "2026-01-02T03:04:05Z");
    let other = version_event(&repo, b1, &ctx)
        .expect("read")
        .expect("a version");
    assert_eq!(
        other.title, "Other terms of service",
        "default title for unconfigured documents"
    );
    let changed = version_event(&repo, a2, &ctx)
        .expect("read")
        .expect("a version");
    assert_eq!(changed.event_type, EventType::Changed);
    assert_eq!(
        changed.previous_commit,
        Some(a1.to_string()),
        "skips the other document's commit"
    );
    assert_eq!(changed.commit, Some(a2.to_string()));
    assert_eq!(changed.topics, ["data-retention"]);
    assert_eq!(
        changed.sections[0].excerpt,
        "We keep chats for [-30-]{+90+} days."
    );
    assert!(changed
        .diff
        .as_deref()
        .expect("diff")
        .contains("-We keep chats for 30 days.\n+We keep chats for 90 days.\n"));
    // The same commit gives the same event, every time.
    assert_eq!(version_event(&repo, a2, &ctx).expect("read"), Some(changed));
    assert_eq!(
        version_event(&repo, a3, &ctx)
            .expect("read")
            .expect("a version")
            .plugin_summary
            .as_deref(),
        Some("Retention extended by one day")
    );
    let technical = repo.find_commit(a3).expect("commit");
    assert!(message::is_technical(technical.message().expect("message")));
}

#[test]
fn event_types_round_trip() {
    for t in [
        "document.added",
        "document.changed",
        "document.unavailable",
        "document.recovered",
    ] {
        assert_eq!(EventType::parse(t).map(EventType::as_str), Some(t));
    }
    assert_eq!(EventType::parse("x"), None);
}

#[test]
fn schema_2_events_carry_provisions_with_ids_and_stated_dates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init_bare(dir.path()).expect("init");
    let v1 = "# Policy\n\nReleased: April 1, 2026\n\n## Retention\n\nWe keep chats for 30 days.\n";
    let v2 = "# Policy\n\nReleased: April 22, 2026. Effective: April 29, 2026\n\n## Retention\n\nWe keep chats for 90 days.\n";
    let a1 = commit(&repo, "acme/privacy-policy", v1, "");
    // The trailer wins over the text (a commit written by this version of termtrail has both).
    let a2 = commit(
        &repo,
        "acme/privacy-policy",
        v2,
        "Updated-Date: 2026-04-22\n",
    );
    let ctx = EventContext {
        taxonomy: Taxonomy::default(),
        titles: HashMap::new(),
        diff_max_bytes: 10_000,
        replayer: Default::default(),
        public_url: None,
    };
    let added = version_event(&repo, a1, &ctx)
        .expect("read")
        .expect("a version");
    assert!(
        added.provisions.is_empty(),
        "a first record lists no provisions"
    );
    assert_eq!(added.updated_date.as_deref(), Some("2026-04-01"));
    let changed = version_event(&repo, a2, &ctx)
        .expect("read")
        .expect("a version");
    assert_eq!(changed.schema_version, 2);
    assert_eq!(changed.effective_date.as_deref(), Some("2026-04-29"));
    assert_eq!(changed.updated_date.as_deref(), Some("2026-04-22"));
    assert_eq!(changed.provisions_total, Some(2));
    let retention = &changed.provisions[0];
    assert_eq!(retention.topics, ["data-retention"]);
    assert_eq!(
        retention.diff.as_deref(),
        Some("We keep chats for [-30-]{+90+} days.")
    );
    // Its id is the one the history gives the clause from its first version.
    let (lineage, _) = crate::provisions::history::Replayer::new()
        .at(
            &repo,
            &DocumentId::parse("acme/privacy-policy").expect("id"),
            Some(a1),
            None,
        )
        .expect("replay")
        .expect("a version");
    let first = lineage
        .provisions()
        .iter()
        .find(|t| t.provision.text.starts_with("We keep"))
        .expect("the clause");
    assert_eq!(retention.id, first.id);
    assert_eq!(changed.topics, ["data-retention"]);
}
