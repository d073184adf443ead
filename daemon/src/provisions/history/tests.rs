//! Replays read from a real (bare, libgit2-written) repository with two documents interleaved.

use super::*;

/// Commits `text` as `doc`'s version on `main` at `time`, with the trailers the archive writes.
fn commit(repo: &Repository, doc: &str, text: &str, time: i64) -> Oid {
    crate::archive::testing::commit_version(repo, doc, text, time, "")
}

const V1: &str = "# Terms\n\n## 1. Data\n\nWe keep your chats for 30 days.\n\n## 2. Disputes\n\nCourts of Delaware decide disputes.\n";

struct Fixture {
    _dir: tempfile::TempDir,
    repo: Repository,
    doc: DocumentId,
    commits: Vec<Oid>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init_bare(dir.path()).expect("init");
    let v2 = V1
        .replace("## 1. Data", "## A. Data")
        .replace("## 2. Disputes", "## B. Disputes");
    let v3 = v2.replace("30 days", "90 days");
    let mut commits = Vec::new();
    commits.push(commit(&repo, "acme/terms", V1, 1_700_000_000));
    commit(&repo, "other/terms", "# Other\n\nText.\n", 1_700_000_100);
    commits.push(commit(&repo, "acme/terms", &v2, 1_700_000_200));
    commit(
        &repo,
        "other/terms",
        "# Other\n\nText two.\n",
        1_700_000_300,
    );
    commits.push(commit(&repo, "acme/terms", &v3, 1_700_000_400));
    Fixture {
        _dir: dir,
        repo,
        doc: DocumentId::parse("acme/terms").expect("valid"),
        commits,
    }
}

fn ids(l: &Lineage) -> Vec<String> {
    l.provisions().iter().map(|t| t.id.clone()).collect()
}

#[test]
fn a_cached_replay_gives_the_ids_of_a_fresh_one() {
    let f = fixture();
    let replayer = Replayer::new();
    let tax = Taxonomy::default();
    // Version by version, as delivery asks for events: each step uses the cache.
    let mut stepwise = Vec::new();
    for c in &f.commits {
        let (l, set) = replayer
            .at(&f.repo, &f.doc, Some(*c), Some(&tax))
            .expect("read")
            .expect("a version");
        stepwise.push((ids(&l), set.expect("described")));
    }
    for (i, c) in f.commits.iter().enumerate() {
        let (fresh, set) = Replayer::new()
            .at(&f.repo, &f.doc, Some(*c), Some(&tax))
            .expect("read")
            .expect("a version");
        assert_eq!(ids(&fresh), stepwise[i].0, "version {i}");
        assert_eq!(set.expect("described"), stepwise[i].1, "version {i}");
    }
    // Asking for an older version after a newer one replays from the start.
    let (old, _) = replayer
        .at(&f.repo, &f.doc, Some(f.commits[0]), None)
        .expect("read")
        .expect("a version");
    assert_eq!(ids(&old), stepwise[0].0);
    // The renumbering kept every id; the last step changed one provision, substantively.
    assert_eq!(stepwise[0].0, stepwise[2].0);
    let last = &stepwise[2].1;
    assert_eq!(last.provisions.len(), 1);
    assert_eq!(last.topics, ["data-retention"]);
    let latest = replayer
        .at(&f.repo, &f.doc, None, None)
        .expect("read")
        .expect("a version")
        .0;
    let keep = latest
        .provisions()
        .iter()
        .find(|t| t.provision.text.starts_with("We keep"))
        .expect("there");
    assert_eq!(keep.first_seen.commit, f.commits[0].to_string());
    assert_eq!(keep.last_changed.commit, f.commits[2].to_string());
}

#[test]
fn a_commit_of_another_document_is_not_a_version() {
    let f = fixture();
    let other = f
        .repo
        .find_commit(f.commits[1])
        .expect("commit")
        .parent(0)
        .expect("the other document's commit")
        .id();
    let err = Replayer::new()
        .at(&f.repo, &f.doc, Some(other), None)
        .expect_err("not a version");
    assert!(matches!(err, HistoryError::NotAVersion { .. }), "{err}");
    let none = Replayer::new()
        .at(
            &f.repo,
            &DocumentId::parse("nobody/terms").expect("valid"),
            None,
            None,
        )
        .expect("read");
    assert!(none.is_none());
}

#[test]
fn timeline_of_one_provision() {
    let f = fixture();
    let tax = Taxonomy::default();
    let (l, _) = Replayer::new()
        .at(&f.repo, &f.doc, None, None)
        .expect("read")
        .expect("a version");
    let keep = l
        .provisions()
        .iter()
        .find(|t| t.provision.text.starts_with("We keep"))
        .expect("there")
        .id
        .clone();
    let t = timeline(&f.repo, &f.doc, &keep[..6], &tax).expect("read");
    let steps: Vec<(ChangeKind, Class)> = t.iter().map(|e| (e.change, e.class)).collect();
    assert_eq!(
        steps,
        [
            (ChangeKind::Added, Class::Substantive),
            (ChangeKind::Modified, Class::Substantive)
        ]
    );
    assert_eq!(t[1].commit, f.commits[2].to_string());
    assert_eq!(t[1].date, "2023-11-14T22:20:00Z");
    assert_eq!(
        t[1].diff.as_deref(),
        Some("We keep your chats for [-30-]{+90+} days.")
    );
    assert_eq!(t[1].heading_path, ["Terms", "A. Data"]);
    let heading = l.provisions()[1].id.clone();
    let t = timeline(&f.repo, &f.doc, &heading, &tax).expect("read");
    assert_eq!(t.len(), 2, "added, then renumbered: {t:#?}");
    assert_eq!(t[1].class, Class::Cosmetic);
}
