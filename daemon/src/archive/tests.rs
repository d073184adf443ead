//! The archive writer against the real `git` CLI: commits only on change, the ref order of a
//! fetch, start-up repairs, and values that cannot forge a trailer.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::kept::{short_hash, KeptPages};
use super::message::Trailers;
use super::*;
use crate::archive::testing::git_cli;
use crate::document::DocumentId;

impl Archive {
    fn record_version_nohold(
        &mut self,
        req: &VersionRequest,
    ) -> Result<VersionResult, ArchiveError> {
        self.record_version(req, super::Prior::default())
    }
}

fn settings(dir: &Path) -> ArchiveSettings {
    ArchiveSettings {
        path: dir.join("archive"),
        author_name: "termtrail".into(),
        author_email: "termtrail@localhost".into(),
        fsync: false,
        holds: HoldPolicy::default(),
        snapshots: Retention::Versions,
        pack_after: 0,
    }
}

fn meta(t: u64) -> SnapshotMeta {
    SnapshotMeta {
        source_url: "https://example.org/p".into(),
        final_url: "https://example.org/p".into(),
        fetched_at: SystemTime::UNIX_EPOCH + Duration::from_secs(t),
        content_type: Some("text/html".into()),
        status: 200,
        fetcher: None,
    }
}

fn version(doc: &DocumentId, snapshot: Oid, t: u64, text: &str) -> VersionRequest {
    VersionRequest {
        doc: doc.clone(),
        title: doc.default_title(),
        source_url: "https://example.org/p".into(),
        fetched_at: SystemTime::UNIX_EPOCH + Duration::from_secs(t),
        snapshot,
        extractor: "test".into(),
        text: text.into(),
        technical: false,
        plugin_summary: None,
        page_language: None,
    }
}

#[test]
fn snapshots_and_versions_are_committed_only_on_change() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = settings(tmp.path());
    let mut a = Archive::open(&s).expect("created");
    let doc = DocumentId::parse("openai/privacy-policy").expect("id");

    let s1 = a
        .record_snapshot(
            &doc,
            "OpenAI privacy policy",
            &meta(1_700_000_000),
            "html",
            b"<p>v1</p>",
        )
        .expect("ok");
    assert!(s1.changed && !s1.has_version);
    let v1 = a
        .record_version_nohold(&version(&doc, s1.commit, 1_700_000_000, "v1\n"))
        .expect("ok");
    assert!(matches!(v1, VersionResult::First(_)));

    let s2 = a
        .record_snapshot(
            &doc,
            "OpenAI privacy policy",
            &meta(1_700_000_100),
            "html",
            b"<p>v1</p>",
        )
        .expect("ok");
    assert_eq!(
        s2,
        SnapshotResult {
            commit: s1.commit,
            changed: false,
            has_version: true
        }
    );

    let s3 = a
        .record_snapshot(
            &doc,
            "OpenAI privacy policy",
            &meta(1_700_000_200),
            "html",
            b"<p>v1</p><!-- x -->",
        )
        .expect("ok");
    assert!(s3.changed);
    assert_eq!(
        a.record_version_nohold(&version(&doc, s3.commit, 1_700_000_200, "v1\n"))
            .expect("ok"),
        VersionResult::Unchanged
    );

    let s4 = a
        .record_snapshot(
            &doc,
            "OpenAI privacy policy",
            &meta(1_700_000_300),
            "html",
            b"<p>v2</p>",
        )
        .expect("ok");
    let v2 = a
        .record_version_nohold(&version(&doc, s4.commit, 1_700_000_300, "v2\n"))
        .expect("ok");
    let VersionResult::Updated(v2) = v2 else {
        panic!("expected an update, got {v2:?}")
    };
    drop(a);

    let repo = tmp.path().join("archive");
    git_cli(&repo, &["fsck", "--strict"]);
    assert_eq!(git_cli(&repo, &["rev-list", "--count", "main"]).trim(), "2");
    assert_eq!(
        git_cli(&repo, &["rev-list", "--count", "snapshots"]).trim(),
        "3"
    );
    assert_eq!(
        git_cli(&repo, &["show", "main:openai/privacy-policy.md"]),
        "v2\n"
    );
    let log = git_cli(
        &repo,
        &[
            "log",
            "--format=%s|%ct",
            "main",
            "--",
            "openai/privacy-policy.md",
        ],
    );
    assert_eq!(log, "Update OpenAI privacy policy|1700000300\nFirst record of OpenAI privacy policy|1700000000\n");
    let trailers = git_cli(
        &repo,
        &[
            "log",
            "-1",
            "--format=%(trailers:only,unfold)",
            &v2.to_string(),
        ],
    );
    for key in [
        "Source-URL: https://example.org/p",
        "Fetched-At: 2023-11-14T22:18:20Z",
        &format!("Snapshot: {}", s4.commit),
        "Content-SHA256: ",
        "Extractor: test",
    ] {
        assert!(trailers.contains(key), "missing {key:?} in\n{trailers}");
    }
    // The history reader sees the same.
    let repo = open_read_only(&repo).expect("opens");
    let h = History::new(&repo);
    let (entry, text) = h
        .version_at(&doc, Some(1_700_000_250))
        .expect("ok")
        .expect("exists");
    assert_eq!(
        (entry.summary.as_str(), text.as_str()),
        ("First record of OpenAI privacy policy", "v1\n")
    );
    assert!(h
        .version_at(&doc, Some(1_600_000_000))
        .expect("ok")
        .is_none());
}

