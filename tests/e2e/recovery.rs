//! Crash recovery: the real binary is killed (SIGKILL, sent to itself from a named fail point)
//! at each point of a check where a run can stop, then run again. The real git CLI must then find
//! what a clean run leaves: `git fsck --strict` clean, every served revision recorded exactly
//! once, no stale lock file, every event delivered at least once under a stable id. Also: lock
//! files left by hand, half-created archives, held texts, and a panicking check in the daemon.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::process::Output;

use crate::audit;
use crate::util::*;

/// Documents `a` (same bytes while its revision stays), `b` (same, with an ETag, so an unchanged
/// page is a 304) and `c` (new bytes at every fetch, same text), and a jsonl sink.
fn setup(f: &Fixture) {
    f.write_config(
        &[
            ("a", "privacy-policy", "/a"),
            ("b", "privacy-policy", "/b"),
            ("c", "privacy-policy", "/c"),
        ],
        "retries = 0",
    );
    let mut toml = std::fs::read_to_string(f.config_path()).expect("read");
    toml.push_str(&format!(
        "\n[[sink]]\nname = \"log\"\ntype = \"jsonl\"\npath = \"{}\"\n",
        f.path().join("events.jsonl").display()
    ));
    std::fs::write(f.config_path(), toml).expect("write");
}

/// Serves revision `rev` of a and b, and c with noise `noise` (its text never changes).
fn serve(f: &Fixture, rev: usize, noise: usize) {
    f.server
        .set("/a", Page::html(policy_page(0, rev, 1, 3_000)));
    f.server
        .set("/b", Page::html(policy_page(1, rev, 1, 3_000)).with_etag());
    f.server
        .set("/c", Page::html(policy_page(2, 1, noise, 3_000)));
}

fn killed(out: &Output) -> bool {
    out.status.signal() == Some(libc::SIGKILL)
}

fn check_with(f: &Fixture, failpoints: &str) -> Output {
    f.run_env(
        &["check", "--json"],
        &[
            ("TERMTRAIL_FAILPOINTS", failpoints),
            ("RUST_LOG", "termtrail=info"),
        ],
    )
}

fn expected(pairs: &[(&str, &[usize])]) -> BTreeMap<String, Vec<usize>> {
    pairs
        .iter()
        .map(|(d, r)| (d.to_string(), r.to_vec()))
        .collect()
}

/// Every point a check of changed pages passes, with how many times the second run below
/// passes it (a, b and c are fetched; a and b are extracted and get a new version, with their
/// snapshots; c's new bytes keep the fingerprint of its recorded text: not extracted, and, a
/// noise-only fetch, no snapshot under the default retention; two events are sent).
const POINTS: &[(&str, usize)] = &[
    ("check.start", 3),
    ("check.extracted", 2),
    ("archive.snapshot-objects", 2),
    ("archive.version-objects", 2),
    ("archive.main-moved", 2),
    ("archive.snapshots-moved", 2),
    ("delivery.sent", 2),
    ("delivery.cursor-moved", 2),
];

