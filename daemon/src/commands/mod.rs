//! The commands behind the command line, one file per command or group; the only place that
//! prints results. Each returns a typed error; `main` reports it. This file dispatches, loads the
//! config and plugins, and maps errors to exit codes.

mod check;
mod compare;
mod daemon;
mod extract;
mod history;
mod import;
pub mod migrate_ota;
mod notify;
mod plugins;
mod provisions;
mod remotes;
mod serve;
mod sinks;
mod validate;

use std::io::IsTerminal;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command, PluginCommand};
use crate::config::Config;
pub use crate::time_fmt::parse_date;
use crate::time_fmt::short_date as date;

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
        Command::Init { dir, force } => validate::init(&dir, force),
        // No config needed to write a new plugin.
        Command::Plugin {
            action: PluginCommand::New { name, dir },
        } => plugins::new_plugin(&name, &dir),
        // Writes a config rather than reading one.
        Command::MigrateOta {
            declarations,
            output,
            snapshots,
            versions,
        } => migrate_ota::migrate_ota(
            &declarations,
            &output,
            snapshots.as_deref(),
            versions.as_deref(),
            std::io::stderr().is_terminal(),
        ),
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
                // A tracked plugin that cannot be loaded keeps the documents it has on record.
                let repo = crate::archive::open_read_only(&config.archive.path).ok();
                let recorded = |platform: &str| {
                    repo.as_ref()
                        .map(|r| crate::archive::History::new(r).recorded(platform))
                        .unwrap_or_default()
                };
                let attached = crate::plugin::attach(
                    std::mem::take(&mut config.documents),
                    &config.pending,
                    &config.plugins,
                    config.schedule.interval,
                    recorded,
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
                Command::Run => daemon::run_daemon(&config, registry),
                Command::Check { only, json } => {
                    check::check(&config, registry, &only, json, interactive_check)
                }
                Command::Log {
                    filter,
                    provision: Some(id),
                    json,
                    ..
                } => {
                    let Some(document) = filter else {
                        anyhow::bail!("--provision needs the document: termtrail log PLATFORM/KIND --provision ID");
                    };
                    provisions::provision_log(&config, &document, &id, json)
                }
                Command::Log {
                    filter,
                    max_count,
                    summary,
                    provision: None,
                    ..
                } => history::log(&config, filter.as_deref(), max_count, summary),
                Command::Provisions {
                    document,
                    at,
                    topic,
                    json,
                } => provisions::provisions(
                    &config,
                    &document,
                    at.as_deref(),
                    topic.as_deref(),
                    json,
                ),
                Command::Sinks => sinks::sinks(&config),
                Command::Remotes { json } => remotes::remotes(&config, json),
                Command::Serve { listen } => serve::serve(&config, listen),
                Command::Compare {
                    topic,
                    at,
                    only,
                    json,
                    markdown,
                    width,
                } => compare::compare(
                    &config,
                    &compare::CompareArgs {
                        topic: &topic,
                        at: at.as_deref(),
                        only: &only,
                        json,
                        markdown,
                        width,
                    },
                ),
                Command::Show { document, at } => history::show(&config, &document, at.as_deref()),
                Command::Diff {
                    document,
                    from,
                    to,
                    json,
                } => history::diff(&config, &document, from.as_deref(), to.as_deref(), json),
                Command::Validate => validate::validate(&config, &problems),
                Command::Extract {
                    document,
                    file,
                    url,
                    plugin: None,
                } => extract::extract(&config, &registry, &document, &file, url.as_deref()),
                Command::Import {
                    document,
                    dir,
                    ota_snapshots,
                    ota_file,
                    json,
                } => import::import(
                    &config,
                    registry,
                    &document,
                    dir.as_deref(),
                    ota_snapshots.as_deref(),
                    ota_file.as_deref(),
                    json,
                ),
                Command::Reextract { filter } => {
                    import::reextract(&config, registry, filter.as_deref())
                }
                Command::Extract {
                    document,
                    file,
                    url,
                    plugin: Some(plugin),
                } => extract::extract_with_plugin(
                    &config,
                    &mut registry,
                    &plugin,
                    &document,
                    &file,
                    url.as_deref(),
                ),
                Command::Plugins => plugins::plugins(&config, &mut registry),
                Command::Plugin {
                    action: PluginCommand::Install { library, into },
                } => plugins::install(&config, &library, into.as_deref()),
                Command::Init { .. }
                | Command::PdfText
                | Command::PluginHost { .. }
                | Command::MigrateOta { .. }
                | Command::Plugin {
                    action: PluginCommand::New { .. },
                } => {
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
