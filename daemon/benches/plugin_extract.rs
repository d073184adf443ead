//! The cost of one plugin extraction in process versus in an isolated plugin host (a child
//! process, JSON over pipes), on a synthetic 60 KB policy page in the OpenAI layout.
//!
//! ```sh
//! cargo build --release --workspace      # the plugin libraries, beside target/release/termtrail
//! cargo bench -p termtrail --bench plugin_extract
//! ```
//!
//! `harness = false`: prints the median and the 90th percentile of each mode.

use std::time::{Duration, Instant};

use termtrail::plugin::{library_file_name, Isolation, LoadedPlugin, PluginSettings};
use termtrail_extract::policy::request_for;

const RUNS: usize = 40;

/// A policy page written for this benchmark: navigation, cookie banner, build ids and tracking
/// links around an article of `paragraphs` clauses.
fn page(paragraphs: usize) -> String {
    let mut html = String::from(
        r#"<html><head><title>Privacy policy</title></head><body><header><nav><a href="/research">Research</a><a href="/products">Products</a></nav></header><main><article><h1>Privacy policy</h1><p>Last updated: March 3, 2026</p>"#,
    );
    for i in 0..paragraphs {
        if i % 10 == 0 {
            html.push_str(&format!("<h2>Section {}</h2>", i / 10 + 1));
        }
        html.push_str(&format!(
            "<p>Clause {i}. We collect and use the information described in this section to provide, maintain and improve the services, and we keep it only as long as needed. See <a href=\"/policies/{i}?utm_source=bench&amp;fbclid=x{i}\">details</a>.</p>"
        ));
    }
    html.push_str(r#"</article></main><div id="onetrust-consent-sdk"><p>We use cookies.</p></div><script>window.__BUILD__="b1"</script></body></html>"#);
    html
}

fn percentile(mut v: Vec<Duration>, p: usize) -> Duration {
    v.sort();
    v[(v.len() - 1) * p / 100]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // The isolated mode re-executes this binary as the plugin host.
    if args.get(1).map(String::as_str) == Some("plugin-host") {
        termtrail::plugin::serve_command_line(&args[2..]).expect("plugin host");
        return;
    }
    let dir = termtrail::plugin::default_dir();
    let lib = dir.join(library_file_name("openai"));
    assert!(
        lib.is_file(),
        "{} is missing: build the plugins first (`cargo build --release --workspace`)",
        lib.display()
    );
    let html = page(400);
    let request = request_for(
        "privacy-policy",
        "https://openai.com/policies/row-privacy-policy/",
        &html,
    );
    println!(
        "one extraction of a {} KB page by the openai plugin ({RUNS} runs each):",
        html.len() / 1000
    );
    let mut medians = Vec::new();
    for isolation in [Isolation::None, Isolation::Process] {
        let settings = PluginSettings {
            dirs: vec![dir.clone()],
            isolation: Some(isolation),
            ..PluginSettings::default()
        };
        let plugin = LoadedPlugin::load("openai", &settings).expect("the openai plugin loads");
        // Warm-up: page-ins, allocator, the host's first call.
        plugin.extract(&request).expect("extracts");
        let times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                plugin.extract(&request).expect("extracts");
                t.elapsed()
            })
            .collect();
        let median = percentile(times.clone(), 50);
        println!(
            "  isolation = {:<8} median {:>10.3?}  p90 {:>10.3?}",
            format!("\"{isolation}\""),
            median,
            percentile(times, 90)
        );
        medians.push(median);
    }
    println!(
        "  isolation overhead: {:.3?} per extraction",
        medians[1].saturating_sub(medians[0])
    );
}
