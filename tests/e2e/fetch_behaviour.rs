//! Fetch failures stay per document; retries, Retry-After, size caps and politeness.

use std::time::Duration;

use crate::util::*;

#[test]
fn failures_fail_only_their_own_document() {
    let f = Fixture::new();
    f.write_config(
        &[
            ("ok", "privacy-policy", "/ok"),
            ("e500", "privacy-policy", "/500"),
            ("slow", "privacy-policy", "/slow"),
            ("big", "privacy-policy", "/big"),
            ("gone", "privacy-policy", "/404"),
        ],
        "max_body = \"100KB\"\nretries = 2\n[fetch.hosts.\"127.0.0.1\"]\ntimeout = \"1s\"\nper_host_concurrency = 8\nper_host_delay = \"0s\"\n",
    );
    f.server.set("/ok", Page::html(policy_page(0, 1, 1, 2_000)));
    f.server.set("/500", Page::html("oops").status(500));
    f.server.set(
        "/slow",
        Page::html(policy_page(1, 1, 1, 2_000)).delay(Duration::from_secs(3)),
    );
    f.server
        .set("/big", Page::html(policy_page(2, 1, 1, 300_000)));
    let out = f.run(&["check", "--json"]);
    assert!(
        out.status.success(),
        "exit 0 even with failures: {}",
        stderr(&out)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(ids(&r, "new_ids"), ["ok/privacy-policy"]);
    assert_eq!(
        ids(&r, "error_ids"),
        [
            "big/privacy-policy",
            "e500/privacy-policy",
            "gone/privacy-policy",
            "slow/privacy-policy"
        ]
    );
    assert_eq!(r["errors"].as_u64(), Some(4));
    // 5xx and timeouts are retried (1 + 2 retries); 404 and oversized bodies are not.
    assert_eq!(f.server.hits("/500"), 3);
    assert_eq!(f.server.hits("/slow"), 3);
    assert_eq!(f.server.hits("/404"), 1);
    assert_eq!(f.server.hits("/big"), 1);
    let log = stderr(&out);
    for want in [
        "e500/privacy-policy",
        "HTTP 500 Internal Server Error (3 attempt(s))",
        "timed out after 1s (3 attempt(s))",
        "body larger than fetch.max_body (100000 bytes)",
        "HTTP 404 Not Found (1 attempt(s))",
    ] {
        assert!(log.contains(want), "log lacks {want:?}:\n{log}");
    }
    f.fsck();
    assert_eq!(f.count("main"), 1);
}

#[test]
fn transient_errors_recover_within_the_cycle() {
    let f = Fixture::new();
    f.write_config(
        &[
            ("a", "privacy-policy", "/flaky"),
            ("b", "privacy-policy", "/busy"),
        ],
        "retries = 3\n",
    );
    let good = Page::html(policy_page(0, 1, 1, 2_000));
    f.server.set(
        "/flaky",
        Page::html("bad gateway")
            .status(502)
            .then_after(2, good.clone()),
    );
    f.server.set(
        "/busy",
        Page::html("slow down")
            .status(429)
            .header("retry-after", "1")
            .then_after(1, good),
    );
    let started = std::time::Instant::now();
    let r = f.check();
    assert_eq!(r["new"].as_u64(), Some(2), "{r}");
    assert_eq!(f.server.hits("/flaky"), 3);
    assert_eq!(f.server.hits("/busy"), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
}

#[test]
fn a_long_retry_after_fails_fast_for_this_cycle() {
    let f = Fixture::new();
    f.write_config(
        &[("a", "privacy-policy", "/later")],
        "max_retry_after = \"5s\"\n",
    );
    f.server.set(
        "/later",
        Page::html("maintenance")
            .status(503)
            .header("retry-after", "3600"),
    );
    let started = std::time::Instant::now();
    let out = f.run(&["check", "--json"]);
    assert!(out.status.success());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        stderr(&out).contains("Retry-After 3600s, longer than fetch.max_retry_after"),
        "{}",
        stderr(&out)
    );
    assert_eq!(f.server.hits("/later"), 1);
}

#[test]
fn requests_to_one_host_respect_the_concurrency_cap_and_delay() {
    let f = Fixture::new();
    let docs: Vec<(String, String)> = (0..6)
        .map(|i| (format!("d{i}"), format!("/d{i}")))
        .collect();
    let refs: Vec<_> = docs
        .iter()
        .map(|(p, u)| (p.as_str(), "privacy-policy", u.as_str()))
        .collect();
    f.write_config(
        &refs,
        "[fetch.hosts.\"127.0.0.1\"]\nper_host_concurrency = 2\nper_host_delay = \"150ms\"\n",
    );
    for (_, path) in &docs {
        f.server.set(
            path,
            Page::html(policy_page(1, 1, 1, 1_000)).delay(Duration::from_millis(300)),
        );
    }
    f.check();
    assert_eq!(f.server.max_in_flight(), 2);
    let mut starts: Vec<_> = f.server.starts().into_iter().map(|(_, t)| t).collect();
    starts.sort();
    // The client spaces request starts by 150 ms; the server sees them a little later, by a
    // varying amount on a loaded machine, so each gap gets a margin and the whole run is
    // checked against the sum of the delays.
    for pair in starts.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(100), "requests {gap:?} apart");
    }
    let span = *starts.last().expect("six requests") - starts[0];
    assert!(
        span >= Duration::from_millis(5 * 150 - 40),
        "six requests within {span:?}"
    );
}

#[test]
fn different_hosts_are_fetched_concurrently() {
    // 127.0.0.1 and localhost are two hosts for the limiter, with a cap of 1 each.
    let f = Fixture::new();
    let port = f.server.addr.port();
    let toml = format!(
        "[archive]\npath = \"archive\"\nfsync = false\n[fetch]\nper_host_concurrency = 1\nper_host_delay = \"0s\"\n\
         [[document]]\nplatform = \"a\"\nkind = \"privacy-policy\"\nurl = \"http://127.0.0.1:{port}/x\"\nselect = \"main\"\n\
         [[document]]\nplatform = \"b\"\nkind = \"privacy-policy\"\nurl = \"http://localhost:{port}/y\"\nselect = \"main\"\n"
    );
    std::fs::write(f.config_path(), toml).expect("write");
    f.server.set(
        "/x",
        Page::html("<main>x</main>").delay(Duration::from_millis(800)),
    );
    f.server.set(
        "/y",
        Page::html("<main>y</main>").delay(Duration::from_millis(800)),
    );
    let r = f.check();
    assert_eq!(r["new"].as_u64(), Some(2));
    // Both requests were in flight at once although each host allows one: the hosts did not
    // wait for each other. (Timing is not asserted: a loaded machine may be slow to start.)
    assert_eq!(f.server.max_in_flight(), 2);
}
