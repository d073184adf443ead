//! Measurement: peak memory of a `termtrail check` with no browser document versus one with a
//! document rendered in headless Chromium (issue: hard documents).
//!
//! The whole process tree is sampled every 20 ms from /proc: the sum of PSS (proportional set
//! size, so pages shared between Chromium's processes count once) and the sum of RSS. Needs
//! Debian's `chromium` at /usr/bin/chromium.
//!
//! Run: `cargo bench -p termtrail --bench browser_memory`.

#[path = "../../tests/e2e/server.rs"]
#[allow(dead_code)]
mod server;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use server::{Page, Server};

fn kb_field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The process and its descendants.
fn tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The parent pid is the 2nd field after the parenthesised command name.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let ppid: u32 = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        parents.push((pid, ppid));
    }
    let mut set: HashSet<u32> = HashSet::from([root]);
    loop {
        let before = set.len();
        for (pid, ppid) in &parents {
            if set.contains(ppid) {
                set.insert(*pid);
            }
        }
        if set.len() == before {
            return set.into_iter().collect();
        }
    }
}

/// One `termtrail check`: termtrail's own peak RSS (from `wait4`), and the peak PSS and RSS of
/// its whole process tree (sampled), in MB, and the wall time.
// The child is reaped by `wait4` below (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn peak(dir: &Path, config: &Path) -> (f64, f64, f64, Duration) {
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_termtrail"))
        .current_dir(dir)
        .arg("--config")
        .arg(config)
        .args(["check", "--json"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("termtrail starts");
    let pid = child.id() as libc::pid_t;
    let (mut pss_max, mut rss_max) = (0u64, 0u64);
    // SAFETY: an all-zero rusage is a valid value to be overwritten by wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut status = 0;
    loop {
        // SAFETY: polling our own child with valid out-pointers.
        let rc = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if rc == pid {
            break;
        }
        let (mut pss, mut rss) = (0, 0);
        for p in tree(child.id()) {
            if let Ok(s) = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")) {
                pss += kb_field(&s, "Pss:");
                rss += kb_field(&s, "Rss:");
            }
        }
        pss_max = pss_max.max(pss);
        rss_max = rss_max.max(rss);
        std::thread::sleep(Duration::from_millis(20));
    }
    let own = usage.ru_maxrss as f64 / 1024.0;
    (
        own,
        (pss_max as f64 / 1024.0).max(own),
        (rss_max as f64 / 1024.0).max(own),
        start.elapsed(),
    )
}

fn main() {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "install Debian's chromium first: apt-get install chromium"
    );
    let server = Server::start();
    server.set(
        "/plain",
        Page::html("<main><h1>Policy</h1><p>Plain HTML text of the policy.</p></main>"),
    );
    server.set(
        "/js",
        Page::html("<main id=\"app\"></main><script>document.getElementById('app').innerHTML='<h1>Policy</h1><p>Rendered by script.</p>'</script>"),
    );
    let mut rows = Vec::new();
    for (name, browser_doc) in [
        ("no browser document", false),
        ("one browser document", true),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("termtrail.toml");
        let mut toml = format!(
            "[archive]\npath = \"archive\"\n[fetch]\nper_host_delay = \"0s\"\n\
             [[document]]\nplatform = \"plain\"\nkind = \"privacy-policy\"\nurl = \"{}\"\nselect = \"main\"\n",
            server.url("/plain")
        );
        if browser_doc {
            toml.push_str(&format!(
                "[[document]]\nplatform = \"js\"\nkind = \"privacy-policy\"\nurl = \"{}\"\nselect = \"main\"\nfetch = \"browser\"\n",
                server.url("/js")
            ));
        }
        std::fs::write(&config, toml).expect("write config");
        rows.push((name, peak(dir.path(), &config)));
    }
    println!("peak memory of one `termtrail check` (largest single process from wait4, which counts reaped children; whole process tree sampled every 20 ms)\n");
    println!("| run | largest process peak RSS (wait4) | process tree peak PSS | process tree peak RSS (sum) | wall |");
    println!("|---|---|---|---|---|");
    for (name, (own, pss, rss, wall)) in rows {
        println!(
            "| {name} | {own:.1} MB | {pss:.1} MB | {rss:.1} MB | {:.2} s |",
            wall.as_secs_f64()
        );
    }
}
