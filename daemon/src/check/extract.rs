//! Extraction: a fetched page to normalised text, by the document's plugin or its rules, as
//! HTML, text, JSON or PDF; a document's pages joined; and the engine's extraction of a fetch,
//! one per core at a time, on a blocking thread, within the document's time limit, with the
//! plugin's own line about the change.

use std::sync::Arc;
use std::time::{Duration, Instant};

use termtrail_extract::{normalise_text, ExtractError};
use termtrail_plugin_api::{ExtractRequest, FetchedDocument};

use super::{CheckError, Engine, PluginFailure};
use crate::document::{Document, Extraction, Source};
use crate::fetch::{check_text, decode, is_pdf, Fetched};
use crate::plugin::{Isolation, LoadedPlugin, PluginError, Registry};

/// The file extension a snapshot is stored under, from its content type.
pub(super) fn snapshot_extension(content_type: Option<&str>) -> &'static str {
    let ct = content_type.unwrap_or("text/html").to_ascii_lowercase();
    if ct.starts_with("text/plain") {
        "txt"
    } else if ct.contains("pdf") {
        "pdf"
    } else if ct.contains("json") {
        "json"
    } else {
        "html"
    }
}

/// The request a plugin receives for a fetched document.
pub fn plugin_request(doc: &Document, fetched: &Fetched, text: Option<String>) -> ExtractRequest {
    let mut headers = Vec::new();
    if let Some(ct) = &fetched.content_type {
        headers.push(("content-type".to_owned(), ct.clone()));
    }
    if let Some(e) = &fetched.validators.etag {
        headers.push(("etag".to_owned(), e.clone()));
    }
    if let Some(l) = &fetched.validators.last_modified {
        headers.push(("last-modified".to_owned(), l.clone()));
    }
    ExtractRequest {
        kind: doc.id.kind().to_owned(),
        document: FetchedDocument {
            url: doc.url.to_string(),
            final_url: fetched.final_url.to_string(),
            status: fetched.status,
            headers,
            content_type: fetched.content_type.clone(),
            body: fetched.body.clone(),
            body_text: text,
            fetched_at: crate::time_fmt::rfc3339(fetched.fetched_at),
        },
    }
}

/// The loaded plugin of a plugin document (or why it is not there); `None` for rules.
fn plugin_of<'r>(
    doc: &Document,
    plugins: &'r Registry,
) -> Option<Result<&'r Arc<LoadedPlugin>, PluginFailure>> {
    doc.extraction
        .plugin()
        .map(|name| plugins.loaded(name).map_err(PluginFailure))
}

/// Turns one fetched page of `doc` into normalised text: with the document's plugin (found in
/// `plugins`), or with the page's own rules. A body served as text must be text (see
/// [`check_text`]); a PDF is one whatever it is served as. Extraction by rules stops at
/// `deadline`.
pub fn extract_page(
    doc: &Document,
    plugins: &Registry,
    source: &Source,
    fetched: &Fetched,
    deadline: Option<Instant>,
) -> Result<String, CheckError> {
    let mut ext = snapshot_extension(fetched.content_type.as_deref());
    if is_pdf(&fetched.body) {
        ext = "pdf";
    }
    let ct = fetched.content_type.as_deref();
    let text = if ext == "pdf" {
        None
    } else {
        let text = decode(&fetched.body, ct);
        check_text(&fetched.body, &text, ct)?;
        Some(text.into_owned())
    };
    if let Some(plugin) = plugin_of(doc, plugins) {
        let plugin = plugin?;
        let request = plugin_request(doc, fetched, text);
        let extracted = plugin
            .extract(&request)
            .map_err(|e| PluginFailure(Arc::new(e)))?;
        let t = normalise_text(&extracted.text);
        return if t.is_empty() {
            Err(ExtractError::Empty.into())
        } else {
            Ok(t)
        };
    }
    let non_empty = |t: String| {
        if t.is_empty() {
            Err(CheckError::Extract(ExtractError::Empty))
        } else {
            Ok(t)
        }
    };
    match (ext, text) {
        ("html", Some(text)) => {
            Ok(source
                .extractor
                .extract_until(&text, &fetched.final_url, deadline)?)
        }
        ("txt", Some(text)) => non_empty(normalise_text(&text)),
        // JSON documents are recorded as text, pretty-printed so that key order and spacing
        // churn in the served bytes give one stable layout.
        ("json", Some(text)) => {
            let t = match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => serde_json::to_string_pretty(&v).unwrap_or(text),
                Err(_) => text,
            };
            non_empty(normalise_text(&t))
        }
        ("pdf", _) => non_empty(normalise_text(&crate::pdf::to_text(
            &fetched.body,
            deadline,
        )?)),
        _ => Err(CheckError::Unsupported(
            fetched.content_type.clone().unwrap_or_default(),
        )),
    }
}

/// The text of a document: its pages' texts, in order, joined by a blank line.
pub fn extract_document(
    doc: &Document,
    plugins: &Registry,
    pages: &[Fetched],
    deadline: Option<Instant>,
) -> Result<String, CheckError> {
    let mut texts = Vec::with_capacity(pages.len());
    for (source, page) in doc.sources.iter().zip(pages) {
        texts.push(extract_page(doc, plugins, source, page, deadline)?);
    }
    Ok(normalise_text(&texts.join("\n\n")))
}

