//! The termtrail executable to re-execute for helper processes (the PDF helper, plugin hosts):
//! `TERMTRAIL_EXE` when set (a program embedding termtrail names the real binary), else this
//! process's own executable.

use std::path::PathBuf;

/// The executable to run `termtrail pdf-text` or `termtrail plugin-host` with.
pub fn termtrail_exe() -> std::io::Result<PathBuf> {
    match std::env::var_os("TERMTRAIL_EXE") {
        Some(exe) if !exe.is_empty() => Ok(PathBuf::from(exe)),
        _ => std::env::current_exe(),
    }
}
