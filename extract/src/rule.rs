//! `select` / `remove` rules: CSS selectors and Open Terms Archive range objects.

use std::collections::HashMap;
use std::fmt;

use ego_tree::NodeId;
use scraper::{Html, Selector};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{dom, fragment, ExtractError};

/// A rule as written in a config or an OTA declaration: a CSS selector, or a range between two
/// elements.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum RuleSpec {
    /// Every element the selector matches.
    Css(String),
    /// Everything between a start point and an end point, in document order.
    Range(RangeSpec),
}

/// An OTA range: `{ startBefore|startAfter = "CSS", endBefore|endAfter = "CSS" }`.
/// Exactly one start and one end key must be given; [`CompiledRule::compile`] checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RangeSpec {
    /// The range starts just before the first element this selector matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_before: Option<String>,
    /// The range starts just after the first element this selector matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_after: Option<String>,
    /// The range ends just before the first element this selector matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_before: Option<String>,
    /// The range ends just after the first element this selector matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_after: Option<String>,
}

/// Why a rule cannot be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RuleError {
    /// The CSS does not parse.
    #[error("invalid CSS selector {selector:?}: {reason}")]
    InvalidSelector {
        /// The selector as written.
        selector: String,
        /// Why, in plain words, and what to write instead.
        reason: String,
    },
    /// A range object without exactly one start and one end.
    #[error(
        "a range needs exactly one of startBefore/startAfter and exactly one of endBefore/endAfter"
    )]
    BadRange,
}

// Hand-written so that a mistyped range key gets serde's "unknown field, expected one of" message
// instead of the opaque "did not match any variant" of an untagged enum.
impl<'de> Deserialize<'de> for RuleSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RuleSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CSS selector string or a range { startBefore|startAfter, endBefore|endAfter }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RuleSpec, E> {
                Ok(RuleSpec::Css(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RuleSpec, A::Error> {
                RangeSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RuleSpec::Range)
            }
        }
        d.deserialize_any(V)
    }
}

/// One rule or a list of rules: OTA declarations write `"select": "main"` as well as
/// `"select": ["main"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RuleList(pub Vec<RuleSpec>);

impl<'de> Deserialize<'de> for RuleList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RuleList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a rule (CSS selector string or range object) or a list of rules")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RuleList, E> {
                Ok(RuleList(vec![RuleSpec::Css(v.to_owned())]))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RuleList, A::Error> {
                RangeSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|r| RuleList(vec![RuleSpec::Range(r)]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RuleList, A::Error> {
                let mut rules = Vec::new();
                while let Some(rule) = seq.next_element()? {
                    rules.push(rule);
                }
                Ok(RuleList(rules))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Before,
    After,
}

#[derive(Debug, Clone)]
struct Edge {
    side: Side,
    source: String,
    selector: Selector,
}

#[derive(Debug, Clone)]
enum Kind {
    Css(Selector),
    Range { start: Edge, end: Edge },
}

/// A rule whose selectors have been parsed.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    spec: RuleSpec,
    kind: Kind,
}

fn parse_selector(css: &str) -> Result<Selector, RuleError> {
    Selector::parse(css).map_err(|e| RuleError::InvalidSelector {
        selector: css.to_owned(),
        reason: crate::selector_error::explain(&e, css),
    })
}

fn edge(before: &Option<String>, after: &Option<String>) -> Result<Edge, RuleError> {
    let (side, source) = match (before, after) {
        (Some(css), None) => (Side::Before, css),
        (None, Some(css)) => (Side::After, css),
        _ => return Err(RuleError::BadRange),
    };
    Ok(Edge {
        side,
        source: source.clone(),
        selector: parse_selector(source)?,
    })
}

/// Document-order positions of every node: the index of its opening and of its closing.
/// A range is a half-open interval of these positions, as a DOM `Range` is.
fn positions(doc: &Html) -> HashMap<NodeId, (usize, usize)> {
    let mut open = HashMap::new();
    let mut out = HashMap::new();
    for (i, edge) in doc.tree.root().traverse().enumerate() {
        match edge {
            ego_tree::iter::Edge::Open(n) => {
                open.insert(n.id(), i);
            }
            ego_tree::iter::Edge::Close(n) => {
                let start = open.get(&n.id()).copied().unwrap_or(i);
                out.insert(n.id(), (start, i));
            }
        }
    }
    out
}

impl CompiledRule {
    /// Parses the selectors of `spec`.
    pub fn compile(spec: &RuleSpec) -> Result<Self, RuleError> {
        let kind = match spec {
            RuleSpec::Css(css) => Kind::Css(parse_selector(css)?),
            RuleSpec::Range(r) => Kind::Range {
                start: edge(&r.start_before, &r.start_after)?,
                end: edge(&r.end_before, &r.end_after)?,
            },
        };
        Ok(Self {
            spec: spec.clone(),
            kind,
        })
    }

    /// The CSS selector whose element must exist for the rule to select something: the selector
    /// itself, or a range's start.
    pub fn anchor_css(&self) -> &str {
        match (&self.spec, &self.kind) {
            (RuleSpec::Css(css), _) => css,
            (_, Kind::Range { start, .. }) => &start.source,
            (RuleSpec::Range(_), Kind::Css(_)) => "",
        }
    }

    /// The rule as written.
    pub fn spec(&self) -> &RuleSpec {
        &self.spec
    }

    /// The `[start, end)` interval of a range rule, as a DOM `Range` set with `setStartBefore`
    /// (or `After`) and `setEndBefore` (or `After`) on the first element each selector matches.
    /// An edge that matches nothing is an error naming it, in `select` and in `remove` alike. A
    /// range whose end lies before its start is collapsed, as a DOM `Range` is: it covers
    /// nothing (`None`).
    fn interval(
        &self,
        list: RuleListKind,
        doc: &Html,
        pos: &HashMap<NodeId, (usize, usize)>,
    ) -> Result<Option<(usize, usize)>, ExtractError> {
        let Kind::Range { start, end } = &self.kind else {
            return Ok(None);
        };
        let point = |edge: &Edge, which: &'static str| {
            let missing = || ExtractError::RangeEdge {
                list: list.name(),
                rule: self.to_string(),
                edge: which,
                selector: edge.source.clone(),
            };
            let el = dom::select_in(doc, &edge.selector)
                .into_iter()
                .next()
                .ok_or_else(missing)?;
            let &(open, close) = pos.get(&el.id()).ok_or_else(missing)?;
            Ok::<_, ExtractError>(match edge.side {
                Side::Before => open,
                Side::After => close + 1,
            })
        };
        let (s, e) = (point(start, "start")?, point(end, "end")?);
        Ok((s < e).then_some((s, e)))
    }
}

