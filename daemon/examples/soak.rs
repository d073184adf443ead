//! Crash soak: hundreds of kills of the real binary at random moments, then an audit of the
//! archive with the real git CLI. Fails (exit 1) when a version is lost or duplicated, an event
//! is missing, a lock file is left, or `git fsck --strict` complains.
//!
//! Documents served on 127.0.0.1 change between rounds (new revisions, or only new bytes around
//! the same text; some with ETags, one large). Each round runs `termtrail` one to three times,
//! each killed: by a random fail point (`TERMTRAIL_FAILPOINTS`, kill at its Nth pass), or by
//! SIGKILL from outside after a random delay, as `check` or as the daemon. Then one clean
//! `check` must bring the archive to what a run without kills gives: each revision served in the
//! round recorded once, each version delivered to the jsonl sink.
//!
//! Two lanes (own server, archive and documents each) run side by side for `--seconds` (120 by
//! default), then each is audited; the counts are printed.
//!
//! Run after `cargo build --workspace` (it drives `target/debug/termtrail`, whose fail points
//! only debug builds have): `cargo run -p termtrail --example soak -- [--seconds S] [--seed N]
//! [--lanes N] [--rounds N]`; `.ci/run` runs it.

#[path = "../../tests/e2e/server.rs"]
#[allow(dead_code)]
mod server;

#[path = "../../tests/e2e/audit.rs"]
mod audit;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use server::{policy_page, Page, Server};

/// Fail points a check or its delivery passes, with the largest pass count to draw from (the
/// kill comes at a random pass up to it; a run that passes fewer times is not killed).
const POINTS: &[(&str, u32)] = &[
    ("check.start", 9),
    ("check.extracted", 5),
    ("archive.snapshot-objects", 5),
    ("archive.version-objects", 3),
    ("archive.main-moved", 3),
    ("archive.snapshots-moved", 5),
    // Packing (`pack_after` is low below, so a round with new versions packs).
    ("archive.pack-written", 1),
    ("archive.pack-pruning", 40),
    ("delivery.sent", 3),
    ("delivery.cursor-moved", 3),
];

/// How each document of the soak is served.
#[derive(Clone, Copy)]
enum Style {
    /// Same bytes while the revision stays.
    Stable,
    /// Same, with an ETag (an unchanged page is a 304).
    Etag,
    /// New bytes around the text at every round.
    Noisy,
}

struct Doc {
    platform: String,
    style: Style,
    size: usize,
    revision: usize,
    noise: usize,
}

impl Doc {
    fn path(&self) -> String {
        format!("/{}", self.platform)
    }

    fn id(&self) -> String {
        format!("{}/privacy-policy", self.platform)
    }

    fn page(&self, index: usize) -> Page {
        let p = Page::html(policy_page(index, self.revision, self.noise, self.size));
        match self.style {
            Style::Etag => p.with_etag(),
            _ => p,
        }
    }
}

struct Args {
    seconds: u64,
    seed: u64,
    max_rounds: usize,
    lanes: usize,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 120,
        seed: fastrand::u64(..),
        max_rounds: 1_000,
        lanes: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        let n: u64 = value
            .parse()
            .unwrap_or_else(|_| panic!("{flag} needs a number, got {value:?}"));
        match flag.as_str() {
            "--seconds" => a.seconds = n,
            "--seed" => a.seed = n,
            "--rounds" => a.max_rounds = n as usize,
            "--lanes" => a.lanes = (n as usize).max(1),
            other => {
                panic!("unknown flag {other}; use --seconds S, --seed N, --rounds N, --lanes N")
            }
        }
    }
    a
}

/// The debug `termtrail` beside this example (`target/debug/examples/soak`).
fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/debug/examples")
        .join("termtrail");
    assert!(
        bin.exists(),
        "{} is missing; run `cargo build --workspace` first",
        bin.display()
    );
    bin
}

#[derive(Default)]
struct Counts {
    rounds: usize,
    runs: usize,
    failpoint_kills: BTreeMap<&'static str, usize>,
    external_check_kills: usize,
    external_daemon_kills: usize,
    finished_before_kill: usize,
    stale_locks_left: usize,
    clean_failures: Vec<String>,
}

impl Counts {
    fn kills(&self) -> usize {
        self.failpoint_kills.values().sum::<usize>()
            + self.external_check_kills
            + self.external_daemon_kills
    }
}

struct Soak {
    bin: PathBuf,
    dir: PathBuf,
    check_config: PathBuf,
    daemon_config: PathBuf,
}

