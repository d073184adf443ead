//! The config text to the raw config: parsed, every key checked against the schema, deserialised.
//! A long file is read in pieces: the TOML parser holds its tokens, its events and the value tree
//! of what it parses at once (about 35 bytes of them per byte of TOML: 45 MB for the 1.3 MB of a
//! config of 10,000 documents), so the final run of `[[document]]` tables is cut into pieces of
//! [`PER_PIECE`] documents, each parsed, checked and deserialised alone, after the head of the
//! file (everything before that run). The pieces give the same documents, problems and lines as
//! the whole file (a test compares them); whenever a piece does not parse, or the head also
//! defines `document`, the whole file is read in one go instead, so that syntax errors and their
//! recovery are the parser's on the whole file.

use std::ops::Range;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;
use toml_parser::lexer::TokenKind;

use super::raw::RawConfig;
use super::schema::{self, Problem};
use crate::document::settings::RawDocument;

/// The `[[document]]` tables parsed at once.
pub(super) const PER_PIECE: usize = 256;

/// The config as written, and the problems the schema walk found in it.
pub(super) struct Read {
    /// The raw config; `Err` only if the key tables and the serde structs disagree.
    pub raw: Result<RawConfig, toml::de::Error>,
    /// Unknown keys and values of the wrong type, each taken out of `raw`.
    pub problems: Vec<Problem>,
}

/// Reads `src`; `Err` with the syntax errors when it does not parse.
pub(super) fn read(src: &str) -> Result<Read, Vec<toml::de::Error>> {
    match in_pieces(src, PER_PIECE) {
        Some(read) => Ok(read),
        None => whole(src),
    }
}

/// Reads `src` in one go.
pub(super) fn whole(src: &str) -> Result<Read, Vec<toml::de::Error>> {
    let (mut table, errors) = DeTable::parse_recoverable(src);
    if !errors.is_empty() {
        return Err(errors);
    }
    // Every unknown key and wrong type at once; the keys in question are taken out, so that
    // serde (which would stop at the first) sees a table it accepts.
    let mut problems = Vec::new();
    schema::check(table.get_mut(), schema::ROOT, &mut problems);
    let raw = RawConfig::deserialize(toml::de::Deserializer::from(table));
    Ok(Read { raw, problems })
}

/// One piece of the run of documents as serde reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Piece {
    document: Vec<Spanned<RawDocument>>,
}

/// Reads `src` as its head and pieces of `per_piece` documents; `None` when it must be read
/// whole (no final run of documents, the head defines `document`, or a piece does not parse).
pub(super) fn in_pieces(src: &str, per_piece: usize) -> Option<Read> {
    let cuts = cuts(src, per_piece);
    let first = *cuts.first()?;
    let (mut head, errors) = DeTable::parse_recoverable(&src[..first]);
    if !errors.is_empty() || head.get_ref().contains_key("document") {
        return None;
    }
    let mut problems = Vec::new();
    schema::check(head.get_mut(), schema::ROOT, &mut problems);
    let mut raw = match RawConfig::deserialize(toml::de::Deserializer::from(head)) {
        Ok(raw) => raw,
        Err(e) => {
            return Some(Read {
                raw: Err(e),
                problems,
            })
        }
    };
    let ends = cuts.iter().skip(1).copied().chain([src.len()]);
    for (start, end) in cuts.iter().copied().zip(ends) {
        let (table, errors) = DeTable::parse_recoverable(&src[start..end]);
        if !errors.is_empty() {
            return None;
        }
        let mut table = shift_table(table, start);
        // A piece starts with `[[document]]` and holds only document headers: its root has the
        // one key `document`, an array of tables.
        let t = table.get_mut();
        let Some(DeValue::Array(items)) = t.get_mut("document").map(Spanned::get_mut) else {
            return None;
        };
        if !schema::check_documents(items, raw.documents.len(), &mut problems) || t.len() != 1 {
            return None;
        }
        match Piece::deserialize(toml::de::Deserializer::from(table)) {
            Ok(piece) => raw.documents.extend(piece.document),
            Err(e) => {
                return Some(Read {
                    raw: Err(e),
                    problems,
                })
            }
        }
    }
    Some(Read {
        raw: Ok(raw),
        problems,
    })
}

