//! The commands and command hooks about telling people: delivery set-up for `run` and `check`,
//! `termtrail sinks` and `termtrail compare`. Kept apart from `commands.rs` so that the archive
//! commands and these evolve without stepping on each other; like `commands.rs`, this prints.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use crate::archive::{open_read_only, History};
use crate::check::{DocReport, Engine, Observer, Outcome};
use crate::config::Config;
use crate::document::{Document, DocumentFilter};
use crate::events::Event;
use crate::sinks::delivery::{Delivery, Signals};
use crate::summary::sections;

/// The delivery side of `config`: its sinks, and its documents' titles for their events.
fn delivery(config: &Config) -> Delivery {
    let titles = config
        .documents
        .iter()
        .map(|d| (d.id.to_string(), d.title.clone()))
        .collect();
    let ctx = crate::events::EventContext {
        taxonomy: config.taxonomy.clone(),
        titles,
        diff_max_bytes: config.events.diff_max_bytes,
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
    unavailable_after: u32,
}

impl Notifier {
    /// Observes checks for the sinks listening to `signals`.
    pub fn new(signals: Signals, config: &Config) -> Self {
        Self {
            signals,
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
    }
}

/// Makes `engine` tell the sinks of its checks (see [`Notifier`]); the signals they listen to.
pub fn observe(engine: &mut Engine, config: &Config) -> Signals {
    let signals = Signals::new();
    engine.set_observer(Arc::new(Notifier::new(signals.clone(), config)));
    signals
}

/// The daemon's delivery tasks.
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

/// Wraps `text` to `width` columns (by words; longer words are cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(head);
            }
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// `termtrail compare --topic T`.
pub fn compare(
    config: &Config,
    topic: &str,
    only: &[String],
    markdown: bool,
    width: Option<usize>,
) -> Result<()> {
    let Some(t) = config.taxonomy.get(topic) else {
        let names: Vec<_> = config
            .taxonomy
            .topics
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        bail!(
            "{topic:?} is not a topic; known topics: {}",
            names.join(", ")
        );
    };
    let filters = only
        .iter()
        .map(|s| DocumentFilter::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let repo = open_read_only(&config.archive.path)?;
    let history = History::new(&repo);
    // platform → Markdown of its matching sections, in config order.
    let mut columns: Vec<(String, String)> = Vec::new();
    for doc in &config.documents {
        if !(filters.is_empty() || filters.iter().any(|f| f.matches(&doc.id))) {
            continue;
        }
        let Some((_, text)) = history.version_at(&doc.id, None)? else {
            continue;
        };
        let text = crate::terminal::escape_controls(&text).into_owned();
        let mut body = String::new();
        for s in sections::split(&text) {
            if t.matches(&s.key()) || t.matches(&s.text) {
                body.push_str(&format!("**{} — {}**\n\n", doc.title, s.key()));
                let content = match s.text.split_once('\n') {
                    Some((first, rest)) if first.trim_start().starts_with('#') => rest,
                    _ => s.text.as_str(),
                };
                body.push_str(content.trim());
                body.push_str("\n\n");
            }
        }
        if body.is_empty() {
            continue;
        }
        let platform = crate::document::platform_name(doc.id.platform());
        match columns.iter_mut().find(|(p, _)| *p == platform) {
            Some((_, b)) => b.push_str(&body),
            None => columns.push((platform, body)),
        }
    }
    let mut out = std::io::stdout().lock();
    if columns.is_empty() {
        eprintln!("no recorded section touches {topic} ({})", t.label);
        return Ok(());
    }
    if markdown || !std::io::stdout().is_terminal() && width.is_none() {
        writeln!(out, "# {}\n", t.label)?;
        for (platform, body) in &columns {
            writeln!(out, "## {platform}\n\n{}", body.trim_end())?;
            writeln!(out)?;
        }
        return Ok(());
    }
    let total = width.unwrap_or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(160)
    });
    let col = (total.saturating_sub(3 * (columns.len() - 1)) / columns.len()).max(20);
    let wrapped: Vec<Vec<String>> = columns
        .iter()
        .map(|(p, b)| {
            let mut lines = vec![p.clone(), "-".repeat(col.min(p.chars().count().max(3)))];
            lines.extend(wrap(b, col));
            lines
        })
        .collect();
    let rows = wrapped.iter().map(Vec::len).max().unwrap_or(0);
    for r in 0..rows {
        let cells: Vec<String> = wrapped
            .iter()
            .map(|c| {
                let cell = c.get(r).map(String::as_str).unwrap_or("");
                format!("{cell:<col$}")
            })
            .collect();
        writeln!(out, "{}", cells.join(" │ ").trim_end())?;
    }
    Ok(())
}