impl Soak {
    fn command(&self, config: &Path, args: &[&str], failpoints: &str) -> Command {
        let mut c = Command::new(&self.bin);
        c.current_dir(&self.dir)
            .arg("--config")
            .arg(config)
            .args(args)
            .env("RUST_LOG", "termtrail=warn")
            .env("TERMTRAIL_FAILPOINTS", failpoints)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    }

    /// Runs `check`, killed at the `pass`th pass of `point`; returns whether the kill happened.
    fn failpoint_run(&self, point: &str, pass: u32) -> bool {
        let spec = format!("{point}={}*off->kill", pass - 1);
        let out = self
            .command(&self.check_config, &["check", "--json"], &spec)
            .output()
            .expect("termtrail runs");
        if out.status.signal() == Some(libc::SIGKILL) {
            return true;
        }
        assert_clean_exit(&out.status, &out.stderr, "check (fail point not reached)");
        false
    }

    /// Runs `args` and sends SIGKILL after `delay`; returns whether it was still running then.
    fn external_kill(&self, config: &Path, args: &[&str], delay: Duration) -> bool {
        let mut child = self
            .command(config, args, "")
            .stderr(Stdio::null())
            .spawn()
            .expect("termtrail starts");
        let deadline = Instant::now() + delay;
        while Instant::now() < deadline {
            if child.try_wait().expect("wait").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("SIGKILL");
        }
        let status = child.wait().expect("reaped");
        status.signal() == Some(libc::SIGKILL)
    }