/// Whether a failed extraction is the kind a browser could fix: the rules (or the document's
/// loaded plugin) found no text in the plain page.
pub(super) fn empty_in_plain_page(e: &CheckError, doc: &Document, plugins: &Registry) -> bool {
    match e {
        CheckError::Extract(ExtractError::NoMatch { .. } | ExtractError::Empty) => true,
        // Only the plugin's own "no text here" answer; a crash or a timeout would just repeat.
        CheckError::Plugin(PluginFailure(p)) => {
            matches!(plugin_of(doc, plugins), Some(Ok(_)))
                && matches!(p.as_ref(), PluginError::Call { message, .. }
                    if message.contains("matched nothing") || message.contains("holds no text"))
        }
        _ => false,
    }
}

/// The plugin's own line about a change from the recorded text to `new`, for plugin documents
/// whose plugin offers one. A failing `summarize` is logged and costs only that line.
fn plugin_summary(
    doc: &Document,
    plugins: &Registry,
    archive: &std::path::Path,
    new: &str,
) -> Option<String> {
    let Some(Ok(plugin)) = plugin_of(doc, plugins) else {
        return None;
    };
    let repo = crate::archive::open_read_only(archive).ok()?;
    let old = crate::archive::History::new(&repo)
        .current_text(&doc.id)
        .ok()??;
    if old == new {
        return None;
    }
    let request = termtrail_plugin_api::SummarizeRequest {
        kind: doc.id.kind().to_owned(),
        old,
        new: new.to_owned(),
    };
    match plugin.summarize(&request) {
        Ok(line) => line.filter(|l| !l.trim().is_empty()),
        Err(e) => {
            tracing::warn!(document = %doc.id, error = %e, "the plugin's summarize failed; recording without its line");
            None
        }
    }
}

/// The text of a single page with the document's plugin or first source's rules (for `extract`).
pub fn extract_text(
    doc: &Document,
    plugins: &Registry,
    fetched: &Fetched,
) -> Result<String, CheckError> {
    extract_page(doc, plugins, &doc.sources[0], fetched, None)
}

impl Engine {
    /// Extracts the text of `pages` (one extraction per core at a time, on a blocking thread),
    /// with the plugin's line about the change unless `technical`.
    pub(super) async fn extract(
        &self,
        doc: &Document,
        pages: Vec<Fetched>,
        technical: bool,
    ) -> Result<(String, Option<String>), CheckError> {
        let _slot = self
            .extract_slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        // A page can take no longer than its limit, a plugin call no longer than its own: past
        // it the document fails and its slot is released, even if the work cannot be stopped (a
        // plugin looping in process); extraction by rules stops by itself at the deadline.
        let in_process = self.in_process_plugin(doc);
        let limit = match (&doc.extraction, &in_process) {
            (_, Some(_)) => self.plugin_timeout,
            // An isolated host is killed at the plugin timeout: its own error says more.
            (Extraction::Plugin(_), None) => self.plugin_timeout + Duration::from_secs(5),
            (Extraction::Declarative(_), None) => self.extraction_timeout,
        };
        let overrun = |during: &str| match &in_process {
            Some(plugin) => {
                CheckError::Plugin(PluginFailure(Arc::new(PluginError::InProcessTimeout {
                    plugin: plugin.clone(),
                    during: during.to_owned(),
                    timeout: limit,
                })))
            }
            None => CheckError::ExtractTimeout {
                limit,
                setting: match doc.extraction {
                    Extraction::Declarative(_) => "[extraction] timeout",
                    Extraction::Plugin(_) => "[plugins] timeout, and 5s for the plugin host",
                },
            },
        };
        let (d, plugins) = (doc.clone(), self.plugins.clone());
        let deadline = Instant::now() + limit;
        let task = tokio::task::spawn_blocking(move || {
            extract_document(&d, &plugins, &pages, Some(deadline))
        });
        let text = match tokio::time::timeout(limit, task).await {
            Ok(Ok(Err(CheckError::Extract(ExtractError::TimedOut)))) | Err(_) => {
                return Err(overrun("extract"))
            }
            Ok(Ok(result)) => result?,
            Ok(Err(e)) => return Err(CheckError::Crashed(e.to_string())),
        };
        let plugin_summary = if technical || !matches!(doc.extraction, Extraction::Plugin(_)) {
            None
        } else {
            let (d, plugins) = (doc.clone(), self.plugins.clone());
            let (archive_path, t) = (self.archive_path.clone(), text.clone());
            let task = tokio::task::spawn_blocking(move || {
                plugin_summary(&d, &plugins, &archive_path, &t)
            });
            match tokio::time::timeout(limit, task).await {
                Ok(Ok(line)) => line,
                Ok(Err(e)) => {
                    tracing::warn!(document = %doc.id, error = %e, "the plugin's summarize crashed; recording without its line");
                    None
                }
                Err(_) => {
                    tracing::warn!(document = %doc.id, error = %overrun("summarize"), "recording without the plugin's line");
                    None
                }
            }
        };
        Ok((text, plugin_summary))
    }

    /// The name of the plugin extracting `doc` in this process, if it is one.
    fn in_process_plugin(&self, doc: &Document) -> Option<String> {
        match plugin_of(doc, &self.plugins) {
            Some(Ok(p)) if p.isolation == Isolation::None => Some(p.name().to_owned()),
            _ => None,
        }
    }
}
