//! Test helpers: a temporary folder per test, the termtrail binary, and the real git CLI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use crate::server::{policy_page, Page, Server};

/// The termtrail binary built by cargo for these tests.
pub fn termtrail_bin() -> &'static str {
    env!("CARGO_BIN_EXE_termtrail")
}

/// One test's folder with a config in it.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub server: Server,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            server: Server::start(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn archive(&self) -> PathBuf {
        self.path().join("archive")
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("termtrail.toml")
    }

    /// Writes a config tracking `docs` (platform, kind, server path) with `select = "main"`,
    /// no politeness delay and fast retries, plus `extra` TOML appended at the top level.
    pub fn write_config(&self, docs: &[(&str, &str, &str)], fetch_extra: &str) {
        let mut toml = format!(
            "[archive]\npath = \"archive\"\nfsync = false\n\n[fetch]\nper_host_delay = \"0s\"\nper_host_concurrency = 8\nretry_backoff = \"20ms\"\ntimeout = \"5s\"\n{fetch_extra}\n"
        );
        for (platform, kind, path) in docs {
            toml.push_str(&format!(
                "\n[[document]]\nplatform = \"{platform}\"\nkind = \"{kind}\"\nurl = \"{}\"\nselect = [\"main\"]\nremove = [\".updated-never\"]\n",
                self.server.url(path)
            ));
        }
        std::fs::write(self.config_path(), toml).expect("write config");
    }

    /// Runs termtrail with this fixture's config, from its folder.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(termtrail_bin())
            .current_dir(self.path())
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .expect("termtrail runs")
    }

    /// Runs termtrail like [`Fixture::run`], with `env` added to its environment.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(termtrail_bin())
            .current_dir(self.path())
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .output()
            .expect("termtrail runs")
    }

    /// Runs `check --json` and returns the parsed report; panics unless it exits 0.
    pub fn check(&self) -> serde_json::Value {
        let out = self.run(&["check", "--json"]);
        assert!(
            out.status.success(),
            "check failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "check --json printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs git in the archive; panics unless it succeeds.
    pub fn git(&self, args: &[&str]) -> String {
        git(&self.archive(), args)
    }

    /// Commits on `branch` (0 when it does not exist).
    pub fn count(&self, branch: &str) -> usize {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.archive())
            .args(["rev-list", "--count", branch])
            .output()
            .expect("git runs");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// `git fsck --strict` must accept the archive.
    pub fn fsck(&self) {
        self.git(&["fsck", "--strict", "--no-progress"]);
    }
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("the git CLI is installed");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Polls `cond` every 50 ms; fails the test naming `what` after `timeout`.
pub fn wait_for(what: &str, timeout: std::time::Duration, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub fn ids(report: &serde_json::Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} missing in {report}"))
        .iter()
        .map(|v| v.as_str().expect("string id").to_owned())
        .collect()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Installs a Debian package with apt-get unless `present` already holds; panics if it cannot (a
/// test must never skip). Serialised: two tests installing at once would fight over the dpkg lock.
pub fn ensure_package(package: &str, present: impl Fn() -> bool) {
    static APT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = APT.lock().unwrap_or_else(|e| e.into_inner());
    if present() {
        return;
    }
    let script = format!(
        "(apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 {package}"
    );
    let st = std::process::Command::new("sh")
        .args(["-c", &script])
        .status()
        .expect("sh runs");
    assert!(
        st.success() && present(),
        "{package} is needed by this test and could not be installed; run: apt-get install -y {package}"
    );
}

/// `text` read by the Prometheus project's own parser (Debian's python3-prometheus-client):
/// each sample as `name|label=value...` with its value, and each family's type.
pub fn parse_metrics(
    text: &str,
) -> (
    std::collections::BTreeMap<String, f64>,
    std::collections::BTreeMap<String, String>,
) {
    use std::io::Write;
    // Debian's python3, not another python3 first on the PATH.
    const DEBIAN_PYTHON: &str = "/usr/bin/python3";
    let parser = "import sys, json\nfrom prometheus_client.parser import text_string_to_metric_families as p\n\
samples, families = {}, {}\nfor fam in p(sys.stdin.read()):\n    families[fam.name] = fam.type\n    for s in fam.samples:\n        samples[s.name + ''.join('|%s=%s' % kv for kv in sorted(s.labels.items()))] = s.value\n\
print(json.dumps([samples, families]))\n";
    let works = || {
        std::process::Command::new(DEBIAN_PYTHON)
            .args(["-c", "import prometheus_client"])
            .status()
            .is_ok_and(|s| s.success())
    };
    ensure_package("python3-prometheus-client", works);
    let mut py = std::process::Command::new(DEBIAN_PYTHON)
        .args(["-c", parser])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    py.stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())
        .expect("write metrics");
    let out = py.wait_with_output().expect("parser finishes");
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("parser JSON")
}
