//! The commands behind the command line. Each returns a typed error; `main` reports it.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::archive::{open_read_only, History, VersionEntry};
use crate::check::{CycleReport, Engine};
use crate::cli::{Cli, Command};
use crate::config::{Config, DEFAULT_CONFIG};
use crate::diff_view::{self, Style};
use crate::document::{Document, DocumentFilter, DocumentId, Extraction, FetchMode, Source};
use crate::plugin::Registry;
use crate::scheduler;
use crate::terminal::escape_controls;
use crate::time_fmt::{parse_date, short_date as date};

/// Exit status for an unusable config.
pub const EXIT_CONFIG: u8 = 2;
/// Exit status for an unusable archive.
pub const EXIT_ARCHIVE: u8 = 3;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    crate::failpoint::validate();
    let interactive_check = matches!(&cli.command, Command::Check { json: false, .. })
        && std::io::stderr().is_terminal();
    // On a terminal, `check` shows a progress bar; routine log lines would tear it.
    crate::telemetry::init(
        cli.log_format,
        if interactive_check { "warn" } else { "info" },
    );
    if let Command::PluginHost { library, fd } = &cli.command {
        // Before logging is set up: the host's stdout is the protocol, its stderr the plugin's.
        return crate::plugin::serve(library, *fd)
            .with_context(|| format!("plugin host for {}", library.display()));
    }
    match cli.command {
        Command::PdfText => std::process::exit(crate::pdf::helper_main()),
        Command::Init { dir, force } => init(&dir, force),
        command => {
            let mut config = Config::load(cli.config.as_deref())?;
            for w in &config.warnings {
                tracing::warn!("{w}");
            }
            let needs_plugins = matches!(
                command,
                Command::Run
                    | Command::Check { .. }
                    | Command::Validate
                    | Command::Import { .. }
                    | Command::Reextract { .. }
                    | Command::Extract { plugin: None, .. }
            );
            let mut registry = crate::plugin::Registry::default();
            let mut problems = Vec::new();
            if needs_plugins {
                let attached = crate::plugin::attach(
                    &config.documents,
                    &config.pending,
                    &config.plugins,
                    config.schedule.interval,
                );
                (registry, problems, config.documents) =
                    (attached.registry, attached.problems, attached.documents);
                if !matches!(command, Command::Validate) {
                    for p in &problems {
                        tracing::error!("{p}");
                    }
                }
            }
            match command {
                Command::Run => run_daemon(&config, registry),
                Command::Check { only, json } => {
                    check(&config, registry, &only, json, interactive_check)
                }
                Command::Log {
                    filter,
                    max_count,
                    summary,
                } => log(&config, filter.as_deref(), max_count, summary),
                Command::Sinks => crate::notify_commands::sinks(&config),
                Command::Compare {
                    topic,
                    only,
                    markdown,
                    width,
                } => crate::notify_commands::compare(&config, &topic, &only, markdown, width),
                Command::Show { document, at } => show(&config, &document, at.as_deref()),
                Command::Diff { document, from, to } => {
                    diff(&config, &document, from.as_deref(), to.as_deref())
                }
                Command::Validate => validate(&config, &problems),
                Command::Extract {
                    document,
                    file,
                    url,
                    plugin: None,
                } => extract(&config, &registry, &document, &file, url.as_deref()),
                Command::Import {
                    document,
                    dir,
                    ota_snapshots,
                    ota_file,
                    json,
                } => import(
                    &config,
                    registry,
                    &document,
                    dir.as_deref(),
                    ota_snapshots.as_deref(),
                    ota_file.as_deref(),
                    json,
                ),
                Command::Reextract { filter } => reextract(&config, registry, filter.as_deref()),
                Command::Extract {
                    document,
                    file,
                    url,
                    plugin: Some(plugin),
                } => extract_with_plugin(
                    &config,
                    &mut registry,
                    &plugin,
                    &document,
                    &file,
                    url.as_deref(),
                ),
                Command::Plugins => plugins(&config, &mut registry),
                Command::Init { .. } | Command::PdfText | Command::PluginHost { .. } => {
                    unreachable!("handled above")
                }
            }
        }
    }
}

/// The async runtime of one command. Dropping it does not wait for blocking work abandoned on a
/// timeout (a plugin looping in process, which cannot be stopped): everything the command needs
/// has been awaited by then.
struct CommandRuntime(Option<tokio::runtime::Runtime>);

impl CommandRuntime {
    fn block_on<F: std::future::Future>(&self, work: F) -> F::Output {
        self.0
            .as_ref()
            .expect("the runtime is only taken on drop")
            .block_on(work)
    }
}

