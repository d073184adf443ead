//! An archive that stays small: noisy pages (new bytes at every fetch, the same policy text)
//! keep no snapshot under the default `archive.snapshots = "versions"`, so 30 no-change cycles
//! leave the archive about its first size (measured with `du`, as a user would); background
//! packing leaves one pack that `git fsck --strict` accepts and that still serves `log`, `show`,
//! `diff` and re-extraction; a kill at either packing fail point loses nothing.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

use crate::audit;
use crate::util::*;

/// Pages of 30 to 40 KB, like the noisy benchmark's (`daemon/benches/noisy_cycle.rs`).
fn page_size(i: usize) -> usize {
    30_000 + (i * 7919) % 10_000
}

/// Tracks `docs` noisy documents `d0`, `d1`, ... with `archive` keys appended to `[archive]`.
fn setup(f: &Fixture, docs: usize, archive: &str) {
    let list: Vec<(String, &str, String)> = (0..docs)
        .map(|i| (format!("d{i}"), "privacy-policy", format!("/d{i}")))
        .collect();
    let refs: Vec<(&str, &str, &str)> = list
        .iter()
        .map(|(p, k, u)| (p.as_str(), *k, u.as_str()))
        .collect();
    f.write_config(&refs, "retries = 0");
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    let toml = toml.replacen("fsync = false\n", &format!("fsync = false\n{archive}\n"), 1);
    std::fs::write(f.config_path(), toml).expect("write");
}

/// Serves revision `rev` of every document with noise `noise` (bytes outside the policy).
fn serve(f: &Fixture, docs: usize, rev: usize, noise: usize) {
    for i in 0..docs {
        f.server.set(
            &format!("/d{i}"),
            Page::html(policy_page(i, rev, noise, page_size(i))),
        );
    }
}

/// Disk usage of `dir` in KiB, by the `du` CLI (blocks, as `du -sk` reports them).
fn du_kib(dir: &Path) -> u64 {
    let out = Command::new("du")
        .arg("-sk")
        .arg(dir)
        .output()
        .expect("du runs");
    assert!(out.status.success(), "du failed");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("du prints a size")
}

/// `(loose objects, packs)` as `git count-objects -v` counts them.
fn count_objects(archive: &Path) -> (usize, usize) {
    let out = git(archive, &["count-objects", "-v"]);
    let field = |k: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().parse().ok())
            .expect("count-objects field")
    };
    (field("count:"), field("packs:"))
}

fn run_ok(f: &Fixture, args: &[&str]) -> String {
    let out = f.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The bound of issue 13: 30 no-change cycles of noisy pages leave the archive at most 1.5 times
/// its size after the first. Under `versions` a noise fetch writes no object and moves no ref
/// (only the state file notes its time and page hash, one record per document, replaced each
/// time), so the archive should stay at its first size; the 1.5 leaves room for the file system
/// (a state file crossing a block). The same fixture under `snapshots = "all"` (today's
/// behaviour before the change) crosses the bound within five cycles, which shows the
/// measurement can fail. Eight documents keep the run short; the 200-page figures are in
/// `docs/benchmarks.md`.
#[test]
fn thirty_noisy_cycles_keep_the_archive_within_half_its_first_size() {
    const DOCS: usize = 8;
    let f = Fixture::new();
    setup(&f, DOCS, "");
    serve(&f, DOCS, 1, 1);
    assert_eq!(f.check()["new"].as_u64(), Some(DOCS as u64));
    let first = du_kib(&f.archive());
    for cycle in 2..=30 {
        serve(&f, DOCS, 1, cycle);
        let r = f.check();
        assert_eq!(
            (r["changed"].as_u64(), r["errors"].as_u64()),
            (Some(0), Some(0)),
            "cycle {cycle}: {r}"
        );
    }
    let after = du_kib(&f.archive());
    eprintln!("versions: {first} KiB after the first cycle, {after} KiB after 30");
    assert!(
        after * 2 <= first * 3,
        "{after} KiB after 30 cycles, {first} KiB after the first"
    );
    // The evidence: one snapshot per version, and the last noise fetch noted in the state.
    assert_eq!((f.count("main"), f.count("snapshots")), (DOCS, DOCS));
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(f.archive().join("termtrail-state.json")).expect("state file"),
    )
    .expect("JSON");
    let noise = &state["documents"]["d0/privacy-policy"]["noise"];
    assert!(noise["fetched_at"].as_i64().is_some(), "{state}");
    // The page hash is the SHA-256 of the last page served (as coreutils' `sha256sum` gives it).
    let served = f.path().join("served.html");
    std::fs::write(&served, policy_page(0, 1, 30, page_size(0))).expect("write");
    let out = std::process::Command::new("sha256sum")
        .arg(&served)
        .output()
        .expect("sha256sum runs");
    let hashed = String::from_utf8(out.stdout).expect("UTF-8");
    let hashed = hashed.split_whitespace().next().expect("a hash");
    assert_eq!(
        noise["pages"][0].as_str(),
        Some(format!("{hashed}.html").as_str())
    );
    f.fsck();

    // The control: the same fixture keeping every fetch grows past the bound.
    let g = Fixture::new();
    setup(&g, DOCS, "snapshots = \"all\"");
    serve(&g, DOCS, 1, 1);
    g.check();
    let first_all = du_kib(&g.archive());
    for cycle in 2..=6 {
        serve(&g, DOCS, 1, cycle);
        g.check();
    }
    let after_all = du_kib(&g.archive());
    eprintln!("all: {first_all} KiB after the first cycle, {after_all} KiB after 6");
    assert!(
        after_all * 2 > first_all * 3,
        "{after_all} KiB after 6 cycles keeping every fetch, {first_all} KiB after the first"
    );
    assert_eq!(g.count("snapshots"), DOCS * 6);
}

