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
