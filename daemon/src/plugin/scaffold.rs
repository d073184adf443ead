//! `termtrail plugin new`: a standalone plugin crate written from templates, with the plugin API
//! and helper crates of this termtrail vendored into it (their manifests made standalone, the
//! workspace's Cargo.lock beside them), so it builds with a plain `cargo build --release` anywhere,
//! for someone who has only the termtrail binary.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};

use crate::document::{is_slug, platform_name};

static PLUGIN_API_SRC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../plugin-api/src");
static EXTRACT_SRC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../extract/src");
const PLUGIN_API_MANIFEST: &str = include_str!("../../../plugin-api/Cargo.toml");
const EXTRACT_MANIFEST: &str = include_str!("../../../extract/Cargo.toml");
const WORKSPACE_MANIFEST: &str = include_str!("../../../Cargo.toml");
const LOCK: &str = include_str!("../../../Cargo.lock");
const MANIFEST: &str = include_str!("scaffold/Cargo.toml.in");
const LIB: &str = include_str!("scaffold/lib.rs.in");
const PAGE: &str = include_str!("scaffold/page.html");
const README: &str = include_str!("scaffold/README.md.in");

/// Why a plugin crate could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The name is not a platform slug.
    #[error("{0:?} is not a plugin name: use a platform slug such as \"acme\" or \"acme-ai\" (lowercase letters and digits, single hyphens)")]
    BadName(String),
    /// The crate's folder exists already.
    #[error("{0} already exists; pick another --dir, or remove it")]
    Exists(PathBuf),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An embedded manifest could not be made standalone (a bug of this build).
    #[error("the manifest of {krate} cannot be made standalone: {why}; this is a bug in termtrail, please report it")]
    Manifest {
        /// The vendored crate.
        krate: &'static str,
        /// What is wrong.
        why: String,
    },
}

/// Writes the plugin crate `NAME` into `dir/termtrail-plugin-NAME` and returns its folder.
pub fn new_plugin(name: &str, dir: &Path) -> Result<PathBuf, ScaffoldError> {
    if !is_slug(name) {
        return Err(ScaffoldError::BadName(name.to_owned()));
    }
    let root = dir.join(format!("termtrail-plugin-{name}"));
    if root.exists() {
        return Err(ScaffoldError::Exists(root));
    }
    let fill = |template: &str| {
        template
            .replace("@NAME@", name)
            .replace("@US@", &name.replace('-', "_"))
            .replace("@TYPE@", &type_name(name))
            .replace("@PLATFORM@", &platform_name(name))
            .replace(
                "@TITLE@",
                &format!("{} privacy policy", platform_name(name)),
            )
            .replace("@VERSION@", env!("CARGO_PKG_VERSION"))
    };
    let api = standalone_manifest(PLUGIN_API_MANIFEST, "termtrail-plugin-api")?;
    let extract = standalone_manifest(EXTRACT_MANIFEST, "termtrail-extract")?;
    let mut files: Vec<(PathBuf, String)> = vec![
        ("Cargo.toml".into(), fill(MANIFEST)),
        ("Cargo.lock".into(), LOCK.to_owned()),
        ("src/lib.rs".into(), fill(LIB)),
        // The page's own placeholders (`@N@`, `@CLAUSE@`) stay for the test.
        (
            "tests/page.html".into(),
            PAGE.replace(
                "@TITLE@",
                &format!("{} privacy policy", platform_name(name)),
            )
            .replace("@PLATFORM@", &platform_name(name)),
        ),
        ("README.md".into(), fill(README)),
        (".gitignore".into(), "/target\n".to_owned()),
        ("vendor/termtrail-plugin-api/Cargo.toml".into(), api),
        ("vendor/termtrail-extract/Cargo.toml".into(), extract),
    ];
    for (tree, into) in [
        (&PLUGIN_API_SRC, "vendor/termtrail-plugin-api/src"),
        (&EXTRACT_SRC, "vendor/termtrail-extract/src"),
    ] {
        collect(tree, Path::new(into), &mut files);
    }
    for (path, text) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ScaffoldError::Write {
                path: parent.to_owned(),
                source,
            })?;
        }
        std::fs::write(&path, text).map_err(|source| ScaffoldError::Write { path, source })?;
    }
    Ok(root)
}

/// Every file of an embedded tree, under `into`.
fn collect(tree: &Dir<'_>, into: &Path, files: &mut Vec<(PathBuf, String)>) {
    for file in tree.files() {
        if let Some(text) = file.contents_utf8() {
            files.push((into.join(file.path()), text.to_owned()));
        }
    }
    for sub in tree.dirs() {
        collect(sub, into, files);
    }
}

