//! Benchmark: what each background packing costs as an archive grows.
//!
//! An archive of `TERMTRAIL_BENCH_DOCS` documents (default 2,000) is recorded in process (the
//! archive's own `record`, no fetching), each with a synthetic page of about 40 KB and its text,
//! then packed. Then `TERMTRAIL_BENCH_ROUNDS` rounds (default 12): a tenth of the documents
//! (`TERMTRAIL_BENCH_CHANGED`) get a new revision, which leaves their objects loose, and the
//! archive is packed as the daemon's packer does (`termtrail::archive::pack::pack`, one thread).
//! Each packing's objects, time and CPU (the calling thread's, `getrusage(RUSAGE_THREAD)`) are
//! printed, then the totals, the packs left and `git count-objects -v`; `git fsck --strict` must
//! accept the archive at the end.
//!
//! Run: `cargo bench -p termtrail --bench pack_growth`.

#[path = "../../tests/e2e/audit.rs"]
mod audit;
#[path = "../../tests/e2e/server.rs"]
#[allow(dead_code)]
mod server;

use std::time::{Duration, Instant, SystemTime};

use termtrail::archive::{
    pack, Archive, ArchiveSettings, FetchText, HoldPolicy, Prior, Retention, SnapshotMeta,
    SnapshotPage, VersionRequest,
};
use termtrail::document::DocumentId;

fn env(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// This thread's CPU time (user + system).
fn thread_cpu() -> Duration {
    // SAFETY: getrusage writes into the struct it is given.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut u);
        u
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Records revision `rev` of document `i`: its page and its text.
fn record(a: &mut Archive, i: usize, rev: usize) {
    let doc = DocumentId::parse(&format!("p{i}/privacy-policy")).expect("id");
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + rev as u64 * 3_600);
    let html = server::policy_page(i, rev, rev, 40_000);
    let text = format!(
        "# Privacy Policy {i}\n\nRevision {rev}\n\n{}",
        "We collect information you provide when you use the service. ".repeat(150)
    );
    let page = SnapshotPage::new(
        SnapshotMeta {
            source_url: format!("https://example.org/p{i}"),
            final_url: format!("https://example.org/p{i}"),
            fetched_at: at,
            content_type: Some("text/html".into()),
            status: 200,
            fetcher: None,
        },
        "html".into(),
        html.into_bytes(),
    );
    let version = VersionRequest {
        doc: doc.clone(),
        title: doc.default_title(),
        source_url: format!("https://example.org/p{i}"),
        fetched_at: at,
        snapshot: git2::Oid::zero(),
        extractor: "bench".into(),
        text,
        technical: false,
        plugin_summary: None,
        page_language: None,
    };
    a.record(
        &doc,
        "P",
        &[page],
        FetchText::Extracted(Box::new(version)),
        Prior::default(),
        |_, _| {},
    )
    .expect("recorded");
}

fn main() {
    let docs = env("TERMTRAIL_BENCH_DOCS", 2_000);
    let rounds = env("TERMTRAIL_BENCH_ROUNDS", 12);
    let changed = env("TERMTRAIL_BENCH_CHANGED", docs / 10).max(1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("archive");
    let mut a = Archive::open(&ArchiveSettings {
        path: dir.clone(),
        author_name: "termtrail".into(),
        author_email: "termtrail@localhost".into(),
        fsync: false,
        holds: HoldPolicy::default(),
        snapshots: Retention::Versions,
        pack_after: 0,
    })
    .expect("archive");
    for i in 0..docs {
        record(&mut a, i, 1);
    }
    println!(
        "{docs} documents (pages of about 40 KB and their texts), then {rounds} rounds of {changed} new revisions, each followed by a packing\n"
    );
    println!("| packing | loose objects | objects in the new pack | packs after | wall | CPU |");
    println!("|---|---|---|---|---|---|");
    let (mut total_wall, mut total_cpu, mut total_objects) = (Duration::ZERO, Duration::ZERO, 0);
    let mut next = 0;
    for round in 0..=rounds {
        if round > 0 {
            for _ in 0..changed {
                record(&mut a, next % docs, round + 1 + next / docs);
                next += 1;
            }
        }
        let loose = pack::loose_objects(&dir.join("objects")).len();
        let (t0, c0) = (Instant::now(), thread_cpu());
        let r = pack::pack(&dir).expect("packed");
        let (wall, cpu) = (t0.elapsed(), thread_cpu() - c0);
        let packs = std::fs::read_dir(dir.join("objects/pack"))
            .expect("pack folder")
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
            .count();
        if round > 0 {
            total_wall += wall;
            total_cpu += cpu;
            total_objects += r.objects;
        }
        println!(
            "| {} | {loose} | {} | {packs} | {:.0} ms | {:.0} ms |",
            if round == 0 {
                "first (everything)".to_owned()
            } else {
                format!("after round {round}")
            },
            r.objects,
            wall.as_secs_f64() * 1e3,
            cpu.as_secs_f64() * 1e3
        );
    }
    drop(a);
    println!(
        "\nrounds 1-{rounds}: {total_objects} objects written into packs, {:.2} s wall, {:.2} s CPU",
        total_wall.as_secs_f64(),
        total_cpu.as_secs_f64()
    );
    let counted = audit::git(&dir, &["count-objects", "-v"]);
    let field = |k: &str| {
        counted
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    println!(
        "git count-objects: {} loose, {} packs, {} KiB packed",
        field("count:"),
        field("packs:"),
        field("size-pack:")
    );
    audit::fsck(&dir).expect("git fsck --strict accepts the archive");
    println!("git fsck --strict: clean");
}
