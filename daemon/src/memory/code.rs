//! Giving up the pages of code an idle daemon does not run ([`release_code`]).
//!
//! The daemon's own memory when idle is under 10 MB; most of its RSS is the executable's code
//! and read-only data (about 15 MB of a 16 MB text at 200 documents) and the shared libraries'
//! (4–5 MB), mapped from their files by the checks that ran: the kernel maps 64 KiB around every
//! page a check touched. Those pages are clean copies of the files, so when the daemon will sleep
//! for a while it drops its mappings of them (`madvise(MADV_DONTNEED)`). The pages stay in the
//! page cache, which the kernel reclaims when it needs to; the next check maps back what it runs,
//! at the cost of page faults (measured in `docs/benchmarks.md`).
//!
//! Only what is provably a clean copy of its file is dropped: private, read-only mappings of the
//! executable or of a shared library that hold no anonymous or dirty page (a page written since
//! it was mapped, such as the relocated read-only data, is anonymous and would be lost). Shared
//! mappings (libgit2's pack windows) and anonymous memory are left alone. The kernel itself
//! drops clean file pages under memory pressure, so this adds no new way to fail: it does early,
//! for this process, what reclaim would do.

use std::path::Path;

/// One mapping of `/proc/self/smaps` worth dropping.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapping {
    start: usize,
    len: usize,
    /// Resident, in bytes.
    rss: usize,
}

/// Drops this process's resident pages of its executable's and shared libraries' clean,
/// read-only mappings; returns how many bytes were resident in them. Linux only; elsewhere
/// does nothing.
pub fn release_code() -> std::io::Result<usize> {
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let exe = std::fs::read_link("/proc/self/exe").ok();
    let mut released = 0;
    for m in droppable(&smaps, exe.as_deref()) {
        if advise_dontneed(m.start, m.len) {
            released += m.rss;
        }
    }
    Ok(released)
}

#[cfg(target_os = "linux")]
fn advise_dontneed(start: usize, len: usize) -> bool {
    // SAFETY: `start..start + len` is a whole private, read-only file mapping of this process
    // with no anonymous page (see `droppable`): every page dropped is read back from its file,
    // unchanged, when next touched. No Rust reference can observe the difference.
    unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn advise_dontneed(_: usize, _: usize) -> bool {
    false
}

/// The mappings of `smaps` (the text of `/proc/PID/smaps`) that are clean copies of the
/// executable `exe` or of a shared library, with resident pages.
fn droppable(smaps: &str, exe: Option<&Path>) -> Vec<Mapping> {
    /// A mapping being read: whether its header qualifies it, then its sizes.
    struct Reading {
        mapping: Mapping,
        eligible: bool,
        anonymous: Option<usize>,
        dirty: usize,
    }
    let mut found = Vec::new();
    let mut finish = |r: Option<Reading>| {
        // No "Anonymous" line is no proof: the mapping is then kept.
        if let Some(r) =
            r.filter(|r| r.eligible && r.anonymous == Some(0) && r.dirty == 0 && r.mapping.rss > 0)
        {
            found.push(r.mapping);
        }
    };
    let mut current: Option<Reading> = None;
    for line in smaps.lines() {
        if let Some(Header { range, perms, path }) = header(line) {
            finish(current.take());
            current = range.map(|(start, end)| Reading {
                mapping: Mapping {
                    start,
                    len: end - start,
                    rss: 0,
                },
                eligible: (perms == "r-xp" || perms == "r--p")
                    && path.is_some_and(|p| is_code_file(p, exe)),
                anonymous: None,
                dirty: 0,
            });
            continue;
        }
        let (Some(r), Some((key, kb))) = (current.as_mut(), field(line)) else {
            continue;
        };
        match key {
            "Rss" => r.mapping.rss = kb * 1024,
            "Anonymous" => r.anonymous = Some(kb),
            "Private_Dirty" | "Shared_Dirty" => r.dirty += kb,
            _ => {}
        }
    }
    finish(current.take());
    found
}

/// Whether `path` is the executable or a shared library.
fn is_code_file(path: &str, exe: Option<&Path>) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.starts_with('/')
        && (exe.is_some_and(|e| Path::new(path) == e)
            || name.ends_with(".so")
            || name.contains(".so."))
}

/// A mapping's header line in smaps.
struct Header<'a> {
    /// Start and end addresses (`None` if unreadable).
    range: Option<(usize, usize)>,
    /// Permissions, as `r-xp`.
    perms: &'a str,
    /// The file mapped (`None` for anonymous memory).
    path: Option<&'a str>,
}

/// The header of a mapping, if `line` is one.
fn header(line: &str) -> Option<Header<'_>> {
    let mut parts = line.split_whitespace();
    let range = parts.next()?;
    let (start, end) = range.split_once('-')?;
    if start.is_empty() || !start.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let perms = parts.next()?;
    let (_offset, _dev, inode) = (parts.next()?, parts.next()?, parts.next()?);
    let path = parts.next().filter(|_| inode != "0");
    let range = usize::from_str_radix(start, 16)
        .ok()
        .zip(usize::from_str_radix(end, 16).ok())
        .filter(|(s, e)| e > s);
    Some(Header { range, perms, path })
}

/// A size line of a mapping: `Key:   N kB`.
fn field(line: &str) -> Option<(&str, usize)> {
    let (key, rest) = line.split_once(':')?;
    let kb = rest.trim().strip_suffix(" kB")?.trim().parse().ok()?;
    Some((key, kb))
}

#[cfg(test)]
mod tests;
