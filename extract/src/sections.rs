//! Splitting Markdown into sections by its ATX headings (`#` to `######`), for change summaries
//! that name the sections touched.

pub use termtrail_plugin_api::Section;

/// A heading line: its level and text, or `None`.
fn heading(line: &str) -> Option<(usize, String)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').trim_end();
    Some((level, text.to_owned()))
}

/// Splits `markdown` into sections: each heading starts one, whose `heading_path` is the chain of
/// enclosing headings (outermost first) and whose text runs to the next heading. Text before the
/// first heading is a section with an empty path (omitted when blank). Headings inside fenced
/// code blocks are text.
pub fn split_sections(markdown: &str) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut text = String::new();
    let mut in_fence = false;
    let mut started = false;
    let flush = |stack: &[(usize, String)],
                 text: &mut String,
                 sections: &mut Vec<Section>,
                 started: bool| {
        let body = text.trim().to_owned();
        if started || !body.is_empty() {
            sections.push(Section {
                heading_path: stack.iter().map(|(_, t)| t.clone()).collect(),
                text: body,
            });
        }
        text.clear();
    };
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            in_fence = !in_fence;
        }
        match (in_fence, heading(line)) {
            (false, Some((level, title))) => {
                flush(&stack, &mut text, &mut sections, started);
                started = true;
                while stack.last().is_some_and(|(l, _)| *l >= level) {
                    stack.pop();
                }
                stack.push((level, title));
            }
            _ => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    flush(&stack, &mut text, &mut sections, started);
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_headings_and_keeps_code() {
        let md = "Intro.\n\n# Privacy\n\nTop.\n\n## Data\n\nWe keep.\n\n```\n# not a heading\n```\n\n### Retention ##\n\n30 days.\n\n## Rights\n\nAsk.\n\n#hashtag\n";
        let got: Vec<(Vec<String>, String)> = split_sections(md)
            .into_iter()
            .map(|s| (s.heading_path, s.text))
            .collect();
        let want = |p: &[&str], t: &str| (p.iter().map(|s| s.to_string()).collect(), t.to_owned());
        assert_eq!(
            got,
            vec![
                want(&[], "Intro."),
                want(&["Privacy"], "Top."),
                want(
                    &["Privacy", "Data"],
                    "We keep.\n\n```\n# not a heading\n```"
                ),
                want(&["Privacy", "Data", "Retention"], "30 days."),
                want(&["Privacy", "Rights"], "Ask.\n\n#hashtag"),
            ]
        );
        assert!(split_sections("").is_empty());
    }
}
