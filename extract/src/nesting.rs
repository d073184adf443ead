//! Bounding the nesting of markup before html5ever sees it, in one linear scan.
//!
//! html5ever's tree builder scans its stack of open elements for most start tags, so a page
//! nested N levels deep costs it time in N². This scan follows the stack as a simplified tree
//! builder would (implied end tags of `p`, `li`, table cells and `a`, end tags ignored beyond a
//! special element, raw text, comments, foreign content) and changes the markup only where an
//! element would open deeper than the cap: a start tag that carries the text's structure (a
//! paragraph, a heading, a list item, a cell) gets an end tag before it that closes the deepest
//! open element, so that it becomes that element's sibling, as browsers cap their trees; any
//! other start tag there is dropped, its content staying one level up. Markup that stays under
//! the cap is returned as it is.
//!
//! The model errs towards seeing the page deeper than html5ever will, never shallower for long,
//! so a hostile page cannot slip past the cap; what still lies deeper after parsing is flattened
//! by the caller.

pub(crate) mod kinds;

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use kinds::Kind;

/// The names the scan asks about by name, at fixed small numbers (spares a look-up per tag).
const FIXED: [&str; 9] = ["table", "p", "li", "dd", "dt", "td", "th", "tr", "option"];
const TABLE: usize = 0;
const P: usize = 1;
const LI: usize = 2;
const DD: usize = 3;
const DT: usize = 4;
const TD: usize = 5;
const TH: usize = 6;
const TR: usize = 7;
const OPTION: usize = 8;

/// Tag names seen so far, each with its [`Kind`], by small number.
struct Names {
    ids: FxHashMap<String, usize>,
    names: Vec<String>,
    kinds: Vec<Kind>,
}

impl Default for Names {
    fn default() -> Self {
        let mut names = Self {
            ids: FxHashMap::default(),
            names: Vec::new(),
            kinds: Vec::new(),
        };
        for name in FIXED {
            names.id(name);
        }
        names
    }
}

impl Names {
    fn id(&mut self, name: &str) -> usize {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len();
        self.ids.insert(name.to_owned(), id);
        self.names.push(name.to_owned());
        self.kinds.push(Kind::of(name));
        id
    }

    fn name(&self, id: usize) -> &str {
        &self.names[id]
    }

    fn kind(&self, id: usize) -> Kind {
        self.kinds[id]
    }
}

/// The stack of open elements as the simplified tree builder sees it.
#[derive(Default)]
struct OpenElements {
    names: Names,
    stack: Vec<usize>,
    /// How many elements of each name are open, so that most look-ups need no scan.
    counts: Vec<usize>,
    /// Open `svg`/`math`: inside them `<x/>` closes itself and HTML's implied end tags do not
    /// apply.
    foreign: usize,
}

impl OpenElements {
    fn depth(&self) -> usize {
        self.stack.len()
    }

    fn is_open(&self, id: usize) -> bool {
        self.counts.get(id).is_some_and(|&n| n > 0)
    }

    /// `id` (one of the [`FIXED`] names) when such an element is open.
    fn open_fixed(&self, id: usize) -> Option<usize> {
        self.is_open(id).then_some(id)
    }

    fn push(&mut self, id: usize) {
        if self.counts.len() <= id {
            self.counts.resize(id + 1, 0);
        }
        self.counts[id] += 1;
        if self.names.kind(id).foreign_root {
            self.foreign += 1;
        }
        self.stack.push(id);
    }

    fn truncate(&mut self, len: usize) {
        while self.stack.len() > len {
            if let Some(id) = self.stack.pop() {
                self.counts[id] -= 1;
                if self.names.kind(id).foreign_root {
                    self.foreign -= 1;
                }
            }
        }
    }

    /// The index of the topmost element for which `is` holds, unless one for which `stop`
    /// holds lies above it. The scan is bounded: the stack never holds more than the cap.
    fn find(
        &self,
        is: impl Fn(usize) -> bool,
        stop: impl Fn(usize, Kind, &str) -> bool,
    ) -> Option<usize> {
        for (i, &id) in self.stack.iter().enumerate().rev() {
            if is(id) {
                return Some(i);
            }
            if stop(id, self.names.kind(id), self.names.name(id)) {
                return None;
            }
        }
        None
    }

