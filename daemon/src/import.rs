//! Importing a dated history of saved pages (`termtrail import`): files named with a capture time
//! (`…YYYY-MM-DDTHH-MM-SSZ….html`, as in Open Terms Archive exports), or the history of a file in
//! an OTA snapshots repository. Each capture goes through the normal pipeline, in time order, and
//! every commit is dated at its capture time.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use git2::{Repository, Sort};

use crate::check::{CheckError, Engine, Outcome};
use crate::document::Document;
use crate::fetch::Fetched;

/// Why an import cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The folder cannot be listed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The folder or file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No file carries a capture time.
    #[error("no file in {0} has a capture time YYYY-MM-DDTHH-MM-SSZ in its name (with extension .html, .htm, .txt, .json or .pdf)")]
    Empty(PathBuf),
    /// The OTA repository cannot be read.
    #[error("cannot read the OTA snapshots repository {path}: {source}")]
    Ota {
        /// The repository.
        path: PathBuf,
        /// libgit2's error.
        source: git2::Error,
    },
    /// No file of the OTA repository matches the document.
    #[error("no file in {repo} matches {doc} (OTA names it SERVICE/TERMS TYPE.html); pass --ota-file PATH")]
    OtaFileNotFound {
        /// The repository.
        repo: PathBuf,
        /// The document.
        doc: String,
    },
}

/// One capture to import.
#[derive(Debug, Clone)]
pub struct Capture {
    /// When it was captured; the commit date.
    pub at: SystemTime,
    /// Where it came from (file name or commit id), for reports.
    pub label: String,
    /// The raw bytes.
    pub body: Vec<u8>,
    /// The content type, from the extension.
    pub content_type: String,
}

/// The result of importing one capture.
#[derive(Debug)]
pub struct Imported {
    /// The capture's label.
    pub label: String,
    /// When it was captured.
    pub at: SystemTime,
    /// What the pipeline did.
    pub outcome: Outcome,
    /// The error, if it failed.
    pub error: Option<CheckError>,
}

/// The capture time in a file name: `YYYY-MM-DDTHH-MM-SSZ`.
pub fn capture_time(name: &str) -> Option<SystemTime> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(19)).find_map(|i| {
        let s = name.get(i..i + 20)?;
        let sb = s.as_bytes();
        let shape = sb.iter().enumerate().all(|(j, c)| match j {
            4 | 7 | 13 | 16 => *c == b'-',
            10 => *c == b'T',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
        if !shape {
            return None;
        }
        let fmt =
            time::macros::format_description!("[year]-[month]-[day]T[hour]-[minute]-[second]Z");
        let t = time::PrimitiveDateTime::parse(s, &fmt).ok()?.assume_utc();
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(t.unix_timestamp()).ok()?))
    })
}

pub(crate) fn content_type_for(ext: &str) -> Option<&'static str> {
    Some(match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" | "xhtml" => "text/html",
        "txt" => "text/plain",
        "json" => "application/json",
        "pdf" => "application/pdf",
        _ => return None,
    })
}

