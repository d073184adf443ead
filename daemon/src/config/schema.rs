//! The shape of the config file: the keys of every table and the kind of value each takes.
//! It is walked over the parsed TOML before serde sees it, so that every unknown key and every
//! value of the wrong type is reported at once (serde stops at the first), each with its line,
//! its key and what to write instead. The keys found wrong are then taken out, so that the rest
//! can still be deserialised and validated. Each component declares the keys of its section
//! beside its serde struct; a test checks that both list the same keys.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostics::keys::{join, Key, Shape, Shape::*};
use crate::document::settings::RANGE_KEYS as RANGE;
use crate::{
    archive, browser, check, document, events, fetch, plugin, scheduler, sinks, summary, web,
};

/// The top level of the file: each component's keys, as it declares them beside its section.
pub(super) const ROOT: &[Key] = &[
    ("archive", Table(archive::settings::KEYS)),
    ("schedule", Table(scheduler::settings::KEYS)),
    ("fetch", Table(fetch::settings::KEYS)),
    ("holds", Table(archive::settings::HOLDS_KEYS)),
    ("browser", Table(browser::settings::KEYS)),
    ("extraction", Table(check::settings::KEYS)),
    ("document", Tables(document::settings::KEYS, "[[document]]")),
    ("sink", Tables(sinks::settings::KEYS, "[[sink]]")),
    ("events", Table(events::settings::KEYS)),
    (
        "topics",
        Named(summary::settings::KEYS, "[topics.biometrics]"),
    ),
    ("plugins", Table(plugin::settings::KEYS)),
    (
        "plugin",
        Named(plugin::settings::ENTRY_KEYS, "[plugin.acme]"),
    ),
    ("web", Table(web::settings::KEYS)),
];

/// One problem found by the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    /// Where in the source (the key for an unknown key, else the value).
    pub span: Range<usize>,
    /// The key in dotted form, e.g. `document[3].intervall`.
    pub key: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

/// Checks `table` against `keys`, and takes every key found wrong out of it (and out of the
/// tables inside it), so that what is left deserialises.
pub(super) fn check(table: &mut DeTable<'_>, keys: &'static [Key], out: &mut Vec<Problem>) {
    check_table(table, keys, "", out);
}

