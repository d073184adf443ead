//! A byte-level tokenizer for the fingerprint: the tokens html5ever's tokenizer gives, for the
//! plain markup real pages are made of, found with `memchr` instead of html5ever's state machine
//! of one character at a time (which was most of a no-change check's CPU). On anything whose
//! reading it is not sure of, it gives up ([`GaveUp`]) before the reader saw a token of it, and
//! the caller tokenizes the page with html5ever: a NUL, `<!` other than a comment or a bare
//! `<!DOCTYPE name>`, `<?`, `</` not followed by a letter, an end tag with more than its name,
//! attributes written the ways html5ever reports as errors, a character reference it cannot
//! resolve exactly (a legacy one without `;`, a numeric one out of range or without `;`), `<!--`
//! inside a script, and the page ending inside a tag, comment or raw text.
//!
//! `tests.rs` checks it against html5ever, token for token.

use std::borrow::Cow;

use html5ever::data::NAMED_ENTITIES;
use html5ever::tokenizer::states::RawKind;
use memchr::{memchr, memchr2, memmem};

use super::tokens::{Doctype, Tokens};

/// The page holds markup the byte tokenizer does not read for sure.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct GaveUp;

/// Feeds the tokens of `html` to `out`, as html5ever's tokenizer would, until `out` is done or
/// the page ends.
pub(super) fn tokenize<T: Tokens>(html: &str, out: &mut T) -> Result<(), GaveUp> {
    if memchr(0, html.as_bytes()).is_some() {
        return Err(GaveUp);
    }
    // html5ever reads CR LF and lone CR as LF.
    let normalized;
    let html = if memchr(b'\r', html.as_bytes()).is_some() {
        normalized = html.replace("\r\n", "\n").replace('\r', "\n");
        &normalized
    } else {
        html
    };
    // A leading byte order mark is dropped (html5ever's `discard_bom`).
    let html = html.strip_prefix('\u{feff}').unwrap_or(html);
    Scanner {
        html,
        b: html.as_bytes(),
        attrs: Vec::new(),
    }
    .run(out)
}

struct Scanner<'h> {
    html: &'h str,
    b: &'h [u8],
    /// The current start tag's attributes (kept to spare an allocation per tag).
    attrs: Vec<(Cow<'h, str>, Cow<'h, str>)>,
}

/// What a `&` starts.
enum CharRef {
    /// No reference: the text up to this offset is kept as it is.
    Literal(usize),
    /// The characters it stands for, and the offset after it.
    Chars(char, Option<char>, usize),
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b' ')
}

/// `s` in ASCII lower case (html5ever's tag and attribute names).
fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

impl<'h> Scanner<'h> {
    fn run<T: Tokens>(mut self, out: &mut T) -> Result<(), GaveUp> {
        let mut pos = 0;
        while pos < self.b.len() {
            if out.done() {
                return Ok(());
            }
            let Some(i) = memchr2(b'<', b'&', &self.b[pos..]) else {
                out.text(&self.html[pos..]);
                break;
            };
            if i > 0 {
                out.text(&self.html[pos..pos + i]);
            }
            pos += i;
            pos = if self.b[pos] == b'&' {
                self.char_ref_text(pos, out)?
            } else {
                self.markup(pos, out)?
            };
        }
        if !out.done() {
            out.eof();
        }
        Ok(())
    }

    /// At `&` in text: writes what it stands for, returns the offset after it.
    fn char_ref_text<T: Tokens>(&self, at: usize, out: &mut T) -> Result<usize, GaveUp> {
        Ok(match self.char_ref(at)? {
            CharRef::Literal(end) => {
                out.text(&self.html[at..end]);
                end
            }
            CharRef::Chars(c1, c2, end) => {
                let mut buf = [0u8; 8];
                let n = c1.encode_utf8(&mut buf).len();
                let n = n + c2.map_or(0, |c| c.encode_utf8(&mut buf[n..]).len());
                out.text(std::str::from_utf8(&buf[..n]).map_err(|_| GaveUp)?);
                end
            }
        })
    }

