//! Property tests of the config contract: any input gives a config or problems, each with a
//! line in the file and a key; nothing panics.

use proptest::prelude::*;

use super::super::schema::ROOT;
use super::*;
use crate::diagnostics::keys::{Key, Shape};

/// Every key name of the schema, at any depth, and every table path.
fn names() -> (Vec<&'static str>, Vec<String>) {
    fn walk(keys: &'static [Key], prefix: &str, k: &mut Vec<&'static str>, t: &mut Vec<String>) {
        for (name, shape) in keys {
            k.push(name);
            let path = if prefix.is_empty() {
                (*name).to_owned()
            } else {
                format!("{prefix}.{name}")
            };
            match shape {
                Shape::Table(inner) | Shape::Tables(inner, _) => {
                    t.push(path.clone());
                    walk(inner, &path, k, t);
                }
                Shape::Named(inner, _) => {
                    t.push(format!("{path}.x"));
                    walk(inner, &format!("{path}.x"), k, t);
                }
                _ => {}
            }
        }
    }
    let (mut k, mut t) = (Vec::new(), Vec::new());
    walk(ROOT, "", &mut k, &mut t);
    (k, t)
}

fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<String>().prop_map(|s| toml::Value::String(s).to_string()),
        "\"[-0-9a-z. ]{0,8}(ms|s|m|h|d|MB|KiB|x)?\"".prop_map(|s| s),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() {
            format!("{f:?}")
        } else {
            "nan".into()
        }),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("1979-05-27T07:32:00Z".to_owned()),
        "[^\n]{0,12}",
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| format!("[{}]", v.join(", "))),
            proptest::collection::vec(("[a-zA-Z_]{1,10}", inner), 0..3).prop_map(|kv| {
                let items: Vec<String> =
                    kv.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", items.join(", "))
            }),
        ]
    })
}

fn line() -> impl Strategy<Value = String> {
    let (keys, tables) = names();
    let key = prop_oneof![
        proptest::sample::select(keys),
        "[a-z_\\-]{1,12}".prop_map(|s| Box::leak(s.into_boxed_str()) as &'static str),
    ];
    prop_oneof![
        3 => (key, value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => proptest::sample::select(tables.clone()).prop_map(|t| format!("[{t}]")),
        1 => proptest::sample::select(tables).prop_map(|t| format!("[[{t}]]")),
        1 => "[^\n]{0,20}",
    ]
}

/// Checks the contract on any input: no panic, and every problem has a line in the file.
fn every_problem_has_a_line(src: &str) -> Result<(), TestCaseError> {
    let lines = src.split('\n').count();
    match Config::parse(src, "t.toml") {
        Ok(_) => {}
        Err(ConfigError::Syntax { errors, .. }) => {
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!((1..=lines).contains(&e.line), "{:?} in\n{}", e, src);
            }
        }
        Err(ConfigError::Invalid { issues, .. }) => {
            prop_assert!(!issues.is_empty());
            for i in issues {
                prop_assert!(
                    i.line.is_some_and(|l| (1..=lines).contains(&l)),
                    "{:?} in\n{}",
                    i,
                    src
                );
                prop_assert!(!i.key.is_empty(), "{:?} in\n{}", i, src);
            }
        }
        Err(e @ ConfigError::Read { .. }) => prop_assert!(false, "{}", e),
    }
    Ok(())
}

proptest! {

    /// TOML-ish files made of known and unknown tables and keys with any values.
    #[test]
    fn any_file_gives_a_config_or_problems_with_lines(
        lines in proptest::collection::vec(line(), 0..14)
    ) {
        every_problem_has_a_line(&lines.join("\n"))?;
    }

    /// A valid file with one known key set to any value, in each table.
    #[test]
    fn any_value_in_a_known_key_gives_problems_with_lines(
        at in 0usize..6,
        (key, v) in (proptest::sample::select(names().0), value()),
    ) {
        let mut parts = [
            "[fetch]\nper_host_delay = \"0s\"".to_owned(),
            "[schedule]\ninterval = \"1h\"".to_owned(),
            "[[document]]\nplatform = \"a\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"".to_owned(),
            "[[document.source]]\nurl = \"https://x.org/1\"".to_owned(),
            "[[sink]]\nname = \"s\"\ntype = \"stdout\"".to_owned(),
            "[plugin.acme]\ntrack = false".to_owned(),
        ];
        parts[at].push_str(&format!("\n{key} = {v}"));
        every_problem_has_a_line(&parts.join("\n\n"))?;
    }

    /// Arbitrary text.
    #[test]
    fn any_text_parses_without_panic(src in "(.|\n){0,200}") {
        every_problem_has_a_line(&src)?;
    }
}