#[test]
fn a_kill_at_any_fail_point_loses_no_version_and_no_event() {
    let mut rows = Vec::new();
    for &(point, hits) in POINTS {
        for skip in 0..hits {
            let f = Fixture::new();
            setup(&f);
            serve(&f, 1, 1);
            let first = f.check();
            assert_eq!(first["new"].as_u64(), Some(3), "{first}");
            serve(&f, 2, 2);
            let spec = format!("{point}={skip}*off->kill");
            let out = check_with(&f, &spec);
            assert!(
                killed(&out),
                "{spec}: the run was not killed (the point is passed fewer times than expected): {}\n{}",
                out.status,
                stderr(&out)
            );
            // The next run, clean, completes the record; the one after has nothing left to do.
            let out = check_with(&f, "");
            assert!(out.status.success(), "{spec}: {}", stderr(&out));
            let recovery: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("check --json prints JSON");
            assert_eq!(recovery["errors"].as_u64(), Some(0), "{spec}: {recovery}");
            // Killed between its two ref moves, a fetch left a version whose snapshot is one
            // fast-forward away: the next start moves `snapshots` there, and says so. (A kill
            // elsewhere can land in that window too: the writer runs beside the checks.)
            if point == "archive.main-moved" {
                assert!(
                    stderr(&out).contains("moved the branch to it"),
                    "{spec}: {}",
                    stderr(&out)
                );
            }
            let again = f.check();
            assert_eq!(
                (again["new"].as_u64(), again["changed"].as_u64()),
                (Some(0), Some(0)),
                "{spec}: a second run after recovery found more to record: {again}"
            );
            let archive = f.archive();
            let versions = audit::tally_versions(
                &expected(&[
                    ("a/privacy-policy", &[1, 2]),
                    ("b/privacy-policy", &[1, 2]),
                    ("c/privacy-policy", &[1]),
                ]),
                &audit::recorded_revisions(&archive),
            );
            let events = audit::tally_events(&f.path().join("events.jsonl"), &archive);
            let locks = audit::stale_locks(&archive);
            let unreachable = audit::unreachable_snapshots(&archive);
            assert!(
                unreachable.is_empty(),
                "{spec}: versions {unreachable:?} name snapshots off the branch"
            );
            let fsck = audit::fsck(&archive);
            eprintln!("{spec:<45} versions {}/{} lost {} duplicated {} | events {} (distinct {}, duplicates {}, missing {}) | locks {} | fsck {}",
                versions.recorded, versions.expected, versions.lost, versions.duplicated,
                events.delivered, events.distinct, events.duplicates, events.missing, locks.len(),
                if fsck.is_ok() { "ok" } else { "FAILED" });
            assert_eq!(
                (versions.lost, versions.duplicated, versions.unexpected),
                (0, 0, 0),
                "{spec}: {versions:?} recorded {:?}",
                audit::recorded_revisions(&archive)
            );
            assert_eq!(versions.recorded, 5, "{spec}");
            assert_eq!(
                (events.missing, events.unstable, events.torn),
                (0, 0, 0),
                "{spec}: {events:?}"
            );
            assert_eq!(events.distinct, 5, "{spec}: {events:?}");
            // Only a kill between a send and its cursor move sends that event again.
            let resent = usize::from(point == "delivery.sent");
            assert_eq!(events.duplicates, resent, "{spec}: {events:?}");
            assert!(locks.is_empty(), "{spec}: stale locks {locks:?}");
            assert!(fsck.is_ok(), "{spec}: {fsck:?}");
            rows.push(spec);
        }
    }
    eprintln!("{} kills, each followed by a complete recovery", rows.len());
    assert_eq!(rows.len(), POINTS.iter().map(|p| p.1).sum::<usize>());
}