    /// Reads the character reference at `at` (a `&`) as html5ever does, where it is sure to.
    fn char_ref(&self, at: usize) -> Result<CharRef, GaveUp> {
        let start = at + 1;
        match self.b.get(start) {
            Some(b'#') => self.numeric_ref(start + 1),
            Some(c) if c.is_ascii_alphanumeric() => self.named_ref(start),
            // `&` before anything else is a plain ampersand.
            _ => Ok(CharRef::Literal(start)),
        }
    }

    fn named_ref(&self, start: usize) -> Result<CharRef, GaveUp> {
        let len = self.b[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let end = start + len;
        let name = &self.html[start..end];
        if self.b.get(end) == Some(&b';') {
            // Every prefix of an entity's name is in the table too, so html5ever's longest
            // match reaches `name;` when that is an entity.
            if let Some(&(c1, c2)) = NAMED_ENTITIES.get(&self.html[start..=end]) {
                if c1 != 0 {
                    let c1 = char::from_u32(c1).ok_or(GaveUp)?;
                    let c2 = match c2 {
                        0 => None,
                        c => Some(char::from_u32(c).ok_or(GaveUp)?),
                    };
                    return Ok(CharRef::Chars(c1, c2, end + 1));
                }
            }
        }
        // A legacy reference without `;` (`&copy2024`) is read differently in text and in
        // attributes: not followed here.
        let legacy =
            (1..=len.min(32)).any(|k| NAMED_ENTITIES.get(&name[..k]).is_some_and(|m| m.0 != 0));
        if legacy {
            return Err(GaveUp);
        }
        Ok(CharRef::Literal(end))
    }

    fn numeric_ref(&self, start: usize) -> Result<CharRef, GaveUp> {
        let (digits_at, radix) = match self.b.get(start) {
            Some(b'x' | b'X') => (start + 1, 16),
            _ => (start, 10),
        };
        let len = self.b[digits_at..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || (radix == 16 && c.is_ascii_hexdigit()))
            .count();
        let end = digits_at + len;
        if len == 0 || len > 7 || self.b.get(end) != Some(&b';') {
            return Err(GaveUp);
        }
        let n = u32::from_str_radix(&self.html[digits_at..end], radix).map_err(|_| GaveUp)?;
        // The values html5ever replaces or reports (it keeps some, but not all, as they are).
        let odd = matches!(n, 0 | 0x01..=0x08 | 0x0B | 0x0D..=0x1F | 0x7F..=0x9F)
            || matches!(n, 0xD800..=0xDFFF | 0xFDD0..=0xFDEF)
            || n > 0x10FFFF
            || n & 0xFFFE == 0xFFFE;
        if odd {
            return Err(GaveUp);
        }
        let c = char::from_u32(n).ok_or(GaveUp)?;
        Ok(CharRef::Chars(c, None, end + 1))
    }

    /// At `<`: reads the tag, comment or doctype, returns the offset after it.
    fn markup<T: Tokens>(&mut self, at: usize, out: &mut T) -> Result<usize, GaveUp> {
        let next = at + 1;
        match self.b.get(next) {
            Some(c) if c.is_ascii_alphabetic() => self.start_tag(next, out),
            Some(b'/') => self.end_tag(next + 1, out),
            Some(b'!') => self.declaration(next + 1, out),
            Some(b'?') | None => Err(GaveUp),
            // `<` before anything else is text.
            Some(_) => {
                out.text("<");
                Ok(next)
            }
        }
    }

    /// The end of a tag or attribute name starting at `from`.
    fn name_end(&self, from: usize, stops: &[u8]) -> usize {
        self.b[from..]
            .iter()
            .position(|&c| is_space(c) || stops.contains(&c))
            .map_or(self.b.len(), |i| from + i)
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.b.get(i).is_some_and(|&c| is_space(c)) {
            i += 1;
        }
        i
    }

    fn start_tag<T: Tokens>(&mut self, from: usize, out: &mut T) -> Result<usize, GaveUp> {
        let name_end = self.name_end(from, b"/>");
        let name = lower(&self.html[from..name_end]);
        let mut attrs = std::mem::take(&mut self.attrs);
        attrs.clear();
        let mut i = name_end;
        let mut self_closing = false;
        loop {
            i = self.skip_spaces(i);
            match self.b.get(i) {
                None | Some(b'=') => return Err(GaveUp),
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(b'/') => {
                    if self.b.get(i + 1) == Some(&b'>') {
                        self_closing = true;
                        i += 2;
                        break;
                    }
                    // A stray `/` is skipped.
                    i += 1;
                }
                Some(_) => {
                    let (attr, after) = self.attribute(i)?;
                    // html5ever keeps the first of duplicate attributes.
                    if !attrs.iter().any(|(n, _)| *n == attr.0) {
                        attrs.push(attr);
                    }
                    i = after;
                }
            }
        }
        let raw = out.start(&name, self_closing, attrs.iter().map(|(n, v)| (&**n, &**v)));
        self.attrs = attrs;
        match raw {
            Some(kind) if !out.done() => self.raw_text(i, &name, kind, out),
            _ => Ok(i),
        }
    }

    /// One attribute from its name's first byte; returns it and the offset after it.
    #[allow(clippy::type_complexity)]
    fn attribute(&self, from: usize) -> Result<((Cow<'h, str>, Cow<'h, str>), usize), GaveUp> {
        let name_end = self.name_end(from, b"/>=");
        let name = &self.html[from..name_end];
        if name.bytes().any(|c| matches!(c, b'"' | b'\'' | b'<')) {
            return Err(GaveUp);
        }
        let name = lower(name);
        let mut i = self.skip_spaces(name_end);
        if self.b.get(i) != Some(&b'=') {
            return Ok(((name, Cow::Borrowed("")), i));
        }
        i = self.skip_spaces(i + 1);
        match self.b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let from = i + 1;
                let len = memchr(q, &self.b[from..]).ok_or(GaveUp)?;
                let value = self.value(from, from + len)?;
                let after = from + len + 1;
                // After a quoted value, html5ever reads on from a space, `/` or `>` only.
                match self.b.get(after) {
                    Some(&c) if is_space(c) || c == b'/' || c == b'>' => Ok(((name, value), after)),
                    _ => Err(GaveUp),
                }
            }
            None | Some(b'>') => Err(GaveUp),
            Some(_) => {
                let end = self.name_end(i, b">");
                if self.b[i..end]
                    .iter()
                    .any(|c| matches!(c, b'"' | b'\'' | b'<' | b'=' | b'`'))
                {
                    return Err(GaveUp);
                }
                Ok(((name, self.value(i, end)?), end))
            }
        }
    }

    /// An attribute value, its character references resolved as in an attribute.
    fn value(&self, from: usize, to: usize) -> Result<Cow<'h, str>, GaveUp> {
        if memchr(b'&', &self.b[from..to]).is_none() {
            return Ok(Cow::Borrowed(&self.html[from..to]));
        }
        self.resolved(from, to).map(Cow::Owned)
    }

    /// `from..to` with its character references resolved.
    fn resolved(&self, from: usize, to: usize) -> Result<String, GaveUp> {
        let mut s = String::with_capacity(to - from);
        let mut i = from;
        while let Some(k) = memchr(b'&', &self.b[i..to]) {
            s.push_str(&self.html[i..i + k]);
            i = match self.char_ref(i + k)? {
                CharRef::Literal(end) => {
                    s.push_str(&self.html[i + k..end]);
                    end
                }
                CharRef::Chars(c1, c2, end) => {
                    s.push(c1);
                    s.extend(c2);
                    end
                }
            };
            if i > to {
                return Err(GaveUp);
            }
        }
        s.push_str(&self.html[i..to]);
        Ok(s)
    }

    /// The content of a `title`, `textarea`, `style`, `script`... up to its end tag.
    fn raw_text<T: Tokens>(
        &mut self,
        from: usize,
        name: &str,
        kind: RawKind,
        out: &mut T,
    ) -> Result<usize, GaveUp> {
        let mut i = from;
        let end_tag = loop {
            let k = memmem::find(&self.b[i..], b"</").ok_or(GaveUp)?;
            let at = i + k;
            let name_at = at + 2;
            let name_end = name_at + name.len();
            let same_name = self
                .b
                .get(name_at..name_end)
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()));
            match self.b.get(name_end) {
                Some(b'>') if same_name => break at,
                // An end tag with more than its name.
                Some(&c) if same_name && (is_space(c) || c == b'/') => return Err(GaveUp),
                None if same_name => return Err(GaveUp),
                _ => i = name_at,
            }
        };
        let content = &self.html[from..end_tag];
        match kind {
            RawKind::ScriptData if memmem::find(content.as_bytes(), b"<!--").is_some() => {
                // Script data escapes: html5ever's states for them are not followed here.
                return Err(GaveUp);
            }
            RawKind::ScriptData | RawKind::Rawtext => {
                if !content.is_empty() {
                    out.text(content);
                }
            }
            RawKind::Rcdata => {
                if !content.is_empty() {
                    out.text(&self.resolved(from, end_tag)?);
                }
            }
            // Not asked for by the walk: html5ever's reading is not followed.
            RawKind::ScriptDataEscaped(_) => return Err(GaveUp),
        }
        out.end(name);
        Ok(end_tag + 2 + name.len() + 1)
    }

    fn end_tag<T: Tokens>(&mut self, from: usize, out: &mut T) -> Result<usize, GaveUp> {
        if !self.b.get(from).is_some_and(u8::is_ascii_alphabetic) {
            return Err(GaveUp);
        }
        let name_end = self.name_end(from, b"/>");
        if self.b.get(name_end) != Some(&b'>') {
            return Err(GaveUp);
        }
        out.end(&lower(&self.html[from..name_end]));
        Ok(name_end + 1)
    }

    /// After `<!`: a comment or a doctype.
    fn declaration<T: Tokens>(&mut self, from: usize, out: &mut T) -> Result<usize, GaveUp> {
        let rest = &self.b[from..];
        if let Some(body) = rest.strip_prefix(b"--") {
            let body_at = from + 2;
            // `<!-->` and `<!--->` are whole comments.
            if body.starts_with(b">") {
                return Ok(body_at + 1);
            }
            if body.starts_with(b"->") {
                return Ok(body_at + 2);
            }
            let close = memmem::find(body, b"-->");
            // A `--!>` closes it too when it comes first; searched only that far, so that a page
            // of many comments is not read once per comment.
            let bang_within = close.map_or(body.len(), |k| k + 3);
            let bang = memmem::find(&body[..bang_within], b"--!>");
            let (k, len) = match (close, bang) {
                (Some(c), Some(b)) if b < c => (b, 4),
                (Some(c), _) => (c, 3),
                (None, Some(b)) => (b, 4),
                (None, None) => return Err(GaveUp),
            };
            // Nested `<!--` has states of its own in html5ever.
            if memmem::find(&body[..k], b"<!-").is_some() {
                return Err(GaveUp);
            }
            return Ok(body_at + k + len);
        }
        if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"doctype") {
            return self.doctype(from + 7, out);
        }
        Err(GaveUp)
    }

    /// `<!DOCTYPE name>` (any case, spaces around the name); anything more gives up.
    fn doctype<T: Tokens>(&mut self, from: usize, out: &mut T) -> Result<usize, GaveUp> {
        if !self.b.get(from).is_some_and(|&c| is_space(c)) {
            return Err(GaveUp);
        }
        let name_at = self.skip_spaces(from);
        let name_end = self.name_end(name_at, b">");
        let close = self.skip_spaces(name_end);
        if name_end == name_at || self.b.get(close) != Some(&b'>') {
            return Err(GaveUp);
        }
        // Only ASCII is lowered; html5ever would not read other bytes here differently, but the
        // doctype names real pages use are ASCII.
        let name = &self.html[name_at..name_end];
        if !name.is_ascii() {
            return Err(GaveUp);
        }
        out.doctype(Doctype {
            name: Some(&name.to_ascii_lowercase()),
            public_id: None,
            system_id: None,
            force_quirks: false,
        });
        Ok(close + 1)
    }
}

#[cfg(test)]
mod tests;