/// The files of `objects/pack` that are not a pack with its index (a packing's leftovers).
fn stray_pack_files(archive: &Path) -> Vec<String> {
    let dir = archive.join("objects/pack");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names
        .iter()
        .filter(|n| {
            let pair = |from: &str, to: &str| {
                n.strip_suffix(from)
                    .is_some_and(|stem| names.contains(&format!("{stem}{to}")))
            };
            !(n.starts_with("pack-") && (pair(".pack", ".idx") || pair(".idx", ".pack")))
        })
        .cloned()
        .collect()
}

/// The `Snapshot` trailer of the last version of `doc`.
fn snapshot_of(f: &Fixture, doc: &str) -> String {
    f.git(&[
        "log",
        "-1",
        "--format=%(trailers:key=Snapshot,valueonly)",
        "main",
        "--",
        &format!("{doc}.md"),
    ])
    .trim()
    .to_owned()
}

/// Past `pack_after` loose objects, a check ends by packing: one pack, no loose object, `git
/// fsck --strict` clean; the next packing replaces the pack; the packed archive serves `log`,
/// `show` and `diff`, and re-extraction reads the kept page of the last version (not a later
/// noise fetch, which was never kept).
#[test]
fn a_packed_archive_is_whole_and_serves_reading_and_reextraction() {
    const DOCS: usize = 3;
    let f = Fixture::new();
    // 3 documents write 24 objects (page, text, two trees each, two commits) per revision.
    setup(&f, DOCS, "pack_after = 10");
    serve(&f, DOCS, 1, 1);
    assert_eq!(f.check()["new"].as_u64(), Some(DOCS as u64));
    assert_eq!(
        count_objects(&f.archive()),
        (0, 1),
        "packed after the first check"
    );
    // The emptied fan-out folders went too (a file-system block each).
    let fanout: Vec<String> = std::fs::read_dir(f.archive().join("objects"))
        .expect("objects")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 2)
        .collect();
    assert!(fanout.is_empty(), "{fanout:?}");
    f.fsck();
    let first_pack = stray_pack_files(&f.archive());
    assert!(first_pack.is_empty(), "{first_pack:?}");

    // Noise writes nothing, so nothing is packed.
    serve(&f, DOCS, 1, 2);
    assert_eq!(f.check()["changed"].as_u64(), Some(0));
    assert_eq!(count_objects(&f.archive()), (0, 1));
    // New revisions: written loose, then packed into one new pack that replaces the first.
    serve(&f, DOCS, 2, 3);
    assert_eq!(f.check()["changed"].as_u64(), Some(DOCS as u64));
    assert_eq!(count_objects(&f.archive()), (0, 1));
    f.fsck();
    let v2_snapshot = snapshot_of(&f, "d2/privacy-policy");
    // A noise fetch after the version: not kept.
    serve(&f, DOCS, 2, 4);
    assert_eq!(f.check()["changed"].as_u64(), Some(0));
    assert_eq!(f.count("snapshots"), 2 * DOCS);

    let log = run_ok(&f, &["log", "d2/privacy-policy"]);
    assert_eq!(log.lines().count(), 2, "{log}");
    let show = run_ok(&f, &["show", "d2/privacy-policy"]);
    assert!(show.contains("Revision 2"), "{show}");
    let diff = run_ok(&f, &["diff", "d2/privacy-policy"]);
    assert!(diff.contains("Revision [-1-]{+2+}"), "{diff}");

    // A rules change: the revision line is removed from now on.
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    std::fs::write(
        f.config_path(),
        toml.replace("remove = [\".updated-never\"]", "remove = [\".updated\"]"),
    )
    .expect("write");
    let out = run_ok(&f, &["reextract"]);
    assert_eq!(out.matches("upgraded").count(), DOCS, "{out}");
    let text = f.git(&["show", "main:d2/privacy-policy.md"]);
    assert!(
        !text.contains("Revision") && text.contains("Section 1"),
        "{text}"
    );
    // Extracted from the kept page of revision 2, the one its version names.
    assert_eq!(snapshot_of(&f, "d2/privacy-policy"), v2_snapshot);
    assert_eq!(
        f.git(&[
            "log",
            "-1",
            "--format=%s",
            "main",
            "--",
            "d2/privacy-policy.md"
        ]),
        "Apply extraction upgrade to D2 privacy policy\n"
    );
    f.fsck();
}

