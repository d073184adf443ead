//! OTA declarations translated into termtrail config: one `[[document]]` per terms type of each
//! service, the platform slug from the service's name, the kind from the terms type, the same
//! URLs and rules (they mean the same in both tools), `fetch = "browser"` where OTA executes the
//! page's scripts, and one `[[document.source]]` per page of a `combine` declaration. What cannot
//! be carried over (JavaScript filters, rules termtrail cannot compile) is said in warnings.

use std::collections::{BTreeMap, BTreeSet};

use termtrail_extract::{CompiledRule, RuleSpec};
use unicode_normalization::UnicodeNormalization;

use super::declaration::{FilterItem, ResolvedSource, Service, TermsDeclaration, TermsHistory};
use super::Warning;
use crate::document::{one_line, DocumentId};

/// The first line of every config this module writes: tells a config written by
/// `termtrail migrate-ota` (which it may rewrite) from one a person wrote (which it must not).
pub const HEADER: &str = "# Written by `termtrail migrate-ota` from an Open Terms Archive collection; running it again rewrites this file.";

/// A slug (see [`crate::document::is_slug`]) from a name: accents dropped (`Société` →
/// `societe`), letters lowercased, every run of other characters one hyphen, at most 64
/// characters (cut at a hyphen when it can). Empty when the name has no Latin letter or digit.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.nfkd() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if unicode_normalization::char::is_combining_mark(c) {
            continue;
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut s = out.trim_end_matches('-').to_owned();
    if s.len() > 64 {
        let cut = s[..64].rfind('-').filter(|&i| i >= 32).unwrap_or(64);
        s.truncate(cut);
        s = s.trim_end_matches('-').to_owned();
    }
    s
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn rule_toml(rule: &RuleSpec) -> String {
    match rule {
        RuleSpec::Css(css) => quoted(css),
        RuleSpec::Range(r) => {
            let parts: Vec<String> = [
                ("startBefore", &r.start_before),
                ("startAfter", &r.start_after),
                ("endBefore", &r.end_before),
                ("endAfter", &r.end_after),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} = {}", quoted(v))))
            .collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

fn rules_toml(rules: &[RuleSpec]) -> String {
    format!(
        "[{}]",
        rules.iter().map(rule_toml).collect::<Vec<_>>().join(", ")
    )
}

/// Why a page cannot be tracked by termtrail as declared, if it cannot.
fn check_source(s: &ResolvedSource) -> Result<(), String> {
    if s.url.is_empty() {
        return Err("a page has no `fetch` URL".to_owned());
    }
    match url::Url::parse(&s.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => return Err(format!("{:?} is not an http(s) URL", s.url)),
    }
    for rule in s.select.iter().chain(&s.remove) {
        CompiledRule::compile(rule)
            .map_err(|e| format!("termtrail cannot use the rule {}: {e}", rule_toml(rule)))?;
    }
    Ok(())
}

fn source_lines(s: &ResolvedSource, out: &mut String) {
    out.push_str(&format!("url = {}\n", quoted(&s.url)));
    if !s.select.is_empty() {
        out.push_str(&format!("select = {}\n", rules_toml(&s.select)));
    }
    if !s.remove.is_empty() {
        out.push_str(&format!("remove = {}\n", rules_toml(&s.remove)));
    }
    if s.browser {
        out.push_str("fetch = \"browser\"\n");
    }
}

/// The `[[document]]` table of `id` declared by `declaration`, or why there is none.
pub fn document_table(
    id: &DocumentId,
    title: &str,
    declaration: &TermsDeclaration,
) -> Result<String, String> {
    let sources = declaration.sources();
    for s in &sources {
        check_source(s)?;
    }
    let mut t = format!(
        "[[document]]\nplatform = {}\nkind = {}\ntitle = {}\n",
        quoted(id.platform()),
        quoted(id.kind()),
        quoted(&one_line(title))
    );
    match sources.as_slice() {
        [one] => source_lines(one, &mut t),
        many => {
            for s in many {
                t.push_str("[[document.source]]\n");
                source_lines(s, &mut t);
            }
        }
    }
    Ok(t)
}

/// A hint for a JavaScript filter termtrail cannot run.
fn filter_hint(filter: &FilterItem) -> String {
    let name = filter.name();
    if name == "removeQueryParams" {
        let params: Vec<String> = match filter.params() {
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        let (known, other): (Vec<String>, Vec<String>) = params
            .into_iter()
            .partition(|p| termtrail_extract::is_tracking_param(p));
        return if other.is_empty() {
            "termtrail already removes these tracking parameters from links, and any whose value looks machine-generated".to_owned()
        } else {
            format!(
                "termtrail removes tracking parameters{} and any whose value looks machine-generated, but keeps {}; if they change at every fetch, a plugin can drop them (plugins/template/README.md)",
                if known.is_empty() {
                    String::new()
                } else {
                    format!(" (here {})", known.join(", "))
                },
                other.join(", ")
            )
        };
    }
    "termtrail runs no JavaScript: if the filter removes elements, write a `remove` rule for them; if it rewrites the page, a plugin can do it (plugins/template/README.md)".to_owned()
}

/// One document of the migration.
#[derive(Debug, Clone)]
pub struct MigratedDocument {
    /// The termtrail id.
    pub id: DocumentId,
    /// Commit titles: "SERVICE NAME Terms Type".
    pub title: String,
    /// OTA's service id (its files' folder in the snapshots and versions repositories).
    pub service_id: String,
    /// OTA's terms type ("Privacy Policy"): its files' name.
    pub terms_type: String,
    /// The declarations over time.
    pub history: TermsHistory,
    /// The `[[document]]` table of each declaration of [`TermsHistory::all`] (the current one
    /// last), or why it cannot be used.
    pub tables: Vec<Result<String, String>>,
}

impl MigratedDocument {
    /// The table of the current declaration, when it can be used: what the config gets.
    pub fn current_table(&self) -> Option<&str> {
        self.tables
            .last()
            .and_then(|t| t.as_ref().ok())
            .map(String::as_str)
    }
}

/// A translated collection.
#[derive(Debug, Clone, Default)]
pub struct Migration {
    /// Every document, sorted by id.
    pub documents: Vec<MigratedDocument>,
    /// What could not be carried over, in order.
    pub warnings: Vec<Warning>,
}

/// Translates `services` (see the module documentation). Deterministic: the same collection
/// gives the same documents, ids and warnings.
pub fn translate(services: &[Service]) -> Migration {
    let mut migration = Migration::default();
    // Slug → service id, so that two services whose names give one slug stay apart.
    let mut platforms: BTreeMap<String, String> = BTreeMap::new();
    for service in services {
        let base = match slug(&service.name) {
            s if !s.is_empty() => s,
            _ => match slug(&service.id) {
                s if !s.is_empty() => s,
                _ => "service".to_owned(),
            },
        };
        let mut platform = base.clone();
        let mut n = 2;
        while platforms.contains_key(&platform) {
            platform = slug(&format!("{base}-{n}"));
            n += 1;
        }
        if platform != base {
            migration.warnings.push(Warning::service(
                &service.id,
                format!(
                    "its name gives the platform slug \"{base}\", already taken by {}; it is \"{platform}\"",
                    platforms[&base]
                ),
            ));
        }
        platforms.insert(platform.clone(), service.id.clone());
        for (terms_type, history) in &service.terms {
            let kind = slug(terms_type);
            let Some(id) = DocumentId::new(&platform, &kind) else {
                migration.warnings.push(Warning::service(
                    &service.id,
                    format!(
                        "the terms type {terms_type:?} gives no usable kind slug; it is left out"
                    ),
                ));
                continue;
            };
            let title = format!("{} {terms_type}", service.name);
            let all = history.all();
            let tables: Vec<Result<String, String>> =
                all.iter().map(|d| document_table(&id, &title, d)).collect();
            let subject = id.to_string();
            if let Some(Err(reason)) = tables.last() {
                migration.warnings.push(Warning::document(
                    &subject,
                    format!("left out of the config: {reason}"),
                ));
            }
            for (past, table) in history.past.iter().zip(&tables) {
                if let Err(reason) = table {
                    migration.warnings.push(Warning::document(
                        &subject,
                        format!(
                            "captures up to {} cannot be imported with the declaration then in force: {reason}",
                            crate::time_fmt::rfc3339(past.valid_until)
                        ),
                    ));
                }
            }
            let mut seen = BTreeSet::new();
            for filter in all.iter().flat_map(|d| d.sources()).flat_map(|s| s.filters) {
                if seen.insert(filter.name()) {
                    migration.warnings.push(Warning::document(
                        &subject,
                        format!(
                            "filter \"{}\" ({}) not carried over: {}",
                            filter.name(),
                            if filter.name() == "removeQueryParams" {
                                "built into OTA".to_owned()
                            } else {
                                format!("JavaScript in {}.filters.js", service.id)
                            },
                            filter_hint(&filter)
                        ),
                    ));
                }
            }
            migration.documents.push(MigratedDocument {
                id,
                title,
                service_id: service.id.clone(),
                terms_type: terms_type.clone(),
                history: history.clone(),
                tables,
            });
        }
    }
    migration.documents.sort_by(|a, b| a.id.cmp(&b.id));
    migration
}

/// The config file of a migration: [`HEADER`], then the table of each document whose current
/// declaration can be used. Documents left out are listed in a comment with the reason.
pub fn config_toml(migration: &Migration) -> String {
    let mut out = format!(
        "{HEADER}\n# Each document's title, URL and rules come from its OTA declaration.\n"
    );
    let left_out: Vec<&MigratedDocument> = migration
        .documents
        .iter()
        .filter(|d| d.current_table().is_none())
        .collect();
    if !left_out.is_empty() {
        out.push_str("#\n# Left out (see the warnings of `termtrail migrate-ota`):\n");
        for d in left_out {
            let reason = d
                .tables
                .last()
                .and_then(|t| t.as_ref().err())
                .map(|r| one_line(r))
                .unwrap_or_default();
            out.push_str(&format!("#   {}: {reason}\n", d.id));
        }
    }
    for d in &migration.documents {
        if let Some(table) = d.current_table() {
            out.push('\n');
            out.push_str(table);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::declaration::{PastDeclaration, TermsHistory};
    use termtrail_extract::RuleList;

    #[test]
    fn slugs_from_names() {
        for (name, want) in [
            ("ChatGPT", "chatgpt"),
            ("Claude.ai", "claude-ai"),
            (
                "Google Generative AI Services",
                "google-generative-ai-services",
            ),
            ("Société Générale", "societe-generale"),
            ("  Ünïcödé -- Name!  ", "unicode-name"),
            ("抖音", ""),
        ] {
            assert_eq!(slug(name), want, "{name}");
        }
        let long = slug(&"very long service name ".repeat(10));
        assert!(
            long.len() <= 64 && crate::document::is_slug(&long),
            "{long}"
        );
    }

    fn decl(json: &str) -> TermsDeclaration {
        serde_json::from_str(json).expect("valid declaration")
    }

    fn service(id: &str, name: &str, terms: &[(&str, TermsHistory)]) -> Service {
        Service {
            id: id.into(),
            name: name.into(),
            terms: terms
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        }
    }

    fn current(d: TermsDeclaration) -> TermsHistory {
        TermsHistory {
            current: d,
            past: Vec::new(),
        }
    }

    #[test]
    fn a_collection_becomes_a_config_termtrail_accepts() {
        let services = vec![
            service(
                "Acme Chat",
                "Acme Chat",
                &[
                    (
                        "Privacy Policy",
                        current(decl(
                            r##"{ "fetch": "https://acme.example/privacy", "select": ["main", {"startBefore": "#s1", "endAfter": "hr"}],
                                 "remove": ".ad", "executeClientScripts": true, "filter": ["dropBanner"] }"##,
                        )),
                    ),
                    (
                        "Terms of Service",
                        current(decl(
                            r##"{ "select": "article", "combine": [ { "fetch": "https://acme.example/tos" },
                                 { "fetch": "https://acme.example/tos/eu", "select": "#eu", "filter": [{"removeQueryParams": ["utm_source", "ref"]}] } ] }"##,
                        )),
                    ),
                    (
                        "Cookie Policy",
                        current(decl(
                            r#"{ "fetch": "https://acme.example/c", "select": "main >" }"#,
                        )),
                    ),
                ],
            ),
            // Another service whose name gives the same slug.
            service(
                "acme-chat-2",
                "ACME chat",
                &[(
                    "Privacy Policy",
                    current(decl(r#"{ "fetch": "https://acme.example/p.pdf" }"#)),
                )],
            ),
        ];
        let m = translate(&services);
        let ids: Vec<String> = m.documents.iter().map(|d| d.id.to_string()).collect();
        assert_eq!(
            ids,
            [
                "acme-chat/cookie-policy",
                "acme-chat/privacy-policy",
                "acme-chat/terms-of-service",
                "acme-chat-2/privacy-policy",
            ]
        );
        let toml = config_toml(&m);
        assert!(toml.starts_with(HEADER), "{toml}");
        assert!(
            toml.contains(
                "[[document]]\nplatform = \"acme-chat\"\nkind = \"privacy-policy\"\ntitle = \"Acme Chat Privacy Policy\"\n\
                 url = \"https://acme.example/privacy\"\nselect = [\"main\", { startBefore = \"#s1\", endAfter = \"hr\" }]\n\
                 remove = [\".ad\"]\nfetch = \"browser\"\n"
            ),
            "{toml}"
        );
        assert!(
            toml.contains(
                "kind = \"terms-of-service\"\ntitle = \"Acme Chat Terms of Service\"\n[[document.source]]\nurl = \"https://acme.example/tos\"\nselect = [\"article\"]\n\
                 [[document.source]]\nurl = \"https://acme.example/tos/eu\"\nselect = [\"#eu\"]\n"
            ),
            "{toml}"
        );
        assert!(
            toml.contains("#   acme-chat/cookie-policy: termtrail cannot use the rule \"main >\""),
            "{toml}"
        );
        // (That termtrail accepts what it writes is tested with the command, which parses it.)
        assert_eq!(toml.matches("[[document]]").count(), 3, "{toml}");
        let warnings: Vec<String> = m.warnings.iter().map(ToString::to_string).collect();
        let expected = [
            "acme-chat-2: its name gives the platform slug \"acme-chat\", already taken by Acme Chat; it is \"acme-chat-2\"",
            "acme-chat/cookie-policy: left out of the config: termtrail cannot use the rule \"main >\"",
            "acme-chat/privacy-policy: filter \"dropBanner\" (JavaScript in Acme Chat.filters.js) not carried over: termtrail runs no JavaScript",
            "acme-chat/terms-of-service: filter \"removeQueryParams\" (built into OTA) not carried over: termtrail removes tracking parameters (here utm_source) and any whose value looks machine-generated, but keeps ref",
        ];
        for want in expected {
            assert!(
                warnings.iter().any(|w| w.starts_with(want)),
                "{want}\nnot in {warnings:#?}"
            );
        }
        assert_eq!(warnings.len(), expected.len(), "{warnings:#?}");
        // Deterministic.
        assert_eq!(config_toml(&translate(&services)), toml);
    }

    #[test]
    fn every_declaration_of_the_history_gets_its_table() {
        let h = TermsHistory {
            current: decl(r#"{ "fetch": "https://acme.example/p", "select": ".prose" }"#),
            past: vec![PastDeclaration {
                valid_until: crate::migrate::declaration::parse_time("2025-01-01T00:00:00Z")
                    .expect("valid"),
                declaration: TermsDeclaration {
                    fetch: Some("https://acme.example/p".into()),
                    select: Some(RuleList(vec![RuleSpec::Css(
                        "body > header + section".into(),
                    )])),
                    ..TermsDeclaration::default()
                },
            }],
        };
        let m = translate(&[service("Acme", "Acme", &[("Privacy Policy", h)])]);
        let d = &m.documents[0];
        assert_eq!(d.tables.len(), 2);
        assert!(d.tables[0]
            .as_ref()
            .expect("usable")
            .contains("select = [\"body > header + section\"]"));
        assert!(d
            .current_table()
            .expect("usable")
            .contains("select = [\".prose\"]"));
    }
}
