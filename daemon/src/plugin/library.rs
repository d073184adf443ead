//! A plugin library file opened once: its bytes are read through one descriptor, hashed and
//! checked against the pinned SHA-256, and the loader is given that same content through
//! `/proc/self/fd/N` (in this process, or in a plugin host that inherits the descriptor at every
//! start and restart), never the path again. Replacing or rewriting the file after the check
//! changes nothing that is loaded.
//!
//! A pinned library is loaded from a sealed in-memory copy (memfd) of the bytes that were
//! hashed, so not even a write into the file itself can reach the loader. An unpinned one is
//! loaded from the file's own descriptor: the same file (inode) whatever happens to the path,
//! without holding a copy in memory.

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::PluginError;

/// An opened plugin library.
#[derive(Debug)]
pub struct Library {
    /// Where it was found, for messages.
    path: PathBuf,
    /// What the loader opens: the sealed copy of the checked bytes, or the file itself.
    fd: OwnedFd,
    /// SHA-256 of the bytes read through `fd`, lowercase hex; empty for a descriptor inherited
    /// by a plugin host (its parent checked it).
    sha256: String,
}

impl Library {
    /// Opens `path`, hashes its content and, when `pin` is given, refuses any other checksum.
    pub fn open(name: &str, path: &Path, pin: Option<&str>) -> Result<Self, PluginError> {
        let read_err = |source| PluginError::Read {
            path: path.to_owned(),
            source,
        };
        let mut file = File::open(path).map_err(read_err)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(read_err)?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let fd = match pin {
            None => OwnedFd::from(file),
            Some(expected) if !expected.eq_ignore_ascii_case(&sha256) => {
                return Err(PluginError::Checksum {
                    name: name.to_owned(),
                    path: path.to_owned(),
                    expected: expected.to_owned(),
                    actual: sha256,
                })
            }
            Some(_) => sealed_copy(name, &bytes).map_err(|source| PluginError::Seal {
                path: path.to_owned(),
                source,
            })?,
        };
        Ok(Self {
            path: path.to_owned(),
            fd,
            sha256,
        })
    }

