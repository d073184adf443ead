//! `termtrail run`: the daemon: re-extract what a rules change affects, start delivery, publishing
//! and the web view (with `[web] listen`), run the scheduler until a signal, then stop them and let
//! the writer finish.

use std::sync::Arc;

use anyhow::{bail, Result};

use super::runtime;
use crate::check::Engine;
use crate::config::Config;
use crate::plugin::Registry;
use crate::scheduler;
use crate::web::health::Liveness;

pub(super) fn run_daemon(config: &Config, plugins: Registry) -> Result<()> {
    if config.documents.is_empty() {
        bail!(
            "{} declares no [[document]]; nothing to watch",
            config.source
        );
    }
    let rt = runtime()?;
    rt.block_on(async {
        // Installed before anything else, so a stop during start-up is a clean stop.
        let shutdown = scheduler::shutdown_signal();
        let (mut engine, writer) = Engine::start(&config.engine_settings(), Arc::new(plugins))?;
        let shortest = config.documents.iter().map(|d| d.interval).min().unwrap_or(config.schedule.interval);
        let liveness = Arc::new(Liveness::new(Liveness::quiet_limit(shortest, config.schedule.jitter)));
        let (signals, pushes) = super::notify::observe(&mut engine, config, Some(liveness.clone()));
        tracing::info!(config = %config.source, archive = %config.archive.path.display(), "termtrail daemon starting");
        // Rules changed since the text was recorded: bring the archive up to date first, as a
        // technical change, so that the next real change is not mixed with it.
        for doc in engine.rules_changed(&config.documents).await {
            match engine.reextract(doc).await {
                Ok(outcome) => tracing::info!(document = %doc.id, ?outcome, "extraction rules changed: re-extracted the latest snapshot"),
                Err(e) => tracing::warn!(document = %doc.id, error = %e, "re-extraction failed"),
            }
        }
        let delivery = super::notify::start_delivery(config, &signals)?;
        let publishing = super::notify::start_publishing(config, &pushes);
        super::notify::install_metrics_refresh(config);
        let web = super::serve::start_in_daemon(config, liveness).await?;
        scheduler::run(
            engine,
            &config.documents,
            &config.schedule,
            shutdown,
        )
        .await;
        delivery.stop().await;
        publishing.stop().await;
        if let Some(web) = web {
            web.stop().await;
        }
        writer.close();
        tracing::info!("stopped cleanly");
        Ok(())
    })
}
