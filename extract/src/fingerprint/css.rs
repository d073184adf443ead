//! The subset of CSS selectors the fingerprint can match on a stack of open elements (no DOM):
//! type, `#id`, `.class` and attribute selectors, joined by descendant and child combinators, in
//! selector lists. Anything else (pseudo-classes, sibling combinators, `*`, namespaces, escapes,
//! and the implied `html`, `head` and `body` elements) is refused, and the caller does not
//! fingerprint the document.
//!
//! Each selector is matched twice: [`Mode::Loose`] never misses an element scraper matches
//! (values compared without case), [`Mode::Strict`] never matches one scraper does not (values
//! compared with case, foreign elements never matched). Where both agree, scraper agrees too.

/// How values are compared (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Loose,
    Strict,
}

/// One element of the stack, as matching sees it.
pub(crate) trait Element {
    /// The tag name, lower case (as the tokenizer gives it).
    fn name(&self) -> &str;
    /// The value of attribute `name` (lower case), if the element has it.
    fn attr(&self, name: &str) -> Option<&str>;
    /// Inside `svg` or `math`.
    fn foreign(&self) -> bool;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Exists,
    Equals,
    Includes,
    Dash,
    Prefix,
    Suffix,
    Substring,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AttrTest {
    name: String,
    op: Op,
    value: String,
}

/// A compound selector: every test must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Compound {
    tag: Option<String>,
    tests: Vec<AttrTest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Combinator {
    Descendant,
    Child,
}

/// A complex selector, rightmost compound last; `links[i]` joins `parts[i]` to `parts[i + 1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Complex {
    parts: Vec<Compound>,
    links: Vec<Combinator>,
}

/// A selector list (`a, b`): matches what any of its selectors matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SelectorList(Vec<Complex>);

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || !c.is_ascii()
}

