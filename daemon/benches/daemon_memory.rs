//! Benchmark: the memory of the daemon (`termtrail run`, the real binary) over many cycles on the
//! noisy fixture (pages whose bytes change at every request outside the policy region), and idle.
//!
//! Cycles: N documents (`TERMTRAIL_BENCH_DOCS`, default 1000) checked every second with no jitter,
//! spread over the loopback host names of `common/hosts.rs`, until `TERMTRAIL_BENCH_CYCLES`
//! (default 50) cycles have ended. The daemon has no cycle of its own (each document has its
//! own schedule), so a cycle k ends when every document has ended its k-th check: the scheduler
//! logs `scheduled` (at debug, target `termtrail::scheduler`, read as JSON from its stderr) when a
//! check ends and the document's next one is set. After each cycle the bench reads VmRSS and
//! VmHWM from /proc/PID/status and the daemon's CPU time from /proc/PID/stat, and prints them
//! after cycles 1, 2, 5, 10, 25 and the last, the growth from cycle 5 to the last, and the CPU
//! per cycle over those cycles.
//!
//! Idle: 200 documents (`TERMTRAIL_BENCH_IDLE_DOCS`), an interval of an hour (the first checks
//! are then spread over 30 s); 5 s (`TERMTRAIL_BENCH_IDLE_WAIT`) after the first cycle ended
//! (`TERMTRAIL_BENCH_IDLE_SMAPS=FILE` keeps a copy of its /proc/PID/smaps then), VmRSS and its split from /proc/PID/smaps_rollup: anonymous memory (heap,
//! stacks) and file-backed pages, of which the termtrail executable's own mappings (its code and
//! read-only data) from /proc/PID/smaps.
//!
//! Each daemon is stopped by its PID with SIGTERM and must exit 0 within 60 s; every wait is
//! bounded (`TERMTRAIL_BENCH_TIMEOUT`, default 1200 s for the whole cycles phase), and the bench
//! fails with what it saw when a bound is passed (the daemon killed by its PID first).
//!
//! Run: `cargo bench -p termtrail --bench daemon_memory`.

#[path = "common/documents.rs"]
mod documents;
#[path = "common/hosts.rs"]
mod hosts;
#[path = "common/noisy.rs"]
mod noisy;
#[path = "../../tests/e2e/server.rs"]
#[allow(dead_code)]
mod server;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Servers (ports) the documents are spread over.
const SERVERS: usize = 4;

/// The cycles after which the memory is printed (and the last one).
const REPORTED: [usize; 5] = [1, 2, 5, 10, 25];

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the reader of the daemon's stderr tells the bench.
enum Event {
    /// Every document has ended this many checks.
    Cycle(usize),
    /// Its stderr closed: the daemon exited.
    Ended,
}

/// A running `termtrail run`, killed by its PID if dropped while still running.
struct Daemon {
    child: Child,
    events: Receiver<Event>,
    _dir: tempfile::TempDir,
}