#[test]
fn a_second_writer_is_refused_and_a_non_repository_is_not_touched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = settings(tmp.path());
    let _a = Archive::open(&s).expect("created");
    let err = Archive::open(&s).expect_err("locked").to_string();
    assert!(err.contains("in use by another termtrail process"), "{err}");

    let other = tmp.path().join("notes");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("a.txt"), "mine").expect("write");
    let err = Archive::open(&ArchiveSettings {
        path: other.clone(),
        ..s
    })
    .expect_err("refused")
    .to_string();
    assert!(err.contains("is not a git repository"), "{err}");
    assert_eq!(std::fs::read_dir(&other).expect("dir").count(), 1);
}

#[test]
fn open_moves_snapshots_to_the_snapshot_of_a_version_left_ahead_of_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = settings(tmp.path());
    let repo = tmp.path().join("archive");
    let doc = DocumentId::parse("openai/privacy-policy").expect("id");
    let page = |t: u64, body: &[u8]| SnapshotPage::new(meta(t), "html".into(), body.to_vec());
    let mut a = Archive::open(&s).expect("created");
    let s1 = a
        .record_pages(&doc, "P", &[page(1, b"<p>v1</p>")])
        .expect("ok");
    a.record_version_nohold(&version(&doc, s1.commit, 1, "v1\n"))
        .expect("ok");
    // A fetch stopped between its two ref moves: version on `main`, `snapshots` not moved.
    let pending = a
        .prepare_snapshot(&doc, "P", &[page(2, b"<p>v2</p>")])
        .expect("ok")
        .expect("new bytes");
    a.record_version_nohold(&version(&doc, pending.commit, 2, "v2\n"))
        .expect("ok");
    // And one whose text gave no version: its snapshot commit is simply unreferenced.
    let unnamed = a
        .prepare_snapshot(&doc, "P", &[page(3, b"<p>v2</p> ")])
        .expect("ok")
        .expect("new bytes");
    drop(a);
    let tip = || {
        git_cli(&repo, &["rev-parse", "refs/heads/snapshots"])
            .trim()
            .to_owned()
    };
    assert_eq!(tip(), s1.commit.to_string());

    let a = Archive::open(&s).expect("reopened");
    assert_eq!(tip(), pending.commit.to_string());
    assert_ne!(tip(), unnamed.commit.to_string());
    drop(a);
    // Nothing more to do at the next open; the repository is sound.
    drop(Archive::open(&s).expect("reopened"));
    assert_eq!(tip(), pending.commit.to_string());
    git_cli(&repo, &["fsck", "--strict"]);
}

