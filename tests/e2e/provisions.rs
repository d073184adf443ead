//! Provisions read back from a real archive (dated imports, the real binary, the real git CLI):
//! `diff --json`, `provisions`, `log --provision` and `compare --topic`, with ids that follow a
//! clause across versions and dates from the commits.

use serde_json::Value;

use crate::util::*;

/// Three versions of a synthetic terms page: v2 renumbers the headings (cosmetic) and changes the
/// retention period; v3 rewrites the training clause.
const TERMS: [(&str, &str); 3] = [
    (
        "2026-01-10T10-00-00Z.html",
        "<main><h1>Terms</h1><h2>1. Training</h2><p>We may use your chats to train our models.</p><h2>2. Retention</h2><p>We keep your chats for 30 days.</p><h2>3. Fees</h2><p>Fees are billed monthly.</p><p>Last updated: January 5, 2026</p></main>",
    ),
    (
        "2026-02-10T10-00-00Z.html",
        "<main><h1>Terms</h1><h2>A. Training</h2><p>We may use your chats to train our models.</p><h2>B. Retention</h2><p>We keep your chats for 90 days.</p><h2>C. Fees</h2><p>Fees are billed monthly.</p><p>Last updated: February 1, 2026</p></main>",
    ),
    (
        "2026-03-10T10-00-00Z.html",
        "<main><h1>Terms</h1><h2>A. Training</h2><p>We do not use your chats to train our models unless you opt in.</p><h2>B. Retention</h2><p>We keep your chats for 90 days.</p><h2>C. Fees</h2><p>Fees are billed monthly.</p><p>Last updated: March 1, 2026</p></main>",
    ),
];

/// A second platform whose privacy policy mentions training once.
const PRIVACY: (&str, &str) = (
    "2026-01-20T10-00-00Z.html",
    "<main><h1>Privacy</h1><p>We never train on your data.</p><p>We answer lawful requests from the police.</p></main>",
);

fn import(f: &Fixture, doc: &str, captures: &[(&str, &str)]) {
    let dir = f.path().join(doc.replace('/', "-"));
    std::fs::create_dir(&dir).expect("mkdir");
    for (name, body) in captures {
        std::fs::write(dir.join(name), body).expect("write capture");
    }
    let out = f.run(&["import", doc, dir.to_str().expect("utf-8")]);
    assert!(out.status.success(), "import {doc}: {}", stderr(&out));
}

fn setup() -> Fixture {
    let f = Fixture::new();
    f.write_config(
        &[
            ("a", "terms-of-service", "/a"),
            ("b", "privacy-policy", "/b"),
        ],
        "",
    );
    import(&f, "a/terms-of-service", &TERMS);
    import(&f, "b/privacy-policy", &[PRIVACY]);
    f
}

fn json(f: &Fixture, args: &[&str]) -> Value {
    let out = f.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The versions of `a/terms-of-service`, oldest first.
fn versions(f: &Fixture) -> Vec<String> {
    let log = f.git(&[
        "log",
        "--reverse",
        "--format=%H",
        "main",
        "--",
        "a/terms-of-service.md",
    ]);
    log.lines().map(str::to_owned).collect()
}

fn provision<'a>(list: &'a Value, text: &str) -> &'a Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|p| {
            p["after"]
                .as_str()
                .or(p["text"].as_str())
                .or(p["before"].as_str())
                == Some(text)
        })
        .unwrap_or_else(|| panic!("no provision {text:?} in {list:#}"))
}

