//! Import of dated captures, suspicious-version holds, noise in links, and re-extraction.

use crate::util::*;

const LONG: &str = "<main><h1>Privacy</h1><p>We collect the information you give us when you use the service, and this policy explains how we use it, how long we keep it, and with whom we share it.</p><p>You can ask us to delete your data at any time from your account settings.</p></main>";

#[test]
fn import_processes_captures_in_time_order_with_their_dates() {
    let f = Fixture::new();
    f.write_config(&[("a", "privacy-policy", "/a")], "");
    let dir = f.path().join("captures");
    std::fs::create_dir(&dir).expect("mkdir");
    // Names sort differently from times; a Markdown file and a declaration are ignored.
    for (name, body) in [
        (
            "z-2026-01-01T10-00-00Z.html",
            "<main><p>Version one of the policy text.</p></main>",
        ),
        (
            "a-2026-03-01T10-00-00Z.html",
            "<main><p>Version three of the policy text.</p></main>",
        ),
        (
            "m-2026-02-01T10-00-00Z.html",
            "<main><p>Version two of the policy text.</p></main>",
        ),
        (
            "n-2026-02-15T10-00-00Z.html",
            "<nav>x</nav><main><p>Version two of the policy text.</p></main>",
        ),
        ("z-2026-01-01T10-00-00Z.md", "ignored"),
        ("declaration.json", "{}"),
    ] {
        std::fs::write(dir.join(name), body).expect("write");
    }
    let out = f.run(&["import", "a/privacy-policy", dir.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        report
            .lines()
            .map(|l| l.split_whitespace().nth(1).unwrap_or_default())
            .collect::<Vec<_>>(),
        ["new", "changed", "unchanged", "changed"],
        "{report}"
    );
    assert_eq!(
        f.git(&["log", "--format=%cI %s", "main"]),
        "2026-03-01T10:00:00Z Update A privacy policy\n2026-02-01T10:00:00Z Update A privacy policy\n2026-01-01T10:00:00Z First record of A privacy policy\n"
    );
    assert_eq!(f.count("snapshots"), 4);
    assert_eq!(
        f.git(&[
            "log",
            "-1",
            "--format=%(trailers:key=Fetched-At,valueonly)",
            "main"
        ])
        .trim(),
        "2026-03-01T10:00:00Z"
    );
    f.fsck();
}

#[test]
fn a_transient_error_page_leaves_no_version() {
    let f = Fixture::new();
    f.write_config(&[("a", "privacy-policy", "/a")], "");
    f.server.set("/a", Page::html(LONG));
    f.check();
    f.server.set(
        "/a",
        Page::html("<main><p>This page is not available right now.</p></main>"),
    );
    let r = f.check();
    assert_eq!(ids(&r, "held_ids"), ["a/privacy-policy"]);
    assert_eq!(f.count("main"), 1);
    assert_eq!(f.count("snapshots"), 2, "the error page's snapshot is kept");
    let log = String::from_utf8_lossy(&f.run(&["log"]).stdout).into_owned();
    assert!(log.starts_with("HELD"), "{log}");
    assert!(log.contains("text shrank from"), "{log}");
    f.server.set("/a", Page::html(LONG));
    let r = f.check();
    assert_eq!(r["changed"].as_u64(), Some(0));
    assert_eq!(f.count("main"), 1);
    let log = String::from_utf8_lossy(&f.run(&["log"]).stdout).into_owned();
    assert!(!log.contains("HELD"), "the hold is dropped: {log}");
}

#[test]
fn a_confirmed_shrink_and_a_language_change_are_recorded_on_the_second_fetch() {
    let f = Fixture::new();
    f.write_config(&[("a", "privacy-policy", "/a")], "");
    f.server.set("/a", Page::html(LONG));
    f.check();
    let de = "<main><h1>Datenschutz</h1><p>Wir erheben die Informationen, die Sie uns bei der Nutzung des Dienstes geben, und diese Richtlinie erklärt, wie wir sie verwenden, wie lange wir sie aufbewahren und mit wem wir sie teilen.</p><p>Sie können uns jederzeit bitten, Ihre Daten in den Kontoeinstellungen zu löschen.</p></main>";
    f.server.set("/a", Page::html(de));
    let r = f.check();
    assert_eq!(ids(&r, "held_ids"), ["a/privacy-policy"], "{r}");
    let r = f.check();
    assert_eq!(ids(&r, "changed_ids"), ["a/privacy-policy"]);
    let msg = f.git(&["log", "-1", "--format=%B", "main"]);
    assert!(
        msg.contains("held back") && msg.contains("language changed from English to German"),
        "{msg}"
    );
    // A shrink confirmed the same way.
    f.server
        .set("/a", Page::html("<main><p>Gekürzt.</p></main>"));
    f.check();
    assert_eq!(f.count("main"), 2);
    f.check();
    assert_eq!(f.count("main"), 3);
}

#[test]
fn per_request_tokens_in_links_give_no_version() {
    let f = Fixture::new();
    f.write_config(&[("a", "privacy-policy", "/a")], "");
    let page = |did: &str, utm: &str| {
        format!("<main><p>Read our <a href=\"/cookies?lang=en&device-did={did}&utm_source={utm}\">cookie policy</a> and <a href=\"https://x.org/s?sid={did}\">settings</a>.</p></main>")
    };
    f.server.set(
        "/a",
        Page::html(page("0b9e3c84-5f1d-4a7e-9c55-2b1f0d4c9e21", "nav")),
    );
    f.check();
    f.server.set(
        "/a",
        Page::html(page("7d1f0a22-9b3e-4c6a-8e51-4f2a9c0b1d33", "footer")),
    );
    let r = f.check();
    assert_eq!(r["changed"].as_u64(), Some(0));
    let text = f.git(&["show", "main:a/privacy-policy.md"]);
    assert!(
        text.contains(&format!(
            "[cookie policy]({})",
            f.server.url("/cookies?lang=en")
        )),
        "{text}"
    );
    assert!(text.contains("[settings](https://x.org/s)"), "{text}");
}

#[test]
fn a_rules_change_is_applied_as_a_technical_version() {
    let f = Fixture::new();
    f.write_config(&[("a", "privacy-policy", "/a")], "");
    f.server.set("/a", Page::html("<main><div class=\"promo\">Try our app today, it is great and new!</div><p>We keep your data safe and for a limited time only.</p></main>"));
    f.check();
    // The user adds a remove rule; the page is unchanged.
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    std::fs::write(
        f.config_path(),
        toml.replace("remove = [\".updated-never\"]", "remove = [\".promo\"]"),
    )
    .expect("write");
    let out = f.run(&["reextract"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "upgraded   a/privacy-policy\n"
    );
    assert_eq!(
        f.git(&["log", "-1", "--format=%s", "main"]),
        "Apply extraction upgrade to A privacy policy\n"
    );
    assert_eq!(
        f.git(&[
            "log",
            "-1",
            "--format=%(trailers:key=Change-Class,valueonly)",
            "main"
        ])
        .trim(),
        "technical"
    );
    assert_eq!(
        f.git(&["show", "main:a/privacy-policy.md"]),
        "We keep your data safe and for a limited time only.\n"
    );
    // Nothing more to do the second time.
    let out = f.run(&["reextract", "a/privacy-policy"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "unchanged  a/privacy-policy\n"
    );
    f.fsck();
}

#[test]
fn an_ota_snapshots_repository_is_imported_with_its_dates() {
    let f = Fixture::new();
    f.write_config(&[("acme-chat", "privacy-policy", "/a")], "");
    let repo = f.path().join("ota-snapshots");
    std::fs::create_dir_all(repo.join("Acme Chat")).expect("mkdir");
    git(&repo, &["init", "-q", "-b", "main"]);
    let commit = |body: &str, date: &str| {
        std::fs::write(repo.join("Acme Chat/Privacy Policy.html"), body).expect("write");
        std::fs::write(repo.join("README.md"), date).expect("write");
        git(&repo, &["add", "-A"]);
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args([
                "-c",
                "user.name=OTA",
                "-c",
                "user.email=ota@example.org",
                "commit",
                "-q",
                "-m",
                "Record snapshot",
            ])
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .expect("git commit");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    commit(
        "<main><p>First text of the policy.</p></main>",
        "2025-11-11T15:22:33Z",
    );
    commit(
        "<main><p>First text of the policy.</p></main><!-- noise -->",
        "2025-11-12T00:33:55Z",
    );
    commit(
        "<main><p>First text of the policy.</p></main><!-- noise -->",
        "2025-11-20T00:00:00Z",
    );
    commit(
        "<main><p>Second text of the policy.</p></main>",
        "2025-12-18T23:31:36Z",
    );
    let out = f.run(&[
        "import",
        "acme-chat/privacy-policy",
        "--ota-snapshots",
        repo.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        f.git(&["log", "--format=%cI %s", "main"]),
        "2025-12-18T23:31:36Z Update Acme Chat privacy policy\n2025-11-11T15:22:33Z First record of Acme Chat privacy policy\n"
    );
    // Three distinct snapshots: the commit that only touched another file is not a capture.
    assert_eq!(f.count("snapshots"), 3);
    assert_eq!(
        f.git(&["log", "--format=%cI", "snapshots"]).lines().last(),
        Some("2025-11-11T15:22:33Z")
    );
}

#[test]
fn the_daemon_reextracts_at_start_up_when_the_rules_changed() {
    use std::process::{Command, Stdio};
    let f = Fixture::new();
    f.write_config(&[("a", "privacy-policy", "/a")], "");
    f.server.set("/a", Page::html("<main><div class=\"promo\">Try our app today, it is great and new!</div><p>We keep your data safe and for a limited time only.</p></main>"));
    f.check();
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    std::fs::write(
        f.config_path(),
        format!(
            "[schedule]\ninterval = \"1h\"\n{}",
            toml.replace("remove = [\".updated-never\"]", "remove = [\".promo\"]")
        ),
    )
    .expect("write");
    let mut child = Command::new(termtrail_bin())
        .current_dir(f.path())
        .arg("--config")
        .arg(f.config_path())
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let start = std::time::Instant::now();
    while f.count("main") < 2 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "no re-extraction at start-up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert_eq!(child.wait().expect("exits").code(), Some(0));
    assert_eq!(
        f.git(&["log", "-1", "--format=%s", "main"]),
        "Apply extraction upgrade to A privacy policy\n"
    );
    assert_eq!(
        f.git(&["show", "main:a/privacy-policy.md"]),
        "We keep your data safe and for a limited time only.\n"
    );
}
