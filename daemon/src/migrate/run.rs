//! One migration's two halves: read the collection and write the config ([`prepare`]); with the
//! OTA repositories, import every document's history and score it against OTA's versions
//! ([`import_histories`]). The command layer (`commands/migrate_ota.rs`) parses the written config
//! and starts the engine between the two.

use std::path::{Path, PathBuf};

use git2::Repository;

use super::declaration::{declarations_dir, load_collection, CollectionError};
use super::replay::{import_document, DocumentReport};
use super::snapshots::{plan_fetches, read_changes, Changes};
use super::translate::{config_toml, translate, MigratedDocument, Migration, HEADER};
use super::versions::ota_versions;
use super::Warning;
use crate::check::Engine;
use crate::document::Document;

/// What to migrate, and where to.
#[derive(Debug, Clone)]
pub struct Options {
    /// The collection's `declarations` folder (or the collection folder holding it).
    pub declarations: PathBuf,
    /// The config file to write.
    pub output: PathBuf,
    /// OTA's snapshots repository: import every document's history from it.
    pub snapshots: Option<PathBuf>,
    /// OTA's versions repository: score the imported texts against it.
    pub versions: Option<PathBuf>,
}

/// Why a migration stopped.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The collection cannot be read.
    #[error(transparent)]
    Collection(#[from] CollectionError),
    /// The output exists and was not written by `migrate-ota`.
    #[error("{0} exists and was not written by `termtrail migrate-ota`; give another --output (the migration never overwrites a config written by hand)")]
    WouldOverwrite(PathBuf),
    /// The output cannot be read or written.
    #[error("cannot write the config {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An OTA repository cannot be read.
    #[error(
        "cannot read the OTA {what} repository {path}: {source}; give the folder of a clone of it"
    )]
    Repository {
        /// "snapshots" or "versions".
        what: &'static str,
        /// The repository.
        path: PathBuf,
        /// libgit2's error.
        source: git2::Error,
    },
}

/// Progress of the import, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The import starts: this many fetches in all.
    Start {
        /// Fetches found, all documents together.
        fetches: u64,
    },
    /// Now importing this document.
    Document(String),
    /// One more fetch done (imported or skipped).
    Fetch,
}

/// What a migration did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The config written.
    pub output: PathBuf,
    /// Whether the file changed (false: it already held exactly this config).
    pub written: bool,
    /// Documents in the config.
    pub documents: usize,
    /// Documents of the collection left out of the config.
    pub left_out: usize,
    /// Everything that could not be carried over.
    pub warnings: Vec<Warning>,
    /// Per document, with the snapshots repository.
    pub reports: Vec<DocumentReport>,
}

fn open(what: &'static str, path: &Path) -> Result<(Repository, Changes), MigrateError> {
    let err = |source| MigrateError::Repository {
        what,
        path: path.to_path_buf(),
        source,
    };
    let repo = Repository::open(path).map_err(err)?;
    let changes = read_changes(&repo).map_err(err)?;
    Ok((repo, changes))
}

/// Writes `text` to `path` unless it holds it already; refuses a file `migrate-ota` did not write.
fn write_config(path: &Path, text: &str) -> Result<bool, MigrateError> {
    let write_err = |source| MigrateError::Write {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(existing) if existing == text => return Ok(false),
        Ok(existing) if !existing.starts_with(HEADER) => {
            return Err(MigrateError::WouldOverwrite(path.to_path_buf()))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(write_err(e)),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    // Whole or not at all: a config cut short by a crash would not parse.
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).map_err(write_err)?;
    std::fs::rename(&tmp, path).map_err(write_err)?;
    Ok(true)
}

/// The collection read and its config written: the first half of a migration.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The collection's documents, translated.
    pub migration: Migration,
    /// The config text written.
    pub text: String,
    /// Whether the file changed (false: it already held exactly this config).
    pub written: bool,
    /// Everything that could not be carried over.
    pub warnings: Vec<Warning>,
}

/// Reads the collection, translates it and writes the config (unless it holds it already).
pub fn prepare(options: &Options) -> Result<Prepared, MigrateError> {
    let dir = declarations_dir(&options.declarations);
    let (services, mut warnings) = load_collection(&dir)?;
    let migration = translate(&services);
    warnings.extend(migration.warnings.iter().cloned());
    let text = config_toml(&migration);
    let written = write_config(&options.output, &text)?;
    Ok(Prepared {
        migration,
        text,
        written,
        warnings,
    })
}

/// OTA's repositories, opened with their changes read.
pub struct Repositories {
    snapshots: (Repository, Changes),
    versions: Option<(Repository, Changes)>,
}

impl Repositories {
    /// Opens the repositories of `options`; `None` without a snapshots repository (then there
    /// is no history to import).
    pub fn open(options: &Options) -> Result<Option<Self>, MigrateError> {
        let Some(snapshots) = &options.snapshots else {
            return Ok(None);
        };
        let snapshots = open("snapshots", snapshots)?;
        let versions = match &options.versions {
            Some(p) => Some(open("versions", p)?),
            None => None,
        };
        Ok(Some(Self {
            snapshots,
            versions,
        }))
    }

    /// How many fetches the documents' histories hold, all together (for a progress bar).
    pub fn fetches<'a>(&self, docs: impl IntoIterator<Item = &'a MigratedDocument>) -> usize {
        docs.into_iter()
            .map(|d| {
                plan_fetches(&self.snapshots.1, &d.service_id, &d.terms_type, &d.history).len()
            })
            .sum()
    }
}

/// Imports the history of each document of `docs` (a migrated document, and the termtrail
/// document of each of its declarations, in the order of `MigratedDocument::tables`) into the
/// archive at `archive` through `engine`, scoring it against OTA's versions when the versions
/// repository is open. Warnings about unreadable versions go to `warnings`.
pub async fn import_histories(
    repos: &Repositories,
    docs: &[(&MigratedDocument, Vec<Result<Document, String>>)],
    engine: &Engine,
    archive: &Path,
    warnings: &mut Vec<Warning>,
    mut progress: impl FnMut(Progress),
) -> Vec<DocumentReport> {
    progress(Progress::Start {
        fetches: repos.fetches(docs.iter().map(|(d, _)| *d)) as u64,
    });
    let mut reports = Vec::with_capacity(docs.len());
    for (doc, declared) in docs {
        progress(Progress::Document(doc.id.to_string()));
        let ota = match &repos.versions {
            Some((repo, changes)) => {
                match ota_versions(repo, changes, &doc.service_id, &doc.terms_type) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        warnings.push(Warning::document(
                            &doc.id.to_string(),
                            format!(
                                "OTA's versions cannot be read, so the texts are not scored: {e}"
                            ),
                        ));
                        None
                    }
                }
            }
            None => None,
        };
        let report = import_document(
            engine,
            archive,
            &repos.snapshots,
            doc,
            declared,
            ota.as_deref(),
            || progress(Progress::Fetch),
        )
        .await;
        reports.push(report);
    }
    reports
}
