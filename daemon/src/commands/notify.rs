//! Telling people, as `run` and `check` set it up: check outcomes turned into sink wake-ups and
//! availability alerts ([`Notifier`]), the daemon's delivery tasks, and `check`'s one round.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use crate::check::{DocReport, Engine, Observer, Outcome};
use crate::config::Config;
use crate::counters::CheckCount;
use crate::document::Document;
use crate::events::Event;
use crate::sinks::delivery::{Delivery, Signals};
use crate::web::health::Liveness;

/// The delivery side of `config`: its sinks, and its documents' titles for their events.
pub(super) fn delivery(config: &Config) -> Delivery {
    // Titles name documents in events, and without a sink there is no event: a copy of every id
    // and title is not worth keeping then (1 MB of a check of 10,000 documents).
    let titles = if config.sinks.is_empty() {
        Default::default()
    } else {
        config
            .documents
            .iter()
            .map(|d| (d.id.to_string(), d.title.clone()))
            .collect()
    };
    let ctx = crate::events::EventContext {
        taxonomy: config.taxonomy.clone(),
        titles,
        diff_max_bytes: config.events.diff_max_bytes,
        replayer: Default::default(),
        public_url: config.web.public_url.clone(),
    };
    Delivery::new(config.archive.path.clone(), &config.sinks, ctx)
}

/// How long sinks may take to finish the event in hand at shutdown before being cut off (the
/// event is then re-sent at the next start: at-least-once).
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Turns check outcomes into what the sinks hear: a wake-up after each version commit, and an
/// availability alert when a document's run of failures reaches `[events] unavailable_after`,
/// or ends after having reached it.
pub struct Notifier {
    signals: Signals,
    pushes: crate::publish::Trigger,
    liveness: Option<Arc<Liveness>>,
    unavailable_after: u32,
}

impl Notifier {
    /// Observes checks for the sinks listening to `signals`.
    pub fn new(
        signals: Signals,
        pushes: crate::publish::Trigger,
        liveness: Option<Arc<Liveness>>,
        config: &Config,
    ) -> Self {
        Self {
            signals,
            pushes,
            liveness,
            unavailable_after: config.events.unavailable_after,
        }
    }
}

impl Observer for Notifier {
    fn checked(&self, doc: &Document, report: &DocReport) {
        let (before, after) = (report.failures_before, report.failures_after);
        if let Some(kind) =
            crate::events::availability_transition(before, after, self.unavailable_after)
        {
            self.signals.alert(crate::events::availability_event(
                kind,
                &doc.id,
                &doc.title,
                doc.url.as_str(),
                before.max(after),
                report.error.as_ref().map(ToString::to_string),
                std::time::SystemTime::now(),
            ));
        }
        if matches!(report.outcome, Outcome::New | Outcome::Changed) {
            self.signals.version_committed();
        }
        crate::counters::counters().checked(
            &doc.id.to_string(),
            match report.outcome {
                Outcome::New | Outcome::Changed => CheckCount::Version,
                Outcome::Held => CheckCount::Held,
                Outcome::Unchanged => CheckCount::Unchanged,
                Outcome::Error => CheckCount::Failed,
            },
        );
        let committed =
            report.snapshot_committed || matches!(report.outcome, Outcome::New | Outcome::Changed);
        if committed {
            self.pushes.committed();
        }
        if let Some(l) = &self.liveness {
            let refused = match &report.error {
                Some(e @ crate::check::CheckError::Archive(_)) => Some(e.to_string()),
                _ => None,
            };
            l.checked(refused, committed);
        }
    }
}

/// Makes `engine` tell the sinks, the push tasks and `liveness` (the daemon's `/healthz`) of its
/// checks (see [`Notifier`]); the signals the sinks and the push tasks listen to.
pub fn observe(
    engine: &mut Engine,
    config: &Config,
    liveness: Option<Arc<Liveness>>,
) -> (Signals, crate::publish::Trigger) {
    let signals = Signals::new();
    let pushes = crate::publish::Trigger::default();
    engine.set_observer(Arc::new(Notifier::new(
        signals.clone(),
        pushes.clone(),
        liveness,
        config,
    )));
    (signals, pushes)
}