/// Checks the `[[document]]` tables of one piece of the file (`read.rs`), numbered from
/// `first + 1` as in the whole file, as [`check`] checks them there; `false` when one of them is
/// not a table (the piece is then read with the whole file).
pub(super) fn check_documents(
    items: &mut [Spanned<DeValue<'_>>],
    first: usize,
    out: &mut Vec<Problem>,
) -> bool {
    for (i, x) in items.iter_mut().enumerate() {
        let DeValue::Table(inner) = x.get_mut() else {
            return false;
        };
        let path = format!("document[{}]", first + i + 1);
        check_table(inner, document::settings::KEYS, &path, out);
    }
    true
}

fn check_table(
    table: &mut DeTable<'_>,
    keys: &'static [Key],
    prefix: &str,
    out: &mut Vec<Problem>,
) {
    let mut wrong = Vec::new();
    for (k, v) in table.iter_mut() {
        let name: &str = k.get_ref();
        let path = join(prefix, name);
        match keys.iter().find(|(known, _)| *known == name) {
            None => {
                out.push(Problem {
                    span: k.span(),
                    key: path,
                    message: unknown_key(name, keys),
                });
                wrong.push(name.to_owned());
            }
            Some((_, shape)) => {
                if !check_value(v, *shape, &path, out) {
                    wrong.push(name.to_owned());
                }
            }
        }
    }
    for name in wrong {
        table.remove(name.as_str());
    }
}

/// Reports `v` at `path` as not of `shape`.
fn mismatch(v: &Spanned<DeValue<'_>>, shape: Shape, path: &str, out: &mut Vec<Problem>) {
    out.push(Problem {
        span: v.span(),
        key: path.to_owned(),
        message: format!(
            "expected {}; found {}",
            expected(shape, path),
            describe(v.get_ref())
        ),
    });
}

/// Checks one value, reporting what is wrong in it; `false` when it must be taken out (its
/// own type is wrong, or something inside a list of texts or rules is). Tables keep their
/// good keys: only the wrong ones inside are taken out.
fn check_value(
    v: &mut Spanned<DeValue<'_>>,
    shape: Shape,
    path: &str,
    out: &mut Vec<Problem>,
) -> bool {
    let item = |i: usize| format!("{path}[{}]", i + 1);
    match (shape, v.get_mut()) {
        (Text | Duration | Size, DeValue::String(_))
        | (Integer, DeValue::Integer(_))
        | (Number, DeValue::Integer(_) | DeValue::Float(_))
        | (Bool, DeValue::Boolean(_))
        | (Rules, DeValue::String(_)) => true,
        (Texts, DeValue::Array(items)) => {
            let before = out.len();
            for (i, x) in items.iter().enumerate() {
                if !x.get_ref().is_str() {
                    mismatch(x, Text, &item(i), out);
                }
            }
            out.len() == before
        }
        (TextMap, DeValue::Table(t)) => {
            let before = out.len();
            for (name, x) in t.iter() {
                if !x.get_ref().is_str() {
                    mismatch(x, Text, &join(path, name.get_ref()), out);
                }
            }
            out.len() == before
        }
        (Rules, DeValue::Table(t)) => {
            let before = out.len();
            check_table(t, RANGE, path, out);
            out.len() == before
        }
        (Rules, DeValue::Array(items)) => {
            let before = out.len();
            for (i, x) in items.iter_mut().enumerate() {
                match x.get_mut() {
                    DeValue::String(_) => {}
                    DeValue::Table(t) => check_table(t, RANGE, &item(i), out),
                    _ => mismatch(x, Rules, &item(i), out),
                }
            }
            out.len() == before
        }
        (Table(keys), DeValue::Table(t)) => {
            check_table(t, keys, path, out);
            true
        }
        (Named(keys, _), DeValue::Table(t)) => {
            let mut bad = Vec::new();
            for (name, x) in t.iter_mut() {
                let inner_path = join(path, name.get_ref());
                match x.get_mut() {
                    DeValue::Table(inner) => check_table(inner, keys, &inner_path, out),
                    _ => {
                        mismatch(x, Table(keys), &inner_path, out);
                        bad.push(name.get_ref().to_string());
                    }
                }
            }
            for name in bad {
                t.remove(name.as_str());
            }
            true
        }
        (Tables(keys, _), DeValue::Array(items)) => {
            for (i, x) in items.iter_mut().enumerate() {
                match x.get_mut() {
                    DeValue::Table(inner) => check_table(inner, keys, &item(i), out),
                    _ => mismatch(x, shape, &item(i), out),
                }
            }
            // A wrong entry cannot be taken out alone without renumbering the others.
            items.iter().all(|x| x.get_ref().is_table())
        }
        _ => {
            mismatch(v, shape, path, out);
            false
        }
    }
}

/// What a shape is, in words, with an example to copy.
fn expected(shape: Shape, path: &str) -> String {
    match shape {
        Text => "text in quotes, like \"...\"".to_owned(),
        Duration => "a duration in quotes, like \"30s\" or \"5m\"".to_owned(),
        Size => "a size in quotes, like \"20MB\" or \"512KiB\"".to_owned(),
        Integer => "a whole number, like 3".to_owned(),
        Number => "a number, like 0.5".to_owned(),
        Bool => "true or false".to_owned(),
        Texts => "a list of texts in quotes, like [\"a\", \"b\"]".to_owned(),
        TextMap => "a table of texts, like { \"X-Team\" = \"legal\" }".to_owned(),
        Rules => "a CSS selector in quotes, a range like { startBefore = \"h1\", endBefore = \"footer\" }, or a list of them".to_owned(),
        Table(_) => format!("a table: a line [{path}] followed by its keys"),
        Named(_, example) => format!("named tables, one per entry, like {example}"),
        Tables(_, example) => {
            format!("one {example} table per entry (two brackets on each side)")
        }
    }
}

/// A value in words, for "found ...".
fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => {
            let short: String = s.chars().take(40).collect();
            if short.len() < s.len() {
                format!("the text {short:?}...")
            } else {
                format!("the text {short:?}")
            }
        }
        DeValue::Integer(i) => format!("the number {}", i.as_str()),
        DeValue::Float(f) => format!("the number {}", f.as_str()),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(d) => format!("the date {d}"),
        DeValue::Array(_) => "a list".to_owned(),
        DeValue::Table(_) => "a table".to_owned(),
    }
}

