//! libgit2's process-wide set-up, made once at start ([`start`]): TLS without its start-up cost.
//!
//! libgit2 (built with HTTPS for `[archive] push`) reads and parses the whole system CA bundle
//! the first time any git2 function runs: 60–90 ms of CPU in every `termtrail` process, most of a
//! no-change `check` of 200 pages, though only an HTTPS push ever uses it. So libgit2 starts with
//! the bundle deferred, and a push to an `https://` remote loads it first ([`load_ca_bundle`]).
//!
//! libgit2's object cache (no tree over 4 KiB) is bounded to [`OBJECT_CACHE`] of object data
//! instead of 256 MiB: the large trees, the branches' root trees, are indexed by the archive
//! itself (`archive/roots.rs`), and a check needs a platform's small folder tree only while its
//! few documents are in flight. With the default, a check of 10,000 documents (1,667 platforms)
//! kept every folder tree it read, both branches, to the end: 4-5 MB of its peak RSS, for no
//! saving in CPU against this bound (`docs/benchmarks.md`, fifth pass).
//!
//! Pack files are mapped in windows of [`PACK_WINDOW`], at most [`PACK_MAPPED`] at a time
//! ([`bound_pack_windows`]). libgit2's defaults on 64-bit (1 GiB windows, 8 GiB in all) map a whole
//! pack, and every page a check reads stays resident: 14–16 MB of a 24 MB pack after a no-change
//! check of 10,000 documents. Reads past the bound unmap the least recently used window.

use std::sync::OnceLock;

/// The variable OpenSSL reads for its default CA bundle.
const CERT_FILE: &str = "SSL_CERT_FILE";

/// The size of one mapped window of a pack file (libgit2 aligns windows to half of it).
pub const PACK_WINDOW: usize = 1 << 20;

/// The most of all pack files mapped at once (windows in use are never unmapped, so a read that
/// needs more maps it all the same).
pub const PACK_MAPPED: usize = 4 << 20;

/// The most object data (as stored, before parsing) libgit2 keeps in its object cache; libgit2
/// evicts at random past it.
pub const OBJECT_CACHE: usize = 64 << 10;

/// Starts libgit2 with the CA bundle deferred. Call it first in `main`, before any thread exists: it
/// sets an environment variable for the span of libgit2's one-time set-up, then puts back what
/// was there, so a user's own `SSL_CERT_FILE` is the one [`load_ca_bundle`] loads.
pub fn start() {
    let user_choice = std::env::var_os(CERT_FILE);
    // Only `main` calls this, before it starts any thread: nothing reads the environment
    // concurrently. OpenSSL finds no certificate in the empty file and goes on (it clears that
    // error); the certificate folder lookup it also sets up reads files only when asked.
    std::env::set_var(CERT_FILE, "/dev/null");
    // Any git2 constructor runs libgit2's set-up, once per process.
    drop(git2::Config::new());
    match user_choice {
        Some(value) => std::env::set_var(CERT_FILE, value),
        None => std::env::remove_var(CERT_FILE),
    }
    if let Err(e) = bound_object_cache() {
        eprintln!("warning: cannot bound libgit2's object cache: {e}");
    }
    if let Err(e) = bound_pack_windows() {
        // Only memory is at stake: libgit2's defaults work.
        eprintln!("warning: cannot bound libgit2's pack windows: {e}");
    }
}

/// Sets libgit2's pack windows to [`PACK_WINDOW`] and [`PACK_MAPPED`] (see the module's notes).
pub fn bound_pack_windows() -> Result<(), git2::Error> {
    // SAFETY: process-wide options, read by libgit2 when it maps a window (under its own lock);
    // `start` sets them before any thread exists.
    unsafe {
        git2::opts::set_mwindow_size(PACK_WINDOW)?;
        git2::opts::set_mwindow_mapped_limit(PACK_MAPPED)
    }
}

/// Bounds libgit2's object cache to [`OBJECT_CACHE`] (see the module's notes).
pub fn bound_object_cache() -> Result<(), git2::Error> {
    let bytes = libc::ssize_t::try_from(OBJECT_CACHE).unwrap_or(libc::ssize_t::MAX);
    // SAFETY: a process-wide option taking one `ssize_t`, as libgit2's documentation gives it;
    // `start` sets it before any thread exists.
    let code = unsafe {
        libgit2_sys::git_libgit2_opts(
            libgit2_sys::GIT_OPT_SET_CACHE_MAX_SIZE as libc::c_int,
            bytes,
        )
    };
    if code < 0 {
        return Err(git2::Error::last_error(code));
    }
    Ok(())
}

/// Loads the system CA bundle into libgit2, once per process: before an HTTPS push. Idempotent
/// and cheap after the first call. An error names what failed; a missing bundle is not one
/// (libgit2 then verifies with the certificate folder alone, and the push reports a failure).
pub fn load_ca_bundle() -> Result<(), git2::Error> {
    static LOADED: OnceLock<Result<(), (git2::ErrorCode, git2::ErrorClass, String)>> =
        OnceLock::new();
    let outcome = LOADED.get_or_init(|| {
        let Some(file) = openssl_probe::probe().cert_file else {
            return Ok(());
        };
        // SAFETY: sets a libgit2 global option; libgit2 guards its TLS context itself, and a
        // push waits for this (OnceLock) before it starts.
        unsafe { git2::opts::set_ssl_cert_file(file) }
            .map_err(|e| (e.code(), e.class(), e.message().to_owned()))
    });
    outcome
        .clone()
        .map_err(|(code, class, message)| git2::Error::new(code, class, message))
}

#[cfg(test)]
mod tests {
    /// libgit2 takes the bounds (its own defaults are 1 GiB and 8 GiB on 64-bit).
    #[test]
    fn pack_windows_are_bounded() {
        super::bound_pack_windows().expect("set");
        // SAFETY: reads of process-wide options.
        let (size, mapped) = unsafe {
            (
                git2::opts::get_mwindow_size().expect("size"),
                git2::opts::get_mwindow_mapped_limit().expect("limit"),
            )
        };
        assert_eq!((size, mapped), (super::PACK_WINDOW, super::PACK_MAPPED));
    }

    /// libgit2 takes the bound on its object cache (its own default is 256 MiB).
    #[test]
    fn the_object_cache_is_bounded() {
        super::bound_object_cache().expect("set");
        let (mut current, mut allowed): (libc::ssize_t, libc::ssize_t) = (0, 0);
        // SAFETY: reads a process-wide option into two `ssize_t`, as libgit2 documents it.
        let code = unsafe {
            libgit2_sys::git_libgit2_opts(
                libgit2_sys::GIT_OPT_GET_CACHED_MEMORY as libc::c_int,
                &mut current as *mut libc::ssize_t,
                &mut allowed as *mut libc::ssize_t,
            )
        };
        assert_eq!(code, 0);
        assert_eq!(usize::try_from(allowed), Ok(super::OBJECT_CACHE));
    }

    /// The bundle found on this machine loads into libgit2, and asking again is answered by the
    /// first load.
    #[test]
    fn the_system_bundle_loads_once() {
        assert!(
            openssl_probe::probe().cert_file.is_some(),
            "this test needs a CA bundle (Debian's ca-certificates)"
        );
        super::load_ca_bundle().expect("first load");
        super::load_ca_bundle().expect("second load");
    }
}
