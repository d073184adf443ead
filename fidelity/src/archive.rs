//! One archive holding the whole corpus: every document imported with its OTA declaration
//! translated to rules, as `termtrail import` would record it. Used to score change summaries on
//! the labelled changes and to try the reading commands (`diff`, `compare`, ...) on real histories.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use termtrail::archive::{open_read_only, History};
use termtrail::check::{Engine, Outcome};
use termtrail::config::Config;
use termtrail::document::DocumentId;

use crate::corpus::{self, Corpus};

/// What the import recorded for one fetch of the corpus.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// `version_index` of the manifest (1-based, capture order).
    pub index: usize,
    /// The version commit this fetch gave, if it gave one.
    pub commit: Option<String>,
    /// The document's text after this fetch (the last recorded version), if any.
    pub text: Option<String>,
}

/// The config of an archive at `archive` tracking every corpus document with its declaration.
pub fn config_toml(corpus: &Corpus, archive: &Path) -> Result<String> {
    let mut toml = format!(
        "[archive]\npath = {}\nfsync = false\n\n",
        serde_json::to_string(&archive.display().to_string())?
    );
    for doc in corpus.docs.keys() {
        toml.push_str(&corpus::document_toml(corpus, doc, true)?);
        toml.push('\n');
    }
    Ok(toml)
}

/// Imports every document of the corpus into a new archive at `archive` (which must not exist),
/// writes its config beside it as `termtrail.toml`, and returns each document's fetches in order.
pub async fn build(corpus: &Corpus, archive: &Path) -> Result<HashMap<String, Vec<Fetch>>> {
    let toml = config_toml(corpus, archive)?;
    let config = Config::parse(&toml, "<corpus archive>")?;
    if let Some(parent) = archive.parent() {
        std::fs::create_dir_all(parent)?;
        std::fs::write(parent.join("termtrail.toml"), &toml)?;
    }
    let (engine, writer) = Engine::start(&config.engine_settings(), Default::default())?;
    let mut outcomes = HashMap::new();
    for document in &config.documents {
        let doc = document.id.to_string();
        let captures = termtrail::import::captures_in(&corpus.dir(&doc))?;
        let results = engine.import(document, captures).await;
        outcomes.insert(doc, results);
    }
    drop(engine);
    writer.close();

    let repo = open_read_only(archive)?;
    let history = History::new(&repo);
    let mut out = HashMap::new();
    for (doc, results) in outcomes {
        let id = DocumentId::parse(&doc).context("corpus folder names are slugs")?;
        // Version commits by commit time (= capture time).
        let filter = termtrail::document::DocumentFilter::parse(&doc)?;
        let mut by_time = HashMap::new();
        for v in history.versions(Some(&filter))? {
            by_time.insert(v.time, v.commit);
        }
        let mut fetches = Vec::new();
        let mut text = None;
        for (i, r) in results.iter().enumerate() {
            let mut commit = None;
            if matches!(r.outcome, Outcome::New | Outcome::Changed) {
                let secs =
                    r.at.duration_since(std::time::SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs() as i64);
                let c = by_time
                    .get(&secs)
                    .with_context(|| format!("{doc}: no version commit at {}", r.label))?;
                text = history.text_in(*c, &id)?;
                commit = Some(c.to_string());
            }
            fetches.push(Fetch {
                index: i + 1,
                commit,
                text: text.clone(),
            });
        }
        out.insert(doc, fetches);
    }
    Ok(out)
}
