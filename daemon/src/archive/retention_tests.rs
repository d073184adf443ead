//! What `snapshots` keeps under each retention, read back with the real `git` CLI: under
//! `versions` a noise fetch writes nothing while versions, failed extractions and held texts keep
//! their exact page; under `all` every change of bytes is kept.

use std::time::{Duration, SystemTime};

use super::*;
use crate::archive::testing::git_cli;
use crate::document::DocumentId;

fn settings(dir: &Path, snapshots: Retention) -> ArchiveSettings {
    ArchiveSettings {
        path: dir.join("archive"),
        author_name: "termtrail".into(),
        author_email: "termtrail@localhost".into(),
        fsync: false,
        holds: HoldPolicy::default(),
        snapshots,
        pack_after: 0,
    }
}

fn page(t: u64, bytes: &str) -> SnapshotPage {
    SnapshotPage::new(
        SnapshotMeta {
            source_url: "https://example.org/p".into(),
            final_url: "https://example.org/p".into(),
            fetched_at: SystemTime::UNIX_EPOCH + Duration::from_secs(t),
            content_type: Some("text/html".into()),
            status: 200,
            fetcher: None,
        },
        "html".into(),
        bytes.as_bytes().to_vec(),
    )
}

fn text_of(doc: &DocumentId, t: u64, text: &str) -> VersionRequest {
    VersionRequest {
        doc: doc.clone(),
        title: doc.default_title(),
        source_url: "https://example.org/p".into(),
        fetched_at: SystemTime::UNIX_EPOCH + Duration::from_secs(t),
        snapshot: Oid::zero(),
        extractor: "test".into(),
        text: text.into(),
        technical: false,
        plugin_summary: None,
        page_language: None,
    }
}

/// One fetch: `bytes` served at `t`, extracted to `text` (`None`: the extraction failed).
fn fetch(a: &mut Archive, doc: &DocumentId, t: u64, bytes: &str, text: Option<&str>) -> Recorded {
    let version = text.map(|x| text_of(doc, t, x));
    a.record(
        doc,
        "P",
        &[page(t, bytes)],
        match version {
            Some(v) => FetchText::Extracted(Box::new(v)),
            None => FetchText::Failed,
        },
        Prior::default(),
        |_, _| {},
    )
    .expect("recorded")
}

const LONG: &str = "A policy of some length, with enough text that half of it is a shrink.\n";

#[test]
fn under_versions_a_noise_fetch_keeps_no_snapshot_and_evidence_keeps_its_page() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut a = Archive::open(&settings(tmp.path(), Retention::Versions)).expect("created");
    let doc = DocumentId::parse("openai/privacy-policy").expect("id");
    let repo = tmp.path().join("archive");
    let count = || git_cli(&repo, &["rev-list", "--count", "snapshots"]);

    let first = fetch(&mut a, &doc, 100, "<p>v1 nonce=1</p>", Some(LONG));
    assert!(matches!(first.version, Some(VersionResult::First(_))));
    assert!(first.snapshot.changed && !first.noise);
    // Noise: new bytes, same text. No commit, no object; the answer says it was noise.
    let loose_before = pack::loose_objects(&repo.join("objects")).len();
    for n in 2..5 {
        let r = fetch(
            &mut a,
            &doc,
            100 * n,
            &format!("<p>v1 nonce={n}</p>"),
            Some(LONG),
        );
        assert_eq!(r.version, Some(VersionResult::Unchanged));
        assert!(r.noise && !r.snapshot.changed, "{r:?}");
        assert_eq!(r.snapshot.commit, first.snapshot.commit);
    }
    assert_eq!(count().trim(), "1");
    assert_eq!(
        pack::loose_objects(&repo.join("objects")).len(),
        loose_before
    );
    // The same bytes as the kept page are not noise: nothing changed at all.
    let same = fetch(&mut a, &doc, 500, "<p>v1 nonce=1</p>", Some(LONG));
    assert!(!same.noise && !same.snapshot.changed);

    // A failed extraction keeps its page (it may be re-extracted with fixed rules).
    let failed = fetch(&mut a, &doc, 600, "<p>broken nonce=6</p>", None);
    assert!(failed.snapshot.changed && !failed.noise);
    // A held text (it shrank) keeps its page, and so does the version that confirms it.
    let held = fetch(&mut a, &doc, 700, "<p>short nonce=7</p>", Some("Short.\n"));
    assert!(matches!(held.version, Some(VersionResult::Held(_))));
    assert!(held.snapshot.changed);
    // A new text keeps its page, and the version names it.
    let v2 = fetch(
        &mut a,
        &doc,
        800,
        "<p>v2 nonce=8</p>",
        Some(&format!("{LONG}A new clause.\n")),
    );
    let Some(VersionResult::Updated(v2_commit)) = v2.version else {
        panic!("expected an update: {v2:?}")
    };
    assert_eq!(count().trim(), "4");
    drop(a);

    git_cli(&repo, &["fsck", "--strict"]);
    let named = git_cli(
        &repo,
        &[
            "log",
            "-1",
            "--format=%(trailers:key=Snapshot,valueonly)",
            &v2_commit.to_string(),
        ],
    );
    assert_eq!(named.trim(), v2.snapshot.commit.to_string());
    assert_eq!(
        git_cli(
            &repo,
            &[
                "show",
                &format!("{}:openai/privacy-policy.html", named.trim())
            ]
        ),
        "<p>v2 nonce=8</p>"
    );
    // The kept pages, newest first: the version's, the held text's, the failed one's, the first.
    let kept = git_cli(&repo, &["log", "--format=%ct", "snapshots", "--", "openai"]);
    assert_eq!(kept, "800\n700\n600\n100\n");
}

#[test]
fn under_all_every_change_of_bytes_keeps_its_snapshot() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut a = Archive::open(&settings(tmp.path(), Retention::All)).expect("created");
    let doc = DocumentId::parse("openai/privacy-policy").expect("id");
    fetch(&mut a, &doc, 100, "<p>v1 nonce=1</p>", Some(LONG));
    for n in 2..5 {
        let r = fetch(
            &mut a,
            &doc,
            100 * n,
            &format!("<p>v1 nonce={n}</p>"),
            Some(LONG),
        );
        assert_eq!(r.version, Some(VersionResult::Unchanged));
        assert!(!r.noise && r.snapshot.changed, "{r:?}");
    }
    drop(a);
    let repo = tmp.path().join("archive");
    assert_eq!(
        git_cli(&repo, &["rev-list", "--count", "snapshots"]).trim(),
        "4"
    );
    assert_eq!(git_cli(&repo, &["rev-list", "--count", "main"]).trim(), "1");
}
