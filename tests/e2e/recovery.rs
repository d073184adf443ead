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
/// passes it (a, b and c are fetched; a and b get a new version; two events are sent).
const POINTS: &[(&str, usize)] = &[
    ("check.start", 3),
    ("check.extracted", 3),
    ("archive.snapshot-objects", 3),
    ("archive.version-objects", 2),
    ("archive.main-moved", 2),
    ("archive.snapshots-moved", 3),
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
