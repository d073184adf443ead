//! Benchmark: the no-change cycle on realistic pages, whose bytes change on every request outside
//! the policy region (a nonce in a script, a build id, tracking parameters in links, an ad), as
//! most real policy pages do, at several document counts, so growth per document is visible;
//! urlwatch 2.29 side by side on the same pages in the same run.
//!
//! Synthetic pages of 30–60 KB (`policy_page`, written by us) are served on 127.0.0.1 by several
//! servers (ports). The documents are spread over every host name that reaches 127.0.0.1 as a
//! distinct host for termtrail's per-host limits (`common/hosts.rs` says which and why:
//! `127.0.0.1`, `localhost`, `[::ffff:127.0.0.1]`, and other names /etc/hosts maps to 127.0.0.1),
//! each limited to 8 fetches at once; the servers count the requests by `Host` header, and the
//! bench fails unless every name was fetched. Each count runs `termtrail check` once to record
//! everything (the first cycle, extraction of every page: not the measured figure), then measures
//! the next cycle (same policy text, new bytes): CPU time (user + system) and peak RSS of the child
//! process from `wait4`'s rusage, median of the repetitions.
//!
//! urlwatch is installed into a temporary virtualenv (`pip install urlwatch==2.29 lxml cssselect`)
//! and watches the same URLs with the same selection: the `css` filter on `main` with `exclude:
//! .ad` (it keeps the selected HTML, it makes no Markdown). Its urls, config, hooks, cache and HOME
//! are in a temporary directory. It is run once to fill its cache, then measured the same way
//! (rusage of the process and of its children); the bench fails unless it exited 0 and its cache
//! holds a good entry per page and none from a failed try; the
//! servers check that each measured run, termtrail's or urlwatch's, fetched every page once. If it cannot be installed, a line says so and termtrail
//! is measured alone.
//!
//! Run: `cargo bench -p termtrail --bench noisy_cycle`. `TERMTRAIL_BENCH_COUNTS=1000,5000,10000`
//! sets the document counts (default 200,1000,2000), `TERMTRAIL_BENCH_REPS` the repetitions of
//! each (default 3 for up to 200 documents, 1 above), `TERMTRAIL_BENCH_URLWATCH=0` leaves urlwatch
//! out, `TERMTRAIL_BENCH_URLWATCH_MAX` the largest count urlwatch is run at (default 2000: it
//! takes about 10 ms of CPU per page).

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
#[path = "common/urlwatch.rs"]
mod urlwatch;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, Uri};
use axum::response::Response;

use documents::{config, url};
use hosts::{host_key, loopback_hosts};
use rusage::{run_check, Sample};
use urlwatch::Urlwatch;

/// Servers (ports) the documents are spread over. Connections are kept alive, at most 8 per host
/// name, so a few ports serve 10,000 documents.
const SERVERS: usize = 4;

/// The noisy fixture, counting the requests per `Host` name (port left out).
struct Fixture {
    nonce: Arc<AtomicU64>,
    by_host: Mutex<BTreeMap<String, u64>>,
}

impl Fixture {
    /// The requests served so far.
    fn requests(&self) -> u64 {
        self.by_host.lock().expect("no panic").values().sum()
    }
}

async fn counted(State(f): State<Arc<Fixture>>, headers: HeaderMap, uri: Uri) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    // `name:port` or `[v6]:port`: the name is what precedes the last colon after any `]`.
    let name = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => &host[..i],
        _ => host,
    };
    *f.by_host
        .lock()
        .expect("no panic while counting")
        .entry(name.to_ascii_lowercase())
        .or_default() += 1;
    noisy::serve(State(f.nonce.clone()), uri).await
}

fn median(mut samples: Vec<Sample>) -> Sample {
    samples.sort_by_key(|s| s.cpu);
    samples.swap_remove(samples.len() / 2)
}

fn row(n: usize, program: &str, reps: usize, first: &Sample, s: &Sample) {
    let cpu = s.cpu.as_secs_f64();
    println!(
        "| {n} | {program} | {reps} | {:.2} s, {:.1} MB | {cpu:.2} s | {:.2} ms | {:.1} MB | {:.1} s |",
        first.cpu.as_secs_f64(),
        first.max_rss_kb as f64 / 1024.0,
        cpu * 1000.0 / n as f64,
        s.max_rss_kb as f64 / 1024.0,
        s.wall.as_secs_f64()
    );
}

