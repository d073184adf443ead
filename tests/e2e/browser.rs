//! Pages built by JavaScript: rendering in headless Chromium, the fallback on bot walls and empty
//! selections, and the browser never started when no document needs it.

use std::path::{Path, PathBuf};

use crate::util::*;

/// The system Chromium; installed with apt-get when missing (tests never skip).
fn chromium() -> PathBuf {
    let path = PathBuf::from("/usr/bin/chromium");
    ensure_package("chromium", || path.exists());
    path
}

/// A wrapper that logs each launch to `log`, then runs the real Chromium.
fn counting_wrapper(dir: &Path, log: &Path) -> PathBuf {
    let wrapper = dir.join("chromium-wrapper");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho launched >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            chromium().display()
        ),
    )
    .expect("write wrapper");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    wrapper
}

const JS_PAGE: &str = r#"<!DOCTYPE html><html><head><title>Policy</title></head><body><nav>Menu</nav><main id="app"></main>
<script>setTimeout(function () { document.getElementById('app').innerHTML = '<h1>Policy</h1><p>This text is rendered by JavaScript.</p>'; }, 200);</script></body></html>"#;

fn config(f: &Fixture, browser_exe: &Path, fallback: bool, docs: &str) {
    let toml = format!(
        "[archive]\npath = \"archive\"\nfsync = false\n[fetch]\nper_host_delay = \"0s\"\nper_host_concurrency = 8\nretries = 0\n\
         [browser]\nexecutable = \"{}\"\nfallback = {fallback}\nrender_timeout = \"20s\"\n{docs}",
        browser_exe.display()
    );
    std::fs::write(f.config_path(), toml).expect("write config");
}

fn doc(f: &Fixture, platform: &str, path: &str, extra: &str) -> String {
    format!("\n[[document]]\nplatform = \"{platform}\"\nkind = \"privacy-policy\"\nurl = \"{}\"\nselect = \"main\"\n{extra}\n", f.server.url(path))
}

#[test]
fn a_javascript_page_is_recorded_with_the_browser_and_is_empty_without() {
    let f = Fixture::new();
    let log = f.path().join("launches.log");
    let exe = counting_wrapper(f.path(), &log);
    f.server.set("/js", Page::html(JS_PAGE));
    let docs = format!(
        "{}{}",
        doc(&f, "with", "/js", "fetch = \"browser\""),
        doc(&f, "without", "/js", "")
    );
    config(&f, &exe, false, &docs);
    let out = f.run(&["check", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        ids(&r, "new_ids"),
        ["with/privacy-policy"],
        "{r}\n{}",
        stderr(&out)
    );
    assert_eq!(ids(&r, "error_ids"), ["without/privacy-policy"]);
    assert!(
        stderr(&out).contains("the selected region holds no text"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        f.git(&["show", "main:with/privacy-policy.md"]),
        "# Policy\n\nThis text is rendered by JavaScript.\n"
    );
    let trailers = f.git(&[
        "log",
        "--format=%(trailers:key=Fetcher,valueonly)",
        "snapshots",
        "--",
        "with/",
    ]);
    assert_eq!(trailers.trim(), "browser");
    assert_eq!(
        std::fs::read_to_string(&log)
            .expect("launched")
            .lines()
            .count(),
        1,
        "one shared browser"
    );
    f.fsck();
}

#[test]
fn no_browser_is_started_when_no_document_needs_one() {
    let f = Fixture::new();
    let log = f.path().join("launches.log");
    let exe = counting_wrapper(f.path(), &log);
    f.server
        .set("/a", Page::html("<main><p>Plain HTML policy.</p></main>"));
    f.server.set(
        "/b",
        Page::html("<main><p>Another plain policy.</p></main>"),
    );
    config(
        &f,
        &exe,
        true,
        &format!("{}{}", doc(&f, "a", "/a", ""), doc(&f, "b", "/b", "")),
    );
    let r = f.check();
    assert_eq!(r["new"].as_u64(), Some(2));
    assert!(
        !log.exists(),
        "Chromium was started for documents that need none"
    );
}

#[test]
fn a_bot_challenge_falls_back_to_the_browser() {
    let f = Fixture::new();
    let exe = chromium();
    // Like a challenge page: a 403 whose script sets a clearance cookie and reloads.
    let challenge = Page::html(
        "<html><head><title>Just a moment...</title></head><body><p>Checking your browser before accessing the site.</p>\
         <script>document.cookie = 'clearance=ok; path=/'; setTimeout(function () { location.reload(); }, 100);</script></body></html>",
    )
    .status(403);
    f.server.set(
        "/guarded",
        Page::html("<main><h1>Terms</h1><p>The real terms text.</p></main>")
            .behind_challenge("clearance=ok", challenge),
    );
    config(&f, &exe, true, &doc(&f, "g", "/guarded", ""));
    let out = f.run(&["check", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(ids(&r, "new_ids"), ["g/privacy-policy"], "{}", stderr(&out));
    assert_eq!(
        f.git(&["show", "main:g/privacy-policy.md"]),
        "# Terms\n\nThe real terms text.\n"
    );
    assert!(
        stderr(&out).contains("retrying in the browser"),
        "{}",
        stderr(&out)
    );
    let trailers = f.git(&[
        "log",
        "-1",
        "--format=%(trailers:key=Fetcher,valueonly)",
        "snapshots",
    ]);
    assert_eq!(trailers.trim(), "browser");
}

#[test]
fn an_empty_selection_falls_back_to_the_browser_and_sticks() {
    let f = Fixture::new();
    let log = f.path().join("launches.log");
    let exe = counting_wrapper(f.path(), &log);
    f.server.set("/js", Page::html(JS_PAGE));
    config(&f, &exe, true, &doc(&f, "js", "/js", ""));
    let r = f.check();
    assert_eq!(ids(&r, "new_ids"), ["js/privacy-policy"], "{r}");
    assert_eq!(
        f.git(&["show", "main:js/privacy-policy.md"]),
        "# Policy\n\nThis text is rendered by JavaScript.\n"
    );
    // Next time the browser is used directly: no plain snapshot of the empty shell again.
    let snaps = f.count("snapshots");
    f.check();
    assert_eq!(
        f.count("snapshots"),
        snaps,
        "the rendered page is unchanged"
    );
    assert_eq!(
        std::fs::read_to_string(&log)
            .expect("launched")
            .lines()
            .count(),
        2,
        "one launch per check"
    );
}

#[test]
fn a_missing_chromium_is_a_clear_error_for_its_documents_only() {
    let f = Fixture::new();
    f.server.set("/js", Page::html(JS_PAGE));
    f.server
        .set("/plain", Page::html("<main><p>Plain.</p></main>"));
    let docs = format!(
        "{}{}",
        doc(&f, "js", "/js", "fetch = \"browser\""),
        doc(&f, "plain", "/plain", "")
    );
    config(&f, Path::new("/nonexistent/chromium"), true, &docs);
    let out = f.run(&["check", "--json"]);
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(ids(&r, "new_ids"), ["plain/privacy-policy"]);
    assert_eq!(ids(&r, "error_ids"), ["js/privacy-policy"]);
    let err = stderr(&out);
    assert!(
        err.contains(
            "no Chromium at /nonexistent/chromium; install it (Debian: `apt-get install chromium`)"
        ),
        "{err}"
    );
    assert!(
        err.contains("some documents use fetch = \"browser\""),
        "validation warns too: {err}"
    );
}