struct Parser<'a> {
    rest: &'a str,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.rest = &self.rest[c.len_utf8()..];
        Some(c)
    }

    fn skip_ws(&mut self) -> bool {
        let trimmed = self
            .rest
            .trim_start_matches([' ', '\t', '\n', '\r', '\x0c']);
        let skipped = trimmed.len() != self.rest.len();
        self.rest = trimmed;
        skipped
    }

    fn ident(&mut self) -> Option<&'a str> {
        let end = self
            .rest
            .char_indices()
            .find(|&(_, c)| !is_name_char(c))
            .map_or(self.rest.len(), |(i, _)| i);
        let (name, rest) = self.rest.split_at(end);
        // An identifier cannot start with a digit (nor `-` then a digit).
        let first = name.trim_start_matches('-').chars().next();
        if name.is_empty() || first.is_none_or(|c| c.is_ascii_digit()) {
            return None;
        }
        self.rest = rest;
        Some(name)
    }

    fn value(&mut self) -> Option<String> {
        match self.peek()? {
            q @ ('"' | '\'') => {
                self.bump();
                let end = self.rest.find(q)?;
                let v = &self.rest[..end];
                if v.contains(['\\', '\n']) {
                    return None;
                }
                self.rest = &self.rest[end + 1..];
                Some(v.to_owned())
            }
            _ => self.ident().map(str::to_owned),
        }
    }

    fn attr(&mut self) -> Option<AttrTest> {
        self.skip_ws();
        let name = self.ident()?.to_ascii_lowercase();
        self.skip_ws();
        let op = match self.bump()? {
            ']' => {
                return Some(AttrTest {
                    name,
                    op: Op::Exists,
                    value: String::new(),
                })
            }
            '=' => Op::Equals,
            c => {
                let op = match c {
                    '~' => Op::Includes,
                    '|' => Op::Dash,
                    '^' => Op::Prefix,
                    '$' => Op::Suffix,
                    '*' => Op::Substring,
                    _ => return None,
                };
                (self.bump()? == '=').then_some(op)?
            }
        };
        self.skip_ws();
        let value = self.value()?;
        self.skip_ws();
        // Case flags (`i`, `s`) are refused: the two modes already bracket scraper's answer.
        (self.bump()? == ']').then_some(AttrTest { name, op, value })
    }

    fn compound(&mut self) -> Option<Compound> {
        let mut c = Compound::default();
        if self.peek().is_some_and(is_name_char) {
            let tag = self.ident()?.to_ascii_lowercase();
            // Implied by the parser when missing: their place in the tree is not the markup's.
            if matches!(tag.as_str(), "html" | "head" | "body") {
                return None;
            }
            c.tag = Some(tag);
        }
        loop {
            match self.peek() {
                Some('#') => {
                    self.bump();
                    let id = self.ident()?.to_owned();
                    c.tests.push(AttrTest {
                        name: "id".into(),
                        op: Op::Equals,
                        value: id,
                    });
                }
                Some('.') => {
                    self.bump();
                    let class = self.ident()?.to_owned();
                    c.tests.push(AttrTest {
                        name: "class".into(),
                        op: Op::Includes,
                        value: class,
                    });
                }
                Some('[') => {
                    self.bump();
                    let test = self.attr()?;
                    // Links are made absolute before the rules run: the markup's value is not
                    // the one scraper sees.
                    if matches!(test.name.as_str(), "href" | "src") {
                        return None;
                    }
                    c.tests.push(test);
                }
                _ => break,
            }
        }
        (c.tag.is_some() || !c.tests.is_empty()).then_some(c)
    }

    fn complex(&mut self) -> Option<Complex> {
        self.skip_ws();
        let mut parts = vec![self.compound()?];
        let mut links = vec![];
        loop {
            let ws = self.skip_ws();
            match self.peek() {
                None | Some(',') => break,
                Some('>') => {
                    self.bump();
                    self.skip_ws();
                    links.push(Combinator::Child);
                }
                Some(_) if ws => links.push(Combinator::Descendant),
                Some(_) => return None,
            }
            parts.push(self.compound()?);
        }
        Some(Complex { parts, links })
    }
}

impl SelectorList {
    /// Parses `css`, or `None` when it leaves the supported subset.
    pub(crate) fn parse(css: &str) -> Option<Self> {
        let mut p = Parser { rest: css };
        let mut list = vec![p.complex()?];
        while p.bump() == Some(',') {
            list.push(p.complex()?);
        }
        p.rest.is_empty().then_some(Self(list))
    }

    /// The attribute names the list looks at.
    pub(crate) fn attributes(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .flat_map(|c| &c.parts)
            .flat_map(|p| &p.tests)
            .map(|t| t.name.as_str())
    }

    /// Whether the last element of `stack` (its ancestors before it) matches.
    pub(crate) fn matches<E: Element>(&self, stack: &[E], mode: Mode) -> bool {
        self.0.iter().any(|c| c.matches(stack, mode))
    }
}

impl Complex {
    fn matches<E: Element>(&self, stack: &[E], mode: Mode) -> bool {
        let last = self.parts.len() - 1;
        match stack.split_last() {
            Some((el, ancestors)) => {
                self.parts[last].matches(el, mode) && self.rest_match(last, ancestors, mode)
            }
            None => false,
        }
    }

    /// Whether `parts[..part]` match among `ancestors`, as `links[part - 1]` requires.
    fn rest_match<E: Element>(&self, part: usize, ancestors: &[E], mode: Mode) -> bool {
        if part == 0 {
            return true;
        }
        let compound = &self.parts[part - 1];
        match self.links[part - 1] {
            Combinator::Child => match ancestors.split_last() {
                Some((parent, above)) => {
                    compound.matches(parent, mode) && self.rest_match(part - 1, above, mode)
                }
                None => false,
            },
            Combinator::Descendant => (0..ancestors.len()).rev().any(|i| {
                compound.matches(&ancestors[i], mode)
                    && self.rest_match(part - 1, &ancestors[..i], mode)
            }),
        }
    }
}

