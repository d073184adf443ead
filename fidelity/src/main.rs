//! `termtrail-fidelity`: replays every document of the shared corpus (real policy histories
//! captured by Open Terms Archive) through termtrail's import pipeline, twice: with each OTA
//! declaration translated into termtrail rules, and zero-config. Prints, per document: fetches,
//! versions expected (OTA), versions recorded, noise versions, missed changes, held texts, and the
//! mean similarity of the recorded versions to OTA's Markdown of the same fetch.
//!
//! `--check` exits non-zero when, with declarations, any noise version or missed change appears or
//! a document's mean similarity is under 0.95. See docs/fidelity.md.
//!
//! `--labels` instead scores change summaries (class, topics) against the changes people labelled:
//! the shared corpus's `LABELS.tsv` and our synthetic set in `fidelity/labelled/`; with `--check`
//! it exits non-zero when, on the shared set, class accuracy is under 0.95, topic precision under
//! 0.80 or topic recall under 0.90.

mod archive;
mod corpus;
mod labels;
mod ota_shaped;
mod tokens;

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context, Result};
use clap::Parser;
use termtrail::archive::{open_read_only, History};
use termtrail::check::{Engine, Outcome};
use termtrail::config::Config;
use termtrail::document::DocumentId;

use corpus::Corpus;

#[derive(Debug, Parser)]
#[command(about = "Score termtrail against Open Terms Archive on the shared corpus")]
struct Args {
    /// The corpus folder (with MANIFEST.tsv).
    #[arg(default_value = "../shared/corpus")]
    corpus: PathBuf,
    /// Fail (exit 1) when the declaration run has a noise version, a missed change, or a document
    /// under 0.95 similarity.
    #[arg(long)]
    check: bool,
    /// Only this mode. `migration` (never run by default) lays the corpus out as an OTA
    /// collection and runs `migrate-ota` on it, printing its summary table.
    #[arg(long, value_parser = ["declarations", "zero-config", "migration"])]
    mode: Option<String>,
    /// Only build one archive of the whole corpus (with declarations) at DIR/archive, with its
    /// config at DIR/termtrail.toml, for trying termtrail's reading commands on it; then exit.
    #[arg(long, value_name = "DIR")]
    archive: Option<PathBuf>,
    /// Instead, compare the fingerprint's byte tokenizer with html5ever's on every corpus page;
    /// with --check, exit non-zero when they read a page differently.
    #[arg(long)]
    tokens: bool,
    /// Score change summaries against the labelled changes instead (see docs/fidelity.md).
    #[arg(long)]
    labels: bool,
    /// With --labels: the versions compared, as termtrail records them (import with the OTA
    /// declarations) or OTA's Markdown.
    #[arg(long, value_parser = ["termtrail", "ota"], default_value = "termtrail")]
    texts: String,
    /// With --labels: our synthetic labelled set.
    #[arg(long, value_name = "DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/labelled"))]
    labelled: PathBuf,
    /// With --labels: also print the changed provisions of the changes whose name contains this.
    #[arg(long, value_name = "CHANGE")]
    show: Option<String>,
    /// Write the corpus as an OTA collection (declarations/, snapshots/, versions/) into DIR and
    /// exit: for running `termtrail migrate-ota` by hand.
    #[arg(long, value_name = "DIR")]
    ota_shaped: Option<PathBuf>,
}

/// Least class accuracy and topic precision and recall on the shared labelled set (`--check`).
const GATE_ACCURACY: f64 = 0.95;
const GATE_PRECISION: f64 = 0.80;
const GATE_RECALL: f64 = 0.90;

fn run_labels(args: &Args, corpus: &Corpus, rt: &tokio::runtime::Runtime) -> Result<()> {
    let taxonomy = termtrail::summary::Taxonomy::default();
    let labels = labels::read(&corpus.root.join("LABELS.tsv"))?;
    let tmp = tempfile::tempdir()?;
    let fetches = if args.texts == "termtrail" {
        Some(rt.block_on(archive::build(corpus, &tmp.path().join("archive")))?)
    } else {
        None
    };
    let scored = labels::score_corpus(corpus, labels, fetches.as_ref(), &taxonomy)?;
    let title = format!(
        "Shared corpus ({} texts)",
        if fetches.is_some() {
            "termtrail's"
        } else {
            "OTA's"
        }
    );
    let shared = labels::print(&title, &scored);
    let synthetic = labels::score_dir(&args.labelled, &taxonomy)?;
    labels::print("Synthetic set (fidelity/labelled)", &synthetic);
    if let Some(filter) = &args.show {
        labels::show(&scored, filter);
        labels::show(&synthetic, filter);
    }
    if args.check {
        let ok = shared.accuracy() >= GATE_ACCURACY
            && shared.precision() >= GATE_PRECISION
            && shared.recall() >= GATE_RECALL;
        if !ok {
            eprintln!(
                "\nlabels gate failed on the shared set: class accuracy {:.3} (>= {GATE_ACCURACY}), topic precision {:.3} (>= {GATE_PRECISION}), recall {:.3} (>= {GATE_RECALL})",
                shared.accuracy(),
                shared.precision(),
                shared.recall()
            );
            std::process::exit(1);
        }
        println!(
            "\nlabels gate passed on the shared set: class accuracy >= {GATE_ACCURACY}, topic precision >= {GATE_PRECISION}, recall >= {GATE_RECALL}"
        );
    }
    Ok(())
}

