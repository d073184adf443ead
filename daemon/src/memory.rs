//! The heap's footprint under glibc: how many arenas it may spread over ([`limit_arenas`], at
//! start), and giving freed heap back when the daemon falls idle ([`release_freed`]).
//!
//! glibc gives each thread that allocates under contention its own arena, up to eight per core,
//! and keeps what a burst of checks freed (page bodies, parsed pages) in each. Live data spread
//! thinly over many arenas keeps their pages resident even after a trim: with the default, an
//! idle daemon of 200 documents held 15.4 MB of anonymous memory over eight arenas; with one
//! arena per core, 10.3 MB (`daemon_memory` bench, docs/benchmarks.md).

use std::time::Duration;

/// How long the daemon must have been idle (no check running) before it trims: the last check's
/// writes and state save are done by then, and a trim is not repeated between two close checks.
pub const SETTLE: Duration = Duration::from_secs(2);

/// Returns the free memory of each of glibc's arenas to the system (`malloc_trim`). The scheduler
/// calls it once per idle spell, [`SETTLE`] after its last check ended. Elsewhere than glibc,
/// does nothing.
pub fn release_freed() {
    trim();
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
