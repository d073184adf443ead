//! `termtrail plugins`: the plugins found, loaded and checked, with their documents; and
//! `termtrail plugin new` / `plugin install`: a new plugin crate written, a built one installed.

use std::io::Write;

use std::path::Path;

use anyhow::{Context, Result};

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

/// `termtrail plugin new NAME --dir DIR`.
pub(super) fn new_plugin(name: &str, dir: &Path) -> Result<()> {
    let root = crate::plugin::scaffold::new_plugin(name, dir)?;
    let lib = crate::plugin::library_file_name(name);
    println!(
        "wrote {root}\nnext: cd {root} && cargo test && cargo build --release\nthen: termtrail plugin install {root}/target/release/{lib}\n(see {root}/README.md)",
        root = root.display()
    );
    Ok(())
}

/// `termtrail plugin install LIBRARY [--into DIR]`: the library is loaded and checked first (ABI,
/// manifest), then copied (through a temporary file and a rename, so termtrail never sees half a
/// library) under the file name termtrail looks for.
pub(super) fn install(config: &Config, library: &Path, into: Option<&Path>) -> Result<()> {
    let mut probe = config.plugins.clone();
    probe.dirs.clear();
    // The name comes from the manifest; load under a placeholder entry pointing at the file.
    let file_name = library
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let guess = file_name
        .strip_prefix(std::env::consts::DLL_PREFIX)
        .and_then(|n| n.strip_prefix("termtrail_plugin_"))
        .and_then(|n| n.strip_suffix(std::env::consts::DLL_SUFFIX))
        .map(|n| n.replace('_', "-"))
        .with_context(|| {
            format!(
                "{} is not named like a plugin library ({}); build the plugin crate (its [lib] name is termtrail_plugin_NAME)",
                library.display(),
                crate::plugin::library_file_name("NAME")
            )
        })?;
    probe.entries.insert(
        guess.clone(),
        crate::plugin::PluginEntry {
            path: Some(library.to_path_buf()),
            ..Default::default()
        },
    );
    let plugin = crate::plugin::LoadedPlugin::load(&guess, &probe)
        .with_context(|| format!("{} is not a plugin termtrail can use", library.display()))?;
    let dir = match into {
        Some(d) => d.to_path_buf(),
        None => config
            .plugins
            .dirs
            .first()
            .cloned()
            .unwrap_or_else(crate::plugin::default_dir),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dest = dir.join(crate::plugin::library_file_name(&guess));
    let tmp = dir.join(format!(
        ".{}.installing",
        crate::plugin::library_file_name(&guess)
    ));
    std::fs::copy(library, &tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &dest).with_context(|| format!("cannot write {}", dest.display()))?;
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            std::fs::read(&dest).with_context(|| format!("cannot read {}", dest.display()))?,
        ))
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "installed {guess} {} ({} document(s)) as {}",
        plugin.manifest.version,
        plugin.manifest.documents.len(),
        dest.display()
    )?;
    if into.is_some() && !config.plugins.search_path().contains(&dir) {
        writeln!(
            out,
            "{} is not among the plugin folders: add it to [plugins] dirs",
            dir.display()
        )?;
    }
    writeln!(
        out,
        "pin it in your config (termtrail then refuses any other file under that name):\n\n[plugin.{guess}]\nsha256 = \"{sha}\"\n"
    )?;
    for d in &plugin.manifest.documents {
        writeln!(
            out,
            "[[document]]\nplatform = \"{guess}\"\nkind = \"{}\"\nplugin = \"{guess}\"   # {}\n",
            d.kind, d.url
        )?;
    }
    Ok(())
}
