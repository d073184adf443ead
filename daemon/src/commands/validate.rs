//! `termtrail validate` and `init`: the config checked and summarised, or the default config
//! written out.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::config::{Config, DEFAULT_CONFIG};
use crate::document::Extraction;

pub(super) fn validate(config: &Config, plugin_problems: &[String]) -> Result<()> {
    let hosts: std::collections::BTreeSet<_> = config
        .documents
        .iter()
        .filter_map(|d| d.url.host_str())
        .collect();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: OK, {} document(s) on {} host(s), archive at {}",
        config.source,
        config.documents.len(),
        hosts.len(),
        config.archive.path.display()
    )?;
    for d in &config.documents {
        let how = match &d.extraction {
            Extraction::Declarative(_) => "rules".to_owned(),
            Extraction::Plugin(name) => format!("plugin {name}"),
        };
        writeln!(
            out,
            "  {:<40} every {:<8} {:<20} {}",
            d.id.to_string(),
            humantime::format_duration(d.interval).to_string(),
            how,
            d.url
        )?;
    }
    for w in &config.warnings {
        writeln!(out, "warning: {w}")?;
    }
    for p in plugin_problems {
        writeln!(out, "error: {p}")?;
    }
    if !plugin_problems.is_empty() {
        bail!(
            "{} plugin problem(s); the documents concerned would fail at every check",
            plugin_problems.len()
        );
    }
    Ok(())
}

pub(super) fn init(dir: &Path, force: bool) -> Result<()> {
    let path = dir.join(crate::config::DEFAULT_CONFIG_PATH);
    if path.exists() && !force {
        bail!(
            "{} already exists; edit it, or pass --force to overwrite it",
            path.display()
        );
    }
    let parent = path.parent().expect("the config path has a folder");
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    std::fs::write(&path, DEFAULT_CONFIG)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    println!(
        "next: edit it, then `termtrail validate` and `termtrail check` from {}",
        dir.display()
    );
    Ok(())
}
