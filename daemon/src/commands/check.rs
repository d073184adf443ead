//! `termtrail check`: one cycle over the documents (with a progress bar on a terminal), one
//! delivery round, and the report (text or JSON).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};

use super::runtime;
use crate::check::{CycleReport, Engine};
use crate::config::Config;
use crate::document::{Document, DocumentFilter};
use crate::plugin::Registry;
use crate::scheduler;
use crate::terminal::escape_controls;

pub(super) fn check(
    config: &Config,
    plugins: Registry,
    only: &[String],
    json: bool,
    progress: bool,
) -> Result<()> {
    let filters = only
        .iter()
        .map(|s| DocumentFilter::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    // Borrowed: a copy of every document would be held for the whole cycle.
    let docs: Vec<&Document> = config
        .documents
        .iter()
        .filter(|d| filters.is_empty() || filters.iter().any(|f| f.matches(&d.id)))
        .collect();
    if docs.is_empty() && only.is_empty() {
        bail!(
            "no document to check in {}: declare a [[document]], or track a plugin's documents with [plugins] track_all or [plugin.NAME] track = true",
            config.source
        );
    }
    if docs.is_empty() {
        bail!(
            "no document in {} matches --only {}",
            config.source,
            only.join(" ")
        );
    }
    let rt = runtime()?;
    let report = rt.block_on(async {
        // Installed first: a stop during set-up is a clean stop, not the default action.
        let shutdown = scheduler::shutdown_signal();
        let (mut engine, writer) = Engine::start(&config.engine_settings(), Arc::new(plugins))?;
        let (signals, _) = super::notify::observe(&mut engine, config, None);
        let delivery = super::notify::OneShotDelivery::prepare(config, &signals)?;
        let bar = progress.then(|| {
            let bar = indicatif::ProgressBar::new(docs.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos}/{len} documents [{elapsed}] {msg}",
                )
                .expect("static template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let mut failures = Vec::new();
        let mut refused = Vec::new();
        let cycle = engine.cycle(docs.iter().copied(), |r| {
            if let Some(bar) = &bar {
                bar.inc(1);
                bar.set_message(r.id.to_string());
            }
            if let Some(e) = &r.error {
                failures.push(format!("{}: {e}", r.id));
                if matches!(e, crate::check::CheckError::Archive(_)) {
                    refused.push(format!("{}: {e}", r.id));
                }
            }
        });
        let report = tokio::select! {
            r = cycle => Some(r),
            _ = shutdown => None,
        };
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        drop(engine);
        if report.is_some() {
            // Every version of the cycle is committed (each check awaited its commit): deliver
            // them and the alerts before exiting, still holding the archive lock so that no other
            // process moves the cursors meanwhile. A failing sink keeps its events pending.
            refused.extend(delivery.deliver().await);
            // Then publish, sink cursors included; a failing remote keeps its commits pending.
            let publisher =
                crate::publish::Publisher::new(config.archive.path.clone(), config.publish.clone());
            Arc::new(publisher).push_all_once().await;
        }
        // Finishes the commits already handed to the writer, then releases the lock.
        writer.close();
        anyhow::Ok((report, failures, refused))
    })?;
    let (Some(report), failures, refused) = report else {
        tracing::info!("interrupted; commits in hand were finished");
        return Ok(());
    };
    print_report(&report, &failures, json)?;
    // Page failures are the pages' business; archive failures make the run fail (exit 3), or a
    // wedged archive would go unnoticed behind exit 0.
    match refused.first() {
        None => Ok(()),
        Some(first) => Err(crate::archive::ArchiveError::Refused {
            count: refused.len(),
            first: first.clone(),
        }
        .into()),
    }
}

fn print_report(report: &CycleReport, failures: &[String], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "checked {}: {} new, {} changed, {} unchanged, {} failed",
        report.checked, report.new, report.changed, report.unchanged, report.errors
    )?;
    for id in &report.new_ids {
        writeln!(out, "  new      {id}")?;
    }
    for id in &report.changed_ids {
        writeln!(out, "  changed  {id}")?;
    }
    let mut failures = failures.to_vec();
    failures.sort();
    for f in failures {
        writeln!(out, "  FAILED   {}", escape_controls(&f))?;
    }
    Ok(())
}
