//! The heap's footprint under glibc: how many arenas it may spread over ([`limit_arenas`], at
//! start), and giving freed heap back when the daemon falls idle ([`release_freed`]).
//!
//! glibc gives each thread that allocates under contention its own arena, up to eight per core,
//! and keeps what a burst of checks freed (page bodies, parsed pages) in each. Live data spread
//! thinly over many arenas keeps their pages resident even after a trim: with the default, an
//! idle daemon of 200 documents held 15.4 MB of anonymous memory over eight arenas; with one
//! arena per core, 10.3 MB (`daemon_memory` bench, docs/benchmarks.md).

use std::sync::Mutex;
use std::time::{Duration, Instant};

mod code;

pub use code::release_code;

/// How long the daemon must have nothing due before it gives up its code pages
/// ([`release_idle_code`]): they come back, by page faults, at the next check.
pub const LONG_IDLE: Duration = Duration::from_secs(60);

/// [`release_code`], logged: for the scheduler when nothing is due for [`LONG_IDLE`].
pub fn release_idle_code() {
    match release_code() {
        Ok(bytes) => tracing::debug!(bytes, "idle: code pages released"),
        Err(e) => tracing::debug!(error = %e, "idle: cannot read this process's mappings"),
    }
}

/// How long the daemon must have been idle (no check running) before the trim that ends a cycle
/// when the one at its end was skipped for being too close to the last.
pub const SETTLE: Duration = Duration::from_secs(2);

/// A daemon busy enough never to stay idle for [`SETTLE`] still trims when its checks are all
/// done, at most this often (a trim walks every arena).
const EVERY: Duration = Duration::from_secs(10);

/// When the last trim was.
static LAST: Mutex<Option<Instant>> = Mutex::new(None);

/// Returns the free memory of each of glibc's arenas to the system (`malloc_trim`). The scheduler
/// calls it [`SETTLE`] after the last check of an idle spell ended, when the rate limit of
/// [`release_freed_now_and_then`] kept it from trimming then. Elsewhere than glibc, does nothing.
pub fn release_freed() {
    if let Ok(mut last) = LAST.lock() {
        *last = Some(Instant::now());
    }
    trim();
}

/// [`release_freed`] unless it ran in the last [`EVERY`]: for the moments a busy daemon has no
/// check running. Whether it trimmed.
pub fn release_freed_now_and_then() -> bool {
    let recent = LAST
        .lock()
        .map(|last| last.is_some_and(|t| t.elapsed() < EVERY))
        .unwrap_or(true);
    if !recent {
        release_freed();
    }
    !recent
}