/// The daemon's delivery (or push) tasks.
pub struct RunningDelivery {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

/// Sets the cursors of new sinks and starts one delivery task per sink.
pub fn start_delivery(config: &Config, signals: &Signals) -> Result<RunningDelivery> {
    let delivery = Arc::new(delivery(config));
    delivery
        .init_cursors()
        .context("cannot set up the sink cursors")?;
    let (stop, stop_rx) = watch::channel(false);
    let tasks = delivery.spawn(signals, stop_rx);
    if !delivery.is_empty() {
        tracing::info!(sinks = config.sinks.len(), "delivery started");
    }
    Ok(RunningDelivery { stop, tasks })
}

/// Sets, before each `/metrics` scrape inside `run`, the gauges read from git: events pending
/// per sink and commits not pushed per remote.
pub fn install_metrics_refresh(config: &Config) {
    let delivery = delivery(config);
    let publisher =
        crate::publish::Publisher::new(config.archive.path.clone(), config.publish.clone());
    crate::counters::counters().set_refresh(move |c| {
        match delivery.status() {
            Ok(sinks) => sinks
                .iter()
                .for_each(|s| c.set_sink_pending(&s.name, s.pending)),
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read the sink cursors"),
        }
        if publisher.is_empty() {
            return;
        }
        match publisher.status() {
            Ok(remotes) => remotes
                .iter()
                .for_each(|r| c.set_push_status(&r.name, r.pending(), r.record.failures)),
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read the push records"),
        }
    });
}

/// Starts one push task per `[archive] push` remote: each pushes at start (what an earlier run
/// left pending) and after each check `pushes` announces. Stopped like the delivery tasks.
pub fn start_publishing(config: &Config, pushes: &crate::publish::Trigger) -> RunningDelivery {
    let publisher = Arc::new(crate::publish::Publisher::new(
        config.archive.path.clone(),
        config.publish.clone(),
    ));
    let (stop, stop_rx) = watch::channel(false);
    let tasks = publisher.spawn(pushes, stop_rx);
    if !publisher.is_empty() {
        tracing::info!(remotes = config.publish.remotes.len(), "publishing started");
    }
    RunningDelivery { stop, tasks }
}

impl RunningDelivery {
    /// Asks the tasks to stop after the event in hand, waits a little, then cuts them off.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        let tasks = &mut self.tasks;
        let finished = tokio::time::timeout(STOP_GRACE, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!("a sink did not finish in time; its event stays pending");
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
    }
}

/// Delivery for `termtrail check`: cursors set before the cycle, one round after it.
pub struct OneShotDelivery {
    delivery: Arc<Delivery>,
    alerts: broadcast::Receiver<Event>,
}

impl OneShotDelivery {
    /// Call before the cycle, so a new sink starts at the `main` it had before this run's changes.
    pub fn prepare(config: &Config, signals: &Signals) -> Result<Self> {
        let delivery = Arc::new(delivery(config));
        delivery
            .init_cursors()
            .context("cannot set up the sink cursors")?;
        Ok(Self {
            delivery,
            alerts: signals.subscribe_alerts(),
        })
    }

    /// Delivers what is pending to every sink, then the alerts raised during the cycle. Returns
    /// the failures that lie with the archive (cursors, rebuilding events), not with a sink.
    pub async fn deliver(mut self) -> Vec<String> {
        if self.delivery.is_empty() {
            return Vec::new();
        }
        let refused = self.delivery.deliver_all_once().await;
        while let Ok(alert) = self.alerts.try_recv() {
            self.delivery.deliver_alert(&alert).await;
        }
        refused
    }
}