impl Daemon {
    fn start(config: String, docs: usize) -> Daemon {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("termtrail.toml");
        std::fs::write(&cfg, config).expect("write config");
        let mut child = Command::new(env!("CARGO_BIN_EXE_termtrail"))
            .current_dir(dir.path())
            .arg("--config")
            .arg(&cfg)
            .args(["--log-format", "json", "run"])
            .env("RUST_LOG", "warn,termtrail::scheduler=debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("termtrail run starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, events) = channel();
        std::thread::spawn(move || {
            // Checks ended per document, and how many documents have reached each count.
            let mut ended: HashMap<String, usize> = HashMap::new();
            let mut reached: Vec<usize> = vec![0];
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                    eprintln!("daemon: {line}");
                    continue;
                };
                let fields = &v["fields"];
                if fields["message"] != "scheduled" {
                    // Warnings and errors shown: they may explain a failure.
                    if v["level"] == "WARN" || v["level"] == "ERROR" {
                        eprintln!("daemon: {line}");
                    }
                    continue;
                }
                let doc = fields["document"].as_str().unwrap_or_default().to_owned();
                let count = ended.entry(doc).or_default();
                *count += 1;
                if reached.len() <= *count {
                    reached.push(0);
                }
                reached[*count] += 1;
                if reached[*count] == docs && tx.send(Event::Cycle(*count)).is_err() {
                    return;
                }
            }
            let _ = tx.send(Event::Ended);
        });
        Daemon {
            child,
            events,
            _dir: dir,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until cycle `k` has ended, or fails (the daemon killed) once `deadline` passed.
    fn wait_cycle(&mut self, k: usize, deadline: Instant) {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Event::Cycle(c)) if c >= k => return,
                Ok(Event::Cycle(_)) => {}
                Ok(Event::Ended) | Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().expect("wait");
                    panic!("the daemon exited before cycle {k} ended: {status}");
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.kill();
                    panic!(
                        "cycle {k} had not ended by the deadline (TERMTRAIL_BENCH_TIMEOUT); daemon killed"
                    );
                }
            }
        }
    }

    /// SIGTERM, then a clean exit within 60 s.
    fn stop(mut self) {
        // SAFETY: kill(2) on the PID of our own child, not yet reaped.
        assert_eq!(
            unsafe { libc::kill(self.pid() as libc::pid_t, libc::SIGTERM) },
            0
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                assert!(
                    status.success(),
                    "the daemon exited with {status} on SIGTERM"
                );
                return;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!("the daemon had not exited 60 s after SIGTERM; killed");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

/// `key:  N kB` lines of a /proc file, in kB.
fn proc_kb(path: &Path, key: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {}", path.display()))
}

/// The process's user + system CPU time, from /proc/PID/stat.
fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read stat");
    // Fields after the command name (which may hold spaces), from field 3 on.
    let rest = &stat[stat.rfind(')').expect("a command name") + 2..];
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Duration::from_secs_f64((f[11] + f[12]) as f64 / ticks)
}

/// The Rss of the mappings of `exe` in /proc/PID/smaps, in kB.
fn exe_rss_kb(pid: u32, exe: &Path) -> u64 {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("read smaps");
    let exe = exe.to_string_lossy();
    let mut in_exe = false;
    let mut kb = 0;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or_default();
        if first.contains('-') && !first.ends_with(':') {
            // A mapping's header: address range, perms, offset, device, inode, path.
            in_exe = line.split_whitespace().nth(5) == Some(exe.as_ref());
        } else if in_exe {
            if let Some(v) = line.strip_prefix("Rss:") {
                kb += v
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    kb
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn start_servers(rt: &tokio::runtime::Runtime) -> Vec<u16> {
    let nonce = Arc::new(AtomicU64::new(1));
    (0..SERVERS)
        .map(|_| {
            let app = axum::Router::new()
                .fallback(noisy::serve)
                .with_state(nonce.clone());
            let listener = rt
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .expect("bind 127.0.0.1:0");
            let port = listener.local_addr().expect("addr").port();
            rt.spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            port
        })
        .collect()
}

fn main() {
    let docs = env_or("TERMTRAIL_BENCH_DOCS", 1000) as usize;
    let cycles = env_or("TERMTRAIL_BENCH_CYCLES", 50) as usize;
    let idle_docs = env_or("TERMTRAIL_BENCH_IDLE_DOCS", 200) as usize;
    let timeout = Duration::from_secs(env_or("TERMTRAIL_BENCH_TIMEOUT", 1200));
    assert!(
        docs > 0 && cycles > 0 && idle_docs > 0,
        "counts must be positive"
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let ports = start_servers(&rt);
    let hosts = hosts::loopback_hosts();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_termtrail"));

    println!(
        "termtrail run, {docs} noisy pages of 30–60 KB on {SERVERS} servers, {} host names, interval 1 s, no jitter\n",
        hosts.len()
    );
    let head = "[schedule]\ninterval = \"1s\"\njitter = 0.0\n";
    let mut daemon = Daemon::start(documents::config(head, &hosts, &ports, docs), docs);
    let pid = daemon.pid();
    let status = PathBuf::from(format!("/proc/{pid}/status"));
    let deadline = Instant::now() + timeout;
    let started = Instant::now();
    // (cycle, VmRSS, VmHWM, CPU so far, wall so far)
    let mut samples = vec![];
    for k in 1..=cycles {
        daemon.wait_cycle(k, deadline);
        samples.push((
            k,
            proc_kb(&status, "VmRSS"),
            proc_kb(&status, "VmHWM"),
            cpu(pid),
            started.elapsed(),
        ));
    }
    daemon.stop();

    println!("| after cycle | VmRSS | VmHWM | daemon CPU so far | wall so far |");
    println!("|---|---|---|---|---|");
    for &(k, rss, hwm, cpu, wall) in &samples {
        if REPORTED.contains(&k) || k == cycles {
            println!(
                "| {k} | {:.1} MB | {:.1} MB | {:.1} s | {:.0} s |",
                mb(rss),
                mb(hwm),
                cpu.as_secs_f64(),
                wall.as_secs_f64()
            );
        }
    }
    if cycles > 5 {
        let (_, rss5, _, cpu5, _) = samples[4];
        let (_, rss_last, _, cpu_last, _) = samples[cycles - 1];
        let n = (cycles - 5) as f64;
        println!(
            "\nfrom cycle 5 to {cycles}: VmRSS {:+.1} MB ({:+.0} kB per cycle); daemon CPU {:.2} s per cycle ({:.2} ms per document)",
            (rss_last as f64 - rss5 as f64) / 1024.0,
            (rss_last as f64 - rss5 as f64) / n,
            (cpu_last - cpu5).as_secs_f64() / n,
            (cpu_last - cpu5).as_secs_f64() * 1000.0 / n / docs as f64
        );
    }

    let idle_wait = env_or("TERMTRAIL_BENCH_IDLE_WAIT", 5);
    println!("\nidle: termtrail run, {idle_docs} documents, interval 1 h, {idle_wait} s after the first cycle ended\n");
    let head = "[schedule]\ninterval = \"1h\"\n";
    let mut daemon = Daemon::start(
        documents::config(head, &hosts, &ports, idle_docs),
        idle_docs,
    );
    let pid = daemon.pid();
    daemon.wait_cycle(1, Instant::now() + timeout);
    std::thread::sleep(Duration::from_secs(idle_wait));
    if let Some(out) = std::env::var_os("TERMTRAIL_BENCH_IDLE_SMAPS") {
        std::fs::copy(format!("/proc/{pid}/smaps"), out).expect("copy smaps");
    }
    let rollup = PathBuf::from(format!("/proc/{pid}/smaps_rollup"));
    let rss = proc_kb(&rollup, "Rss");
    let anon = proc_kb(&rollup, "Anonymous");
    let file = rss.saturating_sub(anon);
    let own = exe_rss_kb(pid, &exe);
    let hwm = proc_kb(&PathBuf::from(format!("/proc/{pid}/status")), "VmHWM");
    daemon.stop();
    println!("| idle RSS | anonymous | file-backed | of which the termtrail executable | other files (libraries) | VmHWM |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| {:.1} MB | {:.1} MB | {:.1} MB | {:.1} MB | {:.1} MB | {:.1} MB |",
        mb(rss),
        mb(anon),
        mb(file),
        mb(own),
        mb(file.saturating_sub(own)),
        mb(hwm)
    );
}
