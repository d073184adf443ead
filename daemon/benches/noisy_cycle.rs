//! Benchmark: the no-change cycle on realistic pages, whose bytes change on every request outside
//! the policy region (a nonce in a script, a build id, tracking parameters in links, an ad), as
//! most real policy pages do, at several document counts, so growth per document is visible.
//!
//! Synthetic pages of 30–60 KB (`policy_page`, written by us) are served on 127.0.0.1 by several
//! servers (ports), half of the documents named by `127.0.0.1` and half by `localhost` so that
//! two hosts' limits are in play. Each count runs `termtrail check` once to record everything,
//! then measures the next cycle (same policy text, new bytes): CPU time (user + system) and peak
//! RSS of the child process from `wait4`'s rusage, median of the repetitions.
//!
//! Run: `cargo bench -p termtrail --bench noisy_cycle` (`TERMTRAIL_BENCH_COUNTS=200,1000,2000`
//! sets the document counts, `TERMTRAIL_BENCH_REPS` the repetitions of each, default 3 for 200
//! documents and 1 above).

#[path = "common/noisy.rs"]
mod noisy;
#[path = "common/rusage.rs"]
mod rusage;
#[path = "../../tests/e2e/server.rs"]
#[allow(dead_code)]
mod server;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use noisy::serve;
use rusage::run_check;

/// Servers (ports) the documents are spread over.
const SERVERS: usize = 4;

/// The kinds of a platform's documents (Open Terms Archive's terms types).
const KINDS: [&str; 6] = [
    "privacy-policy",
    "terms-of-service",
    "acceptable-use-policy",
    "commercial-terms",
    "trackers-policy",
    "developer-terms",
];

fn config(ports: &[u16], docs: usize) -> String {
    let mut toml = String::from("[archive]\npath = \"archive\"\n\n[fetch]\n");
    for host in ["127.0.0.1", "localhost"] {
        toml.push_str(&format!(
            "[fetch.hosts.\"{host}\"]\nper_host_concurrency = 8\nper_host_delay = \"0s\"\n"
        ));
    }
    for i in 0..docs {
        let host = if i % 2 == 0 { "127.0.0.1" } else { "localhost" };
        let port = ports[i % ports.len()];
        // Several kinds per platform, as a platform has several documents.
        toml.push_str(&format!(
            "\n[[document]]\nplatform = \"p{}\"\nkind = \"{}\"\nurl = \"http://{host}:{port}/p{i}\"\nselect = [\"main\"]\nremove = [\".ad\"]\n",
            i / KINDS.len(),
            KINDS[i % KINDS.len()]
        ));
    }
    toml
}

fn main() {
    let counts: Vec<usize> = std::env::var("TERMTRAIL_BENCH_COUNTS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![200, 1000, 2000]);
    let reps_env: Option<usize> = std::env::var("TERMTRAIL_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let nonce = Arc::new(AtomicU64::new(1));
    let mut ports = vec![];
    for _ in 0..SERVERS {
        let app = axum::Router::new()
            .fallback(serve)
            .with_state(nonce.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        ports.push(listener.local_addr().expect("addr").port());
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }

    println!("termtrail check, pages of 30–60 KB whose bytes change at every request outside the policy region,");
    println!("{SERVERS} servers on 127.0.0.1, two host names; no-change cycle after a first cycle, fsync on\n");
    println!("| documents | runs | first cycle CPU | no-change CPU (user+sys) | CPU per document | peak RSS | wall |");
    println!("|---|---|---|---|---|---|---|");
    for &n in &counts {
        let reps = reps_env.unwrap_or(if n <= 200 { 3 } else { 1 });
        let mut firsts = vec![];
        let mut samples = vec![];
        for _ in 0..reps {
            let dir = tempfile::tempdir().expect("tempdir");
            let cfg = dir.path().join("termtrail.toml");
            std::fs::write(&cfg, config(&ports, n)).expect("write config");
            firsts.push(run_check(dir.path(), &cfg).cpu);
            samples.push(run_check(dir.path(), &cfg));
        }
        firsts.sort();
        samples.sort_by_key(|s| s.cpu);
        let s = &samples[samples.len() / 2];
        let cpu = s.cpu.as_secs_f64();
        println!(
            "| {n} | {reps} | {:.2} s | {cpu:.2} s | {:.2} ms | {:.1} MB | {:.1} s |",
            firsts[firsts.len() / 2].as_secs_f64(),
            cpu * 1000.0 / n as f64,
            s.max_rss_kb as f64 / 1024.0,
            s.wall.as_secs_f64()
        );
    }
}
