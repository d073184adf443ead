//! Markdown sections: the text between two ATX headings, named by its heading path
//! (`Privacy Policy > How we use data > Training`).

/// One section of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The headings from the outermost to this one; empty for the text before the first heading.
    pub path: Vec<String>,
    /// The heading line and the body, as written.
    pub text: String,
}

impl Section {
    /// The path as one string; `(preamble)` for the text before the first heading.
    pub fn key(&self) -> String {
        if self.path.is_empty() {
            "(preamble)".to_owned()
        } else {
            self.path.join(" > ")
        }
    }
}

/// The level and title of an ATX heading line (`## Title ##`), if it is one.
fn heading(line: &str) -> Option<(usize, String)> {
    let trimmed = line.trim_start_matches(' ');
    // More than three spaces of indentation makes it code, not a heading.
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let level = trimmed.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &trimmed[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    // Emphasis around a whole heading is presentation, not part of its name.
    let title = title.trim_matches(|c| c == '*' || c == '_').trim();
    Some((level, title.to_owned()))
}

/// Splits Markdown into sections. Headings inside fenced code blocks are ignored. Setext headings
/// are not recognised: the extractor writes ATX headings.
pub fn split(text: &str) -> Vec<Section> {
    let mut sections = vec![Section {
        path: Vec::new(),
        text: String::new(),
    }];
    // (level, title) of the open headings.
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut in_fence = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare.trim_start().starts_with("```") || bare.trim_start().starts_with("~~~") {
            in_fence = !in_fence;
        }
        if !in_fence {
            if let Some((level, title)) = heading(bare) {
                while stack.last().is_some_and(|(l, _)| *l >= level) {
                    stack.pop();
                }
                stack.push((level, title));
                sections.push(Section {
                    path: stack.iter().map(|(_, t)| t.clone()).collect(),
                    text: String::new(),
                });
            }
        }
        sections
            .last_mut()
            .expect("there is always a section")
            .text
            .push_str(line);
    }
    if sections[0].text.trim().is_empty() {
        sections.remove(0);
    }
    sections
}

/// Sections keyed by path; a path seen twice gets ` (2)`, ` (3)`… so that keys are unique.
pub fn keyed(text: &str) -> Vec<(String, Section)> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    split(text)
        .into_iter()
        .map(|s| {
            let base = s.key();
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let key = if *n == 1 {
                base
            } else {
                format!("{base} ({n})")
            };
            (key, s)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_paths_nest_and_pop() {
        let s = split("intro\n# A\na\n## B\nb\n### C\nc\n## D\nd\n# E\ne\n");
        let keys: Vec<_> = s.iter().map(Section::key).collect();
        assert_eq!(
            keys,
            ["(preamble)", "A", "A > B", "A > B > C", "A > D", "E"]
        );
        assert_eq!(s[3].text, "### C\nc\n");
    }

    #[test]
    fn headings_in_code_and_hashtags_are_not_sections() {
        let s = split("# A\n```\n# not\n```\n#hashtag\n");
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn duplicate_paths_get_numbers() {
        let k: Vec<_> = keyed("# A\n# A\n").into_iter().map(|(k, _)| k).collect();
        assert_eq!(k, ["A", "A (2)"]);
    }
}