/// The captures in `dir`, oldest first.
pub fn captures_in(dir: &Path) -> Result<Vec<Capture>, ImportError> {
    let read = |source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let Some(ct) = path
            .extension()
            .and_then(|e| e.to_str())
            .and_then(content_type_for)
        else {
            continue;
        };
        let Some(at) = capture_time(&name) else {
            continue;
        };
        let body = std::fs::read(&path).map_err(|source| ImportError::Read {
            path: path.clone(),
            source,
        })?;
        out.push(Capture {
            at,
            label: name,
            body,
            content_type: ct.to_owned(),
        });
    }
    if out.is_empty() {
        return Err(ImportError::Empty(dir.to_path_buf()));
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.label.cmp(&b.label)));
    Ok(out)
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The history of one document's file in an OTA snapshots repository, oldest first, each capture
/// dated at its commit time. `file` defaults to the file whose slugified `SERVICE/TERMS TYPE`
/// matches the document id.
pub fn ota_captures(
    repo_path: &Path,
    doc: &Document,
    file: Option<&str>,
) -> Result<Vec<Capture>, ImportError> {
    let ota = |source| ImportError::Ota {
        path: repo_path.to_path_buf(),
        source,
    };
    let repo = Repository::open(repo_path).map_err(ota)?;
    let head = repo.head().and_then(|h| h.peel_to_commit()).map_err(ota)?;
    let path = match file {
        Some(f) => f.to_owned(),
        None => {
            let mut found = None;
            head.tree()
                .map_err(ota)?
                .walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                    let name = entry.name().unwrap_or_default();
                    let Some((stem, _ext)) = name.rsplit_once('.') else {
                        return git2::TreeWalkResult::Ok;
                    };
                    let service = dir.trim_end_matches('/');
                    if format!("{}/{}", slug(service), slug(stem)) == doc.id.to_string() {
                        found = Some(format!("{dir}{name}"));
                        return git2::TreeWalkResult::Abort;
                    }
                    git2::TreeWalkResult::Ok
                })
                .ok();
            found.ok_or_else(|| ImportError::OtaFileNotFound {
                repo: repo_path.to_path_buf(),
                doc: doc.id.to_string(),
            })?
        }
    };
    let ext = path.rsplit_once('.').map_or("html", |(_, e)| e);
    let ct = content_type_for(ext).unwrap_or("text/html");
    let mut walk = repo.revwalk().map_err(ota)?;
    walk.push(head.id()).map_err(ota)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(ota)?;
    let mut out = Vec::new();
    let mut last = None;
    for id in walk {
        let commit = repo.find_commit(id.map_err(ota)?).map_err(ota)?;
        let Ok(entry) = commit.tree().map_err(ota)?.get_path(Path::new(&path)) else {
            continue;
        };
        if last == Some(entry.id()) {
            continue;
        }
        last = Some(entry.id());
        let blob = repo.find_blob(entry.id()).map_err(ota)?;
        let secs = u64::try_from(commit.time().seconds()).unwrap_or(0);
        out.push(Capture {
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            label: commit.id().to_string(),
            body: blob.content().to_vec(),
            content_type: ct.to_owned(),
        });
    }
    if out.is_empty() {
        return Err(ImportError::OtaFileNotFound {
            repo: repo_path.to_path_buf(),
            doc: doc.id.to_string(),
        });
    }
    Ok(out)
}

impl Engine {
    /// Imports `captures` (oldest first) for `doc` through the normal pipeline.
    pub async fn import(&self, doc: &Document, captures: Vec<Capture>) -> Vec<Imported> {
        let mut out = Vec::new();
        let mut failed_last_time = false;
        for c in captures {
            let fetched =
                Fetched::stored(doc.url.clone(), c.body, Some(c.content_type.clone()), c.at);
            let result = self.record(doc, fetched, failed_last_time).await;
            failed_last_time = result.is_err();
            let (outcome, error) = match result {
                Ok((o, _)) => (o, None),
                Err(e) => (Outcome::Error, Some(e)),
            };
            out.push(Imported {
                label: c.label,
                at: c.at,
                outcome,
                error,
            });
        }
        self.archive.save_state().await;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_times_are_read_from_names() {
        let t = capture_time("003-2025-12-18T23-31-36Z.html").expect("found");
        assert_eq!(crate::time_fmt::rfc3339(t), "2025-12-18T23:31:36Z");
        assert!(capture_time("2025-12-18T23:31:36Z.html").is_none());
        assert!(capture_time("page.html").is_none());
        assert!(capture_time("2025-13-18T23-31-36Z.html").is_none());
    }

    #[test]
    fn captures_are_sorted_by_time_and_other_files_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [
            "b-2026-01-02T00-00-00Z.html",
            "a-2026-01-03T00-00-00Z.html",
            "c-2026-01-01T00-00-00Z.html",
            "c-2026-01-01T00-00-00Z.md",
            "declaration.json",
            "notes.html",
        ] {
            std::fs::write(dir.path().join(name), name).expect("write");
        }
        let labels: Vec<_> = captures_in(dir.path())
            .expect("ok")
            .into_iter()
            .map(|c| c.label)
            .collect();
        assert_eq!(
            labels,
            [
                "c-2026-01-01T00-00-00Z.html",
                "b-2026-01-02T00-00-00Z.html",
                "a-2026-01-03T00-00-00Z.html"
            ]
        );
        assert_eq!(
            slug("Google Generative AI Services"),
            "google-generative-ai-services"
        );
        assert_eq!(slug("Terms of Service"), "terms-of-service");
    }
}
