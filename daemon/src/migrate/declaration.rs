//! Open Terms Archive declarations as OTA's engine reads them: one `SERVICE_ID.json` per service
//! (its public `name` and one declaration per terms type), `SERVICE_ID.history.json` with the
//! declarations that were in force before (each valid until its `validUntil` date), and
//! `SERVICE_ID.filters.js` with the JavaScript filters declarations name.
//!
//! The semantics follow the engine: the declaration in force at a date is the first past one
//! (sorted by `validUntil`) whose `validUntil` is at or after that date, else the current one; a
//! page of a multi-page (`combine`) declaration takes from the declaration itself whatever it does
//! not give (`fetch`, `select`, `remove`, `filter`, `executeClientScripts`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use termtrail_extract::{RuleList, RuleSpec};

use super::Warning;

/// Why a collection cannot be read at all (a single unreadable service is only a warning).
#[derive(Debug, thiserror::Error)]
pub enum CollectionError {
    /// The folder cannot be listed.
    #[error("cannot read the declarations folder {path}: {source}; give the collection's `declarations` folder (or the collection folder holding it)")]
    Read {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No service declaration in it.
    #[error("no service declaration (SERVICE.json) in {0}; give the collection's `declarations` folder (or the collection folder holding it)")]
    Empty(PathBuf),
}

/// A filter as a declaration names it: `"name"`, or `{ "name": PARAMETERS }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum FilterItem {
    /// A filter function without parameters.
    Name(String),
    /// A filter function with its parameters.
    WithParams(BTreeMap<String, serde_json::Value>),
}

impl FilterItem {
    /// The filter function's name.
    pub fn name(&self) -> String {
        match self {
            Self::Name(n) => n.clone(),
            Self::WithParams(m) => m.keys().next().cloned().unwrap_or_default(),
        }
    }

    /// The parameters, when given.
    pub fn params(&self) -> Option<&serde_json::Value> {
        match self {
            Self::Name(_) => None,
            Self::WithParams(m) => m.values().next(),
        }
    }
}

/// One page of a `combine` declaration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SourceDeclaration {
    /// The page's URL.
    pub fetch: Option<String>,
    /// Its `select` rules.
    pub select: Option<RuleList>,
    /// Its `remove` rules.
    pub remove: Option<RuleList>,
    /// Its JavaScript filters.
    pub filter: Option<Vec<FilterItem>>,
    /// Rendered in a browser.
    pub execute_client_scripts: Option<bool>,
}

/// The declaration of one terms type of a service (current, or past with `valid_until`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TermsDeclaration {
    /// The page's URL (or the default of the `combine` pages).
    pub fetch: Option<String>,
    /// `select` rules (or the default of the `combine` pages).
    pub select: Option<RuleList>,
    /// `remove` rules (or the default of the `combine` pages).
    pub remove: Option<RuleList>,
    /// JavaScript filters (or the default of the `combine` pages).
    pub filter: Option<Vec<FilterItem>>,
    /// Rendered in a browser (or the default of the `combine` pages).
    pub execute_client_scripts: Option<bool>,
    /// The pages of a multi-page document, in order.
    pub combine: Option<Vec<SourceDeclaration>>,
    /// In a history file: the last date this declaration was in force.
    pub valid_until: Option<String>,
}

/// One page as termtrail needs it: the declaration's defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedSource {
    /// The URL fetched.
    pub url: String,
    /// `select` rules (none: a PDF, or OTA's whole page).
    pub select: Vec<RuleSpec>,
    /// `remove` rules.
    pub remove: Vec<RuleSpec>,
    /// OTA executes the page's scripts: termtrail renders it in the browser.
    pub browser: bool,
    /// The filters the page names, which termtrail cannot run.
    pub filters: Vec<FilterItem>,
}

