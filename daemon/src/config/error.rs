//! Why a config cannot be used, and how its problems are shown: every syntax error, or every
//! invalid key and value, with the file, the line and the key.

use std::path::PathBuf;

use crate::diagnostics::{Diagnostics, Issue};

/// Why a config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("{}", render_syntax(.file, .errors))]
    Syntax {
        /// The file.
        file: String,
        /// Every syntax error found, in file order.
        errors: Vec<SyntaxError>,
    },
    /// Unknown keys, values of the wrong type, values that are not valid.
    #[error("{}", render_issues(.file, .issues))]
    Invalid {
        /// The file.
        file: String,
        /// Every problem found, in file order.
        issues: Vec<Issue>,
    },
}

/// One TOML syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The TOML parser's message.
    pub message: String,
}

fn render_syntax(file: &str, errors: &[SyntaxError]) -> String {
    let mut out = format!("{} TOML syntax error(s) in config {file}:", errors.len());
    for e in errors {
        out.push_str(&format!(
            "\n  {file}:{}:{}: {}",
            e.line,
            e.column,
            e.message.replace('\n', " ")
        ));
    }
    out
}

fn render_issues(file: &str, issues: &[Issue]) -> String {
    let mut out = format!("{} error(s) in config {file}:", issues.len());
    for i in issues {
        match i.line {
            Some(line) if i.key.is_empty() => {
                out.push_str(&format!("\n  {file}:{line}: {}", i.message))
            }
            Some(line) => out.push_str(&format!("\n  {file}:{line}: {}: {}", i.key, i.message)),
            None => out.push_str(&format!("\n  {file}: {}: {}", i.key, i.message)),
        }
    }
    out
}

impl ConfigError {
    /// The problems collected for `file`, in line order.
    pub(super) fn invalid(file: &str, d: Diagnostics<'_>) -> Self {
        ConfigError::Invalid {
            file: file.to_owned(),
            issues: d.into_issues(),
        }
    }
}
