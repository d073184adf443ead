//! The plugins of a run, each loaded once, by name; and the documents they complete (pending
//! documents given their manifest's URL, tracked plugins' documents added).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::{LoadedPlugin, PluginError, PluginSettings};
use crate::document::{Document, DocumentId, Extraction, FetchMode, PendingDocument, Source};

/// The plugins loaded for a config, by name; each is loaded once and shared.
#[derive(Debug, Default)]
pub struct Registry {
    loaded: BTreeMap<String, Result<Arc<LoadedPlugin>, Arc<PluginError>>>,
}

impl Registry {
    /// Loads plugin `name` (once).
    pub fn get(
        &mut self,
        name: &str,
        settings: &PluginSettings,
    ) -> Result<Arc<LoadedPlugin>, Arc<PluginError>> {
        self.loaded
            .entry(name.to_owned())
            .or_insert_with(|| {
                LoadedPlugin::load(name, settings)
                    .map(Arc::new)
                    .map_err(Arc::new)
            })
            .clone()
    }
}

impl Registry {
    /// Plugin `name` as [`attach`] or [`Registry::get`] loaded it: the plugin, or why it could
    /// not be loaded; [`PluginError::NotAttached`] if it was never tried.
    pub fn loaded(&self, name: &str) -> Result<&Arc<LoadedPlugin>, Arc<PluginError>> {
        match self.loaded.get(name) {
            Some(Ok(p)) => Ok(p),
            Some(Err(e)) => Err(e.clone()),
            None => Err(Arc::new(PluginError::NotAttached {
                name: name.to_owned(),
            })),
        }
    }

    /// Every plugin tried so far, by name.
    pub fn all(
        &self,
    ) -> impl Iterator<Item = (&String, &Result<Arc<LoadedPlugin>, Arc<PluginError>>)> {
        self.loaded.iter()
    }
}

/// The documents of a config completed by their plugins, and the plugins loaded for them.
#[derive(Debug)]
pub struct Attached {
    /// Every plugin tried, by name: what a check looks plugin documents up in.
    pub registry: Registry,
    /// The config's documents, then those its plugins add, with the extractor id of plugin
    /// documents naming the plugin's version.
    pub documents: Vec<Document>,
    /// Plugins that could not be loaded and documents that cannot be checked, one line each.
    pub problems: Vec<String>,
}

/// A document that cannot be checked because its plugin is refused or missing, and whose URL
/// would have come from the plugin: it stays in the list with no page, so that every check fails
/// it with the plugin's load error (counted, listed in `error_ids`, alerting like any failure)
/// rather than dropping it silently.
fn unresolved(id: DocumentId, plugin: &str, title: Option<String>, interval: Duration) -> Document {
    let url = url::Url::parse(&format!("plugin:{plugin}/{}", id.kind()))
        .expect("a plugin name and a slug make a valid URL");
    Document {
        title: title.unwrap_or_else(|| id.default_title()),
        id,
        url,
        sources: Vec::new(),
        extraction: Extraction::Plugin(plugin.to_owned()),
        extractor_id: format!("plugin:{plugin} (not loaded)"),
        interval,
    }
}

