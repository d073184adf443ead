//! The command line: raw flags (clap), dispatched to the commands in [`crate::commands`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::telemetry::LogFormat;

/// termtrail watches platform policy documents and records every version in a git repository.
#[derive(Debug, Parser)]
#[command(name = "termtrail", version, about, long_about = None)]
pub struct Cli {
    /// Config file [default: config/termtrail.toml if it exists, else the built-in default].
    #[arg(
        long,
        short,
        global = true,
        env = "TERMTRAIL_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Log format on stderr (the level comes from RUST_LOG, e.g. RUST_LOG=termtrail=debug).
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: check each document at its interval until SIGINT/SIGTERM.
    Run,
    /// Check every document once (due or not), then exit.
    Check {
        /// Only these documents: PLATFORM or PLATFORM/KIND (repeatable).
        #[arg(long, value_name = "PLATFORM[/KIND]")]
        only: Vec<String>,
        /// Print one JSON object with the counts instead of a human summary.
        #[arg(long)]
        json: bool,
    },
    /// List recorded versions, newest first.
    Log {
        /// Only this platform or document.
        #[arg(value_name = "PLATFORM[/KIND]")]
        filter: Option<String>,
        /// Show at most this many.
        #[arg(long, short = 'n')]
        max_count: Option<usize>,
    },
    /// Print a document's recorded text (the latest, or as it was at a date).
    Show {
        /// The document.
        #[arg(value_name = "PLATFORM/KIND")]
        document: String,
        /// A date (YYYY-MM-DD, meaning the end of that day, UTC) or an RFC 3339 time.
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
    },
    /// Show what changed between two versions of a document, word by word.
    Diff {
        /// The document.
        #[arg(value_name = "PLATFORM/KIND")]
        document: String,
        /// The older version: a commit or a date [default: the version before TO].
        from: Option<String>,
        /// The newer version: a commit or a date [default: the latest version].
        to: Option<String>,
    },
    /// Check the config and print what it tracks.
    Validate,
    /// Print the Markdown that a saved page gives with a document's rules (for writing selectors),
    /// or with a plugin (`--plugin NAME KIND FILE`).
    Extract {
        /// The document whose rules to use (with --plugin: the document KIND).
        #[arg(value_name = "PLATFORM/KIND")]
        document: String,
        /// The saved page.
        file: PathBuf,
        /// The URL the page came from, for absolute links [default: the document's URL].
        #[arg(long)]
        url: Option<String>,
        /// Extract with this plugin instead of a configured document's rules.
        #[arg(long, value_name = "NAME")]
        plugin: Option<String>,
    },
    /// List the plugins: versions, ABI, documents, checksums, load errors.
    Plugins,
    /// Internal: serve one plugin over stdin/stdout for an isolated daemon (see ARCHITECTURE.md).
    #[command(hide = true)]
    PluginHost {
        /// The plugin library.
        library: PathBuf,
    },
    /// Write the default config to DIR/config/termtrail.toml for editing.
    Init {
        /// The folder to set up.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Overwrite an existing config.
        #[arg(long)]
        force: bool,
    },
}
