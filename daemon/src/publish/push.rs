//! One push of the archive to one remote with libgit2 (no git program needed): which refs to
//! push (`main`, `snapshots`, the sink cursors when asked) and where, what is not pushed yet
//! (each ref against its record `refs/termtrail/pushed/REMOTE/...`), the push itself with
//! credentials, and the record moved after the remote accepted each ref.

use std::cell::{Cell, RefCell};
use std::path::Path;

use git2::{CredentialType, Oid, Repository};

use super::settings::{PushSettings, Remote};
use super::PushError;
use crate::archive::{MAIN, SNAPSHOTS};

/// Where the record of what each remote accepted lives: `PUSHED/REMOTE/heads/main`, ...
pub const PUSHED: &str = "refs/termtrail/pushed";

/// The sink cursors, pushed with `push_sinks = true`.
const SINKS: &str = "refs/termtrail/sinks/";

/// One ref to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefPlan {
    /// The local ref (`refs/heads/main`).
    pub local: String,
    /// Its name on the remote (`refs/heads/main`, or `refs/heads/NAMESPACE/main`).
    pub remote: String,
    /// The local ref recording what the remote accepted.
    pub record: String,
    /// The local tip.
    pub tip: Oid,
    /// What the remote accepted last, as recorded.
    pub pushed: Option<Oid>,
}

impl RefPlan {
    /// Whether the remote lacks the local tip.
    pub fn is_pending(&self) -> bool {
        self.pushed != Some(self.tip)
    }
}

fn git<'a>(remote: &'a Remote, op: &'static str) -> impl FnOnce(git2::Error) -> PushError + 'a {
    move |source| PushError::Git {
        remote: remote.name.clone(),
        op,
        message: redact(remote, source.message()),
        class: source.class(),
    }
}

/// `text` without the remote's address secrets (an https token in an `env:` URL).
fn redact(remote: &Remote, text: &str) -> String {
    let mut out = crate::sinks::secret::redact(text, &[&remote.url]);
    if let Ok(url) = remote.url.expose() {
        if let Some(pw) = url::Url::parse(&url)
            .ok()
            .and_then(|u| u.password().map(str::to_owned))
        {
            if !pw.is_empty() {
                out = out.replace(&pw, "***");
            }
        }
    }
    out
}

/// The remote name of local ref `local` under `namespace`.
fn remote_ref(local: &str, namespace: Option<&str>) -> String {
    match (namespace, local.strip_prefix("refs/heads/")) {
        (None, _) => local.to_owned(),
        (Some(ns), Some(branch)) => format!("refs/heads/{ns}/{branch}"),
        (Some(ns), None) => {
            let rest = local.strip_prefix("refs/termtrail/").unwrap_or(local);
            format!("refs/termtrail/{ns}/{rest}")
        }
    }
}

/// The refs to publish to `remote` and what it has accepted of each.
pub fn plan(
    repo: &Repository,
    remote: &Remote,
    settings: &PushSettings,
) -> Result<Vec<RefPlan>, PushError> {
    let mut locals = Vec::new();
    for name in [MAIN, SNAPSHOTS] {
        match repo.refname_to_id(name) {
            Ok(id) => locals.push((name.to_owned(), id)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => {}
            Err(e) => return Err(git(remote, "read a branch")(e)),
        }
    }
    if settings.sinks {
        let refs = repo
            .references_glob(&format!("{SINKS}*"))
            .map_err(git(remote, "list the sink cursors"))?;
        for r in refs {
            let r = r.map_err(git(remote, "list the sink cursors"))?;
            if let (Some(name), Some(id)) = (r.name(), r.target()) {
                locals.push((name.to_owned(), id));
            }
        }
    }
    locals
        .into_iter()
        .map(|(local, tip)| {
            let record = format!(
                "{PUSHED}/{}/{}",
                remote.name,
                local.strip_prefix("refs/").unwrap_or(&local)
            );
            let pushed = match repo.refname_to_id(&record) {
                Ok(id) => Some(id),
                Err(e) if e.code() == git2::ErrorCode::NotFound => None,
                Err(e) => return Err(git(remote, "read the push record")(e)),
            };
            Ok(RefPlan {
                remote: remote_ref(&local, settings.namespace.as_deref()),
                local,
                record,
                tip,
                pushed,
            })
        })
        .collect()
}

/// Commits of `plan`'s tip the remote has not accepted (all of them before a first push).
pub fn commits_pending(repo: &Repository, plan: &RefPlan) -> Result<usize, git2::Error> {
    if !plan.is_pending() {
        return Ok(0);
    }
    let mut walk = repo.revwalk()?;
    walk.push(plan.tip)?;
    if let Some(p) = plan.pushed.filter(|p| repo.find_commit(*p).is_ok()) {
        walk.hide(p)?;
    }
    Ok(walk.count())
}

/// Credentials, tried once each: for ssh the agent, then `~/.ssh/id_ed25519`, `id_ecdsa` and
/// `id_rsa`; for https the user and password of the URL (libgit2 asks when the server does).
fn credentials(
    attempts: &Cell<u32>,
    url: &str,
    username: Option<&str>,
    allowed: CredentialType,
) -> Result<git2::Cred, git2::Error> {
    let n = attempts.get();
    attempts.set(n + 1);
    if allowed.contains(CredentialType::SSH_KEY) {
        let user = username.unwrap_or("git");
        if n == 0 {
            return git2::Cred::ssh_key_from_agent(user);
        }
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let keys: Vec<_> = ["id_ed25519", "id_ecdsa", "id_rsa"]
            .iter()
            .filter_map(|k| home.as_ref().map(|h| h.join(".ssh").join(k)))
            .filter(|p| p.is_file())
            .collect();
        if let Some(key) = keys.get(n as usize - 1) {
            return git2::Cred::ssh_key(user, None, key, None);
        }
        return Err(git2::Error::from_str(
            "no ssh key accepted (tried the ssh agent and ~/.ssh/id_ed25519, id_ecdsa, id_rsa); \
add the deploy key to the agent or to ~/.ssh of the user termtrail runs as",
        ));
    }
    if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) && n == 0 {
        if let Ok(u) = url::Url::parse(url) {
            if let Some(pw) = u.password() {
                return git2::Cred::userpass_plaintext(u.username(), pw);
            }
        }
    }
    Err(git2::Error::from_str(
        "the server asks for credentials: put them in the URL (https://USER:TOKEN@host/..., \
given as env:VAR so the token stays out of the config) or use ssh with a key",
    ))
}

