//! Packing against the real `git` CLI: the loose objects end in a pack with the smallest packs
//! (geometric merging), the loose copies and merged packs are deleted, a larger pack is left
//! alone, an object no ref reaches is kept, and git finds the archive whole.

use std::time::{Duration, SystemTime};

use super::super::{
    Archive, ArchiveSettings, FetchText, HoldPolicy, Prior, Retention, SnapshotMeta, SnapshotPage,
    VersionRequest,
};
use super::*;
use crate::archive::testing::git_cli;
use crate::document::DocumentId;

/// Records `docs` documents at time `t`, each with a page and a text naming `round`.
fn record_round(a: &mut Archive, docs: usize, round: u64) {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + round * 100);
    for i in 0..docs {
        let doc = DocumentId::parse(&format!("p{i}/privacy-policy")).expect("id");
        let page = SnapshotPage::new(
            SnapshotMeta {
                source_url: "https://example.org/p".into(),
                final_url: "https://example.org/p".into(),
                fetched_at: at,
                content_type: Some("text/html".into()),
                status: 200,
                fetcher: None,
            },
            "html".into(),
            format!("<main>policy {i} revision {round}</main>").into_bytes(),
        );
        let version = VersionRequest {
            doc: doc.clone(),
            title: doc.default_title(),
            source_url: "https://example.org/p".into(),
            fetched_at: at,
            snapshot: Oid::zero(),
            extractor: "test".into(),
            text: format!("Policy {i}, revision {round}.\n"),
            technical: false,
            plugin_summary: None,
            page_language: None,
        };
        a.record(
            &doc,
            "P",
            &[page],
            FetchText::Extracted(Box::new(version)),
            Prior::default(),
            |_, _| {},
        )
        .expect("recorded");
    }
}

fn count_objects(repo: &Path) -> (usize, usize) {
    let out = git_cli(repo, &["count-objects", "-v"]);
    let field = |k: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().parse().ok())
            .expect("count-objects field")
    };
    (field("count:"), field("packs:"))
}

fn open(repo: &Path) -> Archive {
    Archive::open(&ArchiveSettings {
        path: repo.to_path_buf(),
        author_name: "termtrail".into(),
        author_email: "termtrail@localhost".into(),
        fsync: false,
        holds: HoldPolicy::default(),
        snapshots: Retention::Versions,
        pack_after: 0,
    })
    .expect("created")
}

/// The object counts of the packs of `repo`, smallest first.
fn pack_sizes(repo: &Path) -> Vec<usize> {
    let mut sizes: Vec<usize> = pack_indexes(&repo.join("objects/pack"))
        .iter()
        .map(|idx| index_ids(idx).expect("index").len())
        .collect();
    sizes.sort_unstable();
    sizes
}

/// What git says of the packed archive at `repo`: `fsck --strict` clean, `commits` commits on
/// `main`, and each `(REV:PATH, content)` shown as given.
fn assert_whole(repo: &Path, commits: usize, files: &[(&str, &str)]) {
    git_cli(repo, &["fsck", "--strict", "--no-progress"]);
    assert_eq!(
        git_cli(repo, &["rev-list", "--count", "main"]).trim(),
        commits.to_string()
    );
    for (object, content) in files {
        assert_eq!(git_cli(repo, &["show", object]), *content, "{object}");
    }
}

#[test]
fn packs_are_merged_while_the_next_is_under_twice_what_is_taken() {
    // (loose objects, packs smallest first, how many are merged)
    for (loose, packs, merged) in [
        (10, vec![], 0),
        (10, vec![19], 1),
        (10, vec![20], 0),
        (10, vec![5, 20], 2),
        (10, vec![10, 20, 1000], 2),
        (10, vec![10, 40, 1000], 1),
        (40, vec![40, 80, 161], 3),
        (40, vec![40, 80, 400], 2),
        (0, vec![3, 3], 0),
        (usize::MAX / 2, vec![usize::MAX / 2], 1),
    ] {
        assert_eq!(
            merged_count(loose, &packs),
            merged,
            "{loose} loose, packs {packs:?}"
        );
    }
}

