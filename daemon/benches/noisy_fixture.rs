//! Benchmark fixture kept alive: the noisy pages of `noisy_cycle` served from fixed ports, with a
//! config and an archive in a folder that outlives the run, so that the no-change check of a large
//! count can be measured or profiled many times (by hand, under massif or `/usr/bin/time`) after
//! paying for its first cycle once (about 11 minutes of CPU at 10,000 documents).
//!
//! Run: `TERMTRAIL_BENCH_DIR=/tmp/tt10k TERMTRAIL_BENCH_DOCS=10000 cargo bench -p termtrail --bench
//! noisy_fixture`. The first run writes `termtrail.toml` (documents as in `noisy_cycle`, spread over
//! the loopback host names and 4 ports written to `ports`), runs `termtrail check` once to record
//! everything, and serves; a later run with the same folder binds the same ports and serves again
//! (the archive is kept). It serves for `TERMTRAIL_BENCH_SERVE_SECS` (default 3600) and exits:
//! meanwhile `termtrail --config DIR/termtrail.toml check --json` (run in DIR) is a no-change
//! cycle, whose bytes changed and whose policy text did not. Delete the folder when done.

#[path = "common/documents.rs"]
mod documents;
#[path = "common/hosts.rs"]
mod hosts;
#[path = "common/noisy.rs"]
mod noisy;
#[path = "common/rusage.rs"]
mod rusage;
#[path = "../../tests/e2e/server.rs"]
#[allow(dead_code)]
mod server;

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

/// Servers (ports) the documents are spread over, as in `noisy_cycle`.
const SERVERS: usize = 4;

fn main() {
    let dir = PathBuf::from(
        std::env::var_os("TERMTRAIL_BENCH_DIR").expect("TERMTRAIL_BENCH_DIR names the folder"),
    );
    let docs: usize = std::env::var("TERMTRAIL_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let secs: u64 = std::env::var("TERMTRAIL_BENCH_SERVE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3600);
    std::fs::create_dir_all(&dir).expect("create the fixture folder");
    let ports_file = dir.join("ports");
    let cfg = dir.join("termtrail.toml");
    // The same ports as the first run, so that the config's URLs still reach the servers.
    let wanted: Vec<u16> = std::fs::read_to_string(&ports_file)
        .map(|s| {
            s.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_else(|_| vec![0; SERVERS]);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let nonce = Arc::new(AtomicU64::new(1));
    let mut ports = vec![];
    for port in wanted {
        let app = axum::Router::new()
            .fallback(noisy::serve)
            .with_state(nonce.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
            .expect("bind the fixture's port on 127.0.0.1");
        ports.push(listener.local_addr().expect("addr").port());
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    if !cfg.exists() {
        let hosts = hosts::loopback_hosts();
        std::fs::write(&cfg, documents::config("", &hosts, &ports, docs)).expect("write config");
        let list: Vec<String> = ports.iter().map(u16::to_string).collect();
        std::fs::write(&ports_file, list.join(" ")).expect("write ports");
        let first = rusage::run_check(&dir, &cfg);
        println!(
            "first cycle of {docs} documents: {:.2} s of CPU, {:.1} s wall, peak RSS {:.1} MB",
            first.cpu.as_secs_f64(),
            first.wall.as_secs_f64(),
            first.max_rss_kb as f64 / 1024.0
        );
    }
    println!(
        "serving for {secs} s; in {}: termtrail --config termtrail.toml check --json",
        dir.display()
    );
    std::thread::sleep(Duration::from_secs(secs));
}