/// Hostile values (a title, a URL, a content type, an extractor id, a plugin summary with line
/// breaks and trailer look-alikes) give one-line subjects and values: neither git nor our reader
/// sees a forged `Change-Class` trailer, and every real trailer is still read.
#[test]
fn no_value_can_add_a_line_to_a_commit_message() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut a = Archive::open(&settings(tmp.path())).expect("created");
    let doc = DocumentId::parse("acme/privacy-policy").expect("id");
    let forge = "\n\nChange-Class: technical\n";
    let mut m = meta(1_700_000_000);
    m.content_type = Some(format!("text/html{forge}"));
    m.final_url = format!("https://example.org/final{forge}");
    m.fetcher = Some(format!("browser{forge}"));
    let s = a
        .record_snapshot(&doc, &format!("ACME{forge}"), &m, "html", b"<p>v1</p>")
        .expect("snapshot");
    let mut req = version(&doc, s.commit, 1_700_000_000, "v1\n");
    req.title = format!("ACME{forge}");
    req.source_url = format!("https://example.org/p{forge}");
    req.extractor = format!("plugin:acme/1.0{forge}");
    a.record_version_nohold(&req).expect("first");
    req.text = "v2\n".into();
    req.plugin_summary = Some(format!("Date changed{forge}"));
    a.record_version_nohold(&req).expect("second");
    let repo = tmp.path().join("archive");
    for branch in ["main", "snapshots"] {
        let subjects = git_cli(&repo, &["log", "--format=%s", branch]);
        assert!(
            subjects
                .lines()
                .all(|s| s.ends_with("ACME Change-Class: technical")),
            "{subjects}"
        );
        let change_class = git_cli(
            &repo,
            &["log", "--format=%(trailers:key=Change-Class)", branch],
        );
        assert_eq!(change_class.trim(), "", "git reads a forged trailer");
    }
    let message = git_cli(&repo, &["log", "-1", "--format=%B", "main"]);
    assert!(message.contains(forge.trim()), "the case tests nothing");
    let t = Trailers::parse(&message);
    assert_eq!(t.get("Change-Class"), None, "{message}");
    assert_eq!(t.get("Document"), Some("acme/privacy-policy"));
    assert_eq!(
        t.get("Extractor"),
        Some("plugin:acme/1.0 Change-Class: technical")
    );
    assert_eq!(
        t.get("Plugin-Summary"),
        Some("Date changed Change-Class: technical")
    );
    let snapshot = git_cli(&repo, &["log", "-1", "--format=%B", "snapshots"]);
    let t = Trailers::parse(&snapshot);
    assert_eq!(t.get("Change-Class"), None, "{snapshot}");
    assert_eq!(
        t.get("Content-Type"),
        Some("text/html Change-Class: technical")
    );
}

/// The language hold on what a plugin gives: a table of names does not tell its language, so the
/// pages' `<html lang>` does. The writer remembers the language of the recorded version's page.
#[tokio::test]
async fn a_page_declaring_another_language_is_held_when_its_text_cannot_tell() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (handle, writer) =
        ArchiveHandle::start(Archive::open(&settings(tmp.path())).expect("opens"));
    let en = super::hold::subprocessor_table("en");
    let de = super::hold::subprocessor_table("de");
    let fetch = |doc: &DocumentId, t: u64, lang: Option<&str>, text: &str| {
        let page = match lang {
            Some(l) => format!("<html lang=\"{l}-XX\"><body>{text}</body></html>"),
            None => format!("<html><body>{text}</body></html>"),
        };
        let mut v = version(doc, Oid::zero(), t, text);
        v.page_language = super::declared_language(page.as_bytes());
        RecordRequest {
            doc: doc.clone(),
            title: doc.default_title(),
            pages: vec![SnapshotPage::new(meta(t), "html".into(), page.into_bytes())].into(),
            validators: Default::default(),
            version: Some(v),
            vouched: false,
        }
    };
    let outcome = |r: Result<Recorded, ArchiveError>| match r.expect("recorded").version {
        Some(VersionResult::First(_)) => "first",
        Some(VersionResult::Updated(_)) => "updated",
        Some(VersionResult::Held(_)) => "held",
        Some(VersionResult::Unchanged) | None => "unchanged",
    };
    let doc = DocumentId::parse("acme/subprocessors").expect("id");
    let mut seen = Vec::new();
    for (t, lang, text) in [
        (1, "en", &en),
        // German page: held, then confirmed by the next fetch.
        (2, "de", &de),
        (3, "de", &de),
        // Back to English: the recorded page is German now, so this is held in turn.
        (4, "en", &en),
        (5, "en", &en),
    ] {
        seen.push(outcome(
            handle.record(fetch(&doc, t, Some(lang), text)).await,
        ));
    }
    assert_eq!(seen, ["first", "held", "updated", "held", "updated"]);
    // Pages that declare nothing: the same texts are recorded at once.
    let bare = DocumentId::parse("acme/dpa").expect("id");
    let mut seen = Vec::new();
    for (t, text) in [(1, &en), (2, &de)] {
        seen.push(outcome(handle.record(fetch(&bare, t, None, text)).await));
    }
    assert_eq!(seen, ["first", "updated"]);
    drop(handle);
    writer.close();
}

