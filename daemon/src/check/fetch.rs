//! Fetching a document's pages for a check: plainly, or in the browser when the page asks for
//! it, when a plain fetch meets a bot wall, or when its selected region is empty in a page with
//! scripts (then the document keeps being rendered).

use super::extract::empty_in_plain_page;
use super::{CheckError, Engine, Outcome};
use crate::document::{Document, FetchMode, Source};
use crate::fetch::{FetchError, FetchOutcome, Fetched, Validators};

impl Engine {
    pub(super) async fn try_check(&self, doc: &Document) -> Result<(Outcome, bool), CheckError> {
        crate::failpoint::hit("check.start");
        // A document whose pages come from a plugin that could not be loaded: its load error,
        // at every check.
        if doc.sources.is_empty() {
            if let Some(name) = doc.extraction.plugin() {
                self.plugins.loaded(name).map_err(super::PluginFailure)?;
            }
            return Err(CheckError::NoPages);
        }
        let (validators, must_extract, needs_browser) = self
            .archive
            .state()
            .lock()
            .map(|s| {
                let d = s.documents.get(&doc.id.to_string());
                // A failure must keep being reported, and a held text needs the next fetch
                // extracted to be confirmed or dropped: neither may be cut short. A document the
                // state does not know (a lost state file) may have had a hold: extract it once.
                let must = d.is_none_or(|d| d.failures > 0 || d.hold.is_some());
                (
                    s.validators(&doc.id, doc.url.as_str()),
                    must,
                    d.is_some_and(|d| d.needs_browser),
                )
            })
            .unwrap_or_default();
        // A plugin that cannot be loaded must fail its document at every check, even when the
        // page is unchanged: extract (and fail) rather than stop at the same bytes or a 304.
        let must_extract = must_extract
            || doc
                .extraction
                .plugin()
                .is_some_and(|name| self.plugins.loaded(name).is_err());
        // Conditional requests only for single-page documents, and never when the full body is
        // needed: a 304 would hide a failure or leave a hold undecided.
        let validators = if must_extract || doc.sources.len() > 1 {
            Default::default()
        } else {
            validators
        };
        let mut pages = Vec::with_capacity(doc.sources.len());
        let mut plain = false;
        let mut scripted = false;
        for source in &doc.sources {
            match self
                .fetch_source(doc, source, &validators, needs_browser)
                .await?
            {
                FetchOutcome::NotModified => return Ok((Outcome::Unchanged, false)),
                FetchOutcome::Fetched(f) => {
                    plain |= f.fetcher.is_none();
                    scripted |= f
                        .body
                        .windows(7)
                        .any(|w| w.eq_ignore_ascii_case(b"<script"));
                    pages.push(*f);
                }
            }
        }
        match self.record_pages(doc, pages, must_extract).await {
            // A page with scripts whose selected region is empty in the plain HTML is usually
            // built by JavaScript: render it in the browser, and keep doing so if that works.
            // (Without scripts nothing could fill it: the rules or the page are wrong.)
            Err(e)
                if plain
                    && scripted
                    && self.browser_fallback
                    && self.renderer.available()
                    && empty_in_plain_page(&e, doc, &self.plugins) =>
            {
                tracing::info!(document = %doc.id, error = %e, "empty selection in the plain page; retrying in the browser");
                let rendered = async {
                    let mut pages = Vec::with_capacity(doc.sources.len());
                    for source in &doc.sources {
                        pages.push(self.render(source).await?);
                    }
                    self.record_pages(doc, pages, true).await
                }
                .await;
                match rendered {
                    Ok(result) => {
                        if let Ok(mut s) = self.archive.state().lock() {
                            s.doc_mut(&doc.id).needs_browser = true;
                        }
                        Ok(result)
                    }
                    Err(browser_error) => {
                        // The plain page's problem is the one to report; the browser's is context.
                        tracing::warn!(document = %doc.id, error = %browser_error, "the browser did not help either");
                        Err(e)
                    }
                }
            }
            other => other,
        }
    }

    async fn render(&self, source: &Source) -> Result<Fetched, CheckError> {
        self.renderer
            .render(&source.url, &source.extractor.wait_selectors())
            .await
            .map_err(|e| CheckError::Browser {
                url: source.url.to_string(),
                source: e,
            })
    }

    /// Fetches one page of a document: in the browser when the source or the document asks for
    /// it, else plainly, falling back to the browser on a bot wall.
    async fn fetch_source(
        &self,
        doc: &Document,
        source: &Source,
        validators: &Validators,
        needs_browser: bool,
    ) -> Result<FetchOutcome, CheckError> {
        if source.fetch == FetchMode::Browser || (needs_browser && self.renderer.available()) {
            return Ok(FetchOutcome::Fetched(Box::new(self.render(source).await?)));
        }
        let fallback = self.browser_fallback && self.renderer.available();
        match self.fetcher.fetch(&source.url, validators).await {
            Ok(FetchOutcome::Fetched(f))
                if fallback && crate::browser::looks_like_challenge(&f.body) =>
            {
                tracing::info!(document = %doc.id, url = %source.url, "bot challenge in the plain page; retrying in the browser");
                Ok(FetchOutcome::Fetched(Box::new(self.render(source).await?)))
            }
            Err(FetchError::Status { status, .. })
                if fallback && matches!(status.as_u16(), 403 | 406 | 429) =>
            {
                tracing::info!(document = %doc.id, url = %source.url, %status, "blocked by the server; retrying in the browser");
                Ok(FetchOutcome::Fetched(Box::new(self.render(source).await?)))
            }
            Ok(outcome) => Ok(outcome),
            Err(e) => Err(CheckError::Fetch {
                url: source.url.to_string(),
                source: e,
            }),
        }
    }
}
