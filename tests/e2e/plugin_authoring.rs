//! A plugin written outside the repository, as its README says: `plugin new` in an empty folder,
//! the generated crate's own tests and a plain `cargo build --release` (its own workspace, the
//! vendored API crates), `plugin install`, a pinned check recording its document from the
//! local server; then one byte of the installed library changes, and every document of the
//! plugin fails with a reason naming the checksum.

use std::path::Path;
use std::process::Command;

use crate::server::Page;
use crate::util::Fixture;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs cargo in the generated crate, with a target folder kept under the workspace's own
/// `target/` (so a second run of the suite reuses it, and `cargo clean` removes it).
fn cargo(krate: &Path, args: &[&str]) {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugin-authoring");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(krate)
        .env("CARGO_TARGET_DIR", &target)
        // The suite's own settings must not leak into the plugin's build.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo {args:?} in {} failed:\n{}",
        krate.display(),
        stderr(&out)
    );
}

#[test]
fn a_plugin_from_an_empty_folder_to_a_pinned_recorded_document() {
    let fx = Fixture::new();
    let out = fx.run(&["plugin", "new", "acme-ai", "--dir", "work"]);
    // `work` does not exist yet: created.
    assert!(out.status.success(), "{}", stderr(&out));
    let krate = fx.path().join("work/termtrail-plugin-acme-ai");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("cargo build --release"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A second `new` over it is refused, naming the folder.
    let again = fx.run(&["plugin", "new", "acme-ai", "--dir", "work"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    cargo(&krate, &["test", "--release", "--quiet"]);
    cargo(&krate, &["build", "--release", "--quiet"]);
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/plugin-authoring/release")
        .join(format!(
            "{}termtrail_plugin_acme_ai{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        ));
    assert!(built.is_file(), "{} missing", built.display());

    // The config names a plugin folder (relative to the config file) and a document served here.
    let page = std::fs::read_to_string(krate.join("tests/page.html")).expect("test page");
    fx.server.set(
        "/privacy",
        Page::html(
            page.replace("@N@", "1")
                .replace("@CLAUSE@", "We keep your data for thirty days."),
        ),
    );
    std::fs::create_dir(fx.path().join("plugins")).expect("mkdir");
    fx.write_config(&[], "");
    let base = std::fs::read_to_string(fx.config_path()).expect("config");
    let doc = format!(
        "\n[[document]]\nplatform = \"acme-ai\"\nkind = \"privacy-policy\"\nplugin = \"acme-ai\"\nurl = \"{}\"\n",
        fx.server.url("/privacy")
    );
    std::fs::write(
        fx.config_path(),
        format!("{base}\n[plugins]\ndirs = [\"plugins\"]\n{doc}"),
    )
    .expect("config");

    let out = fx.run(&["plugin", "install", built.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", stderr(&out));
    let installed = fx
        .path()
        .join("plugins")
        .join(built.file_name().expect("file"));
    assert!(installed.is_file(), "{stdout}");
    let pin = stdout
        .lines()
        .find(|l| l.starts_with("sha256 = "))
        .unwrap_or_else(|| panic!("no pin line in {stdout}"))
        .to_owned();
    assert!(stdout.contains("[plugin.acme-ai]"), "{stdout}");

    // Pinned as printed: recorded, and the text is the policy's.
    std::fs::write(
        fx.config_path(),
        format!("{base}\n[plugins]\ndirs = [\"plugins\"]\n\n[plugin.acme-ai]\n{pin}\n{doc}"),
    )
    .expect("config");
    let report = fx.check();
    assert_eq!(
        report["new_ids"],
        serde_json::json!(["acme-ai/privacy-policy"]),
        "{report}"
    );
    let text = fx.git(&["show", "main:acme-ai/privacy-policy.md"]);
    assert!(
        text.starts_with("# Acme Ai privacy policy")
            || text.starts_with("# Acme AI privacy policy"),
        "{text}"
    );
    assert!(
        text.contains("We keep your data for thirty days."),
        "{text}"
    );
    assert!(!text.contains("Accept all"), "{text}");

    // One byte of the installed library changes: every check fails the document, with a reason
    // naming the checksum, and the pending form of a document (URL from the manifest) too.
    let mut bytes = std::fs::read(&installed).expect("library");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&installed, bytes).expect("tamper");
    std::fs::write(
        fx.config_path(),
        format!(
            "{base}\n[plugins]\ndirs = [\"plugins\"]\n\n[plugin.acme-ai]\n{pin}\n{doc}\n[[document]]\nplatform = \"acme-ai\"\nkind = \"terms-of-service\"\nplugin = \"acme-ai\"\n"
        ),
    )
    .expect("config");
    let report = fx.check();
    assert_eq!(
        report["error_ids"],
        serde_json::json!(["acme-ai/privacy-policy", "acme-ai/terms-of-service"]),
        "{report}"
    );
    for id in ["acme-ai/privacy-policy", "acme-ai/terms-of-service"] {
        let reason = report["error_reasons"][id].as_str().unwrap_or_default();
        assert!(reason.contains("its SHA-256 is"), "{id}: {reason}");
    }
    let out = fx.run(&["plugins"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}