/// A kill while packing (the pack written but nothing deleted yet, or part of the loose objects
/// deleted) loses nothing: `git fsck --strict` is clean at once, every revision is there, the
/// next runs record what is new and pack again, and no packing leftovers remain.
#[test]
fn a_kill_while_packing_loses_nothing() {
    const DOCS: usize = 3;
    // 24 loose objects after the first check: pruning is killed at the first and the 12th.
    let points = [
        "archive.pack-written=kill",
        "archive.pack-pruning=kill",
        "archive.pack-pruning=11*off->kill",
    ];
    for spec in points {
        let f = Fixture::new();
        setup(&f, DOCS, "pack_after = 10");
        serve(&f, DOCS, 1, 1);
        let out = f.run_env(&["check", "--json"], &[("TERMTRAIL_FAILPOINTS", spec)]);
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGKILL),
            "{spec}: not killed: {}",
            stderr(&out)
        );
        assert!(audit::fsck(&f.archive()).is_ok(), "{spec}");
        let want: BTreeMap<String, Vec<usize>> = (0..DOCS)
            .map(|i| (format!("d{i}/privacy-policy"), vec![1]))
            .collect();
        assert_eq!(audit::recorded_revisions(&f.archive()), want, "{spec}");
        // Nothing left to record; the next revisions are recorded and packed with the rest.
        let again = f.check();
        assert_eq!(
            (again["new"].as_u64(), again["changed"].as_u64()),
            (Some(0), Some(0)),
            "{spec}: {again}"
        );
        serve(&f, DOCS, 2, 2);
        assert_eq!(f.check()["changed"].as_u64(), Some(DOCS as u64), "{spec}");
        assert_eq!(count_objects(&f.archive()), (0, 1), "{spec}");
        assert!(stray_pack_files(&f.archive()).is_empty(), "{spec}");
        let want: BTreeMap<String, Vec<usize>> = (0..DOCS)
            .map(|i| (format!("d{i}/privacy-policy"), vec![1, 2]))
            .collect();
        assert_eq!(audit::recorded_revisions(&f.archive()), want, "{spec}");
        assert!(
            audit::unreachable_snapshots(&f.archive()).is_empty(),
            "{spec}"
        );
        assert!(audit::fsck(&f.archive()).is_ok(), "{spec}");
    }
}
