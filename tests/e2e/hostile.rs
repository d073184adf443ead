//! Hostile servers: one document per kind of bad answer (slow, oversize, compressed bombs,
//! redirect tricks, cut connections, malformed HTTP, binary or garbled bodies, absurd nesting,
//! terminal escape sequences) beside healthy documents. The check must finish, fail each hostile
//! document alone with its reason or record clean text, record every healthy one, and keep its
//! memory bounded.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::raw_server::{Answer, RawServer};
use crate::util::{ids, policy_page, stderr, termtrail_bin, Fixture, Page};

/// The peak resident memory `check` may reach on the hostile set below (the largest body it
/// accepts is `max_body` = 4 MB; its largest extraction is a 3 MB line). Measured at 69 to 77 MiB
/// for the debug build on a 2-core machine; the bound leaves room for more cores (one extraction
/// at a time per core) and allocator differences.
const PEAK_RSS_BOUND_KIB: u64 = 256 * 1024;

/// Runs termtrail with `fx`'s config and returns its output and its peak resident memory (KiB,
/// from `wait4`: the largest of the process and of the plugin hosts it ran). Killed, and the test
/// failed, after `limit`.
fn run_measured(fx: &Fixture, args: &[&str], limit: Duration) -> (Output, u64) {
    // Reaped by `wait4` below, which std's `wait` cannot replace: it gives no resource usage.
    #[allow(clippy::zombie_processes)]
    let mut child = Command::new(termtrail_bin())
        .current_dir(fx.path())
        .arg("--config")
        .arg(fx.config_path())
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("termtrail starts");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped")));
    let err = drain(Box::new(child.stderr.take().expect("piped")));
    let pid = i32::try_from(child.id()).expect("a pid fits an i32");
    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let (d, k) = (done.clone(), killed.clone());
    std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < limit {
            if d.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if !d.load(Ordering::SeqCst) {
            k.store(true, Ordering::SeqCst);
            // SAFETY: kill on the pid of a child this test started and has not reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child's pid with valid pointers.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    done.store(true, Ordering::SeqCst);
    assert_eq!(reaped, pid, "wait4 failed");
    let output = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: out.join().expect("stdout read"),
        stderr: err.join().expect("stderr read"),
    };
    assert!(
        !killed.load(Ordering::SeqCst),
        "termtrail {args:?} did not finish within {limit:?}:\n{}",
        stderr(&output)
    );
    (output, u64::try_from(usage.ru_maxrss).unwrap_or(0))
}

/// Deterministic bytes that look random (an xorshift generator).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("in memory");
    enc.finish().expect("in memory")
}

/// A page nested `levels` deep around `inner`, inside `<main>`.
fn nested_page(levels: usize, inner: &str) -> String {
    format!(
        "<html><body><main><h1>Deep policy</h1>{}{inner}{}</main></body></html>",
        "<div>".repeat(levels),
        "</div>".repeat(levels)
    )
}

/// A page in the layout the openai plugin expects, with `inner` inside its article.
fn openai_page(inner: &str) -> String {
    format!(
        "<html><body><nav><a href=\"/r\">Research</a></nav><main><article><h1>Privacy policy</h1>\
         <p>We collect account data when you use the services, and we use it to provide, improve \
         and secure them; we keep it only as long as we need it for these purposes.</p>{inner}\
         </article></main></body></html>"
    )
}

/// Whether a text holds a control character other than the newline.
fn has_controls(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\n')
}

const ESCAPES: &str = "<html><body><main><h1>Terms</h1><p>Before \u{1b}[2J\u{1b}[H a screen \
    clear, a bell\u{7}, a clipboard write \u{1b}]52;c;ZXZpbA==\u{7} and a hidden link \
    \u{1b}]8;;https://evil.example/\u{1b}\\here\u{1b}]8;;\u{1b}\\ and a C1 \u{9b}31m colour, \
    and by reference &#27;[2J and &#x9b;.</p></main></body></html>";

