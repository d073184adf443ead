//! `termtrail sinks`: each sink's cursor and what is pending for it.

use super::notify::delivery;
use std::io::Write;

use anyhow::Result;

use crate::config::Config;

/// `termtrail sinks`.
pub fn sinks(config: &Config) -> Result<()> {
    if config.sinks.is_empty() {
        println!("no [[sink]] in {}", config.source);
        return Ok(());
    }
    let delivery = delivery(config);
    let status = delivery.status()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{:<20} {:<8} {:<12} pending", "sink", "type", "cursor")?;
    for s in status {
        let cursor = s.cursor.map_or_else(
            || "(not started)".to_owned(),
            |c| c.to_string()[..10].to_owned(),
        );
        writeln!(
            out,
            "{:<20} {:<8} {:<12} {}",
            s.name, s.kind, cursor, s.pending
        )?;
    }
    writeln!(
        out,
        "\n`git log refs/termtrail/sinks/NAME..main` in the archive lists a sink's pending versions."
    )?;
    Ok(())
}