/// "unknown key" with the closest known key, or the list of known keys.
fn unknown_key(name: &str, keys: &[Key]) -> String {
    let normal = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let close = keys
        .iter()
        .map(|(k, _)| {
            let distance = if normal(k) == normal(name) {
                0
            } else {
                strsim::damerau_levenshtein(&normal(k), &normal(name))
            };
            (distance, *k)
        })
        .filter(|(d, k)| *d <= (k.len() / 3).max(1))
        .min();
    match close {
        Some((_, k)) => format!("unknown key; did you mean {k:?}?"),
        None => format!(
            "unknown key; the keys here are {}",
            keys.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde::de::{Deserialize, Deserializer, Visitor};

    use super::*;
    use crate::config::raw;
    use crate::document::settings::{KEYS as DOCUMENT, SOURCE_KEYS};
    use crate::fetch::settings::HOST_KEYS as HOST;

    /// Captures the field names serde's derive passes to `deserialize_struct`.
    struct Fields;

    #[derive(Debug)]
    struct Captured(&'static [&'static str]);

    impl std::fmt::Display for Captured {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }

    impl std::error::Error for Captured {}

    impl serde::de::Error for Captured {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Captured(&[])
        }
    }

    impl<'de> Deserializer<'de> for Fields {
        type Error = Captured;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Captured> {
            Err(Captured(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Captured> {
            Err(Captured(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    fn serde_fields<'de, T: Deserialize<'de>>() -> BTreeSet<&'static str> {
        match T::deserialize(Fields) {
            Err(Captured(fields)) => fields.iter().copied().collect(),
            Ok(_) => panic!("not a struct"),
        }
    }

    fn schema_fields(keys: &[Key]) -> BTreeSet<&'static str> {
        keys.iter().map(|(k, _)| *k).collect()
    }

    /// The schema and the serde structs of `raw.rs` list the same keys, table by table.
    #[test]
    fn the_schema_matches_the_serde_structs() {
        let pairs: [(BTreeSet<&str>, &[Key], &str); 16] = [
            (serde_fields::<raw::RawConfig>(), ROOT, "root"),
            (
                serde_fields::<archive::settings::RawArchive>(),
                archive::settings::KEYS,
                "archive",
            ),
            (
                serde_fields::<scheduler::settings::RawSchedule>(),
                scheduler::settings::KEYS,
                "schedule",
            ),
            (
                serde_fields::<fetch::settings::RawFetch>(),
                fetch::settings::KEYS,
                "fetch",
            ),
            (
                serde_fields::<fetch::settings::RawHost>(),
                HOST,
                "fetch.hosts",
            ),
            (
                serde_fields::<archive::settings::RawHolds>(),
                archive::settings::HOLDS_KEYS,
                "holds",
            ),
            (
                serde_fields::<browser::settings::RawBrowser>(),
                browser::settings::KEYS,
                "browser",
            ),
            (
                serde_fields::<check::settings::RawExtraction>(),
                check::settings::KEYS,
                "extraction",
            ),
            (
                serde_fields::<document::settings::RawDocument>(),
                DOCUMENT,
                "document",
            ),
            (
                serde_fields::<document::settings::RawSource>(),
                SOURCE_KEYS,
                "document.source",
            ),
            (
                serde_fields::<sinks::settings::RawSink>(),
                sinks::settings::KEYS,
                "sink",
            ),
            (
                serde_fields::<events::settings::RawEvents>(),
                events::settings::KEYS,
                "events",
            ),
            (
                serde_fields::<summary::settings::RawTopic>(),
                summary::settings::KEYS,
                "topics",
            ),
            (
                serde_fields::<plugin::settings::RawPlugins>(),
                plugin::settings::KEYS,
                "plugins",
            ),
            (
                serde_fields::<plugin::settings::RawPluginEntry>(),
                plugin::settings::ENTRY_KEYS,
                "plugin",
            ),
            (
                serde_fields::<web::settings::RawWeb>(),
                web::settings::KEYS,
                "web",
            ),
        ];
        for (serde, schema, table) in pairs {
            assert_eq!(serde, schema_fields(schema), "[{table}]");
        }
        assert_eq!(
            serde_fields::<termtrail_extract::RangeSpec>(),
            schema_fields(RANGE),
            "range"
        );
    }

    #[test]
    fn suggestions_are_close_keys_only() {
        assert_eq!(
            unknown_key("intervall", DOCUMENT),
            "unknown key; did you mean \"interval\"?"
        );
        assert_eq!(
            unknown_key("user-agent", HOST),
            "unknown key; did you mean \"user_agent\"?"
        );
        assert!(unknown_key("colour", archive::settings::KEYS)
            .starts_with("unknown key; the keys here are path, author_name"));
    }
}
