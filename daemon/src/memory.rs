//! Giving freed heap back to the system when the daemon falls idle. glibc keeps what a burst of
//! checks freed (page bodies, parsed pages) in its arenas, one per thread that allocated, so an
//! idle daemon would hold its busiest moment's heap until the next burst.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Trims at most this often: a trim walks every arena.
const EVERY: Duration = Duration::from_secs(10);

/// Returns the free memory at the top of each of glibc's arenas to the system (`malloc_trim`),
/// at most once per [`EVERY`]. Elsewhere than glibc, does nothing.
pub fn release_freed() {
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    let Ok(mut last) = LAST.lock() else {
        return;
    };
    if last.is_some_and(|t| t.elapsed() < EVERY) {
        return;
    }
    *last = Some(Instant::now());
    trim();
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only walks and shrinks the allocator's own arenas; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
