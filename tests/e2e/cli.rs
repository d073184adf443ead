//! The command line: config errors, validate, init, extract, log, show, diff, --only.

use std::process::Command;

use crate::util::*;

#[test]
fn config_errors_exit_2_and_name_file_line_and_key() {
    let f = Fixture::new();
    let cases = [
        (
            "[archive]\npath = \"a\"\nbogus = true\n",
            ":3: archive.bogus: unknown key; the keys here are path, author_name",
        ),
        (
            "[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\nselect = [\"main >\"]\n",
            ":5: document[1].select: invalid CSS selector \"main >\": a combinator (\">\") must be followed by a selector",
        ),
        (
            "[fetch]\ntimeout = \"-5s\"\n\n[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\nintervall = \"6h\"\n",
            ":2: fetch.timeout: \"-5s\" is not a duration (a duration cannot be negative); write a positive duration like \"30s\" or \"5m\"",
        ),
        (
            "[fetch]\ntimeout = \"-5s\"\n\n[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\nintervall = \"6h\"\n",
            ":8: document[1].intervall: unknown key; did you mean \"interval\"?",
        ),
        (
            "[[document]]\nplatform = \"../x\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\n",
            ":2: document[1].platform: \"../x\" is not a slug",
        ),
    ];
    for (toml, want) in cases {
        std::fs::write(f.config_path(), toml).expect("write");
        for cmd in ["validate", "check"] {
            let out = f.run(&[cmd]);
            assert_eq!(out.status.code(), Some(2), "{cmd} with:\n{toml}");
            let err = stderr(&out);
            assert!(
                err.contains(&f.config_path().display().to_string()),
                "names the file: {err}"
            );
            assert!(err.contains(want), "{err}\nwanted {want}");
        }
    }
    assert!(
        !f.archive().exists(),
        "no archive is created from a bad config"
    );
}

