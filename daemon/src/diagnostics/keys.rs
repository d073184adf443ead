//! The shape of config keys: which keys a table has and the kind of value each takes. Every
//! component declares the keys of its own section with these; `config/schema.rs` walks the file
//! against them so that every unknown key and wrong type is reported at once.

/// The kind of value a key takes.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// Any string.
    Text,
    /// A string parsed by `parse_duration`.
    Duration,
    /// A string parsed by `parse_size`.
    Size,
    /// An integer.
    Integer,
    /// A float or an integer.
    Number,
    /// `true` or `false`.
    Bool,
    /// An array of strings.
    Texts,
    /// A table whose values are strings (`headers`).
    TextMap,
    /// `select` / `remove`: a string, a range table, or an array of those.
    Rules,
    /// A table with these keys.
    Table(&'static [Key]),
    /// A table of tables named by the user (`[plugin.NAME]`), each with these keys; the text is
    /// how one is written.
    Named(&'static [Key], &'static str),
    /// An array of tables (`[[document]]`), each with these keys; the text is how one is written.
    Tables(&'static [Key], &'static str),
}

/// A key and the shape of its value.
pub type Key = (&'static str, Shape);

/// `prefix.key`, with the key quoted when it is not a bare TOML key (`fetch.hosts."x.org"`).
pub fn join(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}