/// A held text (a drastic shrink) is confirmed by the next fetch, whatever moment the fetch that
/// first saw it was killed at, and never by that same fetch; a lost state file costs one more
/// fetch, never the version.
#[test]
fn a_held_text_survives_kills_and_a_lost_state_file() {
    let long = |rev| Page::html(policy_page(0, rev, 1, 8_000));
    let short = Page::html(policy_page(0, 2, 1, 1_200));
    // (what happens to the first fetch of the short text, outcome of the next two clean runs)
    let cases: &[(&str, [&str; 2])] = &[
        // Killed before anything was decided: the next run is the first to see it.
        ("archive.snapshot-objects", ["held_ids", "changed_ids"]),
        ("check.extracted", ["held_ids", "changed_ids"]),
        // Killed once the hold was saved and the snapshot on record: the next run confirms.
        ("archive.snapshots-moved", ["changed_ids", ""]),
        // Not killed, but the state file (where holds live) is lost afterwards.
        ("lost-state", ["held_ids", "changed_ids"]),
    ];
    for (case, outcomes) in cases {
        let f = Fixture::new();
        f.write_config(&[("h", "privacy-policy", "/h")], "retries = 0");
        f.server.set("/h", long(1));
        assert_eq!(f.check()["new"].as_u64(), Some(1));
        f.server.set("/h", short.clone());
        if *case == "lost-state" {
            let r = f.check();
            assert_eq!(ids(&r, "held_ids"), ["h/privacy-policy"], "{r}");
            // The hold names the snapshot that holds the page.
            let log = String::from_utf8_lossy(&f.run(&["log"]).stdout).into_owned();
            let tip = f.git(&["rev-parse", "refs/heads/snapshots"]);
            assert!(log.contains(&format!("(snapshot {})", &tip[..10])), "{log}");
            std::fs::remove_file(f.archive().join("termtrail-state.json")).expect("state file");
        } else {
            let out = check_with(&f, &format!("{case}=kill"));
            assert!(killed(&out), "{case}: not killed: {}", stderr(&out));
        }
        for (run, key) in outcomes.iter().enumerate() {
            let r = f.check();
            if key.is_empty() {
                assert_eq!(
                    (
                        r["changed"].as_u64(),
                        r["held_ids"].as_array().map(Vec::len)
                    ),
                    (Some(0), Some(0)),
                    "{case} run {run}: {r}"
                );
            } else {
                assert_eq!(ids(&r, key), ["h/privacy-policy"], "{case} run {run}: {r}");
            }
        }
        let recorded = audit::recorded_revisions(&f.archive());
        assert_eq!(
            recorded.get("h/privacy-policy").map(Vec::as_slice),
            Some(&[1, 2][..]),
            "{case}"
        );
        let message = f.git(&["log", "-1", "--format=%B", "main"]);
        assert!(
            message.contains("held back") && message.contains("shrank"),
            "{case}: {message}"
        );
        assert!(audit::stale_locks(&f.archive()).is_empty(), "{case}");
        f.fsck();
    }
}

/// Lock files that a killed git writer leaves (libgit2 takes `NAME.lock` around every ref and
/// config write) are removed at start-up, each named in the log, and the run then commits and
/// delivers as usual (before, every write failed on them, for ever, and `check` still exited 0).
#[test]
fn stale_git_lock_files_are_removed_and_the_run_commits() {
    let f = Fixture::new();
    setup(&f);
    serve(&f, 1, 1);
    assert_eq!(f.check()["new"].as_u64(), Some(3));
    let locks = [
        "refs/heads/main.lock",
        "refs/heads/snapshots.lock",
        "refs/termtrail/sinks/log.lock",
        "packed-refs.lock",
        "HEAD.lock",
        "config.lock",
        "index.lock",
    ];
    for l in locks {
        let p = f.archive().join(l);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, "0123456789abcdef0123456789abcdef01234567\n").expect("write");
    }
    assert_eq!(audit::stale_locks(&f.archive()).len(), locks.len());
    serve(&f, 2, 2);
    let out = check_with(&f, "");
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        ids(&r, "changed_ids"),
        ["a/privacy-policy", "b/privacy-policy"],
        "{r}\n{}",
        stderr(&out)
    );
    let log = stderr(&out);
    for l in locks {
        assert!(
            log.lines()
                .any(|line| line.contains("removed a stale git lock file") && line.contains(l)),
            "{l} not named in the log:\n{log}"
        );
    }
    assert!(audit::stale_locks(&f.archive()).is_empty());
    // The sink's cursor moved: every version delivered once, nothing left pending.
    let events = audit::tally_events(&f.path().join("events.jsonl"), &f.archive());
    assert_eq!(
        (events.distinct, events.duplicates, events.missing),
        (5, 0, 0),
        "{events:?}"
    );
    assert_eq!(
        f.git(&["rev-parse", "refs/termtrail/sinks/log"]),
        f.git(&["rev-parse", "refs/heads/main"])
    );
    f.fsck();
}