impl Compound {
    fn matches<E: Element>(&self, el: &E, mode: Mode) -> bool {
        if mode == Mode::Strict && el.foreign() {
            return false;
        }
        if let Some(tag) = &self.tag {
            if !el.name().eq_ignore_ascii_case(tag) {
                return false;
            }
        }
        self.tests.iter().all(|t| t.matches(el, mode))
    }
}

impl AttrTest {
    fn matches<E: Element>(&self, el: &E, mode: Mode) -> bool {
        let Some(have) = el.attr(&self.name) else {
            return false;
        };
        let (have, want) = (have.as_bytes(), self.value.as_bytes());
        let eq = |a: &[u8], b: &[u8]| match mode {
            Mode::Strict => a == b,
            Mode::Loose => a.eq_ignore_ascii_case(b),
        };
        let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
        let n = want.len();
        match self.op {
            Op::Exists => true,
            Op::Equals => eq(have, want),
            Op::Includes => n > 0 && !want.iter().any(ws) && have.split(ws).any(|w| eq(w, want)),
            Op::Dash => {
                eq(have, want) || (have.len() > n && have[n] == b'-' && eq(&have[..n], want))
            }
            Op::Prefix => n > 0 && have.len() >= n && eq(&have[..n], want),
            Op::Suffix => n > 0 && have.len() >= n && eq(&have[have.len() - n..], want),
            Op::Substring => n > 0 && have.windows(n).any(|w| eq(w, want)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct El(&'static str, Vec<(&'static str, &'static str)>, bool);

    impl Element for El {
        fn name(&self) -> &str {
            self.0
        }
        fn attr(&self, name: &str) -> Option<&str> {
            self.1.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
        }
        fn foreign(&self) -> bool {
            self.2
        }
    }

    #[test]
    fn the_subset_parses_and_the_rest_is_refused() {
        for css in [
            "main",
            ".ad",
            "#content",
            "main .ad, footer",
            "div > p.note",
            "[role=main]",
            "[data-x~='a'] section",
            "article#t.policy[lang|=\"en\"]",
        ] {
            assert!(SelectorList::parse(css).is_some(), "{css}");
        }
        for css in [
            "",
            "p:first-child",
            "h2 + p",
            "h2 ~ p",
            "*",
            "body main",
            "html > body",
            "svg|a",
            "a[href^='https']",
            "img[src]",
            "[a=b i]",
            ".a\\:b",
            "p,",
            "1a",
        ] {
            assert!(SelectorList::parse(css).is_none(), "{css}");
        }
    }

    #[test]
    fn matching_follows_the_stack_in_both_modes() {
        let stack = [
            El("main", vec![("class", "Policy wide")], false),
            El("div", vec![("id", "x")], false),
            El("p", vec![("class", "note")], false),
        ];
        // (selector, loose, strict)
        let cases = [
            ("p", true, true),
            ("main p", true, true),
            ("main > p", false, false),
            ("div > p", true, true),
            ("#x > .note", true, true),
            (".policy p", true, false),
            (".Policy p", true, true),
            ("[class~=wide] p", true, true),
            ("section p", false, false),
            ("main div p.note", true, true),
            ("div main p", false, false),
        ];
        for (css, loose, strict) in cases {
            let s = SelectorList::parse(css).expect("supported");
            assert_eq!(s.matches(&stack, Mode::Loose), loose, "{css} loose");
            assert_eq!(s.matches(&stack, Mode::Strict), strict, "{css} strict");
        }
        let foreign = [El("svg", vec![("class", "icon")], true)];
        let s = SelectorList::parse(".icon").expect("supported");
        assert!(s.matches(&foreign, Mode::Loose));
        assert!(!s.matches(&foreign, Mode::Strict));
    }
}
