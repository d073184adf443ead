//! Sinks end to end: real receivers on 127.0.0.1 (a webhook receiver that verifies the HMAC and
//! fails on demand, a real SMTP server, files read back by a real feed parser), outages, and a
//! SIGKILL between a version commit and its delivery.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::receiver::Receiver;
use crate::util::*;

const SECRET: &str = "s3cr3t-hmac-key-for-tests";

fn page(doc: usize, revision: usize) -> Page {
    Page::html(policy_page(doc, revision, revision, 1_500))
}

/// Three documents a, b, c and `sinks` TOML appended.
fn setup(f: &Fixture, sinks: &str) {
    f.write_config(
        &[
            ("a", "privacy-policy", "/a"),
            ("b", "privacy-policy", "/b"),
            ("c", "terms-of-service", "/c"),
        ],
        "retries = 0",
    );
    let mut toml = std::fs::read_to_string(f.config_path()).expect("read");
    toml.push_str("\n[events]\nunavailable_after = 2\n\n");
    toml.push_str(sinks);
    std::fs::write(f.config_path(), toml).expect("write");
    for (i, p) in ["/a", "/b", "/c"].iter().enumerate() {
        f.server.set(p, page(i, 1));
    }
}

fn run_env(f: &Fixture, args: &[&str]) -> Output {
    Command::new(termtrail_bin())
        .current_dir(f.path())
        .arg("--config")
        .arg(f.config_path())
        .args(args)
        .env("TT_TEST_SECRET", SECRET)
        .env("RUST_LOG", "termtrail=debug")
        .output()
        .expect("termtrail runs")
}

fn check(f: &Fixture) -> Output {
    let out = run_env(f, &["check", "--json"]);
    assert!(out.status.success(), "check failed: {}", stderr(&out));
    out
}