    /// What a start tag does to the stack: `None` when the tree builder ignores it, else the
    /// length the stack is cut to (its implied end tags) before the element is pushed.
    fn start(&mut self, id: usize) -> Option<usize> {
        let len = self.depth();
        if self.foreign > 0 {
            return Some(len);
        }
        let kind = self.names.kind(id);
        let table = self.open_fixed(TABLE);
        if kind.table_part && table.is_none() {
            return None;
        }
        let name = self.names.name(id);
        if name == "form" && self.is_open(id) {
            return None;
        }
        let mut cut = len;
        if kind.closes_p {
            if let Some(p) = self.open_fixed(P) {
                if let Some(i) = self.find(|x| x == p, |_, k, n| k.button_scope(n)) {
                    cut = i;
                }
            }
        }
        let table_scope = |_: usize, _: Kind, n: &str| matches!(n, "table" | "html" | "template");
        let same = match self.names.name(id) {
            "li" => self
                .open_fixed(LI)
                .and_then(|li| self.find(|x| x == li, |_, k, n| k.list_item_barrier(n))),
            "dd" | "dt" => {
                let (dd, dt) = (DD, DT);
                (self.is_open(dd) || self.is_open(dt))
                    .then(|| self.find(|x| x == dd || x == dt, |_, k, n| k.list_item_barrier(n)))
                    .flatten()
            }
            "td" | "th" => {
                let (td, th) = (TD, TH);
                self.find(|x| x == td || x == th, table_scope)
            }
            "tr" => self
                .open_fixed(TR)
                .and_then(|tr| self.find(|x| x == tr, table_scope)),
            "tbody" | "thead" | "tfoot" | "caption" | "colgroup" => table
                .and_then(|t| self.find(|x| x == t, |_, _, n| matches!(n, "html" | "template")))
                .map(|i| i + 1),
            "option" | "optgroup" => {
                let option = OPTION;
                (self.stack.last() == Some(&option)).then(|| len - 1)
            }
            "a" | "nobr" => self
                .is_open(id)
                .then(|| self.find(|x| x == id, |_, k, _| k.special))
                .flatten(),
            "button" => self
                .is_open(id)
                .then(|| self.find(|x| x == id, |_, k, _| k.scope))
                .flatten(),
            _ if kind.heading => self
                .stack
                .last()
                .is_some_and(|&top| self.names.kind(top).heading)
                .then(|| len - 1),
            _ => None,
        };
        Some(same.map_or(cut, |i| cut.min(i)))
    }

    /// What an end tag does: the length the stack is cut to, or `None` when the tree builder
    /// ignores it.
    fn end(&self, id: usize) -> Option<usize> {
        if !self.is_open(id) {
            return None;
        }
        let kind = self.names.kind(id);
        if kind.scoped_end || self.foreign > 0 {
            return self.find(|x| x == id, |_, k, _| k.scope);
        }
        if kind.table_part || self.names.name(id) == "table" {
            return self.find(|x| x == id, |_, _, n| matches!(n, "html" | "template"));
        }
        // Formatting elements and any other: closed unless a special element lies above.
        self.find(|x| x == id, |_, k, _| k.special)
    }

