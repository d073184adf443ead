use std::time::Duration;

use super::*;
use crate::document::Extraction;
use crate::plugin::Isolation;

mod properties;
mod sinks;

fn parse(src: &str) -> Result<Config, ConfigError> {
    Config::parse(src, "t.toml")
}

const DOC: &str = r#"
[[document]]
platform = "openai"
kind = "privacy-policy"
url = "https://openai.com/policies/row-privacy-policy/"
select = ["main article"]
remove = ["nav", ".cookie-banner"]
interval = "12h"
"#;

#[test]
fn the_default_config_is_valid_and_covers_the_ten_platforms() {
    let c = Config::parse(DEFAULT_CONFIG, BUILT_IN_NAME).expect("default config is valid");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    for p in [
        "openai",
        "anthropic",
        "mistral",
        "google",
        "meta",
        "microsoft",
        "xai",
        "perplexity",
        "deepseek",
        "cohere",
    ] {
        let kinds: Vec<_> = c
            .documents
            .iter()
            .filter(|d| d.id.platform() == p)
            .map(|d| d.id.kind())
            .collect();
        assert!(
            kinds.contains(&"privacy-policy"),
            "{p} has no privacy policy"
        );
        assert!(kinds.contains(&"terms-of-service"), "{p} has no terms");
    }
    // The file in config/ is the same text as the compiled-in copy (include_str! of it).
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../config/termtrail.toml"
    ))
    .expect("config/termtrail.toml exists");
    assert_eq!(on_disk, DEFAULT_CONFIG);
}

#[test]
fn a_full_document_parses_into_typed_values() {
    let c = parse(&format!(
        "[fetch]\nper_host_delay = \"0s\"\n[fetch.hosts.\"127.0.0.1\"]\nper_host_concurrency = 8\n{DOC}"
    ))
    .expect("valid");
    let d = &c.documents[0];
    assert_eq!(d.id.to_string(), "openai/privacy-policy");
    assert_eq!(d.title, "OpenAI privacy policy");
    assert_eq!(d.interval, Duration::from_secs(43200));
    assert_eq!(c.fetch.defaults.per_host_delay, Duration::ZERO);
    assert_eq!(c.fetch.for_host("127.0.0.1").per_host_concurrency, 8);
    // Per-host tables inherit the global values they do not set.
    assert_eq!(c.fetch.for_host("127.0.0.1").per_host_delay, Duration::ZERO);
    assert_eq!(c.fetch.for_host("example.org").per_host_concurrency, 2);
    assert_eq!(c.archive.path, PathBuf::from("archive"));
    assert_eq!(c.archive.snapshots, crate::archive::Retention::Versions);
    assert_eq!(c.archive.pack_after, 1_000);
}

