//! What the HTML tree builder does with each element name, as far as the nesting scan needs it:
//! the lists of the HTML standard's tree-construction rules (void, raw text, special, scopes,
//! implied end tags) and a tag name's [`Kind`] looked up from them.

/// Elements that never have content (no end tag).
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title",
];

/// Start tags that close an open `<p>` (HTML's "close a p element").
pub(crate) const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "search",
    "section",
    "summary",
    "ul",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "listing",
    "form",
    "table",
    "hr",
    "li",
    "dd",
    "dt",
    "xmp",
    "plaintext",
];

/// HTML's "special" elements: an end tag does not close an element beyond one of them.
const SPECIAL: &[&str] = &[
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "base",
    "basefont",
    "bgsound",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dir",
    "div",
    "dl",
    "dt",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "iframe",
    "img",
    "input",
    "keygen",
    "li",
    "link",
    "listing",
    "main",
    "marquee",
    "menu",
    "meta",
    "nav",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "p",
    "param",
    "plaintext",
    "pre",
    "script",
    "search",
    "section",
    "select",
    "source",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
    "wbr",
    "xmp",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "annotation-xml",
    "foreignobject",
    "desc",
];

/// What bounds HTML's "has an element in scope" (the default scope, foreign elements included).
const SCOPE: &[&str] = &[
    "applet",
    "caption",
    "html",
    "table",
    "td",
    "th",
    "marquee",
    "object",
    "template",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "annotation-xml",
    "foreignobject",
    "desc",
];

/// End tags that close their element only when it is in scope (else they are ignored).
const SCOPED_END: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "button",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "listing",
    "main",
    "menu",
    "nav",
    "ol",
    "pre",
    "search",
    "section",
    "summary",
    "ul",
    "li",
    "dd",
    "dt",
    "p",
    "applet",
    "marquee",
    "object",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
];

/// Elements html5ever inserts only inside a table (elsewhere their start tag is ignored).
const TABLE_PARTS: &[&str] = &[
    "caption", "colgroup", "tbody", "thead", "tfoot", "tr", "td", "th",
];

/// Elements whose boundaries the Markdown keeps: beyond the cap they become siblings rather than
/// being dropped.
const STRUCTURAL: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "dt",
    "dd",
    "pre",
    "blockquote",
    "tr",
    "td",
    "th",
];

const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

/// What a tag name is, looked up once per name.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Kind {
    pub(super) void: bool,
    pub(super) raw_text: bool,
    pub(super) closes_p: bool,
    pub(super) special: bool,
    pub(super) scope: bool,
    pub(super) scoped_end: bool,
    pub(super) table_part: bool,
    pub(super) structural: bool,
    pub(super) heading: bool,
    pub(super) foreign_root: bool,
    /// A name that can be written back in an end tag as it is.
    pub(super) plain: bool,
}

impl Kind {
    pub(super) fn of(name: &str) -> Self {
        let is = |list: &[&str]| list.contains(&name);
        Self {
            void: is(VOID),
            raw_text: is(RAW_TEXT),
            closes_p: is(CLOSES_P),
            special: is(SPECIAL),
            scope: is(SCOPE),
            scoped_end: is(SCOPED_END),
            table_part: is(TABLE_PARTS),
            structural: is(STRUCTURAL),
            heading: is(HEADINGS),
            foreign_root: matches!(name, "svg" | "math"),
            plain: name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'),
        }
    }

    /// Stops the search for an open `<p>` (HTML's "button scope").
    pub(super) fn button_scope(self, name: &str) -> bool {
        self.scope || name == "button"
    }

    /// Stops the search for an open `<li>`, `<dd>` or `<dt>`: a special element other than
    /// `address`, `div` and `p`.
    pub(super) fn list_item_barrier(self, name: &str) -> bool {
        self.special && !matches!(name, "address" | "div" | "p")
    }
}
