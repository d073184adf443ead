//! PDF documents: their text, extracted in a child process.
//!
//! PDF parsers meet malformed files in the wild, and a parser can panic, loop or run out of stack
//! on one. So the daemon never parses a PDF itself: it re-executes its own binary as
//! `termtrail pdf-text`, hands it the bytes on stdin, reads the text on stdout, and kills it after
//! a timeout. A bad PDF costs one failed extraction, never the daemon.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Why a PDF gave no text.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The helper process cannot be started.
    #[error("cannot start the PDF text extractor ({exe}): {source}")]
    Spawn {
        /// The executable tried.
        exe: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The PDF could not be read.
    #[error("the PDF cannot be read: {0}")]
    Malformed(String),
    /// The extractor took too long.
    #[error("PDF text extraction took more than {0:?}; the file may be malformed or very large")]
    Timeout(Duration),
    /// This build has no PDF support.
    #[error("this termtrail was built without the `pdf` feature; rebuild with default features")]
    Unsupported,
}

/// Longest time one PDF may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The termtrail executable to run the helper with (see [`crate::self_exe`]).
fn exe() -> std::path::PathBuf {
    crate::self_exe::termtrail_exe().unwrap_or_else(|_| "termtrail".into())
}

/// Extracts the text of a PDF in a child process (blocking; call it from a blocking thread),
/// killed after [`TIMEOUT`] or at `deadline`, whichever comes first.
pub fn to_text(bytes: &[u8], deadline: Option<Instant>) -> Result<String, PdfError> {
    let exe = exe();
    let mut child = Command::new(&exe)
        .arg("pdf-text")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_LOG", "off")
        .spawn()
        .map_err(|source| PdfError::Spawn {
            exe: exe.display().to_string(),
            source,
        })?;
    // Feed stdin and drain stdout/stderr on threads so that no pipe fills up and blocks.
    let mut stdin = child.stdin.take().expect("stdin was piped");
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().expect("stdout was piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let mut stderr = child.stderr.take().expect("stderr was piped");
    let err_reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stderr.read_to_string(&mut out);
        out
    });
    let start = Instant::now();
    let limit = deadline.map_or(TIMEOUT, |d| d.saturating_duration_since(start).min(TIMEOUT));
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PdfError::Timeout(limit));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = writer.join();
    let out = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let reason = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("the extractor crashed")
            .trim();
        return Err(PdfError::Malformed(reason.to_owned()));
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The `pdf-text` helper: PDF on stdin, text on stdout, exit 1 with a message on failure.
pub fn helper_main() -> i32 {
    let mut input = Vec::new();
    if std::io::stdin().read_to_end(&mut input).is_err() {
        eprintln!("cannot read the PDF from stdin");
        return 1;
    }
    match extract(&input) {
        Ok(text) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

#[cfg(feature = "pdf")]
fn extract(bytes: &[u8]) -> Result<String, PdfError> {
    // A panic inside the parser is reported as a malformed file; the process ends either way.
    std::panic::set_hook(Box::new(|_| {}));
    match std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes)) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(PdfError::Malformed(e.to_string())),
        Err(_) => Err(PdfError::Malformed(
            "the PDF parser failed on this file".into(),
        )),
    }
}

#[cfg(not(feature = "pdf"))]
fn extract(_bytes: &[u8]) -> Result<String, PdfError> {
    Err(PdfError::Unsupported)
}