/// Pushes what `remote` has not accepted yet, and moves the record of each ref it accepted.
/// Returns the refs pushed (none when everything was already there).
pub fn push(
    archive: &Path,
    remote: &Remote,
    settings: &PushSettings,
) -> Result<Vec<RefPlan>, PushError> {
    let repo = Repository::open_bare(archive).map_err(|source| PushError::Open {
        path: archive.to_owned(),
        source,
    })?;
    let todo: Vec<_> = plan(&repo, remote, settings)?
        .into_iter()
        .filter(RefPlan::is_pending)
        .collect();
    if todo.is_empty() {
        return Ok(todo);
    }
    let url = remote.url.expose().map_err(|source| PushError::Address {
        remote: remote.name.clone(),
        source,
    })?;
    if url.starts_with("https://") {
        // Deferred at start-up (archive/libgit2.rs): loaded now, before the first HTTPS push.
        crate::archive::libgit2::load_ca_bundle()
            .map_err(git(remote, "load the system's CA certificates"))?;
    }
    let mut handle = repo
        .remote_anonymous(&url)
        .map_err(git(remote, "open the remote"))?;
    let rejected = RefCell::new(Vec::new());
    let attempts = Cell::new(0);
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.credentials(|url, user, allowed| credentials(&attempts, url, user, allowed));
    callbacks.push_update_reference(|name, status| {
        if let Some(why) = status {
            rejected
                .borrow_mut()
                .push((name.to_owned(), why.to_owned()));
        }
        Ok(())
    });
    let mut options = git2::PushOptions::new();
    options.remote_callbacks(callbacks);
    // Each ref is pushed by commit id, so the record names exactly what the remote accepted
    // even if the branch moves meanwhile. No `+`: the remote only ever fast-forwards.
    let specs: Vec<String> = todo
        .iter()
        .map(|p| format!("{}:{}", p.tip, p.remote))
        .collect();
    handle
        .push(&specs, Some(&mut options))
        .map_err(git(remote, "push"))?;
    drop(options);
    let rejected = rejected.into_inner();
    let mut accepted = Vec::new();
    for p in todo {
        if rejected.iter().any(|(name, _)| *name == p.remote) {
            continue;
        }
        repo.reference(
            &p.record,
            p.tip,
            true,
            &format!("termtrail: pushed to {}", remote.name),
        )
        .map_err(git(remote, "record the push"))?;
        accepted.push(p);
    }
    match rejected.into_iter().next() {
        Some((name, reason)) => Err(PushError::Rejected {
            remote: remote.name.clone(),
            name,
            reason: redact(remote, &reason),
        }),
        None => Ok(accepted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_moves_branches_and_sink_cursors_under_it() {
        for (local, ns, expected) in [
            ("refs/heads/main", None, "refs/heads/main"),
            ("refs/heads/main", Some("eu-1"), "refs/heads/eu-1/main"),
            (
                "refs/heads/snapshots",
                Some("eu-1"),
                "refs/heads/eu-1/snapshots",
            ),
            (
                "refs/termtrail/sinks/mail",
                Some("eu-1"),
                "refs/termtrail/eu-1/sinks/mail",
            ),
            (
                "refs/termtrail/sinks/mail",
                None,
                "refs/termtrail/sinks/mail",
            ),
        ] {
            assert_eq!(remote_ref(local, ns), expected, "{local} {ns:?}");
        }
    }

    #[test]
    fn credentials_are_tried_once_each_then_refused() {
        let attempts = Cell::new(0);
        let userpass = CredentialType::USER_PASS_PLAINTEXT;
        let url = "https://bot:t0ken@example.org/a.git";
        assert!(credentials(&attempts, url, Some("bot"), userpass).is_ok());
        let Err(again) = credentials(&attempts, url, Some("bot"), userpass) else {
            panic!("a second try with the same credentials");
        };
        assert!(again.message().contains("env:VAR"), "{}", again.message());
        let none = Cell::new(0);
        let Err(e) = credentials(&none, "https://example.org/a.git", None, userpass) else {
            panic!("credentials without a password in the URL");
        };
        assert!(e.message().contains("USER:TOKEN"), "{}", e.message());
    }
}
