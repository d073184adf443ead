//! `termtrail serve`: the web view over an archive recorded by the real binary from synthetic
//! pages. Every route (status, content type, content), policy markup rendered as inert text (in
//! the HTML and in headless Chromium's DOM), paths that try to leave the archive, the token, and
//! an archive left untouched by the server.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::util::*;

/// The markup a hostile policy page carries, as text: script, event handler, `javascript:` link.
const PAYLOAD: [&str; 3] = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">claim your prize</a>",
];

fn terms(revision: usize) -> String {
    let mut t =
        String::from("Terms of service\n\nYou agree to be nice to the service and to others.\n");
    t.push_str("We may change these terms; each change is announced here.\n");
    if revision > 1 {
        for p in PAYLOAD {
            t.push_str(&format!("\nNew clause: {p}\n"));
        }
        t.push_str("\nSee also [the prize](javascript:alert(1)).\n");
    }
    t
}

/// An archive with two documents of two versions each: `acme/privacy-policy` (HTML, its
/// revision number changes) and `evil/terms-of-service` (text whose second version carries
/// [`PAYLOAD`]).
fn recorded(extra: &str) -> Fixture {
    let f = Fixture::new();
    f.write_config(
        &[
            ("acme", "privacy-policy", "/p"),
            ("evil", "terms-of-service", "/t.txt"),
        ],
        "",
    );
    if !extra.is_empty() {
        let mut c = std::fs::read_to_string(f.config_path()).expect("read config");
        c.push_str(extra);
        std::fs::write(f.config_path(), c).expect("write config");
    }
    for revision in [1, 2] {
        f.server
            .set("/p", Page::html(policy_page(0, revision, 1, 3_000)));
        let mut t = Page::html(terms(revision));
        t.content_type = "text/plain; charset=utf-8".into();
        f.server.set("/t.txt", t);
        assert_eq!(f.check()["errors"].as_u64(), Some(0));
    }
    assert_eq!(f.count("main"), 4);
    f
}

/// `termtrail serve` on 127.0.0.1, port 0; killed when dropped.
struct Served {
    child: Child,
    addr: SocketAddr,
}

