//! Unit tests of `matching`.

use super::super::split::split;
use super::*;

fn aligned(old: &str, new: &str) -> (Vec<Provision>, Vec<Provision>, Alignment) {
    let (o, n) = (split(old), split(new));
    let ok: Vec<Key> = o.iter().map(Key::of).collect();
    let nk: Vec<Key> = n.iter().map(Key::of).collect();
    let a = align(&o, &ok, &n, &nk);
    (o, n, a)
}

#[test]
fn enumerators_and_markup_are_not_part_of_the_key() {
    for (a, b) in [
        ("1. **Overview.** Text here", "A.1. **Overview.** Text here"),
        ("## 1.**Services**", "## Services"),
        (
            "   2. Either party may end it",
            "I.2.b. Either party may end it",
        ),
        ("(a) shall comply", "(b) shall comply"),
        ("Section 3. Fees apply", "Fees apply"),
        ("## 4.Inputs and Outputs", "## Inputs and Outputs"),
        ("10.1 The terms", "11.1 The terms"),
        ("- Data centre rules", "Data center rules"),
    ] {
        assert_eq!(key_words(a), key_words(b), "{a:?} / {b:?}");
    }
    assert_ne!(key_words("30 days"), key_words("90 days"));
    assert_eq!(key_words("A customer may"), ["a", "customer", "may"]);
}

#[test]
fn heaviest_run_in_order() {
    assert_eq!(
        heaviest_increasing(&[0, 1, 5, 2, 3, 4], &[1; 6]),
        [true, true, false, true, true, true]
    );
    // A heavy element wins over two light ones.
    assert_eq!(
        heaviest_increasing(&[0, 3, 1, 2], &[1, 8, 1, 1]),
        [true, true, false, false]
    );
    assert!(heaviest_increasing(&[], &[]).is_empty());
}

#[test]
fn reworded_paragraph_keeps_its_partner() {
    let (_, _, a) = aligned(
        "# T\n\nWe keep your chats for thirty days and then delete them.\n\nOther text here.\n",
        "# T\n\nWe keep your chats for ninety days and then delete them for good.\n\nOther text here.\n",
    );
    assert_eq!(a.new_to_old, [Some(0), Some(1), Some(2)]);
    assert!(a.moved.iter().all(|m| !m));
}

#[test]
fn swapped_paragraphs_move() {
    let (_, _, a) = aligned(
        "# T\n\nFirst paragraph about data.\n\nSecond paragraph about sharing.\n\nThird one.\n",
        "# T\n\nSecond paragraph about sharing.\n\nFirst paragraph about data.\n\nThird one.\n",
    );
    assert_eq!(a.new_to_old, [Some(0), Some(2), Some(1), Some(3)]);
    assert_eq!(a.moved.iter().filter(|m| **m).count(), 1);
}

#[test]
fn split_and_merge_are_found() {
    let one = "# T\n\nWe collect your prompts and files. We share them with our service providers under contract.\n\nEnd.\n";
    let two = "# T\n\nWe collect your prompts and files.\n\nWe share them with our service providers under contract.\n\nEnd.\n";
    let (_, _, a) = aligned(one, two);
    let unmatched: Vec<usize> = (0..a.new_to_old.len())
        .filter(|&n| a.new_to_old[n].is_none())
        .collect();
    assert_eq!(unmatched.len(), 1, "{a:?}");
    assert_eq!(a.split_from[unmatched[0]], Some(1));
    let (_, _, b) = aligned(two, one);
    let gone: Vec<usize> = (0..b.old_to_new.len())
        .filter(|&o| b.old_to_new[o].is_none())
        .collect();
    assert_eq!(gone.len(), 1, "{b:?}");
    assert_eq!(b.merged_into[gone[0]], Some(1));
}

#[test]
fn moved_to_another_section() {
    let (_, n, a) = aligned(
        "# A\n\nAlpha text one.\n\nMoving clause here.\n\n# B\n\nBeta text two.\n",
        "# A\n\nAlpha text one.\n\n# B\n\nMoving clause here.\n\nBeta text two.\n",
    );
    let i = n
        .iter()
        .position(|p| p.text == "Moving clause here.")
        .expect("there");
    assert!(a.moved[i] && a.moved_section[i], "{a:?}");
    assert_eq!(a.moved.iter().filter(|m| **m).count(), 1);
}

/// The key words are the words `Words` reads (after the enumerator), spelling folded: the lean
/// word split of `key_words` must agree with it on markup, links, escapes and non-ASCII text.
#[test]
fn key_words_are_the_words_of_the_plain_text() {
    use crate::provisions::words::Words;
    use crate::summary::spelling;
    for text in [
        "1. **We** share data with [partners](https://x.example/a?b=(1)) ![logo](l.png)",
        "A.1. Third-party organisations \\_ga <!-- hidden --> <https://a.example/x> e-mail",
        "Section 3 - İstanbul ÉTÉ Straße 30 days, e.g. 1.5",
        "| cell one | cell two |",
        "(a) de-identified data is not re-identified",
    ] {
        let plain = crate::provisions::words::plain_text(text).to_lowercase();
        let all: Vec<String> = Words::new(&plain).texts().map(str::to_owned).collect();
        let keys = key_words(text);
        // The key is the plain words minus at most an enumerator's words at the start.
        let folded = spelling::fold(&all);
        assert!(
            folded.ends_with(&keys),
            "{text:?}: {keys:?} is not the tail of {folded:?}"
        );
        assert!(
            folded.len() - keys.len() <= 3,
            "{text:?}: {keys:?} / {folded:?}"
        );
        assert!(!keys.is_empty());
    }
}
