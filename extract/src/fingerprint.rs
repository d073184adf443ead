//! A cheap fingerprint of the text a page's CSS `select` / `remove` rules extract, taken from the
//! page's tokens (no DOM, no Markdown): two pages with the same fingerprint give the same text, so
//! a fetch whose bytes changed only outside the policy region (nonces, tracking parameters, ads,
//! timestamps) need not be extracted.
//!
//! What is hashed: the structure of the whole page (every tag's name, which rules match it,
//! whether each run of text outside the region is blank), and, inside the region, the text and the
//! attributes the extraction keeps (link targets as the extraction writes them, after the same
//! clean-up). Scripts, comments, and the text and other attributes outside the region are not.
//!
//! The tokens are the ones html5ever's tree builder sees, with the same raw-text switches: read by
//! the byte tokenizer (`byte_tokenizer.rs`), or by html5ever's tokenizer where it gives up
//! (`tokens.rs`); the stack of open elements is followed as the markup writes it; wherever the
//! tree builder could build something else (implied end tags, misnesting, foster parenting in
//! tables, content after `</body>`, nesting near [`crate::MAX_DEPTH`], ...) there is no
//! fingerprint (`None`), and neither for rules outside the subset of [`css`] or ranges: the caller
//! extracts then.
//!
//! (Over 600 lines on purpose: the walk is one state machine whose tree-construction cases must
//! be read together; its element lists are in `tables.rs`, the selectors in `css.rs`, the tests
//! in `tests.rs`.)

mod byte_tokenizer;
mod css;
mod fields;
mod tables;
mod token_check;
mod tokens;

use std::fmt;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::LocalName;
use sha2::{Digest, Sha256};
use url::Url;

use crate::rule::{CompiledRule, RuleSpec};
use css::{Mode, SelectorList};
use fields::Fields;
pub use token_check::byte_tokenizer_agrees;
// Start tags that close an open `p`: the same list the nesting scan follows.
use crate::nesting::kinds::CLOSES_P;
use tables::{BREAKS_OUT, DROPPED, HEAD_CONTENT, KEPT_ATTRS, REFUSED, VOID};

/// Names the hashing scheme: a change to what is hashed must change it, so that no fingerprint
/// stored by an older build is ever compared with a newer one.
const SCHEME: &str = "termtrail-fingerprint/2";

/// Deeper than this the parse may be bounded (see [`crate::MAX_DEPTH`]); real pages stay far
/// below.
const MAX_STACK: usize = crate::MAX_DEPTH / 2;

/// What the extraction of a page is sure to give the same text for.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// A document's rules as the fingerprint matches them, compiled once per document.
#[derive(Debug, Clone)]
pub(crate) struct FingerprintRules {
    select: Vec<SelectorList>,
    remove: Vec<SelectorList>,
    /// The attributes the selectors look at: kept for every open element.
    attributes: Vec<String>,
    /// Hash of the scheme and the rules.
    id: [u8; 32],
}

impl FingerprintRules {
    /// The rules in the fingerprint's terms, or `None` when they leave its subset: zero-config
    /// extraction, ranges, selectors [`css`] does not support, more than 64 `select` rules.
    pub(crate) fn compile(select: &[CompiledRule], remove: &[CompiledRule]) -> Option<Self> {
        if select.is_empty() || select.len() > 64 {
            return None;
        }
        let css = |rules: &[CompiledRule]| -> Option<Vec<SelectorList>> {
            rules
                .iter()
                .map(|r| match r.spec() {
                    RuleSpec::Css(css) => SelectorList::parse(css),
                    RuleSpec::Range(_) => None,
                })
                .collect()
        };
        let (select_lists, remove_lists) = (css(select)?, css(remove)?);
        let mut attributes: Vec<String> = select_lists
            .iter()
            .chain(&remove_lists)
            .flat_map(|l| l.attributes().map(str::to_owned))
            .collect();
        attributes.sort();
        attributes.dedup();
        let mut h = Sha256::new();
        put(&mut h, SCHEME.as_bytes());
        for (list, rules) in [("select", select), ("remove", remove)] {
            put(&mut h, list.as_bytes());
            for r in rules {
                put(&mut h, format!("{:?}", r.spec()).as_bytes());
            }
        }
        Some(Self {
            select: select_lists,
            remove: remove_lists,
            attributes,
            id: h.finalize().into(),
        })
    }

