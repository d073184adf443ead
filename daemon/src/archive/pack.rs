//! Background packing: once more than `archive.pack_after` objects are loose, they are written
//! into a new pack (libgit2's pack builder and indexer) on a thread of its own, while the writer
//! goes on writing loose objects; then only the loose objects and old packs that the new pack's
//! index lists are deleted.
//!
//! Packs are merged geometrically, as `git repack --geometric=2` does: a packing takes the loose
//! objects and the smallest packs, for as long as the next pack holds fewer than twice the
//! objects taken so far, and rewrites them as one. Each pack kept is then at least twice as
//! large as all smaller ones together, so an archive has a logarithmic number of packs, and a
//! packing reads what is new plus small packs instead of the whole history each time. When every
//! pack is merged, the objects are taken through the history of every ref first, so that the
//! pack builder knows each object's path and makes the best deltas.
//!
//! Nothing can be lost: the pack and its index are complete and flushed before anything is
//! deleted, and a file (loose object or old pack) is deleted only when the new index lists every
//! object it holds (read back from the file). Loose objects no ref reaches (a snapshot written
//! but not yet published, the leftovers of a killed run) are packed like the others, and objects
//! written while packing stay loose. A reader that misses an object it had seen loose, or in a
//! merged pack, finds it in the new pack (libgit2 rescans the packs on a miss). The emptied
//! fan-out folders (`objects/ab/`, a file-system block each) are removed afterwards on the
//! writer's own thread ([`Packer::join`]), the only thread that writes loose objects, so it
//! cannot be about to write into one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use git2::{Oid, Repository};

use crate::failpoint;

/// Why packing failed. The archive is unharmed either way: objects stay loose.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// A libgit2 operation failed.
    #[error("git {op} failed while packing the archive: {source}; its objects stay loose (`git gc` packs them by hand)")]
    Git {
        /// What was being done.
        op: &'static str,
        /// libgit2's error.
        source: git2::Error,
    },
    /// A file of the object store could not be read, flushed or deleted.
    #[error("cannot {op} {path} while packing the archive: {source}; check the archive folder's permissions and free space")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A pack index is not one git writes (version 2).
    #[error(
        "{path} is not a version 2 pack index; nothing was deleted (run `git fsck` on the archive)"
    )]
    BadIndex {
        /// The index file.
        path: PathBuf,
    },
}

fn git(op: &'static str) -> impl FnOnce(git2::Error) -> PackError {
    move |source| PackError::Git { op, source }
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> PackError {
    let path = path.to_path_buf();
    move |source| PackError::Io { op, path, source }
}

/// What one packing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackReport {
    /// The new pack's name (`pack-NAME.pack`).
    pub name: String,
    /// Objects in it.
    pub objects: usize,
    /// Its size in bytes (pack and index).
    pub bytes: u64,
    /// Loose objects deleted (the pack holds them).
    pub loose_removed: usize,
    /// Loose objects left (not reached by any ref, or written while packing).
    pub loose_left: usize,
    /// Older packs deleted (the new pack holds every object of each).
    pub packs_removed: usize,
    /// How long it took.
    pub elapsed: Duration,
}

/// The loose objects under `objects` (`objects/ab/cdef…`); temporary files are not objects.
pub fn loose_objects(objects: &Path) -> Vec<(Oid, PathBuf)> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(objects) else {
        return out;
    };
    for dir in dirs.flatten() {
        let name = dir.file_name();
        let Some(prefix) = name.to_str().filter(|n| is_hex(n, 2)) else {
            continue;
        };
        let Ok(files) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for f in files.flatten() {
            let file = f.file_name();
            let Some(rest) = file.to_str().filter(|n| is_hex(n, 38)) else {
                continue;
            };
            if let Ok(id) = Oid::from_str(&format!("{prefix}{rest}")) {
                out.push((id, f.path()));
            }
        }
    }
    out
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn bad_index(path: &Path) -> PackError {
    PackError::BadIndex {
        path: path.to_path_buf(),
    }
}

/// The fan-out table's end in a pack index: magic, version, then 256 counts.
const NAMES: usize = 8 + 256 * 4;