impl Served {
    fn start(f: &Fixture) -> Self {
        let mut child = Command::new(termtrail_bin())
            .current_dir(f.path())
            .arg("--config")
            .arg(f.config_path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "termtrail=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("termtrail serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the address line");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.strip_suffix('/'))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Self { child, addr }
    }

    /// One request with the path exactly as given (no client-side normalisation of `..`).
    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).expect("send");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read");
        let raw = String::from_utf8(raw).expect("utf-8 response");
        let (head, body) = raw.split_once("\r\n\r\n").expect("a head and a body");
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Resp {
            status,
            headers,
            body: body.to_owned(),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

impl Resp {
    fn content_type(&self) -> &str {
        self.headers.get("content-type").map_or("", String::as_str)
    }

    fn html(self) -> String {
        assert_eq!(self.status, 200, "{}", self.body);
        assert_eq!(self.content_type(), "text/html; charset=utf-8");
        self.body
    }

    fn json(self) -> serde_json::Value {
        assert_eq!(self.status, 200, "{}", self.body);
        assert_eq!(self.content_type(), "application/json");
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

/// The version commits of a document, newest first, by the git CLI.
fn commits(f: &Fixture, doc: &str) -> Vec<String> {
    f.git(&["log", "--format=%H", "main", "--", &format!("{doc}.md")])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Every file of the archive with its size and modification time.
fn listing(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let e = e.expect("entry");
            let m = e.metadata().expect("metadata");
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.push((
                    e.path().display().to_string(),
                    m.len(),
                    m.modified().expect("mtime"),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_route_answers_with_the_archive_and_leaves_it_untouched() {
    let f = recorded("");
    let before = listing(&f.archive());
    let s = Served::start(&f);
    let acme = commits(&f, "acme/privacy-policy");
    assert_eq!(acme.len(), 2);

    let home = s.get("/", &[]).html();
    for needle in [
        "<h2>acme</h2>",
        "<h2>evil</h2>",
        "href=\"/d/acme/privacy-policy\"",
        "href=\"/d/evil/terms-of-service\"",
        &format!("href=\"/d/acme/privacy-policy/{}\"", acme[0]),
    ] {
        assert!(home.contains(needle), "{needle} missing: {home}");
    }

    let timeline = s.get("/d/acme/privacy-policy", &[]).html();
    assert!(timeline.contains("2 version(s)"), "{timeline}");
    for c in &acme {
        assert!(
            timeline.contains(&format!("/d/acme/privacy-policy/{c}")),
            "{timeline}"
        );
    }
    assert!(timeline.contains(&format!("/d/acme/privacy-policy/diff?to={}", acme[0])));
    // Each version's class (the first is the first record), and the topic filter.
    assert!(
        timeline.contains("<span class=\"class first\">first</span>"),
        "{timeline}"
    );
    assert!(timeline.contains("<select name=\"topic\">"), "{timeline}");

    for spec in [acme[1].as_str(), &acme[1][..8]] {
        let page = s.get(&format!("/d/acme/privacy-policy/{spec}"), &[]).html();
        assert!(
            page.contains("Revision 1") && !page.contains("Revision 2"),
            "{page}"
        );
        assert!(page.contains("<th>Source-URL</th>"), "{page}");
        assert!(page.contains(&f.server.url("/p")), "{page}");
        assert!(page.contains("<article class=\"policy\">"), "{page}");
    }
    // The raw snapshot: the HTML as fetched, as plain text.
    let raw = s.get(
        &format!("/d/acme/privacy-policy/{}/raw?page=1", acme[1]),
        &[],
    );
    assert_eq!(raw.status, 200, "{}", raw.body);
    assert_eq!(raw.content_type(), "text/plain; charset=utf-8");
    assert!(
        raw.body.contains("Revision 1") && raw.body.contains("<html"),
        "{}",
        raw.body
    );
    assert_eq!(
        s.get(
            &format!("/d/acme/privacy-policy/{}/raw?page=2", acme[1]),
            &[]
        )
        .status,
        404
    );

    // The default diff is the last change; from/to pick any two versions.
    let last = s.get("/d/acme/privacy-policy/diff", &[]).html();
    assert!(last.contains("Revision <del>1</del><ins>2</ins>"), "{last}");
    // The change summary on provisions on top, then side by side.
    assert!(last.contains("<h2>Change summary</h2>"), "{last}");
    assert!(last.contains("1 modified"), "{last}");
    assert!(last.contains("<table class=\"side\">"), "{last}");
    let back = s
        .get(
            &format!(
                "/d/acme/privacy-policy/diff?from={}&to={}",
                acme[0], acme[1]
            ),
            &[],
        )
        .html();
    assert!(back.contains("Revision <del>2</del><ins>1</ins>"), "{back}");

    let docs = s.get("/api/documents", &[]).json();
    let docs = docs["documents"].as_array().expect("documents");
    assert_eq!(
        docs.iter()
            .map(|d| d["id"].as_str().expect("id"))
            .collect::<Vec<_>>(),
        ["acme/privacy-policy", "evil/terms-of-service"]
    );
    assert_eq!(docs[0]["versions"], 2);
    assert_eq!(docs[0]["last_commit"], acme[0].as_str());

    let versions = s.get("/api/d/acme/privacy-policy", &[]).json();
    let listed: Vec<_> = versions["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["commit"].as_str().expect("commit").to_owned())
        .collect();
    assert_eq!(listed, acme);

    let one = s
        .get(&format!("/api/d/acme/privacy-policy/{}", acme[0]), &[])
        .json();
    assert_eq!(
        one["text"].as_str(),
        Some(
            f.git(&["show", &format!("{}:acme/privacy-policy.md", acme[0])])
                .as_str()
        )
    );
    let trailers = one["trailers"].as_array().expect("trailers");
    assert!(trailers
        .iter()
        .any(|t| t["key"] == "Document" && t["value"] == "acme/privacy-policy"));

    let diff = s.get("/api/d/acme/privacy-policy/diff", &[]).json();
    assert_eq!(diff["from"]["commit"], acme[1].as_str());
    assert!(diff["word_diff"]
        .as_str()
        .is_some_and(|w| w.contains("Revision [-1-]{+2+}")));
    assert_eq!(diff["provisions_total"], 1, "{diff}");
    assert_eq!(diff["provisions"][0]["change"], "modified", "{diff}");
    assert!(
        diff["provisions"][0]["diff"]
            .as_str()
            .is_some_and(|w| w.contains("[-1-]{+2+}")),
        "{diff}"
    );
    assert!(
        diff["class"].is_string() && diff["topics"].is_array(),
        "{diff}"
    );

    let health = s.get("/healthz", &[]).json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["documents"], 2);

    let missing = s.get("/nothing/here", &[]);
    assert_eq!(
        (missing.status, missing.content_type()),
        (404, "text/html; charset=utf-8")
    );
    let headers = s.get("/", &[]).headers;
    assert!(headers["content-security-policy"].starts_with("default-src 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");

    drop(s);
    assert_eq!(
        listing(&f.archive()),
        before,
        "the server wrote to the archive"
    );
    f.fsck();
}

#[test]
fn policy_markup_renders_as_inert_text() {
    let f = recorded("");
    let evil = commits(&f, "evil/terms-of-service");
    let recorded_text = f.git(&["show", "main:evil/terms-of-service.md"]);
    for p in PAYLOAD.iter().chain(&["](javascript:alert(1))"]) {
        assert!(
            recorded_text.contains(p),
            "{p} not recorded: {recorded_text}"
        );
    }
    let s = Served::start(&f);
    let pages = [
        s.get(&format!("/d/evil/terms-of-service/{}", evil[0]), &[])
            .html(),
        s.get("/d/evil/terms-of-service/diff", &[]).html(),
    ];
    // The version page renders the Markdown: the `javascript:` link's words stay, as text.
    assert!(
        pages[0].contains("<article class=\"policy\">"),
        "{}",
        pages[0]
    );
    assert!(pages[0].contains("See also the prize."), "{}", pages[0]);
    // The raw snapshot is served as text under a sandbox, never as a page.
    let raw = s.get(&format!("/d/evil/terms-of-service/{}/raw", evil[0]), &[]);
    assert_eq!(raw.status, 200);
    assert_eq!(raw.content_type(), "text/plain; charset=utf-8");
    assert!(raw.headers["content-security-policy"].starts_with("sandbox"));
    assert!(raw.body.contains(PAYLOAD[0]), "{}", raw.body);
    for html in &pages {
        for raw in [
            "<script",
            "<img",
            "<a href=\"javascript:",
            "href=\"javascript:",
        ] {
            assert!(!html.contains(raw), "{raw} in {html}");
        }
        for escaped in [
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "&lt;img src=x onerror=alert(1)&gt;",
            "&lt;a href=&quot;javascript:alert(1)&quot;&gt;",
        ] {
            assert!(html.contains(escaped), "{escaped} missing: {html}");
        }
    }
    assert!(
        pages[1].contains("<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>"),
        "{}",
        pages[1]
    );

    // What a browser makes of it: Chromium's DOM holds no element from the policy text.
    let chromium = Path::new("/usr/bin/chromium");
    ensure_package("chromium", || chromium.exists());
    let profile = tempfile::tempdir().expect("tempdir");
    for path in [
        format!("/d/evil/terms-of-service/{}", evil[0]),
        "/d/evil/terms-of-service/diff".to_owned(),
        format!("/d/evil/terms-of-service/{}/raw", evil[0]),
    ] {
        let out = Command::new("timeout")
            .arg("120")
            .arg(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--dump-dom")
            .arg(format!("http://{}{path}", s.addr))
            .output()
            .expect("chromium runs");
        let dom = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && dom.contains("<pre"),
            "{}\n{dom}",
            stderr(&out)
        );
        for raw in ["<script", "<img", "<a href=\"javascript:"] {
            assert!(!dom.contains(raw), "{raw} in the DOM: {dom}");
        }
        assert!(
            dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{dom}"
        );
    }
}

/// Headless Chromium's screenshot of `path`, saved as `name` under the test run's folder in
/// `target/`; checked to be a PNG of some size.
fn screenshot(s: &Served, path: &str, name: &str) -> std::path::PathBuf {
    let chromium = Path::new("/usr/bin/chromium");
    ensure_package("chromium", || chromium.exists());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    let out_path = dir.join(name);
    let _ = std::fs::remove_file(&out_path);
    let profile = tempfile::tempdir().expect("tempdir");
    let out = Command::new("timeout")
        .arg("120")
        .arg(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,1100",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", out_path.display()))
        .arg(format!("http://{}{path}", s.addr))
        .output()
        .expect("chromium runs");
    let png = std::fs::read(&out_path).unwrap_or_default();
    assert!(
        out.status.success() && png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "no screenshot of {path}: {}",
        stderr(&out)
    );
    out_path
}

#[test]
fn paths_that_leave_the_archive_or_name_no_version_are_refused() {
    let f = recorded("");
    let s = Served::start(&f);
    let evil = commits(&f, "evil/terms-of-service");
    let snapshot = f.git(&["rev-parse", "snapshots"]);
    let cases: [(String, u16); 12] = [
        ("/d/../../etc/passwd".into(), 404),
        ("/d/..%2F..%2Fetc/passwd".into(), 400),
        ("/d/acme/..%2F..%2F..%2Fetc%2Fpasswd".into(), 400),
        ("/d/acme/privacy-policy/..%2F..%2Fconfig".into(), 400),
        ("/api/d/..%2Facme/privacy-policy".into(), 400),
        ("/d/ACME/privacy-policy".into(), 400),
        ("/d/acme/privacy-policy/HEAD".into(), 400),
        ("/d/acme/privacy-policy/main~1".into(), 400),
        ("/d/nobody/privacy-policy".into(), 404),
        // A version of another document, and a commit that is no version at all.
        (format!("/d/acme/privacy-policy/{}", evil[0]), 404),
        (
            format!("/api/d/acme/privacy-policy/{}", snapshot.trim()),
            404,
        ),
        ("/d/acme/privacy-policy/diff?from=HEAD".into(), 400),
    ];
    for (path, status) in &cases {
        let r = s.get(path, &[]);
        assert_eq!(r.status, *status, "{path}: {}", r.body);
        assert!(!r.body.contains("root:"), "{path}: {}", r.body);
    }
    let api = s.get("/api/d/ACME/x", &[]);
    assert_eq!((api.status, api.content_type()), (400, "application/json"));
}

#[test]
fn a_token_guards_every_route_but_healthz() {
    let f = recorded("\n[web]\nauth_token = \"s3cret-token\"\n");
    let s = Served::start(&f);
    for path in ["/", "/api/documents", "/d/acme/privacy-policy"] {
        assert_eq!(s.get(path, &[]).status, 401, "{path}");
        assert_eq!(
            s.get(path, &[("Authorization", "Bearer wrong-token")])
                .status,
            401
        );
        assert_eq!(s.get(&format!("{path}?token=s3cret"), &[]).status, 401);
        assert_eq!(
            s.get(path, &[("Authorization", "Bearer s3cret-token")])
                .status,
            200,
            "{path}"
        );
        assert_eq!(
            s.get(&format!("{path}?token=s3cret-token"), &[]).status,
            200
        );
    }
    assert_eq!(s.get("/healthz", &[]).status, 200);
    assert_eq!(
        s.get("/", &[])
            .headers
            .get("www-authenticate")
            .map(String::as_str),
        Some("Bearer")
    );
}

#[test]
fn listening_beyond_loopback_without_a_token_is_refused() {
    let f = recorded("");
    let out = f.run(&["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refusing to listen on 0.0.0.0:0 without an auth token"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn metrics_parse_as_prometheus_text_and_count_the_archive() {
    let f = recorded("");
    // One failed check of one document since its last version.
    f.server.set("/t.txt", Page::html("gone").status(404));
    assert_eq!(f.check()["errors"].as_u64(), Some(1));
    let s = Served::start(&f);
    let r = s.get("/metrics", &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type(), "text/plain; version=0.0.4; charset=utf-8");

    // Read by the Prometheus project's own client library parser, as Debian packages it.
    let (m, _) = parse_metrics(&r.body);
    let last_version = f.git(&[
        "log",
        "-1",
        "--format=%ct",
        "main",
        "--",
        "acme/privacy-policy.md",
    ]);
    for (key, value) in [
        ("termtrail_documents", 2.0),
        ("termtrail_versions|document=acme/privacy-policy", 2.0),
        ("termtrail_versions|document=evil/terms-of-service", 2.0),
        (
            "termtrail_consecutive_failures|document=acme/privacy-policy",
            0.0,
        ),
        (
            "termtrail_consecutive_failures|document=evil/terms-of-service",
            1.0,
        ),
        ("termtrail_held_texts", 0.0),
        (
            "termtrail_last_version_timestamp_seconds|document=acme/privacy-policy",
            last_version.trim().parse().expect("a commit time"),
        ),
    ] {
        assert_eq!(m.get(key), Some(&value), "{key}: {m:?}");
    }
    let checked = m["termtrail_last_check_timestamp_seconds|document=evil/terms-of-service"];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    assert!(
        (now - 600.0..=now + 1.0).contains(&checked),
        "{checked} vs {now}"
    );
}

/// A text policy with a training clause and a retention clause; `days` is the retention period.
fn chat_terms(platform: &str, days: u32) -> Page {
    let mut p = Page::html(format!(
        "# {platform} terms\n\n## Training\n\nWe may use your chats to train our models.\n\n## Retention\n\nWe keep chats for {days} days.\n\n## Fees\n\nFees are billed monthly.\n"
    ));
    p.content_type = "text/plain; charset=utf-8".into();
    p
}

#[test]
fn provision_views_topic_filter_and_comparison_answer_as_html_and_json() {
    let f = Fixture::new();
    f.write_config(
        &[
            ("acme", "terms-of-service", "/a.txt"),
            ("zeta", "terms-of-service", "/z.txt"),
        ],
        "",
    );
    for days in [30, 90] {
        f.server.set("/a.txt", chat_terms("acme", days));
        f.server.set("/z.txt", chat_terms("zeta", 30));
        assert_eq!(f.check()["errors"].as_u64(), Some(0));
    }
    let acme = commits(&f, "acme/terms-of-service");
    assert_eq!(acme.len(), 2);
    // zeta's page starts failing: its status says since when.
    let mut down = chat_terms("zeta", 30);
    down.status = 500;
    f.server.set("/z.txt", down);
    let out = f.run(&["check", "--json"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("\"errors\":1") || report.contains("\"errors\": 1"),
        "{report}"
    );
    let s = Served::start(&f);

    // `/`: the last change's class and topics, and the check status from the state file.
    let docs = s.get("/api/documents", &[]).json();
    let a = &docs["documents"][0];
    assert_eq!(a["id"], "acme/terms-of-service", "{docs}");
    assert_eq!(a["last_change"]["class"], "substantive", "{docs}");
    assert_eq!(
        a["last_change"]["topics"],
        serde_json::json!(["data-retention"]),
        "{docs}"
    );
    assert_eq!(a["last_change"]["provisions_modified"], 1, "{docs}");
    assert_eq!(a["status"]["failures"], 0, "{docs}");
    assert!(a["status"]["last_success"].is_string(), "{docs}");
    let z = &docs["documents"][1]["status"];
    assert_eq!(z["failures"], 1, "{docs}");
    assert!(
        z["failing_since"].is_string() && z["last_success"].is_string(),
        "{docs}"
    );
    assert_eq!(
        docs["documents"][1]["last_change"]["class"], "first",
        "{docs}"
    );
    let home = s.get("/", &[]).html();
    assert!(
        home.contains("?topic=data-retention\">data-retention</a>"),
        "{home}"
    );
    assert!(home.contains("<span class=\"ok\">ok</span>"), "{home}");
    assert!(
        home.contains("<span class=\"failing\">failing (1 in a row, since "),
        "{home}"
    );

    // The timeline filtered by topic keeps the version whose change touched it.
    let all = s.get("/api/d/acme/terms-of-service", &[]).json();
    assert_eq!(all["versions"].as_array().map(Vec::len), Some(2), "{all}");
    // The first record brings every topic of its text; the update only retention.
    assert_eq!(
        all["topics"],
        serde_json::json!(["model-training", "data-retention"]),
        "{all}"
    );
    let filtered = s
        .get("/api/d/acme/terms-of-service?topic=model-training", &[])
        .json();
    let listed: Vec<_> = filtered["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["commit"].clone())
        .collect();
    assert_eq!(listed, [serde_json::json!(acme[1])], "{filtered}");
    let page = s
        .get("/d/acme/terms-of-service?topic=model-training", &[])
        .html();
    assert!(
        page.contains("1 version(s) touching <strong>model-training</strong>"),
        "{page}"
    );
    assert!(
        page.contains("<option selected>model-training</option>"),
        "{page}"
    );

    // The provisions of the latest version, with ids; one clause's timeline.
    let p = s.get("/api/d/acme/terms-of-service/provisions", &[]).json();
    assert_eq!(p["commit"], acme[0].as_str(), "{p}");
    let retention = p["provisions"]
        .as_array()
        .expect("provisions")
        .iter()
        .find(|x| x["text"] == "We keep chats for 90 days.")
        .unwrap_or_else(|| panic!("no retention clause in {p}"));
    assert_eq!(
        retention["topics"],
        serde_json::json!(["data-retention"]),
        "{p}"
    );
    assert_eq!(
        retention["heading_path"],
        serde_json::json!(["acme terms", "Retention"]),
        "{p}"
    );
    assert_eq!(retention["last_changed"]["commit"], acme[0].as_str(), "{p}");
    assert_eq!(retention["first_seen"]["commit"], acme[1].as_str(), "{p}");
    let id = retention["id"].as_str().expect("id");
    let older = s
        .get(
            &format!("/api/d/acme/terms-of-service/provisions?at={}", acme[1]),
            &[],
        )
        .json();
    assert!(
        older["provisions"]
            .as_array()
            .expect("provisions")
            .iter()
            .any(|x| x["id"] == id && x["text"] == "We keep chats for 30 days."),
        "{older}"
    );
    let tagged = s
        .get(
            "/api/d/acme/terms-of-service/provisions?topic=model-training",
            &[],
        )
        .json();
    assert!(
        tagged["provisions"]
            .as_array()
            .expect("provisions")
            .iter()
            .all(|x| x["topics"]
                .as_array()
                .is_some_and(|t| t.contains(&serde_json::json!("model-training")))),
        "{tagged}"
    );
    let html = s.get("/d/acme/terms-of-service/provisions", &[]).html();
    assert!(
        html.contains(&format!("href=\"/d/acme/terms-of-service/provision/{id}\"")),
        "{html}"
    );

    let t = s
        .get(&format!("/api/d/acme/terms-of-service/provision/{id}"), &[])
        .json();
    let changes = t["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 2, "{t}");
    assert_eq!(
        (changes[0]["change"].as_str(), changes[1]["change"].as_str()),
        (Some("added"), Some("modified")),
        "{t}"
    );
    assert_eq!(changes[1]["before"], "We keep chats for 30 days.", "{t}");
    assert_eq!(changes[1]["commit"], acme[0].as_str(), "{t}");
    let html = s
        .get(&format!("/d/acme/terms-of-service/provision/{id}"), &[])
        .html();
    assert!(
        html.contains("We keep chats for <del>30</del><ins>90</ins> days."),
        "{html}"
    );

    // The comparison: each platform's provisions tagged with the topic, nothing else.
    let c = s.get("/api/compare?topic=model-training", &[]).json();
    let platforms: Vec<_> = c["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .map(|p| p["platform"].as_str().expect("slug").to_owned())
        .collect();
    assert_eq!(platforms, ["acme", "zeta"], "{c}");
    let texts: Vec<_> = c["platforms"][0]["documents"][0]["provisions"]
        .as_array()
        .expect("provisions")
        .iter()
        .map(|p| p["text"].as_str().expect("text").to_owned())
        .collect();
    assert_eq!(texts, ["We may use your chats to train our models."], "{c}");
    assert_eq!(
        c["platforms"][0]["documents"][0]["commit"],
        acme[0].as_str(),
        "{c}"
    );
    assert_eq!(
        c["platforms"][0]["documents"][0]["url"],
        f.server.url("/a.txt").as_str(),
        "{c}"
    );
    let html = s.get("/compare?topic=model-training", &[]).html();
    assert!(
        html.contains("<h2>zeta</h2>")
            && html.contains("We may use your chats to train our models."),
        "{html}"
    );
    assert!(!html.contains("Fees are billed monthly."), "{html}");
    assert!(s
        .get("/compare", &[])
        .html()
        .contains("<select name=\"topic\">"));

    // A screenshot of the diff page, as a browser draws it, kept with the test run's files.
    let shot = screenshot(&s, "/d/acme/terms-of-service/diff", "web-diff.png");
    println!("diff page screenshot: {}", shot.display());

    // Atom feeds: every document, a platform, a document, a topic; entries link to the
    // archived version pages.
    let feed = |path: &str| {
        let r = s.get(path, &[]);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.content_type(), "application/atom+xml; charset=utf-8");
        feed_rs::parser::parse(r.body.as_bytes()).expect("a valid Atom feed")
    };
    let all = feed("/feed.xml");
    // acme's two versions and zeta's one (its second fetch changed nothing).
    assert_eq!(all.entries.len(), 3);
    let newest = &all.entries[0];
    assert!(
        all.entries.iter().any(|e| e.links[0].href
            == format!("/d/acme/terms-of-service/{}", acme[0])
            && e.title.as_ref().is_some_and(
                |t| t.content == "acme/terms-of-service: substantive (data-retention)"
            )),
        "{all:?}"
    );
    assert!(newest.links.iter().all(|l| !l.href.contains("token")));
    assert_eq!(feed("/feed/zeta.xml").entries.len(), 1);
    let one = feed("/feed/acme/terms-of-service.xml");
    assert_eq!(one.entries.len(), 2);
    assert!(one.entries[0]
        .links
        .iter()
        .any(|l| l.href == format!("/d/acme/terms-of-service/diff?to={}", acme[0])));
    // The first records touch both topics; only acme's update touched retention again.
    assert_eq!(feed("/feed/topic/data-retention.xml").entries.len(), 3);
    assert_eq!(feed("/feed/topic/model-training.xml").entries.len(), 2);
    for (path, status) in [
        ("/feed/topic/no-such-topic.xml", 404),
        ("/feed/nobody.xml", 404),
        ("/feed/acme/terms-of-service", 404),
    ] {
        assert_eq!(s.get(path, &[]).status, status, "{path}");
    }

    // Refusals.
    for (path, status) in [
        ("/api/compare", 400),
        ("/api/compare?topic=no-such-topic", 404),
        ("/api/d/acme/terms-of-service/provision/..%2F..", 400),
        ("/api/d/acme/terms-of-service/provision/pffffffff", 404),
        (
            "/api/d/acme/terms-of-service/provisions?topic=no-such-topic",
            404,
        ),
    ] {
        let r = s.get(path, &[]);
        assert_eq!(r.status, status, "{path}: {}", r.body);
        assert_eq!(r.content_type(), "application/json", "{path}");
    }
}

#[test]
fn events_and_alerts_link_to_the_archived_pages_under_public_url_never_with_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = dir.path().join("events.jsonl");
    let feed_file = dir.path().join("alerts.xml");
    let token = "sekrit-token-1234";
    let f = recorded(&format!(
        "\n[web]\npublic_url = \"https://terms.example.org/archive/\"\nauth_token = \"{token}\"\n\n\
         [[sink]]\nname = \"all\"\ntype = \"jsonl\"\npath = \"{}\"\n\n\
         [[sink]]\nname = \"feed\"\ntype = \"atom\"\npath = \"{}\"\n",
        events.display(),
        feed_file.display()
    ));
    // A third version; each version commit gave an event.
    f.server.set("/p", Page::html(policy_page(0, 3, 1, 3_000)));
    assert_eq!(f.check()["errors"].as_u64(), Some(0));
    let acme = commits(&f, "acme/privacy-policy");
    let written = std::fs::read_to_string(&events).expect("events written");
    let event: serde_json::Value = written
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|e| e["commit"] == acme[0].as_str())
        .unwrap_or_else(|| panic!("no change event in {written}"));
    assert_eq!(
        event["version_url"],
        format!(
            "https://terms.example.org/archive/d/acme/privacy-policy/{}",
            acme[0]
        )
        .as_str()
    );
    assert_eq!(
        event["diff_url"],
        format!(
            "https://terms.example.org/archive/d/acme/privacy-policy/diff?to={}",
            acme[0]
        )
        .as_str()
    );
    // The live page stays the source.
    assert_eq!(event["url"], f.server.url("/p").as_str());
    let alert = std::fs::read_to_string(&feed_file).expect("feed written");
    assert!(alert.contains("Archived version"), "{alert}");
    assert!(
        alert.contains("https://terms.example.org/archive/d/acme/privacy-policy/"),
        "{alert}"
    );
    for text in [&written, &alert] {
        assert!(!text.contains(token), "the token leaked: {text}");
    }
    // The permalink's path answers on the view (with the token, which the link does not carry).
    let s = Served::start(&f);
    let path = format!("/d/acme/privacy-policy/{}", acme[0]);
    assert_eq!(s.get(&path, &[]).status, 401);
    let bearer = format!("Bearer {token}");
    assert_eq!(s.get(&path, &[("Authorization", &bearer)]).status, 200);
}