/// What a document must give.
enum Want {
    /// Its check fails, and its log line says this.
    Fails(&'static str),
    /// It is recorded, and its text holds this.
    Records(&'static str),
}

#[test]
fn hostile_pages_fail_alone_or_give_clean_text() {
    let fx = Fixture::new();
    let raw = RawServer::start();
    let s = &fx.server;
    s.set("/healthy-1", Page::html(policy_page(1, 1, 1, 3_000)));
    s.set("/healthy-2", Page::html(policy_page(2, 1, 1, 3_000)));
    s.set("/healthy-auto", Page::html(policy_page(3, 1, 1, 3_000)));
    s.set(
        "/plugin-healthy",
        Page::html(openai_page("<p>Contact us at the address below.</p>")),
    );
    s.set(
        "/plugin-deep",
        Page::html(openai_page(&format!(
            "{}<p>The deepest clause survives.</p>{}",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        ))),
    );
    s.set(
        "/deep",
        Page::html(nested_page(
            100_000,
            "<p>We keep your data for thirty days.</p>",
        )),
    );
    s.set("/oversize", Page::html(policy_page(4, 1, 1, 5_000_000)));
    s.set(
        "/gzip-bomb",
        Page {
            body: gzip(&vec![b' '; 40_000_000]),
            ..Page::html("")
        }
        .header("content-encoding", "gzip"),
    );
    let mut corrupt = gzip(policy_page(6, 1, 1, 20_000).as_bytes());
    let middle = corrupt.len() / 2;
    corrupt[middle..middle + 64].fill(0xAA);
    s.set(
        "/gzip-corrupt",
        Page {
            body: corrupt,
            ..Page::html("")
        }
        .header("content-encoding", "gzip"),
    );
    s.set(
        "/redirect-loop",
        Page::html("")
            .status(302)
            .header("location", "/redirect-loop"),
    );
    s.set(
        "/redirect-file",
        Page::html("")
            .status(302)
            .header("location", "file:///etc/passwd"),
    );
    s.set(
        "/redirect-ftp",
        Page::html("")
            .status(301)
            .header("location", "ftp://example.org/terms"),
    );
    s.set(
        "/busy",
        Page::html("slow down")
            .status(429)
            .header("retry-after", "3600"),
    );
    // UTF-8 served as Latin-1: "Ý" is C3 9D, and 9D decodes to a C1 control character.
    s.set(
        "/wrong-charset",
        Page {
            content_type: "text/html; charset=iso-8859-1".into(),
            ..Page::html("<main><p>\u{dd}es, the caf\u{e9} keeps na\u{ef}ve data.</p></main>")
        },
    );
    s.set(
        "/binary",
        Page {
            body: noise(70_000),
            ..Page::html("")
        },
    );
    s.set("/empty", Page::html(""));
    s.set("/escapes", Page::html(ESCAPES));
    let mut invalid = b"<main><p>Valid text, then \xff\xfe bytes that are not UTF-8, and \xc3( a broken sequence, then more text.</p></main>".to_vec();
    invalid.extend_from_slice(b"\n");
    s.set(
        "/invalid-utf8",
        Page {
            body: invalid,
            ..Page::html("")
        },
    );
    s.set(
        "/long-line",
        Page::html(format!(
            "<main><p>{}</p></main>",
            "clause ".repeat(3_000_000 / 7)
        )),
    );
    let html_head = |extra: &str| {
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n{extra}\r\n")
            .into_bytes()
    };
    raw.set(
        "/slow",
        Answer::Trickle {
            head: html_head("Content-Length: 100000\r\n"),
            chunk: b"<p>slow</p>".to_vec(),
            every: Duration::from_millis(300),
        },
    );
    let mut cut = html_head("Content-Length: 100000\r\n");
    cut.extend(policy_page(5, 1, 1, 5_000).into_bytes());
    raw.set("/reset", Answer::ResetAfter(cut));
    raw.set(
        "/line-50mb",
        Answer::Endless {
            head: html_head(""),
            byte: b'a',
            total: 50_000_000,
        },
    );
    raw.set(
        "/bad-header",
        Answer::Bytes(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nBad Header: x\r\nContent-Length: 5\r\n\r\nhello"
                .to_vec(),
        ),
    );
    raw.set(
        "/bad-status",
        Answer::Bytes(b"HTTP/1.1 2OO OK\r\nContent-Length: 5\r\n\r\nhello".to_vec()),
    );

    // (platform, URL, rules or plugin, what it must give)
    let rules = "select = [\"main\"]\n";
    let cases: Vec<(&str, String, &str, Want)> = vec![
        ("healthy-one", s.url("/healthy-1"), rules, Want::Records("Privacy Policy 1")),
        ("healthy-two", s.url("/healthy-2"), rules, Want::Records("Privacy Policy 2")),
        ("healthy-auto", s.url("/healthy-auto"), "", Want::Records("Privacy Policy 3")),
        ("plugin-healthy", s.url("/plugin-healthy"), "plugin = \"openai\"\n", Want::Records("Contact us at the address below.")),
        ("plugin-deep", s.url("/plugin-deep"), "plugin = \"openai\"\n", Want::Records("The deepest clause survives.")),
        ("deep", s.url("/deep"), rules, Want::Records("We keep your data for thirty days.")),
        ("escapes", s.url("/escapes"), rules, Want::Records("a clipboard write \\]52;c;ZXZpbA== and a hidden link \\]8;;https://evil.example/\\\\here")),
        ("wrong-charset", s.url("/wrong-charset"), rules, Want::Records("es, the caf\u{c3}\u{a9} keeps")),
        ("invalid-utf8", s.url("/invalid-utf8"), rules, Want::Records("Valid text, then \u{fffd}\u{fffd} bytes")),
        ("long-line", s.url("/long-line"), rules, Want::Records("clause clause clause")),
        ("oversize", s.url("/oversize"), rules, Want::Fails("body larger than fetch.max_body (4000000 bytes)")),
        ("gzip-bomb", s.url("/gzip-bomb"), rules, Want::Fails("body larger than fetch.max_body (4000000 bytes)")),
        ("gzip-corrupt", s.url("/gzip-corrupt"), rules, Want::Fails("the body cannot be decoded as its Content-Encoding says")),
        ("line-50mb", raw.url("/line-50mb"), rules, Want::Fails("body larger than fetch.max_body (4000000 bytes)")),
        ("redirect-loop", s.url("/redirect-loop"), rules, Want::Fails("more than 10 redirects (a loop: ")),
        ("redirect-file", s.url("/redirect-file"), rules, Want::Fails("redirect to file:///etc/passwd refused: only http and https are followed")),
        ("redirect-ftp", s.url("/redirect-ftp"), rules, Want::Fails("redirect to ftp://example.org/terms refused: only http and https are followed")),
        ("busy", s.url("/busy"), rules, Want::Fails("Retry-After 3600s, longer than fetch.max_retry_after")),
        ("binary", s.url("/binary"), rules, Want::Fails("it is binary data, not text")),
        ("empty", s.url("/empty"), rules, Want::Fails("the server sent an empty body")),
        ("slow", raw.url("/slow"), rules, Want::Fails("timed out after 2s (2 attempt(s))")),
        ("reset", raw.url("/reset"), rules, Want::Fails("the connection was cut while receiving the body (2 attempt(s))")),
        ("bad-header", raw.url("/bad-header"), rules, Want::Fails("the server's response is not valid HTTP (invalid HTTP header parsed); not retried")),
        ("bad-status", raw.url("/bad-status"), rules, Want::Fails("the server's response is not valid HTTP (invalid HTTP status-code parsed); not retried")),
    ];
    let mut toml = String::from(
        "[archive]\npath = \"archive\"\nfsync = false\n\n[fetch]\nper_host_delay = \"0s\"\n\
         per_host_concurrency = 32\nretry_backoff = \"20ms\"\nretries = 1\ntimeout = \"2s\"\n\
         max_body = \"4MB\"\nmax_retry_after = \"5s\"\n\n[browser]\nfallback = false\n",
    );
    for (platform, url, how, _) in &cases {
        toml.push_str(&format!(
            "\n[[document]]\nplatform = \"{platform}\"\nkind = \"privacy-policy\"\nurl = \"{url}\"\n{how}"
        ));
    }
    std::fs::write(fx.config_path(), toml).expect("config written");

    let (out, peak_kib) = run_measured(&fx, &["check", "--json"], Duration::from_secs(240));
    let log = stderr(&out);
    assert!(out.status.success(), "check must finish: {log}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let id = |p: &str| format!("{p}/privacy-policy");
    let mut want_new: Vec<String> = cases
        .iter()
        .filter(|c| matches!(c.3, Want::Records(_)))
        .map(|c| id(c.0))
        .collect();
    let mut want_errors: Vec<String> = cases
        .iter()
        .filter(|c| matches!(c.3, Want::Fails(_)))
        .map(|c| id(c.0))
        .collect();
    want_new.sort();
    want_errors.sort();
    assert_eq!(ids(&report, "new_ids"), want_new, "{log}");
    assert_eq!(ids(&report, "error_ids"), want_errors, "{log}");
    for (platform, _, _, want) in &cases {
        let doc = id(platform);
        match want {
            Want::Fails(reason) => assert!(
                log.lines().any(|l| l.contains(&doc) && l.contains(reason)),
                "no line for {doc} saying {reason:?} in:\n{log}"
            ),
            Want::Records(part) => {
                let text = fx.git(&["show", &format!("main:{platform}/privacy-policy.md")]);
                assert!(
                    !has_controls(&text),
                    "{doc} recorded control characters: {text:?}"
                );
                assert!(text.contains(part), "{doc} lacks {part:?}: {text:?}");
            }
        }
    }
    // The inputs held the control characters the texts must not.
    assert!(has_controls(ESCAPES));
    assert!(has_controls(
        &encoding_rs::WINDOWS_1252.decode("\u{dd}".as_bytes()).0
    ));
    // Cut connections are retried; malformed answers are not.
    assert_eq!(raw.hits("/reset"), 2);
    assert_eq!(raw.hits("/slow"), 2);
    assert_eq!(raw.hits("/bad-header"), 1);
    assert_eq!(raw.hits("/bad-status"), 1);
    assert!(
        peak_kib < PEAK_RSS_BOUND_KIB,
        "peak RSS {peak_kib} KiB over the bound of {PEAK_RSS_BOUND_KIB} KiB"
    );
    eprintln!("peak RSS of the hostile check: {} MiB", peak_kib / 1024);
    fx.fsck();
}

/// Runs git in `fx`'s archive with `env`, feeding nothing; panics unless it succeeds.
fn git_env(fx: &Fixture, args: &[&str], env: &[(&str, &std::path::Path)]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(fx.archive())
        .args(["-c", "user.name=old", "-c", "user.email=old@localhost"])
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .output()
        .expect("the git CLI is installed");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

#[test]
fn control_characters_of_older_versions_are_escaped_on_the_terminal() {
    // Versions recorded before termtrail removed control characters may hold them; so may commit
    // messages. Such a version is made here with the real git CLI, as an older termtrail would
    // have committed it.
    let fx = Fixture::new();
    fx.write_config(&[("escapes", "privacy-policy", "/escapes")], "");
    fx.server.set(
        "/escapes",
        Page::html("<main><h1>Terms</h1><p>We retain your data for thirty days.</p></main>"),
    );
    assert_eq!(fx.check()["new"], 1);
    let old_text = "# Terms\n\nWe retain your data \u{1b}[2J\u{1b}[Hfor \u{1b}]52;c;ZXZpbA==\u{7}thirty days \u{9b}31m.\n";
    let file = fx.path().join("old.md");
    std::fs::write(&file, old_text).expect("write");
    let parent = git_env(&fx, &["rev-parse", "main"], &[]);
    let blob = git_env(
        &fx,
        &["hash-object", "-w", &file.display().to_string()],
        &[],
    );
    let index = fx.path().join("index");
    let env = [("GIT_INDEX_FILE", index.as_path())];
    git_env(&fx, &["read-tree", "main"], &env);
    git_env(
        &fx,
        &[
            "update-index",
            "--cacheinfo",
            &format!("100644,{blob},escapes/privacy-policy.md"),
        ],
        &env,
    );
    let tree = git_env(&fx, &["write-tree"], &env);
    let trailers = git_env(&fx, &["log", "-1", "--format=%(trailers)", "main"], &[]);
    let message = fx.path().join("message");
    std::fs::write(
        &message,
        format!("Update \u{1b}]0;pwned\u{7}Example terms\n\n{trailers}\n"),
    )
    .expect("write");
    let commit = git_env(
        &fx,
        &[
            "commit-tree",
            &tree,
            "-p",
            &parent,
            "-F",
            &message.display().to_string(),
        ],
        &[],
    );
    git_env(
        &fx,
        &["update-ref", "refs/heads/main", &commit, &parent],
        &[],
    );

    for args in [
        vec!["show", "escapes/privacy-policy"],
        vec!["log"],
        vec!["log", "--summary"],
        vec!["diff", "escapes/privacy-policy"],
        vec!["compare", "--topic", "data-retention", "--markdown"],
    ] {
        let out = fx.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        assert!(
            !has_controls(&stdout.replace('\t', " ")),
            "{args:?} printed raw controls: {stdout:?}"
        );
        // The commit message in the log, the text elsewhere.
        let shown = if args[0] == "log" {
            "\\x1b]0;pwned\\x07"
        } else {
            "\\x1b[2J\\x1b[Hfor \\x1b]52;c;ZXZpbA==\\x07thirty"
        };
        assert!(
            stdout.contains(shown),
            "{args:?} does not show {shown:?}: {stdout}"
        );
    }
    assert!(has_controls(old_text));
}

#[test]
fn a_page_past_the_extraction_timeout_fails_alone() {
    let fx = Fixture::new();
    fx.write_config(
        &[
            ("heavy", "privacy-policy", "/heavy"),
            ("light", "privacy-policy", "/light"),
        ],
        "\n[extraction]\ntimeout = \"300ms\"\n",
    );
    // About 8 MB of policy text: seconds of extraction in a debug build, past 300 ms anywhere.
    fx.server
        .set("/heavy", Page::html(policy_page(1, 1, 1, 8_000_000)));
    fx.server
        .set("/light", Page::html(policy_page(2, 1, 1, 2_000)));
    let started = Instant::now();
    let out = fx.run(&["check", "--json"]);
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(ids(&report, "error_ids"), ["heavy/privacy-policy"], "{log}");
    assert_eq!(ids(&report, "new_ids"), ["light/privacy-policy"], "{log}");
    assert!(
        log.lines().any(|l| l.contains("heavy/privacy-policy")
            && l.contains(
                "extraction took longer than 300ms and was stopped ([extraction] timeout)"
            )),
        "{log}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_plugin_looping_in_process_gives_back_its_slot() {
    // With isolation = "none" a looping plugin cannot be stopped. Its documents must still fail
    // after [plugins] timeout, and give back their extraction slots (one per core), or a later
    // document would wait for a slot for ever.
    let fx = Fixture::new();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let looping: Vec<String> = (0..cores + 1).map(|i| format!("loop{i}")).collect();
    fx.write_config(&[("healthy", "privacy-policy", "/healthy")], "");
    fx.server.set(
        "/healthy",
        Page::html(policy_page(1, 1, 1, 2_000)).delay(Duration::from_secs(3)),
    );
    let library = std::path::PathBuf::from(termtrail_bin())
        .parent()
        .expect("a folder")
        .join(format!(
            "{}termtrail_testplugin_loop{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        ));
    assert!(
        library.is_file(),
        "{} is missing: run `cargo build --workspace` first",
        library.display()
    );
    let mut toml = std::fs::read_to_string(fx.config_path()).expect("config");
    toml.push_str(&format!(
        "\n[plugins]\ntimeout = \"2s\"\n\n[plugin.loop]\npath = \"{}\"\nisolation = \"none\"\n",
        library.display()
    ));
    for (i, name) in looping.iter().enumerate() {
        fx.server.set(
            &format!("/{name}"),
            Page::html(policy_page(i + 2, 1, 1, 2_000)),
        );
        toml.push_str(&format!(
            "\n[[document]]\nplatform = \"{name}\"\nkind = \"privacy-policy\"\nplugin = \"loop\"\nurl = \"{}\"\n",
            fx.server.url(&format!("/{name}"))
        ));
    }
    std::fs::write(fx.config_path(), toml).expect("config");
    let (out, _) = run_measured(&fx, &["check", "--json"], Duration::from_secs(90));
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(ids(&report, "new_ids"), ["healthy/privacy-policy"], "{log}");
    let mut errors = ids(&report, "error_ids");
    errors.sort();
    let mut want: Vec<String> = looping
        .iter()
        .map(|n| format!("{n}/privacy-policy"))
        .collect();
    want.sort();
    assert_eq!(errors, want, "{log}");
    for doc in &want {
        assert!(
            log.lines().any(|l| l.contains(doc.as_str())
                && l.contains("plugin loop")
                && l.contains("(isolation = \"none\"), where it cannot be stopped")),
            "no line for {doc} in:\n{log}"
        );
    }
}
