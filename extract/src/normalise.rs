//! Text normalisation: the same visible text must always give the same bytes.

/// Normalises Markdown so that whitespace-only churn disappears: Unicode spaces become plain
/// spaces, invisible characters go, runs of spaces collapse, trailing spaces and runs of blank
/// lines go, and the text ends with exactly one newline (or is empty).
///
/// Control characters other than the newline go too (tabs become spaces): a page's ESC, BEL or
/// C1 bytes would otherwise reach the terminal of whoever reads the archive (screen clears, OSC 52
/// clipboard writes, OSC 8 links).
pub fn normalise_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0usize;
    for raw in text.split('\n') {
        let mut line = String::with_capacity(raw.len());
        let mut last_space = false;
        let mut leading = true;
        for c in raw.chars() {
            let c = match c {
                // Zero-width characters, soft hyphens and BOMs are invisible.
                '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
                | '\r' => continue,
                '\t' => ' ',
                // Typographic variants of the same character: sites switch between them.
                '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => '\'',
                '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => '"',
                '\u{2010}' | '\u{2011}' => '-',
                c if c != ' ' && c.is_whitespace() => ' ',
                c if c.is_control() => continue,
                c => c,
            };
            if c == ' ' {
                // Leading indentation carries list nesting in Markdown; keep it as is.
                if leading {
                    line.push(' ');
                    continue;
                }
                if last_space {
                    continue;
                }
                last_space = true;
            } else {
                leading = false;
                last_space = false;
            }
            line.push(c);
        }
        let line = table_rule(line.trim_end());
        let line = line.as_ref();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run > 0 {
                out.push('\n');
            }
        }
        blank_run = 0;
        out.push_str(line);
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// A Markdown table's separator row (`| ---- | :--- |`) without its padding: the padding follows
/// the widest cell, so it would change whenever any cell's width changes.
fn table_rule(line: &str) -> std::borrow::Cow<'_, str> {
    let t = line.trim();
    let is_rule = t.len() > 2
        && t.starts_with('|')
        && t.ends_with('|')
        && t.contains('-')
        && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '));
    if !is_rule {
        return line.into();
    }
    let cells: Vec<&str> = t[1..t.len() - 1]
        .split('|')
        .map(|c| {
            let c = c.trim();
            match (c.starts_with(':'), c.ends_with(':') && c.len() > 1) {
                (true, true) => ":-:",
                (true, false) => ":--",
                (false, true) => "--:",
                _ => "---",
            }
        })
        .collect();
    format!("| {} |", cells.join(" | ")).into()
}

#[cfg(test)]
mod tests {
    use super::normalise_text;

    #[test]
    fn whitespace_variants_give_the_same_text() {
        let cases = [
            ("a  b\n", "a b\n"),
            ("a\u{00A0}b", "a b\n"),
            ("a\r\nb", "a\nb\n"),
            ("\n\n\na\n\n\n\nb\n\n", "a\n\nb\n"),
            ("a \t \nb", "a\nb\n"),
            ("a\u{200B}b", "ab\n"),
            ("  - nested", "  - nested\n"),
            ("", ""),
            (" \n \n", ""),
            ("It\u{2019}s \u{201C}ours\u{201D}", "It's \"ours\"\n"),
            (
                "| a | b |\n| ------ | :---: |\n| c | d |",
                "| a | b |\n| --- | :-: |\n| c | d |\n",
            ),
            ("a - b --- c", "a - b --- c\n"),
        ];
        for (input, want) in cases {
            assert_eq!(normalise_text(input), want, "input {input:?}");
        }
    }

    #[test]
    fn control_characters_are_removed() {
        let cases = [
            ("\u{1b}[2J\u{1b}[Hcleared", "[2J[Hcleared\n"),
            ("bell\u{7} ring", "bell ring\n"),
            (
                "\u{1b}]52;c;ZXZpbA==\u{7}clipboard",
                "]52;c;ZXZpbA==clipboard\n",
            ),
            (
                "\u{1b}]8;;https://e.org\u{1b}\\link\u{1b}]8;;\u{1b}\\",
                "]8;;https://e.org\\link]8;;\\\n",
            ),
            ("c1 \u{9b}31m csi\u{85}next", "c1 31m csi next\n"),
            ("nul\u{0}del\u{7f}bs\u{8}", "nuldelbs\n"),
            ("tab\tkept as a space\nline", "tab kept as a space\nline\n"),
        ];
        for (input, want) in cases {
            assert_eq!(normalise_text(input), want, "input {input:?}");
        }
    }
}
