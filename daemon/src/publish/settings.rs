//! `[archive] push`, `push_sinks` and `push_namespace`: the remotes the archive is published to,
//! validated into [`PushSettings`]. The raw keys live in `[archive]` (`archive/settings.rs`);
//! this module gives each remote its name and checks its address.

use toml::Spanned;

use crate::diagnostics::Diagnostics;
use crate::sinks::Secret;

/// One remote the archive is pushed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// A slug naming it in logs, `termtrail remotes` and its record
    /// `refs/termtrail/pushed/NAME/...`: the last path segment of the address without `.git`
    /// (or the variable's name for `env:VAR`), `-2`, `-3`... when two remotes would share one.
    pub name: String,
    /// The address: a local path, `file://`, `ssh://` or scp-like `user@host:path`, `https://`;
    /// `env:VAR` reads it from the environment at push time (for an https token in the URL).
    pub url: Secret,
}

impl Remote {
    /// The address as it may be printed: `env:VAR`, or the URL without its password.
    pub fn display(&self) -> String {
        match &self.url {
            Secret::Env(_) => self.url.origin(),
            Secret::Literal(u) => without_password(u),
        }
    }
}

/// `[archive]`'s publishing keys, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushSettings {
    /// The remotes, in the order written.
    pub remotes: Vec<Remote>,
    /// Also push the sink cursors `refs/termtrail/sinks/*`.
    pub sinks: bool,
    /// Push under `refs/heads/NAMESPACE/main` (and `.../snapshots`, and
    /// `refs/termtrail/NAMESPACE/sinks/*`) instead of `main`: one branch pair per instance in a
    /// shared repository.
    pub namespace: Option<String>,
}

/// `url` with the password of its user info replaced by `***`.
pub fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The slug a remote is named by, before duplicates are numbered.
fn base_name(url: &Secret) -> String {
    let source = match url {
        Secret::Env(var) => var.clone(),
        Secret::Literal(u) => {
            let path = url::Url::parse(u)
                .ok()
                .filter(|p| p.scheme().len() > 1)
                .map_or_else(|| u.clone(), |p| p.path().to_owned());
            // scp-like `git@host:org/repo.git`: the path is after the colon.
            let path = path.rsplit(':').next().unwrap_or_default().to_owned();
            let last = path
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            last.strip_suffix(".git").unwrap_or(&last).to_owned()
        }
    };
    let mut slug = String::new();
    for c in source.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "remote".to_owned()
    } else {
        slug
    }
}

/// Whether `s` can be a push address: a URL with a scheme libgit2 speaks, scp-like, or a path.
fn address_problem(s: &str) -> Option<&'static str> {
    if s.trim().is_empty() {
        return Some("is empty; give a path or URL of a git repository, or env:VAR");
    }
    if s.chars().any(char::is_control) {
        return Some("contains a control character");
    }
    match url::Url::parse(s) {
        Ok(u) if u.scheme().len() > 1 => match u.scheme() {
            "file" | "ssh" | "https" | "http" | "git" => None,
            _ => Some("has a scheme git cannot push to; use a path, file://, ssh://, user@host:path or https://"),
        },
        _ => None,
    }
}

/// Validates the publishing keys of `[archive]`.
pub fn validate(
    push: &Option<Vec<Spanned<String>>>,
    sinks: Option<bool>,
    namespace: &Option<Spanned<String>>,
    d: &mut Diagnostics<'_>,
) -> PushSettings {
    let mut settings = PushSettings {
        sinks: sinks.unwrap_or(false),
        ..PushSettings::default()
    };
    for (i, entry) in push.iter().flatten().enumerate() {
        let key = format!("archive.push[{}]", i + 1);
        let url = Secret::parse(entry.get_ref());
        let problem = match &url {
            Secret::Env(var) if var.is_empty() => Some("names no variable after env:"),
            Secret::Env(_) => None,
            Secret::Literal(s) => address_problem(s),
        };
        if let Some(p) = problem {
            d.push(Some(entry.span()), key, p);
            continue;
        }
        if settings.remotes.iter().any(|r| r.url == url) {
            d.push(
                Some(entry.span()),
                key,
                "is listed twice; remove one of them",
            );
            continue;
        }
        let base = base_name(&url);
        let mut name = base.clone();
        let mut n = 1;
        while settings.remotes.iter().any(|r| r.name == name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        settings.remotes.push(Remote { name, url });
    }
    if let Some(ns) = namespace {
        if crate::document::is_slug(ns.get_ref()) {
            settings.namespace = Some(ns.get_ref().clone());
        } else {
            d.push(
                Some(ns.span()),
                "archive.push_namespace",
                "expected a slug (lowercase letters, digits, single hyphens), like \"eu-1\"",
            );
        }
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Raw {
        push: Option<Vec<Spanned<String>>>,
        push_sinks: Option<bool>,
        push_namespace: Option<Spanned<String>>,
    }

    fn parse(src: &str) -> (PushSettings, Vec<String>) {
        let raw: Raw = toml::from_str(src).expect("valid toml");
        let mut d = Diagnostics::new(src);
        let s = validate(&raw.push, raw.push_sinks, &raw.push_namespace, &mut d);
        let issues = d
            .into_issues()
            .into_iter()
            .map(|i| format!("{}: {}", i.key, i.message))
            .collect();
        (s, issues)
    }

    #[test]
    fn remotes_are_named_after_their_last_path_segment() {
        let (s, issues) = parse(
            r#"push = ["/srv/git/terms.git", "file:///backup/terms.git", "git@example.org:org/policy-archive.git",
                       "ssh://git@example.org/org/other.git/", "https://user:tok3n@example.org/a/b", "env:TERMTRAIL_PUSH_URL"]
               push_sinks = true
               push_namespace = "eu-1""#,
        );
        assert!(issues.is_empty(), "{issues:?}");
        let names: Vec<_> = s.remotes.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "terms",
                "terms-2",
                "policy-archive",
                "other",
                "b",
                "termtrail-push-url"
            ]
        );
        assert!(s.sinks);
        assert_eq!(s.namespace.as_deref(), Some("eu-1"));
        // The password never prints; an env: address prints as its variable.
        assert_eq!(s.remotes[4].display(), "https://user:***@example.org/a/b");
        assert_eq!(s.remotes[5].display(), "env:TERMTRAIL_PUSH_URL");
        assert!(!format!("{s:?}").contains("tok3n"));
    }

    #[test]
    fn bad_addresses_and_namespaces_are_reported() {
        for (src, expected) in [
            (r#"push = [""]"#, "archive.push[1]: is empty"),
            (r#"push = ["ftp://h/x.git"]"#, "scheme git cannot push to"),
            (r#"push = ["env:"]"#, "names no variable"),
            (
                r#"push = ["/a.git", "/a.git"]"#,
                "archive.push[2]: is listed twice",
            ),
            (
                r#"push_namespace = "EU 1""#,
                "archive.push_namespace: expected a slug",
            ),
        ] {
            let (_, issues) = parse(src);
            assert_eq!(issues.len(), 1, "{src}: {issues:?}");
            assert!(issues[0].contains(expected), "{src}: {issues:?}");
        }
        let (s, issues) = parse("");
        assert!(issues.is_empty() && s.remotes.is_empty() && !s.sinks && s.namespace.is_none());
    }
}
