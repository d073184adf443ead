//! For the benchmarks: one child process run to its end (`termtrail check`, or another tool side
//! by side), with its wall time, CPU time and peak RSS read from `wait4`'s rusage.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sample {
    pub wall: Duration,
    pub cpu: Duration,
    pub max_rss_kb: i64,
}

/// The binary measured: this build's, or `TERMTRAIL_BENCH_BIN` (another build, to compare two
/// builds in turns on the same machine and load).
fn binary() -> std::ffi::OsString {
    std::env::var_os("TERMTRAIL_BENCH_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_termtrail").into())
}

/// Runs `termtrail check` and reads its rusage with `wait4`. With `TERMTRAIL_BENCH_PERF=FILE` set,
/// the run is profiled into FILE instead (each run overwrites it: the last one is kept); with
/// `TERMTRAIL_BENCH_WRAP="tool args"`, it runs under that tool. `TERMTRAIL_BENCH_PROFILE_FROM=N`
/// leaves the runs before the N-th of this bench unwrapped (the slow first cycles).
pub fn run_check(dir: &Path, config: &Path) -> Sample {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    let from: usize = std::env::var("TERMTRAIL_BENCH_PROFILE_FROM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let wrapped = |name: &str| std::env::var_os(name).filter(|_| run >= from);
    let mut command = match wrapped("TERMTRAIL_BENCH_PERF") {
        // Profiling only: the measured run under `perf record`, whose own CPU then counts too.
        Some(out) => {
            let mut perf = Command::new("perf");
            perf.args([
                "record",
                "-q",
                "-F",
                "2999",
                "--call-graph",
                "dwarf,16384",
                "-o",
            ])
            .arg(out)
            .arg("--")
            .arg(binary());
            perf
        }
        // Any other tool (`valgrind --tool=massif ...`): the words of TERMTRAIL_BENCH_WRAP
        // before the binary.
        None => match wrapped("TERMTRAIL_BENCH_WRAP").and_then(|w| w.into_string().ok()) {
            Some(wrap) if !wrap.trim().is_empty() => {
                let mut words = wrap.split_whitespace();
                let mut tool = Command::new(words.next().expect("not empty"));
                tool.args(words).arg(binary());
                tool
            }
            _ => Command::new(binary()),
        },
    };
    command
        .current_dir(dir)
        .arg("--config")
        .arg(config)
        .args(["check", "--json"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    match measure(&mut command) {
        Ok(sample) => sample,
        Err(status) => panic!("termtrail check failed: {status}"),
    }
}

/// Runs `command` to its end; its rusage from `wait4`, which on Linux covers the child and the
/// descendants it waited for (CPU summed, peak RSS the largest of them). `Err` with the wait
/// status when it did not exit 0.
pub fn measure(command: &mut Command) -> Result<Sample, String> {
    let start = Instant::now();
    // Reaped below with wait4 (for its rusage), which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    let child = command.spawn().expect("the measured program starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten by wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child, with valid out-pointers; Child is not waited on again.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(rc, pid, "wait4 failed");
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Err(format!("wait status {status:#x}"));
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok(Sample {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss,
    })
}