impl Drop for CommandRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

fn runtime() -> Result<CommandRuntime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map(|rt| CommandRuntime(Some(rt)))
        .context("cannot start the async runtime")
}

fn run_daemon(config: &Config, plugins: Registry) -> Result<()> {
    if config.documents.is_empty() {
        bail!(
            "{} declares no [[document]]; nothing to watch",
            config.source
        );
    }
    let rt = runtime()?;
    rt.block_on(async {
        let (mut engine, writer) = Engine::start(&config.engine_settings(), Arc::new(plugins))?;
        let signals = crate::notify_commands::observe(&mut engine, config);
        tracing::info!(config = %config.source, archive = %config.archive.path.display(), "termtrail daemon starting");
        // Rules changed since the text was recorded: bring the archive up to date first, as a
        // technical change, so that the next real change is not mixed with it.
        for doc in engine.rules_changed(&config.documents).await {
            match engine.reextract(doc).await {
                Ok(outcome) => tracing::info!(document = %doc.id, ?outcome, "extraction rules changed: re-extracted the latest snapshot"),
                Err(e) => tracing::warn!(document = %doc.id, error = %e, "re-extraction failed"),
            }
        }
        let delivery = crate::notify_commands::start_delivery(config, &signals)?;
        scheduler::run(
            engine,
            &config.documents,
            &config.schedule,
            scheduler::shutdown_signal(),
        )
        .await;
        delivery.stop().await;
        writer.close();
        tracing::info!("stopped cleanly");
        Ok(())
    })
}