/// `acme-ai` → `AcmeAi`: the plugin's type.
fn type_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A member's manifest with what it inherits from the workspace written out: package fields,
/// dependency versions and features; the other vendored crate by its path beside it; no
/// dev-dependencies (its tests are not vendored builds).
fn standalone_manifest(member: &str, krate: &'static str) -> Result<String, ScaffoldError> {
    let bad = |why: String| ScaffoldError::Manifest { krate, why };
    let workspace: toml::Table = WORKSPACE_MANIFEST
        .parse()
        .map_err(|e| bad(format!("workspace manifest: {e}")))?;
    let ws = workspace
        .get("workspace")
        .and_then(toml::Value::as_table)
        .ok_or_else(|| bad("no [workspace]".into()))?;
    let table = |key: &str| {
        ws.get(key)
            .and_then(toml::Value::as_table)
            .ok_or_else(|| bad(format!("no [workspace.{key}]")))
    };
    let (package, deps) = (table("package")?, table("dependencies")?);
    let mut manifest: toml::Table = member.parse().map_err(|e| bad(format!("{e}")))?;
    manifest.remove("dev-dependencies");
    let inherits =
        |v: &toml::Value| v.get("workspace").and_then(toml::Value::as_bool) == Some(true);
    if let Some(own) = manifest
        .get_mut("package")
        .and_then(toml::Value::as_table_mut)
    {
        for (key, value) in own.iter_mut() {
            if inherits(value) {
                *value = package
                    .get(key)
                    .cloned()
                    .ok_or_else(|| bad(format!("package.{key} is not in the workspace")))?;
            }
        }
    }
    if let Some(own) = manifest
        .get_mut("dependencies")
        .and_then(toml::Value::as_table_mut)
    {
        for (dep, spec) in own.iter_mut() {
            if !inherits(spec) {
                continue;
            }
            let mut full = match deps.get(dep) {
                Some(toml::Value::String(version)) => {
                    toml::Table::from_iter([("version".to_owned(), version.clone().into())])
                }
                Some(toml::Value::Table(t)) => t.clone(),
                _ => return Err(bad(format!("dependency {dep} is not in the workspace"))),
            };
            if full.contains_key("path") {
                full.insert("path".into(), format!("../{dep}").into());
            }
            for (key, value) in spec.as_table().into_iter().flatten() {
                match key.as_str() {
                    "workspace" => {}
                    "features" => {
                        let mut features = full
                            .get("features")
                            .and_then(toml::Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        features.extend(value.as_array().cloned().unwrap_or_default());
                        full.insert("features".into(), features.into());
                    }
                    _ => {
                        full.insert(key.clone(), value.clone());
                    }
                }
            }
            *spec = full.into();
        }
    }
    toml::to_string(&manifest).map_err(|e| bad(format!("{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_manifests_are_standalone() {
        for (member, krate) in [
            (PLUGIN_API_MANIFEST, "termtrail-plugin-api"),
            (EXTRACT_MANIFEST, "termtrail-extract"),
        ] {
            let text = standalone_manifest(member, krate).expect("standalone");
            assert!(member.contains("workspace = true"), "{member}");
            assert!(!text.contains("workspace"), "{text}");
            assert!(!text.contains("dev-dependencies"), "{text}");
        }
        let extract =
            standalone_manifest(EXTRACT_MANIFEST, "termtrail-extract").expect("standalone");
        let t: toml::Table = extract.parse().expect("TOML");
        assert_eq!(
            t["dependencies"]["termtrail-plugin-api"]["path"].as_str(),
            Some("../termtrail-plugin-api")
        );
        // Versions and features come from the workspace.
        assert_eq!(
            t["dependencies"]["scraper"]["default-features"].as_bool(),
            Some(false)
        );
        assert_eq!(t["package"]["edition"].as_str(), Some("2021"));
    }

    #[test]
    fn names_and_refusals() {
        assert_eq!(type_name("acme-ai"), "AcmeAi");
        assert_eq!(type_name("acme"), "Acme");
        let tmp = tempfile::tempdir().expect("temp dir");
        for bad in ["Acme", "acme_ai", "", "../x"] {
            assert!(matches!(
                new_plugin(bad, tmp.path()),
                Err(ScaffoldError::BadName(_))
            ));
        }
        let root = new_plugin("acme", tmp.path()).expect("written");
        for file in [
            "Cargo.toml",
            "Cargo.lock",
            "src/lib.rs",
            "tests/page.html",
            "vendor/termtrail-extract/src/lib.rs",
            "vendor/termtrail-plugin-api/src/lib.rs",
        ] {
            assert!(root.join(file).is_file(), "{file}");
        }
        let lib = std::fs::read_to_string(root.join("src/lib.rs")).expect("lib.rs");
        assert!(
            lib.contains("pub struct Acme;") && !lib.contains('@'),
            "{lib}"
        );
        assert!(matches!(
            new_plugin("acme", tmp.path()),
            Err(ScaffoldError::Exists(_))
        ));
    }
}
