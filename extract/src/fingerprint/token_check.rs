//! The byte tokenizer's tokens beside html5ever's, for the same page: its tests and the corpus
//! replay (`fidelity`) use this to show that wherever it does not give up, it reads a page as
//! html5ever does.

use html5ever::tokenizer::states::RawKind;

use super::byte_tokenizer;
use super::tokens::{self, Doctype, Tokens};

/// One token as the walk reads it (text runs joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    Text(String),
    Start {
        name: String,
        self_closing: bool,
        attrs: Vec<(String, String)>,
    },
    End(String),
    Doctype(Option<String>, Option<String>, Option<String>, bool),
    Eof,
}

/// Records tokens, and switches to raw text where the walk would (for HTML elements).
#[derive(Default)]
pub(super) struct Log {
    pub(super) tokens: Vec<Token>,
}

impl Tokens for Log {
    fn text(&mut self, text: &str) {
        if let Some(Token::Text(t)) = self.tokens.last_mut() {
            t.push_str(text);
        } else {
            self.tokens.push(Token::Text(text.to_owned()));
        }
    }

    fn start<'a, A>(&mut self, name: &str, self_closing: bool, attrs: A) -> Option<RawKind>
    where
        A: Iterator<Item = (&'a str, &'a str)> + Clone,
    {
        self.tokens.push(Token::Start {
            name: name.to_owned(),
            self_closing,
            attrs: attrs.map(|(n, v)| (n.to_owned(), v.to_owned())).collect(),
        });
        tokens::raw_kind(name)
    }

    fn end(&mut self, name: &str) {
        self.tokens.push(Token::End(name.to_owned()));
    }

    fn doctype(&mut self, d: Doctype<'_>) {
        let own = |s: Option<&str>| s.map(str::to_owned);
        self.tokens.push(Token::Doctype(
            own(d.name),
            own(d.public_id),
            own(d.system_id),
            d.force_quirks,
        ));
    }

    fn eof(&mut self) {
        self.tokens.push(Token::Eof);
    }

    fn done(&self) -> bool {
        false
    }

    fn in_foreign_content(&self) -> bool {
        false
    }
}

/// html5ever's tokens of `html`, and the byte tokenizer's (`None` where it gave up).
pub(super) fn both(html: &str) -> (Vec<Token>, Option<Vec<Token>>) {
    let mut theirs = Log::default();
    tokens::html5ever(html, &mut theirs);
    let mut ours = Log::default();
    let ours = byte_tokenizer::tokenize(html, &mut ours)
        .ok()
        .map(|()| ours.tokens);
    (theirs.tokens, ours)
}

/// For the corpus replay: `None` when the byte tokenizer gave up on `html`, else whether its
/// tokens are html5ever's.
pub fn byte_tokenizer_agrees(html: &str) -> Option<bool> {
    let (theirs, ours) = both(html);
    ours.map(|ours| ours == theirs)
}