/// Which list a rule belongs to, for messages.
#[derive(Debug, Clone, Copy)]
enum RuleListKind {
    Select,
    Remove,
}

impl RuleListKind {
    fn name(self) -> &'static str {
        match self {
            Self::Select => "select",
            Self::Remove => "remove",
        }
    }
}

/// Applies the `remove` rules to `doc` as OTA does: every target (each CSS match, each range) is
/// resolved on the page as it is before anything is removed, then the CSS matches are removed,
/// then the contents of the ranges. A range whose start is an element another rule removes
/// therefore still removes what it covered. Only nodes wholly inside a range go; the elements it
/// covers partly keep their tags and the rest of their content (DOM `Range.deleteContents`).
pub(crate) fn remove_all(rules: &[CompiledRule], doc: &mut Html) -> Result<(), ExtractError> {
    let needs_positions = rules.iter().any(|r| matches!(r.kind, Kind::Range { .. }));
    let pos = if needs_positions {
        positions(doc)
    } else {
        HashMap::new()
    };
    let mut matched: Vec<NodeId> = Vec::new();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for rule in rules {
        match &rule.kind {
            Kind::Css(sel) => matched.extend(dom::select_in(doc, sel).iter().map(|e| e.id())),
            Kind::Range { .. } => ranges.extend(rule.interval(RuleListKind::Remove, doc, &pos)?),
        }
    }
    // Resolved on the untouched page: removing the CSS matches first changes no range. (A live
    // DOM `Range` keeps its place when nodes around it go, so the nodes it holds stay the same.)
    let covered: Vec<NodeId> = if ranges.is_empty() {
        Vec::new()
    } else {
        pos.iter()
            .filter(|(_, &(o, c))| ranges.iter().any(|&(s, e)| o >= s && c < e))
            .map(|(id, _)| *id)
            .collect()
    };
    for id in matched.into_iter().chain(covered) {
        if let Some(mut node) = doc.tree.get_mut(id) {
            node.detach();
        }
    }
    Ok(())
}

/// Appends the HTML the `select` rules pick from `doc` to `out`, as OTA does: each rule in the
/// order written; a CSS rule contributes every element it matches, in document order, each whole
/// (an element matched inside another matched one is written again, as OTA's copies are); a
/// range contributes what it covers. A rule that picks nothing contributes nothing; the
/// selection as a whole must pick something ([`ExtractError::NoMatch`]), and a range edge that
/// matches nothing is an error ([`ExtractError::RangeEdge`]).
pub(crate) fn select_all(
    rules: &[CompiledRule],
    doc: &Html,
    base: &Url,
    out: &mut String,
) -> Result<(), ExtractError> {
    let needs_positions = rules.iter().any(|r| matches!(r.kind, Kind::Range { .. }));
    let pos = if needs_positions {
        positions(doc)
    } else {
        HashMap::new()
    };
    let mut any = false;
    for rule in rules {
        match &rule.kind {
            Kind::Css(sel) => {
                for el in dom::select_in(doc, sel) {
                    any = true;
                    fragment::write_node(*el, base, out);
                    out.push('\n');
                }
            }
            Kind::Range { .. } => {
                if let Some(interval) = rule.interval(RuleListKind::Select, doc, &pos)? {
                    any = true;
                    fragment::write_range(doc, base, &pos, interval, out);
                }
            }
        }
    }
    if any {
        Ok(())
    } else {
        Err(ExtractError::NoMatch {
            rule: rules
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

impl fmt::Display for CompiledRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Css(_) => match &self.spec {
                RuleSpec::Css(css) => write!(f, "{css:?}"),
                RuleSpec::Range(_) => Ok(()),
            },
            Kind::Range { start, end } => {
                let side = |s: Side, what: &str| match s {
                    Side::Before => format!("{what}Before"),
                    Side::After => format!("{what}After"),
                };
                write!(
                    f,
                    "{{ {} = {:?}, {} = {:?} }}",
                    side(start.side, "start"),
                    start.source,
                    side(end.side, "end"),
                    end.source
                )
            }
        }
    }
}

/// OTA's semantics, rule by rule (README, "Rules"), each on a page written for it.
#[cfg(test)]
mod tests;
