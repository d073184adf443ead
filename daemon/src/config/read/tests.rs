use super::*;

/// A head with every sort of section and problem, then `n` documents: good ones, ones with
/// unknown keys and wrong types, several pages, ranges, a sub-table, comments and strings that
/// look like headers.
fn config(n: usize) -> String {
    let mut s = String::from(
        r#"# termtrail config
[archive]
path = "archive"
colour = "blue"

[fetch]
timeout = 30
per_host_concurrency = 8

[fetch.hosts."x.org"]
user_agent = "ua"

[[sink]]
type = "stdout"
name = "out"
"#,
    );
    for i in 0..n {
        s.push_str(&match i % 5 {
            0 => format!("\n[[document]]\nplatform = \"p{i}\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/{i}\"\nselect = [\"main\"]\nremove = [\".ad\"]\n"),
            1 => format!("\n[[document]] # a comment [[document]]\nplatform = \"p{i}\"\nkind = \"terms-of-service\"\nurl = \"https://x.org/{i}\"\nintervall = \"1h\"\nselect = [\n  \"main\",\n  {{ startBefore = \"h1\", endBefor = \"footer\" }},\n]\n"),
            2 => format!("\n[[ document ]]\nplatform = \"p{i}\"\nkind = \"privacy-policy\"\ntitle = \"\"\"\n[[document]]\n\"\"\"\ninterval = 12\n\n[[document.source]]\nurl = \"https://x.org/{i}/a\"\nselect = \"main\"\n\n[[document.source]]\nurl = \"https://x.org/{i}/b\"\nfetch = 3\n"),
            3 => format!("\n[[document]]\nplatform = \"p{i}\"\nkind = \"developer-terms\"\nplugin = \"acme\"\nurl = 'https://x.org/{i}'\n"),
            _ => format!("\n  [[document]]\n  platform = \"p{i}\"\n  kind = \"privacy-policy\"\n  url = \"https://x.org/{i}\"\n  remove = [[\"nested\"]]\n"),
        });
    }
    s
}

/// The problems in the order `Config::parse` reports them: by line, those of one line in the
/// order found.
fn reported(read: &Read, src: &str) -> Vec<Problem> {
    let mut problems = read.problems.clone();
    problems.sort_by_key(|p| src[..p.span.start].matches('\n').count());
    problems
}

fn same(a: &Read, b: &Read, src: &str) {
    assert_eq!(reported(a, src), reported(b, src), "config:\n{src}");
    assert_eq!(
        format!("{:?}", a.raw),
        format!("{:?}", b.raw),
        "config:\n{src}"
    );
}

#[test]
fn pieces_give_the_documents_problems_and_positions_of_the_whole_file() {
    for n in [1, 2, 7, 23] {
        let src = config(n);
        let whole = whole(&src).expect("parses");
        let in_docs = |p: &Problem| p.key.starts_with("document[");
        assert!(
            whole.problems.iter().any(|p| !in_docs(p))
                && (n < 2 || whole.problems.iter().any(in_docs)),
            "the fixture has problems in the head and in documents: {:?}",
            whole.problems
        );
        assert_eq!(whole.raw.as_ref().expect("deserialises").documents.len(), n);
        for per_piece in [1, 2, 3, PER_PIECE] {
            let pieces = in_pieces(&src, per_piece).expect("read in pieces");
            same(&pieces, &whole, &src);
        }
        same(&read(&src).expect("parses"), &whole, &src);
    }
}

#[test]
fn the_cuts_are_the_lines_of_the_final_runs_documents_and_nothing_in_strings() {
    let src = config(10);
    let cuts = cuts(&src, 3);
    assert_eq!(cuts.len(), 4, "10 documents, 3 a piece: {cuts:?}");
    for &at in &cuts {
        let line = src[at..].lines().next().expect("a line");
        assert_eq!(
            line.trim_start().split(']').next(),
            Some("[[document"),
            "{line:?}"
        );
    }
    // Document 2's title holds a `[[document]]` line, and document 1's header a comment naming
    // one: neither is a header.
    assert_eq!(
        headers(&src)
            .iter()
            .filter(|(_, h)| *h == Header::Document)
            .count(),
        10
    );
    assert!(src.matches("[[document]]").count() > 10);
}

/// Files whose pieces cannot stand alone are read whole: documents before another table, a
/// `document` key in the head, a document's table before any `[[document]]`, a syntax error.
#[test]
fn files_whose_pieces_cannot_stand_alone_are_read_whole() {
    let doc =
        "[[document]]\nplatform = \"a\"\nkind = \"privacy-policy\"\nurl = \"https://x.org/\"\n";
    let cases = [
        format!("{doc}[[sink]]\ntype = \"stdout\"\nname = \"s\"\n{doc}"),
        format!("document = []\n{doc}"),
        format!("[document.source]\nurl = \"https://x.org/\"\n{doc}"),
        format!("[\"document\"]\nplatform = \"a\"\n{doc}"),
        format!("{doc}[document]\nplatform = \"b\"\n"),
        format!("[fetch]\ntimeout = \n{doc}"),
        format!("{doc}{doc}platform = \"b\"\n"),
    ];
    for src in cases {
        assert!(in_pieces(&src, 1).is_none(), "config:\n{src}");
        match (read(&src), whole(&src)) {
            (Ok(a), Ok(b)) => same(&a, &b, &src),
            (Err(a), Err(b)) => {
                let show = |e: &[toml::de::Error]| format!("{e:?}");
                assert_eq!(show(&a), show(&b), "config:\n{src}");
            }
            _ => panic!("read and whole differ on\n{src}"),
        }
    }
}