#[test]
fn a_pack_holds_the_loose_objects_and_only_what_it_holds_is_deleted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("archive");
    let mut a = open(&repo);
    record_round(&mut a, 5, 1);
    // An object no ref reaches (a run killed before its ref moved leaves such objects).
    let stray = git2::Repository::open_bare(&repo)
        .expect("open")
        .blob(b"written, never published")
        .expect("blob");
    let loose = loose_objects(&repo.join("objects")).len();
    let first = pack(&repo).expect("packed");
    // Per document: 2 blobs, 2 platform trees, 2 root trees, 2 commits; and the stray.
    assert_eq!(loose, 41);
    assert_eq!(
        (first.objects, first.loose_removed, first.loose_left),
        (41, 41, 0),
        "{first:?}"
    );
    assert_eq!(first.packs_removed, 0);
    assert_eq!(count_objects(&repo), (0, 1));
    git_cli(&repo, &["cat-file", "-e", &stray.to_string()]);

    // As many new objects: the first pack holds fewer than twice them, so both become one.
    record_round(&mut a, 5, 2);
    let second = pack(&repo).expect("packed");
    assert_eq!(
        (second.objects, second.packs_removed),
        (81, 1),
        "{second:?}"
    );
    assert_eq!(count_objects(&repo), (0, 1));
    assert!(!repo
        .join(format!("objects/pack/pack-{}.pack", first.name))
        .exists());
    git_cli(&repo, &["cat-file", "-e", &stray.to_string()]);
    drop(a);
    assert_whole(
        &repo,
        10,
        &[
            ("main:p3/privacy-policy.md", "Policy 3, revision 2.\n"),
            (
                "snapshots~5:p4/privacy-policy.html",
                "<main>policy 4 revision 1</main>",
            ),
        ],
    );
}

#[test]
fn a_large_pack_is_left_alone_and_small_ones_are_merged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("archive");
    let mut a = open(&repo);
    record_round(&mut a, 20, 1);
    let big = pack(&repo).expect("packed");
    assert_eq!(big.objects, 160, "{big:?}");
    let big_pack = repo.join(format!("objects/pack/pack-{}.pack", big.name));
    let big_bytes = std::fs::read(&big_pack).expect("pack");
    // 40 new objects each round: (sizes after) [40, 160], [80, 160], [40, 80, 160]: the first
    // pack holds at least twice what is taken, and stays; then 40 + 40 + 80 = 160 new and small
    // objects, and the first pack holds fewer than twice them: all become one.
    let mut sizes = Vec::new();
    for round in 2..=5 {
        record_round(&mut a, 5, round);
        let r = pack(&repo).expect("packed");
        assert_eq!(r.loose_left, 0, "{r:?}");
        sizes.push(pack_sizes(&repo));
        assert_eq!(count_objects(&repo).0, 0);
        if round == 4 {
            // Never rewritten meanwhile: the same file, byte for byte.
            assert_eq!(std::fs::read(&big_pack).expect("pack"), big_bytes);
        }
    }
    assert_eq!(
        sizes,
        [vec![40, 160], vec![80, 160], vec![40, 80, 160], vec![320]]
    );
    assert!(!big_pack.exists());
    drop(a);
    assert_whole(
        &repo,
        40,
        &[
            ("main:p3/privacy-policy.md", "Policy 3, revision 5.\n"),
            ("main:p17/privacy-policy.md", "Policy 17, revision 1.\n"),
        ],
    );
}

#[test]
fn a_damaged_index_is_refused_and_nothing_is_read_from_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("r");
    git2::Repository::init_bare(&repo).expect("init");
    let r = git2::Repository::open_bare(&repo).expect("open");
    let blob = r.blob(b"x").expect("blob");
    let mut builder = r.packbuilder().expect("builder");
    builder.insert_object(blob, None).expect("insert");
    let pack_dir = repo.join("objects/pack");
    builder.write(&pack_dir, 0).expect("write");
    let idx = pack_dir.join(format!("pack-{}.idx", builder.name().expect("name")));
    assert_eq!(
        index_ids(&idx).expect("read"),
        std::iter::once(blob).collect::<HashSet<_>>()
    );
    assert_eq!(index_count(&idx).expect("read"), 1);
    let data = std::fs::read(&idx).expect("read");
    let cut = tmp.path().join("cut.idx");
    let mut wrong_magic = data.clone();
    wrong_magic[3] = b'X';
    // Cut short, cut within the fan-out table, a wrong magic number.
    for bad in [&data[..data.len() - 7], &data[..500], &wrong_magic[..]] {
        std::fs::write(&cut, bad).expect("write");
        assert!(matches!(index_ids(&cut), Err(PackError::BadIndex { .. })));
        assert!(matches!(index_count(&cut), Err(PackError::BadIndex { .. })));
    }
}