#[derive(Debug, Default, Clone)]
struct Score {
    doc: String,
    fetches: usize,
    expected: usize,
    recorded: usize,
    noise: usize,
    missed: usize,
    held: usize,
    errors: usize,
    similarity: f64,
    notes: Vec<String>,
}

async fn score(corpus: &Corpus, doc: &str, with_rules: bool) -> Result<Score> {
    let rows = &corpus.docs[doc];
    let tmp = tempfile::tempdir()?;
    let archive = tmp.path().join("archive");
    let toml = format!(
        "[archive]\npath = {}\nfsync = false\n\n{}",
        serde_json::to_string(&archive.display().to_string())?,
        corpus::document_toml(corpus, doc, with_rules)?
    );
    let config = Config::parse(&toml, &format!("<{doc}>"))?;
    let document = config.documents[0].clone();
    let captures = termtrail::import::captures_in(&corpus.dir(doc))?;
    let (engine, writer) = Engine::start(&config.engine_settings(), Default::default())?;
    let results = engine.import(&document, captures).await;
    drop(engine);
    writer.close();

    // The recorded text of each version, by capture time (= commit time).
    let repo = open_read_only(&archive)?;
    let history = History::new(&repo);
    let id = DocumentId::parse(doc).context("corpus folder names are slugs")?;
    let mut texts = std::collections::HashMap::new();
    for v in history.versions(None)? {
        if let Some(t) = history.text_in(v.commit, &id)? {
            texts.insert(v.time, t);
        }
    }

    let mut s = Score {
        doc: doc.to_owned(),
        fetches: rows.len(),
        ..Score::default()
    };
    let mut sims = Vec::new();
    let mut previous = Outcome::Unchanged;
    for (row, r) in rows.iter().zip(&results) {
        assert_eq!(
            row.snapshot, r.label,
            "captures and manifest rows are in the same order"
        );
        let recorded = matches!(r.outcome, Outcome::New | Outcome::Changed);
        s.expected += usize::from(row.ota_changed);
        s.recorded += usize::from(recorded);
        match r.outcome {
            Outcome::Held => {
                s.held += 1;
                s.notes.push(format!(
                    "{}: held (suspicious text, see docs/fidelity.md)",
                    row.snapshot
                ));
            }
            Outcome::Error => {
                s.errors += 1;
                s.notes.push(format!(
                    "{}: error: {}",
                    row.snapshot,
                    r.error
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ));
            }
            _ => {}
        }
        if recorded && !row.ota_changed {
            s.noise += 1;
            s.notes.push(format!("{}: noise version", row.snapshot));
        }
        // A held text is deliberate, and so is the fetch after a dropped hold (the old text came
        // back: OTA records the error page and its disappearance as two versions, we record none).
        let explained = matches!(r.outcome, Outcome::Held)
            || (previous == Outcome::Held && r.outcome == Outcome::Unchanged);
        if !recorded && row.ota_changed && row.crosscheck_changed && !explained {
            s.missed += 1;
            s.notes.push(format!("{}: missed change", row.snapshot));
        }
        if recorded {
            let secs =
                r.at.duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
            let ours = texts
                .get(&secs)
                .with_context(|| format!("no version text at {}", row.snapshot))?;
            let ota = std::fs::read_to_string(corpus.root.join(&row.ota_md))?;
            sims.push(termtrail::migrate::similarity::similarity(ours, &ota));
        }
        previous = r.outcome;
    }
    s.similarity = if sims.is_empty() {
        0.0
    } else {
        sims.iter().sum::<f64>() / sims.len() as f64
    };
    Ok(s)
}

