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

/// Runs `termtrail check` and reads its rusage with `wait4`. With `TERMTRAIL_BENCH_PERF=FILE` set,
/// the run is profiled into FILE instead (each run overwrites it: the last one is kept).
pub fn run_check(dir: &Path, config: &Path) -> Sample {
    let mut command = match std::env::var_os("TERMTRAIL_BENCH_PERF") {
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
            .arg(env!("CARGO_BIN_EXE_termtrail"));
            perf
        }
        None => Command::new(env!("CARGO_BIN_EXE_termtrail")),
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
