use std::path::Path;

use super::*;

/// One mapping of a synthetic smaps text: header, then `Rss`, `Anonymous` (when given) and
/// `Private_Dirty`.
fn mapping(header: &str, rss_kb: usize, anonymous_kb: Option<usize>, dirty_kb: usize) -> String {
    let mut s = format!("{header}\nSize:               64 kB\nRss:       {rss_kb:8} kB\n");
    s.push_str(&format!("Private_Dirty:  {dirty_kb:8} kB\n"));
    if let Some(a) = anonymous_kb {
        s.push_str(&format!("Anonymous:      {a:8} kB\n"));
    }
    s.push_str("VmFlags: rd ex mr mw me dw\n");
    s
}

/// Which mappings are dropped, by their start address.
fn check(mappings: &[(&str, usize, Option<usize>, usize)], expect: &[usize]) {
    let smaps: String = mappings
        .iter()
        .map(|(h, rss, anon, dirty)| mapping(h, *rss, *anon, *dirty))
        .collect();
    let found: Vec<usize> = droppable(&smaps, Some(Path::new("/opt/tt/termtrail")))
        .iter()
        .map(|m| m.start)
        .collect();
    assert_eq!(found, expect, "{smaps}");
}

#[test]
fn only_clean_read_only_copies_of_code_files_are_dropped() {
    check(
        &[
            // The executable's code, clean: dropped.
            (
                "1000-3000 r-xp 00001000 fe:01 42 /opt/tt/termtrail",
                8,
                Some(0),
                0,
            ),
            // Its relocated read-only data: anonymous pages, kept.
            (
                "3000-5000 r--p 00003000 fe:01 42 /opt/tt/termtrail",
                8,
                Some(4),
                0,
            ),
            // Its read-only data without relocations: dropped.
            (
                "5000-6000 r--p 00005000 fe:01 42 /opt/tt/termtrail",
                4,
                Some(0),
                0,
            ),
            // Its writable data: kept.
            (
                "6000-7000 rw-p 00006000 fe:01 42 /opt/tt/termtrail",
                4,
                Some(4),
                4,
            ),
            // A library's code: dropped; with a dirty page, or no Anonymous line: kept.
            (
                "a000-b000 r-xp 00000000 fe:01 7 /usr/lib/x86_64-linux-gnu/libc.so.6",
                4,
                Some(0),
                0,
            ),
            (
                "b000-c000 r-xp 00000000 fe:01 8 /usr/lib/libz.so",
                4,
                Some(0),
                4,
            ),
            (
                "c000-d000 r-xp 00000000 fe:01 9 /usr/lib/libm.so.6",
                4,
                None,
                0,
            ),
            // Nothing resident: nothing to drop.
            (
                "d000-e000 r-xp 00000000 fe:01 10 /usr/lib/libgcc_s.so.1",
                0,
                Some(0),
                0,
            ),
            // A pack window (shared), a data file, the heap, the vdso: kept.
            (
                "e000-f000 r--s 00000000 fe:01 11 /srv/archive/objects/pack/pack-1.idx",
                4,
                Some(0),
                0,
            ),
            (
                "f000-10000 r--p 00000000 fe:01 12 /srv/archive/termtrail-state.json",
                4,
                Some(0),
                0,
            ),
            ("10000-11000 rw-p 00000000 00:00 0 [heap]", 4, Some(4), 4),
            ("11000-12000 r-xp 00000000 00:00 0 [vdso]", 4, Some(0), 0),
            // A library of another name than `.so`: kept.
            (
                "12000-13000 r-xp 00000000 fe:01 13 /usr/lib/libfoo.dylib",
                4,
                Some(0),
                0,
            ),
        ],
        &[0x1000, 0x5000, 0xa000],
    );
}

#[test]
fn unreadable_lines_are_skipped() {
    let smaps = "garbage\nRss: 12 kB\n1000-3000 r-xp 00001000 fe:01 42 /opt/tt/termtrail\n\
                 Rss: x kB\nAnonymous: 0 kB\nzz-yy r-xp 0 0 0\n";
    assert_eq!(
        droppable(smaps, Some(Path::new("/opt/tt/termtrail"))),
        Vec::new(),
        "no readable Rss"
    );
}

/// The resident bytes of this test binary's code mappings.
fn resident_code() -> usize {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
    let exe = std::fs::read_link("/proc/self/exe").expect("exe");
    let exe = exe.to_str().expect("UTF-8 path");
    let mut total = 0;
    let mut ours = false;
    for line in smaps.lines() {
        if let Some(h) = header(line) {
            ours = h.perms == "r-xp" && h.path == Some(exe);
        } else if let (true, Some(("Rss", kb))) = (ours, field(line)) {
            total += kb * 1024;
        }
    }
    total
}

trait Greeting {
    fn greet(&self, n: usize) -> String;
}

struct English;

impl Greeting for English {
    fn greet(&self, n: usize) -> String {
        format!("hello #{n}")
    }
}

/// Relocated data (vtables, pointers in statics) lives in anonymous pages: were it dropped, the
/// next call through it would jump to an address read raw from the file.
static GREETERS: &[&(dyn Greeting + Sync)] = &[&English, &English];

#[test]
fn the_process_runs_on_after_its_code_is_released() {
    let before: Vec<String> = GREETERS.iter().map(|g| g.greet(1)).collect();
    assert!(resident_code() > 0, "the test's code is resident");
    // What comes back on the next touch is the kernel's choice (it may map a whole large folio
    // per fault), so the drop in RSS is measured by `daemon_memory`, not here: this shows that
    // the pages released were resident, and that code, vtables and statics work as before.
    let released = release_code().expect("smaps readable");
    assert!(released > 0);
    let again: Vec<String> = GREETERS.iter().map(|g| g.greet(1)).collect();
    assert_eq!(again, before);
    assert_eq!(format!("{:?}", [1.5f64, 2.25]), "[1.5, 2.25]");
}
