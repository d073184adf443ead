//! Replays a corpus of real snapshots (`MANIFEST.tsv` + HTML + Open Terms Archive's Markdown)
//! through the platform plugins, and reports per document: the word similarity of each
//! extraction to OTA's Markdown, and whether a new version appears exactly where OTA saw the
//! content change (`ota_content_changed`). Also measures one extraction in process versus in an
//! isolated plugin host.
//!
//! ```sh
//! cargo build --workspace --release
//! cargo run --release -p termtrail --example replay -- /path/to/corpus > docs/replay.md
//! ```
//!
//! The corpus stays outside the project; only the numbers are written out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use termtrail::plugin::{Isolation, LoadedPlugin, PluginEntry, PluginSettings};
use termtrail_extract::policy::request_for;

/// OTA service → the plugin covering it.
const SERVICES: &[(&str, &str)] = &[
    ("chatgpt", "openai"),
    ("claude-ai", "anthropic"),
    ("deepseek", "deepseek"),
    ("google-generative-ai", "google"),
    ("grok", "xai"),
    ("meta-ai", "meta"),
    ("llama-api", "meta"),
    ("microsoft-copilot", "microsoft"),
];

/// Words, lowercased, without Markdown punctuation: the two Markdown writers differ in bullets,
/// emphasis and link syntax, which is not what the comparison is about.
fn words(md: &str) -> Vec<String> {
    md.split(|c: char| c.is_whitespace() || "[]()*_#>`|".contains(c))
        .filter(|w| !w.is_empty() && !w.starts_with("http"))
        .map(str::to_lowercase)
        .collect()
}

fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (words(a), words(b));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let b: Vec<&str> = b.iter().map(String::as_str).collect();
    let diff = similar::TextDiff::configure()
        .timeout(Duration::from_secs(5))
        .diff_slices(&a, &b);
    f64::from(diff.ratio())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // The isolated mode re-executes this binary as the plugin host.
    if args.get(1).map(String::as_str) == Some("plugin-host") {
        termtrail::plugin::serve_command_line(&args[2..]).expect("plugin host");
        return;
    }
    let corpus = PathBuf::from(args.get(1).expect("usage: replay CORPUS [PLUGIN_DIR]"));
    let plugin_dir = args.get(2).map(PathBuf::from).unwrap_or_else(|| {
        // target/<profile>/examples/replay → target/<profile>
        let exe = std::env::current_exe().expect("own path");
        exe.parent()
            .and_then(Path::parent)
            .expect("inside target/")
            .to_path_buf()
    });
    let settings = |isolation| PluginSettings {
        dirs: vec![plugin_dir.clone()],
        isolation: Some(isolation),
        entries: BTreeMap::<String, PluginEntry>::new(),
        ..PluginSettings::default()
    };
    let mut plugins: BTreeMap<(&str, Isolation), LoadedPlugin> = BTreeMap::new();
    for (_, p) in SERVICES {
        for iso in [Isolation::None, Isolation::Process] {
            if let std::collections::btree_map::Entry::Vacant(e) = plugins.entry((*p, iso)) {
                let loaded = LoadedPlugin::load(p, &settings(iso))
                    .unwrap_or_else(|err| panic!("plugin {p}: {err}"));
                e.insert(loaded);
            }
        }
    }
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut lines = manifest.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let (c_service, c_doctype, c_snap, c_ota, c_changed, c_url) = (
        col("service"),
        col("doctype"),
        col("snapshot_file"),
        col("ota_version_file"),
        col("ota_content_changed"),
        col("fetch_url"),
    );
    println!("| document | plugin | snapshots | similarity to OTA (mean / min) | OTA changes | our new versions | matching | false new (noise recorded) | missed | errors |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut in_process = Vec::new();
    let mut isolated = Vec::new();
    let mut docs: BTreeMap<(String, String), Vec<Vec<String>>> = BTreeMap::new();
    for line in lines {
        let f: Vec<String> = line.split('\t').map(str::to_owned).collect();
        docs.entry((f[c_service].clone(), f[c_doctype].clone()))
            .or_default()
            .push(f);
    }
    let mut totals = (0, 0, 0, 0);
    for ((service, doctype), rows) in &docs {
        let Some((_, plugin)) = SERVICES.iter().find(|(s, _)| s == service) else {
            continue;
        };
        let (mut sims, mut errors) = (Vec::new(), 0);
        let (mut ota_changes, mut ours, mut matching, mut false_new, mut missed) = (0, 0, 0, 0, 0);
        let mut previous: Option<String> = None;
        for (i, f) in rows.iter().enumerate() {
            let html = std::fs::read(corpus.join(&f[c_snap])).expect("snapshot");
            let html = String::from_utf8_lossy(&html);
            let ota = std::fs::read_to_string(corpus.join(&f[c_ota])).unwrap_or_default();
            let request = request_for(doctype, &f[c_url], &html);
            let t = Instant::now();
            let result = plugins[&(*plugin, Isolation::None)].extract(&request);
            in_process.push(t.elapsed());
            let t = Instant::now();
            let iso = plugins[&(*plugin, Isolation::Process)].extract(&request);
            isolated.push(t.elapsed());
            assert_eq!(
                result.as_ref().map(|d| &d.text).ok(),
                iso.as_ref().map(|d| &d.text).ok(),
                "in-process and isolated extractions differ"
            );
            let text = match result {
                Ok(d) => termtrail_extract::normalise_text(&d.text),
                Err(e) => {
                    eprintln!("{service}/{doctype} #{}: {e}", i + 1);
                    errors += 1;
                    continue;
                }
            };
            sims.push(similarity(&text, &ota));
            if i > 0 {
                let ota_changed = f[c_changed] == "yes";
                let we_changed = previous.as_deref() != Some(text.as_str());
                ota_changes += usize::from(ota_changed);
                ours += usize::from(we_changed);
                match (ota_changed, we_changed) {
                    (true, true) | (false, false) => matching += 1,
                    (false, true) => false_new += 1,
                    (true, false) => missed += 1,
                }
            }
            previous = Some(text);
        }
        let mean = sims.iter().sum::<f64>() / sims.len().max(1) as f64;
        let min = sims.iter().copied().fold(1.0, f64::min);
        println!(
            "| `{service}/{doctype}` | {plugin} | {} | {mean:.3} / {min:.3} | {ota_changes} | {ours} | {matching}/{} | {false_new} | {missed} | {errors} |",
            rows.len(),
            rows.len() - 1
        );
        totals.0 += matching;
        totals.1 += rows.len() - 1;
        totals.2 += false_new;
        totals.3 += missed;
    }
    println!(
        "\nTransitions matching OTA: {}/{}; noise-only fetches recorded as a new version: {}; real changes missed: {}.",
        totals.0, totals.1, totals.2, totals.3
    );
    println!(
        "\nOne extraction, median over the corpus: in process {:?}, isolated (plugin host process, JSON over pipes) {:?}.",
        median(in_process),
        median(isolated)
    );
}
