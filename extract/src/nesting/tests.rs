//! Unit tests of `nesting`.

use super::*;

#[test]
fn deep_markup_is_cut_and_shallow_markup_kept() {
    let deep = format!("{}x{}", "<div>".repeat(10), "</div>".repeat(10));
    assert_eq!(
        bound_nesting(&deep, 8),
        format!("{}x{}", "<div>".repeat(5), "</div>".repeat(10))
    );
    assert!(matches!(bound_nesting(&deep, 13), Cow::Borrowed(_)));
    // A paragraph beyond the cap becomes a sibling of the deepest element.
    let para = format!("{}<p>text</p>{}", "<div>".repeat(6), "</div>".repeat(6));
    assert_eq!(
        bound_nesting(&para, 8),
        format!(
            "{}</div><p>text</p>{}",
            "<div>".repeat(5),
            "</div>".repeat(6)
        )
    );
    // Raw text, comments and quoted attributes hide what looks like tags.
    let hidden = "<script><div><div><div></script><!-- <div><div> --><i title='<div><div>'>x</i>";
    assert!(matches!(bound_nesting(hidden, 5), Cow::Borrowed(_)));
}

#[test]
fn fixed_names_have_their_numbers() {
    let names = super::Names::default();
    for (id, name) in [
        (super::TABLE, "table"),
        (super::P, "p"),
        (super::LI, "li"),
        (super::DD, "dd"),
        (super::DT, "dt"),
        (super::TD, "td"),
        (super::TH, "th"),
        (super::TR, "tr"),
        (super::OPTION, "option"),
    ] {
        assert_eq!(names.name(id), name);
    }
}