#[test]
fn diff_json_lists_each_changed_provision_with_its_class_and_topics() {
    let f = setup();
    let v = versions(&f);
    assert_eq!(v.len(), 3);
    let d = json(&f, &["diff", "a/terms-of-service", &v[0], &v[1], "--json"]);
    assert_eq!(d["document"], "a/terms-of-service");
    assert_eq!(d["from"]["commit"], v[0].as_str());
    assert_eq!(d["to"]["date"], "2026-02-10T10:00:00Z");
    assert_eq!(d["class"], "substantive");
    // The renumbered headings and the new date bring no topic; the retention period does.
    assert_eq!(d["topics"], serde_json::json!(["data-retention"]));
    assert_eq!(d["dates"]["updated"], "2026-02-01");
    // The stated date is a trailer of the version commit too.
    let trailer = f.git(&[
        "log",
        "-1",
        "--format=%(trailers:key=Updated-Date,valueonly)",
        &v[1],
    ]);
    assert_eq!(trailer.trim(), "2026-02-01");
    let ps = &d["provisions"];
    let retention = provision(ps, "We keep your chats for 90 days.");
    assert_eq!(retention["change"], "modified");
    assert_eq!(retention["class"], "substantive");
    assert_eq!(retention["topics"], serde_json::json!(["data-retention"]));
    assert_eq!(retention["before"], "We keep your chats for 30 days.");
    assert_eq!(
        retention["heading_path"],
        serde_json::json!(["Terms", "B. Retention"])
    );
    assert_eq!(
        retention["diff"],
        "We keep your chats for [-30-]{+90+} days."
    );
    let heading = provision(ps, "## B. Retention");
    assert_eq!(heading["class"], "cosmetic");
    assert_eq!(
        heading["cosmetic_reasons"],
        serde_json::json!(["renumbering"])
    );
    assert_eq!(heading["topics"], serde_json::json!([]));
    // Unchanged provisions are not listed.
    assert!(ps
        .as_array()
        .expect("list")
        .iter()
        .all(|p| p["after"] != "Fees are billed monthly."));

    // By default: the latest version against the one before, ids as `provisions` gives them.
    let latest = json(&f, &["diff", "a/terms-of-service", "--json"]);
    assert_eq!(latest["from"]["commit"], v[1].as_str());
    assert_eq!(
        latest["topics"],
        serde_json::json!(["model-training", "opt-out"])
    );
    let training = provision(
        &latest["provisions"],
        "We do not use your chats to train our models unless you opt in.",
    );
    let listed = json(&f, &["provisions", "a/terms-of-service", "--json"]);
    let same = provision(
        &listed["provisions"],
        "We do not use your chats to train our models unless you opt in.",
    );
    assert_eq!(training["id"], same["id"]);

    // The analyst's text: class, topics, then each provision with its words.
    let out = f.run(&["diff", "a/terms-of-service", &v[0], &v[1]]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("substantive; topics: data-retention; provisions: 0 added, 0 removed,"),
        "{text}"
    );
    assert!(
        text.contains("~ modified substantive [data-retention]  Terms > B. Retention"),
        "{text}"
    );
    assert!(
        text.contains("    We keep your chats for [-30-]{+90+} days."),
        "{text}"
    );
}

#[test]
fn provisions_lists_a_version_with_ids_topics_and_dates() {
    let f = setup();
    let v = versions(&f);
    let p = json(
        &f,
        &[
            "provisions",
            "a/terms-of-service",
            "--at",
            "2026-02-15",
            "--json",
        ],
    );
    assert_eq!(p["commit"], v[1].as_str());
    assert_eq!(p["version_date"], "2026-02-10T10:00:00Z");
    let retention = provision(&p["provisions"], "We keep your chats for 90 days.");
    assert_eq!(
        retention["heading_path"],
        serde_json::json!(["Terms", "B. Retention"])
    );
    assert_eq!(retention["topics"], serde_json::json!(["data-retention"]));
    assert_eq!(retention["first_seen"]["date"], "2026-01-10T10:00:00Z");
    assert_eq!(retention["last_changed"]["date"], "2026-02-10T10:00:00Z");
    assert_eq!(retention["last_changed"]["commit"], v[1].as_str());
    // The training clause at that date: the old words, unchanged since the first version.
    let training = provision(
        &p["provisions"],
        "We may use your chats to train our models.",
    );
    assert_eq!(training["last_changed"]["date"], "2026-01-10T10:00:00Z");

    let only = json(
        &f,
        &[
            "provisions",
            "a/terms-of-service",
            "--topic",
            "model-training",
            "--json",
        ],
    );
    let texts: Vec<&str> = only["provisions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        ["We do not use your chats to train our models unless you opt in."]
    );

    let out = f.run(&["provisions", "a/terms-of-service", "--topic", "nope"]);
    assert!(
        stderr(&out).contains("\"nope\" is not a topic"),
        "{}",
        stderr(&out)
    );
    let out = f.run(&["provisions", "a/terms-of-service", "--at", "2001-01-01"]);
    assert!(stderr(&out).contains("no version of a/terms-of-service recorded at that date"));
}