    fn clean_check(&self) -> Result<(), String> {
        let out = self
            .command(&self.check_config, &["check", "--json"], "")
            .stdout(Stdio::piped())
            .output()
            .expect("termtrail runs");
        if !out.status.success() {
            return Err(format!(
                "clean check exited {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).map_err(|e| format!("no JSON report: {e}"))?;
        if report["errors"].as_u64() != Some(0) {
            return Err(format!("clean check had errors: {report}"));
        }
        Ok(())
    }
}

fn assert_clean_exit(status: &ExitStatus, stderr: &[u8], what: &str) {
    assert!(
        status.success(),
        "{what} exited {status}: {}",
        String::from_utf8_lossy(stderr)
    );
}

fn write_configs(dir: &Path, server: &Server, docs: &[Doc], fsync: bool) -> (PathBuf, PathBuf) {
    let mut body = String::new();
    for d in docs {
        body.push_str(&format!(
            "\n[[document]]\nplatform = \"{}\"\nkind = \"privacy-policy\"\nurl = \"{}\"\nselect = [\"main\"]\n",
            d.platform,
            server.url(&d.path())
        ));
    }
    body.push_str(&format!(
        "\n[[sink]]\nname = \"log\"\ntype = \"jsonl\"\npath = \"{}\"\n",
        dir.join("events.jsonl").display()
    ));
    // The holds are off: a soak revision never shrinks, and a hold would make a revision wait
    // for a second round by design. A low `pack_after` packs most rounds with new versions, so
    // kills land in packings too.
    let head = format!(
        "[archive]\npath = \"archive\"\nfsync = {fsync}\npack_after = 30\n\n[holds]\nshrink_below = 0.0\nlanguage_change = false\n\n\
         [fetch]\nper_host_delay = \"0s\"\nper_host_concurrency = 8\nretries = 0\ntimeout = \"10s\"\n"
    );
    let check = dir.join("check.toml");
    std::fs::write(&check, format!("{head}{body}")).expect("write config");
    // The daemon re-checks every document all the time, so a kill lands in the middle of work.
    let daemon = dir.join("daemon.toml");
    std::fs::write(
        &daemon,
        format!("[schedule]\ninterval = \"1s\"\njitter = 0.5\n\n{head}{body}"),
    )
    .expect("write config");
    (check, daemon)
}

/// What one lane found.
struct LaneResult {
    counts: Counts,
    versions: audit::VersionTally,
    events: audit::EventTally,
    unreachable: usize,
    locks: usize,
    fsck: Result<(), String>,
    problems: Vec<String>,
}

/// One lane: its own server, archive and documents, soaked until `deadline`. With `fsync`, git
/// holds each ref's lock file longer (while it flushes), so kills leave more of them behind.
fn lane(bin: PathBuf, seed: u64, fsync: bool, deadline: Instant, max_rounds: usize) -> LaneResult {
    fastrand::seed(seed);
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = Server::start();
    let styles = [Style::Stable, Style::Etag, Style::Noisy];
    let mut docs: Vec<Doc> = (0..9)
        .map(|i| Doc {
            platform: format!("p{i}"),
            style: styles[i % 3],
            // One larger page widens the windows between the steps of its commit.
            size: if i == 0 { 40_000 } else { 4_000 + 2_000 * i },
            revision: 1,
            noise: 1,
        })
        .collect();
    let (check_config, daemon_config) = write_configs(tmp.path(), &server, &docs, fsync);
    let soak = Soak {
        bin,
        dir: tmp.path().to_path_buf(),
        check_config,
        daemon_config,
    };
    let mut expected: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut counts = Counts::default();
    while counts.rounds < max_rounds && Instant::now() < deadline {
        counts.rounds += 1;
        // Change the pages: a new revision for some, new bytes around the same text for others.
        for (i, d) in docs.iter_mut().enumerate() {
            if counts.rounds > 1 && fastrand::f64() < 0.35 {
                d.revision += 1;
            }
            if matches!(d.style, Style::Noisy) || fastrand::f64() < 0.1 {
                d.noise += 1;
            }
            server.set(&d.path(), d.page(i));
        }
        for _ in 0..fastrand::usize(1..=3) {
            counts.runs += 1;
            let killed = match fastrand::u32(0..10) {
                0..=5 => {
                    let (point, max) = POINTS[fastrand::usize(..POINTS.len())];
                    let k = soak.failpoint_run(point, fastrand::u32(1..=max));
                    if k {
                        *counts.failpoint_kills.entry(point).or_default() += 1;
                    }
                    k
                }
                6..=8 => {
                    let delay = Duration::from_millis(fastrand::u64(10..250));
                    let k = soak.external_kill(&soak.check_config, &["check"], delay);
                    counts.external_check_kills += usize::from(k);
                    k
                }
                _ => {
                    let delay = Duration::from_millis(fastrand::u64(200..1_200));
                    let k = soak.external_kill(&soak.daemon_config, &["run"], delay);
                    counts.external_daemon_kills += usize::from(k);
                    k
                }
            };
            if killed {
                counts.stale_locks_left += audit::stale_locks(&soak.dir.join("archive")).len();
            } else {
                counts.finished_before_kill += 1;
            }
        }
        counts.runs += 1;
        if let Err(e) = soak.clean_check() {
            counts
                .clean_failures
                .push(format!("lane seed {seed}, round {}: {e}", counts.rounds));
        }
        for d in &docs {
            let list = expected.entry(d.id()).or_default();
            if list.last() != Some(&d.revision) {
                list.push(d.revision);
            }
        }
    }
    let archive = soak.dir.join("archive");
    let recorded = audit::recorded_revisions(&archive);
    let versions = audit::tally_versions(&expected, &recorded);
    let events = audit::tally_events(&soak.dir.join("events.jsonl"), &archive);
    let unreachable = audit::unreachable_snapshots(&archive);
    let locks = audit::stale_locks(&archive);
    let fsck = audit::fsck(&archive);
    let mut problems = Vec::new();
    if versions.lost + versions.duplicated + versions.unexpected > 0 {
        problems.push(format!(
            "lane seed {seed}: versions wrong: expected {expected:?}, recorded {recorded:?}"
        ));
    }
    if events.missing + events.unstable + events.torn > 0 {
        problems.push(format!("lane seed {seed}: events wrong: {events:?}"));
    }
    if let Err(e) = &fsck {
        problems.push(format!("lane seed {seed}: git fsck --strict: {e}"));
    }
    if !locks.is_empty() {
        problems.push(format!("lane seed {seed}: lock files left: {locks:?}"));
    }
    if !unreachable.is_empty() {
        problems.push(format!(
            "lane seed {seed}: versions naming a snapshot off the branch: {unreachable:?}"
        ));
    }
    problems.extend(counts.clean_failures.iter().cloned());
    LaneResult {
        counts,
        versions,
        events,
        unreachable: unreachable.len(),
        locks: locks.len(),
        fsck,
        problems,
    }
}

fn main() {
    let args = args();
    let started = Instant::now();
    let bin = binary();

    // The binary must carry the fail points: a debug build refuses an unknown one before doing
    // anything, a release build would just run.
    let probe_dir = tempfile::tempdir().expect("tempdir");
    let probe = Command::new(&bin)
        .arg("init")
        .arg(probe_dir.path())
        .env("TERMTRAIL_FAILPOINTS", "no-such-point=kill")
        .output()
        .expect("termtrail runs");
    assert!(
        String::from_utf8_lossy(&probe.stderr).contains("no fail point is named"),
        "{} has no fail points (a release build?); the soak needs the debug build",
        bin.display()
    );

    // Independent lanes (own server, archive, documents) use both cores: a run waits on its
    // server and its kill as much as it computes.
    let deadline = started + Duration::from_secs(args.seconds);
    let lanes: Vec<_> = (0..args.lanes)
        .map(|i| {
            let bin = bin.clone();
            let seed = args.seed.wrapping_add(i as u64);
            let rounds = args.max_rounds.div_ceil(args.lanes);
            std::thread::spawn(move || lane(bin, seed, i % 2 == 0, deadline, rounds))
        })
        .collect();
    let results: Vec<LaneResult> = lanes
        .into_iter()
        .map(|t| t.join().expect("a soak lane panicked"))
        .collect();
    let elapsed = started.elapsed();

    let mut counts = Counts::default();
    let mut versions = audit::VersionTally::default();
    let mut events = audit::EventTally::default();
    let (mut unreachable, mut locks, mut fsck_failed) = (0, 0, 0);
    let mut problems = Vec::new();
    for r in results {
        counts.rounds += r.counts.rounds;
        counts.runs += r.counts.runs;
        for (p, n) in r.counts.failpoint_kills {
            *counts.failpoint_kills.entry(p).or_default() += n;
        }
        counts.external_check_kills += r.counts.external_check_kills;
        counts.external_daemon_kills += r.counts.external_daemon_kills;
        counts.finished_before_kill += r.counts.finished_before_kill;
        counts.stale_locks_left += r.counts.stale_locks_left;
        counts.clean_failures.extend(r.counts.clean_failures);
        versions.expected += r.versions.expected;
        versions.recorded += r.versions.recorded;
        versions.lost += r.versions.lost;
        versions.duplicated += r.versions.duplicated;
        versions.unexpected += r.versions.unexpected;
        events.delivered += r.events.delivered;
        events.distinct += r.events.distinct;
        events.duplicates += r.events.duplicates;
        events.missing += r.events.missing;
        events.unstable += r.events.unstable;
        events.torn += r.events.torn;
        unreachable += r.unreachable;
        locks += r.locks;
        fsck_failed += usize::from(r.fsck.is_err());
        problems.extend(r.problems);
    }

    println!(
        "soak: seed {}, {} lanes, {} rounds, {} runs in {:.1} s",
        args.seed,
        args.lanes,
        counts.rounds,
        counts.runs,
        elapsed.as_secs_f64()
    );
    println!(
        "kills: {} (fail points {}, SIGKILL of check {}, SIGKILL of the daemon {}); runs that ended before their kill: {}",
        counts.kills(),
        counts.failpoint_kills.values().sum::<usize>(),
        counts.external_check_kills,
        counts.external_daemon_kills,
        counts.finished_before_kill
    );
    let by_point: Vec<String> = counts
        .failpoint_kills
        .iter()
        .map(|(p, n)| format!("{p} {n}"))
        .collect();
    println!("fail-point kills: {}", by_point.join(", "));
    println!(
        "git lock files left by kills: {} (removed at the next start)",
        counts.stale_locks_left
    );
    println!(
        "versions: expected {}, recorded {}, lost {}, duplicated {}, unexpected {}",
        versions.expected,
        versions.recorded,
        versions.lost,
        versions.duplicated,
        versions.unexpected
    );
    println!(
        "events: delivered {} (distinct {}, re-sent {}), missing {}, unstable ids {}, torn lines {}",
        events.delivered,
        events.distinct,
        events.duplicates,
        events.missing,
        events.unstable,
        events.torn
    );
    println!(
        "git fsck --strict: {}; lock files at the end: {locks}; versions naming a snapshot off the branch: {unreachable}; clean runs that failed: {}",
        if fsck_failed == 0 { "ok" } else { "FAILED" },
        counts.clean_failures.len()
    );
    if counts.kills() == 0 {
        problems.push("no run was killed".to_owned());
    }
    if problems.is_empty() {
        println!("soak passed");
    } else {
        for p in &problems {
            eprintln!("SOAK FAILED: {p}");
        }
        eprintln!(
            "reproduce with: cargo run -p termtrail --example soak -- --seed {} --lanes {}",
            args.seed, args.lanes
        );
        std::process::exit(1);
    }
}
