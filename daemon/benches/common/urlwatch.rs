//! For the benchmarks: urlwatch 2.29, installed into a temporary virtualenv, watching the same
//! pages as termtrail, so both are measured side by side in the same run. Everything it writes
//! (urls, config, hooks, cache, and HOME itself) is inside the temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::rusage::{measure, Sample};

/// The version measured (the one the figures were taken with).
pub const VERSION: &str = "2.29";

pub struct Urlwatch {
    dir: tempfile::TempDir,
}

/// Whether urlwatch is measured: on unless `TERMTRAIL_BENCH_URLWATCH=0`.
pub fn wanted() -> bool {
    std::env::var("TERMTRAIL_BENCH_URLWATCH").map_or(true, |v| v != "0")
}

impl Urlwatch {
    /// Creates the virtualenv and installs urlwatch with what its `css` filter needs (lxml,
    /// cssselect). `Err` says why it could not be installed.
    pub fn install() -> Result<Urlwatch, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("no temporary directory: {e}"))?;
        let venv = dir.path().join("venv");
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .map_err(|e| format!("python3 -m venv failed: {e}"))?;
        run(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("urlwatch=={VERSION}"),
            "lxml",
            "cssselect",
        ]))
        .map_err(|e| format!("pip install urlwatch=={VERSION} failed: {e}"))?;
        Ok(Urlwatch { dir })
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.dir.path().join("venv/bin").join(name)
    }

    /// A fresh job set in `work` (a directory of its own): one job per URL, the same selection as
    /// termtrail's (`main`, without `.ad`), with the `css` filter and its `exclude`.
    pub fn jobs(&self, work: &Path, urls: &[String]) -> Jobs {
        let mut yaml = String::new();
        for (i, url) in urls.iter().enumerate() {
            yaml.push_str(&format!(
                "---\nname: doc{i}\nurl: \"{url}\"\nfilter:\n  - css:\n      selector: main\n      exclude: .ad\n"
            ));
        }
        std::fs::write(work.join("urls.yaml"), yaml).expect("write urls.yaml");
        // Reports of changes to stdout (discarded), without colour; nothing else enabled.
        std::fs::write(
            work.join("urlwatch.yaml"),
            "report:\n  stdout:\n    enabled: true\n    color: false\n",
        )
        .expect("write urlwatch.yaml");
        Jobs {
            work: work.to_owned(),
            urlwatch: self.bin("urlwatch"),
            python: self.bin("python"),
            count: urls.len(),
        }
    }
}

pub struct Jobs {
    work: PathBuf,
    urlwatch: PathBuf,
    python: PathBuf,
    count: usize,
}

impl Jobs {
    /// One `urlwatch` run over every job, measured. Panics unless it exited 0 and its cache then
    /// holds one good entry per job and none from a failed try: urlwatch exits 0 even when a fetch
    /// failed (it saves the old data again, with a try counted), and saves nothing new for a page
    /// whose selected text did not change, so a no-change run leaves one entry per job.
    pub fn run(&self) -> Sample {
        let w = &self.work;
        let mut command = Command::new(&self.urlwatch);
        command
            .current_dir(w)
            .arg("--urls")
            .arg(w.join("urls.yaml"))
            .arg("--config")
            .arg(w.join("urlwatch.yaml"))
            .arg("--hooks")
            .arg(w.join("hooks.py"))
            .arg("--cache")
            .arg(w.join("cache.db"))
            // Nothing under the real HOME, even a directory urlwatch creates by default.
            .env("HOME", w)
            .env("XDG_CONFIG_HOME", w.join("config"))
            .env("XDG_CACHE_HOME", w.join("cache"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let sample = measure(&mut command).unwrap_or_else(|e| panic!("urlwatch failed: {e}"));
        assert_eq!(
            self.cache_entries(),
            (self.count, 0, self.count),
            "urlwatch's cache: (jobs with a good entry, entries of a failed try, entries)"
        );
        sample
    }

    /// The jobs with a good cache entry (data, no failed try), the entries of a failed try, and
    /// all the entries.
    fn cache_entries(&self) -> (usize, usize, usize) {
        let out = Command::new(&self.python)
            .args([
                "-c",
                "import sqlite3, sys\n\
                 c = sqlite3.connect(sys.argv[1])\n\
                 good = 'select count(distinct guid) from CacheEntry where tries = 0 and length(data) > 0'\n\
                 failed = 'select count(*) from CacheEntry where tries > 0'\n\
                 print(*[c.execute(q).fetchone()[0] for q in (good, failed, 'select count(*) from CacheEntry')])",
            ])
            .arg(self.work.join("cache.db"))
            .output()
            .expect("the virtualenv's python runs");
        assert!(
            out.status.success(),
            "reading urlwatch's cache failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let n: Vec<usize> = text
            .split_whitespace()
            .map(|v| v.parse().expect("a count"))
            .collect();
        assert_eq!(n.len(), 3, "three counts: {text}");
        (n[0], n[1], n[2])
    }
}

/// Runs `command`; `Err` with the end of its stderr unless it exited 0.
fn run(command: &mut Command) -> Result<(), String> {
    let out = command
        .stdout(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = err.lines().rev().take(3).collect();
    Err(format!(
        "{}: {}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
    ))
}