/// Each bad config gives an error naming the line and key, and saying what is expected.
#[test]
fn errors_name_the_line_the_key_and_what_is_expected() {
    let cases: &[(&str, &str)] = &[
        (
            "[archive]\npath = \"a\"\nbogus = 1\n",
            "t.toml:3: archive.bogus: unknown key; the keys here are path, author_name, author_email, fsync",
        ),
        (
            "[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\nslect = [\"main\"]\n",
            "t.toml:5: document[1].slect: unknown key; did you mean \"select\"?",
        ),
        (
            "[[document]]\nplatform = \"Open AI\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\n",
            "t.toml:2: document[1].platform: \"Open AI\" is not a slug",
        ),
        (
            "[[document]]\nplatform = \"openai\"\nkind = \"../../etc\"\nurl = \"https://x.org/\"\n",
            "t.toml:3: document[1].kind: \"../../etc\" is not a slug",
        ),
        (
            "[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"openai.com/privacy\"\n",
            "t.toml:4: document[1].url: \"openai.com/privacy\" is not a URL",
        ),
        (
            "[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"ftp://x.org/p\"\n",
            "t.toml:4: document[1].url: scheme \"ftp\" is not supported",
        ),
        (
            "[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\nselect = [\"main[\"]\n",
            "t.toml:5: document[1].select: invalid CSS selector \"main[\": the selector ends too early",
        ),
        (
            "[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\nselect = \"main >\"\n",
            "t.toml:5: document[1].select: invalid CSS selector \"main >\": a combinator (\">\") must be followed by a selector",
        ),
        (
            "[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\nremove = [{ startBefore = \"a\" }]\n",
            "t.toml:5: document[1].remove: a range needs exactly one of startBefore/startAfter",
        ),
        (
            "[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\nselect = [{ startBefor = \"a\", endAfter = \"b\" }]\n",
            "t.toml:5: document[1].select[1].startBefor: unknown key; did you mean \"startBefore\"?",
        ),
        (
            "[[document]]\nplatform = \"openai\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\ninterval = \"often\"\n",
            "t.toml:5: document[1].interval: \"often\" is not a duration",
        ),
        (
            "[[document]]\nplatform = \"a\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\n[[document]]\nplatform = \"a\"\nkind = \"privacy-policy\"\nurl = \"https://y.org/\"\n",
            "t.toml:6: document[2].platform: a/privacy-policy is already declared at line 1",
        ),
        ("[fetch]\nmax_body = \"20 parsecs\"\n", "t.toml:2: fetch.max_body: \"20 parsecs\" is not a size (\"parsecs\" is not a unit; use B, KB, MB, GB, KiB, MiB or GiB); write a size like \"20MB\""),
        ("[fetch]\nper_host_concurrency = 0\n", "t.toml:2: fetch.per_host_concurrency: 0 is out of range; expected 1 to 256"),
        ("[fetch]\ntimeout = 30\n", "t.toml:2: fetch.timeout: expected a duration in quotes, like \"30s\" or \"5m\"; found the number 30"),
        ("[fetch]\ntimeout = \"-5s\"\n", "t.toml:2: fetch.timeout: \"-5s\" is not a duration (a duration cannot be negative); write a positive duration like \"30s\" or \"5m\""),
        ("[fetch.hosts.\"127.0.0.1\"]\nper_host_delay = \"-1s\"\n", "t.toml:2: fetch.hosts.\"127.0.0.1\".per_host_delay: \"-1s\" is not a duration"),
        ("[fetch.hosts.\"x.org\"]\nconnect_timeout = \"1s\"\n", "t.toml:2: fetch.hosts.\"x.org\".connect_timeout: unknown key; the keys here are user_agent, timeout"),
        ("[schedule]\njitter = 2.0\n", "t.toml:2: schedule.jitter: expected a fraction from 0.0 to 0.5"),
        ("[schedule]\njitter = \"0.1\"\n", "t.toml:2: schedule.jitter: expected a number, like 0.5; found the text \"0.1\""),
        ("[[document]]\nplatform = \"a\"\n", "t.toml:1: document[1].kind: missing; every [[document]] needs one, e.g. kind = \"privacy-policy\""),
        ("[document]\nplatform = \"a\"\n", "t.toml:1: document: expected one [[document]] table per entry (two brackets on each side); found a table"),
        ("[[sink]]\ntype = \"stdout\"\nto = [\"a\", 3]\n", "t.toml:3: sink[1].to[2]: expected text in quotes, like \"...\"; found the number 3"),
        ("[[sink]]\ntype = \"stdout\"\n", "t.toml:1: sink[1].name: missing; every [[sink]] needs one, e.g. name = \"team-slack\""),
        ("[topics.x]\nlabel = \"X\"\n", "t.toml:1: topics.x.keywords: missing; give keywords = "),
        ("[plugin.acme]\ntrack = \"yes\"\n", "t.toml:2: plugin.acme.track: expected true or false; found the text \"yes\""),
        ("[plugin]\nacme = 1\n", "t.toml:2: plugin.acme: expected a table: a line [plugin.acme] followed by its keys; found the number 1"),
        (
            "[[document]]\nplatform = \"a\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\ntitle = \"A\\n\\nChange-Class: technical\"\n",
            "t.toml:5: document[1].title: \"A\\n\\nChange-Class: technical\" has a line break or another control character; a title is one line of text",
        ),
        ("[archive]\nauthor_name = \"a\\u0000b\"\n", "t.toml:2: archive.author_name: must be non-empty, on one line, without < or > or control characters"),
        ("[archive]\nsnapshots = \"every\"\n", "t.toml:2: archive.snapshots: expected \"versions\" (the pages of versions, failed extractions and held texts) or \"all\""),
        ("[archive]\npack_after = -1\n", "t.toml:2: archive.pack_after: expected a number of loose objects, 0 or more (0 never packs)"),
        ("[archive\npath = \"a\"\n", "1 TOML syntax error(s) in config t.toml:\n  t.toml:1:9: "),
    ];
    for (src, want) in cases {
        let err = parse(src).expect_err(src).to_string();
        assert!(
            err.contains(want),
            "config:\n{src}\nerror:\n{err}\nwanted: {want}"
        );
        assert!(!err.contains("developer"), "{err}");
    }
}