fn types(reqs: &[crate::receiver::Request]) -> Vec<String> {
    reqs.iter()
        .map(|r| {
            let e = r.json();
            format!(
                "{} {}",
                e["type"].as_str().unwrap_or("?"),
                e["document"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

fn webhook_sink(r: &Receiver) -> String {
    format!(
        "[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"{}\"\nsecret = \"env:TT_TEST_SECRET\"\nheaders = {{ \"X-Team\" = \"legal\" }}\nretry_max = \"1s\"\ntimeout = \"3s\"\n",
        r.url("/hook")
    )
}

#[test]
fn webhook_events_are_signed_and_describe_the_change() {
    let f = Fixture::new();
    let r = Receiver::start(Some(SECRET));
    setup(&f, &webhook_sink(&r));
    let out = check(&f);
    // A fresh archive: the first records are delivered as document.added, in commit order.
    let reqs = r.requests();
    assert_eq!(reqs.len(), 3, "{:?}", types(&reqs));
    assert!(reqs.iter().all(|q| q.json()["type"] == "document.added"));
    assert_eq!(r.bad_signatures(), 0);
    let first = reqs[0].json();
    assert_eq!(first["schema_version"], 2);
    assert!(
        first.get("provisions").is_none(),
        "a first record lists no provisions"
    );
    assert_eq!(reqs[0].headers["x-team"], "legal");
    assert_eq!(reqs[0].headers["x-termtrail-event"], "document.added");

    // Change one section of b.
    let changed = policy_page(1, 1, 1, 1_500).replace(
        "This clause 2 explains how we use",
        "This clause 2 explains how we train our models on, use",
    );
    f.server.set("/b", Page::html(changed));
    check(&f);
    let reqs = r.requests();
    assert_eq!(reqs.len(), 4, "{:?}", types(&reqs));
    assert_eq!(
        r.bad_signatures(),
        0,
        "every request carries a valid signature"
    );
    let e = reqs[3].json();
    assert_eq!(e["type"], "document.changed");
    assert_eq!(e["document"], "b/privacy-policy");
    assert_eq!(e["platform"], "b");
    assert_eq!(e["kind"], "privacy-policy");
    assert_eq!(e["class"], "substantive");
    assert_eq!(e["url"], f.server.url("/b"));
    let head = f.git(&["rev-parse", "main"]);
    assert_eq!(e["commit"], head.trim());
    let prev = f.git(&[
        "log",
        "-1",
        "--format=%H",
        "main~1",
        "--",
        "b/privacy-policy.md",
    ]);
    assert_eq!(e["previous_commit"], prev.trim());
    assert_eq!(e["sections"][0]["change"], "modified");
    assert_eq!(
        e["sections"][0]["path"][1], "Section 2",
        "{}",
        e["sections"]
    );
    assert!(
        e["sections"][0]["excerpt"]
            .as_str()
            .expect("excerpt")
            .contains("{+train our models on,+}"),
        "{}",
        e["sections"][0]
    );
    assert!(
        e["topics"]
            .as_array()
            .expect("topics")
            .contains(&"model-training".into()),
        "{}",
        e["topics"]
    );
    // Schema 2: the changed provision, with its id, class, topics and words.
    assert_eq!(e["provisions_total"], 1, "{e:#}");
    let p = &e["provisions"][0];
    assert!(p["id"].as_str().expect("id").starts_with('p'), "{p}");
    assert_eq!(p["change"], "modified");
    assert_eq!(p["class"], "substantive");
    assert_eq!(p["heading_path"][1], "Section 2");
    assert!(
        p["topics"]
            .as_array()
            .expect("topics")
            .contains(&"model-training".into()),
        "{p}"
    );
    assert!(
        p["diff"]
            .as_str()
            .expect("diff")
            .contains("{+train our models on,+}"),
        "{p}"
    );
    assert!(p["before"]
        .as_str()
        .expect("before")
        .contains("explains how we use"));
    assert_eq!(e["counts"]["lines_added"], 1);
    let diff = e["diff"].as_str().expect("diff");
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("explains how we train our models")),
        "{diff}"
    );
    assert_eq!(e["id"], format!("document.changed:{}", head.trim()));
    // The cursor is at main: nothing pending.
    assert_eq!(f.git(&["rev-parse", "refs/termtrail/sinks/hook"]), head);
    let status = run_env(&f, &["sinks"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("hook") && text.contains(&head[..10]),
        "{text}"
    );
    // The secret is nowhere: not in logs, not in the archive, not in the state file.
    assert!(!stderr(&out).contains(SECRET));
    let all = f.git(&["log", "-p", "--all"]);
    assert!(!all.contains(SECRET));
    for entry in std::fs::read_dir(f.archive()).expect("archive") {
        let p = entry.expect("entry").path();
        if p.is_file() {
            let bytes = std::fs::read(&p).expect("read");
            assert!(
                !String::from_utf8_lossy(&bytes).contains(SECRET),
                "{}",
                p.display()
            );
        }
    }
    // A check without changes delivers nothing again.
    check(&f);
    assert_eq!(r.requests().len(), 4);
}

#[test]
fn an_outage_loses_nothing_and_duplicates_nothing() {
    let f = Fixture::new();
    let mut r = Receiver::start(Some(SECRET));
    setup(&f, &webhook_sink(&r));
    check(&f);
    assert_eq!(r.requests().len(), 3);
    let base = f.git(&["rev-parse", "main"]);

    // The receiver answers 500 for two cycles, then refuses connections for two more, while the
    // three documents change one after the other.
    r.set_failing(true);
    f.server.set("/a", page(0, 2));
    check(&f);
    f.server.set("/b", page(1, 2));
    check(&f);
    r.down();
    f.server.set("/c", page(2, 2));
    check(&f);
    check(&f);
    assert_eq!(r.requests().len(), 3, "nothing accepted during the outage");
    // The cursor has not moved; `termtrail sinks` counts three pending.
    assert_eq!(f.git(&["rev-parse", "refs/termtrail/sinks/hook"]), base);
    let status = run_env(&f, &["sinks"]);
    let text = String::from_utf8_lossy(&status.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("hook"))
        .expect("hook line");
    assert!(line.trim_end().ends_with(" 3"), "{text}");

    r.up();
    r.set_failing(false);
    check(&f);
    let reqs = r.requests();
    let after: Vec<_> = types(&reqs[3..]);
    assert_eq!(
        after,
        [
            "document.changed a/privacy-policy",
            "document.changed b/privacy-policy",
            "document.changed c/terms-of-service"
        ]
    );
    // In commit order, each once.
    let commits: Vec<String> = reqs[3..]
        .iter()
        .map(|q| q.json()["commit"].as_str().expect("commit").to_owned())
        .collect();
    let log = f.git(&[
        "log",
        "--reverse",
        "--format=%H",
        &format!("{}..main", base.trim()),
    ]);
    assert_eq!(commits, log.lines().collect::<Vec<_>>());
    check(&f);
    assert_eq!(r.requests().len(), 6, "no duplicates afterwards");
    assert_eq!(r.bad_signatures(), 0);
}

fn spawn_run(f: &Fixture) -> Child {
    Command::new(termtrail_bin())
        .current_dir(f.path())
        .arg("--config")
        .arg(f.config_path())
        .arg("run")
        .env("TT_TEST_SECRET", SECRET)
        .env("RUST_LOG", "termtrail=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("termtrail run starts")
}

fn kill(child: &mut Child, sig: i32) {
    // SAFETY: kill(2) on the PID of a child we started and have not reaped.
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0, "kill failed");
    let _ = child.wait();
}

#[test]
fn a_kill_between_commit_and_delivery_delays_the_event_but_never_loses_it() {
    let f = Fixture::new();
    let r = Receiver::start(Some(SECRET));
    setup(&f, &webhook_sink(&r));
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    std::fs::write(
        f.config_path(),
        format!("[schedule]\ninterval = \"1s\"\njitter = 0.0\n{toml}"),
    )
    .expect("write");
    // The receiver fails, so the daemon is stuck between commit and delivery when killed.
    r.set_failing(true);
    let mut child = spawn_run(&f);
    wait_for("first versions", Duration::from_secs(30), || {
        f.archive().exists() && f.count("main") == 3
    });
    std::thread::sleep(Duration::from_millis(300));
    kill(&mut child, libc::SIGKILL);
    assert!(r.requests().is_empty());
    let cursor = Command::new("git")
        .arg("-C")
        .arg(f.archive())
        .args(["rev-parse", "--verify", "-q", "refs/termtrail/sinks/hook"])
        .output()
        .expect("git");
    assert!(
        !cursor.status.success(),
        "no cursor yet: nothing was delivered"
    );

    // Restart with a working receiver: the three events arrive, once each.
    r.set_failing(false);
    let mut child = spawn_run(&f);
    wait_for("the pending events", Duration::from_secs(30), || {
        r.requests().len() >= 3
    });
    // A change in normal operation is delivered once.
    f.server.set("/a", page(0, 2));
    wait_for("the change event", Duration::from_secs(30), || {
        r.requests().len() >= 4
    });
    std::thread::sleep(Duration::from_millis(2500));
    kill(&mut child, libc::SIGTERM);
    // The three first records are committed in whatever order their fetches finish, and sent in
    // commit order; the change comes after them.
    let mut got = types(&r.requests());
    let first = 3.min(got.len());
    got[..first].sort();
    assert_eq!(
        got,
        [
            "document.added a/privacy-policy",
            "document.added b/privacy-policy",
            "document.added c/terms-of-service",
            "document.changed a/privacy-policy",
        ]
    );
    assert_eq!(r.bad_signatures(), 0);
}

#[test]
fn slack_and_discord_payloads_have_their_documented_shapes() {
    let f = Fixture::new();
    let r = Receiver::start(None);
    setup(
        &f,
        &format!(
            "[[sink]]\nname = \"slack\"\ntype = \"slack\"\nurl = \"{}\"\nplatforms = [\"a\"]\n\n[[sink]]\nname = \"discord\"\ntype = \"discord\"\nurl = \"{}\"\nplatforms = [\"a\"]\n",
            r.url("/slack"),
            r.url("/discord")
        ),
    );
    check(&f);
    f.server.set("/a", page(0, 2));
    check(&f);
    let reqs = r.requests();
    let slack: Vec<_> = reqs
        .iter()
        .filter(|q| q.path == "/slack")
        .map(|q| q.json())
        .collect();
    let discord: Vec<_> = reqs
        .iter()
        .filter(|q| q.path == "/discord")
        .map(|q| q.json())
        .collect();
    assert_eq!(
        (slack.len(), discord.len()),
        (2, 2),
        "platform filter: only a"
    );
    // Slack incoming webhook: `text` is required (the notification fallback); Block Kit blocks
    // are typed; header text is plain_text of at most 150 characters; section text is mrkdwn.
    let s = &slack[1];
    assert!(
        s["text"]
            .as_str()
            .expect("text")
            .contains("A privacy policy"),
        "{s}"
    );
    let blocks = s["blocks"].as_array().expect("blocks");
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert!(blocks[0]["text"]["text"].as_str().expect("header").len() <= 150);
    for b in blocks {
        let t = b["type"].as_str().expect("typed block");
        assert!(["header", "section", "context"].contains(&t), "{t}");
        if t == "section" {
            assert_eq!(b["text"]["type"], "mrkdwn");
            assert!(b["text"]["text"].as_str().expect("text").len() <= 3000);
        }
    }
    // The changed provision, before → after: the old words struck, the new ones bold.
    let provisions = blocks[2]["text"]["text"]
        .as_str()
        .expect("provisions block");
    assert!(
        provisions.starts_with("• *modified* Privacy Policy 0"),
        "{provisions}"
    );
    assert!(provisions.contains("> Revision ~1~ *2*"), "{provisions}");
    let context = blocks.last().expect("context")["elements"][0]["text"]
        .as_str()
        .expect("context text")
        .to_owned();
    assert!(
        context.contains(&format!("<{}|Source>", f.server.url("/a"))),
        "{context}"
    );
    // Discord webhook: `content` ≤ 2000 characters and embeds with title ≤ 256, description
    // ≤ 4096, fields of {name, value ≤ 1024, inline}, an ISO 8601 timestamp, an integer colour.
    let d = &discord[1];
    assert!(d["content"].as_str().expect("content").len() <= 2000);
    let embed = &d["embeds"][0];
    assert!(embed["title"].as_str().expect("title").len() <= 256);
    assert!(embed["description"]
        .as_str()
        .expect("description")
        .contains("substantive"));
    assert_eq!(embed["url"], f.server.url("/a"));
    assert!(embed["color"].is_u64());
    assert!(embed["timestamp"]
        .as_str()
        .expect("timestamp")
        .ends_with('Z'));
    for field in embed["fields"].as_array().expect("fields") {
        assert!(field["name"].is_string() && field["inline"].is_boolean());
        assert!(field["value"].as_str().expect("value").len() <= 1024);
    }
    assert!(embed["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .any(|x| x["name"] == "Sections"));
    let changed = embed["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|x| x["name"] == "Changed provisions")
        .expect("a provisions field");
    assert!(
        changed["value"]
            .as_str()
            .expect("value")
            .contains("> Revision ~~1~~ **2**"),
        "{changed}"
    );
}

fn read_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect()
}

#[test]
fn jsonl_atom_exec_and_stdout_sinks_with_filters() {
    let f = Fixture::new();
    let dir = f.path().display().to_string();
    setup(
        &f,
        &format!(
            "[[sink]]\nname = \"all\"\ntype = \"jsonl\"\npath = \"{dir}/all.jsonl\"\n\n\
             [[sink]]\nname = \"changes\"\ntype = \"jsonl\"\npath = \"{dir}/changes.jsonl\"\nevents = [\"document.changed\"]\nmin_class = \"substantive\"\n\n\
             [[sink]]\nname = \"training\"\ntype = \"jsonl\"\npath = \"{dir}/training.jsonl\"\ntopics = [\"model-training\"]\nevents = [\"document.changed\"]\n\n\
             [[sink]]\nname = \"feed\"\ntype = \"atom\"\npath = \"{dir}/feed.xml\"\nmax_entries = 4\ntitle = \"Policy <changes>\"\n\n\
             [[sink]]\nname = \"script\"\ntype = \"exec\"\ncommand = [\"sh\", \"-c\", \"cat >> {dir}/exec.out; echo >> {dir}/exec.out\"]\n\n\
             [[sink]]\nname = \"console\"\ntype = \"stdout\"\nformat = \"json\"\nkinds = [\"terms-of-service\"]\n"
        ),
    );
    let out = check(&f);
    // stdout: the JSON report of check, then c's event (kinds filter).
    let stdout = String::from_utf8_lossy(&out.stdout);
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.contains("\"schema_version\""))
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(events.len(), 1, "{stdout}");
    assert_eq!(events[0]["document"], "c/terms-of-service");

    // A cosmetic change to a (punctuation only), a substantive training change to b.
    let cosmetic =
        policy_page(0, 1, 1, 1_500).replace("the choices you have.", "the choices you have!");
    f.server.set("/a", Page::html(cosmetic));
    let training = policy_page(1, 1, 1, 1_500).replace(
        "how long we keep it",
        "how long we keep it and whether we train models on it",
    );
    f.server.set("/b", Page::html(training));
    check(&f);

    let all = read_lines(&f.path().join("all.jsonl"));
    assert_eq!(all.len(), 5, "3 added + 2 changed");
    let a_change = all
        .iter()
        .find(|e| e["type"] == "document.changed" && e["document"] == "a/privacy-policy")
        .expect("a changed");
    assert_eq!(a_change["class"], "cosmetic");
    assert_eq!(
        a_change["cosmetic_reasons"],
        serde_json::json!(["punctuation"])
    );
    let changes = read_lines(&f.path().join("changes.jsonl"));
    assert_eq!(
        changes.len(),
        1,
        "min_class drops the cosmetic change; events drops added"
    );
    assert_eq!(changes[0]["document"], "b/privacy-policy");
    let training_only = read_lines(&f.path().join("training.jsonl"));
    assert_eq!(training_only.len(), 1);
    assert_eq!(training_only[0]["document"], "b/privacy-policy");

    // exec got each event on stdin.
    let exec = std::fs::read_to_string(f.path().join("exec.out")).expect("exec output");
    assert_eq!(exec.lines().filter(|l| !l.is_empty()).count(), 5, "{exec}");

    // The Atom feed parses with a real feed parser and keeps the last 4 entries, newest first.
    let xml = std::fs::read(f.path().join("feed.xml")).expect("feed");
    let feed = feed_rs::parser::parse(&xml[..]).expect("a valid feed");
    assert_eq!(feed.title.expect("title").content, "Policy <changes>");
    assert_eq!(feed.entries.len(), 4);
    let first = &feed.entries[0];
    assert!(first
        .title
        .as_ref()
        .expect("title")
        .content
        .contains("privacy policy"));
    assert!(first
        .content
        .as_ref()
        .and_then(|c| c.body.as_ref())
        .expect("content")
        .contains("<h2>"));
    assert_eq!(
        first.links[0].href,
        f.server.url(
            if first.title.as_ref().expect("t").content.starts_with("A ") {
                "/a"
            } else {
                "/b"
            }
        )
    );
    let ids: std::collections::HashSet<_> = feed.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), 4, "unique entry ids");
}

#[test]
fn one_alert_when_a_document_becomes_unavailable_and_one_when_it_recovers() {
    let f = Fixture::new();
    let dir = f.path().display().to_string();
    setup(&f, &format!("[[sink]]\nname = \"alerts\"\ntype = \"jsonl\"\npath = \"{dir}/alerts.jsonl\"\nevents = [\"document.unavailable\", \"document.recovered\"]\n"));
    check(&f);
    f.server.set("/a", Page::html("oops").status(500));
    for _ in 0..4 {
        check(&f);
    }
    let alerts = read_lines(&f.path().join("alerts.jsonl"));
    assert_eq!(
        alerts.len(),
        1,
        "one alert for the outage, not one per check: {alerts:?}"
    );
    assert_eq!(alerts[0]["type"], "document.unavailable");
    assert_eq!(alerts[0]["document"], "a/privacy-policy");
    assert_eq!(alerts[0]["failures"], 2);
    f.server.set("/a", page(0, 1));
    check(&f);
    check(&f);
    let alerts = read_lines(&f.path().join("alerts.jsonl"));
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert_eq!(alerts[1]["type"], "document.recovered");
}

#[test]
fn sink_config_errors_name_line_and_key() {
    let f = Fixture::new();
    setup(&f, "[[sink]]\nname = \"Bad Name\"\ntype = \"webhook\"\n\n[[sink]]\nname = \"x\"\ntype = \"pager\"\n\n[[sink]]\nname = \"y\"\ntype = \"jsonl\"\npath = \"y.jsonl\"\nmin_class = \"huge\"\nurl = \"http://x/\"\n\n[topics.biometrics]\nkeywords = []\n");
    let out = run_env(&f, &["validate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    let line = |needle: &str| toml.lines().position(|l| l.contains(needle)).expect("line") + 1;
    for want in [
        format!(
            ":{}: sink[1].name: \"Bad Name\" is not a slug",
            line("Bad Name")
        ),
        "sink[1].url: is required for webhook sinks".to_owned(),
        format!(
            ":{}: sink[2].type: \"pager\" is not a sink type",
            line("pager")
        ),
        format!(
            ":{}: sink[3].min_class: \"huge\" is not a class",
            line("huge")
        ),
        "sink[3].url: does not apply to jsonl sinks".to_owned(),
        "topics.biometrics.keywords: topic \"biometrics\" has no keywords".to_owned(),
    ] {
        assert!(err.contains(&want), "{err}\nwanted {want}");
    }
}

/// Debian's `python3-aiosmtpd` (for the system Python, not a pyenv one), installed if missing.
fn aiosmtpd_python() -> &'static str {
    const PY: &str = "/usr/bin/python3";
    ensure_package("python3-aiosmtpd", || {
        Command::new(PY)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    PY
}

#[test]
fn email_reaches_a_real_smtp_server_with_text_and_html() {
    let py = aiosmtpd_python();
    let f = Fixture::new();
    let maildir = f.path().join("maildir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut smtp = Command::new(py)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("aiosmtpd starts");
    wait_for("the SMTP server", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    setup(
        &f,
        &format!("[[sink]]\nname = \"mail\"\ntype = \"email\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\ntls = \"none\"\nfrom = \"termtrail <alerts@example.org>\"\nto = [\"legal@example.org\", \"press@example.org\"]\nkinds = [\"terms-of-service\"]\n"),
    );
    let out = check(&f);
    let new = maildir.join("new");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut mails = Vec::new();
    while Instant::now() < deadline {
        mails = std::fs::read_dir(&new)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if !mails.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = smtp.kill();
    let _ = smtp.wait();
    assert_eq!(mails.len(), 1, "one email (kinds filter): {}", stderr(&out));
    let mail = std::fs::read_to_string(&mails[0]).expect("mail");
    assert!(
        mail.contains("Subject: [termtrail] C terms of service: first record"),
        "{mail}"
    );
    assert!(
        mail.contains("To: legal@example.org, press@example.org"),
        "{mail}"
    );
    assert!(mail.contains("multipart/alternative"), "{mail}");
    assert!(mail.contains("Content-Type: text/plain"), "{mail}");
    assert!(mail.contains("Content-Type: text/html"), "{mail}");
    assert!(mail.contains("Message-ID: <document.added-"), "{mail}");
}

/// Appends a commit to `main` the way a re-extraction does: new text for `doc`, with the
/// `Change-Class: technical` trailer (made with the git CLI, as the archive writer's peer would).
fn technical_commit(f: &Fixture, doc: &str, text: &str) -> String {
    let archive = f.archive();
    let index = f.path().join("tmp-index");
    let git = |args: &[&str], stdin: Option<&str>| -> String {
        use std::io::Write;
        let mut child = Command::new("git")
            .arg("-C")
            .arg(&archive)
            .args(args)
            .env("GIT_INDEX_FILE", &index)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@localhost")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@localhost")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("git");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.unwrap_or("").as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("git");
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    };
    let old = git(&["rev-parse", "main"], None);
    let blob = git(&["hash-object", "-w", "--stdin"], Some(text));
    git(&["read-tree", "main"], None);
    git(
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("100644,{blob},{doc}.md"),
        ],
        None,
    );
    let tree = git(&["write-tree"], None);
    let msg = format!("Re-extract {doc}\n\nDocument: {doc}\nSource-URL: {}\nFetched-At: 2026-01-01T00:00:00Z\nChange-Class: technical\n", f.server.url("/a"));
    let new = git(&["commit-tree", &tree, "-p", &old], Some(&msg));
    git(&["update-ref", "refs/heads/main", &new, &old], None);
    new
}

#[test]
fn technical_commits_are_skipped_unless_asked_and_new_sinks_start_at_main() {
    let f = Fixture::new();
    let dir = f.path().display().to_string();
    let sinks = format!("[[sink]]\nname = \"plain\"\ntype = \"jsonl\"\npath = \"{dir}/plain.jsonl\"\n\n[[sink]]\nname = \"everything\"\ntype = \"jsonl\"\npath = \"{dir}/everything.jsonl\"\ninclude_technical = true\n");
    setup(&f, &sinks);
    check(&f);
    let text = f.git(&["show", "main:a/privacy-policy.md"]);
    let technical = technical_commit(
        &f,
        "a/privacy-policy",
        &text.replace("Section 1", "Section One"),
    );
    check(&f);
    let plain = read_lines(&f.path().join("plain.jsonl"));
    let everything = read_lines(&f.path().join("everything.jsonl"));
    assert_eq!(plain.len(), 3, "the technical commit is not announced");
    assert_eq!(everything.len(), 4);
    assert_eq!(everything[3]["commit"], technical.as_str());
    // The cursor passed it all the same: nothing pending.
    assert_eq!(
        f.git(&["rev-parse", "refs/termtrail/sinks/plain"]).trim(),
        technical
    );

    // Sinks added to an archive that has versions: `main` by default, `beginning` on request.
    let mut toml = std::fs::read_to_string(f.config_path()).expect("read");
    toml.push_str(&format!("\n[[sink]]\nname = \"late\"\ntype = \"jsonl\"\npath = \"{dir}/late.jsonl\"\n\n[[sink]]\nname = \"history\"\ntype = \"jsonl\"\npath = \"{dir}/history.jsonl\"\nstart = \"beginning\"\n"));
    std::fs::write(f.config_path(), toml).expect("write");
    f.server.set("/c", page(2, 2));
    check(&f);
    let late = read_lines(&f.path().join("late.jsonl"));
    assert_eq!(late.len(), 1, "only the change made after it was added");
    assert_eq!(late[0]["document"], "c/terms-of-service");
    let history = read_lines(&f.path().join("history.jsonl"));
    assert_eq!(
        history.len(),
        4,
        "3 first records + the change; not the technical commit"
    );
}

#[test]
fn a_failing_sink_does_not_hold_up_fetching_or_other_sinks() {
    let f = Fixture::new();
    let r = Receiver::start(Some(SECRET));
    let dir = f.path().display().to_string();
    setup(
        &f,
        &format!(
            "{}\n[[sink]]\nname = \"file\"\ntype = \"jsonl\"\npath = \"{dir}/file.jsonl\"\n",
            webhook_sink(&r)
        ),
    );
    r.set_failing(true);
    check(&f);
    f.server.set("/a", page(0, 2));
    check(&f);
    assert_eq!(
        f.count("main"),
        4,
        "versions are recorded while the webhook fails"
    );
    assert!(r.requests().is_empty());
    assert_eq!(
        read_lines(&f.path().join("file.jsonl")).len(),
        4,
        "the other sink is served"
    );
    r.set_failing(false);
    check(&f);
    assert_eq!(types(&r.requests()).len(), 4);
}

#[test]
fn diff_log_and_compare_show_the_summary() {
    let f = Fixture::new();
    setup(&f, "");
    check(&f);
    let changed = policy_page(0, 1, 1, 1_500).replacen(
        "how long we keep it",
        "how long we retain it and whether we train models on it",
        1,
    );
    f.server.set("/a", Page::html(changed));
    check(&f);
    let out = run_env(&f, &["diff", "a/privacy-policy"]);
    let diff = String::from_utf8_lossy(&out.stdout);
    // The change on provisions: one paragraph modified, with its heading path and words.
    assert!(diff.contains("substantive; topics: model-training, data-retention, third-party-sharing; provisions: 0 added, 0 removed, 1 modified, 0 moved"), "{diff}");
    assert!(
        diff.contains("~ modified substantive [model-training, data-retention, third-party-sharing]  Privacy Policy 0 > Section 1  (p"),
        "{diff}"
    );
    assert!(
        diff.contains("how long we [-keep-]{+retain it and whether we train models on+} it"),
        "{diff}"
    );
    let out = run_env(&f, &["log", "--summary", "a/privacy-policy"]);
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains("substantive: provision(s) 1 modified; topics: model-training, data-retention, third-party-sharing"), "{log}");
    assert!(log.contains("first record"), "{log}");
    let out = run_env(&f, &["compare", "--topic", "model-training", "--markdown"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.starts_with("# Model training on user data\n\n## A\n"),
        "{md}"
    );
    assert!(md.contains("whether we train models on it"), "{md}");
    assert!(!md.contains("## B"), "b has no training section: {md}");
    let out = run_env(
        &f,
        &[
            "compare",
            "--topic",
            "third-party-sharing",
            "--width",
            "100",
        ],
    );
    let cols = String::from_utf8_lossy(&out.stdout);
    assert!(
        cols.lines().next().expect("header").contains(" │ "),
        "{cols}"
    );
    assert!(cols.lines().all(|l| l.chars().count() <= 100), "{cols}");
    let out = run_env(&f, &["compare", "--topic", "nope"]);
    assert!(
        stderr(&out).contains("\"nope\" is not a topic; known topics: model-training"),
        "{}",
        stderr(&out)
    );
}

/// An SMTP server (aiosmtpd) that requires AUTH over TLS: STARTTLS (`starttls`) or TLS from the
/// first byte (`tls`); mail goes to a Maildir.
const SMTP_TLS_SERVER: &str = r#"
import sys, ssl
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

mode, port, cert, key, maildir, user, password = sys.argv[1:]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)

def authenticate(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == user.encode() and data.password == password.encode()
    # handled=False: aiosmtpd then answers 535 itself (handled=True would leave the client waiting).
    return AuthResult(success=ok, handled=False)

tls = dict(tls_context=ctx, require_starttls=True, auth_require_tls=True) if mode == "starttls" else dict(ssl_context=ctx, auth_require_tls=False)
c = Controller(Mailbox(maildir), hostname="127.0.0.1", port=int(port), authenticator=authenticate,
               auth_required=True, **tls)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"#;

/// A running TLS SMTP server and the certificate it serves.
struct TlsSmtp {
    child: Child,
    port: u16,
    cert: std::path::PathBuf,
    maildir: std::path::PathBuf,
}

impl TlsSmtp {
    fn start(f: &Fixture, mode: &str) -> Self {
        use std::io::BufRead;
        let py = aiosmtpd_python();
        ensure_package("openssl", || {
            Command::new("openssl")
                .arg("version")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        let (cert, key) = (f.path().join("cert.pem"), f.path().join("key.pem"));
        let st = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
            ])
            .args([
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-addext",
                "extendedKeyUsage=serverAuth",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(st.success(), "openssl could not make a test certificate");
        std::fs::write(f.path().join("server.py"), SMTP_TLS_SERVER).expect("write");
        let maildir = f.path().join("maildir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let mut child = Command::new(py)
            .arg(f.path().join("server.py"))
            .args([mode, &port.to_string()])
            .args([&cert, &key, &maildir])
            .args(["termtrail", "right-password"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the SMTP server starts");
        let mut ready = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut ready)
            .expect("read");
        assert_eq!(ready.trim(), "ready");
        Self {
            child,
            port,
            cert,
            maildir,
        }
    }

    fn sink(&self, mode: &str) -> String {
        format!(
            "[[sink]]\nname = \"mail\"\ntype = \"email\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"{mode}\"\ntls_ca = \"{}\"\nusername = \"termtrail\"\npassword = \"env:TT_SMTP_PASSWORD\"\nfrom = \"alerts@example.org\"\nto = [\"legal@example.org\"]\nkinds = [\"terms-of-service\"]\ntimeout = \"10s\"\n",
            self.port,
            self.cert.display()
        )
    }

    /// Stops the server (it reads stdin until closed) and returns the mail files.
    fn stop(mut self) -> Vec<std::path::PathBuf> {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
        mails(&self.maildir)
    }
}

fn check_with_password(f: &Fixture, password: &str) -> Output {
    let out = Command::new(termtrail_bin())
        .current_dir(f.path())
        .arg("--config")
        .arg(f.config_path())
        .args(["check", "--json"])
        .env("TT_SMTP_PASSWORD", password)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

fn mails(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("new"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn email_over_starttls_with_auth_and_a_retry_after_a_refused_login() {
    let f = Fixture::new();
    let smtp = TlsSmtp::start(&f, "starttls");
    setup(&f, &smtp.sink("starttls"));
    let out = check_with_password(&f, "wrong-password");
    assert!(
        mails(&smtp.maildir).is_empty(),
        "a refused login sends nothing"
    );
    let err = stderr(&out);
    assert!(err.contains("sink mail") && err.contains("email"), "{err}");
    assert!(
        !err.contains("wrong-password"),
        "the password is not logged: {err}"
    );
    check_with_password(&f, "right-password");
    let got = smtp.stop();
    assert_eq!(got.len(), 1, "delivered on the next run, once");
    let mail = std::fs::read_to_string(&got[0]).expect("mail");
    assert!(
        mail.contains("Subject: [termtrail] C terms of service: first record"),
        "{mail}"
    );
    assert!(mail.contains("multipart/alternative"), "{mail}");
}

#[test]
fn email_over_implicit_tls_with_auth() {
    let f = Fixture::new();
    let smtp = TlsSmtp::start(&f, "tls");
    setup(&f, &smtp.sink("tls"));
    let out = check_with_password(&f, "right-password");
    let got = smtp.stop();
    assert_eq!(got.len(), 1, "{}", stderr(&out));
    let mail = std::fs::read_to_string(&got[0]).expect("mail");
    assert!(mail.contains("Content-Type: text/html"), "{mail}");
}

#[test]
fn the_daemon_sends_one_alert_per_outage() {
    let f = Fixture::new();
    let dir = f.path().display().to_string();
    setup(&f, &format!("[[sink]]\nname = \"alerts\"\ntype = \"jsonl\"\npath = \"{dir}/alerts.jsonl\"\nevents = [\"document.unavailable\", \"document.recovered\"]\n"));
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    std::fs::write(
        f.config_path(),
        format!("[schedule]\ninterval = \"1s\"\njitter = 0.0\n{toml}"),
    )
    .expect("write");
    f.server.set("/a", Page::html("down").status(500));
    let mut child = spawn_run(&f);
    let alerts = f.path().join("alerts.jsonl");
    wait_for("the unavailable alert", Duration::from_secs(30), || {
        !read_lines(&alerts).is_empty()
    });
    // Several more failed checks: still one alert.
    wait_for("more failed checks", Duration::from_secs(30), || {
        f.server.hits("/a") >= 5
    });
    assert_eq!(read_lines(&alerts).len(), 1);
    f.server.set("/a", page(0, 1));
    wait_for("the recovered alert", Duration::from_secs(30), || {
        read_lines(&alerts).len() >= 2
    });
    wait_for("more good checks", Duration::from_secs(30), || {
        f.server.hits("/a") >= 2
    });
    kill(&mut child, libc::SIGTERM);
    let got = read_lines(&alerts);
    let kinds: Vec<_> = got
        .iter()
        .map(|e| e["type"].as_str().expect("type").to_owned())
        .collect();
    assert_eq!(kinds, ["document.unavailable", "document.recovered"]);
    assert_eq!(got[0]["document"], "a/privacy-policy");
}