#[test]
fn log_provision_is_the_timeline_of_one_clause() {
    let f = setup();
    let v = versions(&f);
    let listed = json(&f, &["provisions", "a/terms-of-service", "--json"]);
    let id = provision(
        &listed["provisions"],
        "We do not use your chats to train our models unless you opt in.",
    )["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let t = json(
        &f,
        &["log", "a/terms-of-service", "--provision", &id, "--json"],
    );
    assert_eq!(t["provision"], id.as_str());
    let changes = t["changes"].as_array().expect("list");
    // Added with the first version; untouched by the second (renumbering of its heading is the
    // heading's change, not its own); rewritten by the third.
    assert_eq!(changes.len(), 2, "{t:#}");
    assert_eq!(changes[0]["change"], "added");
    assert_eq!(changes[0]["commit"], v[0].as_str());
    assert_eq!(
        changes[0]["after"],
        "We may use your chats to train our models."
    );
    assert_eq!(changes[1]["change"], "modified");
    assert_eq!(changes[1]["date"], "2026-03-10T10:00:00Z");
    assert_eq!(changes[1]["class"], "substantive");
    assert_eq!(
        changes[1]["before"],
        "We may use your chats to train our models."
    );
    assert_eq!(
        changes[1]["topics"],
        serde_json::json!(["model-training", "opt-out"])
    );

    let out = f.run(&["log", "a/terms-of-service", "--provision", &id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("2026-01-10  "), "{text}");
    assert!(
        text.contains("modified substantive [model-training, opt-out]  Terms > A. Training"),
        "{text}"
    );
    let out = f.run(&["log", "a/terms-of-service", "--provision", "pffffffffff"]);
    assert!(
        stderr(&out).contains("no provision \"pffffffffff\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn compare_prints_only_the_tagged_provisions_with_their_version() {
    let f = setup();
    let v = versions(&f);
    let c = json(&f, &["compare", "--topic", "model-training", "--json"]);
    assert_eq!(c["topic"], "model-training");
    assert_eq!(c["at"], Value::Null);
    let platforms = c["platforms"].as_array().expect("list");
    assert_eq!(platforms.len(), 2);
    assert_eq!(platforms[0]["platform"], "a");
    let doc = &platforms[0]["documents"][0];
    assert_eq!(doc["kind"], "terms-of-service");
    assert_eq!(doc["commit"], v[2].as_str());
    assert_eq!(doc["version_date"], "2026-03-10T10:00:00Z");
    assert_eq!(doc["url"], f.server.url("/a"));
    let texts: Vec<&str> = doc["provisions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["text"].as_str())
        .collect();
    // Not the retention clause, nor its section: only the tagged provision.
    assert_eq!(
        texts,
        ["We do not use your chats to train our models unless you opt in."]
    );
    assert_eq!(doc["provisions"][0]["last_changed"], "2026-03-10T10:00:00Z");
    assert_eq!(
        platforms[1]["documents"][0]["provisions"][0]["text"],
        "We never train on your data."
    );

    // As it stood on 15 February: the old training clause; b had a version already.
    let then = json(
        &f,
        &[
            "compare",
            "--topic",
            "model-training",
            "--at",
            "2026-02-15",
            "--json",
        ],
    );
    assert_eq!(then["at"], "2026-02-15T23:59:59Z");
    assert_eq!(
        then["platforms"][0]["documents"][0]["commit"],
        v[1].as_str()
    );
    assert_eq!(
        then["platforms"][0]["documents"][0]["provisions"][0]["text"],
        "We may use your chats to train our models."
    );
    let before_b = json(
        &f,
        &[
            "compare",
            "--topic",
            "model-training",
            "--at",
            "2026-01-15",
            "--json",
        ],
    );
    assert_eq!(before_b["platforms"].as_array().expect("list").len(), 1);

    let only = json(
        &f,
        &[
            "compare",
            "--topic",
            "model-training",
            "--only",
            "b",
            "--json",
        ],
    );
    assert_eq!(only["platforms"].as_array().expect("list").len(), 1);
    assert_eq!(only["platforms"][0]["platform"], "b");

    let out = f.run(&["compare", "--topic", "model-training", "--markdown"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.starts_with("# Model training on user data\n\n## A\n"),
        "{md}"
    );
    assert!(
        md.contains("We do not use your chats to train our models unless you opt in."),
        "{md}"
    );
    assert!(!md.contains("We keep your chats"), "{md}");
}