    /// The library a plugin host was given by its parent as descriptor `fd` (see
    /// [`Library::pass_to`]); `path` names it in messages.
    pub fn inherited(fd: RawFd, path: &Path) -> std::io::Result<Self> {
        // SAFETY: F_GETFD only reads the descriptor flags; it fails with EBADF for a number that
        // is not an open descriptor, which is checked before taking ownership.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is open (checked above), was put there for this process by its parent,
        // and nothing else in this process owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // Not passed on to whatever the plugin may start.
        // SAFETY: sets the close-on-exec flag of a descriptor this process owns.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Self {
            path: path.to_owned(),
            fd,
            sha256: String::new(),
        })
    }

    /// Where the library was found.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SHA-256 of the bytes that are loaded, lowercase hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The path through which the loader opens exactly this content.
    pub fn loader_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
    }

    /// Keeps the descriptor open for the life of the process and gives its loader path. Once
    /// the loader has opened `/proc/self/fd/N`, that name stays in its list of loaded
    /// libraries: were N closed and reused for another plugin, loading the other plugin by the
    /// same name would return this one.
    pub fn keep_open(self) -> PathBuf {
        let path = self.loader_path();
        let _ = self.fd.into_raw_fd();
        path
    }

    /// Makes `command`'s child find this library as its descriptor `HOST_FD` (open across exec).
    pub fn pass_to(&self, command: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        let fd = self.fd.as_raw_fd();
        // SAFETY: the closure runs in the child between fork and exec and only calls dup2 and
        // fcntl, which are async-signal-safe; it touches no memory of the parent.
        unsafe {
            command.pre_exec(move || {
                let ok = if fd == HOST_FD {
                    // dup2 onto itself would keep close-on-exec set.
                    libc::fcntl(fd, libc::F_SETFD, 0) >= 0
                } else {
                    libc::dup2(fd, HOST_FD) >= 0
                };
                if ok {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
}

/// The descriptor number under which a plugin host receives its library.
pub const HOST_FD: RawFd = 3;

/// A sealed in-memory file holding `bytes`: nobody, this process included, can change it.
fn sealed_copy(name: &str, bytes: &[u8]) -> std::io::Result<OwnedFd> {
    let label = CString::new(format!("termtrail-plugin-{name}"))
        .map_err(|_| std::io::Error::other("a plugin name with a NUL byte"))?;
    let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // SAFETY: memfd_create takes a NUL-terminated name and flags; it returns a new descriptor
    // or -1. MFD_EXEC says the copy will be mapped executable (kernels from 6.3 may otherwise
    // make a memfd non-executable); older kernels refuse the flag with EINVAL and need none.
    let mut raw = unsafe { libc::memfd_create(label.as_ptr(), flags | libc::MFD_EXEC) };
    if raw < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // SAFETY: as above.
        raw = unsafe { libc::memfd_create(label.as_ptr(), flags) };
    }
    if raw < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `raw` is a descriptor just created by memfd_create and owned by nothing else.
    let mut file = unsafe { File::from_raw_fd(raw) };
    file.write_all(bytes)?;
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
    // SAFETY: adds seals to a memfd this process owns; no writable mapping of it exists.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(OwnedFd::from(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// A pinned library is a sealed copy of the bytes that were checked: rewriting or replacing
    /// the file afterwards changes nothing the loader would read, and the copy cannot be written.
    #[test]
    fn the_loader_reads_the_checked_bytes_whatever_happens_to_the_file() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("libx.so");
        std::fs::write(&path, b"the checked bytes").expect("write");
        let lib = Library::open("x", &path, Some(&sha(b"the checked bytes"))).expect("pin ok");
        assert_eq!(lib.sha256(), sha(b"the checked bytes"));
        // Rewritten in place (same inode), then replaced by another file.
        std::fs::write(&path, b"other bytes in place").expect("rewrite");
        let read = || std::fs::read(lib.loader_path()).expect("read through /proc/self/fd");
        assert_eq!(read(), b"the checked bytes");
        std::fs::remove_file(&path).expect("remove");
        std::fs::write(&path, b"a replacement").expect("replace");
        assert_eq!(read(), b"the checked bytes");
        let write = std::fs::OpenOptions::new()
            .write(true)
            .open(lib.loader_path())
            .and_then(|mut f| f.write_all(b"x"));
        assert!(write.is_err(), "the copy is sealed");

        // Unpinned: the file's own descriptor, which keeps the inode whatever the path becomes.
        let lib = Library::open("x", &path, None).expect("opens");
        assert_eq!(lib.sha256(), sha(b"a replacement"));
        std::fs::remove_file(&path).expect("remove");
        std::fs::write(&path, b"yet another").expect("replace");
        assert_eq!(read_all(&lib.loader_path()), b"a replacement");
    }

    fn read_all(p: &Path) -> Vec<u8> {
        std::fs::read(p).expect("read")
    }

    #[test]
    fn a_mismatching_pin_is_refused_with_both_checksums() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("libx.so");
        std::fs::write(&path, b"bytes").expect("write");
        let e = Library::open("x", &path, Some(&"0".repeat(64))).expect_err("mismatch");
        let text = e.to_string();
        assert!(
            text.contains(&sha(b"bytes")) && text.contains(&"0".repeat(64)),
            "{text}"
        );
        let e = Library::open("x", &tmp.path().join("missing.so"), None).expect_err("missing");
        assert!(matches!(e, PluginError::Read { .. }), "{e}");
    }

    /// A child started with `pass_to` reads the library as its descriptor 3.
    #[test]
    fn a_child_inherits_the_library_as_descriptor_3() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("libx.so");
        std::fs::write(&path, b"inherited bytes").expect("write");
        let lib = Library::open("x", &path, Some(&sha(b"inherited bytes"))).expect("pin ok");
        let mut cmd = std::process::Command::new("cat");
        cmd.arg(format!("/proc/self/fd/{HOST_FD}"));
        lib.pass_to(&mut cmd);
        let out = cmd.output().expect("cat runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, b"inherited bytes");
    }
}
