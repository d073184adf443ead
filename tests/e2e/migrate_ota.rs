//! `termtrail migrate-ota` on a small Open Terms Archive collection written here: two services,
//! a multi-page document, a declaration history with a change of selectors, a named filter; its
//! snapshots and versions repositories made with the real git CLI. Checks the config written,
//! the warnings, the imported history (dates, texts, the declaration in force at each), and that
//! a second run changes nothing.

use std::path::Path;
use std::process::{Command, Output};

use crate::util::*;

/// Runs `git` in `dir` with commit dates set to `date`.
fn git_at(dir: &Path, date: &str, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_AUTHOR_NAME", "OTA")
        .env("GIT_AUTHOR_EMAIL", "ota@example.org")
        .env("GIT_COMMITTER_NAME", "OTA")
        .env("GIT_COMMITTER_EMAIL", "ota@example.org")
        .output()
        .expect("the git CLI is installed");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository at `dir` with one commit per (date, path, content), in order, as OTA records.
fn ota_repo(dir: &Path, commits: &[(&str, &str, String)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    git_at(dir, "2025-01-01T00:00:00Z", &["init", "-q", "-b", "main"]);
    for (date, path, content) in commits {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().expect("in a folder")).expect("mkdir");
        std::fs::write(&file, content).expect("write");
        git_at(dir, date, &["add", path]);
        git_at(
            dir,
            date,
            &["commit", "-q", "-m", &format!("Record {path}")],
        );
    }
}

const CLAUSES: &str = "We collect the information you give us when you use the service, and this policy explains how we use it, how long we keep it, and with whom we share it.";

/// A privacy policy page in the old layout (`.old-policy`) or the new one (`#policy`); the
/// other layout's block holds stale text, so the text says which declaration extracted it.
fn privacy(layout: &str, version: &str) -> String {
    let (old, new) = match layout {
        "old" => (version, "Stale block of the new layout."),
        _ => ("Stale block of the old layout.", version),
    };
    format!(
        "<html><body><div class=\"banner\">Try Acme Chat now!</div>\
         <div class=\"old-policy\"><h1>Privacy</h1><p>{old} {CLAUSES}</p></div>\
         <div id=\"policy\"><h1>Privacy</h1><p>{new} {CLAUSES}</p></div></body></html>"
    )
}

fn terms(text: &str) -> String {
    format!("<html><body><main><h1>Terms</h1><p>{text} {CLAUSES}</p><p class=\"ad\">Buy now.</p></main></body></html>")
}

fn eu(text: &str) -> String {
    format!("<html><body><nav>Home</nav><section id=\"eu\"><h2>EU annex</h2><p>{text} {CLAUSES}</p></section></body></html>")
}

fn aup(text: &str) -> String {
    format!("<html><body><p>Intro to skip.</p><h1 id=\"aup\">Acceptable use</h1><p>{text} {CLAUSES}</p><h2 id=\"end\">Contact</h2><p>Write to us.</p></body></html>")
}

const EXPECTED_CONFIG: &str = r##"# Written by `termtrail migrate-ota` from an Open Terms Archive collection; running it again rewrites this file.
# Each document's title, URL and rules come from its OTA declaration.

[[document]]
platform = "acme-chat"
kind = "privacy-policy"
title = "Acme Chat Privacy Policy"
url = "https://acme.example/privacy"
select = ["#policy"]

[[document]]
platform = "acme-chat"
kind = "terms-of-service"
title = "Acme Chat Terms of Service"
[[document.source]]
url = "https://acme.example/legal/terms"
select = ["main"]
remove = [".ad"]
[[document.source]]
url = "https://acme.example/legal/terms/eu.html"
select = ["#eu"]
remove = [".ad"]

[[document]]
platform = "bolt-ai"
kind = "acceptable-use-policy"
title = "Bolt AI Acceptable Use Policy"
url = "https://bolt.example/aup"
select = [{ startBefore = "#aup", endBefore = "#end" }]
fetch = "browser"
"##;

/// The collection: declarations, snapshots and versions, under `root`.
fn write_collection(root: &Path) {
    let declarations = root.join("collection/declarations");
    std::fs::create_dir_all(&declarations).expect("mkdir");
    std::fs::write(
        declarations.join("Acme Chat.json"),
        r##"{
  "name": "Acme Chat",
  "terms": {
    "Privacy Policy": { "fetch": "https://acme.example/privacy", "select": "#policy", "filter": ["hideBanner"] },
    "Terms of Service": {
      "select": "main", "remove": [".ad"],
      "combine": [
        { "fetch": "https://acme.example/legal/terms" },
        { "fetch": "https://acme.example/legal/terms/eu.html", "select": "#eu" }
      ]
    }
  }
}"##,
    )
    .expect("write");
    std::fs::write(
        declarations.join("Acme Chat.history.json"),
        r#"{ "Privacy Policy": [ { "fetch": "https://acme.example/privacy", "select": ".old-policy", "filter": ["hideBanner"], "validUntil": "2025-03-01T00:00:00.000Z" } ] }"#,
    )
    .expect("write");
    std::fs::write(
        declarations.join("Acme Chat.filters.js"),
        "export function hideBanner(document) { document.querySelector('.banner')?.remove(); }\n",
    )
    .expect("write");
    std::fs::write(
        declarations.join("Bolt AI.json"),
        r##"{ "name": "Bolt AI", "terms": { "Acceptable Use Policy": {
              "fetch": "https://bolt.example/aup", "executeClientScripts": true,
              "select": [ { "startBefore": "#aup", "endBefore": "#end" } ] } } }"##,
    )
    .expect("write");
    let pp = "Acme Chat/Privacy Policy.html";
    let tos = "Acme Chat/Terms of Service #legal-terms.html";
    let tos_eu = "Acme Chat/Terms of Service #legal-terms-eu.html";
    let bolt = "Bolt AI/Acceptable Use Policy.html";
    ota_repo(
        &root.join("snapshots"),
        &[
            ("2025-01-10T08:00:00Z", pp, privacy("old", "Version one.")),
            ("2025-01-10T09:00:00Z", tos, terms("Terms one.")),
            ("2025-01-10T09:00:00Z", tos_eu, eu("Annex one.")),
            ("2025-01-15T08:00:00Z", bolt, aup("Use one.")),
            ("2025-02-10T08:00:00Z", pp, privacy("old", "Version two.")),
            ("2025-02-15T08:00:00Z", bolt, aup("Use two.")),
            // The page moves to the new layout: the new declaration finds the same text.
            ("2025-04-10T08:00:00Z", pp, privacy("new", "Version two.")),
            ("2025-05-10T08:00:00Z", pp, privacy("new", "Version three.")),
            // Only the annex changes: the first page's bytes are those of January.
            ("2025-06-01T09:00:00Z", tos_eu, eu("Annex two.")),
        ],
    );
    let md = |v: &str| format!("Privacy\n=======\n\n{v} {CLAUSES}\n");
    ota_repo(
        &root.join("versions"),
        &[
            (
                "2025-01-10T08:00:00Z",
                "Acme Chat/Privacy Policy.md",
                md("Version one."),
            ),
            (
                "2025-02-10T08:00:00Z",
                "Acme Chat/Privacy Policy.md",
                md("Version two."),
            ),
            (
                "2025-05-10T08:00:00Z",
                "Acme Chat/Privacy Policy.md",
                md("Version three."),
            ),
        ],
    );
}

