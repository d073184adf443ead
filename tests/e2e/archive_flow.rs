//! What gets recorded: first run, real changes, noise, 304s.

use crate::util::*;

fn docs(n: usize) -> Vec<(String, String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("p{i}"),
                "privacy-policy".to_owned(),
                format!("/p{i}"),
            )
        })
        .collect()
}

fn setup(n: usize, etag: bool) -> Fixture {
    let f = Fixture::new();
    let d = docs(n);
    let refs: Vec<_> = d
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    f.write_config(&refs, "");
    for i in 0..n {
        let mut page = Page::html(policy_page(i, 1, 1, 4_000));
        if etag {
            page = page.with_etag();
        }
        f.server.set(&format!("/p{i}"), page);
    }
    f
}

#[test]
fn first_run_records_every_document_with_trailers() {
    let f = setup(4, false);
    let r = f.check();
    assert_eq!(
        (
            r["checked"].as_u64(),
            r["new"].as_u64(),
            r["errors"].as_u64()
        ),
        (Some(4), Some(4), Some(0))
    );
    assert_eq!(
        ids(&r, "new_ids"),
        [
            "p0/privacy-policy",
            "p1/privacy-policy",
            "p2/privacy-policy",
            "p3/privacy-policy"
        ]
    );
    f.fsck();
    assert_eq!(f.count("main"), 4);
    assert_eq!(f.count("snapshots"), 4);
    let files = f.git(&["ls-tree", "-r", "--name-only", "main"]);
    assert_eq!(
        files,
        "p0/privacy-policy.md\np1/privacy-policy.md\np2/privacy-policy.md\np3/privacy-policy.md\n"
    );
    let text = f.git(&["show", "main:p2/privacy-policy.md"]);
    assert!(
        text.starts_with("# Privacy Policy 2\n\nRevision 1\n\n## Section 1\n"),
        "{text}"
    );
    assert!(
        !text.contains("cookies") && !text.contains("Advertisement"),
        "noise leaked: {text}"
    );
    assert!(
        text.contains(&format!("[Read more]({}#s1)", f.server.url("/privacy"))),
        "links are absolute: {text}"
    );
    // The snapshot keeps the raw bytes as served.
    assert_eq!(
        f.git(&["show", "snapshots:p2/privacy-policy.html"]),
        policy_page(2, 1, 1, 4_000)
    );
    let log = f.git(&[
        "log",
        "--format=%s%n%(trailers:only,unfold)",
        "main",
        "--",
        "p1/privacy-policy.md",
    ]);
    assert!(
        log.starts_with("First record of P1 privacy policy\n"),
        "{log}"
    );
    for key in [
        "Source-URL: ",
        "Fetched-At: ",
        "Snapshot: ",
        "Content-SHA256: ",
        "Extractor: termtrail-declarative/",
    ] {
        assert!(log.contains(key), "missing trailer {key:?}:\n{log}");
    }
    // The Snapshot trailer names a real commit on the snapshots branch holding this document.
    let snap = log
        .lines()
        .find_map(|l| l.strip_prefix("Snapshot: "))
        .expect("trailer");
    assert_eq!(
        f.git(&["branch", "--contains", snap, "--format=%(refname:short)"]),
        "snapshots\n"
    );
    assert_eq!(
        f.git(&["show", &format!("{snap}:p1/privacy-policy.html")]),
        policy_page(1, 1, 1, 4_000)
    );
}