/// The number of objects a version 2 pack index lists (git's `Documentation/gitformat-pack.txt`:
/// magic, version, 256 fan-out counts, then the sorted names), from its first `NAMES` bytes
/// `head`, checked against the index's size `len`.
fn checked_count(head: &[u8], len: u64, path: &Path) -> Result<usize, PackError> {
    let bad = || bad_index(path);
    let word = |at: usize| -> Result<u32, PackError> {
        let b = head.get(at..at + 4).ok_or_else(bad)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    if head.get(..4) != Some(b"\xfftOc".as_slice()) || word(4)? != 2 {
        return Err(bad());
    }
    let count = usize::try_from(word(8 + 255 * 4)?).map_err(|_| bad())?;
    // Names, CRCs and 4-byte offsets, then 8-byte offsets (packs over 2 GiB), then two hashes.
    let minimum = (NAMES + count * (20 + 4 + 4) + 40) as u64;
    if len < minimum || !(len - minimum).is_multiple_of(8) {
        return Err(bad());
    }
    Ok(count)
}

/// The number of objects the pack index at `path` lists, read from its header alone.
fn index_count(path: &Path) -> Result<usize, PackError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(io("read", path))?;
    let len = file.metadata().map_err(io("read", path))?.len();
    let mut head = Vec::with_capacity(NAMES);
    (&mut file)
        .take(NAMES as u64)
        .read_to_end(&mut head)
        .map_err(io("read", path))?;
    checked_count(&head, len, path)
}

/// The object ids the version 2 pack index at `path` lists (see [`checked_count`]).
pub fn index_ids(path: &Path) -> Result<HashSet<Oid>, PackError> {
    let data = std::fs::read(path).map_err(io("read", path))?;
    let count = checked_count(&data, data.len() as u64, path)?;
    let mut ids = HashSet::with_capacity(count);
    for i in 0..count {
        let at = NAMES + i * 20;
        ids.insert(Oid::from_bytes(&data[at..at + 20]).map_err(|_| bad_index(path))?);
    }
    Ok(ids)
}

fn pack_indexes(pack_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(pack_dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "idx")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("pack-"))
        })
        .collect()
}

fn sync(path: &Path) -> Result<(), PackError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io("flush", path))
}

