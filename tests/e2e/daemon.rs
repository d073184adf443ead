//! The daemon: periodic checks, clean shutdown on SIGTERM/SIGINT, one writer per archive, and
//! recovery after a kill.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::util::*;

fn spawn_run(f: &Fixture) -> Child {
    spawn_run_env(f, &[])
}

fn spawn_run_env(f: &Fixture, env: &[(&str, &str)]) -> Child {
    Command::new(termtrail_bin())
        .current_dir(f.path())
        .arg("--config")
        .arg(f.config_path())
        .arg("run")
        .env("RUST_LOG", "termtrail=debug")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("termtrail run starts")
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on the PID of a child we started and have not reaped.
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0, "kill failed");
}

fn daemon_config(f: &Fixture, interval: &str) {
    f.write_config(
        &[("a", "privacy-policy", "/a"), ("b", "privacy-policy", "/b")],
        "",
    );
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    std::fs::write(
        f.config_path(),
        format!("[schedule]\ninterval = \"{interval}\"\njitter = 0.0\n{toml}"),
    )
    .expect("write");
    f.server.set("/a", Page::html(policy_page(0, 1, 1, 2_000)));
    f.server.set("/b", Page::html(policy_page(1, 1, 1, 2_000)));
}

#[test]
fn the_daemon_rechecks_at_its_interval_and_stops_cleanly_on_sigterm() {
    let f = Fixture::new();
    daemon_config(&f, "1s");
    let mut child = spawn_run(&f);
    wait_for("first versions", Duration::from_secs(20), || {
        f.archive().exists() && f.count("main") == 2
    });
    f.server.set("/a", Page::html(policy_page(0, 2, 1, 2_000)));
    wait_for(
        "the change to be picked up",
        Duration::from_secs(20),
        || f.count("main") == 3,
    );
    assert!(f.server.hits("/b") >= 1);
    let hits_before = f.server.hits("/b");
    wait_for("another check of b", Duration::from_secs(20), || {
        f.server.hits("/b") > hits_before
    });
    // While the daemon holds the archive, a second writer is refused with a clear message.
    let out = f.run(&["check"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("in use by another termtrail process (pid"),
        "{}",
        stderr(&out)
    );
    signal(&child, libc::SIGTERM);
    let status = child.wait().expect("exits");
    assert_eq!(status.code(), Some(0), "SIGTERM gives a clean exit 0");
    f.fsck();
    // The lock is released: a check can run now.
    assert!(f.run(&["check"]).status.success());
}

#[test]
fn sigint_also_stops_cleanly() {
    let f = Fixture::new();
    daemon_config(&f, "1h");
    let mut child = spawn_run(&f);
    wait_for("first versions", Duration::from_secs(20), || {
        f.archive().exists() && f.count("main") == 2
    });
    signal(&child, libc::SIGINT);
    assert_eq!(child.wait().expect("exits").code(), Some(0));
    f.fsck();
}

#[test]
fn a_killed_daemon_leaves_a_valid_archive_and_no_stale_lock() {
    let f = Fixture::new();
    // Many documents, so that the kill lands while commits are being written.
    let docs: Vec<(String, String)> = (0..40)
        .map(|i| (format!("k{i}"), format!("/k{i}")))
        .collect();
    let refs: Vec<_> = docs
        .iter()
        .map(|(p, u)| (p.as_str(), "privacy-policy", u.as_str()))
        .collect();
    f.write_config(&refs, "");
    for (i, (_, path)) in docs.iter().enumerate() {
        f.server.set(path, Page::html(policy_page(i, 1, 1, 20_000)));
    }
    for round in 0..3 {
        let mut child = spawn_run(&f);
        wait_for("some commits", Duration::from_secs(20), || {
            f.archive().join("refs/heads/snapshots").exists() || f.count("snapshots") > 0
        });
        std::thread::sleep(Duration::from_millis(20 * round));
        signal(&child, libc::SIGKILL);
        child.wait().expect("reaped");
        f.fsck();
    }
    // The next writer starts (the dead process's lock is gone) and completes the record.
    let r = f.check();
    assert_eq!(r["errors"].as_u64(), Some(0), "{r}");
    assert_eq!(f.count("main"), 40);
    f.fsck();
}

#[test]
fn a_panicking_check_is_reported_and_its_document_checked_again() {
    let f = Fixture::new();
    daemon_config(&f, "1s");
    // The first check to start panics (a fail point; a bug in real life).
    let child = spawn_run_env(&f, &[("TERMTRAIL_FAILPOINTS", "check.start=1*panic")]);
    // Should the wait fail, the daemon must not outlive the test.
    struct KillOnPanic(i32);
    impl Drop for KillOnPanic {
        fn drop(&mut self) {
            if std::thread::panicking() {
                // SAFETY: kill(2) on the PID of the child this test started.
                unsafe { libc::kill(self.0, libc::SIGKILL) };
            }
        }
    }
    let _guard = KillOnPanic(child.id() as i32);
    wait_for(
        "both documents recorded and checked again",
        Duration::from_secs(30),
        || {
            f.archive().exists()
                && f.count("main") == 2
                && f.server.hits("/a") >= 2
                && f.server.hits("/b") >= 2
        },
    );
    signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().expect("exits");
    assert_eq!(out.status.code(), Some(0));
    let log = stderr(&out);
    assert!(
        log.contains("the check panicked: fail point check.start: panic"),
        "{log}"
    );
    // In `check`, the panic is that document's failure; the others are checked.
    let out = f.run_env(
        &["check", "--json"],
        &[("TERMTRAIL_FAILPOINTS", "check.start=1*panic")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        (r["errors"].as_u64(), r["unchanged"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
}

/// The daemon spawns at most `check::IN_FLIGHT` (64) checks at once; documents due meanwhile
/// wait for a check to end. With 150 documents due within the first second (interval 10s: the
/// first checks are spread over a tenth of it), every one is still checked and recorded.
#[test]
fn more_documents_due_than_in_flight_are_all_checked() {
    const N: usize = 150;
    let f = Fixture::new();
    let docs: Vec<(String, String)> = (0..N)
        .map(|i| (format!("p{i}"), format!("/p{i}")))
        .collect();
    let refs: Vec<(&str, &str, &str)> = docs
        .iter()
        .map(|(p, u)| (p.as_str(), "privacy-policy", u.as_str()))
        .collect();
    f.write_config(&refs, "");
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    std::fs::write(
        f.config_path(),
        format!("[schedule]\ninterval = \"10s\"\njitter = 0.0\n{toml}"),
    )
    .expect("write");
    for i in 0..N {
        f.server
            .set(&format!("/p{i}"), Page::html(policy_page(i, 1, 1, 2_000)));
    }
    // Warnings only: nobody reads its stderr pipe until it exits, and 150 documents' debug lines
    // could fill it.
    let mut child = spawn_run_env(&f, &[("RUST_LOG", "warn")]);
    wait_for(
        "a version of every document",
        Duration::from_secs(60),
        || f.archive().exists() && f.count("main") == N,
    );
    assert!((0..N).all(|i| f.server.hits(&format!("/p{i}")) >= 1));
    signal(&child, libc::SIGTERM);
    let status = child.wait().expect("exits");
    assert_eq!(status.code(), Some(0), "SIGTERM gives a clean exit 0");
    f.fsck();
}
