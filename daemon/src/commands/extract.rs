//! `termtrail extract`: the text of a saved page, by a declared document's rules or plugin, or by
//! any plugin for any of its kinds.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::config::Config;
use crate::document::{Document, DocumentId, Extraction, FetchMode, Source};
use crate::plugin::Registry;
use crate::terminal::escape_controls;

pub(super) fn extract(
    config: &Config,
    plugins: &Registry,
    document: &str,
    file: &Path,
    url: Option<&str>,
) -> Result<()> {
    let id = DocumentId::parse(document)?;
    let doc = config
        .document(&id)
        .with_context(|| format!("{id} is not declared in {}", config.source))?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let base = match url {
        Some(u) => url::Url::parse(u).with_context(|| format!("--url {u:?} is not a URL"))?,
        None => doc.url.clone(),
    };
    let fetched = crate::fetch::Fetched::stored(
        base,
        bytes,
        Some("text/html".to_owned()),
        std::time::SystemTime::now(),
    );
    let text = crate::check::extract_text(doc, plugins, &fetched)
        .with_context(|| format!("{id} from {}", file.display()))?;
    std::io::stdout()
        .lock()
        .write_all(escape_controls(&text).as_bytes())?;
    Ok(())
}

pub(super) fn extract_with_plugin(
    config: &Config,
    registry: &mut Registry,
    name: &str,
    kind: &str,
    file: &Path,
    url: Option<&str>,
) -> Result<()> {
    let plugin = registry
        .get(name, &config.plugins)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let known = plugin.manifest.documents.iter().find(|d| d.kind == kind);
    let url = match (url, known) {
        (Some(u), _) => u.to_owned(),
        (None, Some(d)) => d.url.clone(),
        (None, None) => bail!(
            "plugin {name} has no document of kind {kind:?} (it knows {}); pass --url to try anyway",
            plugin.manifest.documents.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>().join(", ")
        ),
    };
    let base = url::Url::parse(&url).with_context(|| format!("{url:?} is not a URL"))?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let id = DocumentId::new(name, kind).with_context(|| format!("{kind:?} is not a slug"))?;
    let doc = Document {
        id,
        title: String::new(),
        url: base.clone(),
        extraction: Extraction::Plugin(name.to_owned()),
        extractor_id: plugin.id(),
        interval: Duration::from_secs(3600),
        sources: vec![Source::plain(base.clone(), FetchMode::Http)],
    };
    let fetched = crate::fetch::Fetched::stored(
        base,
        bytes,
        Some("text/html".to_owned()),
        std::time::SystemTime::now(),
    );
    let text = crate::check::extract_text(&doc, registry, &fetched)
        .with_context(|| format!("{name} {kind} from {}", file.display()))?;
    std::io::stdout()
        .lock()
        .write_all(escape_controls(&text).as_bytes())?;
    Ok(())
}