    /// For a start tag that would open an element at level `max`: when it carries the text's
    /// structure, closes the deepest open element so that this one can take its place, and
    /// returns the closed element's name and the length of the stack before the push. `None`
    /// (and nothing closed) when the tag is better dropped.
    fn close_for_sibling(&mut self, id: usize, max: usize) -> Option<(String, usize)> {
        let &top = self.stack.last()?;
        let top_kind = self.names.kind(top);
        let closable = self.names.kind(id).structural
            && top_kind.plain
            && !top_kind.raw_text
            && self.end(top) == Some(self.depth() - 1);
        if !closable {
            return None;
        }
        self.truncate(self.depth() - 1);
        match self.start(id) {
            Some(len) if len < max => Some((self.names.name(top).to_owned(), len)),
            _ => {
                self.push(top);
                None
            }
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// The end of a tag's attributes: the index just past its `>`, and whether it ends in `/>`.
/// `None` when the markup ends inside the tag.
fn tag_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    loop {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        match b.get(i)? {
            b'>' => return Some((i + 1, false)),
            b'/' => {
                if b.get(i + 1) == Some(&b'>') {
                    return Some((i + 2, true));
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        // An attribute name (its first character may be `=`), then maybe `= value`.
        i += 1;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        match b.get(i)? {
            q @ (b'"' | b'\'') => {
                let close = b[i + 1..].iter().position(|c| c == q)?;
                i += close + 2;
            }
            _ => {
                while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                    i += 1;
                }
            }
        }
    }
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|p| p + from)
}

/// The index just past the end tag that closes a raw-text element `name` whose content starts
/// at `from` (the end of the markup if there is none).
fn raw_text_end(b: &[u8], from: usize, name: &str) -> usize {
    let mut i = from;
    while let Some(lt) = find(b, i, b"</") {
        let after = lt + 2;
        let tail = &b[after..];
        if tail.len() >= name.len()
            && tail[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && tail
                .get(name.len())
                .is_none_or(|&c| is_space(c) || matches!(c, b'/' | b'>'))
        {
            return tag_end(b, after + name.len()).map_or(b.len(), |(end, _)| end);
        }
        i = after;
    }
    b.len()
}

/// The end of a comment, doctype, CDATA section or processing instruction starting at `i` (just
/// past its `<`).
fn markup_declaration_end(b: &[u8], i: usize, foreign: bool) -> usize {
    if b[i..].starts_with(b"!--") {
        // `<!-->` and `<!--->` are empty comments.
        if b[i + 3..].starts_with(b">") {
            return i + 4;
        }
        if b[i + 3..].starts_with(b"->") {
            return i + 5;
        }
        return find(b, i + 3, b"-->").map_or(b.len(), |e| e + 3);
    }
    if foreign && b[i..].starts_with(b"![CDATA[") {
        return find(b, i, b"]]>").map_or(b.len(), |e| e + 3);
    }
    find(b, i, b">").map_or(b.len(), |e| e + 1)
}

/// The markup with no element nested deeper than `max` levels (the document node being level 0),
/// as the module documentation describes. Borrowed, unchanged, when nothing is that deep.
pub(crate) fn bound_nesting(html: &str, max: usize) -> Cow<'_, str> {
    let b = html.as_bytes();
    // html, head and body are implied and never nest: they take the first levels.
    let max = max.saturating_sub(3);
    let mut open = OpenElements::default();
    let mut out: Option<String> = None;
    let mut copied = 0usize;
    let mut i = 0usize;
    let mut name = String::new();
    while let Some(lt) = b
        .get(i..)
        .and_then(|rest| memchr::memchr(b'<', rest))
        .map(|p| p + i)
    {
        i = lt + 1;
        let Some(&next) = b.get(i) else { break };
        if next == b'!' || next == b'?' {
            i = markup_declaration_end(b, i, open.foreign > 0);
            continue;
        }
        let end_tag = next == b'/';
        let name_start = if end_tag { i + 1 } else { i };
        if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            if end_tag {
                // `</>` is dropped by the tokenizer, `</ x>` is a comment: no element either way.
                i = find(b, i, b">").map_or(b.len(), |e| e + 1);
            }
            continue;
        }
        let mut name_end = name_start;
        while name_end < b.len() && !is_space(b[name_end]) && !matches!(b[name_end], b'/' | b'>') {
            name_end += 1;
        }
        name.clear();
        name.extend(
            html[name_start..name_end]
                .chars()
                .map(|c| c.to_ascii_lowercase()),
        );
        let Some((after, self_closing)) = tag_end(b, name_end) else {
            // The markup ends inside a tag: the tokenizer drops it.
            break;
        };
        i = after;
        let id = open.names.id(&name);
        let kind = open.names.kind(id);
        if end_tag {
            if let Some(len) = open.end(id) {
                open.truncate(len);
            }
            continue;
        }
        if matches!(name.as_str(), "html" | "head" | "body") || kind.void {
            continue;
        }
        if kind.raw_text && open.foreign == 0 {
            i = raw_text_end(b, after, &name);
            continue;
        }
        if name == "plaintext" {
            break;
        }
        if self_closing && (open.foreign > 0 || kind.foreign_root) {
            continue;
        }
        let Some(mut len) = open.start(id) else {
            continue;
        };
        if len >= max {
            let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
            out.push_str(&html[copied..lt]);
            copied = lt;
            match open.close_for_sibling(id, max) {
                Some((top, l)) => {
                    out.push_str("</");
                    out.push_str(&top);
                    out.push('>');
                    len = l;
                }
                None => {
                    copied = after;
                    continue;
                }
            }
        }
        open.truncate(len);
        open.push(id);
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut out) => {
            out.push_str(&html[copied..]);
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests;