fn size_of(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// A pack is merged when it holds fewer than this many times the objects merged before it.
const GEOMETRIC: usize = 2;

/// How many of the packs (their object counts, smallest first) a packing of `loose` loose
/// objects merges: the smallest, for as long as the next holds fewer than [`GEOMETRIC`] times
/// the objects taken so far.
fn merged_count(loose: usize, ascending: &[usize]) -> usize {
    let mut taken = loose;
    ascending
        .iter()
        .take_while(|&&n| {
            let merge = n < GEOMETRIC.saturating_mul(taken);
            if merge {
                taken += n;
            }
            merge
        })
        .count()
}

/// Packs the loose objects of the bare repository at `dir`, with the smallest packs (see the
/// module comment), into one new pack, then deletes the loose objects and the packs it provably
/// holds.
pub fn pack(dir: &Path) -> Result<PackReport, PackError> {
    let started = Instant::now();
    let objects = dir.join("objects");
    let pack_dir = objects.join("pack");
    // Taken first: whatever is written after it is not in the pack, and stays.
    let loose = loose_objects(&objects);
    // Only the counts of the packs kept are read; the ids of the ones merged.
    let mut old_packs = pack_indexes(&pack_dir)
        .into_iter()
        .map(|idx| index_count(&idx).map(|n| (idx, n)))
        .collect::<Result<Vec<_>, _>>()?;
    old_packs.sort_by_key(|(_, n)| *n);
    let sizes: Vec<usize> = old_packs.iter().map(|(_, n)| *n).collect();
    let merged = merged_count(loose.len(), &sizes);
    let merging = old_packs[..merged]
        .iter()
        .map(|(idx, _)| index_ids(idx).map(|ids| (idx.clone(), ids)))
        .collect::<Result<Vec<_>, _>>()?;

    let repo = Repository::open_bare(dir).map_err(git("open the archive"))?;
    let mut builder = repo.packbuilder().map_err(git("start a pack"))?;
    // One thread: packing must not take the cores the checks need.
    builder.set_threads(1);
    if merged == old_packs.len() {
        // Everything is rewritten: through the history of every ref (the branches and the
        // sink cursors) first, which gives the builder each object's path for its deltas.
        let mut walk = repo.revwalk().map_err(git("walk history"))?;
        walk.push_glob("*").map_err(git("walk history"))?;
        builder
            .insert_walk(&mut walk)
            .map_err(git("list objects"))?;
    }
    // Then every object of the merged packs and every loose one (the builder skips an object
    // it already has): nothing they hold is left out, reachable or not.
    for id in merging
        .iter()
        .flat_map(|(_, ids)| ids)
        .chain(loose.iter().map(|(id, _)| id))
    {
        builder
            .insert_object(*id, None)
            .map_err(git("list objects"))?;
    }
    let count = builder.object_count();
    std::fs::create_dir_all(&pack_dir).map_err(io("create", &pack_dir))?;
    builder.write(&pack_dir, 0).map_err(git("write the pack"))?;
    let name = builder
        .name()
        .ok_or_else(|| git("name the pack")(git2::Error::from_str("no pack name")))?
        .to_owned();
    let idx = pack_dir.join(format!("pack-{name}.idx"));
    let pack_file = pack_dir.join(format!("pack-{name}.pack"));
    // Flushed before anything is deleted, whatever `archive.fsync` says: deleting is what
    // would lose data if the pack were not on disk.
    sync(&pack_file)?;
    sync(&idx)?;
    sync(&pack_dir)?;
    let held = index_ids(&idx)?;
    failpoint::hit("archive.pack-written");

    let mut packs_removed = 0;
    // A merged pack goes once the new one holds it whole (one written again with the same
    // objects has the same name: it is the new pack itself).
    for (old, ids) in merging.iter().filter(|(p, _)| *p != idx) {
        if ids.is_subset(&held) {
            // The index first: without it the pack is no longer looked at.
            std::fs::remove_file(old).map_err(io("delete", old))?;
            let old_pack = old.with_extension("pack");
            std::fs::remove_file(&old_pack).map_err(io("delete", &old_pack))?;
            packs_removed += 1;
        }
    }
    let mut loose_removed = 0;
    let mut loose_left = 0;
    for (id, path) in &loose {
        if !held.contains(id) {
            loose_left += 1;
            continue;
        }
        match std::fs::remove_file(path) {
            Ok(()) => loose_removed += 1,
            // Already gone: nothing lost, the pack holds it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("delete", path)(e)),
        }
        failpoint::hit("archive.pack-pruning");
    }
    Ok(PackReport {
        name,
        objects: count,
        bytes: size_of(&pack_file) + size_of(&idx),
        loose_removed,
        loose_left,
        packs_removed,
        elapsed: started.elapsed(),
    })
}

/// Removes the empty fan-out folders of `objects` (a folder with a file in it stays). Only on
/// the writer's thread: libgit2 creates the folder, then writes the object into it.
fn remove_empty_fanout_dirs(objects: &Path) {
    let Ok(dirs) = std::fs::read_dir(objects) else {
        return;
    };
    for dir in dirs.flatten() {
        if dir.file_name().to_str().is_some_and(|n| is_hex(n, 2)) {
            // Fails, as it should, on a folder that is not empty.
            let _ = std::fs::remove_dir(dir.path());
        }
    }
}

/// Starts packing when enough objects are loose, one packing at a time, on its own thread.
pub(super) struct Packer {
    dir: PathBuf,
    /// `archive.pack_after`; 0 never packs.
    threshold: u64,
    /// Loose objects the last packing left (unreachable ones stay): counted above the threshold.
    floor: u64,
    /// Objects were written since the loose objects were last counted.
    wrote: bool,
    running: Option<JoinHandle<Result<PackReport, PackError>>>,
}

impl Packer {
    pub(super) fn new(dir: &Path, threshold: u64) -> Self {
        Self {
            dir: dir.to_path_buf(),
            threshold,
            floor: 0,
            wrote: false,
            running: None,
        }
    }

    /// Notes that the writer wrote objects.
    pub(super) fn wrote(&mut self) {
        self.wrote = true;
    }

    /// Called when a cycle's writes are done: if objects were written and more than the
    /// threshold are loose, and no packing runs, starts one.
    pub(super) fn maybe_start(&mut self) {
        if self.running.as_ref().is_some_and(JoinHandle::is_finished) {
            self.join();
        }
        if self.threshold == 0 || !self.wrote || self.running.is_some() {
            return;
        }
        self.wrote = false;
        let loose = loose_objects(&self.dir.join("objects")).len() as u64;
        if loose <= self.floor.saturating_add(self.threshold) {
            return;
        }
        tracing::info!(
            loose,
            "packing the archive's loose objects in the background"
        );
        let dir = self.dir.clone();
        match std::thread::Builder::new()
            .name("archive-pack".into())
            .spawn(move || pack(&dir))
        {
            Ok(handle) => self.running = Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the packing thread; objects stay loose")
            }
        }
    }

    /// Waits for the packing in progress, if any, and logs what it did.
    pub(super) fn join(&mut self) {
        let Some(handle) = self.running.take() else {
            return;
        };
        match handle.join() {
            Ok(Ok(r)) => {
                self.floor = r.loose_left as u64;
                remove_empty_fanout_dirs(&self.dir.join("objects"));
                tracing::info!(
                    pack = %r.name,
                    objects = r.objects,
                    bytes = r.bytes,
                    loose_removed = r.loose_removed,
                    loose_left = r.loose_left,
                    packs_removed = r.packs_removed,
                    ms = r.elapsed.as_millis() as u64,
                    "archive packed"
                );
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "packing failed"),
            Err(_) => tracing::error!("the packing thread panicked; objects stay loose"),
        }
    }
}

#[cfg(test)]
mod tests;
