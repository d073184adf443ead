//! The daemon's live counters for `/metrics`, in one small process-wide registry ([`counters`]):
//! each component counts what it does (a fetch's duration, a plugin host restart, a browser
//! start, a sink delivery, a push, a check's outcome), and the web view inside `termtrail run`
//! writes them after the archive's own metrics, in the Prometheus text format 0.0.4. Gauges read
//! from git (events pending per sink, commits not pushed) are set at scrape time by the hook the
//! command layer installs ([`Counters::set_refresh`]).
//!
//! Written here rather than with the `prometheus-client` crate: its encoder writes OpenMetrics
//! (`# TYPE x counter` over `x_total` samples, `# EOF`), which text-format 0.0.4 parsers, like
//! the one the tests use, read as untyped samples.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// A label value with `\`, `"` and newlines escaped, as the text format requires.
pub fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The `# HELP` and `# TYPE` lines of a family.
pub fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A counter without labels.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Upper bounds of the fetch histogram's buckets, in seconds (+Inf is implied).
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A histogram of durations with [`BUCKETS`].
#[derive(Debug, Default)]
pub struct Histogram {
    inner: Mutex<HistogramData>,
}

#[derive(Debug, Default)]
struct HistogramData {
    /// Observations per bucket (not cumulative; the last is above every bound).
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
}

impl Histogram {
    /// Records one duration, in seconds.
    pub fn observe(&self, seconds: f64) {
        let mut h = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let i = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        h.counts[i] += 1;
        h.sum += seconds;
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let h = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        family(out, name, "histogram", help);
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(h.counts) {
            cumulative += n;
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += h.counts[BUCKETS.len()];
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "{name}_sum {}", h.sum);
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

/// Values by one label's value (a document, a sink, a plugin, a remote).
#[derive(Debug, Default)]
struct Labelled(Mutex<BTreeMap<String, i64>>);

impl Labelled {
    fn add(&self, key: &str, n: i64) {
        *self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.to_owned())
            .or_default() += n;
    }

    fn set(&self, key: &str, v: i64) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_owned(), v);
    }

    fn write(&self, out: &mut String, name: &str, kind: &str, label_name: &str, help: &str) {
        family(out, name, kind, help);
        for (k, v) in self.0.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "{name}{{{label_name}=\"{}\"}} {v}", label(k));
        }
    }
}

/// A hook run before each encoding, to set gauges read from elsewhere.
type Refresh = Box<dyn Fn(&Counters) + Send + Sync>;

/// Every live metric of the process.
#[derive(Default)]
pub struct Counters {
    /// Seconds per HTTP request (each attempt, retries counted apart).
    pub fetch_seconds: Histogram,
    /// Headless browser launches.
    pub browser_starts: Counter,
    checks: Labelled,
    check_failures: Labelled,
    versions: Labelled,
    held: Labelled,
    deliveries: Labelled,
    delivery_failures: Labelled,
    sink_pending: Labelled,
    plugin_restarts: Labelled,
    pushes: Labelled,
    push_failures: Labelled,
    push_pending: Labelled,
    push_failing: Labelled,
    refresh: Mutex<Option<Refresh>>,
}

/// What a check of one document gave, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckCount {
    /// A version was recorded.
    Version,
    /// A suspicious text was held back.
    Held,
    /// Nothing new.
    Unchanged,
    /// The check failed.
    Failed,
}

impl Counters {
    /// A check of `document` ended as `count`.
    pub fn checked(&self, document: &str, count: CheckCount) {
        self.checks.add(document, 1);
        match count {
            CheckCount::Version => self.versions.add(document, 1),
            CheckCount::Held => self.held.add(document, 1),
            CheckCount::Failed => self.check_failures.add(document, 1),
            CheckCount::Unchanged => {}
        }
    }

    /// Sink `sink` delivered one event (`true`) or failed a round (`false`).
    pub fn delivered(&self, sink: &str, ok: bool) {
        let f = if ok {
            &self.deliveries
        } else {
            &self.delivery_failures
        };
        f.add(sink, 1);
    }

    /// The host of plugin `plugin` was restarted.
    pub fn plugin_restarted(&self, plugin: &str) {
        self.plugin_restarts.add(plugin, 1);
    }

    /// A push to `remote` was accepted (`true`) or failed.
    pub fn pushed(&self, remote: &str, ok: bool) {
        let f = if ok {
            &self.pushes
        } else {
            &self.push_failures
        };
        f.add(remote, 1);
    }

    /// Events pending for `sink` (scrape time).
    pub fn set_sink_pending(&self, sink: &str, pending: usize) {
        self.sink_pending.set(sink, pending as i64);
    }

    /// Commits `remote` lacks and its failures in a row (scrape time).
    pub fn set_push_status(&self, remote: &str, pending: usize, failures: u32) {
        self.push_pending.set(remote, pending as i64);
        self.push_failing.set(remote, i64::from(failures));
    }

