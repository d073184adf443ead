//! Parsing a page into a DOM whose depth, and so the cost of every walk over it, is bounded.
//!
//! A hostile page can nest elements tens of thousands of levels deep. html5ever then spends time
//! quadratic in the depth (each start tag scans the stack of open elements), and every recursive
//! walk over the tree (ours, htmd's) overflows its thread's stack, which aborts the process.
//! Browsers cap the tree at 512 levels; termtrail caps it at [`MAX_DEPTH`] in two steps:
//!
//! 1. before html5ever, a linear scan of the markup keeps elements from opening deeper than the
//!    cap (see [`crate::nesting`]), so the parser's stack stays shallow and parsing linear;
//! 2. after parsing, whatever still lies deeper (the scan approximates the tree builder) is
//!    flattened: it becomes a run of siblings in document order, so no text is lost.
//!
//! A page that nests less than the cap (the deepest of the shared corpus nests 35 levels) is
//! parsed exactly as html5ever alone would parse it.

use std::time::Instant;

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use crate::nesting::bound_nesting;
use crate::ExtractError;

/// The deepest level of the parsed tree (the document node is level 0): a quarter of what
/// browsers allow and more than three times the deepest page of the shared corpus. Every walk's
/// cost per node, and the stack the recursive ones need, grow with it.
pub const MAX_DEPTH: usize = 128;

/// Parses `html` as a document with at most [`MAX_DEPTH`] levels below the document node, plus
/// one level of flattened nodes.
pub(crate) fn parse(html: &str) -> Html {
    let mut doc = Html::parse_document(&bound_nesting(html, MAX_DEPTH));
    flatten_below(&mut doc, MAX_DEPTH);
    doc
}

/// The elements of the page that `selector` matches, in document order, as a browser's
/// `querySelectorAll` gives them. Unlike [`Html::select`], which walks every node ever created
/// (in creation order), this never returns an element that was removed from the page, nor one
/// inside a removed element.
pub(crate) fn select_in<'a>(doc: &'a Html, selector: &Selector) -> Vec<ElementRef<'a>> {
    let root = doc.root_element();
    let mut out: Vec<ElementRef<'a>> = Vec::new();
    if selector.matches(&root) {
        out.push(root);
    }
    out.extend(root.select(selector));
    out
}

/// Fails once `deadline` has passed.
pub(crate) fn check_deadline(deadline: Option<Instant>) -> Result<(), ExtractError> {
    match deadline {
        Some(d) if Instant::now() >= d => Err(ExtractError::TimedOut),
        _ => Ok(()),
    }
}