#[test]
fn validate_init_and_the_built_in_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        Command::new(termtrail_bin())
            .current_dir(dir.path())
            .env_remove("TERMTRAIL_CONFIG")
            .args(args)
            .output()
            .expect("runs")
    };
    // No config here: the built-in default is used.
    let out = run(&["validate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("<built-in default config>: OK"), "{text}");
    for p in [
        "openai/",
        "anthropic/",
        "mistral/",
        "google/",
        "meta/",
        "microsoft/",
        "xai/",
        "perplexity/",
        "deepseek/",
        "cohere/",
    ] {
        assert!(text.contains(p), "{p} missing from the default config");
    }
    let out = run(&["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written =
        std::fs::read_to_string(dir.path().join("config/termtrail.toml")).expect("written");
    assert!(written.contains("platform = \"openai\""));
    let out = run(&["init"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    // Now config/termtrail.toml in the working folder is the one used.
    std::fs::write(
        dir.path().join("config/termtrail.toml"),
        "[[document]]\nplatform = \"x\"\nkind = \"imprint\"\nurl = \"https://x.org/\"\n",
    )
    .expect("write");
    let out = run(&["validate"]);
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("config/termtrail.toml: OK, 1 document(s)"));
}

#[test]
fn extract_prints_what_a_saved_page_gives() {
    let f = Fixture::new();
    f.write_config(&[("a", "privacy-policy", "/a")], "");
    let page = f.path().join("saved.html");
    std::fs::write(
        &page,
        "<nav>menu</nav><main><h2>Data</h2><p>We keep <a href=\"/x\">it</a>.</p></main>",
    )
    .expect("write");
    let out = f.run(&[
        "extract",
        "a/privacy-policy",
        page.to_str().expect("utf-8"),
        "--url",
        "https://example.org/p",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "## Data\n\nWe keep [it](https://example.org/x).\n"
    );
    let out = f.run(&["extract", "z/privacy-policy", page.to_str().expect("utf-8")]);
    assert!(
        stderr(&out).contains("z/privacy-policy is not declared"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn log_show_and_diff_read_the_history() {
    let f = Fixture::new();
    f.write_config(
        &[
            ("a", "privacy-policy", "/a"),
            ("b", "terms-of-service", "/b"),
        ],
        "",
    );
    f.server.set(
        "/a",
        Page::html("<main><h1>Policy</h1><p>We keep data for 30 days.</p></main>"),
    );
    f.server.set("/b", Page::html("<main><p>Terms.</p></main>"));
    f.check();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    f.server.set(
        "/a",
        Page::html("<main><h1>Policy</h1><p>We keep data for 90 days.</p></main>"),
    );
    f.check();

    let out = f.run(&["log"]);
    let log = String::from_utf8_lossy(&out.stdout);
    assert_eq!(log.lines().count(), 3, "{log}");
    assert!(
        log.lines()
            .next()
            .expect("line")
            .contains("Update A privacy policy"),
        "{log}"
    );
    let out = f.run(&["log", "a"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);

    let out = f.run(&["show", "a/privacy-policy"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "# Policy\n\nWe keep data for 90 days.\n"
    );
    let out = f.run(&["show", "a/privacy-policy", "--at", "2001-01-01"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no version of a/privacy-policy recorded at that date"));
    let first = f.git(&["log", "--format=%H", "main", "--", "a/privacy-policy.md"]);
    let first = first.lines().last().expect("a commit");
    let first_time = f.git(&["log", "-1", "--format=%cI", first]);
    let out = f.run(&["show", "a/privacy-policy", "--at", first_time.trim()]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "# Policy\n\nWe keep data for 30 days.\n"
    );

    let out = f.run(&["diff", "a/privacy-policy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(diff.contains("1 line(s) added, 1 removed"), "{diff}");
    assert!(
        diff.contains("~ We keep data for [-30-]{+90+} days."),
        "{diff}"
    );
    let out = f.run(&["diff", "a/privacy-policy", first, "main"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("[-30-]{+90+}"));
    let out = f.run(&["diff", "b/terms-of-service"]);
    assert!(stderr(&out).contains("single version"), "{}", stderr(&out));
}

#[test]
fn only_limits_the_cycle() {
    let f = Fixture::new();
    f.write_config(
        &[
            ("a", "privacy-policy", "/a"),
            ("a", "terms-of-service", "/b"),
            ("c", "imprint", "/c"),
        ],
        "",
    );
    for p in ["/a", "/b", "/c"] {
        f.server.set(p, Page::html(format!("<main>{p}</main>")));
    }
    let out = f.run(&[
        "check",
        "--json",
        "--only",
        "a/terms-of-service",
        "--only",
        "c",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(ids(&r, "new_ids"), ["a/terms-of-service", "c/imprint"]);
    let out = f.run(&["check", "--only", "zzz"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no document"), "{}", stderr(&out));
    let out = f.run(&["check", "--only", "../etc"]);
    assert!(
        stderr(&out).contains("is not PLATFORM/KIND"),
        "{}",
        stderr(&out)
    );
}

/// The executable carries packed relative relocations (`DT_RELR`, daemon/build.rs) exactly when
/// the build machine's glibc can load them: at start-up the loader then reads a table of tens of
/// KB instead of the 1.8 MB the classic one took, which stayed in every process's RSS.
#[test]
fn the_executable_packs_its_relative_relocations_where_glibc_loads_them() {
    let exe = env!("CARGO_BIN_EXE_termtrail");
    let out = Command::new("readelf")
        .args(["--wide", "--dynamic", "--section-headers", exe])
        .output()
        .expect("readelf (binutils, which the C compiler of the build brings) runs");
    assert!(out.status.success(), "readelf: {}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let packed = text.contains("(RELR)");
    // `.rela.dyn`'s size, the sixth column of its section header line.
    let rela = text
        .lines()
        .find(|l| l.contains(" .rela.dyn "))
        .and_then(|l| {
            l.split_whitespace()
                .skip_while(|w| *w != ".rela.dyn")
                .nth(4)
        })
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .expect("a .rela.dyn section header");
    if option_env!("TERMTRAIL_PACKED_RELOCS").is_some() {
        assert!(packed, "no DT_RELR in the dynamic section:\n{text}");
        assert!(rela < 64 * 1024, ".rela.dyn is {rela} bytes");
    } else {
        assert!(!packed, "DT_RELR without a glibc that loads it:\n{text}");
    }
}