/// A zlib-compressed loose blob `hello\n`, as `git init` leaves objects before HEAD exists.
fn write_loose_blob(archive: &std::path::Path) {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(b"blob 6\0hello\n").expect("compress");
    let dir = archive.join("objects/ce");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("013625030ba8dba906f756967f9e9ca394464a"),
        z.finish().expect("compress"),
    )
    .expect("write");
}

/// An archive whose creation stopped half-way (objects and config, no HEAD, no ref) is created
/// again in place, with a log line, instead of being refused as "not a git repository"; one
/// killed after `git init` but before termtrail's set-up has its set-up finished.
#[test]
fn a_half_created_archive_is_finished() {
    // Made by hand: what a kill inside `git init` leaves.
    let f = Fixture::new();
    setup(&f);
    serve(&f, 1, 1);
    let a = f.archive();
    for d in ["objects/info", "objects/pack", "refs/heads", "refs/tags"] {
        std::fs::create_dir_all(a.join(d)).expect("mkdir");
    }
    std::fs::write(
        a.join("config"),
        "[core]\n\trepositoryformatversion = 0\n\tbare = true\n",
    )
    .expect("write");
    write_loose_blob(&a);
    let out = check_with(&f, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("left half-created"),
        "{}",
        stderr(&out)
    );
    assert_eq!(f.count("main"), 3);
    assert_eq!(f.git(&["config", "core.logAllRefUpdates"]).trim(), "true");
    f.fsck();

    // Killed by a fail point after `git init`, before termtrail's own set-up.
    let f = Fixture::new();
    setup(&f);
    serve(&f, 1, 1);
    let out = check_with(&f, "archive.create=kill");
    assert!(killed(&out), "not killed: {}", stderr(&out));
    assert!(f.archive().join("HEAD").exists());
    let out = check_with(&f, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("set-up was not finished"),
        "{}",
        stderr(&out)
    );
    assert_eq!(f.count("main"), 3);
    assert_eq!(f.git(&["config", "gc.auto"]).trim(), "0");
    assert!(std::fs::read_to_string(f.archive().join("description"))
        .expect("description")
        .starts_with("termtrail archive"));
    f.fsck();

    // Anything else in the folder is someone's data: still refused, untouched.
    let f = Fixture::new();
    setup(&f);
    std::fs::create_dir_all(f.archive().join("objects")).expect("mkdir");
    std::fs::write(f.archive().join("notes.txt"), "mine").expect("write");
    let out = f.run(&["check"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a git repository"),
        "{}",
        stderr(&out)
    );
    assert!(!f.archive().join("HEAD").exists());
}

/// A wedged archive is not a success: when the archive refuses the writes of a check (here a
/// lock that cannot be removed: a folder in the way), or a sink's cursor cannot move, `check`
/// prints its report and exits 3, naming the failure; once fixed, the next run catches up.
#[test]
fn check_exits_3_when_the_archive_refuses_writes() {
    let f = Fixture::new();
    setup(&f);
    serve(&f, 1, 1);
    assert_eq!(f.check()["new"].as_u64(), Some(3));
    for (blocker, rev, expected) in [
        ("refs/heads/main.lock", 2, "the archive refused 2 write(s)"),
        ("refs/termtrail/sinks/log.lock", 3, "sink log: sink cursor"),
    ] {
        let blocker = f.archive().join(blocker);
        std::fs::create_dir_all(&blocker).expect("mkdir");
        serve(&f, rev, rev);
        let out = check_with(&f, "");
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report printed");
        assert_eq!(r["checked"].as_u64(), Some(3), "{r}");
        std::fs::remove_dir(&blocker).expect("rmdir");
        let r = f.check();
        assert_eq!(r["errors"].as_u64(), Some(0), "{r}");
    }
    let recorded = audit::recorded_revisions(&f.archive());
    assert_eq!(recorded["a/privacy-policy"], [1, 2, 3]);
    let events = audit::tally_events(&f.path().join("events.jsonl"), &f.archive());
    assert_eq!((events.distinct, events.missing), (7, 0), "{events:?}");
    f.fsck();
}
