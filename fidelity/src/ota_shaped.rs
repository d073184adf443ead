//! The corpus laid out as an Open Terms Archive collection, for `termtrail migrate-ota`:
//! `declarations/SERVICE.json` (and `SERVICE.history.json` where a later declaration replaced the
//! one the corpus files were captured with), a snapshots repository with one commit per capture
//! (`SERVICE/TERMS TYPE.html`, dated at the capture) and a versions repository with one commit per
//! OTA version (`SERVICE/TERMS TYPE.md`, dated as OTA dated it). Built in a folder outside the
//! project; nothing of the corpus is copied into it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use git2::{IndexEntry, IndexTime, Repository, Signature, Time};
use serde_json::{json, Map, Value};

use crate::corpus::Corpus;

fn seconds(rfc3339: &str) -> Result<i64> {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .with_context(|| format!("{rfc3339:?} is not an RFC 3339 time"))?;
    Ok(t.unix_timestamp())
}

/// Commits `files` (path, bytes, time) to a new repository at `dir`, one commit each, in order.
fn commit_all(dir: &Path, files: &[(String, Vec<u8>, i64)]) -> Result<()> {
    let repo = Repository::init(dir)?;
    let mut index = repo.index()?;
    let mut parent: Option<git2::Oid> = None;
    for (path, bytes, at) in files {
        let entry = IndexEntry {
            ctime: IndexTime::new(0, 0),
            mtime: IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: git2::Oid::zero(),
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        index.add_frombuffer(&entry, bytes)?;
        index.write()?;
        let tree = repo.find_tree(index.write_tree()?)?;
        let sig = Signature::new("OTA", "ota@example.org", &Time::new(*at, 0))?;
        let parents: Vec<git2::Commit> = parent
            .iter()
            .map(|p| repo.find_commit(*p))
            .collect::<Result<_, _>>()?;
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        parent = Some(repo.commit(
            Some("HEAD"),
            &sig,
            &sig,
            &format!("Record {path}"),
            &tree,
            &refs,
        )?);
    }
    Ok(())
}

/// Writes the collection (see the module documentation) under `out`: `declarations/`,
/// `snapshots/` and `versions/`.
pub fn build(corpus: &Corpus, out: &Path) -> Result<()> {
    let mut services: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut histories: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut snapshots: Vec<(String, Vec<u8>, i64)> = Vec::new();
    let mut versions: BTreeMap<String, (String, Vec<u8>, i64)> = BTreeMap::new();
    for (doc, rows) in &corpus.docs {
        let path = corpus.dir(doc).join("declaration.json");
        let decl: Value = serde_json::from_str(
            &std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        )?;
        let service = decl["ota_service"]
            .as_str()
            .context("declaration.json names its OTA service")?
            .to_owned();
        let terms_type = decl["ota_terms_type"]
            .as_str()
            .context("declaration.json names its terms type")?
            .to_owned();
        // The corpus files were captured under `declaration`; a later one is the current one,
        // and the earlier one is valid until the later one was committed.
        let mut current = decl["declaration"].clone();
        if let Some(later) = decl["later_declarations"].as_array() {
            let mut past = Vec::new();
            for l in later {
                if l["declaration"].is_null() {
                    continue;
                }
                let mut entry = current.clone();
                entry["validUntil"] = l["declaration_commit_date"].clone();
                past.push(entry);
                current = l["declaration"].clone();
            }
            histories
                .entry(service.clone())
                .or_default()
                .insert(terms_type.clone(), Value::Array(past));
        }
        services
            .entry(service.clone())
            .or_default()
            .insert(terms_type.clone(), current);
        for row in rows {
            let bytes = std::fs::read(corpus.dir(doc).join(&row.snapshot))?;
            snapshots.push((
                format!("{service}/{terms_type}.html"),
                bytes,
                seconds(&row.captured_at)?,
            ));
            let (commit, date) = &row.ota_version;
            versions.entry(commit.clone()).or_insert((
                format!("{service}/{terms_type}.md"),
                std::fs::read(corpus.root.join(&row.ota_md))?,
                seconds(date)?,
            ));
        }
    }
    let declarations = out.join("declarations");
    std::fs::create_dir_all(&declarations)?;
    for (service, terms) in &services {
        let file = json!({ "name": service, "terms": terms });
        std::fs::write(
            declarations.join(format!("{service}.json")),
            serde_json::to_string_pretty(&file)?,
        )?;
    }
    for (service, terms) in &histories {
        std::fs::write(
            declarations.join(format!("{service}.history.json")),
            serde_json::to_string_pretty(terms)?,
        )?;
    }
    snapshots.sort_by_key(|s| s.2);
    commit_all(&out.join("snapshots"), &snapshots)?;
    let mut versions: Vec<_> = versions.into_values().collect();
    versions.sort_by_key(|v| v.2);
    commit_all(&out.join("versions"), &versions)?;
    Ok(())
}
