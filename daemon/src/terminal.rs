//! Text from pages made safe to print: control characters shown as escapes, so that a terminal
//! does not act on them.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character but the newline and the tab written as a visible escape
/// (`\x1b`, `\u{9b}`). A terminal would act on the raw ones: clear the screen, move the cursor,
/// ring the bell, write the clipboard (OSC 52), hide a link target (OSC 8). New versions hold
/// none (extraction removes them); versions recorded before it did, commit messages and error
/// messages may.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let is_bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(is_bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_bad(c) {
            out.push(c);
        } else if c.is_ascii() {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn controls_are_shown_not_sent() {
        let cases = [
            ("plain text\n\twith tab", "plain text\n\twith tab"),
            ("\u{1b}[2J\u{1b}[Hcleared", "\\x1b[2J\\x1b[Hcleared"),
            ("\u{1b}]52;c;ZXZpbA==\u{7}", "\\x1b]52;c;ZXZpbA==\\x07"),
            (
                "\u{1b}]8;;https://e.org\u{1b}\\link",
                "\\x1b]8;;https://e.org\\x1b\\link",
            ),
            ("c1 \u{9b}31m", "c1 \\u{9b}31m"),
            ("cr\r del\u{7f} nul\u{0}", "cr\\x0d del\\x7f nul\\x00"),
            ("caf\u{e9} \u{65e5}\u{672c}", "caf\u{e9} \u{65e5}\u{672c}"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_controls(input), want, "{input:?}");
        }
    }
}
