//! `termtrail migrate-ota`: an Open Terms Archive collection moved over in one command. The
//! library (`migrate/`) reads and translates the declarations and imports the histories; this
//! file parses the config it writes, starts the engine on it, shows progress and prints the
//! summary.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use super::runtime;
use crate::check::Engine;
use crate::config::Config;
use crate::document::Document;
use crate::migrate::run::{import_histories, prepare, Options, Progress, Repositories, Summary};
use crate::plugin::Registry;

/// The termtrail document of one `[[document]]` table written by the translation.
fn document_of(table: &str) -> Result<Document, String> {
    let config = Config::parse(table, "<migrated declaration>").map_err(|e| e.to_string())?;
    config
        .documents
        .into_iter()
        .next()
        .ok_or_else(|| "the declaration gives no document".to_owned())
}

/// Runs a whole migration (see `migrate/`): writes the config, and with a snapshots repository
/// imports every document's history into the archive the config names. `progress` hears about
/// the import. Used by the command and by the fidelity harness.
pub async fn migrate(options: &Options, progress: impl FnMut(Progress)) -> Result<Summary> {
    let prepared = prepare(options)?;
    let config = Config::parse(&prepared.text, &options.output.display().to_string())
        .with_context(|| {
            format!(
                "the config written to {} is not valid (please report this)",
                options.output.display()
            )
        })?;
    let mut summary = Summary {
        output: options.output.clone(),
        written: prepared.written,
        documents: config.documents.len(),
        left_out: prepared.migration.documents.len() - config.documents.len(),
        warnings: prepared.warnings,
        reports: Vec::new(),
    };
    let Some(repos) = Repositories::open(options)? else {
        return Ok(summary);
    };
    // Each document with the termtrail document of each of its declarations, oldest first.
    let docs: Vec<_> = prepared
        .migration
        .documents
        .iter()
        .filter(|d| d.current_table().is_some())
        .map(|d| {
            let declared = d
                .tables
                .iter()
                .map(|t| t.clone().and_then(|t| document_of(&t)))
                .collect();
            (d, declared)
        })
        .collect();
    // Migrated documents are extracted by rules: no plugin is needed.
    let (engine, writer) = Engine::start(
        &super::import::keeping_every_capture(&config),
        Arc::new(Registry::default()),
    )?;
    summary.reports = import_histories(
        &repos,
        &docs,
        &engine,
        &config.archive.path,
        &mut summary.warnings,
        progress,
    )
    .await;
    drop(engine);
    writer.close();
    Ok(summary)
}

/// The command: the migration with a progress bar on a terminal, then its summary.
pub(super) fn migrate_ota(
    declarations: &Path,
    output: &Path,
    snapshots: Option<&Path>,
    versions: Option<&Path>,
    show_progress: bool,
) -> Result<()> {
    let options = Options {
        declarations: declarations.to_path_buf(),
        output: output.to_path_buf(),
        snapshots: snapshots.map(Path::to_path_buf),
        versions: versions.map(Path::to_path_buf),
    };
    let bar = show_progress.then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} captures [{elapsed}] {msg}",
            )
            .expect("static template is valid"),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let rt = runtime()?;
    let summary = rt.block_on(migrate(&options, |p| {
        if let Some(bar) = &bar {
            match p {
                Progress::Start { fetches } => bar.set_length(fetches),
                Progress::Document(id) => bar.set_message(id),
                Progress::Fetch => bar.inc(1),
            }
        }
    }));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    print!("{}", crate::migrate::report::render(&summary?));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::declaration::{Service, TermsDeclaration, TermsHistory};
    use crate::migrate::translate::{config_toml, translate};

    fn service(id: &str, name: &str, terms: &[(&str, &str)]) -> Service {
        Service {
            id: id.into(),
            name: name.into(),
            terms: terms
                .iter()
                .map(|(kind, json)| {
                    let current: TermsDeclaration =
                        serde_json::from_str(json).expect("a declaration");
                    (
                        (*kind).to_owned(),
                        TermsHistory {
                            current,
                            past: Vec::new(),
                        },
                    )
                })
                .collect(),
        }
    }

    /// What the translation writes is a config termtrail accepts, table by table and whole.
    #[test]
    fn translated_declarations_are_a_valid_config() {
        let services = [
            service(
                "Acme Chat",
                "Acme Chat",
                &[
                    (
                        "Privacy Policy",
                        r##"{ "fetch": "https://acme.example/p", "select": ["main", { "startBefore": "#s1", "endAfter": "hr" }], "remove": ".ad", "executeClientScripts": true }"##,
                    ),
                    (
                        "Terms of Service",
                        r##"{ "combine": [{ "fetch": "https://acme.example/t", "select": "article" }, { "fetch": "https://acme.example/t/eu", "select": "#eu" }] }"##,
                    ),
                ],
            ),
            service(
                "Bolt",
                "Bolt",
                &[(
                    "Acceptable Use Policy",
                    r##"{ "fetch": "https://bolt.example/aup.pdf" }"##,
                )],
            ),
        ];
        let m = translate(&services);
        let config = Config::parse(&config_toml(&m), "migrated.toml").expect("a valid config");
        assert_eq!(config.documents.len(), 3);
        for d in &m.documents {
            let table = d.current_table().expect("usable");
            let doc = document_of(table).expect("a document");
            assert_eq!(doc.id, d.id);
        }
        let tos = document_of(m.documents[1].current_table().expect("usable")).expect("doc");
        assert_eq!(tos.sources.len(), 2);
        assert!(document_of("[archive]\npath = \"a\"\n")
            .is_err_and(|e| e == "the declaration gives no document"));
    }
}
