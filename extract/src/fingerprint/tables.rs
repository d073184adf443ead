//! The element lists the fingerprint's walk follows: what the extraction drops and keeps, and
//! the HTML tree-construction rules (void elements, what closes a `p`, what leaves foreign
//! content, what goes into `<head>`, what is never fingerprinted).

/// Elements whose content the extraction never writes (`fragment::DROPPED`).
pub(super) const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "iframe", "canvas", "link", "meta", "head",
    "object", "embed", "audio", "video", "picture", "source",
];

/// Attributes the extraction writes (`fragment::KEPT_ATTRS`).
pub(super) const KEPT_ATTRS: &[&str] =
    &["href", "src", "alt", "title", "colspan", "rowspan", "start"];

/// Elements with no end tag: never on the stack.
pub(super) const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "hr", "img", "input", "keygen",
    "link", "meta", "param", "source", "track", "wbr",
];

/// Start tags that leave `svg` / `math` content (HTML's "in foreign content" rules).
pub(super) const BREAKS_OUT: &[&str] = &[
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "i",
    "img",
    "li",
    "listing",
    "menu",
    "meta",
    "nobr",
    "ol",
    "p",
    "pre",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "strike",
    "sub",
    "sup",
    "table",
    "tt",
    "u",
    "ul",
    "var",
    "font",
];

/// Elements the tree builder puts in `<head>` while it is open.
pub(super) const HEAD_CONTENT: &[&str] = &[
    "base", "basefont", "bgsound", "link", "meta", "title", "noscript", "noframes", "style",
    "script",
];

/// Elements whose content the tree builder rearranges or keeps apart: never fingerprinted.
pub(super) const REFUSED: &[&str] = &["template", "frameset", "frame", "image", "plaintext"];
