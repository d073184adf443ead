//! Auditing an archive after crashes, with the real git CLI: the revisions each document's
//! versions carry, the events a jsonl sink received, stale lock files, `git fsck --strict`.
//! Shared by the recovery tests and the soak (`daemon/examples/soak.rs`).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `git -C ARCHIVE ARGS...`: its output (panics, with git's message, if git fails).
pub fn git(archive: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(archive)
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

/// One commit on `main`.
#[derive(Debug, Clone)]
pub struct Version {
    pub commit: String,
    pub document: String,
    pub technical: bool,
}

/// The commits on `main`, oldest first, with their `Document` trailer.
pub fn versions(archive: &Path) -> Vec<Version> {
    let has_main = Command::new("git")
        .arg("-C")
        .arg(archive)
        .args(["rev-parse", "--verify", "-q", "refs/heads/main"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_main {
        return Vec::new();
    }
    git(
        archive,
        &[
            "log",
            "--reverse",
            "--format=%H%x09%(trailers:key=Document,valueonly,separator=)%x09%(trailers:key=Change-Class,valueonly,separator=)",
            "refs/heads/main",
        ],
    )
    .lines()
    .map(|l| {
        let mut parts = l.split('\t');
        Version {
            commit: parts.next().unwrap_or_default().to_owned(),
            document: parts.next().unwrap_or_default().trim().to_owned(),
            technical: parts.next().unwrap_or_default().trim() == "technical",
        }
    })
    .collect()
}

/// The revision number of a synthetic policy text (`server::policy_page` writes "Revision N").
pub fn revision_of(text: &str) -> Option<usize> {
    let rest = &text[text.find("Revision ")? + "Revision ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// For each document, the revisions its versions record, oldest first.
pub fn recorded_revisions(archive: &Path) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for v in versions(archive) {
        let text = git(
            archive,
            &["show", &format!("{}:{}.md", v.commit, v.document)],
        );
        out.entry(v.document.clone())
            .or_default()
            .push(revision_of(&text).unwrap_or(0));
    }
    out
}

/// How the recorded revisions compare with the expected ones.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VersionTally {
    pub expected: usize,
    pub recorded: usize,
    /// Expected revisions with no version.
    pub lost: usize,
    /// Versions beyond the first of the same revision of a document.
    pub duplicated: usize,
    /// Versions of a revision that was not expected, or out of order.
    pub unexpected: usize,
}

/// Compares `recorded` with `expected` (per document, the revisions in the order they were
/// served, each once).
pub fn tally_versions(
    expected: &BTreeMap<String, Vec<usize>>,
    recorded: &BTreeMap<String, Vec<usize>>,
) -> VersionTally {
    let mut t = VersionTally::default();
    let empty = Vec::new();
    let docs: std::collections::BTreeSet<&String> =
        expected.keys().chain(recorded.keys()).collect();
    for doc in docs {
        let want = expected.get(doc).unwrap_or(&empty);
        let got = recorded.get(doc).unwrap_or(&empty);
        t.expected += want.len();
        t.recorded += got.len();
        let mut seen = std::collections::BTreeSet::new();
        for r in got {
            if !seen.insert(*r) {
                t.duplicated += 1;
            } else if !want.contains(r) {
                t.unexpected += 1;
            }
        }
        t.lost += want.iter().filter(|r| !got.contains(r)).count();
        // In order: the distinct recorded revisions must be the expected sequence.
        let distinct: Vec<usize> = {
            let mut s = std::collections::BTreeSet::new();
            got.iter().copied().filter(|r| s.insert(*r)).collect()
        };
        if t.lost == 0 && t.unexpected == 0 && &distinct != want {
            t.unexpected += 1;
        }
    }
    t
}

/// Versions whose `Snapshot` trailer names a commit that the `snapshots` branch does not reach.
pub fn unreachable_snapshots(archive: &Path) -> Vec<String> {
    let trailers = git(
        archive,
        &[
            "log",
            "--format=%H%x09%(trailers:key=Snapshot,valueonly,separator=)",
            "refs/heads/main",
        ],
    );
    trailers
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(_, snap)| {
            !snap.trim().is_empty()
                && !Command::new("git")
                    .arg("-C")
                    .arg(archive)
                    .args([
                        "merge-base",
                        "--is-ancestor",
                        snap.trim(),
                        "refs/heads/snapshots",
                    ])
                    .status()
                    .is_ok_and(|s| s.success())
        })
        .map(|(commit, _)| commit.to_owned())
        .collect()
}

/// Lock files left in the repository: every `*.lock` but `termtrail.lock`, whose OS lock dies
/// with its process.
pub fn stale_locks(archive: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "lock")
                && p.file_name().is_some_and(|n| n != "termtrail.lock")
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(archive, &mut out);
    out
}

/// `git fsck --strict`: `Ok` or its complaint.
pub fn fsck(archive: &Path) -> Result<(), String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(archive)
        .args(["fsck", "--strict", "--no-progress"])
        .output()
        .expect("the git CLI is installed");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// What a jsonl sink received, against the version commits it should have announced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EventTally {
    /// Lines in the file.
    pub delivered: usize,
    /// Distinct event ids.
    pub distinct: usize,
    /// Lines beyond the first of the same id (re-sent after a kill: allowed, at-least-once).
    pub duplicates: usize,
    /// Version commits with no event.
    pub missing: usize,
    /// Ids that are not `TYPE:COMMIT` of their commit, or one id with two different bodies.
    pub unstable: usize,
    /// Lines that are not JSON (a torn write).
    pub torn: usize,
}

/// Tallies the events of `jsonl` against the non-technical version commits of `archive`.
pub fn tally_events(jsonl: &Path, archive: &Path) -> EventTally {
    let mut t = EventTally::default();
    let mut by_id: BTreeMap<String, String> = BTreeMap::new();
    let mut commits_seen = std::collections::BTreeSet::new();
    for line in std::fs::read_to_string(jsonl).unwrap_or_default().lines() {
        t.delivered += 1;
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
            t.torn += 1;
            continue;
        };
        let id = event["id"].as_str().unwrap_or_default().to_owned();
        let commit = event["commit"].as_str().unwrap_or_default().to_owned();
        let kind = event["type"].as_str().unwrap_or_default();
        if id != format!("{kind}:{commit}") {
            t.unstable += 1;
        }
        commits_seen.insert(commit);
        match by_id.get(&id) {
            Some(first) if first != line => {
                t.unstable += 1;
                t.duplicates += 1;
            }
            Some(_) => t.duplicates += 1,
            None => {
                by_id.insert(id, line.to_owned());
            }
        }
    }
    t.distinct = by_id.len();
    t.missing = versions(archive)
        .iter()
        .filter(|v| !v.technical && !commits_seen.contains(&v.commit))
        .count();
    t
}