/// Loads the plugins the documents use, and completes the list: a `plugin = "NAME"` document's
/// extractor id names its plugin's version, pending documents (no `url`) become documents with
/// the manifest's URL, and the manifest documents of tracked plugins (`track_all`,
/// `[plugin.NAME] track`) that the config does not declare itself are added, checked every
/// `default_interval`. A plugin that cannot be loaded costs only its own documents, and they are
/// never dropped: each fails at every check with the load error. Those with no URL of their own
/// are kept with no page ([`unresolved`]); a tracked plugin's documents are the kinds `recorded`
/// says the archive has for it (`recorded(NAME)`), or `NAME/plugin` when it has none yet.
pub fn attach(
    mut documents: Vec<Document>,
    pending: &[PendingDocument],
    settings: &PluginSettings,
    default_interval: Duration,
    recorded: impl Fn(&str) -> Vec<DocumentId>,
) -> Attached {
    let mut registry = Registry::default();
    let mut problems = Vec::new();
    // Taken by value: a copy of every document was a few MB at 10,000 (left as free chunks).
    for doc in &mut documents {
        if let Extraction::Plugin(name) = &doc.extraction {
            match registry.get(name, settings) {
                Ok(p) => doc.extractor_id = p.id(),
                Err(e) => problems.push(format!("{}: {e}", doc.id)),
            }
        }
    }
    let mut new_docs = Vec::new();
    let plugin_doc = |plugin: &Arc<LoadedPlugin>,
                      id: DocumentId,
                      url: url::Url,
                      title: String,
                      interval: Duration| Document {
        id,
        title,
        sources: vec![Source::plain(url.clone(), FetchMode::Http)],
        url,
        extraction: Extraction::Plugin(plugin.name().to_owned()),
        extractor_id: plugin.id(),
        interval,
    };
    for p in pending {
        let plugin = match registry.get(&p.plugin, settings) {
            Ok(plugin) => plugin,
            Err(e) => {
                problems.push(format!(
                    "{} (line {}) fails at every check: {e}",
                    p.id, p.line
                ));
                new_docs.push(unresolved(
                    p.id.clone(),
                    &p.plugin,
                    p.title.clone(),
                    p.interval,
                ));
                continue;
            }
        };
        let Some(info) = plugin
            .manifest
            .documents
            .iter()
            .find(|d| d.kind == p.id.kind())
        else {
            let kinds: Vec<&str> = plugin
                .manifest
                .documents
                .iter()
                .map(|d| d.kind.as_str())
                .collect();
            problems.push(format!(
                "{} (line {}) is not checked: plugin {} has no document of kind {:?}; it knows {}; give a `url` or use one of those kinds",
                p.id, p.line, p.plugin, p.id.kind(), kinds.join(", ")
            ));
            continue;
        };
        // The manifest's URL was checked when the plugin was loaded.
        let Ok(url) = url::Url::parse(&info.url) else {
            continue;
        };
        let title = p.title.clone().unwrap_or_else(|| info.title.clone());
        new_docs.push(plugin_doc(&plugin, p.id.clone(), url, title, p.interval));
    }
    let mut tracked: Vec<String> = if settings.track_all {
        settings.discover()
    } else {
        Vec::new()
    };
    tracked.extend(
        settings
            .entries
            .iter()
            .filter(|(_, e)| e.track == Some(true))
            .map(|(n, _)| n.clone()),
    );
    tracked.retain(|n| settings.tracks(n));
    tracked.sort();
    tracked.dedup();
    for name in tracked {
        let plugin = match registry.get(&name, settings) {
            Ok(p) => p,
            Err(e) => {
                let mut ids = recorded(&name);
                if ids.is_empty() {
                    ids.extend(DocumentId::new(&name, "plugin"));
                }
                let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
                problems.push(format!(
                    "tracked plugin {name}: {e}; {} fail at every check",
                    list.join(", ")
                ));
                for id in ids {
                    if !documents.iter().chain(&new_docs).any(|d| d.id == id) {
                        new_docs.push(unresolved(id, &name, None, default_interval));
                    }
                }
                continue;
            }
        };
        for info in &plugin.manifest.documents {
            let (Some(id), Ok(url)) = (
                DocumentId::new(&name, &info.kind),
                url::Url::parse(&info.url),
            ) else {
                continue;
            };
            if documents.iter().chain(&new_docs).any(|d| d.id == id) {
                continue;
            }
            new_docs.push(plugin_doc(
                &plugin,
                id,
                url,
                info.title.clone(),
                default_interval,
            ));
        }
    }
    documents.extend(new_docs);
    Attached {
        registry,
        documents,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DocumentId {
        DocumentId::parse(s).expect("valid id")
    }

    /// A plugin that cannot be loaded drops none of its documents, whatever their form: with a
    /// URL, pending (URL from the manifest), or tracked (known only from the archive, else as
    /// `NAME/plugin`).
    #[test]
    fn documents_of_a_refused_plugin_stay_and_fail_with_its_load_error() {
        let mut settings = PluginSettings::default();
        let missing = std::env::temp_dir().join("termtrail-no-such-plugin.so");
        for name in ["ghost", "tracked", "fresh"] {
            settings.entries.insert(
                name.to_owned(),
                crate::plugin::PluginEntry {
                    path: Some(missing.clone()),
                    track: (name != "ghost").then_some(true),
                    ..Default::default()
                },
            );
        }
        let pending = [PendingDocument {
            id: id("ghost/terms-of-service"),
            title: None,
            plugin: "ghost".into(),
            interval: Duration::from_secs(60),
            line: 7,
        }];
        let recorded = |platform: &str| match platform {
            "tracked" => vec![id("tracked/privacy-policy"), id("tracked/cookies")],
            _ => Vec::new(),
        };
        let attached = attach(
            Vec::new(),
            &pending,
            &settings,
            Duration::from_secs(3600),
            recorded,
        );
        let ids: Vec<String> = attached
            .documents
            .iter()
            .map(|d| d.id.to_string())
            .collect();
        assert_eq!(
            ids,
            [
                "ghost/terms-of-service",
                "fresh/plugin",
                "tracked/privacy-policy",
                "tracked/cookies"
            ]
        );
        for doc in &attached.documents {
            assert!(doc.sources.is_empty(), "{}", doc.id);
            let name = doc.extraction.plugin().expect("a plugin document");
            let err = attached.registry.loaded(name).expect_err("refused");
            assert!(
                err.to_string().contains("termtrail-no-such-plugin"),
                "{err}"
            );
        }
        assert_eq!(attached.documents[0].interval, Duration::from_secs(60));
        assert_eq!(attached.documents[1].interval, Duration::from_secs(3600));
        assert_eq!(attached.problems.len(), 3, "{:?}", attached.problems);
        assert!(
            attached.problems[0].contains("ghost/terms-of-service (line 7) fails at every check"),
            "{:?}",
            attached.problems
        );
    }
}
