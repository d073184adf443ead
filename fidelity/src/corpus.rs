//! The shared corpus: `MANIFEST.tsv` rows and each document's OTA declaration, translated into a
//! termtrail config.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// One fetch of one document.
#[derive(Debug, Clone)]
pub struct Row {
    /// The snapshot file name (no folder).
    pub snapshot: String,
    /// OTA's Markdown for this fetch, relative to the corpus root.
    pub ota_md: PathBuf,
    /// OTA recorded a content change at this fetch.
    pub ota_changed: bool,
    /// The independent visible-text check also saw a change.
    pub crosscheck_changed: bool,
    /// The capture time (RFC 3339).
    pub captured_at: String,
    /// The commit of OTA's version in force after this fetch, and its date (RFC 3339).
    pub ota_version: (String, String),
}

/// The corpus, grouped by document, rows in capture order.
pub struct Corpus {
    /// The corpus folder.
    pub root: PathBuf,
    /// Rows by `SERVICE/DOCTYPE`.
    pub docs: BTreeMap<String, Vec<Row>>,
}

impl Corpus {
    /// Reads `MANIFEST.tsv` under `root`.
    pub fn load(root: &Path) -> Result<Self> {
        let manifest = root.join("MANIFEST.tsv");
        let text = std::fs::read_to_string(&manifest)
            .with_context(|| format!("cannot read {}", manifest.display()))?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines
            .next()
            .context("empty manifest")?
            .split('\t')
            .collect();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .with_context(|| format!("manifest has no column {name}"))
        };
        let (svc, kind, snap, md, changed, cross) = (
            col("service")?,
            col("doctype")?,
            col("snapshot_file")?,
            col("ota_version_file")?,
            col("ota_content_changed")?,
            col("crosscheck_text_changed")?,
        );
        let (captured, version_commit, version_date) = (
            col("captured_at")?,
            col("ota_version_commit")?,
            col("ota_version_date")?,
        );
        let mut docs: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split('\t').collect();
            let doc = format!("{}/{}", f[svc], f[kind]);
            let snapshot = Path::new(f[snap])
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            docs.entry(doc).or_default().push(Row {
                snapshot,
                ota_md: PathBuf::from(f[md]),
                ota_changed: f[changed] == "yes",
                crosscheck_changed: f[cross] == "yes",
                captured_at: f[captured].to_owned(),
                ota_version: (f[version_commit].to_owned(), f[version_date].to_owned()),
            });
        }
        if docs.is_empty() {
            bail!("no rows in {}", manifest.display());
        }
        Ok(Self {
            root: root.to_path_buf(),
            docs,
        })
    }

    /// The folder of a document's files.
    pub fn dir(&self, doc: &str) -> PathBuf {
        self.root.join(doc)
    }
}

fn toml_rule(rule: &Value) -> Result<String> {
    Ok(match rule {
        Value::String(css) => serde_json::to_string(css)?,
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    Ok(format!(
                        "{k} = {}",
                        serde_json::to_string(v.as_str().context("range edges are strings")?)?
                    ))
                })
                .collect::<Result<_>>()?;
            format!("{{ {} }}", parts.join(", "))
        }
        other => bail!("unexpected rule {other}"),
    })
}

fn toml_rules(v: Option<&Value>) -> Result<Option<String>> {
    Ok(match v {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(format!(
            "[{}]",
            items
                .iter()
                .map(toml_rule)
                .collect::<Result<Vec<_>>>()?
                .join(", ")
        )),
        Some(single) => Some(format!("[{}]", toml_rule(single)?)),
    })
}

/// A `[[document]]` table for `doc`: its OTA declaration's URL, and its `select`/`remove` rules
/// when `with_rules` (else none: zero-config extraction).
pub fn document_toml(corpus: &Corpus, doc: &str, with_rules: bool) -> Result<String> {
    let path = corpus.dir(doc).join("declaration.json");
    let decl: Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?,
    )?;
    let d = &decl["declaration"];
    let (platform, kind) = doc.split_once('/').context("doc is SERVICE/DOCTYPE")?;
    let mut t = format!(
        "[[document]]\nplatform = {}\nkind = {}\nurl = {}\n",
        serde_json::to_string(platform)?,
        serde_json::to_string(kind)?,
        serde_json::to_string(d["fetch"].as_str().context("declaration has a fetch URL")?)?
    );
    if with_rules {
        for key in ["select", "remove"] {
            if let Some(rules) = toml_rules(d.get(key))? {
                t.push_str(&format!("{key} = {rules}\n"));
            }
        }
    }
    Ok(t)
}
