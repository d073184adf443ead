//! One writer per archive: an exclusive OS file lock on `termtrail.lock` in the repository.
//!
//! The kernel releases the lock when the process dies, however it dies, so a lock left by a killed
//! termtrail is recovered by the next start without any clean-up; the PID written in the file is
//! only there to make the error message useful.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// How many more times a busy lock is tried, [`BUSY_WAIT`] apart.
const BUSY_RETRIES: u32 = 10;
/// The wait between two tries of a busy lock.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

/// Why the lock cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live process holds it.
    #[error("the archive {path} is in use by another termtrail process{pid}; stop it first, or point archive.path at another repository")]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// " (pid N)" when known.
        pid: String,
    },
    /// The lock file cannot be created or locked.
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Held for as long as the archive is open for writing.
#[derive(Debug)]
pub struct ArchiveLock {
    _file: File,
}

impl ArchiveLock {
    /// Takes the lock of the repository at `dir`.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let path = dir.join("termtrail.lock");
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        // A child this process (or a test's other thread) spawns holds a copy of every open
        // file until it executes its program, lock included: a lock just released can look busy
        // for that moment, so a busy lock is tried again for a short while before giving up.
        let mut tries = 0;
        let locked = loop {
            match file.try_lock() {
                Err(TryLockError::WouldBlock) if tries < BUSY_RETRIES => {
                    tries += 1;
                    std::thread::sleep(BUSY_WAIT);
                }
                other => break other,
            }
        };
        match locked {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(LockError::Busy {
                    path: dir.to_path_buf(),
                    pid: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {pid})")
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_and_a_stale_file_is_recovered() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A lock file left behind by a dead process (its PID inside, no lock held) is no obstacle.
        std::fs::write(dir.path().join("termtrail.lock"), "999999\n").expect("write");
        let first = ArchiveLock::acquire(dir.path()).expect("stale file is recovered");
        let err = ArchiveLock::acquire(dir.path()).expect_err("second writer refused");
        let msg = err.to_string();
        assert!(msg.contains("in use by another termtrail process"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        ArchiveLock::acquire(dir.path()).expect("released lock can be taken again");
    }
}
