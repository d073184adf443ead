//! How extraction time grows with the nesting depth and the size of hostile pages: `<div>`s
//! nested 1,000 to 100,000 levels around a policy paragraph, paragraphs nested in sections, and a
//! flat page matched thousands of times by a `select` rule; by rules, zero-config and the
//! plugins' shared extractor. Linear growth is the point: ten times the depth should cost about
//! ten times the time, not a hundred.
//!
//! `cargo bench -p termtrail --bench deep_nesting`
//!
//! `harness = false`: prints the median of 5 runs of each case, run on a 2 MiB thread (the stack
//! of tokio's blocking threads, where the daemon extracts).

use std::time::{Duration, Instant};

use termtrail_extract::policy::{extract_policy, PolicyLayout};
use termtrail_extract::{Extractor, RuleSpec};
use url::Url;

const RUNS: usize = 5;

fn divs(levels: usize) -> String {
    format!(
        "<html><body><main><h1>Deep policy</h1>{}<p>We keep your data for thirty days, then \
         delete it, unless the law requires us to keep it longer.</p><p>You may ask us for a \
         copy of your data, or to correct it, at any time.</p>{}</main></body></html>",
        "<div>".repeat(levels),
        "</div>".repeat(levels)
    )
}

fn sections(levels: usize) -> String {
    format!(
        "<html><body><main>{}</main></body></html>",
        "<section><h2>Clause</h2><p>We keep your data for thirty days.</p>".repeat(levels)
    )
}

fn flat(paragraphs: usize) -> String {
    let mut html = String::from("<html><body><main><h1>Terms</h1>");
    for i in 0..paragraphs {
        html.push_str(&format!(
            "<p>Clause {i}: we keep your data for thirty days.</p>"
        ));
    }
    html.push_str("</main></body></html>");
    html
}

fn median(page: &str, run: fn(&str) -> bool) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let page = page.to_owned();
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    let start = Instant::now();
                    assert!(run(&page), "the extraction failed");
                    start.elapsed()
                })
                .expect("thread starts")
                .join()
                .expect("no panic, no overflow")
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn base() -> Url {
    Url::parse("https://example.org/privacy").expect("valid")
}

fn rules(page: &str) -> bool {
    Extractor::new(&[RuleSpec::Css("main".into())], &[])
        .expect("compiles")
        .extract(page, &base())
        .is_ok()
}

fn auto(page: &str) -> bool {
    Extractor::new(&[], &[])
        .expect("compiles")
        .extract(page, &base())
        .is_ok()
}

fn plugin(page: &str) -> bool {
    let layout = PolicyLayout {
        main: &["main article", "main"],
        remove: &[],
    };
    extract_policy(page, &base(), &layout).is_ok()
}

fn every_p(page: &str) -> bool {
    Extractor::new(&[RuleSpec::Css("p".into())], &[])
        .expect("compiles")
        .extract(page, &base())
        .is_ok()
}

fn main() {
    println!("| page | size | rules | zero-config | plugin extractor |");
    println!("|---|---|---|---|---|");
    for levels in [1_000, 10_000, 20_000, 100_000] {
        let page = divs(levels);
        println!(
            "| {levels} nested `<div>` | {} KB | {:.1} ms | {:.1} ms | {:.1} ms |",
            page.len() / 1000,
            median(&page, rules).as_secs_f64() * 1e3,
            median(&page, auto).as_secs_f64() * 1e3,
            median(&page, plugin).as_secs_f64() * 1e3,
        );
    }
    for levels in [10_000, 100_000] {
        let page = sections(levels);
        println!(
            "| {levels} nested `<section>` with a paragraph each | {} KB | {:.1} ms | {:.1} ms | {:.1} ms |",
            page.len() / 1000,
            median(&page, rules).as_secs_f64() * 1e3,
            median(&page, auto).as_secs_f64() * 1e3,
            median(&page, plugin).as_secs_f64() * 1e3,
        );
    }
    for paragraphs in [10_000, 100_000] {
        let page = flat(paragraphs);
        println!(
            "| {paragraphs} flat paragraphs, `select = \"p\"` | {} KB | {:.1} ms | | |",
            page.len() / 1000,
            median(&page, every_p).as_secs_f64() * 1e3,
        );
    }
}
