//! The summary a migration prints: what was written, what could not be carried over, and per
//! document what the import did, as a Markdown table (readable on a terminal, pasteable in a note).

use std::fmt::Write as _;

use super::replay::DocumentReport;
use super::run::Summary;

fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |s| format!("{s:.3}"))
}

/// The per-document table, with a total row.
pub fn table(reports: &[DocumentReport]) -> String {
    let mut out = String::from(
        "| document | OTA fetches | imported now | already imported | new versions | held | errors | versions | OTA versions | similarity to OTA |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut total = DocumentReport::default();
    let mut sims = Vec::new();
    for r in reports {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            r.fetches,
            r.imported,
            r.already,
            r.new_versions,
            r.held,
            r.errors.len(),
            r.versions,
            r.ota_versions
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            cell(r.similarity)
        );
        total.fetches += r.fetches;
        total.imported += r.imported;
        total.already += r.already;
        total.new_versions += r.new_versions;
        total.held += r.held;
        total.versions += r.versions;
        total.errors.extend(r.errors.iter().cloned());
        if let Some(n) = r.ota_versions {
            *total.ota_versions.get_or_insert(0) += n;
        }
        sims.extend(r.similarity);
    }
    let mean = (!sims.is_empty()).then(|| sims.iter().sum::<f64>() / sims.len() as f64);
    let min = sims.iter().copied().reduce(f64::min);
    let _ = writeln!(
        out,
        "| **total** | {} | {} | {} | {} | {} | {} | {} | {} | {}{} |",
        total.fetches,
        total.imported,
        total.already,
        total.new_versions,
        total.held,
        total.errors.len(),
        total.versions,
        total
            .ota_versions
            .map_or_else(|| "-".to_owned(), |n| n.to_string()),
        cell(mean),
        min.map_or_else(String::new, |m| format!(" (min {m:.3})"))
    );
    out
}

/// The whole summary: the config written, the warnings, the table and the import errors.
pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} with {} document(s){}.",
        if summary.written {
            "Wrote"
        } else {
            "Unchanged:"
        },
        summary.output.display(),
        summary.documents,
        if summary.left_out > 0 {
            format!(", {} left out (see the warnings)", summary.left_out)
        } else {
            String::new()
        }
    );
    if !summary.warnings.is_empty() {
        let _ = writeln!(
            out,
            "\n{} thing(s) not carried over:",
            summary.warnings.len()
        );
        for w in &summary.warnings {
            let _ = writeln!(out, "  warning: {w}");
        }
    }
    if !summary.reports.is_empty() {
        out.push('\n');
        out.push_str(&table(&summary.reports));
        let errors: Vec<String> = summary
            .reports
            .iter()
            .flat_map(|r| r.errors.iter().map(move |e| format!("{}: {e}", r.id)))
            .collect();
        if !errors.is_empty() {
            let _ = writeln!(out, "\n{} capture(s) not imported:", errors.len());
            for e in errors {
                let _ = writeln!(out, "  {e}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_row_per_document_and_totals() {
        let reports = vec![
            DocumentReport {
                id: "acme/privacy-policy".into(),
                fetches: 4,
                imported: 4,
                new_versions: 2,
                versions: 2,
                ota_versions: Some(2),
                similarity: Some(0.98),
                ..DocumentReport::default()
            },
            DocumentReport {
                id: "acme/terms-of-service".into(),
                fetches: 3,
                already: 3,
                versions: 1,
                errors: vec!["2025-01-01T00:00:00Z: boom".into()],
                ota_versions: Some(1),
                similarity: Some(0.90),
                ..DocumentReport::default()
            },
        ];
        let t = table(&reports);
        assert!(
            t.contains("| `acme/privacy-policy` | 4 | 4 | 0 | 2 | 0 | 0 | 2 | 2 | 0.980 |"),
            "{t}"
        );
        assert!(
            t.contains("| **total** | 7 | 4 | 3 | 2 | 0 | 1 | 3 | 3 | 0.940 (min 0.900) |"),
            "{t}"
        );
    }
}
