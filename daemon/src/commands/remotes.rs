//! `termtrail remotes`: each `[archive] push` remote, what it has not accepted yet, and how the
//! last attempts went.

use std::io::Write;

use anyhow::Result;

use crate::config::Config;
use crate::publish::Publisher;

/// `termtrail remotes [--json]`.
pub fn remotes(config: &Config, json: bool) -> Result<()> {
    let publisher = Publisher::new(config.archive.path.clone(), config.publish.clone());
    let status = if publisher.is_empty() {
        Vec::new()
    } else {
        publisher.status()?
    };
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &serde_json::json!({ "remotes": status }))?;
        writeln!(out)?;
        return Ok(());
    }
    if status.is_empty() {
        writeln!(out, "no [archive] push remote in {}", config.source)?;
        return Ok(());
    }
    for r in status {
        writeln!(out, "{}  {}", r.name, r.address)?;
        for s in &r.refs {
            let what = match s.pending {
                0 => "pushed".to_owned(),
                n => format!("{n} commit(s) not pushed"),
            };
            writeln!(out, "  {:<32} -> {:<36} {what}", s.local, s.remote)?;
        }
        let last = r.record.last_success.map_or_else(
            || "never".to_owned(),
            |t| crate::time_fmt::rfc3339(crate::time_fmt::from_unix(t)),
        );
        writeln!(out, "  last push: {last}")?;
        if let Some(e) = &r.record.last_error {
            writeln!(
                out,
                "  last error ({} failure(s) in a row): {}",
                r.record.failures,
                crate::terminal::escape_controls(e)
            )?;
        }
    }
    writeln!(
        out,
        "\n`git log refs/termtrail/pushed/REMOTE/heads/main..main` in the archive lists what a remote lacks."
    )?;
    Ok(())
}
