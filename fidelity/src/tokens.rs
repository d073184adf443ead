//! `--tokens`: the fingerprint's byte tokenizer against html5ever's on every page of the corpus
//! (real pages, never seen by its tests): where it does not give up, the tokens must be the same.

use anyhow::{Context, Result};

use crate::corpus::Corpus;

/// Pages the byte tokenizer read (same tokens), gave up on, and read differently.
#[derive(Debug, Default)]
pub struct Tally {
    pub read: usize,
    pub gave_up: usize,
    pub differ: Vec<String>,
}

pub fn run(corpus: &Corpus) -> Result<Tally> {
    let mut tally = Tally::default();
    for (doc, rows) in &corpus.docs {
        for row in rows {
            let path = corpus.dir(doc).join(&row.snapshot);
            if path.extension().is_none_or(|e| e != "html") {
                continue;
            }
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let html = String::from_utf8_lossy(&bytes);
            match termtrail_extract::byte_tokenizer_agrees(&html) {
                None => tally.gave_up += 1,
                Some(true) => tally.read += 1,
                Some(false) => tally.differ.push(format!("{doc}/{}", row.snapshot)),
            }
        }
    }
    Ok(tally)
}
