//! Why a CSS selector does not parse, in plain words: scraper's error kinds (and the selectors
//! crate's, which scraper passes through as "please report this to the developer") translated
//! by matching on the kind, with what to write instead.

use scraper::error::SelectorErrorKind;
use selectors::parser::SelectorParseErrorKind as Sel;

/// The explanation of `kind`, the error of parsing `css`.
pub fn explain(kind: &SelectorErrorKind, css: &str) -> String {
    const PARTS: &str = "a selector is made of tags, .classes, #ids, [attributes] and :pseudo-classes, e.g. \"main article.content\"";
    let attribute = "an attribute selector is [name], [name=value] or [name=\"value\"], e.g. [data-role=\"main\"]";
    let namespace = "namespaces (|) are not supported in selectors here; remove the |";
    // The parser's kind is often vague (a stray "{" reads as a dangling combinator); a character
    // that no selector may hold outside brackets and quotes is named first.
    if let Some(c) = stray_character(css) {
        if matches!(
            kind,
            SelectorErrorKind::UnexpectedToken
                | SelectorErrorKind::InvalidAtRule
                | SelectorErrorKind::InvalidAtRuleBody
                | SelectorErrorKind::QualRuleInvalid
                | SelectorErrorKind::UnexpectedSelectorParseError(
                    Sel::EmptySelector | Sel::DanglingCombinator
                )
        ) {
            return format!("\"{c}\" cannot be used in a selector; {PARTS}");
        }
    }
    match kind {
        SelectorErrorKind::UnexpectedToken => match css.trim_end().chars().last() {
            Some('#') => "a \"#\" must be followed by an id, e.g. \"#main\"".to_owned(),
            _ => format!("unexpected text in the selector; {PARTS}"),
        },
        SelectorErrorKind::EndOfLine => match css.trim_end().chars().last() {
            Some('.') => "a \".\" must be followed by a class name, e.g. \".content\"".to_owned(),
            Some('#') => "a \"#\" must be followed by an id, e.g. \"#main\"".to_owned(),
            Some(':') => {
                "a \":\" must be followed by a pseudo-class name, e.g. \":first-child\"".to_owned()
            }
            _ => "the selector ends too early: a [, ( or quote is not closed".to_owned(),
        },
        SelectorErrorKind::InvalidAtRule
        | SelectorErrorKind::InvalidAtRuleBody
        | SelectorErrorKind::QualRuleInvalid => {
            "@-rules and style blocks are not selectors; write only the selector, e.g. \"main article\"".to_owned()
        }
        SelectorErrorKind::TooManyNestedBlocks => {
            "the selector is nested too deeply; simplify it".to_owned()
        }
        SelectorErrorKind::ExpectedColonOnPseudoElement
        | SelectorErrorKind::ExpectedIdentityOnPseudoElement => {
            "a pseudo-element needs a name after \"::\", e.g. \"::before\"".to_owned()
        }
        SelectorErrorKind::UnexpectedSelectorParseError(kind) => match kind {
            Sel::EmptySelector => {
                "a selector is empty (nothing, or nothing between two commas); write e.g. \"main\"".to_owned()
            }
            Sel::DanglingCombinator => match dangling_combinator(css) {
                Some(c) => format!("a combinator (\"{c}\") must be followed by a selector"),
                None => "a combinator (a space, >, + or ~) must be followed by a selector".to_owned(),
            },
            Sel::ClassNeedsIdent => {
                "a \".\" must be followed by a class name, e.g. \".content\"".to_owned()
            }
            Sel::NoIdentForPseudo => {
                "a \":\" must be followed by a pseudo-class name, e.g. \":first-child\"".to_owned()
            }
            Sel::UnsupportedPseudoClassOrElement => {
                "this pseudo-class or pseudo-element is not supported; use e.g. :first-child, :nth-child(2), :not(.ad) or :has(h1)".to_owned()
            }
            Sel::NonCompoundSelector => {
                "this pseudo-class takes a simple selector (no spaces or combinators inside its parentheses)".to_owned()
            }
            Sel::NoQualifiedNameInAttributeSelector
            | Sel::UnexpectedTokenInAttributeSelector
            | Sel::BadValueInAttr
            | Sel::InvalidQualNameInAttr => attribute.to_owned(),
            Sel::ExpectedNamespace
            | Sel::ExpectedBarInAttr
            | Sel::ExplicitNamespaceUnexpectedToken
            | Sel::UnexpectedIdent => namespace.to_owned(),
            Sel::PseudoElementExpectedColon | Sel::PseudoElementExpectedIdent => {
                "a pseudo-element needs a name after \"::\", e.g. \"::before\"".to_owned()
            }
            Sel::NonPseudoElementAfterSlotted
            | Sel::InvalidPseudoElementAfterSlotted
            | Sel::InvalidPseudoElementInsideWhere
            | Sel::InvalidState => {
                "this pseudo-element cannot be used at this place in a selector; remove it".to_owned()
            }
        },
    }
}

/// The first character outside brackets, parentheses and quotes that no selector may hold there.
fn stray_character(css: &str) -> Option<char> {
    let mut depth = 0usize;
    let mut quote = None;
    for c in css.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if depth > 0 => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth = depth.saturating_sub(1),
            (None, _) if depth == 0 && "{}!;@$%^&<?/\\`'\"=".contains(c) => return Some(c),
            _ => {}
        }
    }
    None
}

/// The combinator left with nothing after it: the last `>`, `+` or `~` that is followed only
/// by spaces, up to the end or a comma.
fn dangling_combinator(css: &str) -> Option<char> {
    css.split(',').find_map(|part| {
        let last = part.trim_end().chars().last()?;
        ">+~".contains(last).then_some(last)
    })
}

#[cfg(test)]
mod tests {
    use crate::RuleError;

    /// Each bad selector gives its explanation, never scraper's "report this to the developer".
    #[test]
    fn selector_errors_are_plain_words() {
        let cases = [
            (
                "main >",
                "a combinator (\">\") must be followed by a selector",
            ),
            (
                "main +, p",
                "a combinator (\"+\") must be followed by a selector",
            ),
            ("main[", "the selector ends too early"),
            ("", "a selector is empty"),
            ("main,,p", "a selector is empty"),
            ("main .", "a \".\" must be followed by a class name"),
            ("div#", "a \"#\" must be followed by an id"),
            ("a:", "a \":\" must be followed by a pseudo-class name"),
            (
                "a:hovering",
                "this pseudo-class or pseudo-element is not supported",
            ),
            ("[=x]", "an attribute selector is [name]"),
            ("main { color: red }", "\"{\" cannot be used in a selector"),
            ("@media print", "\"@\" cannot be used in a selector"),
            ("a b !c", "\"!\" cannot be used in a selector"),
            ("div$", "\"$\" cannot be used in a selector"),
        ];
        for (css, want) in cases {
            let e =
                crate::Extractor::new(&[crate::RuleSpec::Css(css.to_owned())], &[]).expect_err(css);
            let text = e.to_string();
            assert!(
                matches!(e, RuleError::InvalidSelector { .. }),
                "{css:?}: {text}"
            );
            assert!(text.contains(want), "{css:?}: {text}\nwanted {want}");
            assert!(!text.contains("developer"), "{css:?}: {text}");
        }
    }
}