/// A table parsed from the piece of the file at `by`, with its positions made the file's.
fn shift_table(t: Spanned<DeTable<'_>>, by: usize) -> Spanned<DeTable<'_>> {
    Spanned::new(shift(t.span(), by), shift_entries(t.into_inner(), by))
}

fn shift_entries(t: DeTable<'_>, by: usize) -> DeTable<'_> {
    t.into_iter()
        .map(|(k, v)| {
            (
                Spanned::new(shift(k.span(), by), k.into_inner()),
                shift_value(v, by),
            )
        })
        .collect()
}

fn shift_value(v: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let span = shift(v.span(), by);
    let value = match v.into_inner() {
        DeValue::Table(t) => DeValue::Table(shift_entries(t, by)),
        DeValue::Array(a) => DeValue::Array(a.into_iter().map(|x| shift_value(x, by)).collect()),
        other => other,
    };
    Spanned::new(span, value)
}

fn shift(span: Range<usize>, by: usize) -> Range<usize> {
    span.start + by..span.end + by
}

/// What a table header line opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    /// `[[document]]`: a new document.
    Document,
    /// `[document.…]`, `[[document.…]]` (a document's sources, tables) or `[document]`.
    InDocument,
    /// Any other table, or a key written in quotes.
    Other,
}

/// Where the file is cut: the start of the line of the first `[[document]]` of the final run of
/// document headers (those that reach the end of the file), and then of every `per_piece`-th
/// `[[document]]` after it. Empty when there is no such run.
fn cuts(src: &str, per_piece: usize) -> Vec<usize> {
    let headers = headers(src);
    // The final run: the headers after the last one that is not a document's.
    let run_start = headers
        .iter()
        .rposition(|(_, h)| *h == Header::Other)
        .map_or(0, |i| i + 1);
    let mut cuts = Vec::new();
    let mut documents = 0;
    for &(at, header) in &headers[run_start..] {
        if header == Header::Document {
            if documents % per_piece.max(1) == 0 {
                cuts.push(at);
            }
            documents += 1;
        } else if cuts.is_empty() {
            // A document's table before the run's first `[[document]]`: not cut.
            return Vec::new();
        }
    }
    cuts
}

/// The table headers of `src`, each with the start of its line, read with the TOML lexer (so that
/// brackets in strings, comments and multi-line values are not taken for headers).
fn headers(src: &str) -> Vec<(usize, Header)> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    let mut line_start = 0;
    // Brackets open in the current value: a newline inside them does not end the line.
    let mut depth = 0usize;
    for token in toml_parser::Source::new(src).lex() {
        match token.kind() {
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => depth += 1,
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => {
                depth = depth.saturating_sub(1)
            }
            _ => {}
        }
        let end = matches!(token.kind(), TokenKind::Newline | TokenKind::Eof) && depth == 0;
        if end {
            if let Some(header) = header(src, &line) {
                out.push((line_start, header));
            }
            line.clear();
            line_start = token.span().end();
        } else if !matches!(token.kind(), TokenKind::Whitespace | TokenKind::Comment) {
            line.push(token);
        }
    }
    out
}

/// What the line of `tokens` (whitespace and comments left out) opens, if it is a header.
fn header(src: &str, tokens: &[toml_parser::lexer::Token]) -> Option<Header> {
    let text = |t: &toml_parser::lexer::Token| &src[t.span().start()..t.span().end()];
    let kinds: Vec<TokenKind> = tokens.iter().map(|t| t.kind()).collect();
    use TokenKind::{Atom, Dot, LeftSquareBracket as L, RightSquareBracket as R};
    let (array, rest) = match kinds.as_slice() {
        [L, L, rest @ ..] => (true, rest),
        [L, rest @ ..] => (false, rest),
        _ => return None,
    };
    let key = &tokens[kinds.len() - rest.len()];
    let named_document = rest.first() == Some(&Atom) && text(key) == "document";
    Some(match rest {
        [Atom, R, R] if array && named_document => Header::Document,
        [Atom, Dot, ..] | [Atom, R, ..] if named_document => Header::InDocument,
        _ => Header::Other,
    })
}

#[cfg(test)]
mod tests;