#[test]
fn a_change_inside_the_selection_gives_exactly_one_version() {
    let f = setup(3, false);
    f.check();
    let (main0, snap0) = (f.count("main"), f.count("snapshots"));
    f.server.set("/p1", Page::html(policy_page(1, 2, 1, 4_000)));
    let r = f.check();
    assert_eq!(ids(&r, "changed_ids"), ["p1/privacy-policy"]);
    assert_eq!(
        (r["unchanged"].as_u64(), r["new"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(f.count("main"), main0 + 1);
    assert_eq!(f.count("snapshots"), snap0 + 1);
    let subject = f.git(&["log", "-1", "--format=%s", "main"]);
    assert_eq!(subject, "Update P1 privacy policy\n");
    let patch = f.git(&[
        "log",
        "-p",
        "-1",
        "--format=",
        "main",
        "--",
        "p1/privacy-policy.md",
    ]);
    assert!(patch.contains("-Revision 1\n+Revision 2\n"), "{patch}");
    let trailers = f.git(&["log", "-1", "--format=%(trailers:only,unfold)", "main"]);
    for key in [
        "Source-URL: ",
        "Fetched-At: ",
        "Snapshot: ",
        "Content-SHA256: ",
        "Extractor: ",
    ] {
        assert!(trailers.contains(key), "missing {key}: {trailers}");
    }
    f.fsck();
}

#[test]
fn noise_outside_the_selection_gives_no_version_and_keeps_a_snapshot_only_under_all() {
    // (retention, snapshots each noise fetch adds)
    for (retention, kept) in [("versions", 0), ("all", 3)] {
        let f = setup(3, false);
        let toml = std::fs::read_to_string(f.config_path()).expect("read");
        std::fs::write(
            f.config_path(),
            toml.replacen(
                "fsync = false\n",
                &format!("fsync = false\nsnapshots = \"{retention}\"\n"),
                1,
            ),
        )
        .expect("write");
        f.check();
        let (main0, snap0) = (f.count("main"), f.count("snapshots"));
        // New tokens, build hashes, ad text and timestamps everywhere outside <main>, on every page.
        for i in 0..3 {
            f.server.set(
                &format!("/p{i}"),
                Page::html(policy_page(i, 1, 77 + i, 4_000)),
            );
        }
        let r = f.check();
        assert_eq!(
            (r["changed"].as_u64(), r["unchanged"].as_u64()),
            (Some(0), Some(3)),
            "{retention}"
        );
        assert_eq!(f.count("main"), main0, "{retention}");
        assert_eq!(f.count("snapshots"), snap0 + kept, "{retention}");
        // Same bytes again: no commit at all.
        let r = f.check();
        assert_eq!(r["unchanged"].as_u64(), Some(3), "{retention}");
        assert_eq!(f.count("snapshots"), snap0 + kept, "{retention}");
        f.fsck();
    }
}

/// `check --json` with extraction made to panic (fail point `check.extracted`): a document
/// that is extracted fails, one whose extraction is skipped does not.
fn check_without_extraction(f: &Fixture) -> serde_json::Value {
    let out = f.run_env(
        &["check", "--json"],
        &[("TERMTRAIL_FAILPOINTS", "check.extracted=panic")],
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check --json printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// At both sizes of fingerprint work: pages fingerprinted on the check's own thread, and pages
/// over `INLINE_FINGERPRINT_BYTES` (256 KiB) handed to a blocking thread.
#[test]
fn noise_only_fetches_skip_extraction_and_nothing_else_does() {
    for size in [4_000, 400_000] {
        noise_only_fetches_skip_extraction_at(size);
    }
}

fn noise_only_fetches_skip_extraction_at(size: usize) {
    let f = setup(2, false);
    let serve = |noise: usize, p1_revision: usize| {
        f.server
            .set("/p0", Page::html(policy_page(0, 1, noise, size)));
        f.server
            .set("/p1", Page::html(policy_page(1, p1_revision, noise, size)));
    };
    serve(1, 1);
    f.check();
    let state = f.archive().join("termtrail-state.json");
    let first_state = std::fs::read(&state).expect("state file");
    let snap0 = f.count("snapshots");
    // New bytes outside <main>: the fingerprint vouches for the recorded text; a noise-only
    // fetch, so under the default retention (`snapshots = "versions"`) no snapshot is kept.
    serve(77, 1);
    let r = check_without_extraction(&f);
    assert_eq!(
        (r["unchanged"].as_u64(), r["errors"].as_u64()),
        (Some(2), Some(0)),
        "{size} bytes: {r}"
    );
    assert_eq!(f.count("snapshots"), snap0);
    // A policy edit is extracted (and fails here); the noise-only page is not.
    serve(78, 2);
    let r = check_without_extraction(&f);
    assert_eq!(ids(&r, "error_ids"), ["p1/privacy-policy"], "{r}");
    let r = f.check();
    assert_eq!(ids(&r, "changed_ids"), ["p1/privacy-policy"], "{r}");
    // A lost state file: everything is extracted again.
    std::fs::remove_file(&state).expect("state file");
    serve(79, 2);
    let r = check_without_extraction(&f);
    assert_eq!(r["errors"].as_u64(), Some(2), "{r}");
    f.check();
    // A stale state file (as a crash after the version commit leaves it) vouches for the first
    // text, which `main` no longer holds: the page reverted to it is extracted, and recorded.
    std::fs::write(&state, &first_state).expect("state file");
    serve(80, 1);
    let r = check_without_extraction(&f);
    assert_eq!(ids(&r, "error_ids"), ["p1/privacy-policy"], "{r}");
    let r = f.check();
    assert_eq!(ids(&r, "changed_ids"), ["p1/privacy-policy"], "{r}");
    f.fsck();
}

#[test]
fn not_modified_responses_give_no_commit() {
    let f = setup(3, true);
    f.check();
    let (main0, snap0) = (f.count("main"), f.count("snapshots"));
    f.server.reset_counters();
    let r = f.check();
    assert_eq!(r["unchanged"].as_u64(), Some(3));
    assert_eq!(
        f.server.not_modified(),
        3,
        "the validators were sent and honoured"
    );
    assert_eq!((f.count("main"), f.count("snapshots")), (main0, snap0));
    // A real change after 304s is still seen.
    f.server
        .set("/p0", Page::html(policy_page(0, 5, 1, 4_000)).with_etag());
    let r = f.check();
    assert_eq!(ids(&r, "changed_ids"), ["p0/privacy-policy"]);
}

#[test]
fn markup_only_churn_inside_the_selection_gives_no_version() {
    let f = Fixture::new();
    f.write_config(&[("a", "terms-of-service", "/t")], "");
    f.server.set(
        "/t",
        Page::html("<main><div class=\"x1\"><h1>Terms</h1><p>Be  nice.</p></div></main>"),
    );
    f.check();
    f.server.set(
        "/t",
        Page::html("<main class=\"m\">\n  <section data-v=\"9\"><div class=\"q7\">\n <h1 id=\"h\">Terms</h1>\n  <p>Be nice.</p>\n</div></section>\n</main>"),
    );
    let r = f.check();
    assert_eq!(r["changed"].as_u64(), Some(0));
    assert_eq!(f.count("main"), 1);
    // The same text: a noise fetch, whose page is not kept (`archive.snapshots = "versions"`).
    assert_eq!(f.count("snapshots"), 1);
}

#[test]
fn an_empty_selection_is_an_error_never_an_empty_version() {
    let f = Fixture::new();
    f.write_config(
        &[
            ("a", "terms-of-service", "/t"),
            ("b", "terms-of-service", "/u"),
        ],
        "",
    );
    f.server
        .set("/t", Page::html("<main><h1>Terms</h1><p>Text.</p></main>"));
    f.server
        .set("/u", Page::html("<main><h1>Terms</h1></main>"));
    f.check();
    // The layout changed: no <main> any more, or an empty one.
    f.server.set("/t", Page::html("<div id=\"app\"></div>"));
    f.server.set("/u", Page::html("<main>  </main>"));
    let r = f.check();
    assert_eq!(
        ids(&r, "error_ids"),
        ["a/terms-of-service", "b/terms-of-service"]
    );
    assert_eq!(f.count("main"), 2);
    assert_eq!(
        f.git(&["show", "main:a/terms-of-service.md"]),
        "# Terms\n\nText.\n"
    );
    let out = f.run(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("a/terms-of-service: extract: select rule \"main\" matched nothing"),
        "{text}"
    );
    assert!(
        text.contains("b/terms-of-service: extract: the selected region holds no text"),
        "{text}"
    );
}

#[test]
fn legacy_charsets_are_decoded() {
    let f = Fixture::new();
    f.write_config(
        &[("a", "privacy-policy", "/w"), ("b", "privacy-policy", "/s")],
        "",
    );
    let (w, _, _) = encoding_rs::WINDOWS_1252.encode("<main><p>Données – “protégées”</p></main>");
    let mut page = Page::html("");
    page.body = w.into_owned();
    page.content_type = "text/html; charset=windows-1252".into();
    f.server.set("/w", page);
    let (s, _, _) = encoding_rs::SHIFT_JIS.encode("<html><head><meta charset=\"shift_jis\"></head><main><p>個人情報の取り扱い</p></main></html>");
    let mut page = Page::html("");
    page.body = s.into_owned();
    page.content_type = "text/html".into();
    f.server.set("/s", page);
    f.check();
    assert_eq!(
        f.git(&["show", "main:a/privacy-policy.md"]),
        // Curly quotes decoded from windows-1252, then normalised to straight ones.
        "Données – \"protégées\"\n"
    );
    assert_eq!(
        f.git(&["show", "main:b/privacy-policy.md"]),
        "個人情報の取り扱い\n"
    );
}

#[test]
fn compressed_bodies_are_decoded() {
    use std::io::Write;
    let f = Fixture::new();
    f.write_config(&[("a", "privacy-policy", "/gz")], "");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"<main><p>Compressed policy.</p></main>")
        .expect("gzip");
    let mut page = Page::html("").header("content-encoding", "gzip");
    page.body = gz.finish().expect("gzip");
    f.server.set("/gz", page);
    f.check();
    assert_eq!(
        f.git(&["show", "main:a/privacy-policy.md"]),
        "Compressed policy.\n"
    );
}

/// A cycle spawns at most `check::IN_FLIGHT` (64) checks at a time and the next as one ends: a
/// cycle of more documents than that still checks every one of them, once, and records each
/// (a version on `main` per document, every id in the report).
#[test]
fn a_cycle_of_more_documents_than_in_flight_checks_every_one() {
    const N: usize = 150;
    let f = setup(N, false);
    let r = f.check();
    assert_eq!(
        (
            r["checked"].as_u64(),
            r["new"].as_u64(),
            r["errors"].as_u64()
        ),
        (Some(N as u64), Some(N as u64), Some(0)),
        "{r}"
    );
    let ids = r["new_ids"].as_array().expect("new_ids");
    let distinct: std::collections::BTreeSet<_> = ids.iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(distinct.len(), N, "{r}");
    assert!((0..N).all(|i| f.server.hits(&format!("/p{i}")) == 1));
    assert_eq!(f.count("main"), N);
    let r = f.check();
    assert_eq!(r["unchanged"].as_u64(), Some(N as u64), "{r}");
}
