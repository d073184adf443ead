//! Documents that are not one HTML page: PDFs, several pages, plain text and JSON.

use crate::util::*;

/// A one-page PDF with the given lines in Helvetica, built by hand with a correct xref table.
pub fn make_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
    for l in lines {
        content.push_str(&format!(
            "({}) Tj T*\n",
            l.replace('(', "\\(").replace(')', "\\)")
        ));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn pdf_page(bytes: Vec<u8>) -> Page {
    let mut p = Page::html("");
    p.body = bytes;
    p.content_type = "application/pdf".into();
    p
}

#[test]
fn pdf_documents_are_kept_raw_and_recorded_as_text() {
    let f = Fixture::new();
    f.write_config(
        &[
            ("a", "terms-of-service", "/terms.pdf"),
            ("b", "privacy-policy", "/b"),
        ],
        "",
    );
    let pdf = make_pdf(&["Terms of Service", "You may not misuse the service."]);
    f.server.set("/terms.pdf", pdf_page(pdf.clone()));
    f.server
        .set("/b", Page::html("<main><p>Other document.</p></main>"));
    let r = f.check();
    assert_eq!(
        ids(&r, "new_ids"),
        ["a/terms-of-service", "b/privacy-policy"],
        "{r}"
    );
    let text = f.git(&["show", "main:a/terms-of-service.md"]);
    assert!(
        text.contains("Terms of Service") && text.contains("You may not misuse the service."),
        "{text}"
    );
    // The snapshot holds the PDF bytes, byte for byte, as .pdf.
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(f.archive())
        .args(["cat-file", "blob", "snapshots:a/terms-of-service.pdf"])
        .output()
        .expect("git");
    assert_eq!(out.stdout, pdf);
    // A change in the PDF text is a new version.
    f.server.set(
        "/terms.pdf",
        pdf_page(make_pdf(&[
            "Terms of Service",
            "You may not abuse the service.",
        ])),
    );
    assert_eq!(ids(&f.check(), "changed_ids"), ["a/terms-of-service"]);
}

#[test]
fn truncated_and_malformed_pdfs_fail_clearly_and_the_cycle_goes_on() {
    let f = Fixture::new();
    f.write_config(
        &[
            ("t", "terms-of-service", "/t.pdf"),
            ("m", "terms-of-service", "/m.pdf"),
            ("ok", "privacy-policy", "/ok"),
        ],
        "",
    );
    let pdf = make_pdf(&["Some terms that are long enough to matter."]);
    f.server
        .set("/t.pdf", pdf_page(pdf[..pdf.len() / 2].to_vec()));
    f.server.set("/m.pdf", pdf_page(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ngarbage \x00\xff\xfe trailer << /Root 1 0 R >>".to_vec()));
    f.server.set("/ok", Page::html("<main><p>Fine.</p></main>"));
    let out = f.run(&["check", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(ids(&r, "new_ids"), ["ok/privacy-policy"]);
    assert_eq!(
        ids(&r, "error_ids"),
        ["m/terms-of-service", "t/terms-of-service"]
    );
    let log = stderr(&out);
    assert!(
        log.contains("document=m/terms-of-service error=pdf: "),
        "{log}"
    );
    assert!(
        log.contains("document=t/terms-of-service error=pdf: "),
        "{log}"
    );
    // The raw bytes are kept even though no text came out of them.
    assert_eq!(f.count("snapshots"), 3);
    f.fsck();
}

#[test]
fn a_document_of_several_pages_is_one_version() {
    let f = Fixture::new();
    f.write_config(&[], "");
    let url = |p: &str| f.server.url(p);
    let toml = std::fs::read_to_string(f.config_path()).expect("read");
    std::fs::write(
        f.config_path(),
        format!(
            "{toml}\n[[document]]\nplatform = \"chat\"\nkind = \"privacy-policy\"\n\
             [[document.source]]\nurl = \"{}\"\nselect = \"main\"\n\
             [[document.source]]\nurl = \"{}\"\nselect = \"article\"\nremove = \".ad\"\n",
            url("/part1"),
            url("/part2")
        ),
    )
    .expect("write");
    let page1 = |noise: u32, text: &str| {
        Page::html(format!(
            "<nav>n{noise}</nav><main><h1>Privacy, part 1</h1><p>{text}</p></main>"
        ))
    };
    let page2 = |noise: u32, text: &str| {
        Page::html(format!("<article><h2>Part 2</h2><div class=\"ad\">ad {noise}</div><p>{text}</p></article><footer>{noise}</footer>"))
    };
    f.server.set("/part1", page1(1, "We collect data."));
    f.server
        .set("/part2", page2(1, "We share data with partners."));
    let r = f.check();
    assert_eq!(ids(&r, "new_ids"), ["chat/privacy-policy"]);
    assert_eq!(
        f.git(&["show", "main:chat/privacy-policy.md"]),
        "# Privacy, part 1\n\nWe collect data.\n\n## Part 2\n\nWe share data with partners.\n"
    );
    assert_eq!(
        f.git(&["ls-tree", "-r", "--name-only", "snapshots"]),
        "chat/privacy-policy/1.html\nchat/privacy-policy/2.html\n"
    );
    // Noise in either page: no version, and no snapshot (the text is the recorded one).
    f.server.set("/part1", page1(2, "We collect data."));
    f.server
        .set("/part2", page2(3, "We share data with partners."));
    assert_eq!(f.check()["changed"].as_u64(), Some(0));
    assert_eq!((f.count("main"), f.count("snapshots")), (1, 1));
    // A change in either page: exactly one new version.
    f.server
        .set("/part2", page2(3, "We share data with nobody."));
    assert_eq!(ids(&f.check(), "changed_ids"), ["chat/privacy-policy"]);
    f.server.set("/part1", page1(2, "We collect little data."));
    assert_eq!(ids(&f.check(), "changed_ids"), ["chat/privacy-policy"]);
    assert_eq!(f.count("main"), 3);
    let trailers = f.git(&[
        "log",
        "-1",
        "--format=%(trailers:key=Source-URL,valueonly)",
        "snapshots",
    ]);
    assert_eq!(
        trailers.lines().filter(|l| !l.is_empty()).count(),
        2,
        "{trailers}"
    );
    f.fsck();
}

#[test]
fn plain_text_and_json_documents_are_recorded_as_text() {
    let f = Fixture::new();
    f.write_config(
        &[
            ("a", "terms-of-service", "/t.txt"),
            ("b", "privacy-policy", "/p.json"),
        ],
        "",
    );
    let mut t = Page::html("Terms\n\n  You agree   to be nice.  \n");
    t.content_type = "text/plain; charset=utf-8".into();
    f.server.set("/t.txt", t);
    let mut j = Page::html(r#"{"policy":{"retention_days":30,"sharing":false}}"#);
    j.content_type = "application/json".into();
    f.server.set("/p.json", j);
    f.check();
    assert_eq!(
        f.git(&["show", "main:a/terms-of-service.md"]),
        "Terms\n\n  You agree to be nice.\n"
    );
    assert!(f
        .git(&["show", "main:b/privacy-policy.md"])
        .contains("\"retention_days\": 30"));
    assert_eq!(
        f.git(&["ls-tree", "-r", "--name-only", "snapshots"]),
        "a/terms-of-service.txt\nb/privacy-policy.json\n"
    );
    // Same JSON, other spacing: no version.
    let mut j = Page::html("{ \"policy\": { \"retention_days\": 30, \"sharing\": false } }");
    j.content_type = "application/json".into();
    f.server.set("/p.json", j);
    assert_eq!(f.check()["changed"].as_u64(), Some(0));
}
