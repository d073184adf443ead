//! Benchmark: the size of the archive under noisy pages (new bytes at every request outside the
//! policy region, the same policy text), after the first cycle and after 30, under each
//! `archive.snapshots` retention, and the time of a packing.
//!
//! 200 synthetic pages of 30–60 KB (`policy_page`, written by us) are served on 127.0.0.1 with a
//! new nonce at every request. `termtrail check` runs as a child process; sizes are `du -sk` of
//! the archive folder (disk blocks, as a user sees them), objects are counted in the folder.
//!
//! - `versions` (the default, with the default `pack_after`): 30 cycles.
//! - `all` (every fetch whose bytes changed keeps a snapshot, as before the retention existed),
//!   `pack_after = 0`: 3 cycles (the figure), then one packing timed in process
//!   (`termtrail::archive::pack::pack`, one thread).
//!
//! Run: `cargo bench -p termtrail --bench archive_growth` (`TERMTRAIL_BENCH_DOCS` sets the number of
//! documents, `TERMTRAIL_BENCH_CYCLES` the cycles of the `versions` run).

#[path = "common/noisy.rs"]
mod noisy;
#[path = "common/rusage.rs"]
mod rusage;
#[path = "../../tests/e2e/server.rs"]
#[allow(dead_code)]
mod server;

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use noisy::serve;
use rusage::run_check;
use termtrail::archive::pack;

fn config(port: u16, docs: usize, archive: &str) -> String {
    let mut toml = format!(
        "[archive]\npath = \"archive\"\n{archive}\n\n[fetch.hosts.\"127.0.0.1\"]\nper_host_concurrency = 8\nper_host_delay = \"0s\"\n"
    );
    for i in 0..docs {
        toml.push_str(&format!(
            "\n[[document]]\nplatform = \"p{i}\"\nkind = \"privacy-policy\"\nurl = \"http://127.0.0.1:{port}/p{i}\"\nselect = [\"main\"]\nremove = [\".ad\"]\n"
        ));
    }
    toml
}

fn du_kib(dir: &Path) -> u64 {
    let out = std::process::Command::new("du")
        .arg("-sk")
        .arg(dir)
        .output()
        .expect("du runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("du prints a size")
}

/// Commits on `main` and on `snapshots`.
fn commits(dir: &Path) -> (usize, usize) {
    let repo = git2::Repository::open_bare(dir).expect("archive");
    let count = |branch: &str| {
        let mut walk = repo.revwalk().expect("walk");
        walk.push_ref(branch).expect("branch");
        walk.count()
    };
    (count("refs/heads/main"), count("refs/heads/snapshots"))
}

/// `(loose objects, packs)` in the archive at `dir`.
fn objects(dir: &Path) -> (usize, usize) {
    let loose = pack::loose_objects(&dir.join("objects")).len();
    let packs = std::fs::read_dir(dir.join("objects/pack")).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
            .count()
    });
    (loose, packs)
}

fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

fn main() {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let docs = env("TERMTRAIL_BENCH_DOCS", 200);
    let cycles = env("TERMTRAIL_BENCH_CYCLES", 30);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let nonce = Arc::new(AtomicU64::new(1));
    let app = axum::Router::new().fallback(serve).with_state(nonce);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("addr").port();
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    println!("{docs} pages of 30–60 KB, new bytes at every request outside the policy region, same text\n");

    // The default retention: the evidence only.
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("termtrail.toml");
    let archive = dir.path().join("archive");
    std::fs::write(&cfg, config(port, docs, "")).expect("write config");
    let first = run_check(dir.path(), &cfg);
    let (size1, objects1) = (du_kib(&archive), objects(&archive));
    let mut cpu = Vec::new();
    for _ in 2..=cycles {
        cpu.push(run_check(dir.path(), &cfg).cpu);
    }
    cpu.sort();
    let (size_n, objects_n) = (du_kib(&archive), objects(&archive));
    let (main_n, snapshots_n) = commits(&archive);
    let repack = pack::pack(&archive).expect("packs");
    println!("| retention | after cycle 1 | after cycle {cycles} | ratio | loose objects, packs (1 → {cycles}) |");
    println!("|---|---|---|---|---|");
    println!(
        "| `versions` (default, `pack_after` 1000) | {} | {} | {:.2} | {objects1:?} → {objects_n:?} |",
        mb(size1),
        mb(size_n),
        size_n as f64 / size1 as f64
    );

    // Every change of bytes kept, never packed: the behaviour before the retention.
    let all = tempfile::tempdir().expect("tempdir");
    let all_cfg = all.path().join("termtrail.toml");
    let all_archive = all.path().join("archive");
    std::fs::write(
        &all_cfg,
        config(port, docs, "snapshots = \"all\"\npack_after = 0"),
    )
    .expect("write config");
    run_check(all.path(), &all_cfg);
    let all1 = du_kib(&all_archive);
    for _ in 2..=3 {
        run_check(all.path(), &all_cfg);
    }
    let all3 = du_kib(&all_archive);
    let all_objects = objects(&all_archive);
    let packed = pack::pack(&all_archive).expect("packs");
    let all_packed = du_kib(&all_archive);
    println!(
        "| `all`, `pack_after` 0 | {} | {} after cycle 3 | {:.2} | {all_objects:?} after cycle 3 |",
        mb(all1),
        mb(all3),
        all3 as f64 / all1 as f64
    );
    println!();
    println!(
        "`versions` after cycle {cycles}: {main_n} commits on main, {snapshots_n} on snapshots"
    );
    println!(
        "first cycle (`versions`, packing included): CPU {:.2} s, wall {:.2} s, peak RSS {:.1} MB; no-change cycle CPU, median of {}: {:.2} s",
        first.cpu.as_secs_f64(),
        first.wall.as_secs_f64(),
        first.max_rss_kb as f64 / 1024.0,
        cpu.len(),
        cpu.get(cpu.len() / 2).copied().unwrap_or(Duration::ZERO).as_secs_f64()
    );
    println!(
        "packing the `versions` archive after cycle {cycles} again: {} objects, {} ms, pack {}",
        repack.objects,
        repack.elapsed.as_millis(),
        mb(repack.bytes / 1024)
    );
    println!(
        "packing the `all` archive after cycle 3: {} objects, {} loose deleted, {} ms, {} → {} on disk",
        packed.objects,
        packed.loose_removed,
        packed.elapsed.as_millis(),
        mb(all3),
        mb(all_packed)
    );
}
