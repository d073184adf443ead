//! Process isolation: the daemon re-executes itself as `termtrail plugin-host LIBRARY`, which
//! loads the plugin and answers calls over stdin/stdout. Frames are a 4-byte big-endian length
//! then that many bytes. A request is two frames (method name, JSON input); a reply is one frame
//! (the plugin's JSON envelope). The first reply, sent unasked, is the manifest envelope (or the
//! load error), so the parent learns of a bad ABI before any call.
//!
//! The plugin's own writes to stdout must not corrupt the protocol: the host moves the protocol
//! to a duplicate of fd 1 and points fd 1 at stderr before loading the library.
//!
//! The library reaches the host as an inherited descriptor (fd 3, `--fd 3`) holding the content
//! the parent checked against its pin at load (see `library.rs`), at every start and restart.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::fd::RawFd;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use termtrail_plugin_api::{method, Envelope};

use super::library::{Library, HOST_FD};
use super::native::NativePlugin;
use super::PluginError;

/// The largest frame accepted: a policy page and its text are far smaller; anything bigger is a
/// corrupted stream.
const MAX_FRAME: usize = 256 << 20;

/// Wait before restarting a host that crashed once; doubled at each crash in a row.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Longest wait before restarting a crashed host.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

fn write_frame(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "frame too large"))?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(bytes)
}

fn read_frame(r: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("frame of {len} bytes exceeds the {MAX_FRAME}-byte limit"),
        ));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)?;
    Ok(Some(buf))
}

/// The child side, from its arguments after `plugin-host`: `LIBRARY [--fd N]` (for programs
/// that re-execute themselves as the host without termtrail's command line).
pub fn serve_command_line(args: &[String]) -> std::io::Result<()> {
    let usage = || std::io::Error::other("usage: plugin-host LIBRARY [--fd N]");
    let library = args.first().ok_or_else(usage)?;
    let fd = match &args[1..] {
        [] => None,
        [flag, n] if flag == "--fd" => Some(n.parse().map_err(|_| usage())?),
        _ => return Err(usage()),
    };
    serve(Path::new(library), fd)
}

/// The child side: `termtrail plugin-host LIBRARY [--fd N]`. With `fd`, the library is the
/// content the parent checked, inherited as that descriptor (`LIBRARY` only names it in
/// messages); without, the file is opened here. Returns when stdin closes.
pub fn serve(library: &Path, fd: Option<RawFd>) -> std::io::Result<()> {
    // A host stuck in a looping plugin would outlive a killed daemon (stdin closing only helps
    // between calls), so a watchdog exits when the parent is gone. Not PR_SET_PDEATHSIG: it fires
    // when the spawning *thread* exits, and the daemon spawns hosts from pooled threads.
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() };
    std::thread::Builder::new()
        .name("parent-watchdog".to_owned())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
            // SAFETY: getppid has no preconditions; _exit ends the process without running
            // destructors, which is what a host whose parent died needs.
            unsafe {
                if libc::getppid() != parent {
                    libc::_exit(0);
                }
            }
        })?;
    // SAFETY: plain fd syscalls on fds this process owns. fd 1 is duplicated (close-on-exec) to
    // carry the protocol, then fd 1 is pointed at stderr so the plugin's prints go there.
    let proto_fd = unsafe {
        let fd = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3);
        if fd < 0 || libc::dup2(2, 1) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        fd
    };
    // SAFETY: `proto_fd` was just created above and is owned by nothing else.
    let proto = unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(proto_fd) };
    let mut out = BufWriter::new(proto);
    let mut input = BufReader::new(std::io::stdin().lock());
    let loaded = match fd {
        Some(fd) => Library::inherited(fd, library).map_err(|source| PluginError::Read {
            path: library.to_owned(),
            source,
        }),
        None => Library::open("", library, None),
    }
    .and_then(NativePlugin::load);
    let plugin = match loaded {
        Ok(p) => p,
        Err(e) => {
            let env = Envelope {
                ok: None,
                error: Some(e.to_string()),
            };
            write_frame(&mut out, &serde_json::to_vec(&env).unwrap_or_default())?;
            return out.flush();
        }
    };
    write_frame(&mut out, &plugin.call_raw(method::MANIFEST, b"{}"))?;
    out.flush()?;
    loop {
        let Some(method) = read_frame(&mut input)? else {
            return Ok(());
        };
        let Some(payload) = read_frame(&mut input)? else {
            return Ok(());
        };
        let method = String::from_utf8_lossy(&method);
        write_frame(&mut out, &plugin.call_raw(&method, &payload))?;
        out.flush()?;
    }
}

/// A running host process.
struct Running {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<std::io::Result<Vec<u8>>>,
}

impl Running {
    fn kill(mut self) -> String {
        let _ = self.child.kill();
        describe_exit(self.child.wait().ok())
    }
}

fn describe_exit(status: Option<std::process::ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Some(s) => match (s.code(), s.signal()) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(sig)) => {
                let name = match sig {
                    libc::SIGSEGV => "SIGSEGV, a segmentation fault",
                    libc::SIGABRT => "SIGABRT, an abort",
                    libc::SIGKILL => "SIGKILL",
                    libc::SIGBUS => "SIGBUS",
                    libc::SIGILL => "SIGILL",
                    libc::SIGFPE => "SIGFPE",
                    _ => "a signal",
                };
                format!("signal {sig} ({name})")
            }
            _ => "an unknown status".to_owned(),
        },
        None => "an unknown status".to_owned(),
    }
}