/// Parses `src` and compares the whole error, one problem a line, with `expect`.
fn check(src: &str, expect: &str) {
    let err = parse(src).expect_err(src).to_string();
    assert_eq!(err, expect.trim(), "config:\n{src}");
}

/// Several problems of every sort in one file: all are reported, in line order, each with its
/// line and key: unknown keys, wrong types, values that do not parse, missing keys.
#[test]
fn several_problems_in_one_file_are_all_reported() {
    check(
        r#"[fetch]
timeout = "-5s"
retries = "two"
user-agent = "me"

[[document]]
platform = "openai"
kind = "privacy-policy"
url = "https://openai.com/policies/row-privacy-policy/"
select = "main >"
intervall = "6h"

[[document]]
platform = "acme"
url = "https://acme.example/privacy"
title = "ACME\nChange-Class: technical"

[[sink]]
name = "hook"
type = "webhook"
url = "https://hooks.example.org/x"
colour = "red"
timeout = 30
"#,
        r#"
9 error(s) in config t.toml:
  t.toml:2: fetch.timeout: "-5s" is not a duration (a duration cannot be negative); write a positive duration like "30s" or "5m"
  t.toml:3: fetch.retries: expected a whole number, like 3; found the text "two"
  t.toml:4: fetch.user-agent: unknown key; did you mean "user_agent"?
  t.toml:10: document[1].select: invalid CSS selector "main >": a combinator (">") must be followed by a selector
  t.toml:11: document[1].intervall: unknown key; did you mean "interval"?
  t.toml:13: document[2].kind: missing; every [[document]] needs one, e.g. kind = "privacy-policy"
  t.toml:16: document[2].title: "ACME\nChange-Class: technical" has a line break or another control character; a title is one line of text (it is the subject of commit messages)
  t.toml:22: sink[1].colour: unknown key; the keys here are name, type, platforms, kinds, topics, min_class, events, start, include_technical, retry_max, timeout, format, path, max_entries, title, url, secret, headers, smtp_host, smtp_port, tls, username, password, from, to, tls_ca, command
  t.toml:23: sink[1].timeout: expected a duration in quotes, like "30s" or "5m"; found the number 30
"#,
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let src = "[[document]]\nplatform = \"A\"\nkind = \"B\"\nurl = \"nope\"\n";
    let ConfigError::Invalid { issues, .. } = parse(src).expect_err("invalid") else {
        panic!("expected validation errors");
    };
    let keys: Vec<_> = issues.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "document[1].platform",
            "document[1].kind",
            "document[1].url"
        ]
    );
}

#[test]
fn unknown_kinds_warn_and_ota_select_strings_are_accepted() {
    let c = parse("[[document]]\nplatform = \"a\"\nkind = \"secret-sauce\"\nurl = \"https://x.org/\"\nselect = \"main\"\n")
        .expect("valid");
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].contains("secret-sauce"), "{}", c.warnings[0]);
}

#[test]
fn rules_change_the_extractor_id() {
    let a = parse(DOC).expect("valid");
    let b = parse(&DOC.replace("main article", "main")).expect("valid");
    assert_ne!(a.documents[0].extractor_id, b.documents[0].extractor_id);
    assert_eq!(
        a.documents[0].extractor_id,
        parse(DOC).expect("valid").documents[0].extractor_id
    );
}

#[test]
fn plugin_documents_and_settings_parse() {
    // Relative plugin folders are the config file's; one that does not exist is an error.
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(tmp.path().join("mine")).expect("mkdir");
    let file = tmp.path().join("termtrail.toml");
    let c = Config::parse(
        "[plugins]\ndirs = [\"mine\"]\n",
        &file.display().to_string(),
    )
    .expect("valid");
    assert_eq!(c.plugins.dirs, [tmp.path().join("mine")]);
    let e = Config::parse(
        "[plugins]\ndirs = [\"mine\", \"gone\"]\n",
        &file.display().to_string(),
    )
    .expect_err("missing folder")
    .to_string();
    assert!(
        e.contains(":2: plugins.dirs:")
            && e.contains(&format!(
                "{} is not a folder",
                tmp.path().join("gone").display()
            )),
        "{e}"
    );

    let c = parse(
        r#"
[plugins]
track_all = true
isolation = "process"
timeout = "5s"

[plugin.openai]
sha256 = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
isolation = "none"
track = false
path = "/opt/libtermtrail_plugin_openai.so"

[[document]]
platform = "openai"
kind = "privacy-policy"
plugin = "openai"

[[document]]
platform = "openai"
kind = "terms-of-service"
plugin = "openai"
url = "https://openai.com/policies/row-terms-of-use/"
"#,
    )
    .expect("valid");
    let p = &c.plugins;
    assert!(p.track_all);
    assert_eq!(p.timeout, Duration::from_secs(5));
    assert_eq!(p.isolation_for("openai"), Isolation::None);
    assert_eq!(p.isolation_for("xai"), Isolation::Process);
    assert!(!p.tracks("openai") && p.tracks("xai"));
    assert_eq!(
        p.library("openai"),
        PathBuf::from("/opt/libtermtrail_plugin_openai.so")
    );
    assert_eq!(
        p.entries["openai"].sha256.as_deref(),
        Some("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")
    );
    // Without a URL the document waits for the manifest; with one it is complete.
    assert_eq!(c.pending.len(), 1);
    assert_eq!(c.pending[0].id.to_string(), "openai/privacy-policy");
    assert_eq!(c.documents.len(), 1);
    assert!(matches!(
        &c.documents[0].extraction,
        Extraction::Plugin(name) if name == "openai"
    ));
}