/// Step 2: every node deeper than `max` becomes a child of its ancestor at level `max`, in
/// document order; its own children follow it as siblings.
fn flatten_below(doc: &mut Html, max: usize) {
    let mut depth = 0usize;
    let mut too_deep: Vec<NodeId> = Vec::new();
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                if depth == max && node.children().any(|c| c.has_children()) {
                    too_deep.push(node.id());
                }
                depth += 1;
            }
            Edge::Close(_) => depth -= 1,
        }
    }
    for top in too_deep {
        let below: Vec<NodeId> = match doc.tree.get(top) {
            Some(n) => n.descendants().skip(1).map(|d| d.id()).collect(),
            None => continue,
        };
        // Re-appending in pre-order keeps document order: each node lands after everything
        // before it, and its children, appended next, land after it.
        if let Some(mut top) = doc.tree.get_mut(top) {
            for id in below {
                top.append_id(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::cell::Cell;

    use html5ever::driver::{self, ParseOpts};
    use html5ever::tendril::{StrTendril, TendrilSink};
    use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
    use html5ever::{Attribute, QualName};
    use scraper::HtmlTreeSink;

    use super::*;

    /// The depth of the deepest node (the document node is level 0).
    pub(crate) fn depth(doc: &Html) -> usize {
        let (mut d, mut max) = (0usize, 0usize);
        for e in doc.tree.root().traverse() {
            match e {
                Edge::Open(_) => {
                    max = max.max(d);
                    d += 1;
                }
                Edge::Close(_) => d -= 1,
            }
        }
        max
    }

    fn nested(levels: usize, open: &str, close: &str, text: &str) -> String {
        let mut s = String::from("<html><body>");
        for _ in 0..levels {
            s.push_str(open);
        }
        s.push_str(text);
        for _ in 0..levels {
            s.push_str(close);
        }
        s.push_str("</body></html>");
        s
    }

    fn texts(doc: &Html) -> String {
        doc.root_element().text().collect()
    }

    #[test]
    fn sloppy_pages_are_parsed_as_html5ever_parses_them() {
        // Implied end tags, unclosed elements, raw text, comments, foreign content, attributes
        // holding `>`: the scan must follow them, or it would drop tags of a page that is not
        // deep at all.
        let mut page = String::from("<!DOCTYPE html><html><head><title>a <b> c</title><script>if (a<b) { x = '</div>'; }</script><style>p > a {}</style></head><body>");
        for i in 0..3_000 {
            page.push_str(&format!(
                "<div class='x>y' data-a=\"<div>\"><p>para {i}<p>second<ul><li>a<li>b</ul>\
                 <table><tr><td>a<td>b<tr><td>c</table><dl><dt>t<dd>d</dl>\
                 <select><option>o<option>p</select><a href=/{i}>one<a href=/x>two</a>\
                 <b>bold</b><svg><path d='M0'/><g/></svg><br/><img src=x><!-- <div> -->\
                 <h2>head<h3>sub</h3><span>unclosed <i>italic</div><p>loose"
            ));
        }
        page.push_str("</body></html>");
        let theirs = Html::parse_document(&page);
        assert!(
            depth(&theirs) < 20,
            "the page is not deep: {}",
            depth(&theirs)
        );
        assert!(matches!(bound_nesting(&page, MAX_DEPTH), Cow::Borrowed(_)));
        let ours = parse(&page);
        assert_eq!(ours.html(), theirs.html());
    }

    #[test]
    fn deep_nesting_is_capped_and_keeps_its_text() {
        for (open, close) in [
            ("<div>", "</div>"),
            ("<span>", "</span>"),
            ("<div><p>", "</p></div>"),
            ("<ul><li>", "</li></ul>"),
            ("<table><tr><td>", "</td></tr></table>"),
            ("<b><i>", "</i></b>"),
            ("<svg><g>", "</g></svg>"),
            ("<x-custom/>", ""),
            ("<div/>", ""),
            ("<a href=1><div>", "</div></a>"),
        ] {
            let html = nested(20_000, open, close, "deep text");
            let doc = parse(&html);
            assert!(depth(&doc) <= MAX_DEPTH + 1, "{open}: {}", depth(&doc));
            assert!(texts(&doc).contains("deep text"), "{open}");
        }
    }

    #[test]
    fn flattening_keeps_document_order() {
        let html = nested(
            10,
            "<div>",
            "</div>",
            "<p>one <b>two</b> three</p><p>four</p>",
        );
        let mut doc = Html::parse_document(&html);
        flatten_below(&mut doc, 6);
        assert!(depth(&doc) <= 7, "{}", depth(&doc));
        assert_eq!(texts(&doc), "one two threefour");
    }

    /// A sink that counts the tree builder's look-ups of element names: each step of its scans
    /// of the stack of open elements is one, so the count measures its work.
    struct Counting {
        inner: HtmlTreeSink,
        steps: Cell<u64>,
    }

    impl TreeSink for Counting {
        type Handle = NodeId;
        type Output = u64;
        type ElemName<'a> = <HtmlTreeSink as TreeSink>::ElemName<'a>;
        fn finish(self) -> u64 {
            self.steps.get()
        }
        fn parse_error(&self, msg: Cow<'static, str>) {
            self.inner.parse_error(msg)
        }
        fn get_document(&self) -> NodeId {
            self.inner.get_document()
        }
        fn elem_name<'a>(&'a self, target: &'a NodeId) -> Self::ElemName<'a> {
            self.steps.set(self.steps.get() + 1);
            self.inner.elem_name(target)
        }
        fn create_element(&self, name: QualName, attrs: Vec<Attribute>, f: ElementFlags) -> NodeId {
            self.inner.create_element(name, attrs, f)
        }
        fn create_comment(&self, text: StrTendril) -> NodeId {
            self.inner.create_comment(text)
        }
        fn create_pi(&self, target: StrTendril, data: StrTendril) -> NodeId {
            self.inner.create_pi(target, data)
        }
        fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
            self.inner.append(parent, child)
        }
        fn append_based_on_parent_node(
            &self,
            element: &NodeId,
            prev: &NodeId,
            child: NodeOrText<NodeId>,
        ) {
            self.inner.append_based_on_parent_node(element, prev, child)
        }
        fn append_doctype_to_document(&self, n: StrTendril, p: StrTendril, s: StrTendril) {
            self.inner.append_doctype_to_document(n, p, s)
        }
        fn get_template_contents(&self, target: &NodeId) -> NodeId {
            self.inner.get_template_contents(target)
        }
        fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
            self.inner.same_node(x, y)
        }
        fn set_quirks_mode(&self, mode: QuirksMode) {
            self.inner.set_quirks_mode(mode)
        }
        fn append_before_sibling(&self, sibling: &NodeId, new: NodeOrText<NodeId>) {
            self.inner.append_before_sibling(sibling, new)
        }
        fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
            self.inner.add_attrs_if_missing(target, attrs)
        }
        fn remove_from_parent(&self, target: &NodeId) {
            self.inner.remove_from_parent(target)
        }
        fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
            self.inner.reparent_children(node, new_parent)
        }
    }

    /// The tree builder's work on `html` after the nesting scan, as [`parse`] does it.
    fn parse_steps(html: &str) -> u64 {
        let sink = Counting {
            inner: HtmlTreeSink::new(Html::new_document()),
            steps: Cell::new(0),
        };
        driver::parse_document(sink, ParseOpts::default()).one(&*bound_nesting(html, MAX_DEPTH))
    }

    #[test]
    fn parsing_work_grows_linearly_with_nesting() {
        // (markup nested N levels, N): paragraphs and list items beyond the cap reach the tree
        // builder (as siblings), so they cost it the most; a smaller N keeps them quick.
        for (open, close, n) in [
            ("<div>", "</div>", 10_000),
            ("<section><p>", "</p></section>", 2_000),
            ("<ul><li>", "</li></ul>", 2_000),
            // Patterns a naive count would see as shallow: an `<li>` does not close an `<li>`
            // beyond a `<section>`, and `</span>` does not close beyond a `<div>`.
            ("<li><section>", "", 2_000),
            ("<span><div></span>", "", 2_000),
            ("<dd><article><p>", "", 2_000),
        ] {
            let small = parse_steps(&nested(n, open, close, "x"));
            let large = parse_steps(&nested(10 * n, open, close, "x"));
            // Ten times the input: linear work is about ten times more; the quadratic work of an
            // unbounded stack would be about a hundred times more.
            let ratio = large as f64 / small as f64;
            assert!(
                ratio < 15.0,
                "{open}: {small} then {large} steps ({ratio:.1}x)"
            );
        }
    }
}