/// The parent side: one host process per plugin, started on demand, killed on a timeout or a
/// broken reply, restarted with exponential backoff.
pub struct HostClient {
    name: String,
    /// The library as checked at load; every start and restart of the host loads this content.
    library: Library,
    timeout: Duration,
    running: Option<Running>,
    crashes: u32,
    not_before: Option<Instant>,
}

impl HostClient {
    /// Starts the host and returns the client with the manifest envelope's bytes.
    pub fn start(
        name: &str,
        library: Library,
        timeout: Duration,
    ) -> Result<(Self, Vec<u8>), PluginError> {
        let mut client = Self {
            name: name.to_owned(),
            library,
            timeout,
            running: None,
            crashes: 0,
            not_before: None,
        };
        let manifest = client.spawn()?;
        Ok((client, manifest))
    }

    /// Spawns the host; returns its first reply (the manifest envelope).
    fn spawn(&mut self) -> Result<Vec<u8>, PluginError> {
        let exe = crate::self_exe::termtrail_exe().map_err(PluginError::Spawn)?;
        let mut command = Command::new(exe);
        command
            .arg("plugin-host")
            .arg(self.library.path())
            .arg("--fd")
            .arg(HOST_FD.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // The host loads the checked content through the descriptor, not the path: a file
        // replaced since the check never reaches a (re)started host.
        self.library.pass_to(&mut command);
        let mut child = command.spawn().map_err(PluginError::Spawn)?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(PluginError::Spawn(std::io::Error::other(
                "the plugin host's pipes were not created",
            )));
        };
        let (tx, replies) = mpsc::channel();
        // A reader thread per host, so that a reply can be waited for with a timeout.
        std::thread::Builder::new()
            .name(format!("plugin-host-{}", self.name))
            .spawn(move || {
                let mut r = BufReader::new(stdout);
                loop {
                    let frame = read_frame(&mut r);
                    let stop = !matches!(frame, Ok(Some(_)));
                    let sent = match frame {
                        Ok(Some(f)) => tx.send(Ok(f)),
                        Ok(None) => tx.send(Err(std::io::ErrorKind::UnexpectedEof.into())),
                        Err(e) => tx.send(Err(e)),
                    };
                    if stop || sent.is_err() {
                        return;
                    }
                }
            })
            .map_err(PluginError::Spawn)?;
        self.running = Some(Running {
            child,
            stdin,
            replies,
        });
        self.wait_reply("load")
    }

    fn crashed(&mut self, during: &str) -> PluginError {
        let status = self.running.take().map_or_else(String::new, Running::kill);
        self.crashes += 1;
        let backoff =
            crate::backoff::exponential(FIRST_BACKOFF, self.crashes.min(9)).min(MAX_BACKOFF);
        self.not_before = Some(Instant::now() + backoff);
        PluginError::HostDied {
            plugin: self.name.clone(),
            during: during.to_owned(),
            status,
            backoff,
        }
    }

    fn wait_reply(&mut self, during: &str) -> Result<Vec<u8>, PluginError> {
        let Some(running) = self.running.as_mut() else {
            return Err(self.crashed(during));
        };
        match running.replies.recv_timeout(self.timeout) {
            Ok(Ok(frame)) => Ok(frame),
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => Err(self.crashed(during)),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.crashed(during);
                Err(PluginError::Timeout {
                    plugin: self.name.clone(),
                    during: during.to_owned(),
                    timeout: self.timeout,
                })
            }
        }
    }

    /// Calls `method`; returns the raw envelope bytes.
    pub fn call_raw(&mut self, method: &str, input: &[u8]) -> Result<Vec<u8>, PluginError> {
        if self.running.is_none() {
            if let Some(t) = self.not_before {
                let now = Instant::now();
                if now < t {
                    return Err(PluginError::Backoff {
                        plugin: self.name.clone(),
                        crashes: self.crashes,
                        wait: t - now,
                    });
                }
            }
            // The manifest was read at load; a restarted host's one is discarded.
            crate::counters::counters().plugin_restarted(&self.name);
            self.spawn()?;
        }
        let sent = self.running.as_mut().map(|r| {
            write_frame(&mut r.stdin, method.as_bytes())
                .and_then(|()| write_frame(&mut r.stdin, input))
                .and_then(|()| r.stdin.flush())
        });
        if !matches!(sent, Some(Ok(()))) {
            return Err(self.crashed(method));
        }
        let reply = self.wait_reply(method)?;
        self.crashes = 0;
        Ok(reply)
    }
}

impl Drop for HostClient {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            // Closing stdin lets the host exit by itself; kill in case it is stuck.
            let _ = r.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_oversized_ones_are_refused() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"extract").expect("write");
        write_frame(&mut buf, b"").expect("write");
        let mut r = &buf[..];
        assert_eq!(read_frame(&mut r).expect("read"), Some(b"extract".to_vec()));
        assert_eq!(read_frame(&mut r).expect("read"), Some(Vec::new()));
        assert_eq!(read_frame(&mut r).expect("read"), None);
        let huge = (MAX_FRAME as u32 + 1).to_be_bytes();
        assert!(read_frame(&mut &huge[..]).is_err());
        // A truncated frame is an error, not a short read.
        let mut cut = Vec::new();
        write_frame(&mut cut, b"abcdef").expect("write");
        cut.truncate(7);
        assert!(read_frame(&mut &cut[..]).is_err());
    }
}
