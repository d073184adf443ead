//! Links the `termtrail` executable with packed relative relocations (`DT_RELR`) where the C
//! library can load them.
//!
//! A position-independent executable is relocated at every start: with the classic table
//! (`.rela.dyn`, 24 bytes per pointer) the loader reads 1.8 MB of it, and those pages stay in the
//! process's RSS, a sixteenth of a `check` of 200 documents. The packed table is 25 KB for the
//! same pointers. The executable stays position-independent (ASLR is kept). glibc loads packed
//! relocations from 2.36, and a binary linked with them refuses to start on an older one, so
//! they are asked for only when the build machine's glibc is 2.36 or later and the build is not
//! a cross build; otherwise the link is unchanged. See `docs/benchmarks.md`, "Sixth pass".

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target != host || !target.ends_with("-linux-gnu") {
        return;
    }
    if glibc_version().is_some_and(|v| v >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        // Lets the end-to-end test check that the executable was linked so.
        println!("cargo:rustc-env=TERMTRAIL_PACKED_RELOCS=1");
    }
}

/// The version of the build machine's glibc, from `ldd --version` ("ldd (GNU libc) 2.36").
fn glibc_version() -> Option<(u32, u32)> {
    let out = Command::new("ldd").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next()?;
    let version = first.rsplit(' ').next()?;
    let (major, minor) = version.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}