/// What the archive finds through its index of root trees (`roots.rs`) is what `git` reads from
/// the branch tips, after each write, across platforms, and in an archive opened again.
#[test]
fn indexed_root_trees_agree_with_git() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = settings(tmp.path());
    let docs: Vec<DocumentId> = [
        "openai/privacy-policy",
        "openai/terms",
        "xai/terms",
        "mistral/privacy-policy",
    ]
    .iter()
    .map(|d| DocumentId::parse(d).expect("id"))
    .collect();
    let git_blob = |rev: &str| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&s.path)
            .args(["rev-parse", "--verify", "--quiet", rev])
            .output()
            .expect("git runs");
        out.status
            .success()
            .then(|| Oid::from_str(String::from_utf8_lossy(&out.stdout).trim()).expect("oid"))
    };
    let page = |round: u64, i: usize| {
        SnapshotPage::new(
            meta(1_700_000_000 + round),
            "html".into(),
            format!("<p>{i} in round {round}</p>").into_bytes(),
        )
    };
    let mut latest: Vec<Option<u64>> = vec![None; docs.len()];
    for round in 0..4u64 {
        let mut a = Archive::open(&s).expect("opens");
        // Each round writes some documents (not all), so lookups meet both fresh and old folders.
        for (i, doc) in docs.iter().enumerate() {
            if (i as u64 + round) % 3 == 2 {
                continue;
            }
            let snap = a
                .record_pages(doc, &doc.default_title(), &[page(round, i)])
                .expect("snapshot");
            a.record_version_nohold(&version(
                doc,
                snap.commit,
                1_700_000_000 + round,
                &format!("{i} {round}\n"),
            ))
            .expect("version");
            latest[i] = Some(round);
            for (j, other) in docs.iter().enumerate() {
                let on_main = git_blob(&format!("refs/heads/main:{}", other.version_path()));
                assert_eq!(
                    a.version_blob(other).expect("reads"),
                    on_main,
                    "{other} after writing {doc}"
                );
                let on_snapshots = git_blob(&format!(
                    "refs/heads/snapshots:{}",
                    other.snapshot_path("html")
                ));
                assert_eq!(
                    on_snapshots.is_some(),
                    latest[j].is_some(),
                    "{other} on snapshots"
                );
                if let Some(r) = latest[j] {
                    let no_memo = KeptPages::default();
                    let (probe, _) = a.probe(other, &[page(r, j)], &no_memo).expect("probe");
                    assert!(probe.unchanged, "{other}: its last bytes are on record");
                    assert_eq!(probe.version, on_main);
                    let (next, _) = a.probe(other, &[page(r + 1, j)], &no_memo).expect("probe");
                    assert!(!next.unchanged);
                }
            }
        }
    }
    git_cli(&s.path, &["fsck", "--strict"]);
}

/// The state's memo of the kept pages (`kept.rs`): new bytes are told by their SHA-256 without
/// git's SHA-1, equal hashes are confirmed by the blob id, and a memo bound to another blob is
/// ignored and learned again.
#[test]
fn the_kept_memo_spares_the_git_hash_of_new_bytes_and_never_hides_a_change() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = settings(tmp.path());
    let doc = DocumentId::parse("openai/privacy-policy").expect("id");
    let page = |t: u64, body: &str| SnapshotPage::new(meta(t), "html".into(), body.into());
    let mut a = Archive::open(&s).expect("created");
    a.record_pages(&doc, "P", &[page(1, "<p>v1</p>")])
        .expect("recorded");
    let kept_blob = Oid::from_str(
        git_cli(
            &s.path,
            &["rev-parse", "snapshots:openai/privacy-policy.html"],
        )
        .trim(),
    )
    .expect("blob id");
    let v1_hash = short_hash(page(9, "<p>v1</p>").sha256());

    // No memo: the page is hashed as git does, and the memo is learned from it.
    let (probe, learned) = a
        .probe(&doc, &[page(2, "<p>v1</p>")], &KeptPages::default())
        .expect("probe");
    assert!(probe.unchanged);
    let memo = learned.expect("learned from the page");
    assert_eq!(memo, KeptPages::new([(kept_blob, v1_hash)]));

    // With it, new bytes are new without a SHA-1, and nothing more is learned.
    let new = [page(3, "<p>v1</p><!-- nonce 3 -->")];
    let (probe, learned) = a.probe(&doc, &new, &memo).expect("probe");
    assert!(!probe.unchanged);
    assert!(new[0].blob_id.get().is_none(), "no git hash of new bytes");
    assert_eq!(learned, None);
    // The same bytes again are confirmed by their blob id.
    let same = [page(4, "<p>v1</p>")];
    assert!(a.probe(&doc, &same, &memo).expect("probe").0.unchanged);
    assert!(same[0].blob_id.get().is_some());

    // A wrong memo (the kept blob with the hash of other bytes) never makes those bytes
    // "unchanged": an equal hash is confirmed by the blob id.
    let other = [page(5, "<p>v2</p>")];
    let wrong = KeptPages::new([(kept_blob, short_hash(other[0].sha256()))]);
    assert!(!a.probe(&doc, &other, &wrong).expect("probe").0.unchanged);

    // A memo of another blob is ignored; the kept blob's hash is learned from its bytes, even
    // when the fetch is new bytes.
    let stale = KeptPages::new([(Oid::zero(), v1_hash)]);
    let (probe, learned) = a
        .probe(&doc, &[page(6, "<p>v1</p><!-- nonce 6 -->")], &stale)
        .expect("probe");
    assert!(!probe.unchanged);
    assert_eq!(learned, Some(memo.clone()));
    assert!(a.probe(&doc, &same, &stale).expect("probe").0.unchanged);
}

