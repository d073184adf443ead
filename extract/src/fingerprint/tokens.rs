//! The tokens the fingerprint's walk reads (those html5ever's tree builder sees, comments and
//! parse errors left out), and html5ever's tokenizer as their source. The byte tokenizer
//! (`byte_tokenizer.rs`) is the other source; both feed the same [`Tokens`].

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use super::{Namespace, Walk};

/// A doctype token's parts.
pub(super) struct Doctype<'a> {
    pub(super) name: Option<&'a str>,
    pub(super) public_id: Option<&'a str>,
    pub(super) system_id: Option<&'a str>,
    pub(super) force_quirks: bool,
}

/// What reads a page's tokens.
pub(super) trait Tokens {
    /// Text; one run of text may come in several pieces, never an empty one.
    fn text(&mut self, text: &str);
    /// A start tag (name and attribute names in lower case, duplicate attributes dropped after
    /// the first); returns how its content is tokenized when not as markup.
    fn start<'a, A>(&mut self, name: &str, self_closing: bool, attrs: A) -> Option<RawKind>
    where
        A: Iterator<Item = (&'a str, &'a str)> + Clone;
    fn end(&mut self, name: &str);
    fn doctype(&mut self, doctype: Doctype<'_>);
    /// The end of the page.
    fn eof(&mut self);
    /// Nothing more is needed: the tokenizer may stop.
    fn done(&self) -> bool;
    /// The tree builder's current node is SVG or MathML (where `<![CDATA[` is a section).
    fn in_foreign_content(&self) -> bool;
}

impl Tokens for Walk<'_> {
    fn text(&mut self, text: &str) {
        Walk::text(self, text);
    }

    fn start<'a, A>(&mut self, name: &str, self_closing: bool, attrs: A) -> Option<RawKind>
    where
        A: Iterator<Item = (&'a str, &'a str)> + Clone,
    {
        Walk::start(self, name, self_closing, attrs)
    }

    fn end(&mut self, name: &str) {
        Walk::end(self, name);
    }

    fn doctype(&mut self, d: Doctype<'_>) {
        self.end_run();
        self.put(b"D");
        for part in [d.name, d.public_id, d.system_id] {
            self.put(&[u8::from(part.is_some())]);
            self.put(part.unwrap_or_default().as_bytes());
        }
        self.put(&[u8::from(d.force_quirks)]);
    }

    fn eof(&mut self) {
        self.end_run();
    }

    fn done(&self) -> bool {
        self.unsure
    }

    fn in_foreign_content(&self) -> bool {
        self.stack.last().is_some_and(|f| f.ns != Namespace::Html)
    }
}

/// How the content of an HTML element `name` is tokenized, when not as markup (the tree builder's
/// switches, with scripting on).
pub(super) fn raw_kind(name: &str) -> Option<RawKind> {
    match name {
        "title" | "textarea" => Some(RawKind::Rcdata),
        "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => Some(RawKind::Rawtext),
        "script" => Some(RawKind::ScriptData),
        _ => None,
    }
}

/// Feeds `html` through html5ever's tokenizer to `out`.
pub(super) fn html5ever<T: Tokens>(html: &str, out: &mut T) {
    let tokenizer = Tokenizer::new(
        Sink {
            out: RefCell::new(out),
        },
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    if tokenizer.sink.out.borrow().done() {
        return;
    }
    tokenizer.end();
}

struct Sink<'o, T> {
    out: RefCell<&'o mut T>,
}

impl<T: Tokens> TokenSink for Sink<'_, T> {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut out = self.out.borrow_mut();
        if out.done() {
            // Pauses the tokenizer at the next tag (the only tokens it may pause at): the rest of
            // the page is not needed.
            return match token {
                Token::TagToken(_) => TokenSinkResult::Script(()),
                _ => TokenSinkResult::Continue,
            };
        }
        match token {
            Token::CharacterTokens(t) => out.text(&t),
            Token::NullCharacterToken => out.text("\0"),
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => {
                    let attrs = tag.attrs.iter().map(|a| (&*a.name.local, &*a.value));
                    if let Some(kind) = out.start(&tag.name, tag.self_closing, attrs) {
                        return TokenSinkResult::RawData(kind);
                    }
                }
                TagKind::EndTag => out.end(&tag.name),
            },
            Token::DoctypeToken(d) => out.doctype(Doctype {
                name: d.name.as_deref(),
                public_id: d.public_id.as_deref(),
                system_id: d.system_id.as_deref(),
                force_quirks: d.force_quirks,
            }),
            // Comments are never written, and split no text the extraction writes.
            Token::CommentToken(_) | Token::ParseError(_) => {}
            Token::EOFToken => out.eof(),
        }
        TokenSinkResult::Continue
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.out.borrow().in_foreign_content()
    }
}
