//! Named fail points for the crash tests: compiled into debug builds only and driven by the
//! environment variable `TERMTRAIL_FAILPOINTS="NAME=ACTIONS;NAME=ACTIONS"`. In release builds
//! [`hit`] is an empty function and the variable is ignored.
//!
//! `ACTIONS` is a subset of the `fail` crate's syntax: terms `[P%][N*]ACTION` chained with `->`,
//! where `ACTION` is `kill` (SIGKILL to this process: no destructor, flush or unwinding runs, as
//! with `kill -9`), `panic` (panics the calling thread) or `off`; `N*` applies a term to its first
//! N hits only, then the next term applies; `P%` fires with probability P. `2*off->kill` kills at
//! the third hit, `1*panic` panics once, `30%kill` kills at about one hit in three.
//!
//! The `fail` crate itself is not used: its points are switched on by a cargo feature, which
//! cannot follow the build profile (the tests run the debug binary that `cargo build --workspace`
//! makes, and a release build must not carry the points), and it has no kill action.

/// Every fail point, in the order a check meets them. A name outside this list in
/// `TERMTRAIL_FAILPOINTS` stops the process with an error, so a typo cannot pass a test silently.
pub const POINTS: &[&str] = &[
    // During `Archive::open`, after `git init` and before the set-up is finished.
    "archive.create",
    // At the start of one document's check, before it is fetched.
    "check.start",
    // After a document's text was extracted, before it is handed to the writer.
    "check.extracted",
    // After the objects of a snapshot commit are written, before any ref moves.
    "archive.snapshot-objects",
    // After the objects of a version commit are written, before `main` moves.
    "archive.version-objects",
    // After `main` moved to a new version, before `snapshots` moves to its snapshot.
    "archive.main-moved",
    // After `snapshots` moved, before the check is answered and the state saved.
    "archive.snapshots-moved",
    // Background packing: after the new pack and its index are written and flushed, before
    // anything is deleted.
    "archive.pack-written",
    // Background packing: after each loose object the new pack holds is deleted.
    "archive.pack-pruning",
    // After an event was sent to a sink, before its cursor moves.
    "delivery.sent",
    // After a sink's cursor moved past the event.
    "delivery.cursor-moved",
];

/// Passes fail point `name`: does what `TERMTRAIL_FAILPOINTS` says for it, if anything.
#[inline]
pub fn hit(name: &'static str) {
    #[cfg(debug_assertions)]
    imp::hit(name);
    #[cfg(not(debug_assertions))]
    let _ = name;
}

#[cfg(debug_assertions)]
mod imp {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Action {
        Off,
        Kill,
        Panic,
    }

    #[derive(Debug, Clone, PartialEq)]
    struct Term {
        probability: Option<f64>,
        remaining: Option<u64>,
        action: Action,
    }

    fn parse_term(s: &str) -> Result<Term, String> {
        let mut rest = s.trim();
        let mut probability = None;
        if let Some((p, r)) = rest.split_once('%') {
            let p: f64 = p.parse().map_err(|_| format!("bad probability in {s:?}"))?;
            probability = Some(p / 100.0);
            rest = r;
        }
        let mut remaining = None;
        if let Some((n, r)) = rest.split_once('*') {
            remaining = Some(n.parse().map_err(|_| format!("bad count in {s:?}"))?);
            rest = r;
        }
        let action = match rest {
            "off" => Action::Off,
            "kill" => Action::Kill,
            "panic" => Action::Panic,
            other => return Err(format!("unknown action {other:?} (kill, panic or off)")),
        };
        Ok(Term {
            probability,
            remaining,
            action,
        })
    }

    fn parse(spec: &str) -> Result<HashMap<String, Vec<Term>>, String> {
        let mut points = HashMap::new();
        for item in spec.split(';').filter(|i| !i.trim().is_empty()) {
            let (name, actions) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?} is not NAME=ACTIONS"))?;
            let name = name.trim();
            if !super::POINTS.contains(&name) {
                return Err(format!(
                    "no fail point is named {name:?}; known: {}",
                    super::POINTS.join(", ")
                ));
            }
            let terms = actions
                .split("->")
                .map(parse_term)
                .collect::<Result<Vec<_>, _>>()?;
            points.insert(name.to_owned(), terms);
        }
        Ok(points)
    }

    fn table() -> &'static Mutex<HashMap<String, Vec<Term>>> {
        static TABLE: OnceLock<Mutex<HashMap<String, Vec<Term>>>> = OnceLock::new();
        TABLE.get_or_init(|| {
            let spec = std::env::var("TERMTRAIL_FAILPOINTS").unwrap_or_default();
            match parse(&spec) {
                Ok(points) => Mutex::new(points),
                Err(e) => {
                    eprintln!("error: TERMTRAIL_FAILPOINTS: {e}");
                    std::process::exit(1);
                }
            }
        })
    }

    pub(super) fn hit(name: &'static str) {
        let action = {
            let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
            let Some(terms) = table.get_mut(name) else {
                return;
            };
            let Some(term) = terms.iter_mut().find(|t| t.remaining != Some(0)) else {
                return;
            };
            if term.probability.is_some_and(|p| fastrand::f64() >= p) {
                return;
            }
            if let Some(n) = &mut term.remaining {
                *n -= 1;
            }
            term.action
        };
        match action {
            Action::Off => {}
            Action::Panic => panic!("fail point {name}: panic"),
            Action::Kill => {
                eprintln!("fail point {name}: kill");
                // SAFETY: kill(2) on our own PID; SIGKILL cannot be caught, so nothing after it
                // runs in this process.
                unsafe {
                    libc::kill(libc::getpid(), libc::SIGKILL);
                }
                std::process::abort();
            }
        }
    }

    /// Checks the spec at start-up, so a bad one fails before any work is done.
    pub(super) fn validate() {
        let _ = table();
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn specs_parse_into_terms_and_bad_ones_are_refused() {
            let p = parse("archive.main-moved=2*off->kill; check.start=1*panic").expect("valid");
            assert_eq!(
                p["archive.main-moved"],
                vec![
                    Term {
                        probability: None,
                        remaining: Some(2),
                        action: Action::Off
                    },
                    Term {
                        probability: None,
                        remaining: None,
                        action: Action::Kill
                    },
                ]
            );
            assert_eq!(
                parse("check.start=25%kill").expect("valid")["check.start"][0].probability,
                Some(0.25)
            );
            assert!(parse("").expect("empty is no point").is_empty());
            let typo = parse("archive.main-move=kill").expect_err("unknown name");
            assert!(typo.contains("no fail point is named"), "{typo}");
            let bad = parse("check.start=explode").expect_err("unknown action");
            assert!(bad.contains("unknown action"), "{bad}");
        }
    }
}

/// Checks `TERMTRAIL_FAILPOINTS` (debug builds): a bad spec stops the process at start-up.
pub fn validate() {
    #[cfg(debug_assertions)]
    imp::validate();
}
