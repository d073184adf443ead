//! The `termtrail` binary: parse the command line, run it, report errors with their causes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // First, before any thread: libgit2's process-wide set-up (archive/libgit2.rs) and the
    // allocator's arenas (memory.rs).
    termtrail::archive::libgit2::start();
    termtrail::memory::limit_arenas();
    let cli = termtrail::cli::Cli::parse();
    match termtrail::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`termtrail log | head`) is not a failure.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(termtrail::commands::exit_code(&e))
        }
    }
}
