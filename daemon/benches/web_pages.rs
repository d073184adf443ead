//! How long the web view takes to build its pages over a document with 1,000 versions (a 30 KB
//! policy, one clause changed per version): the archive read, the data and the HTML, as a
//! request does them (the HTTP layer aside). Prints the median and the worst of several runs.
//!
//! `cargo bench -p termtrail --bench web_pages`

use std::time::{Duration, Instant};

use git2::{Repository, Signature, Time};
use termtrail::archive::State;
use termtrail::summary::Taxonomy;
use termtrail::web::data::{document_id, Reader};
use termtrail::web::facts::FactsCache;
use termtrail::web::html;
use termtrail::web::provisions::TimelineCache;

const VERSIONS: usize = 1_000;

fn policy(revision: usize) -> String {
    let mut s = String::from("# Terms of service\n\n");
    for i in 0..140 {
        s.push_str(&format!("## Section {i}\n\n"));
        // One clause per version changes, in turn; the rest stays.
        let edit = if i == revision % 140 {
            format!(" (revision {revision})")
        } else {
            String::new()
        };
        s.push_str(&format!(
            "Clause {i}{edit}: we may process, retain and share the information you provide with \
             service providers for the purposes described in section {}, for as long as needed.\n\n",
            (i * 7) % 97
        ));
        s.push_str("- <script>alert(1)</script> & other text shown as text\n\n");
    }
    s
}

/// A bare archive with `VERSIONS` commits of `bench/terms-of-service` on `main`.
fn archive(dir: &std::path::Path) {
    let repo = Repository::init_bare(dir).expect("init");
    let mut parent: Option<git2::Oid> = None;
    for v in 0..VERSIONS {
        let blob = repo.blob(policy(v).as_bytes()).expect("blob");
        let mut sub = repo.treebuilder(None).expect("tree");
        sub.insert("terms-of-service.md", blob, 0o100644)
            .expect("insert");
        let sub = sub.write().expect("write");
        let mut root = repo.treebuilder(None).expect("tree");
        root.insert("bench", sub, 0o040000).expect("insert");
        let tree = repo.find_tree(root.write().expect("write")).expect("tree");
        let sig = Signature::new(
            "bench",
            "bench@localhost",
            &Time::new(1_700_000_000 + v as i64 * 3600, 0),
        )
        .expect("signature");
        let parents: Vec<_> = parent
            .iter()
            .map(|p| repo.find_commit(*p).expect("parent"))
            .collect();
        let parents: Vec<_> = parents.iter().collect();
        let message = "Update bench terms of service\n\n1 line(s) added, 1 removed.\n\nDocument: bench/terms-of-service\nSource-URL: https://example.org/terms\n";
        parent = Some(
            repo.commit(
                Some("refs/heads/main"),
                &sig,
                &sig,
                message,
                &tree,
                &parents,
            )
            .expect("commit"),
        );
    }
}

fn time(what: &str, mut page: impl FnMut() -> usize) {
    let mut times: Vec<Duration> = (0..9)
        .map(|_| {
            let start = Instant::now();
            assert!(page() > 0);
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{what:<32} median {:>7.1} ms   worst {:>7.1} ms",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    archive(dir.path());
    let path = dir.path();
    let doc = document_id("bench", "terms-of-service").expect("id");
    let taxonomy = Taxonomy::default();
    let r = Reader::open(path).expect("open");
    let oldest = r
        .versions(&doc)
        .expect("versions")
        .last()
        .expect("one")
        .commit
        .clone();
    println!(
        "{VERSIONS} versions of a {} KB policy",
        policy(0).len() / 1024
    );
    let state = State::default();
    // The facts of every version (class, topics, dates: one provision summary each) are
    // computed once per server and kept by commit; the first timeline pays for them.
    let cache = FactsCache::default();
    let start = Instant::now();
    let cold = html::timeline(
        &Reader::open(path)
            .expect("open")
            .timeline(&doc, &cache, &taxonomy, None)
            .expect("timeline"),
    );
    assert!(!cold.is_empty());
    println!(
        "{:<32} once  {:>7.1} ms",
        "/d/P/K (timeline, cold cache)",
        start.elapsed().as_secs_f64() * 1e3
    );
    time("/ (documents)", || {
        let rows = Reader::open(path)
            .expect("open")
            .home(&state, &cache, &taxonomy)
            .expect("docs");
        html::home(&rows).len()
    });
    time("/d/P/K (timeline)", || {
        let t = Reader::open(path)
            .expect("open")
            .timeline(&doc, &cache, &taxonomy, None)
            .expect("timeline");
        html::timeline(&t).len()
    });
    time("/d/P/K?topic=data-sharing", || {
        let t = Reader::open(path)
            .expect("open")
            .timeline(&doc, &cache, &taxonomy, Some("data-sharing"))
            .expect("timeline");
        html::timeline(&t).len()
    });
    time("/d/P/K/COMMIT (oldest version)", || {
        html::version(
            &Reader::open(path)
                .expect("open")
                .version(&doc, &oldest)
                .expect("page"),
        )
        .len()
    });
    time("/d/P/K/diff (last change)", || {
        let d = Reader::open(path)
            .expect("open")
            .diff(&doc, None, None, &taxonomy)
            .expect("diff");
        html::diff(&d).len()
    });
    // The provision views replay the history (provision ids); the server keeps the replay per
    // document at its latest version, and every clause timeline from one replay.
    let replayer = termtrail::provisions::history::Replayer::default();
    let timelines = TimelineCache::default();
    let start = Instant::now();
    let page = Reader::open(path)
        .expect("open")
        .provisions(&doc, None, None, &replayer, &taxonomy)
        .expect("provisions");
    println!(
        "{:<32} once  {:>7.1} ms",
        "/d/P/K/provisions (cold replay)",
        start.elapsed().as_secs_f64() * 1e3
    );
    // The clause edited most often: the first section's clause.
    let id = page.provisions[2].id.clone();
    time("/api/d/P/K/provisions", || {
        let p = Reader::open(path)
            .expect("open")
            .provisions(&doc, None, None, &replayer, &taxonomy)
            .expect("provisions");
        serde_json::to_string(&p).expect("json").len()
    });
    let start = Instant::now();
    let t = Reader::open(path)
        .expect("open")
        .provision_timeline(&doc, &id, &timelines, &taxonomy)
        .expect("timeline");
    println!(
        "{:<32} once  {:>7.1} ms ({} changes of {id})",
        "/d/P/K/provision/ID (cold)",
        start.elapsed().as_secs_f64() * 1e3,
        t.changes.len()
    );
    time("/api/d/P/K/provision/ID", || {
        let t = Reader::open(path)
            .expect("open")
            .provision_timeline(&doc, &id, &timelines, &taxonomy)
            .expect("timeline");
        serde_json::to_string(&t).expect("json").len()
    });
}