    /// The fingerprint of `html` fetched from `base`, or `None` when the page's markup leaves
    /// the part of HTML where the fingerprint is sure (see the module documentation).
    pub(crate) fn fingerprint(&self, html: &str, base: &Url) -> Option<Fingerprint> {
        // The extraction parses the nesting scan's output (`nesting.rs`), which must then be the
        // page itself. It is, for every page the walk vouches for: the walk gives up at half the
        // scan's cap and wherever the tree builder would not open an element where the markup
        // does, and the scan's stack is never deeper than the walk's there
        // (`tests::pages_the_walk_vouches_for_are_never_cut_by_the_nesting_scan`): the scan is
        // not run again here.
        let mut walk = Walk::new(self);
        if byte_tokenizer::tokenize(html, &mut walk).is_err() {
            // Markup the byte tokenizer does not read for sure: html5ever's reads it.
            walk = Walk::new(self);
            tokens::html5ever(html, &mut walk);
        }
        walk.finish(base)
    }

    /// The fingerprint through html5ever's tokenizer alone (`Err` where the byte tokenizer
    /// gave up), for tests that compare the two.
    #[cfg(test)]
    fn fingerprint_by_each(
        &self,
        html: &str,
        base: &Url,
    ) -> (
        Option<Fingerprint>,
        Result<Option<Fingerprint>, byte_tokenizer::GaveUp>,
    ) {
        let mut theirs = Walk::new(self);
        tokens::html5ever(html, &mut theirs);
        let mut ours = Walk::new(self);
        let ours = byte_tokenizer::tokenize(html, &mut ours).map(|()| ours.finish(base));
        (theirs.finish(base), ours)
    }
}

/// Writes one length-prefixed field, so that no two sequences of fields hash alike.
fn put(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Namespace {
    Html,
    Svg,
    Math,
}

/// One open element.
struct Frame {
    name: LocalName,
    ns: Namespace,
    /// An SVG or MathML element whose content is parsed as HTML.
    integration: bool,
    /// The attributes the selectors look at.
    attrs: Vec<(LocalName, StrTendril)>,
    /// A `remove` rule matches it or an ancestor.
    removed: bool,
    /// Its content is written by the extraction: hashed in full.
    hashed: bool,
}

impl css::Element for Frame {
    fn name(&self) -> &str {
        &self.name
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| &**v)
    }
    fn foreign(&self) -> bool {
        self.ns != Namespace::Html
    }
}

/// A link target in the region, resolved once the page's `<base href>` is known.
struct Link {
    /// An `<a href>`: made absolute (and stripped of email-protection tokens) by the page's
    /// preparation before the fragment writer cleans it.
    anchor: bool,
    attr: &'static str,
    value: String,
}

/// The elements the walk asks whether one is open.
const COUNTED: [&str; 6] = ["select", "a", "nobr", "button", "form", "p"];

fn counted(name: &str) -> Option<usize> {
    COUNTED.iter().position(|c| *c == name)
}

/// The walk over the tokens.
struct Walk<'r> {
    rules: &'r FingerprintRules,
    stack: Vec<Frame>,
    /// How many elements of each of [`COUNTED`] are on the stack (asked at every start tag).
    open_counts: [u32; COUNTED.len()],
    hasher: Fields,
    /// The run of text being read (only when it is hashed).
    run: String,
    run_hashed: bool,
    /// Whether the run's blankness matters to the tree builder where it is (tables, the head,
    /// before the body): only then is it looked at.
    run_watched: bool,
    run_blank: bool,
    in_run: bool,
    links: Vec<Link>,
    base_href: Option<String>,
    /// Something the fingerprint cannot vouch for was seen.
    unsure: bool,
    any_selected: bool,
    started: bool,
    head_seen: bool,
    body_seen: bool,
    /// Body content came before any `<body>` tag: the tree builder made one.
    implied_body: bool,
    /// `</body>` (or `</html>`) was seen; whether that body was in the region.
    body_closed: Option<bool>,
}