fn check(
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
    let docs: Vec<_> = config
        .documents
        .iter()
        .filter(|d| filters.is_empty() || filters.iter().any(|f| f.matches(&d.id)))
        .cloned()
        .collect();
    if docs.is_empty() {
        bail!(
            "no document in {} matches --only {}",
            config.source,
            only.join(" ")
        );
    }
    let rt = runtime()?;
    let report = rt.block_on(async {
        let (mut engine, writer) = Engine::start(&config.engine_settings(), Arc::new(plugins))?;
        let signals = crate::notify_commands::observe(&mut engine, config);
        let delivery = crate::notify_commands::OneShotDelivery::prepare(config, &signals)?;
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
        let cycle = engine.cycle(&docs, |r| {
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
            _ = scheduler::shutdown_signal() => None,
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

fn log(config: &Config, filter: Option<&str>, max: Option<usize>, summary: bool) -> Result<()> {
    let filter = filter.map(DocumentFilter::parse).transpose()?;
    let repo = open_read_only(&config.archive.path)?;
    let versions = History::new(&repo).versions(filter.as_ref())?;
    let mut out = std::io::stdout().lock();
    // Held texts first: they are what a reader of the log would otherwise miss.
    let state = crate::archive::State::load(&config.archive.path);
    for (id, s) in &state.documents {
        let Some(h) = &s.hold else { continue };
        if filter
            .as_ref()
            .is_some_and(|f| DocumentId::parse(id).map_or(true, |d| !f.matches(&d)))
        {
            continue;
        }
        writeln!(
            out,
            "HELD        {}  {id:<40}  {} (snapshot {}); recorded if the next fetch confirms it",
            date(h.since),
            escape_controls(&h.reason),
            &h.snapshot[..h.snapshot.len().min(10)]
        )?;
    }
    for v in versions.iter().take(max.unwrap_or(usize::MAX)) {
        let id = v.doc.as_ref().map(ToString::to_string).unwrap_or_default();
        writeln!(
            out,
            "{}  {}  {:<40}  {}",
            &v.commit.to_string()[..10],
            date(v.time),
            id,
            escape_controls(&v.summary)
        )?;
        if summary {
            if let Some(doc) = &v.doc {
                let new = History::new(&repo)
                    .text_in(v.commit, doc)?
                    .unwrap_or_default();
                let old = repo
                    .find_commit(v.commit)
                    .ok()
                    .and_then(|c| c.parent(0).ok())
                    .and_then(|p| History::new(&repo).text_in(p.id(), doc).ok().flatten());
                let s = crate::summary::summarise(old.as_deref(), &new, &config.taxonomy);
                let line = if old.is_none() {
                    "first record".to_owned()
                } else {
                    s.headline()
                };
                writeln!(out, "            {}", escape_controls(&line))?;
            }
        }
    }
    if versions.is_empty() {
        eprintln!("no versions recorded yet");
    }
    Ok(())
}

fn show(config: &Config, document: &str, at: Option<&str>) -> Result<()> {
    let doc = DocumentId::parse(document)?;
    let at = at
        .map(|s| {
            parse_date(s)
                .with_context(|| format!("--at {s:?}: expected YYYY-MM-DD or an RFC 3339 time"))
        })
        .transpose()?;
    let repo = open_read_only(&config.archive.path)?;
    let Some((v, text)) = History::new(&repo).version_at(&doc, at)? else {
        bail!(
            "no version of {doc} recorded{}",
            if at.is_some() { " at that date" } else { "" }
        );
    };
    eprintln!(
        "{doc} as recorded by {} on {}",
        &v.commit.to_string()[..10],
        date(v.time)
    );
    std::io::stdout()
        .lock()
        .write_all(escape_controls(&text).as_bytes())?;
    Ok(())
}

/// A commit of this document's history chosen by revision or date.
fn pick(history: &History<'_>, versions: &[VersionEntry], spec: &str) -> Result<usize> {
    if let Some(t) = parse_date(spec) {
        return versions
            .iter()
            .position(|v| v.time <= t)
            .with_context(|| format!("no version at or before {spec}"));
    }
    let id = history.resolve(spec)?;
    versions
        .iter()
        .position(|v| v.commit == id)
        .with_context(|| format!("{spec} is not a version of this document (see `termtrail log`)"))
}

fn diff(config: &Config, document: &str, from: Option<&str>, to: Option<&str>) -> Result<()> {
    let doc = DocumentId::parse(document)?;
    let repo = open_read_only(&config.archive.path)?;
    let history = History::new(&repo);
    let filter = DocumentFilter::parse(document)?;
    let versions = history.versions(Some(&filter))?;
    if versions.is_empty() {
        bail!("no version of {doc} recorded yet");
    }
    let to_i = match to {
        Some(s) => pick(&history, &versions, s)?,
        None => 0,
    };
    let from_i = match from {
        Some(s) => pick(&history, &versions, s)?,
        None if to_i + 1 < versions.len() => to_i + 1,
        None => bail!("{doc} has a single version; nothing to compare"),
    };
    let (old, new) = (&versions[from_i], &versions[to_i]);
    let old_text = history.text_in(old.commit, &doc)?.unwrap_or_default();
    let new_text = history.text_in(new.commit, &doc)?.unwrap_or_default();
    // Escaped before the diff adds its own colours.
    let (old_text, new_text) = (
        escape_controls(&old_text).into_owned(),
        escape_controls(&new_text).into_owned(),
    );
    let (added, removed) = crate::archive::message::line_counts(&old_text, &new_text);
    let style = if std::io::stdout().is_terminal() {
        Style::Color
    } else {
        Style::Plain
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{doc}: {} ({}) -> {} ({})",
        &old.commit.to_string()[..10],
        date(old.time),
        &new.commit.to_string()[..10],
        date(new.time)
    )?;
    writeln!(out, "{added} line(s) added, {removed} removed")?;
    let summary = crate::summary::summarise(Some(&old_text), &new_text, &config.taxonomy);
    writeln!(out, "{}", summary.render_text())?;
    out.write_all(diff_view::render(&old_text, &new_text, style).as_bytes())?;
    Ok(())
}

fn import(
    config: &Config,
    plugins: Registry,
    document: &str,
    dir: Option<&Path>,
    ota: Option<&Path>,
    ota_file: Option<&str>,
    json: bool,
) -> Result<()> {
    let id = DocumentId::parse(document)?;
    let doc = config.document(&id).with_context(|| {
        format!(
            "{id} is not declared in {}; add a [[document]] for it first",
            config.source
        )
    })?;
    let captures = match (dir, ota) {
        (_, Some(repo)) => crate::import::ota_captures(repo, doc, ota_file)?,
        (Some(dir), None) => crate::import::captures_in(dir)?,
        (None, None) => bail!("give a folder of captures or --ota-snapshots REPO"),
    };
    let rt = runtime()?;
    let results = rt.block_on(async {
        let (engine, writer) = Engine::start(&config.engine_settings(), Arc::new(plugins))?;
        let results = engine.import(doc, captures).await;
        drop(engine);
        writer.close();
        anyhow::Ok(results)
    })?;
    let mut out = std::io::stdout().lock();
    for r in &results {
        let at = crate::time_fmt::rfc3339(r.at);
        if json {
            let line = serde_json::json!({
                "capture": r.label,
                "captured_at": at,
                "outcome": r.outcome,
                "error": r.error.as_ref().map(ToString::to_string),
            });
            writeln!(out, "{line}")?;
        } else {
            let err = r
                .error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            writeln!(
                out,
                "{at}  {:<9}  {}{err}",
                format!("{:?}", r.outcome).to_lowercase(),
                r.label
            )?;
        }
    }
    Ok(())
}

fn reextract(config: &Config, plugins: Registry, filter: Option<&str>) -> Result<()> {
    let filter = filter.map(DocumentFilter::parse).transpose()?;
    let docs: Vec<_> = config
        .documents
        .iter()
        .filter(|d| filter.as_ref().is_none_or(|f| f.matches(&d.id)))
        .collect();
    if docs.is_empty() {
        bail!(
            "no document in {} matches {}",
            config.source,
            filter.map(|_| "the filter").unwrap_or("(none declared)")
        );
    }
    let rt = runtime()?;
    rt.block_on(async {
        let (engine, writer) = Engine::start(&config.engine_settings(), Arc::new(plugins))?;
        let mut out = std::io::stdout().lock();
        for doc in docs {
            match engine.reextract(doc).await {
                Ok(crate::check::Outcome::Changed) => writeln!(out, "upgraded   {}", doc.id)?,
                Ok(_) => writeln!(out, "unchanged  {}", doc.id)?,
                Err(e) => writeln!(out, "FAILED     {}: {e}", doc.id)?,
            }
        }
        engine.archive.save_state().await;
        drop(engine);
        writer.close();
        anyhow::Ok(())
    })
}

fn validate(config: &Config, plugin_problems: &[String]) -> Result<()> {
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

fn extract(
    config: &Config,
    plugins: &Registry,
    document: &str,
    file: &Path,
    url: Option<&str>,
) -> Result<()> {
    let id = DocumentId::parse(document)?;
    let doc = config
        .document(&id)
        .with_context(|| format!("{id} is not declared in {}", config.source))?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let base = match url {
        Some(u) => url::Url::parse(u).with_context(|| format!("--url {u:?} is not a URL"))?,
        None => doc.url.clone(),
    };
    let fetched = crate::fetch::Fetched::stored(
        base,
        bytes,
        Some("text/html".to_owned()),
        std::time::SystemTime::now(),
    );
    let text = crate::check::extract_text(doc, plugins, &fetched)
        .with_context(|| format!("{id} from {}", file.display()))?;
    std::io::stdout()
        .lock()
        .write_all(escape_controls(&text).as_bytes())?;
    Ok(())
}

fn extract_with_plugin(
    config: &Config,
    registry: &mut Registry,
    name: &str,
    kind: &str,
    file: &Path,
    url: Option<&str>,
) -> Result<()> {
    let plugin = registry
        .get(name, &config.plugins)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let known = plugin.manifest.documents.iter().find(|d| d.kind == kind);
    let url = match (url, known) {
        (Some(u), _) => u.to_owned(),
        (None, Some(d)) => d.url.clone(),
        (None, None) => bail!(
            "plugin {name} has no document of kind {kind:?} (it knows {}); pass --url to try anyway",
            plugin.manifest.documents.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>().join(", ")
        ),
    };
    let base = url::Url::parse(&url).with_context(|| format!("{url:?} is not a URL"))?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let id = DocumentId::new(name, kind).with_context(|| format!("{kind:?} is not a slug"))?;
    let doc = Document {
        id,
        title: String::new(),
        url: base.clone(),
        extraction: Extraction::Plugin(name.to_owned()),
        extractor_id: plugin.id(),
        interval: Duration::from_secs(3600),
        sources: vec![Source::plain(base.clone(), FetchMode::Http)],
    };
    let fetched = crate::fetch::Fetched::stored(
        base,
        bytes,
        Some("text/html".to_owned()),
        std::time::SystemTime::now(),
    );
    let text = crate::check::extract_text(&doc, registry, &fetched)
        .with_context(|| format!("{name} {kind} from {}", file.display()))?;
    std::io::stdout()
        .lock()
        .write_all(escape_controls(&text).as_bytes())?;
    Ok(())
}

fn plugins(config: &Config, registry: &mut Registry) -> Result<()> {
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

fn init(dir: &Path, force: bool) -> Result<()> {
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

/// The exit status for an error: 2 for config, 3 for archive problems, 1 otherwise.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<crate::config::ConfigError>().is_some() {
        EXIT_CONFIG
    } else if e.downcast_ref::<crate::archive::ArchiveError>().is_some()
        || matches!(
            e.downcast_ref::<crate::check::StartError>(),
            Some(crate::check::StartError::Archive(_))
        )
    {
        EXIT_ARCHIVE
    } else {
        1
    }
}
