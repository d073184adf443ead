//! `termtrail plugins`: the plugins found, loaded and checked, with their documents.

use std::io::Write;

use anyhow::Result;

use crate::config::Config;
use crate::plugin::Registry;

/// Prints every plugin found or named by the config; fails (exit 1) when any is not loaded, so
/// that a script or a health check sees a refused plugin.
pub(super) fn plugins(config: &Config, registry: &mut Registry) -> Result<()> {
    let settings = &config.plugins;
    let mut names = settings.discover();
    // Plugins the config names but the folder lacks are not loaded either: show them too.
    names.extend(
        config
            .documents
            .iter()
            .filter_map(|d| d.extraction.plugin().map(str::to_owned))
            .chain(config.pending.iter().map(|p| p.plugin.clone()))
            .chain(settings.entries.keys().cloned()),
    );
    names.sort();
    names.dedup();
    let mut not_loaded = Vec::new();
    let mut out = std::io::stdout().lock();
    let search: Vec<String> = settings
        .search_path()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    writeln!(
        out,
        "plugin folders: {} (termtrail speaks plugin ABI version {})",
        search.join(", "),
        crate::plugin::HOST_ABI_VERSION
    )?;
    if names.is_empty() {
        writeln!(
            out,
            "no plugins found in those folders; build them (`cargo build --release --workspace`) or add their folder to [plugins] dirs"
        )?;
    }
    for name in names {
        match registry.get(&name, settings) {
            Ok(p) => {
                writeln!(
                    out,
                    "{name} {} (ABI {}, isolation {}, tracked: {})\n  file: {}\n  sha256: {}",
                    p.manifest.version,
                    crate::plugin::HOST_ABI_VERSION,
                    p.isolation,
                    if settings.tracks(&name) {
                        "all documents"
                    } else {
                        "as configured"
                    },
                    p.path.display(),
                    p.sha256
                )?;
                for d in &p.manifest.documents {
                    writeln!(out, "  {:<24} {}  ({})", d.kind, d.url, d.title)?;
                }
            }
            Err(e) => {
                writeln!(out, "{name}: NOT LOADED: {e}")?;
                not_loaded.push(name);
            }
        }
    }
    if !not_loaded.is_empty() {
        anyhow::bail!(
            "{} plugin(s) not loaded: {}; their documents fail at every check",
            not_loaded.len(),
            not_loaded.join(", ")
        );
    }
    Ok(())
}