/// Bounds glibc's arenas to one per core (the fetch and extraction threads are bounded by the
/// core count too), unless the user chose with `MALLOC_ARENA_MAX`. Call it before any thread
/// starts. Elsewhere than glibc, does nothing.
pub fn limit_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    set_arena_max(cores);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_arena_max(arenas: usize) {
    let arenas = libc::c_int::try_from(arenas).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt sets one of the allocator's parameters; called before other threads exist.
    // A refusal (0) only leaves glibc's default.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_arena_max(_: usize) {}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only walks and shrinks the allocator's own arenas; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use std::process::Command;
    use std::sync::{Arc, Barrier};

    /// Set in the child process this test starts: `limit` or `default`.
    const CHILD: &str = "TERMTRAIL_ARENA_TEST_CHILD";

    /// glibc's arenas, counted in `malloc_info`'s report (one `<heap nr=...>` each).
    fn arenas() -> usize {
        let path = std::env::temp_dir().join(format!("termtrail-arenas-{}", std::process::id()));
        let name = std::ffi::CString::new(path.to_string_lossy().as_bytes()).expect("path");
        // SAFETY: a file opened for writing, handed to malloc_info, then closed.
        unsafe {
            let file = libc::fopen(name.as_ptr(), c"w".as_ptr());
            assert!(!file.is_null(), "cannot open {}", path.display());
            libc::malloc_info(0, file);
            libc::fclose(file);
        }
        let report = std::fs::read_to_string(&path).expect("malloc_info's report");
        let _ = std::fs::remove_file(&path);
        report.matches("<heap nr=").count()
    }

    /// Runs the test `name` of this binary in a child process with [`CHILD`] set to `mode`, and
    /// returns the number it printed as `KEY=N`.
    fn in_child(name: &str, mode: &str, key: &str) -> usize {
        let out = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env(CHILD, mode)
            .env_remove("MALLOC_ARENA_MAX")
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name} {mode}: {stdout}");
        // The harness prints the test's name on the same line.
        stdout
            .split(&format!("{key}="))
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name} {mode}: no {key} in {stdout}"))
    }

    /// This process's anonymous resident memory, in KiB (`RssAnon` of /proc/self/status).
    fn rss_anon_kib() -> usize {
        let status = std::fs::read_to_string("/proc/self/status").expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("RssAnon:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("RssAnon")
    }

    /// In a child process (alone, so that its memory is its own): 64 MiB of small blocks freed
    /// but for the last, which keeps the heap's top in place, so only a trim gives the pages
    /// back. [`super::release_freed`] gives back most of them, and
    /// [`super::release_freed_now_and_then`] does not trim again within [`super::EVERY`].
    #[test]
    fn release_freed_gives_back_freed_heap_at_most_so_often() {
        if let Some(mode) = std::env::var_os(CHILD) {
            let mut blocks: Vec<Box<[u8; 240]>> =
                (0..(64 << 20) / 256).map(|_| Box::new([1; 240])).collect();
            let last = blocks.pop();
            drop(blocks);
            let before = rss_anon_kib();
            if mode == "trim" {
                super::release_freed();
                assert!(
                    !super::release_freed_now_and_then(),
                    "trimmed again at once"
                );
            }
            std::hint::black_box(last);
            println!("released={}", before.saturating_sub(rss_anon_kib()));
            return;
        }
        let name = "memory::tests::release_freed_gives_back_freed_heap_at_most_so_often";
        let (trimmed, kept) = (
            in_child(name, "trim", "released"),
            in_child(name, "keep", "released"),
        );
        assert!(trimmed > 32 * 1024, "{trimmed} KiB given back by the trim");
        assert!(
            kept < 8 * 1024,
            "{kept} KiB given back without a trim: the test shows nothing"
        );
    }

    /// In a child process (the setting must come before the threads, as `main` makes it): the
    /// arenas after more threads than twice the cores each allocated while all the others held
    /// their memory, with and without [`super::limit_arenas`]. Without it glibc gives each
    /// thread an arena of its own; with it there are at most one per core.
    #[test]
    fn limit_arenas_bounds_the_arenas_to_the_cores() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = 2 * cores + 2;
        if let Some(mode) = std::env::var_os(CHILD) {
            if mode == "limit" {
                super::limit_arenas();
            }
            let all = Arc::new(Barrier::new(threads));
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    let all = all.clone();
                    std::thread::spawn(move || {
                        let held: Vec<Box<[u8; 64]>> =
                            (0..1_000).map(|_| Box::new([1; 64])).collect();
                        all.wait();
                        std::hint::black_box(held);
                    })
                })
                .collect();
            for w in workers {
                w.join().expect("worker");
            }
            println!("arenas={}", arenas());
            return;
        }
        let run = |mode: &str| {
            in_child(
                "memory::tests::limit_arenas_bounds_the_arenas_to_the_cores",
                mode,
                "arenas",
            )
        };
        let (limited, default) = (run("limit"), run("default"));
        assert!(limited <= cores, "{limited} arenas for {cores} cores");
        assert!(
            default > cores,
            "without the limit {default} arenas for {threads} threads: the test shows nothing"
        );
    }
}