    /// Installs the hook run before each encoding.
    pub fn set_refresh(&self, f: impl Fn(&Counters) + Send + Sync + 'static) {
        *self.refresh.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(f));
    }

    /// The metrics in the Prometheus text format 0.0.4.
    pub fn encode(&self) -> String {
        if let Some(f) = self
            .refresh
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            f(self);
        }
        let mut out = String::new();
        let o = &mut out;
        self.fetch_seconds.write(
            o,
            "termtrail_fetch_duration_seconds",
            "Time of one HTTP request of a fetch, body included (each attempt apart).",
        );
        for (values, name, kind, label_name, help) in [
            (
                &self.checks,
                "termtrail_checks_total",
                "counter",
                "document",
                "Checks ended, per document.",
            ),
            (
                &self.check_failures,
                "termtrail_check_failures_total",
                "counter",
                "document",
                "Checks failed, per document.",
            ),
            (
                &self.versions,
                "termtrail_versions_recorded_total",
                "counter",
                "document",
                "Versions committed by this process, per document.",
            ),
            (
                &self.held,
                "termtrail_texts_held_total",
                "counter",
                "document",
                "Suspicious texts held back by this process, per document.",
            ),
            (
                &self.deliveries,
                "termtrail_sink_deliveries_total",
                "counter",
                "sink",
                "Events delivered, per sink.",
            ),
            (
                &self.delivery_failures,
                "termtrail_sink_delivery_failures_total",
                "counter",
                "sink",
                "Delivery rounds that failed, per sink.",
            ),
            (
                &self.sink_pending,
                "termtrail_sink_pending_events",
                "gauge",
                "sink",
                "Version commits after the sink's cursor, per sink.",
            ),
            (
                &self.plugin_restarts,
                "termtrail_plugin_host_restarts_total",
                "counter",
                "plugin",
                "Plugin host processes restarted after a crash or timeout, per plugin.",
            ),
            (
                &self.pushes,
                "termtrail_pushes_total",
                "counter",
                "remote",
                "Pushes accepted, per remote.",
            ),
            (
                &self.push_failures,
                "termtrail_push_failures_total",
                "counter",
                "remote",
                "Pushes failed, per remote.",
            ),
            (
                &self.push_pending,
                "termtrail_push_pending_commits",
                "gauge",
                "remote",
                "Commits a remote has not accepted, all refs together.",
            ),
            (
                &self.push_failing,
                "termtrail_push_consecutive_failures",
                "gauge",
                "remote",
                "Pushes failed in a row, per remote (0 after a success).",
            ),
        ] {
            values.write(o, name, kind, label_name, help);
        }
        family(
            o,
            "termtrail_browser_starts_total",
            "counter",
            "Headless browser launches.",
        );
        let _ = writeln!(
            o,
            "termtrail_browser_starts_total {}",
            self.browser_starts.get()
        );
        out
    }
}

/// The process's counters.
pub fn counters() -> &'static Counters {
    static COUNTERS: OnceLock<Counters> = OnceLock::new();
    COUNTERS.get_or_init(Counters::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_appear_in_the_text_with_their_labels() {
        let c = Counters::default();
        c.checked("acme/terms", CheckCount::Version);
        c.checked("acme/terms", CheckCount::Failed);
        c.checked("evil/\"quoted\"", CheckCount::Held);
        c.delivered("mail", true);
        c.pushed("mirror", false);
        for s in [0.003, 0.05, 0.07, 99.0] {
            c.fetch_seconds.observe(s);
        }
        c.set_refresh(|c| c.set_push_status("mirror", 3, 1));
        let text = c.encode();
        for line in [
            "termtrail_checks_total{document=\"acme/terms\"} 2",
            "termtrail_versions_recorded_total{document=\"acme/terms\"} 1",
            "termtrail_check_failures_total{document=\"acme/terms\"} 1",
            "termtrail_texts_held_total{document=\"evil/\\\"quoted\\\"\"} 1",
            "termtrail_sink_deliveries_total{sink=\"mail\"} 1",
            "termtrail_push_failures_total{remote=\"mirror\"} 1",
            "termtrail_push_pending_commits{remote=\"mirror\"} 3",
            "# TYPE termtrail_plugin_host_restarts_total counter",
            "termtrail_fetch_duration_seconds_bucket{le=\"0.005\"} 1",
            "termtrail_fetch_duration_seconds_bucket{le=\"0.05\"} 2",
            "termtrail_fetch_duration_seconds_bucket{le=\"0.1\"} 3",
            "termtrail_fetch_duration_seconds_bucket{le=\"30\"} 3",
            "termtrail_fetch_duration_seconds_bucket{le=\"+Inf\"} 4",
            "termtrail_fetch_duration_seconds_count 4",
            "termtrail_browser_starts_total 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
