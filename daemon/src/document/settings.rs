//! `[[document]]` and `[[document.source]]`: the sections as written (serde, unknown keys
//! refused), their keys, and their validation into [`Document`]s (URLs parsed, rules compiled,
//! ids unique) and [`PendingDocument`]s (plugin documents waiting for their manifest's URL).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use termtrail_extract::{Extractor, RuleList};
use toml::Spanned;

use super::{
    is_slug, plugin_id, sources_id, Document, DocumentId, Extraction, FetchMode, PendingDocument,
    RuleSets, Source, OTA_TERMS_TYPES,
};
use crate::diagnostics::keys::{Key, Shape as S};
use crate::diagnostics::Diagnostics;

/// `[[document]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDocument {
    /// Required; optional here so that a missing one is reported with the other problems.
    pub platform: Option<Spanned<String>>,
    /// Required, as `platform`.
    pub kind: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub fetch: Option<Spanned<String>>,
    #[serde(rename = "source")]
    pub sources: Option<Vec<Spanned<RawSource>>>,
    pub plugin: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub select: Option<Spanned<RuleList>>,
    pub remove: Option<Spanned<RuleList>>,
    pub interval: Option<Spanned<String>>,
}

/// One page of a multi-page document (`[[document.source]]`) as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Required; optional here so that a missing one is reported with the other problems.
    pub url: Option<Spanned<String>>,
    pub select: Option<Spanned<RuleList>>,
    pub remove: Option<Spanned<RuleList>>,
    pub fetch: Option<Spanned<String>>,
}

/// The keys of a `[[document.source]]` table.
pub const SOURCE_KEYS: &[Key] = &[
    ("url", S::Text),
    ("select", S::Rules),
    ("remove", S::Rules),
    ("fetch", S::Text),
];

/// The keys of a `[[document]]` table.
pub const KEYS: &[Key] = &[
    ("platform", S::Text),
    ("kind", S::Text),
    ("url", S::Text),
    ("fetch", S::Text),
    ("source", S::Tables(SOURCE_KEYS, "[[document.source]]")),
    ("plugin", S::Text),
    ("title", S::Text),
    ("select", S::Rules),
    ("remove", S::Rules),
    ("interval", S::Duration),
];

/// The keys of an OTA range object in `select` / `remove`.
pub const RANGE_KEYS: &[Key] = &[
    ("startBefore", S::Text),
    ("startAfter", S::Text),
    ("endBefore", S::Text),
    ("endAfter", S::Text),
];

/// What the `[[document]]` tables give.
#[derive(Debug, Default)]
pub struct Documents {
    /// Complete documents, in file order.
    pub documents: Vec<Document>,
    /// Plugin documents without a URL, waiting for their plugin's manifest.
    pub pending: Vec<PendingDocument>,
    /// Things that work but look wrong (kinds Open Terms Archive does not know).
    pub warnings: Vec<String>,
}