fn is_blank(s: &str) -> bool {
    s.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'))
}

impl<'r> Walk<'r> {
    fn new(rules: &'r FingerprintRules) -> Self {
        let mut hasher = Fields::new();
        hasher.put(&rules.id);
        Walk {
            rules,
            stack: Vec::new(),
            open_counts: [0; COUNTED.len()],
            hasher,
            run: String::new(),
            run_hashed: false,
            run_watched: false,
            run_blank: true,
            in_run: false,
            links: Vec::new(),
            base_href: None,
            unsure: false,
            any_selected: false,
            started: false,
            head_seen: false,
            body_seen: false,
            implied_body: false,
            body_closed: None,
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        self.hasher.put(bytes);
    }

    fn bail(&mut self) {
        self.unsure = true;
    }

    fn top(&self) -> Option<&str> {
        self.stack.last().map(|f| &*f.name)
    }

    /// Whether an element `name` (one of [`COUNTED`]) is open.
    fn open(&self, name: &str) -> bool {
        counted(name).is_some_and(|i| self.open_counts[i] > 0)
    }

    fn push(&mut self, frame: Frame) {
        if let Some(i) = counted(&frame.name) {
            self.open_counts[i] += 1;
        }
        self.stack.push(frame);
    }

    fn pop(&mut self) -> Option<Frame> {
        let frame = self.stack.pop()?;
        if let Some(i) = counted(&frame.name) {
            self.open_counts[i] -= 1;
        }
        Some(frame)
    }

    fn text(&mut self, t: &str) {
        if !self.in_run {
            self.in_run = true;
            self.run_blank = true;
            self.run_hashed = self.stack.last().is_some_and(|f| f.hashed);
            self.run_watched = matches!(
                self.top(),
                Some("table" | "thead" | "tbody" | "tfoot" | "tr" | "colgroup" | "head" | "html")
                    | None
            );
            self.run.clear();
        }
        if self.run_watched {
            self.run_blank &= is_blank(t);
        }
        if self.run_hashed {
            self.run.push_str(t);
        }
    }

    /// Hashes the run of text just read, and follows what the tree builder does with it.
    fn end_run(&mut self) {
        if !self.in_run {
            return;
        }
        self.in_run = false;
        if self.body_closed == Some(true) {
            // Text after `</body>` goes into the body, which is part of the region.
            return self.bail();
        }
        if self.run_watched && !self.run_blank {
            match self.top() {
                // Foster-parented out of the table.
                Some("table" | "thead" | "tbody" | "tfoot" | "tr" | "colgroup") => {
                    return self.bail()
                }
                // Moved into a body the tree builder makes.
                Some("head") => return self.bail(),
                Some("html") | None if !self.body_seen => self.implied_body = true,
                _ => {}
            }
        }
        // Text outside the region changes no element's place (the cases where it would were
        // refused above): only the region's is hashed.
        if self.run_hashed {
            let run = std::mem::take(&mut self.run);
            self.put(b"T");
            self.put(run.as_bytes());
            self.run = run;
        }
    }

    /// Whether the tree builder would do with start tag `name` something other than open it
    /// where the markup puts it.
    fn rearranged(&self, name: &str) -> bool {
        if REFUSED.contains(&name) || self.stack.len() >= MAX_STACK {
            return true;
        }
        let top = self.top();
        let in_table = |t: Option<&str>| {
            matches!(
                t,
                Some("table" | "thead" | "tbody" | "tfoot" | "tr" | "colgroup")
            )
        };
        if in_table(top) {
            let allowed = match top {
                Some("table") => &["caption", "colgroup", "thead", "tbody", "tfoot"][..],
                Some("thead" | "tbody" | "tfoot") => &["tr"][..],
                Some("tr") => &["td", "th"][..],
                _ => &["col"][..],
            };
            if !allowed.contains(&name) && !matches!(name, "script" | "style") {
                return true;
            }
        }
        let needs_parent: Option<&[&str]> = match name {
            "td" | "th" => Some(&["tr"]),
            "tr" => Some(&["thead", "tbody", "tfoot"]),
            "thead" | "tbody" | "tfoot" | "caption" | "colgroup" => Some(&["table"]),
            "col" => Some(&["colgroup"]),
            _ => None,
        };
        if needs_parent.is_some_and(|p| !top.is_some_and(|t| p.contains(&t))) {
            return true;
        }
        if self.open("select") {
            let ok = match name {
                "option" => matches!(top, Some("select" | "optgroup")),
                "optgroup" => top == Some("select"),
                "script" => true,
                _ => false,
            };
            if !ok {
                return true;
            }
        }
        let heading = |t: &str| matches!(t, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
        match name {
            "html" => return self.started,
            "head" => return self.head_seen || self.implied_body || top != Some("html"),
            "body" => {
                return self.body_seen
                    || self.implied_body
                    || !matches!(top, Some("html") | None)
                    || self.stack.len() > 1
            }
            "a" | "nobr" | "button" | "form" | "select" if self.open(name) => return true,
            "option" if top == Some("option") => return true,
            "optgroup" if matches!(top, Some("option" | "optgroup")) => return true,
            // Implied end tags are generated for these.
            "rb" | "rp" | "rt" | "rtc"
                if matches!(
                    top,
                    Some(
                        "rb" | "rp"
                            | "rt"
                            | "rtc"
                            | "dd"
                            | "dt"
                            | "li"
                            | "option"
                            | "optgroup"
                            | "p"
                    )
                ) =>
            {
                return true
            }
            "li" | "dd" | "dt" => {
                let (same, lists): (&[&str], &[&str]) = if name == "li" {
                    (&["li"], &["ul", "ol", "menu"])
                } else {
                    (&["dd", "dt"], &["dl"])
                };
                for f in self.stack.iter().rev() {
                    if same.contains(&&*f.name) {
                        return true;
                    }
                    if lists.contains(&&*f.name) {
                        break;
                    }
                }
            }
            _ => {}
        }
        if heading(name) && top.is_some_and(heading) {
            return true;
        }
        CLOSES_P.contains(&name) && self.open("p")
    }

    fn start<'a, A>(&mut self, tag_name: &str, self_closing: bool, attrs: A) -> Option<RawKind>
    where
        A: Iterator<Item = (&'a str, &'a str)> + Clone,
    {
        self.end_run();
        let name = tag_name;
        if self.body_closed.is_some() {
            self.bail();
            return None;
        }
        let parent_ns = self.stack.last().map_or(Namespace::Html, |f| f.ns);
        let parent_integration = self.stack.last().is_some_and(|f| f.integration);
        let ns = match parent_ns {
            Namespace::Html => match name {
                "svg" => Namespace::Svg,
                "math" => Namespace::Math,
                _ => Namespace::Html,
            },
            _ if parent_integration => {
                // HTML content inside SVG or MathML: not followed.
                self.bail();
                return None;
            }
            _ if BREAKS_OUT.contains(&name) => {
                self.bail();
                return None;
            }
            Namespace::Math if name == "svg" => Namespace::Svg,
            ns => ns,
        };
        if parent_ns == Namespace::Html {
            if self.top() == Some("head") && !HEAD_CONTENT.contains(&name) && name != "head" {
                // The tree builder closes the head.
                self.pop();
                if name != "body" {
                    self.implied_body = true;
                }
            }
            if self.rearranged(name) {
                self.bail();
                return None;
            }
            if name == "html" && !self.stack.is_empty() {
                self.bail();
                return None;
            }
            if matches!(self.top(), Some("html") | None)
                && !self.body_seen
                && !HEAD_CONTENT.contains(&name)
                && !matches!(name, "html" | "head" | "body")
            {
                self.implied_body = true;
            }
        } else if self.stack.len() >= MAX_STACK {
            self.bail();
            return None;
        }
        self.started = true;
        self.head_seen |= name == "head";
        self.body_seen |= name == "body";
        let integration = match ns {
            Namespace::Svg => matches!(name, "foreignobject" | "desc" | "title"),
            Namespace::Math => {
                matches!(name, "mi" | "mo" | "mn" | "ms" | "mtext" | "annotation-xml")
            }
            Namespace::Html => false,
        };
        if name == "base" && ns != Namespace::Html {
            // Whether scraper takes it for the page's base is not known.
            self.bail();
            return None;
        }
        if name == "base" && self.base_href.is_none() {
            self.base_href = attrs
                .clone()
                .find(|(n, _)| *n == "href")
                .map(|(_, v)| v.to_owned());
        }
        let watched = attrs
            .clone()
            .filter(|(a, _)| self.rules.attributes.iter().any(|n| n == a))
            .map(|(a, v)| (LocalName::from(a), StrTendril::from_slice(v)))
            .collect();
        let parent = self.stack.last();
        let (parent_removed, parent_hashed) =
            parent.map_or((false, false), |p| (p.removed, p.hashed));
        self.push(Frame {
            name: LocalName::from(name),
            ns,
            integration,
            attrs: watched,
            removed: parent_removed,
            hashed: false,
        });
        // Which rules match: where the loose and strict readings differ, scraper's answer is
        // not known.
        let mut removed = parent_removed;
        if !removed {
            let strict = self
                .rules
                .remove
                .iter()
                .any(|r| r.matches(&self.stack, Mode::Strict));
            let loose = self
                .rules
                .remove
                .iter()
                .any(|r| r.matches(&self.stack, Mode::Loose));
            if strict != loose {
                self.bail();
                return None;
            }
            removed = strict;
        }
        let mut selected = 0u64;
        if !removed {
            for (i, r) in self.rules.select.iter().enumerate() {
                let strict = r.matches(&self.stack, Mode::Strict);
                if strict != r.matches(&self.stack, Mode::Loose) {
                    self.bail();
                    return None;
                }
                selected |= u64::from(strict) << i;
            }
        }
        let hashed = !removed && (selected != 0 || (parent_hashed && !DROPPED.contains(&name)));
        self.any_selected |= selected != 0;
        let frame = self.stack.last_mut().expect("pushed above");
        frame.removed = removed;
        frame.hashed = hashed;
        self.put(&[b'S', u8::from(self_closing), u8::from(removed)]);
        self.put(name.as_bytes());
        // The bytes up to the last rule that matched.
        let used = (64 - selected.leading_zeros() as usize).div_ceil(8);
        self.put(&selected.to_le_bytes()[..used]);
        if hashed {
            for (attr, value) in attrs {
                let Some(&kept) = KEPT_ATTRS.iter().find(|&&k| k == attr) else {
                    continue;
                };
                self.put(kept.as_bytes());
                if matches!(kept, "href" | "src") {
                    // Resolved at the end, against the page's base.
                    self.links.push(Link {
                        anchor: name == "a" && kept == "href",
                        attr: kept,
                        value: value.to_owned(),
                    });
                } else {
                    self.put(value.as_bytes());
                }
            }
        }
        let stays_open = match ns {
            Namespace::Html => !VOID.contains(&name),
            // `<path/>` closes itself in SVG and MathML.
            _ => !self_closing,
        };
        if !stays_open {
            self.pop();
            return None;
        }
        if ns != Namespace::Html {
            return None;
        }
        tokens::raw_kind(name)
    }

    fn end(&mut self, name: &str) {
        self.end_run();
        if self.top() != Some(name) {
            // An end tag the tree builder resolves its own way (implied or misnested).
            return self.bail();
        }
        let frame = self.pop().expect("top exists");
        if matches!(name, "body" | "html") {
            self.body_closed = Some(self.body_closed.unwrap_or(false) || frame.hashed);
        }
        self.put(b"E");
        self.put(name.as_bytes());
    }

    fn finish(mut self, base: &Url) -> Option<Fingerprint> {
        self.end_run();
        if self.unsure || !self.any_selected {
            return None;
        }
        let base = crate::fragment::document_base_of(self.base_href.as_deref(), base);
        let links = std::mem::take(&mut self.links);
        for link in links {
            let written = if link.anchor {
                crate::fragment::written_anchor_href(&base, &link.value)
            } else {
                crate::fragment::written_target(&base, link.attr, &link.value)
            };
            self.put(written.as_bytes());
        }
        Some(Fingerprint(self.hasher.finish()))
    }
}

#[cfg(test)]
mod tests;
