//! Secrets (webhook URLs, tokens, SMTP passwords): given literally or as `env:VAR`, resolved only
//! when a delivery needs them, and never printed: `Debug` and `Display` show `***`.

use std::fmt;

/// A secret value, or where to read it.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// Written in the config.
    Literal(String),
    /// Read from this environment variable at delivery time.
    Env(String),
}

/// Why a secret cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The variable is not set.
    #[error(
        "environment variable {0} is not set (or not UTF-8); export it before starting termtrail"
    )]
    Missing(String),
}

impl Secret {
    /// Parses a config value: `env:VAR` or a literal.
    pub fn parse(s: &str) -> Self {
        match s.strip_prefix("env:") {
            Some(var) => Secret::Env(var.trim().to_owned()),
            None => Secret::Literal(s.to_owned()),
        }
    }

    /// The value; call only where it is used, and never log it.
    pub fn expose(&self) -> Result<String, SecretError> {
        match self {
            Secret::Literal(v) => Ok(v.clone()),
            Secret::Env(var) => std::env::var(var).map_err(|_| SecretError::Missing(var.clone())),
        }
    }

    /// Where it comes from, safe to print: `env:VAR` or `***`.
    pub fn origin(&self) -> String {
        match self {
            Secret::Literal(_) => "***".to_owned(),
            Secret::Env(var) => format!("env:{var}"),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Removes every occurrence of `secret`'s value from `text` (for error messages from libraries
/// that quote the URL they failed on).
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if let Ok(v) = s.expose() {
            if v.len() >= 4 {
                out = out.replace(&v, "***");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::parse("hunter2-very-secret");
        assert_eq!(format!("{s} {s:?}"), "*** ***");
        assert_eq!(s.expose().expect("literal"), "hunter2-very-secret");
        assert_eq!(
            redact("POST https://h/hunter2-very-secret failed", &[&s]),
            "POST https://h/*** failed"
        );
        let e = Secret::parse("env:TERMTRAIL_TEST_SURELY_UNSET_VAR");
        assert_eq!(e.origin(), "env:TERMTRAIL_TEST_SURELY_UNSET_VAR");
        let err = e.expose().expect_err("unset");
        assert!(err
            .to_string()
            .contains("TERMTRAIL_TEST_SURELY_UNSET_VAR is not set"));
    }
}