fn main() {
    let counts: Vec<usize> = std::env::var("TERMTRAIL_BENCH_COUNTS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![200, 1000, 2000]);
    let reps_env: Option<usize> = std::env::var("TERMTRAIL_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok());
    let urlwatch_max: usize = std::env::var("TERMTRAIL_BENCH_URLWATCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fixture = Arc::new(Fixture {
        nonce: Arc::new(AtomicU64::new(1)),
        by_host: Mutex::new(BTreeMap::new()),
    });
    let mut ports = vec![];
    for _ in 0..SERVERS {
        let app = axum::Router::new()
            .fallback(counted)
            .with_state(fixture.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        ports.push(listener.local_addr().expect("addr").port());
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    let hosts = loopback_hosts();

    let urlwatch = if !urlwatch::wanted() {
        println!("urlwatch not measured: TERMTRAIL_BENCH_URLWATCH=0");
        None
    } else {
        match Urlwatch::install() {
            Ok(u) => Some(u),
            Err(why) => {
                println!("urlwatch not measured: {why}");
                None
            }
        }
    };

    println!("termtrail check, pages of 30–60 KB whose bytes change at every request outside the policy region,");
    println!(
        "{SERVERS} servers on 127.0.0.1, {} host names ({}), 8 fetches at once per host; no-change cycle after a first cycle, fsync on\n",
        hosts.len(),
        hosts.join(", ")
    );
    println!("| documents | program | runs | first cycle CPU, peak RSS | no-change CPU (user+sys) | CPU per document | peak RSS | wall |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut notes = vec![];
    for &n in &counts {
        let reps = reps_env.unwrap_or(if n <= 200 { 3 } else { 1 });
        let mut firsts = vec![];
        let mut samples = vec![];
        for _ in 0..reps {
            let dir = tempfile::tempdir().expect("tempdir");
            let cfg = dir.path().join("termtrail.toml");
            std::fs::write(&cfg, config("", &hosts, &ports, n)).expect("write config");
            fixture.by_host.lock().expect("no panic").clear();
            firsts.push(run_check(dir.path(), &cfg));
            let by_host = fixture.by_host.lock().expect("no panic").clone();
            for host in &hosts {
                let name = host_key(host);
                assert!(
                    by_host.get(&name).is_some_and(|&c| c > 0) || n < hosts.len(),
                    "no request came by host name {host}: {by_host:?}"
                );
            }
            let before = fixture.requests();
            samples.push(run_check(dir.path(), &cfg));
            assert_eq!(
                fixture.requests() - before,
                n as u64,
                "termtrail fetched every page once"
            );
        }
        let first = median(firsts);
        let tt = median(samples);
        row(n, "termtrail", reps, &first, &tt);

        let Some(uw) = &urlwatch else { continue };
        if n > urlwatch_max {
            notes.push(format!("urlwatch not measured at {n} documents: above TERMTRAIL_BENCH_URLWATCH_MAX={urlwatch_max}"));
            continue;
        }
        let urls: Vec<String> = (0..n).map(|i| url(&hosts, &ports, i)).collect();
        let mut firsts = vec![];
        let mut samples = vec![];
        for _ in 0..reps {
            let work = tempfile::tempdir().expect("tempdir");
            let jobs = uw.jobs(work.path(), &urls);
            firsts.push(jobs.run());
            let before = fixture.requests();
            samples.push(jobs.run());
            assert_eq!(
                fixture.requests() - before,
                n as u64,
                "urlwatch fetched every page once"
            );
        }
        let first = median(firsts);
        let u = median(samples);
        row(
            n,
            &format!("urlwatch {}", urlwatch::VERSION),
            reps,
            &first,
            &u,
        );
        println!(
            "| {n} | termtrail / urlwatch | | | {:.2} | | {:.2} | |",
            tt.cpu.as_secs_f64() / u.cpu.as_secs_f64(),
            tt.max_rss_kb as f64 / u.max_rss_kb as f64
        );
    }
    for note in notes {
        println!("\n{note}");
    }
}