/// The writer keeps the memo of the pages it records (`kept.rs`) in the state, and saves it: a
/// later fetch of new bytes, and a noise fetch seen again, are told without git's SHA-1.
#[tokio::test]
async fn the_writer_notes_the_kept_pages_and_spares_the_git_hash_of_noise() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = settings(tmp.path());
    let (handle, writer) = ArchiveHandle::start(Archive::open(&s).expect("opens"));
    let doc = DocumentId::parse("acme/privacy").expect("id");
    let pages = |t: u64, body: &str| -> Arc<[SnapshotPage]> {
        vec![SnapshotPage::new(meta(t), "html".into(), body.into())].into()
    };
    let first = pages(1, "<p>text</p>");
    let recorded = handle
        .record(RecordRequest {
            doc: doc.clone(),
            title: "Privacy".into(),
            pages: first.clone(),
            validators: Default::default(),
            version: Some(version(&doc, Oid::zero(), 1, "text\n")),
            vouched: false,
        })
        .await
        .expect("recorded");
    assert!(recorded.snapshot.changed);
    let kept_blob =
        Oid::from_str(git_cli(&s.path, &["rev-parse", "snapshots:acme/privacy.html"]).trim())
            .expect("blob id");
    let memo = KeptPages::new([(kept_blob, short_hash(first[0].sha256()))]);
    let kept_now = || {
        handle.state().lock().expect("state").documents["acme/privacy"]
            .kept
            .clone()
    };
    assert_eq!(kept_now(), memo);

    // New bytes, same text: told new without a SHA-1, then noted as noise by their SHA-256.
    let noisy = pages(2, "<p>text</p><!-- nonce 2 -->");
    let probe = handle
        .probe(&doc, noisy.clone(), Default::default())
        .await
        .expect("probe");
    assert!(!probe.unchanged);
    let recorded = handle
        .record(RecordRequest {
            doc: doc.clone(),
            title: "Privacy".into(),
            pages: noisy.clone(),
            validators: Default::default(),
            version: None,
            vouched: true,
        })
        .await
        .expect("recorded");
    assert!(recorded.noise && !recorded.snapshot.changed);
    assert!(noisy[0].blob_id.get().is_none(), "no git hash of noise");
    // The same noise again stops at the probe, still without a SHA-1.
    let again = pages(3, "<p>text</p><!-- nonce 2 -->");
    assert!(
        handle
            .probe(&doc, again.clone(), Default::default())
            .await
            .expect("probe")
            .unchanged
    );
    assert!(again[0].blob_id.get().is_none());
    assert_eq!(kept_now(), memo);

    // Saved with the state, and read back.
    handle.save_state().await;
    drop(handle);
    writer.close();
    let saved = State::load(&s.path);
    assert_eq!(saved.documents["acme/privacy"].kept, memo);
    let noted = &saved.documents["acme/privacy"]
        .noise
        .as_ref()
        .expect("noted")
        .pages;
    assert_eq!(noted, &[format!("{}.html", hex::encode(noisy[0].sha256()))]);
}
