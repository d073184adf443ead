//! Plugins: real cdylibs built by the workspace (platform plugins and the misbehaving test
//! plugins of `tests/plugins/`), loaded in process and in isolated host processes.

use std::path::PathBuf;

use crate::util::{ids, policy_page, stderr, Fixture, Page};

/// The folder the workspace build put the plugin libraries in: beside the termtrail binary.
fn build_dir() -> PathBuf {
    PathBuf::from(crate::util::termtrail_bin())
        .parent()
        .expect("the binary is in a folder")
        .to_path_buf()
}

/// A plugin library of the workspace; fails (never skips) when it was not built.
fn library(lib_name: &str) -> PathBuf {
    let file = format!(
        "{}{lib_name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let path = build_dir().join(&file);
    assert!(
        path.is_file(),
        "{} is missing: the plugin libraries are built by `cargo test --workspace` (or `cargo build --workspace`), not by `cargo test -p termtrail` alone",
        path.display()
    );
    path
}

fn test_plugin(name: &str) -> PathBuf {
    library(&format!("termtrail_testplugin_{}", name.replace('-', "_")))
}

/// A page in the layout the openai plugin expects (main > article), written for this test.
fn openai_page(clause: &str, nonce: u32) -> String {
    format!(
        r#"<html><body><header><nav><a href="/research">Research</a></nav></header>
        <main><article><h1>Privacy policy</h1><p>{clause}</p>
        <p>We use information to provide and improve the services, and we keep it only as long as
        we need it for these purposes or as the law requires. See our
        <a href="/cookies?utm_source=x&amp;fbclid={nonce}">cookie notice</a>.</p></article></main>
        <div id="onetrust-consent-sdk"><p>We use cookies. Accept?</p></div>
        <script>window.__BUILD__="{nonce}"</script></body></html>"#
    )
}

fn plugin_doc(fx: &Fixture, platform: &str, plugin: &str, path: &str) -> String {
    format!(
        "\n[[document]]\nplatform = \"{platform}\"\nkind = \"privacy-policy\"\nplugin = \"{plugin}\"\nurl = \"{}\"\n",
        fx.server.url(path)
    )
}

fn append(fx: &Fixture, toml: &str) {
    let path = fx.config_path();
    let mut config = std::fs::read_to_string(&path).expect("config written");
    config.push_str(toml);
    std::fs::write(&path, config).expect("config rewritten");
}

#[test]
fn misbehaving_plugins_cost_only_their_own_documents() {
    let fx = Fixture::new();
    fx.server
        .set("/acme", Page::html(policy_page(1, 1, 1, 2_000)));
    fx.server.set(
        "/openai",
        Page::html(openai_page("We collect account data.", 1)),
    );
    fx.server.set(
        "/stdout",
        Page::html("<main>Printed text is not protocol.</main>"),
    );
    for p in ["panic", "segfault", "abort", "loop", "garbage-json"] {
        fx.server
            .set(&format!("/{p}"), Page::html(policy_page(2, 1, 1, 2_000)));
    }
    fx.write_config(&[("acme", "privacy-policy", "/acme")], "");
    let mut toml = String::from("\n[plugins]\ntimeout = \"3s\"\n");
    toml.push_str(&plugin_doc(&fx, "openai", "openai", "/openai"));
    toml.push_str(&plugin_doc(
        &fx,
        "stdout-writer",
        "stdout-writer",
        "/stdout",
    ));
    for p in ["panic", "segfault", "abort", "loop", "garbage-json"] {
        toml.push_str(&plugin_doc(&fx, p, p, &format!("/{p}")));
    }
    toml.push_str("\n[plugin.openai]\nisolation = \"process\"\n");
    for p in [
        "panic",
        "segfault",
        "abort",
        "loop",
        "garbage-json",
        "stdout-writer",
    ] {
        toml.push_str(&format!(
            "\n[plugin.{p}]\npath = \"{}\"\nisolation = \"process\"\n",
            test_plugin(p).display()
        ));
    }
    append(&fx, &toml);

    let out = fx.run(&["check", "--json"]);
    let err = stderr(&out);
    assert!(
        out.status.success(),
        "check must survive its plugins: {err}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let mut errors = ids(&report, "error_ids");
    errors.sort();
    assert_eq!(
        errors,
        [
            "abort/privacy-policy",
            "garbage-json/privacy-policy",
            "loop/privacy-policy",
            "panic/privacy-policy",
            "segfault/privacy-policy"
        ],
        "{err}"
    );
    let mut new = ids(&report, "new_ids");
    new.sort();
    assert_eq!(
        new,
        [
            "acme/privacy-policy",
            "openai/privacy-policy",
            "stdout-writer/privacy-policy"
        ],
        "{err}"
    );
    for (doc, message) in [
        (
            "panic/privacy-policy",
            "plugin panic failed in extract: plugin panicked: test plugin panics on",
        ),
        (
            "segfault/privacy-policy",
            "plugin segfault's host process died during extract (signal 11 (SIGSEGV",
        ),
        (
            "abort/privacy-policy",
            "plugin abort's host process died during extract (signal 6 (SIGABRT",
        ),
        (
            "loop/privacy-policy",
            "plugin loop did not answer extract within 3s; its host process was killed",
        ),
        (
            "garbage-json/privacy-policy",
            "plugin garbage-json returned invalid output from extract (not JSON",
        ),
    ] {
        assert!(
            err.lines().any(|l| l.contains(doc) && l.contains(message)),
            "no line for {doc} saying {message:?} in:\n{err}"
        );
    }
    let text = fx.git(&["show", "main:openai/privacy-policy.md"]);
    assert_eq!(
        text,
        "# Privacy policy\n\nWe collect account data.\n\nWe use information to provide and improve the services, and we keep it only as long as we need it for these purposes or as the law requires. See our [cookie notice](http://127.0.0.1:PORT/cookies).\n"
            .replace("127.0.0.1:PORT", fx.server.url("").trim_start_matches("http://")),
    );
    assert_eq!(
        fx.git(&["show", "main:stdout-writer/privacy-policy.md"]),
        "Printed text is not protocol.\n"
    );
    let trailers = fx.git(&[
        "log",
        "-1",
        "--format=%B",
        "main",
        "--",
        "openai/privacy-policy.md",
    ]);
    assert!(
        trailers.contains("Extractor: plugin:openai/0.1.0"),
        "{trailers}"
    );

    // A noise-only change (new nonce, build id, tracking id) records nothing new; a second cycle
    // also shows that the crashed hosts are restarted (or in backoff) without harm.
    fx.server.set(
        "/openai",
        Page::html(openai_page("We collect account data.", 2)),
    );
    let report = fx.check();
    assert_eq!(report["new"], 0, "{report}");
    assert_eq!(report["changed"], 0, "{report}");
    assert_eq!(report["errors"], 5, "{report}");
    fx.fsck();
}

#[test]
fn a_panic_in_process_is_caught() {
    let fx = Fixture::new();
    fx.server
        .set("/acme", Page::html(policy_page(1, 1, 1, 2_000)));
    fx.server
        .set("/panic", Page::html(policy_page(2, 1, 1, 2_000)));
    fx.write_config(&[("acme", "privacy-policy", "/acme")], "");
    append(
        &fx,
        &format!(
            "{}\n[plugin.panic]\npath = \"{}\"\nisolation = \"none\"\n",
            plugin_doc(&fx, "panic", "panic", "/panic"),
            test_plugin("panic").display()
        ),
    );
    let report = fx.check();
    assert_eq!(ids(&report, "error_ids"), ["panic/privacy-policy"]);
    assert_eq!(ids(&report, "new_ids"), ["acme/privacy-policy"]);
}

#[test]
fn wrong_abi_and_checksum_are_refused_at_load() {
    let fx = Fixture::new();
    fx.write_config(&[], "");
    let openai = library("termtrail_plugin_openai");
    append(
        &fx,
        &format!(
            "\n[plugin.bad-abi]\npath = \"{}\"\nisolation = \"none\"\n\n[plugin.openai]\nsha256 = \"{}\"\n",
            test_plugin("bad-abi").display(),
            "0".repeat(64)
        ),
    );
    let out = fx.run(&["plugins"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // A plugin not loaded makes the command fail, so a script or a health check sees it.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 plugin(s) not loaded: bad-abi, openai"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout.contains("bad-abi: NOT LOADED: plugin ")
            && stdout.contains("speaks plugin ABI version 999, but this termtrail speaks ABI version 1; rebuild the plugin"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "openai: NOT LOADED: refusing to load plugin {}: its SHA-256 is ",
            openai.display()
        )) && stdout.contains(&format!("but the config pins {}", "0".repeat(64))),
        "{stdout}"
    );
    // The other plugins of the folder load, isolated by default, with their checksum shown for
    // pinning.
    assert!(
        stdout.contains("deepseek 0.1.0 (ABI 1, isolation process"),
        "{stdout}"
    );

    // In an isolated host the ABI refusal is the same message, and costs only that document.
    let fx = Fixture::new();
    fx.server
        .set("/acme", Page::html(policy_page(1, 1, 1, 2_000)));
    fx.server
        .set("/bad", Page::html(policy_page(2, 1, 1, 2_000)));
    fx.write_config(&[("acme", "privacy-policy", "/acme")], "");
    append(
        &fx,
        &format!(
            "{}\n[plugin.bad-abi]\npath = \"{}\"\nisolation = \"process\"\n",
            plugin_doc(&fx, "bad-abi", "bad-abi", "/bad"),
            test_plugin("bad-abi").display()
        ),
    );
    let out = fx.run(&["check", "--json"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(
        ids(&report, "error_ids"),
        ["bad-abi/privacy-policy"],
        "{err}"
    );
    assert_eq!(ids(&report, "new_ids"), ["acme/privacy-policy"]);
    assert!(
        err.contains("speaks plugin ABI version 999, but this termtrail speaks ABI version 1"),
        "{err}"
    );

    // The right checksum is accepted.
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            std::fs::read(&openai).expect("readable"),
        ))
    };
    fx.write_config(&[], "");
    append(&fx, &format!("\n[plugin.openai]\nsha256 = \"{sha}\"\n"));
    let out = fx.run(&["plugins"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("sha256: {sha}")), "{stdout}");
    assert!(!stdout.contains("openai: NOT LOADED"), "{stdout}");
}

#[test]
fn extract_with_a_plugin_prints_its_text() {
    let fx = Fixture::new();
    fx.write_config(&[], "");
    let page = fx.path().join("page.html");
    std::fs::write(&page, openai_page("We collect account data.", 7)).expect("write page");
    for isolation in ["none", "process"] {
        append(&fx, &format!("\n[plugins]\nisolation = \"{isolation}\"\n"));
        let out = fx.run(&[
            "extract",
            "--plugin",
            "openai",
            "privacy-policy",
            page.to_str().expect("utf-8 path"),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.starts_with("# Privacy policy\n\nWe collect account data.\n"),
            "{text}"
        );
        assert!(text.contains("(https://openai.com/cookies)"), "{text}");
        fx.write_config(&[], "");
    }
    let out = fx.run(&["extract", "--plugin", "openai", "no-such-kind", "page.html"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("plugin openai has no document of kind \"no-such-kind\""),
        "{}",
        stderr(&out)
    );
}

/// A tampered plugin (the case pinning is for) is visible in every form its documents take: with
/// a `url`, with the URL from the manifest, and tracked. Each is checked and failed at every check,
/// with a reason naming the checksum; with the right pin the same documents are recorded.
#[test]
fn documents_of_a_refused_plugin_fail_at_every_check_whatever_their_form() {
    let fx = Fixture::new();
    fx.server.set(
        "/openai",
        Page::html(openai_page("We collect account data.", 1)),
    );
    fx.write_config(&[], "");
    let pins = format!(
        "\n[plugin.openai]\nsha256 = \"{zero}\"\n\n[plugin.deepseek]\nsha256 = \"{zero}\"\ntrack = true\n",
        zero = "0".repeat(64)
    );
    append(
        &fx,
        &format!(
            "{}\n[[document]]\nplatform = \"openai\"\nkind = \"terms-of-service\"\nplugin = \"openai\"\n{pins}",
            plugin_doc(&fx, "openai", "openai", "/openai"),
        ),
    );
    for run in 0..2 {
        let report = fx.check();
        assert_eq!(
            ids(&report, "error_ids"),
            [
                "deepseek/plugin",
                "openai/privacy-policy",
                "openai/terms-of-service"
            ],
            "run {run}: {report}"
        );
        assert_eq!(report["checked"], 3, "{report}");
        for id in [
            "deepseek/plugin",
            "openai/privacy-policy",
            "openai/terms-of-service",
        ] {
            let reason = report["error_reasons"][id].as_str().unwrap_or_default();
            assert!(
                reason.contains("its SHA-256 is") && reason.contains(&"0".repeat(64)),
                "{id}: {reason}"
            );
        }
    }
    // Nothing was recorded for them, and `validate` names the problem.
    let out = fx.run(&["validate"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("fails at every check")
            || stderr(&out).contains("fails at every check"),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );

    // The right pin: the document with a URL is recorded (the manifest's URLs are not served
    // here, so those fail at fetching, no longer at loading).
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            std::fs::read(library("termtrail_plugin_openai")).expect("readable"),
        ))
    };
    fx.write_config(&[], "");
    append(
        &fx,
        &format!(
            "{}\n[plugin.openai]\nsha256 = \"{sha}\"\n",
            plugin_doc(&fx, "openai", "openai", "/openai"),
        ),
    );
    let report = fx.check();
    assert_eq!(
        ids(&report, "new_ids"),
        ["openai/privacy-policy"],
        "{report}"
    );
    assert_eq!(report["errors"], 0, "{report}");
}

#[test]
fn plugin_documents_come_from_manifests() {
    let fx = Fixture::new();
    fx.write_config(&[], "");
    append(
        &fx,
        "\n[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nplugin = \"openai\"\ninterval = \"6h\"\n\n[plugin.deepseek]\ntrack = true\n",
    );
    let out = fx.run(&["validate"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout.contains("OK, 4 document(s)"), "{stdout}");
    for line in [
        "openai/privacy-policy",
        "https://openai.com/policies/row-privacy-policy/",
        "deepseek/developer-terms",
        "https://cdn.deepseek.com/policies/en-US/deepseek-terms-of-use.html",
    ] {
        assert!(stdout.contains(line), "{line} missing in {stdout}");
    }

    // track_all: every document of every plugin beside the binary (the ten platform plugins).
    fx.write_config(&[], "");
    append(
        &fx,
        "\n[plugins]\ntrack_all = true\n\n[plugin.cohere]\ntrack = false\n",
    );
    let out = fx.run(&["validate"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    for line in [
        "xai/trackers-policy",
        "openai/vulnerability-disclosure-policy",
        "perplexity/terms-of-service",
        "plugin mistral",
    ] {
        assert!(stdout.contains(line), "{line} missing in {stdout}");
    }
    assert!(!stdout.contains("cohere/"), "cohere opted out: {stdout}");

    // select/remove beside plugin is a config error naming the line.
    fx.write_config(&[], "");
    append(
        &fx,
        "\n[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nplugin = \"openai\"\nselect = \"main\"\n",
    );
    let out = fx.run(&["validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("document[1].select: does not apply to a plugin document"),
        "{}",
        stderr(&out)
    );
}

/// The C example of `plugin-api/ABI.md`, compiled with the system C compiler, loads and extracts
/// in both isolation modes: the document is precise enough to write a plugin from.
#[test]
fn the_c_plugin_of_abi_md_works() {
    let abi = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../plugin-api/ABI.md"))
        .expect("ABI.md is readable");
    let example = abi
        .split("## A plugin in C")
        .nth(1)
        .and_then(|s| s.split("```c").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("ABI.md has a C example");
    let fx = Fixture::new();
    let src = fx.path().join("hello.c");
    std::fs::write(&src, example).expect("write hello.c");
    let lib = fx.path().join(format!(
        "{}termtrail_plugin_hello{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let cc = std::process::Command::new("cc")
        .args(["-Wall", "-Werror", "-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .output()
        .expect("a C compiler (cc) is installed");
    assert!(cc.status.success(), "cc failed: {}", stderr(&cc));
    let page = fx.path().join("page.html");
    std::fs::write(&page, "<html><body>anything</body></html>").expect("write page");
    for isolation in ["none", "process"] {
        fx.write_config(&[], "");
        append(
            &fx,
            &format!(
                "\n[plugins]\ndirs = [\"{}\"]\nisolation = \"{isolation}\"\n",
                fx.path().display()
            ),
        );
        let out = fx.run(&[
            "extract",
            "--plugin",
            "hello",
            "privacy-policy",
            "page.html",
        ]);
        assert!(out.status.success(), "{isolation}: {}", stderr(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "# Hello\n\nPolicy text.\n"
        );
        let out = fx.run(&["plugins"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("hello 0.1.0 (ABI 1, isolation {isolation}")),
            "{stdout}"
        );
    }
}

/// In the daemon, a crashed plugin host is restarted (after its backoff) and the plugin's
/// document is recorded once the plugin behaves; other documents are never held up.
#[test]
fn the_daemon_restarts_a_crashed_plugin_host() {
    use std::time::{Duration, Instant};
    let fx = Fixture::new();
    fx.server
        .set("/acme", Page::html(policy_page(1, 1, 1, 2_000)));
    fx.server
        .set("/seg", Page::html(policy_page(2, 1, 1, 2_000)));
    fx.write_config(&[("acme", "privacy-policy", "/acme")], "");
    let config = std::fs::read_to_string(fx.config_path()).expect("read");
    std::fs::write(
        fx.config_path(),
        format!(
            "[schedule]\ninterval = \"1s\"\njitter = 0.0\n{config}{}\n[plugin.segfault]\npath = \"{}\"\nisolation = \"process\"\n",
            plugin_doc(&fx, "segfault", "segfault", "/seg"),
            test_plugin("segfault").display()
        ),
    )
    .expect("write");
    let log = fx.path().join("daemon.log");
    let mut child = std::process::Command::new(crate::util::termtrail_bin())
        .current_dir(fx.path())
        .arg("--config")
        .arg(fx.config_path())
        .arg("run")
        .env("RUST_LOG", "termtrail=info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("termtrail run starts");
    let wait_for = |what: &str, cond: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !cond() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {what}; log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for("acme's first version and two crashes", &|| {
        fx.archive().exists() && fx.count("main") == 1 && fx.server.hits("/seg") >= 2
    });
    fx.server.set(
        "/seg",
        Page::html("<html><body><main>be-nice: the host came back.</main></body></html>"),
    );
    wait_for("the segfault plugin's document", &|| fx.count("main") == 2);
    // SAFETY: kill(2) on the PID of a child we started and have not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().expect("exits");
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        fx.git(&["show", "main:segfault/privacy-policy.md"]),
        "be-nice: the host came back.\n"
    );
    let log = std::fs::read_to_string(&log).expect("log");
    assert!(
        log.contains("signal 11 (SIGSEGV, a segmentation fault)"),
        "{log}"
    );
}

/// The pin is checked on the bytes that are loaded: a pinned library rewritten after the daemon
/// checked it (in place, the hardest case: same file, same inode) never reaches a restarted
/// plugin host, which keeps running the checked content; the next start of termtrail checks the
/// file as it now is and refuses it.
#[test]
fn a_library_replaced_after_its_check_never_reaches_a_restarted_host() {
    use std::time::Duration;
    let fx = Fixture::new();
    let lib = fx.path().join("libtermtrail_plugin_segfault_pinned.so");
    std::fs::copy(test_plugin("segfault"), &lib).expect("copy the segfault plugin");
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&lib).expect("readable")))
    };
    fx.server
        .set("/acme", Page::html(policy_page(1, 1, 1, 2_000)));
    fx.server
        .set("/seg", Page::html(policy_page(2, 1, 1, 2_000)));
    fx.write_config(&[("acme", "privacy-policy", "/acme")], "");
    let config = std::fs::read_to_string(fx.config_path()).expect("read");
    std::fs::write(
        fx.config_path(),
        format!(
            "[schedule]\ninterval = \"1s\"\njitter = 0.0\n{config}{}\n[plugin.segfault]\npath = \"{}\"\nsha256 = \"{sha}\"\nisolation = \"process\"\n",
            plugin_doc(&fx, "segfault", "segfault", "/seg"),
            lib.display()
        ),
    )
    .expect("write");
    let log = fx.path().join("daemon.log");
    let mut child = std::process::Command::new(crate::util::termtrail_bin())
        .current_dir(fx.path())
        .arg("--config")
        .arg(fx.config_path())
        .arg("run")
        .env("RUST_LOG", "termtrail=info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("termtrail run starts");
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    crate::util::wait_for(
        "acme's first version and two host crashes",
        Duration::from_secs(30),
        || {
            fx.archive().exists()
                && fx.count("main") == 1
                && log_text().matches("host process died").count() >= 2
        },
    );
    // The panic plugin's bytes, written into the pinned file: a host that loaded the file
    // would panic in every extraction, and the document would never be recorded.
    std::fs::write(
        &lib,
        std::fs::read(test_plugin("panic")).expect("panic plugin"),
    )
    .expect("rewrite the library in place");
    fx.server.set(
        "/seg",
        Page::html("<html><body><main>be-nice: the checked plugin came back.</main></body></html>"),
    );
    crate::util::wait_for(
        "the segfault plugin's document",
        Duration::from_secs(30),
        || fx.count("main") == 2,
    );
    // SAFETY: kill(2) on the PID of a child we started and have not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    assert_eq!(child.wait().expect("exits").code(), Some(0));
    assert_eq!(
        fx.git(&["show", "main:segfault/privacy-policy.md"]),
        "be-nice: the checked plugin came back.\n"
    );
    let log = log_text();
    assert!(!log.contains("test plugin panics"), "{log}");

    // A new start reads the file as it is now: refused.
    let out = fx.run(&["plugins"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "segfault: NOT LOADED: refusing to load plugin {}: its SHA-256 is ",
            lib.display()
        )) && stdout.contains(&format!("but the config pins {sha}")),
        "{stdout}"
    );
}

/// The pids of the processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .filter_map(Result::ok)
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmdline)
                .contains(needle)
                .then_some(pid)
        })
        .collect()
}

/// A plugin host stuck in a looping plugin does not outlive a daemon killed with SIGKILL.
#[test]
fn a_stuck_plugin_host_dies_with_its_daemon() {
    use std::time::{Duration, Instant};
    let fx = Fixture::new();
    // A copy under a unique path, to find this test's host among the processes.
    let lib = fx.path().join("libtermtrail_plugin_loop_copy.so");
    std::fs::copy(test_plugin("loop"), &lib).expect("copy the loop plugin");
    fx.server
        .set("/loop", Page::html(policy_page(2, 1, 1, 2_000)));
    fx.write_config(&[], "");
    append(
        &fx,
        &format!(
            "\n[plugins]\ntimeout = \"60s\"\n{}\n[plugin.loop]\npath = \"{}\"\nisolation = \"process\"\n",
            plugin_doc(&fx, "loop", "loop", "/loop"),
            lib.display()
        ),
    );
    let mut child = std::process::Command::new(crate::util::termtrail_bin())
        .current_dir(fx.path())
        .arg("--config")
        .arg(fx.config_path())
        .args(["check", "--json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("termtrail check starts");
    let needle = lib.to_str().expect("utf-8 path");
    let start = Instant::now();
    while fx.server.hits("/loop") == 0 || processes_mentioning(needle).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the loop plugin was never called"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().expect("SIGKILL the daemon");
    child.wait().expect("reaped");
    let killed = Instant::now();
    while !processes_mentioning(needle).is_empty() {
        assert!(
            killed.elapsed() < Duration::from_secs(5),
            "the plugin host outlived its daemon: {:?}",
            processes_mentioning(needle)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every document of the default config is one its plugin knows, at the same URL: the config
/// and the manifests do not drift apart.
#[test]
fn the_default_config_matches_the_plugin_manifests() {
    let fx = Fixture::new();
    std::fs::write(
        fx.config_path(),
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../config/termtrail.toml"
        ))
        .expect("default config"),
    )
    .expect("write");
    let out = fx.run(&["plugins"]);
    let plugins = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!plugins.contains("NOT LOADED"), "{plugins}");
    let out = fx.run(&["validate"]);
    let validate = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut platform = String::new();
    let mut known = std::collections::BTreeSet::new();
    for line in plugins.lines() {
        if !line.starts_with(' ') {
            platform = line.split(' ').next().unwrap_or_default().to_owned();
        } else if let [kind, url, ..] = line.split_whitespace().collect::<Vec<_>>()[..] {
            if url.starts_with("https://") {
                known.insert((format!("{platform}/{kind}"), url.to_owned()));
            }
        }
    }
    let mut checked = 0;
    for line in validate.lines().filter(|l| l.contains(" plugin ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (id, url) = (words[0], words[words.len() - 1]);
        assert!(
            known.contains(&(id.to_owned(), url.to_owned())),
            "{id} at {url} is not in its plugin's manifest:\n{plugins}"
        );
        checked += 1;
    }
    assert_eq!(checked, 29, "{validate}");
}

#[test]
fn a_plugin_summary_line_reaches_the_commit_and_the_event() {
    let fx = Fixture::new();
    fx.write_config(&[], "");
    append(&fx, &plugin_doc(&fx, "openai", "openai", "/p"));
    let jsonl = fx.path().join("events.jsonl");
    append(
        &fx,
        &format!(
            "\n[[sink]]\nname = \"log\"\ntype = \"jsonl\"\npath = \"{}\"\n",
            jsonl.display()
        ),
    );
    fx.server.set(
        "/p",
        Page::html(openai_page(
            "Last updated: March 25, 2026. We collect account data.",
            1,
        )),
    );
    fx.check();
    fx.server.set(
        "/p",
        Page::html(openai_page(
            "Last updated: June 1, 2026. We collect account and usage data.",
            2,
        )),
    );
    let r = fx.check();
    assert_eq!(ids(&r, "changed_ids"), ["openai/privacy-policy"], "{r}");
    let trailer = fx.git(&[
        "log",
        "-1",
        "--format=%(trailers:key=Plugin-Summary,valueonly)",
        "main",
    ]);
    assert_eq!(
        trailer.trim(),
        "Date line changed from \"Last updated: March 25, 2026. We collect account data.\" to \"Last updated: June 1, 2026. We collect account and usage data.\""
    );
    let events = std::fs::read_to_string(&jsonl).expect("the sink wrote events");
    let last: serde_json::Value =
        serde_json::from_str(events.lines().last().expect("an event")).expect("json event");
    assert_eq!(last["type"], "document.changed", "{last}");
    assert!(
        last["plugin_summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("Date line changed from")),
        "{last}"
    );
    // The reader sees the plugin's line too.
    for args in [
        &["diff", "openai/privacy-policy"][..],
        &["log", "--summary", "openai/privacy-policy"][..],
    ] {
        let out = fx.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            stdout.contains("plugin: Date line changed from \"Last updated: March 25, 2026."),
            "{args:?}: {stdout}"
        );
    }
}

/// SIGTERM stops `check` and the daemon while a plugin loops in a call, in both isolation modes
/// and with a timeout far away: an in-process call that cannot be stopped is abandoned, an
/// isolated host is killed, and the process exits.
#[test]
fn sigterm_stops_a_run_stuck_in_a_looping_plugin_in_both_isolation_modes() {
    use std::time::{Duration, Instant};
    for isolation in ["none", "process"] {
        for command in [&["check", "--json"][..], &["run"][..]] {
            let fx = Fixture::new();
            fx.server
                .set("/loop", Page::html(policy_page(2, 1, 1, 2_000)));
            fx.write_config(&[], "");
            append(
                &fx,
                &format!(
                    "\n[plugins]\ntimeout = \"300s\"\n{}\n[plugin.loop]\npath = \"{}\"\nisolation = \"{isolation}\"\n",
                    plugin_doc(&fx, "loop", "loop", "/loop"),
                    test_plugin("loop").display()
                ),
            );
            let mut child = std::process::Command::new(crate::util::termtrail_bin())
                .current_dir(fx.path())
                .arg("--config")
                .arg(fx.config_path())
                .args(command)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("termtrail starts");
            let start = Instant::now();
            while fx.server.hits("/loop") == 0 {
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "{isolation} {command:?}: the page was never fetched"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            // Inside the plugin call by now (the loop plugin never returns).
            std::thread::sleep(Duration::from_millis(500));
            assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
            let signalled = Instant::now();
            let status = loop {
                if let Some(status) = child.try_wait().expect("wait") {
                    break status;
                }
                if signalled.elapsed() > Duration::from_secs(15) {
                    child.kill().expect("SIGKILL");
                    panic!("{isolation} {command:?}: still running 15 s after SIGTERM");
                }
                std::thread::sleep(Duration::from_millis(100));
            };
            assert!(status.success(), "{isolation} {command:?}: {status}: {}", {
                use std::io::Read;
                let mut err = String::new();
                child.stderr.take().map(|mut e| e.read_to_string(&mut err));
                err
            });
        }
    }
}

/// A subprocessor list in the layout the openai plugin expects, written for this test: mostly
/// company names, so that the German text alone does not tell its language.
fn subprocessor_page(lang: Option<&str>, german: bool) -> String {
    let names = [
        "Andale, Inc.",
        "Cassin Networks Aps",
        "Greater Kudu LLC",
        "Goldframe LLC",
        "Morning Hornet LLC",
        "Offprints LLC",
        "Omanyte LLC",
        "Paile LLC",
        "Raven Northbrook LLC",
        "Scout Development LLC",
        "Siculus Inc.",
        "Sidecat LLC",
        "Stadion LLC",
        "Starbelt LLC",
    ];
    let (head, country) = if german {
        (
            "Liste der Unterauftragsverarbeiter. Gültig ab 13. November 2023.",
            "USA",
        )
    } else {
        ("List of sub-processors and subcontractors. Effective from 13 November 2023. Data centre infrastructure.", "United States")
    };
    let rows: String = names
        .iter()
        .map(|n| format!("<tr><td>{n}</td><td>{country}</td></tr>"))
        .collect();
    let lang = lang.map_or_else(String::new, |l| format!(" lang=\"{l}\""));
    format!(
        r#"<html{lang}><body><main><article><p>{head}</p><table><thead><tr><th>Entity</th><th>Location</th></tr></thead><tbody>{rows}</tbody></table></article></main></body></html>"#
    )
}

/// The language hold on the plugin path: a plugin's text of names does not tell its language,
/// so a page declaring another language (`<html lang>`) is held until a second fetch confirms it;
/// the same pages declaring nothing are recorded at once.
#[test]
fn a_plugin_page_in_another_language_is_held() {
    for (lang_en, lang_de, held) in [(Some("en"), Some("de-DE"), true), (None, None, false)] {
        let fx = Fixture::new();
        fx.write_config(&[], "");
        append(&fx, &plugin_doc(&fx, "openai", "openai", "/p"));
        fx.server
            .set("/p", Page::html(subprocessor_page(lang_en, false)));
        let r = fx.check();
        assert_eq!(ids(&r, "new_ids"), ["openai/privacy-policy"], "{r}");
        fx.server
            .set("/p", Page::html(subprocessor_page(lang_de, true)));
        let r = fx.check();
        let key = if held { "held_ids" } else { "changed_ids" };
        assert_eq!(ids(&r, key), ["openai/privacy-policy"], "{lang_de:?}: {r}");
        if held {
            // The next fetch of the same page confirms it.
            let r = fx.check();
            assert_eq!(ids(&r, "changed_ids"), ["openai/privacy-policy"], "{r}");
        }
        let text = fx.git(&["show", "main:openai/privacy-policy.md"]);
        assert!(text.contains("Unterauftragsverarbeiter"), "{text}");
    }
}