fn print_table(title: &str, scores: &[Score]) {
    println!("\n### {title}\n");
    println!("| document | fetches | versions expected (OTA) | versions recorded | noise versions | missed changes | held | errors | mean similarity |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut t = Score::default();
    for s in scores {
        println!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {:.3} |",
            s.doc,
            s.fetches,
            s.expected,
            s.recorded,
            s.noise,
            s.missed,
            s.held,
            s.errors,
            s.similarity
        );
        t.fetches += s.fetches;
        t.expected += s.expected;
        t.recorded += s.recorded;
        t.noise += s.noise;
        t.missed += s.missed;
        t.held += s.held;
        t.errors += s.errors;
    }
    let mean = scores.iter().map(|s| s.similarity).sum::<f64>() / scores.len().max(1) as f64;
    let min = scores.iter().map(|s| s.similarity).fold(1.0_f64, f64::min);
    println!(
        "| **total** | {} | {} | {} | {} | {} | {} | {} | {:.3} (min {:.3}) |",
        t.fetches, t.expected, t.recorded, t.noise, t.missed, t.held, t.errors, mean, min
    );
    let notes: Vec<_> = scores
        .iter()
        .flat_map(|s| s.notes.iter().map(move |n| format!("{}/{n}", s.doc)))
        .collect();
    if !notes.is_empty() {
        println!();
        for n in notes {
            println!("- {n}");
        }
    }
}

/// Runs `migrate-ota` on the corpus laid out as an OTA collection, in a temporary folder.
fn migration(corpus: &Corpus, rt: &tokio::runtime::Runtime) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    ota_shaped::build(corpus, tmp.path())?;
    // The migrated config puts the archive in the working folder, as a user's would.
    let here = std::env::current_dir()?;
    std::env::set_current_dir(tmp.path())?;
    let options = termtrail::migrate::run::Options {
        declarations: tmp.path().join("declarations"),
        output: tmp.path().join("termtrail.toml"),
        snapshots: Some(tmp.path().join("snapshots")),
        versions: Some(tmp.path().join("versions")),
    };
    let summary = rt.block_on(termtrail::commands::migrate_ota::migrate(&options, |_| {}));
    std::env::set_current_dir(here)?;
    let summary = summary?;
    println!("\n### Migration (`migrate-ota` on the corpus as an OTA collection)\n");
    print!("{}", termtrail::migrate::report::render(&summary));
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    let corpus = Corpus::load(&args.corpus)?;
    if let Some(dir) = &args.ota_shaped {
        ota_shaped::build(&corpus, dir)?;
        println!("wrote the corpus as an OTA collection in {}", dir.display());
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(dir) = &args.archive {
        let path = dir.join("archive");
        anyhow::ensure!(
            !path.exists(),
            "{} exists already; give a new folder",
            path.display()
        );
        rt.block_on(archive::build(&corpus, &path))?;
        println!(
            "archive: {}
config:  {}",
            path.display(),
            dir.join("termtrail.toml").display()
        );
        return Ok(());
    }
    if args.tokens {
        let t = tokens::run(&corpus)?;
        println!(
            "byte tokenizer on {} corpus pages: {} read with html5ever's tokens, {} left to html5ever, {} read differently",
            t.read + t.gave_up + t.differ.len(),
            t.read,
            t.gave_up,
            t.differ.len()
        );
        for page in &t.differ {
            eprintln!("  read differently: {page}");
        }
        anyhow::ensure!(
            !args.check || t.differ.is_empty(),
            "the byte tokenizer read {} corpus pages differently from html5ever",
            t.differ.len()
        );
        return Ok(());
    }
    if args.labels {
        return run_labels(&args, &corpus, &rt);
    }
    if args.mode.as_deref() == Some("migration") {
        return migration(&corpus, &rt);
    }
    let mut failures = Vec::new();
    for (title, with_rules) in [
        ("With OTA declarations", true),
        ("Zero-config (URL only)", false),
    ] {
        let mode = if with_rules {
            "declarations"
        } else {
            "zero-config"
        };
        if args.mode.as_deref().is_some_and(|m| m != mode) {
            continue;
        }
        let mut scores = Vec::new();
        for doc in corpus.docs.keys() {
            scores.push(rt.block_on(score(&corpus, doc, with_rules))?);
        }
        print_table(title, &scores);
        if with_rules {
            for s in &scores {
                if s.noise > 0 || s.missed > 0 || s.similarity < 0.95 {
                    failures.push(format!(
                        "{}: {} noise, {} missed, similarity {:.3}",
                        s.doc, s.noise, s.missed, s.similarity
                    ));
                }
            }
        }
    }
    if args.check && !failures.is_empty() {
        eprintln!("\nfidelity gate failed (declarations: 0 noise, 0 missed, similarity >= 0.95 per document):");
        for f in &failures {
            eprintln!("  {f}");
        }
        std::process::exit(1);
    }
    if args.check {
        println!("\nfidelity gate passed: with declarations, 0 noise versions, 0 missed changes, every document >= 0.95");
    }
    Ok(())
}
