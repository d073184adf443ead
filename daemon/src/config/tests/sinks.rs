//! `[[sink]]`, `[events]` and `[topics]` through the whole config: every sink type, secrets that
//! never print, filters, unique names.

use crate::config::Config;
use crate::events::{availability_event, EventType};
use crate::sinks::{Secret, SinkKind, Start, Tls};
use crate::summary::Class;

const ALL: &str = r#"
[events]
diff_max_bytes = "4KB"
unavailable_after = 5

[topics.biometrics]
label = "Biometric data"
keywords = ["biometric*", "face|voice NEAR/3 scan*|print*"]
exclude = ["no biometric*"]

[[sink]]
name = "out"
type = "stdout"
format = "json"

[[sink]]
name = "hook"
type = "webhook"
url = "https://hooks.example.org/abc-literal-secret-url"
secret = "env:HOOK_SECRET"
headers = { "Authorization" = "Bearer literal-token-123" }
platforms = ["openai"]
topics = ["biometrics", "children"]
min_class = "substantive"
events = ["document.changed"]
start = "beginning"

[[sink]]
name = "mail"
type = "email"
smtp_host = "smtp.example.org"
tls = "tls"
username = "u"
password = "literal-password-456"
from = "a@example.org"
to = ["b@example.org"]

[[sink]]
name = "feed"
type = "atom"
path = "feed.xml"

[[sink]]
name = "run"
type = "exec"
command = ["/bin/true"]
"#;

#[test]
fn every_sink_type_parses_and_secrets_never_print() {
    let c = Config::parse(ALL, "t.toml").expect("valid config");
    assert_eq!(c.events.diff_max_bytes, 4000);
    assert_eq!(c.events.unavailable_after, 5);
    assert!(c.taxonomy.get("biometrics").is_some());
    let names: Vec<_> = c.sinks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["out", "hook", "mail", "feed", "run"]);
    let hook = &c.sinks[1];
    assert_eq!(hook.start, Start::Beginning);
    assert_eq!(hook.filter.min_class, Some(Class::Substantive));
    match &hook.kind {
        SinkKind::Webhook { secret, .. } => {
            assert_eq!(secret.as_ref(), Some(&Secret::Env("HOOK_SECRET".into())));
        }
        other => panic!("{other:?}"),
    }
    match &c.sinks[2].kind {
        SinkKind::Email { port, tls, .. } => assert_eq!((*port, *tls), (465, Tls::Tls)),
        other => panic!("{other:?}"),
    }
    let debug = format!("{c:?}");
    for secret in [
        "abc-literal-secret-url",
        "literal-token-123",
        "literal-password-456",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked into Debug");
    }
}

#[test]
fn filters_select_events() {
    let c = Config::parse(ALL, "t.toml").expect("valid config");
    let f = &c.sinks[1].filter;
    let doc = crate::document::DocumentId::parse("openai/privacy-policy").expect("id");
    let mut e = availability_event(
        EventType::Changed,
        &doc,
        "t",
        "u",
        0,
        None,
        std::time::UNIX_EPOCH,
    );
    e.class = Some(Class::Substantive);
    e.topics = vec!["children".into()];
    assert!(f.accepts(&e));
    e.class = Some(Class::Cosmetic);
    assert!(!f.accepts(&e), "min_class");
    e.class = Some(Class::Substantive);
    e.topics = vec!["data-retention".into()];
    assert!(!f.accepts(&e), "topics");
    e.topics = vec!["biometrics".into()];
    e.platform = "google".into();
    assert!(!f.accepts(&e), "platforms");
    e.platform = "openai".into();
    e.event_type = EventType::Added;
    assert!(!f.accepts(&e), "events");
}

#[test]
fn sink_names_are_unique_slugs() {
    let src =
        "[[sink]]\nname = \"a\"\ntype = \"stdout\"\n\n[[sink]]\nname = \"a\"\ntype = \"stdout\"\n";
    let e = Config::parse(src, "t.toml")
        .expect_err("duplicate")
        .to_string();
    assert!(
        e.contains("t.toml:6: sink[2].name: a sink named \"a\" is already declared"),
        "{e}"
    );
}

#[test]
fn topic_rules_and_exclusions_come_from_the_config() {
    let c = Config::parse(ALL, "t.toml").expect("valid config");
    let t = c.taxonomy.get("biometrics").expect("the new topic");
    assert_eq!(t.label, "Biometric data");
    assert!(t.matches("We scan your face prints to log you in."));
    assert!(t.matches("Biometric identifiers are kept for a year."));
    // The exclusion overlaps the only match.
    assert!(!t.matches("We collect no biometric data."));
    let bad = ALL.replace("exclude = [\"no biometric*\"]", "exclude = [\"NEAR x\"]");
    let err = Config::parse(&bad, "t.toml").expect_err("a broken exclusion");
    assert!(err.to_string().contains("topics.biometrics"), "{err}");
}