/// Validates the `[[document]]` tables of `file`; a document without its own `interval` is
/// checked every `default_interval`.
pub fn validate(
    raw: &[Spanned<RawDocument>],
    default_interval: Duration,
    file: &str,
    diag: &mut Diagnostics<'_>,
) -> Documents {
    let mut documents = Vec::with_capacity(raw.len());
    let mut pending = Vec::new();
    let mut warnings = Vec::new();
    let mut seen: BTreeMap<DocumentId, usize> = BTreeMap::new();
    let mut rule_sets = RuleSets::default();
    for (i, entry) in raw.iter().enumerate() {
        let key = |k: &str| format!("document[{}].{k}", i + 1);
        let line = diag.line(entry.span().start);
        let span = entry.span();
        let d = entry.get_ref();
        let mut ok = true;
        for (name, v, example) in [
            ("platform", &d.platform, "openai"),
            ("kind", &d.kind, "privacy-policy"),
        ] {
            match v {
                None => {
                    diag.push(
                        Some(span.clone()),
                        key(name),
                        format!(
                            "missing; every [[document]] needs one, e.g. {name} = \"{example}\""
                        ),
                    );
                    ok = false;
                }
                Some(v) if !is_slug(v.get_ref()) => {
                    diag.push(Some(v.span()), key(name), format!("{:?} is not a slug; expected lowercase letters, digits and single hyphens, e.g. \"{example}\"", v.get_ref()));
                    ok = false;
                }
                Some(_) => {}
            }
        }
        // The title is a commit subject: a line break would let it write trailers.
        let title = match &d.title {
            Some(t) if t.get_ref().chars().any(char::is_control) => {
                diag.push(
                    Some(t.span()),
                    key("title"),
                    format!(
                        "{:?} has a line break or another control character; a title is one line of text (it is the subject of commit messages)",
                        t.get_ref()
                    ),
                );
                None
            }
            Some(t) => Some(t.get_ref().clone()),
            None => None,
        };
        let plugin = match &d.plugin {
            Some(p) if is_slug(p.get_ref()) => Some(p.get_ref().clone()),
            Some(p) => {
                diag.push(
                    Some(p.span()),
                    key("plugin"),
                    format!(
                        "{:?} is not a plugin name; expected a slug such as \"openai\"",
                        p.get_ref()
                    ),
                );
                ok = false;
                None
            }
            None => None,
        };
        if plugin.is_some() {
            for (name, v) in [
                ("select", d.select.as_ref().map(|s| s.span())),
                ("remove", d.remove.as_ref().map(|s| s.span())),
                (
                    "source",
                    d.sources.as_ref().and_then(|l| l.first()).map(|s| s.span()),
                ),
            ] {
                if v.is_some() {
                    diag.push(v, key(name), "does not apply to a plugin document (the plugin extracts it); remove the key or the `plugin` line");
                    ok = false;
                }
            }
        }
        let doc_fetch = fetch_mode(diag, &d.fetch, &key("fetch"), FetchMode::Http);
        let sources: Option<Vec<Source>> = match (&d.sources, &d.url) {
            _ if d.plugin.is_some() => d
                .url
                .as_ref()
                .and_then(|u| diag.http_url(u, &key("url")))
                .map(|url| vec![Source::plain(url, doc_fetch)]),
            (Some(list), None) => {
                if d.select.is_some() || d.remove.is_some() {
                    diag.push(Some(list[0].span()), key("source"), "with [[document.source]], give select/remove in each source, not in the document");
                }
                if list.is_empty() {
                    diag.push(
                        Some(span.clone()),
                        key("source"),
                        "give at least one [[document.source]]",
                    );
                }
                list.iter()
                    .enumerate()
                    .map(|(j, s)| {
                        let source_span = s.span();
                        let s = s.get_ref();
                        let k = key(&format!("source[{}].", j + 1));
                        let fetch = fetch_mode(diag, &s.fetch, &format!("{k}fetch"), doc_fetch);
                        let Some(url) = &s.url else {
                            diag.push(
                                Some(source_span),
                                format!("{k}url"),
                                "missing; every [[document.source]] needs url = \"https://...\"",
                            );
                            return None;
                        };
                        source(
                            diag,
                            &mut rule_sets,
                            url,
                            s.select.as_ref(),
                            s.remove.as_ref(),
                            fetch,
                            &k,
                        )
                    })
                    .collect()
            }
            (None, Some(url)) => source(
                diag,
                &mut rule_sets,
                url,
                d.select.as_ref(),
                d.remove.as_ref(),
                doc_fetch,
                &key(""),
            )
            .map(|s| vec![s]),
            (Some(_), Some(url)) => {
                diag.push(
                    Some(url.span()),
                    key("url"),
                    "give either url (one page) or [[document.source]] (several pages), not both",
                );
                None
            }
            (None, None) => {
                diag.push(Some(span.clone()), key("url"), "missing; give url = \"https://...\", one [[document.source]] per page, or `plugin = \"NAME\"` to take it from a plugin");
                ok = false;
                None
            }
        };
        let interval = diag.duration(&d.interval, &key("interval"), default_interval);
        if interval < Duration::from_secs(1) {
            diag.push(
                d.interval.as_ref().map(|s| s.span()),
                key("interval"),
                "must be at least 1s",
            );
        }
        if !ok {
            continue;
        }
        let (Some(platform), Some(kind)) = (&d.platform, &d.kind) else {
            continue;
        };
        let id = DocumentId::new(platform.get_ref(), kind.get_ref())
            .expect("both slugs were checked above");
        if let Some(first) = seen.insert(id.clone(), line) {
            diag.push(Some(platform.span()), key("platform"), format!("{id} is already declared at line {first}; each platform/kind pair must be unique"));
            continue;
        }
        if !OTA_TERMS_TYPES.contains(&id.kind()) {
            warnings.push(format!("{file}:{line}: {}: kind {:?} is not one of Open Terms Archive's terms types (e.g. privacy-policy, terms-of-service, acceptable-use-policy); archives of both tools will not line up", key("kind"), id.kind()));
        }
        if let Some(name) = plugin {
            match sources.and_then(|s| s.into_iter().next()) {
                Some(source) => documents.push(Document {
                    title: title.unwrap_or_else(|| id.default_title()),
                    extractor_id: plugin_id(&name),
                    id,
                    url: source.url.clone(),
                    extraction: Extraction::Plugin(name),
                    sources: vec![source],
                    interval,
                }),
                None if d.url.is_none() => pending.push(PendingDocument {
                    id,
                    title,
                    plugin: name,
                    interval,
                    line,
                }),
                None => {}
            }
            continue;
        }
        let Some(sources) = sources.filter(|s| !s.is_empty()) else {
            continue;
        };
        let first = sources[0].clone();
        documents.push(Document {
            title: title.unwrap_or_else(|| id.default_title()),
            extractor_id: if sources.len() == 1 {
                first.extractor_id.clone()
            } else {
                sources_id(&sources)
            },
            id,
            url: first.url,
            extraction: Extraction::Declarative(first.extractor),
            sources,
            interval,
        });
    }
    Documents {
        documents,
        pending,
        warnings,
    }
}

