//! The web view inside `termtrail run` (`[web] listen` written) and `/healthz`: 200 while the
//! daemon checks and the archive takes writes; 503 with the reason when no check has ended for
//! twice the interval, while the archive refuses writes, and (under `serve`) when the archive
//! cannot be read; the server stops with the daemon. `/metrics` after a cycle inside `run`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::util::*;

/// A response: status and body.
pub struct Resp {
    pub status: u16,
    pub body: String,
}

/// GET `path` on `addr` (HTTP/1.1, connection closed after).
pub fn get(addr: SocketAddr, path: &str) -> Resp {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let raw = String::from_utf8(raw).expect("utf-8 response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    Resp {
        status,
        body: body.to_owned(),
    }
}

/// `/healthz`: its status and JSON body.
fn health(addr: SocketAddr) -> (u16, serde_json::Value) {
    let r = get(addr, "/healthz");
    let v = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body));
    (r.status, v)
}

/// A termtrail process this test started: killed if the test fails before stopping it.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts termtrail with `args`; reads the `listening on http://ADDR/` line it prints.
fn spawn_listening(f: &Fixture, args: &[&str]) -> (Running, SocketAddr) {
    let mut child = Command::new(termtrail_bin())
        .current_dir(f.path())
        .arg("--config")
        .arg(f.config_path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("termtrail starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read stdout");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .parse()
        .expect("an address");
    (Running(child), addr)
}

/// Stops `running` with SIGTERM; it must exit 0.
pub fn sigterm(running: &mut Running) {
    // SAFETY: kill(2) on the PID of a child we started and have not reaped.
    assert_eq!(
        unsafe { libc::kill(running.0.id() as i32, libc::SIGTERM) },
        0
    );
    let exit = running.0.wait().expect("wait");
    assert!(exit.success(), "exit: {exit}");
}

/// One document at `/a`, checked every second, the web view on 127.0.0.1:0 inside `run`.
pub fn daemon_with_web() -> Fixture {
    let f = Fixture::new();
    f.write_config(&[("acme", "privacy-policy", "/a")], "");
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    std::fs::write(
        f.config_path(),
        format!("[schedule]\ninterval = \"1s\"\njitter = 0.0\n\n[web]\nlisten = \"127.0.0.1:0\"\n\n{toml}"),
    )
    .expect("write");
    f.server.set("/a", Page::html(policy_page(0, 1, 1, 2_000)));
    f
}

/// Starts `run` on `f`; the daemon and the address of its web view.
pub fn run_with_web(f: &Fixture) -> (Running, SocketAddr) {
    spawn_listening(f, &["run"])
}

#[test]
fn run_serves_the_web_view_and_healthz_follows_the_daemon() {
    let f = daemon_with_web();
    let (mut child, addr) = run_with_web(&f);
    wait_for("the first version", Duration::from_secs(30), || {
        f.count("main") == 1
    });
    let (status, h) = health(addr);
    assert_eq!(
        (status, &h["status"], &h["documents"]),
        (200, &"ok".into(), &1.into()),
        "{h}"
    );
    // The same router as `serve`: pages and JSON.
    let docs = get(addr, "/api/documents");
    assert_eq!(docs.status, 200);
    assert!(docs.body.contains("acme/privacy-policy"), "{}", docs.body);
    assert_eq!(get(addr, "/").status, 200);

    // A fetch that hangs for longer than twice the interval: no check ends, the daemon is stuck.
    f.server.set(
        "/a",
        Page::html(policy_page(0, 1, 1, 2_000)).delay(Duration::from_secs(4)),
    );
    wait_for(
        "healthz to report the stuck daemon",
        Duration::from_secs(20),
        || health(addr).0 == 503,
    );
    let (_, h) = health(addr);
    assert_eq!(h["status"], "unavailable");
    assert!(
        h["reason"]
            .as_str()
            .is_some_and(|r| r.contains("no check has ended for")),
        "{h}"
    );
    f.server.set("/a", Page::html(policy_page(0, 1, 1, 2_000)));
    wait_for("healthz to recover", Duration::from_secs(20), || {
        health(addr).0 == 200
    });

    // The archive refuses writes (a directory where git's ref lock goes): 503 until a commit.
    let blocker = f.archive().join("refs/heads/main.lock");
    std::fs::create_dir_all(&blocker).expect("mkdir");
    f.server.set("/a", Page::html(policy_page(0, 2, 1, 2_000)));
    wait_for(
        "healthz to report the refused write",
        Duration::from_secs(20),
        || health(addr).0 == 503,
    );
    let (_, h) = health(addr);
    assert!(
        h["reason"]
            .as_str()
            .is_some_and(|r| r.contains("the archive refused a write")),
        "{h}"
    );
    std::fs::remove_dir(&blocker).expect("rmdir");
    wait_for(
        "the version to be committed",
        Duration::from_secs(20),
        || f.count("main") == 2,
    );
    wait_for(
        "healthz to recover after the commit",
        Duration::from_secs(20),
        || health(addr).0 == 200,
    );

    // The server stops with the daemon.
    sigterm(&mut child);
    assert!(
        TcpStream::connect(addr).is_err(),
        "still listening after the daemon stopped"
    );
}

#[test]
fn serve_answers_503_when_the_archive_cannot_be_read() {
    let f = Fixture::new();
    f.write_config(&[("acme", "privacy-policy", "/a")], "");
    f.server.set("/a", Page::html(policy_page(0, 1, 1, 2_000)));
    f.check();
    let (mut child, addr) = spawn_listening(&f, &["serve", "--listen", "127.0.0.1:0"]);
    let (status, h) = health(addr);
    assert_eq!((status, &h["status"]), (200, &"ok".into()), "{h}");
    // The archive goes away under the server.
    std::fs::rename(f.archive(), f.path().join("moved")).expect("rename");
    let (status, h) = health(addr);
    assert_eq!((status, &h["status"]), (503, &"unavailable".into()), "{h}");
    assert!(
        h["reason"]
            .as_str()
            .is_some_and(|r| r.contains("cannot read the archive")),
        "{h}"
    );
    std::fs::rename(f.path().join("moved"), f.archive()).expect("rename back");
    assert_eq!(health(addr).0, 200);
    sigterm(&mut child);
}

#[test]
fn metrics_inside_run_count_checks_fetches_deliveries_and_pushes() {
    let f = daemon_with_web();
    let remotes = tempfile::tempdir().expect("tempdir");
    let remote = remotes.path().join("mirror.git");
    let init = Command::new("git")
        .args(["init", "--bare", "-q"])
        .arg(&remote)
        .status()
        .expect("git runs");
    assert!(init.success());
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    let toml = toml.replacen(
        "fsync = false\n",
        &format!("fsync = false\npush = [\"{}\"]\n", remote.display()),
        1,
    );
    std::fs::write(
        f.config_path(),
        format!(
            "{toml}\n[[document]]\nplatform = \"gone\"\nkind = \"terms-of-service\"\nurl = \"{}\"\n\n\
             [[sink]]\nname = \"log\"\ntype = \"jsonl\"\npath = \"{}/events.jsonl\"\n",
            f.server.url("/gone"),
            f.path().display()
        ),
    )
    .expect("write");
    f.server.set("/gone", Page::html("gone").status(404));
    let (mut child, addr) = run_with_web(&f);
    wait_for("the first version", Duration::from_secs(30), || {
        f.count("main") == 1
    });
    // A text under half the last one is held back.
    f.server.set(
        "/a",
        Page::html("<html><body><main><p>Short now.</p></main></body></html>"),
    );
    let wanted = [
        "termtrail_texts_held_total{document=\"acme/privacy-policy\"}",
        "termtrail_check_failures_total{document=\"gone/terms-of-service\"}",
        "termtrail_pushes_total{remote=\"mirror\"}",
        "termtrail_sink_deliveries_total{sink=\"log\"}",
    ];
    wait_for("every counter to appear", Duration::from_secs(30), || {
        let m = get(addr, "/metrics").body;
        wanted.iter().all(|w| m.contains(w))
    });
    let r = get(addr, "/metrics");
    assert_eq!(r.status, 200);
    let (m, families) = parse_metrics(&r.body);
    let at_least = |key: &str, min: f64| {
        let v = m.get(key).copied();
        assert!(
            v.is_some_and(|v| v >= min),
            "{key} = {v:?} (want >= {min}):\n{}",
            r.body
        );
    };
    at_least("termtrail_checks_total|document=acme/privacy-policy", 2.0);
    at_least(
        "termtrail_versions_recorded_total|document=acme/privacy-policy",
        1.0,
    );
    at_least(
        "termtrail_texts_held_total|document=acme/privacy-policy",
        1.0,
    );
    at_least("termtrail_checks_total|document=gone/terms-of-service", 1.0);
    at_least(
        "termtrail_check_failures_total|document=gone/terms-of-service",
        1.0,
    );
    at_least("termtrail_fetch_duration_seconds_count", 3.0);
    at_least("termtrail_fetch_duration_seconds_bucket|le=+Inf", 3.0);
    at_least("termtrail_sink_deliveries_total|sink=log", 1.0);
    at_least("termtrail_sink_pending_events|sink=log", 0.0);
    at_least("termtrail_pushes_total|remote=mirror", 1.0);
    at_least("termtrail_push_pending_commits|remote=mirror", 0.0);
    at_least("termtrail_push_consecutive_failures|remote=mirror", 0.0);
    at_least("termtrail_browser_starts_total", 0.0);
    // The archive's own metrics come first, as under `serve`.
    at_least("termtrail_versions|document=acme/privacy-policy", 1.0);
    for (family, kind) in [
        ("termtrail_fetch_duration_seconds", "histogram"),
        ("termtrail_checks", "counter"),
        ("termtrail_browser_starts", "counter"),
        ("termtrail_sink_pending_events", "gauge"),
        ("termtrail_push_pending_commits", "gauge"),
    ] {
        assert_eq!(
            families.get(family).map(String::as_str),
            Some(kind),
            "{family}: {families:?}"
        );
    }
    // No plugin here: the family is declared, its samples come with the first restart.
    assert!(
        r.body
            .lines()
            .any(|l| l == "# TYPE termtrail_plugin_host_restarts_total counter"),
        "{}",
        r.body
    );
    // No browser document: the browser never started.
    assert_eq!(m["termtrail_browser_starts_total"], 0.0);
    sigterm(&mut child);
}
