//! `termtrail plugins`: the plugins found, loaded and checked, with their documents.

use std::io::Write;

use anyhow::Result;

use crate::config::Config;
use crate::plugin::Registry;

pub(super) fn plugins(config: &Config, registry: &mut Registry) -> Result<()> {
    let settings = &config.plugins;
    let names = settings.discover();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "plugin directory: {} (termtrail speaks plugin ABI version {})",
        settings.dir().display(),
        crate::plugin::HOST_ABI_VERSION
    )?;
    if names.is_empty() {
        writeln!(
            out,
            "no plugins found; build them with `cargo build --release --workspace`"
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
            Err(e) => writeln!(out, "{name}: NOT LOADED: {e}")?,
        }
    }
    Ok(())
}