fn migrate(root: &Path, output: &str) -> Output {
    Command::new(termtrail_bin())
        .current_dir(root)
        .args([
            "migrate-ota",
            "collection",
            "--output",
            output,
            "--snapshots",
            "snapshots",
            "--versions",
            "versions",
        ])
        .env_remove("RUST_LOG")
        .output()
        .expect("termtrail runs")
}

#[test]
fn an_ota_collection_moves_over_with_its_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write_collection(root);
    let out = migrate(root, "termtrail.toml");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", stderr(&out));

    // The config, exactly; termtrail accepts it.
    let config = std::fs::read_to_string(root.join("termtrail.toml")).expect("config written");
    assert_eq!(config, EXPECTED_CONFIG);
    let validate = Command::new(termtrail_bin())
        .current_dir(root)
        .args(["--config", "termtrail.toml", "validate"])
        .output()
        .expect("runs");
    assert!(validate.status.success(), "{}", stderr(&validate));

    // The named filter is said, with a hint.
    assert!(
        stdout.contains("warning: acme-chat/privacy-policy: filter \"hideBanner\" (JavaScript in Acme Chat.filters.js) not carried over: termtrail runs no JavaScript: if the filter removes elements, write a `remove` rule for them; if it rewrites the page, a plugin can do it"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("warning:").count(), 1, "{stdout}");

    // The summary table: fetches, versions, OTA's versions and the similarity to them.
    for row in [
        "| `acme-chat/privacy-policy` | 4 | 4 | 0 | 3 | 0 | 0 | 3 | 3 | 1.000 |",
        "| `acme-chat/terms-of-service` | 2 | 2 | 0 | 2 | 0 | 0 | 2 | 0 | - |",
        "| `bolt-ai/acceptable-use-policy` | 2 | 2 | 0 | 2 | 0 | 0 | 2 | 0 | - |",
        "| **total** | 8 | 8 | 0 | 7 | 0 | 0 | 7 | 3 | 1.000 (min 1.000) |",
    ] {
        assert!(stdout.contains(row), "{row}\nnot in:\n{stdout}");
    }

    // The history: original dates, the declaration in force at each capture.
    let archive = root.join("archive");
    let log = git(
        &archive,
        &[
            "log",
            "--reverse",
            "--format=%cI %s|%(trailers:key=Extractor,valueonly,separator=)",
            "main",
            "--",
            "acme-chat/privacy-policy.md",
        ],
    );
    let lines: Vec<(&str, &str)> = log
        .lines()
        .map(|l| l.split_once('|').expect("two fields"))
        .collect();
    assert_eq!(
        lines.iter().map(|l| l.0).collect::<Vec<_>>(),
        [
            "2025-01-10T08:00:00Z First record of Acme Chat Privacy Policy",
            "2025-02-10T08:00:00Z Update Acme Chat Privacy Policy",
            "2025-05-10T08:00:00Z Update Acme Chat Privacy Policy",
        ]
    );
    // The old declaration extracted the first two, the new one the third.
    assert_eq!(lines[0].1, lines[1].1);
    assert_ne!(lines[1].1, lines[2].1);
    let text_at = |rev: &str, path: &str| git(&archive, &["show", &format!("{rev}:{path}")]);
    let first = git(
        &archive,
        &[
            "rev-list",
            "--reverse",
            "main",
            "--",
            "acme-chat/privacy-policy.md",
        ],
    );
    let first = first.lines().next().expect("a version");
    let v1 = text_at(first, "acme-chat/privacy-policy.md");
    assert!(
        v1.starts_with("# Privacy\n\nVersion one. We collect"),
        "{v1}"
    );
    assert!(!v1.contains("Stale") && !v1.contains("Try Acme"), "{v1}");
    let v3 = text_at("main", "acme-chat/privacy-policy.md");
    assert!(
        v3.starts_with("# Privacy\n\nVersion three. We collect"),
        "{v3}"
    );
    assert!(!v3.contains("Stale"), "{v3}");
    // Every capture's snapshot is kept, dated at its capture (4 + 2 + 2).
    assert_eq!(
        git(&archive, &["rev-list", "--count", "snapshots"]).trim(),
        "8"
    );
    assert_eq!(
        git(
            &archive,
            &[
                "log",
                "-1",
                "--format=%cI",
                "snapshots",
                "--",
                "acme-chat/privacy-policy.html"
            ]
        )
        .trim(),
        "2025-05-10T08:00:00Z"
    );

    // The multi-page document: both pages at each fetch, the first one's latest bytes kept.
    let tos = text_at("main", "acme-chat/terms-of-service.md");
    assert!(
        tos.contains("Terms one.")
            && tos.contains("## EU annex\n\nAnnex two.")
            && !tos.contains("Buy now")
            && !tos.contains("Home"),
        "{tos}"
    );
    assert_eq!(
        git(
            &archive,
            &[
                "log",
                "--format=%cI",
                "main",
                "--",
                "acme-chat/terms-of-service.md"
            ]
        ),
        "2025-06-01T09:00:00Z\n2025-01-10T09:00:00Z\n"
    );
    // The range of the other service.
    let aup = text_at("main", "bolt-ai/acceptable-use-policy.md");
    assert!(aup.starts_with("# Acceptable use\n\nUse two."), "{aup}");
    assert!(!aup.contains("Intro") && !aup.contains("Contact"), "{aup}");
    git(&archive, &["fsck", "--strict", "--no-progress"]);

    // Again: the same config, nothing added.
    let before = (
        git(&archive, &["rev-parse", "main", "snapshots"]),
        std::fs::metadata(root.join("termtrail.toml"))
            .expect("exists")
            .modified()
            .expect("mtime"),
    );
    let again = migrate(root, "termtrail.toml");
    let stdout = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.status.success(), "{stdout}\n{}", stderr(&again));
    assert!(
        stdout.starts_with("Unchanged: termtrail.toml with 3 document(s)."),
        "{stdout}"
    );
    assert!(
        stdout.contains("| **total** | 8 | 0 | 8 | 0 | 0 | 0 | 7 | 3 | 1.000 (min 1.000) |"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("termtrail.toml")).expect("config"),
        EXPECTED_CONFIG
    );
    assert_eq!(
        (
            git(&archive, &["rev-parse", "main", "snapshots"]),
            std::fs::metadata(root.join("termtrail.toml"))
                .expect("exists")
                .modified()
                .expect("mtime"),
        ),
        before
    );

    // A config written by hand is never overwritten.
    std::fs::write(root.join("mine.toml"), "[archive]\npath = \"archive\"\n").expect("write");
    let refused = migrate(root, "mine.toml");
    assert!(!refused.status.success());
    assert!(
        stderr(&refused)
            .contains("mine.toml exists and was not written by `termtrail migrate-ota`"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        std::fs::read_to_string(root.join("mine.toml")).expect("kept"),
        "[archive]\npath = \"archive\"\n"
    );
}