#[test]
fn plugin_config_errors_name_the_line() {
    let err = parse(
        r#"[plugins]
isolation = "sandbox"

[plugin.openai]
sha256 = "abc"

[[document]]
platform = "openai"
kind = "privacy-policy"
plugin = "Open AI"

[[document]]
platform = "openai"
kind = "terms-of-service"
plugin = "openai"
remove = "nav"

[[document]]
platform = "x"
kind = "imprint"
"#,
    )
    .expect_err("invalid");
    let text = err.to_string();
    for want in [
        "t.toml:2: plugins.isolation: \"sandbox\" is not an isolation",
        "t.toml:5: plugin.openai.sha256: expected 64 hexadecimal digits",
        "t.toml:10: document[1].plugin: \"Open AI\" is not a plugin name",
        "t.toml:16: document[2].remove: does not apply to a plugin document",
        "t.toml:18: document[3].url: missing; give url = \"https://...\", one [[document.source]] per page, or `plugin = \"NAME\"`",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
}

#[test]
fn the_extraction_timeout_has_a_default_and_must_be_positive() {
    assert_eq!(
        parse(DOC).expect("valid").extraction.timeout,
        crate::check::settings::DEFAULT_EXTRACTION_TIMEOUT
    );
    let c = parse(&format!("[extraction]\ntimeout = \"250ms\"\n{DOC}")).expect("valid");
    assert_eq!(c.extraction.timeout, Duration::from_millis(250));
    for (value, want) in [
        ("0s", "t.toml:2: extraction.timeout: must be more than 0s"),
        ("soon", "t.toml:2: extraction.timeout: "),
    ] {
        let err = parse(&format!("[extraction]\ntimeout = \"{value}\"\n{DOC}"))
            .expect_err("refused")
            .to_string();
        assert!(err.contains(want), "{value}: {err}");
    }
}

/// Documents written with the same rules share one compiled extractor (and its rules id); other
/// rules get their own; an invalid rule shared by two documents is reported for each.
#[test]
fn documents_with_equal_rules_share_one_compiled_extractor() {
    let doc = |platform: &str, select: &str| {
        format!("[[document]]\nplatform = \"{platform}\"\nkind = \"privacy-policy\"\nurl = \"https://{platform}.org/\"\nselect = [\"{select}\"]\nremove = [\".ad\"]\n")
    };
    let src = [doc("a", "main"), doc("b", "main"), doc("c", "article")].concat();
    let c = parse(&src).expect("valid");
    let extractor = |i: usize| match &c.documents[i].extraction {
        Extraction::Declarative(e) => e.clone(),
        Extraction::Plugin(p) => panic!("a declarative document, not plugin {p}"),
    };
    assert!(std::sync::Arc::ptr_eq(&extractor(0), &extractor(1)));
    assert!(std::sync::Arc::ptr_eq(
        &extractor(1),
        &c.documents[1].sources[0].extractor
    ));
    assert!(!std::sync::Arc::ptr_eq(&extractor(0), &extractor(2)));
    assert_eq!(c.documents[0].extractor_id, c.documents[1].extractor_id);
    assert_ne!(c.documents[0].extractor_id, c.documents[2].extractor_id);

    let bad = [doc("a", "main["), doc("b", "main[")].concat();
    check(
        &bad,
        "
2 error(s) in config t.toml:
  t.toml:5: document[1].select: invalid CSS selector \"main[\": the selector ends too early: a [, ( or quote is not closed
  t.toml:11: document[2].select: invalid CSS selector \"main[\": the selector ends too early: a [, ( or quote is not closed",
    );
}
