//! How long the change summary of a 300 KB policy takes (counts, sections, excerpts, topics,
//! cosmetic check, unified diff), the provision-level summary of the same change (matching,
//! classes, topics, word diffs), and the replay of a 40-version history that gives provision ids.
//! Prints the median and the worst of several runs.
//!
//! `cargo bench -p termtrail --bench summary`

use std::time::{Duration, Instant};

use termtrail::provisions::{changes, Lineage};
use termtrail::summary::{summarise, unified_diff, Taxonomy};

fn median_worst(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    (
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
    )
}

/// CPU time of this thread: on a busy machine the wall time also counts the waits for a core.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Runs `f` `n` times: (wall median, wall worst, CPU median) in ms.
fn measure(n: usize, mut f: impl FnMut()) -> (f64, f64, f64) {
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..n {
        let (start, start_cpu) = (Instant::now(), thread_cpu());
        f();
        wall.push(start.elapsed());
        cpu.push(thread_cpu() - start_cpu);
    }
    let (median, worst) = median_worst(wall);
    (median, worst, median_worst(cpu).0)
}

fn policy(bytes: usize) -> String {
    let mut s = String::from("# Terms of use\n\n");
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!("## Section {i}: obligations and rights\n\n"));
        for j in 0..6 {
            s.push_str(&format!(
                "Clause {i}.{j}: we may process, retain and share the information you provide \
                 with service providers for the purposes described in section {}. ",
                (i * 7 + j) % 97
            ));
        }
        s.push_str("\n\n");
        i += 1;
    }
    s
}

fn main() {
    let old = policy(300_000);
    // A realistic update: a few clauses edited, one section added, one removed, one moved word.
    let new = old
        .replace("Clause 10.2:", "Clause 10.2 (amended):")
        .replace(
            "## Section 120: obligations and rights\n",
            "## Section 120: obligations and rights\n\nWe will train our models on your content unless you opt out.\n",
        )
        .replace("Clause 250.4: we may process", "Clause 250.4: we shall process")
        .replace("## Section 260: obligations and rights\n", "## Section 260b: obligations\n");
    let taxonomy = Taxonomy::default();
    let (median, worst, cpu) = measure(9, || {
        let s = summarise(Some(&old), &new, &taxonomy);
        let (d, _) = unified_diff(&old, &new, "x/terms-of-use.md", 64 * 1024);
        std::hint::black_box((s, d));
    });
    let s = summarise(Some(&old), &new, &taxonomy);
    println!(
        "summary of a {} KB policy ({} changed sections, topics {:?}): median {median:.1} ms (CPU {cpu:.1} ms), worst {worst:.1} ms over 9 runs",
        old.len() / 1000,
        s.sections.len(),
        s.topics,
    );
    let (median, worst, cpu) = measure(9, || {
        std::hint::black_box(changes::summarise(Some(&old), &new, &taxonomy));
    });
    let p = changes::summarise(Some(&old), &new, &taxonomy);
    println!(
        "provision summary of the same change ({} provisions changed, class {}, topics {:?}): median {median:.1} ms (CPU {cpu:.1} ms), worst {worst:.1} ms over 9 runs",
        p.provisions.len(),
        p.class.as_str(),
        p.topics,
    );
    // A history of 40 versions, each a few clauses edited: what ids for the last one cost.
    let mut versions = vec![old.clone()];
    for v in 1..40 {
        let prev = versions.last().expect("one version at least").clone();
        versions.push(
            prev.replace(
                &format!("Clause {}.1:", v * 9),
                &format!("Clause {}.1 (rev {v}):", v * 9),
            )
            .replace(
                &format!("Clause {}.3: we may", v * 13),
                &format!("Clause {}.3: we will", v * 13),
            ),
        );
    }
    let (median, worst, cpu) = measure(3, || {
        let mut l = Lineage::new("bench/terms-of-use");
        for (i, text) in versions.iter().enumerate() {
            l.advance(&format!("{i:040}"), i as i64, text, None);
        }
        std::hint::black_box(l.provisions().len());
    });
    println!(
        "provision ids of version 40 of the same policy (replay from the first version): median {median:.0} ms (CPU {cpu:.0} ms), worst {worst:.0} ms over 3 runs ({:.1} ms per version)",
        median / versions.len() as f64
    );
    // Identical large texts with only whitespace changed: the cosmetic path.
    let spaced = old.replace(". Clause", ".  Clause");
    let (median, _, cpu) = measure(3, || {
        std::hint::black_box(summarise(Some(&old), &spaced, &taxonomy));
    });
    let c = summarise(Some(&old), &spaced, &taxonomy);
    println!(
        "summary of a whitespace-only change of the same policy (class {}): median {median:.1} ms (CPU {cpu:.1} ms) over 3 runs",
        c.class.as_str(),
    );
}