fn fetch_mode(
    diag: &mut Diagnostics<'_>,
    v: &Option<Spanned<String>>,
    key: &str,
    default: FetchMode,
) -> FetchMode {
    match v.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
        None => default,
        Some(("http", _)) => FetchMode::Http,
        Some(("browser", _)) => FetchMode::Browser,
        Some((other, span)) => {
            diag.push(
                Some(span),
                key,
                format!("{other:?} is not a fetch mode; expected \"http\" or \"browser\""),
            );
            default
        }
    }
}

/// Validates one page: its URL and rules. `prefix` is the key prefix (`document[1].`).
fn source(
    diag: &mut Diagnostics<'_>,
    rule_sets: &mut RuleSets,
    url: &Spanned<String>,
    select: Option<&Spanned<termtrail_extract::RuleList>>,
    remove: Option<&Spanned<termtrail_extract::RuleList>>,
    fetch: FetchMode,
    prefix: &str,
) -> Option<Source> {
    let key = |k: &str| format!("{prefix}{k}");
    let parsed = diag.http_url(url, &key("url"));
    let sel = select.map_or(&[][..], |s| &s.get_ref().0);
    let rem = remove.map_or(&[][..], |s| &s.get_ref().0);
    let compiled = match rule_sets.get(sel, rem) {
        Ok(c) => Some(c),
        Err(e) => {
            // Name the list in error: try the select rules alone to find which one failed.
            let (name, span) = if Extractor::new(sel, &[]).is_err() {
                ("select", select.map(|s| s.span()))
            } else {
                ("remove", remove.map(|s| s.span()))
            };
            diag.push(span, key(name), e);
            None
        }
    };
    let (extractor, extractor_id) = compiled?;
    Some(Source {
        url: parsed?,
        extractor_id,
        extractor,
        fetch,
    })
}
