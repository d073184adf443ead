//! `termtrail import` and `reextract`: captures fed through the pipeline in time order, and the
//! latest snapshots extracted again with the current rules.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use super::runtime;
use crate::check::Engine;
use crate::config::Config;
use crate::document::{DocumentFilter, DocumentId};
use crate::plugin::Registry;

/// The engine settings of an import: every capture keeps its snapshot whatever
/// `archive.snapshots` says, since captures are history someone already chose to keep.
pub(super) fn keeping_every_capture(config: &Config) -> crate::check::EngineSettings {
    let mut settings = config.engine_settings();
    settings.archive.snapshots = crate::archive::Retention::All;
    settings
}

pub(super) fn import(
    config: &Config,
    plugins: Registry,
    document: &str,
    dir: Option<&Path>,
    ota: Option<&Path>,
    ota_file: Option<&str>,
    json: bool,
) -> Result<()> {
    let id = DocumentId::parse(document)?;
    let doc = config.document(&id).with_context(|| {
        format!(
            "{id} is not declared in {}; add a [[document]] for it first",
            config.source
        )
    })?;
    let captures = match (dir, ota) {
        (_, Some(repo)) => crate::import::ota_captures(repo, doc, ota_file)?,
        (Some(dir), None) => crate::import::captures_in(dir)?,
        (None, None) => bail!("give a folder of captures or --ota-snapshots REPO"),
    };
    let rt = runtime()?;
    let results = rt.block_on(async {
        let (engine, writer) = Engine::start(&keeping_every_capture(config), Arc::new(plugins))?;
        let results = engine.import(doc, captures).await;
        drop(engine);
        writer.close();
        anyhow::Ok(results)
    })?;
    let mut out = std::io::stdout().lock();
    for r in &results {
        let at = crate::time_fmt::rfc3339(r.at);
        if json {
            let line = serde_json::json!({
                "capture": r.label,
                "captured_at": at,
                "outcome": r.outcome,
                "error": r.error.as_ref().map(ToString::to_string),
            });
            writeln!(out, "{line}")?;
        } else {
            let err = r
                .error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            writeln!(
                out,
                "{at}  {:<9}  {}{err}",
                format!("{:?}", r.outcome).to_lowercase(),
                r.label
            )?;
        }
    }
    Ok(())
}

pub(super) fn reextract(config: &Config, plugins: Registry, filter: Option<&str>) -> Result<()> {
    let filter = filter.map(DocumentFilter::parse).transpose()?;
    let docs: Vec<_> = config
        .documents
        .iter()
        .filter(|d| filter.as_ref().is_none_or(|f| f.matches(&d.id)))
        .collect();
    if docs.is_empty() {
        bail!(
            "no document in {} matches {}",
            config.source,
            filter.map(|_| "the filter").unwrap_or("(none declared)")
        );
    }
    let rt = runtime()?;
    rt.block_on(async {
        let (engine, writer) = Engine::start(&config.engine_settings(), Arc::new(plugins))?;
        let mut out = std::io::stdout().lock();
        for doc in docs {
            match engine.reextract(doc).await {
                Ok(crate::check::Outcome::Changed) => writeln!(out, "upgraded   {}", doc.id)?,
                Ok(_) => writeln!(out, "unchanged  {}", doc.id)?,
                Err(e) => writeln!(out, "FAILED     {}: {e}", doc.id)?,
            }
        }
        engine.archive.save_state().await;
        drop(engine);
        writer.close();
        anyhow::Ok(())
    })
}
