//! Benchmark: `termtrail check` over 200 synthetic policy pages (30–60 KB) served on 127.0.0.1.
//!
//! Measures wall time, CPU time (user + system) and peak RSS of the termtrail process (from
//! `wait4`'s rusage) for (a) the first run, (b) a run with no change, with and without ETags, and
//! (c) a run after 20 pages changed. Each scenario is run `REPS` times on a fresh archive; the
//! median is printed as a Markdown table.
//!
//! Run: `cargo bench -p termtrail --bench check_cycle` (set `TERMTRAIL_BENCH_PAGES` to change the
//! page count, `TERMTRAIL_BENCH_REPS` the repetitions).

#[path = "common/rusage.rs"]
mod rusage;
#[path = "../../tests/e2e/server.rs"]
#[allow(dead_code)]
mod server;

use rusage::{run_check, Sample};
use server::{policy_page, Page, Server};

fn median(mut v: Vec<Sample>) -> Sample {
    v.sort_by_key(|s| s.cpu);
    v.swap_remove(v.len() / 2)
}

fn page_size(i: usize) -> usize {
    30_000 + (i * 7919) % 30_000
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is ignored.
    let pages: usize = std::env::var("TERMTRAIL_BENCH_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let reps: usize = std::env::var("TERMTRAIL_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut rows: Vec<(&str, Vec<Sample>)> = vec![
        ("(a) first run", vec![]),
        ("(b) no change, full responses", vec![]),
        ("(b) no change, ETag → 304", vec![]),
        ("(c) 20 pages changed", vec![]),
    ];
    for _ in 0..reps {
        let server = Server::start();
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("termtrail.toml");
        let mut toml = String::from(
            "[archive]\npath = \"archive\"\n\n[fetch]\n[fetch.hosts.\"127.0.0.1\"]\nper_host_concurrency = 8\nper_host_delay = \"0s\"\n",
        );
        for i in 0..pages {
            toml.push_str(&format!(
                "\n[[document]]\nplatform = \"p{i}\"\nkind = \"privacy-policy\"\nurl = \"{}\"\nselect = [\"main\"]\nremove = [\".ad\"]\n",
                server.url(&format!("/p{i}"))
            ));
        }
        std::fs::write(&config, toml).expect("write config");
        let set_all = |revision: usize, noise: usize, etag: bool, changed: usize| {
            for i in 0..pages {
                let rev = if i < changed { revision + 1 } else { revision };
                let mut p = Page::html(policy_page(i, rev, noise, page_size(i)));
                if etag {
                    p = p.with_etag();
                }
                server.set(&format!("/p{i}"), p);
            }
        };
        set_all(1, 1, false, 0);
        rows[0].1.push(run_check(dir.path(), &config));
        rows[1].1.push(run_check(dir.path(), &config));
        // Same bytes, now with ETags: one run to learn them, then the measured run of 304s.
        set_all(1, 1, true, 0);
        run_check(dir.path(), &config);
        rows[2].1.push(run_check(dir.path(), &config));
        set_all(1, 1, false, 20);
        rows[3].1.push(run_check(dir.path(), &config));
    }
    println!("termtrail check, {pages} pages of 30–60 KB on 127.0.0.1, median of {reps} run(s), fsync on (the default)\n");
    println!("| scenario | wall | CPU (user+sys) | peak RSS |");
    println!("|---|---|---|---|");
    for (name, samples) in rows {
        let s = median(samples);
        println!(
            "| {name} | {:.2} s | {:.3} s | {:.1} MB |",
            s.wall.as_secs_f64(),
            s.cpu.as_secs_f64(),
            s.max_rss_kb as f64 / 1024.0
        );
    }
}