impl TermsDeclaration {
    /// The pages, in order, each with the declaration's defaults applied. A page without a URL
    /// has none (`url` empty), which [`super::translate`] reports.
    pub fn sources(&self) -> Vec<ResolvedSource> {
        let rules = |own: &Option<RuleList>, default: &Option<RuleList>| {
            own.as_ref()
                .or(default.as_ref())
                .map(|l| l.0.clone())
                .unwrap_or_default()
        };
        match &self.combine {
            None => vec![ResolvedSource {
                url: self.fetch.clone().unwrap_or_default(),
                select: rules(&self.select, &None),
                remove: rules(&self.remove, &None),
                browser: self.execute_client_scripts.unwrap_or(false),
                filters: self.filter.clone().unwrap_or_default(),
            }],
            Some(pages) => pages
                .iter()
                .map(|p| ResolvedSource {
                    url: p.fetch.clone().or(self.fetch.clone()).unwrap_or_default(),
                    select: rules(&p.select, &self.select),
                    remove: rules(&p.remove, &self.remove),
                    browser: p
                        .execute_client_scripts
                        .or(self.execute_client_scripts)
                        .unwrap_or(false),
                    filters: p.filter.clone().or(self.filter.clone()).unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// A time as OTA writes `validUntil` (RFC 3339, e.g. `2024-03-01T10:00:00Z`, milliseconds
/// allowed).
pub fn parse_time(s: &str) -> Option<SystemTime> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    let nanos = t.unix_timestamp_nanos();
    let secs = u64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::new(secs, sub))
}

/// A past declaration and the last time it was in force.
#[derive(Debug, Clone, PartialEq)]
pub struct PastDeclaration {
    /// In force up to and including this time.
    pub valid_until: SystemTime,
    /// The declaration.
    pub declaration: TermsDeclaration,
}

/// The declarations of one terms type over time.
#[derive(Debug, Clone, PartialEq)]
pub struct TermsHistory {
    /// The declaration in force now.
    pub current: TermsDeclaration,
    /// Earlier declarations, oldest first.
    pub past: Vec<PastDeclaration>,
}

impl TermsHistory {
    /// The declaration in force at `at`, and its index: `0..past.len()` for a past one,
    /// `past.len()` for the current one.
    pub fn at(&self, at: SystemTime) -> (usize, &TermsDeclaration) {
        match self.past.iter().position(|p| at <= p.valid_until) {
            Some(i) => (i, &self.past[i].declaration),
            None => (self.past.len(), &self.current),
        }
    }

    /// Every declaration, oldest first (the current one last), as [`TermsHistory::at`] indexes
    /// them.
    pub fn all(&self) -> Vec<&TermsDeclaration> {
        self.past
            .iter()
            .map(|p| &p.declaration)
            .chain(std::iter::once(&self.current))
            .collect()
    }
}

/// One service of the collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The file name without `.json`: OTA's service id, the folder of its snapshots and versions.
    pub id: String,
    /// The public name.
    pub name: String,
    /// Its terms, by OTA terms type ("Privacy Policy", ...).
    pub terms: BTreeMap<String, TermsHistory>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawService {
    name: String,
    terms: BTreeMap<String, TermsDeclaration>,
    // OTA's schema allows it; it says where the declaration was imported from.
    #[allow(dead_code)]
    imported_from: Option<String>,
}

/// The `declarations` folder of `dir`: `dir` itself, or `dir/declarations` when `dir` is a
/// collection folder.
pub fn declarations_dir(dir: &Path) -> PathBuf {
    let inner = dir.join("declarations");
    if inner.is_dir() {
        inner
    } else {
        dir.to_path_buf()
    }
}

/// Reads one service: its declaration and, when present, its history file.
fn read_service(dir: &Path, id: &str) -> Result<(Service, Vec<Warning>), String> {
    let path = dir.join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read it: {e}"))?;
    let raw: RawService =
        serde_json::from_str(&text).map_err(|e| format!("not a service declaration: {e}"))?;
    let history_path = dir.join(format!("{id}.history.json"));
    let mut history: BTreeMap<String, Vec<TermsDeclaration>> = if history_path.is_file() {
        let text = std::fs::read_to_string(&history_path)
            .map_err(|e| format!("cannot read {}: {e}", history_path.display()))?;
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not a declaration history: {e}",
                history_path.display()
            )
        })?
    } else {
        BTreeMap::new()
    };
    let mut warnings = Vec::new();
    for terms_type in history.keys() {
        if !raw.terms.contains_key(terms_type) {
            warnings.push(Warning::service(
                id,
                format!("{id}.history.json has entries for \"{terms_type}\", which {id}.json no longer declares; they are not imported"),
            ));
        }
    }
    let mut terms = BTreeMap::new();
    for (terms_type, current) in raw.terms {
        let mut past = Vec::new();
        for entry in history.remove(&terms_type).unwrap_or_default() {
            let Some(until) = entry.valid_until.as_deref() else {
                warnings.push(Warning::service(
                    id,
                    format!("a past declaration of \"{terms_type}\" in {id}.history.json has no validUntil date; it is ignored"),
                ));
                continue;
            };
            match parse_time(until) {
                Some(valid_until) => past.push(PastDeclaration {
                    valid_until,
                    declaration: entry,
                }),
                None => warnings.push(Warning::service(
                    id,
                    format!("a past declaration of \"{terms_type}\" has validUntil {until:?}, which is not an RFC 3339 date; it is ignored"),
                )),
            }
        }
        past.sort_by_key(|p| p.valid_until);
        terms.insert(terms_type, TermsHistory { current, past });
    }
    Ok((
        Service {
            id: id.to_owned(),
            name: raw.name,
            terms,
        },
        warnings,
    ))
}

/// Reads every service of the `declarations` folder `dir` (see [`declarations_dir`]), sorted by
/// id. A service whose files cannot be read is left out with a warning saying why.
pub fn load_collection(dir: &Path) -> Result<(Vec<Service>, Vec<Warning>), CollectionError> {
    let read = |source| CollectionError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let name = entry.map_err(read)?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(id) = name.strip_suffix(".json") {
            if !id.ends_with(".history") {
                ids.push(id.to_owned());
            }
        }
    }
    ids.sort();
    if ids.is_empty() {
        return Err(CollectionError::Empty(dir.to_path_buf()));
    }
    let mut services = Vec::new();
    let mut warnings = Vec::new();
    for id in ids {
        match read_service(dir, &id) {
            Ok((service, w)) => {
                services.push(service);
                warnings.extend(w);
            }
            Err(reason) => warnings.push(Warning::service(
                &id,
                format!("{id}.json is left out: {reason}"),
            )),
        }
    }
    Ok((services, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SystemTime {
        parse_time(s).expect("valid time")
    }

    #[test]
    fn combine_pages_take_the_declaration_defaults() {
        let d: TermsDeclaration = serde_json::from_str(
            r#"{ "select": "main", "remove": [".ad"], "executeClientScripts": true,
                 "filter": ["dropBanner"],
                 "combine": [
                   { "fetch": "https://e.org/a" },
                   { "fetch": "https://e.org/b", "select": ["article", {"startBefore": "h1", "endAfter": "footer"}],
                     "executeClientScripts": false, "filter": [{"removeQueryParams": ["ref"]}] }
                 ] }"#,
        )
        .expect("parses");
        let s = d.sources();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].url, "https://e.org/a");
        assert_eq!(s[0].select, vec![RuleSpec::Css("main".into())]);
        assert_eq!(s[0].remove, vec![RuleSpec::Css(".ad".into())]);
        assert!(s[0].browser);
        assert_eq!(s[0].filters, vec![FilterItem::Name("dropBanner".into())]);
        assert_eq!(s[1].select.len(), 2);
        assert!(matches!(s[1].select[1], RuleSpec::Range(_)));
        assert_eq!(s[1].remove, vec![RuleSpec::Css(".ad".into())]);
        assert!(!s[1].browser);
        assert_eq!(s[1].filters[0].name(), "removeQueryParams");
        assert_eq!(s[1].filters[0].params(), Some(&serde_json::json!(["ref"])));
    }

    #[test]
    fn the_declaration_in_force_is_found_by_date() {
        let decl = |sel: &str| TermsDeclaration {
            fetch: Some("https://e.org/t".into()),
            select: Some(RuleList(vec![RuleSpec::Css(sel.into())])),
            ..TermsDeclaration::default()
        };
        let h = TermsHistory {
            current: decl("main"),
            past: vec![
                PastDeclaration {
                    valid_until: at("2024-01-01T00:00:00Z"),
                    declaration: decl("#old"),
                },
                PastDeclaration {
                    valid_until: at("2025-06-01T12:00:00.500Z"),
                    declaration: decl("#older-than-current"),
                },
            ],
        };
        for (time, index) in [
            ("2023-05-01T00:00:00Z", 0),
            // `validUntil` itself is still in force (OTA compares with <=).
            ("2024-01-01T00:00:00Z", 0),
            ("2024-01-01T00:00:01Z", 1),
            ("2025-06-01T12:00:00.500Z", 1),
            ("2025-06-01T12:00:01Z", 2),
        ] {
            assert_eq!(h.at(at(time)).0, index, "{time}");
        }
        assert_eq!(h.all().len(), 3);
    }

    #[test]
    fn a_collection_is_read_with_its_histories_and_its_problems_said() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w =
            |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
        w(
            "Acme Chat.json",
            r#"{ "name": "Acme Chat", "terms": { "Privacy Policy": { "fetch": "https://acme.example/privacy", "select": "main" } } }"#,
        );
        w(
            "Acme Chat.history.json",
            r##"{ "Privacy Policy": [
                 { "fetch": "https://acme.example/p2", "select": "#b", "validUntil": "2025-02-01T00:00:00Z" },
                 { "fetch": "https://acme.example/p1", "select": "#a", "validUntil": "2024-02-01T00:00:00Z" },
                 { "fetch": "https://acme.example/p0", "select": "#z", "validUntil": "yesterday" }
               ],
               "Terms of Service": [ { "fetch": "https://acme.example/tos", "select": "main", "validUntil": "2024-02-01T00:00:00Z" } ] }"##,
        );
        w(
            "Broken.json",
            r#"{ "name": "Broken", "terms": { "Privacy Policy": { "fecth": "x" } } }"#,
        );
        w("README.md", "not a declaration");
        let (services, warnings) = load_collection(dir.path()).expect("loads");
        assert_eq!(services.len(), 1);
        let h = &services[0].terms["Privacy Policy"];
        // Sorted by date whatever the order in the file; the bad date is left out.
        let urls: Vec<_> = h
            .past
            .iter()
            .map(|p| p.declaration.fetch.clone().unwrap_or_default())
            .collect();
        assert_eq!(urls, ["https://acme.example/p1", "https://acme.example/p2"]);
        let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|w| w.contains("\"yesterday\"")), "{text:?}");
        assert!(
            text.iter().any(|w| w.contains("\"Terms of Service\"")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|w| w.contains("Broken.json is left out") && w.contains("fecth")),
            "{text:?}"
        );
        assert!(matches!(
            load_collection(&dir.path().join("nope")),
            Err(CollectionError::Read { .. })
        ));
        let empty = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            load_collection(empty.path()),
            Err(CollectionError::Empty(_))
        ));
    }
}
