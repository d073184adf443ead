//! A raw TCP server on 127.0.0.1 (port 0) that answers each path with what an HTTP server
//! library would never write: malformed status lines and headers, connections reset in the middle
//! of a body, bodies trickled slower than any timeout, endless bodies. One thread per connection;
//! every answer closes its connection.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How one path answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// These bytes, then the connection is closed.
    Bytes(Vec<u8>),
    /// These bytes (headers and the start of a body), then a TCP reset.
    ResetAfter(Vec<u8>),
    /// These headers, then the body `chunk` every `every`, for ever (until the client goes).
    Trickle {
        head: Vec<u8>,
        chunk: Vec<u8>,
        every: Duration,
    },
    /// These headers, then `total` bytes of `byte` as fast as the client reads.
    Endless {
        head: Vec<u8>,
        byte: u8,
        total: usize,
    },
}

/// A running raw server; its threads stop when it is dropped (the listener is woken and closed).
pub struct RawServer {
    pub addr: SocketAddr,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    stop: Arc<AtomicBool>,
}

fn request_path(stream: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    // The rest of the request head.
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim().is_empty() {
            break;
        }
    }
    Some(path)
}

/// Sends a TCP RST instead of a FIN when the stream is closed.
fn reset_on_close(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket this process owns, with a valid `linger` of the right size.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

fn answer(mut stream: TcpStream, answer: Answer) {
    let _ = match answer {
        Answer::Bytes(b) => stream.write_all(&b),
        Answer::ResetAfter(b) => {
            let r = stream.write_all(&b).and_then(|()| stream.flush());
            // Let the bytes leave before the reset discards what is unsent.
            std::thread::sleep(Duration::from_millis(200));
            reset_on_close(&stream);
            r
        }
        Answer::Trickle { head, chunk, every } => (|| {
            stream.write_all(&head)?;
            loop {
                std::thread::sleep(every);
                stream.write_all(&chunk)?;
            }
        })(),
        Answer::Endless { head, byte, total } => (|| {
            stream.write_all(&head)?;
            let block = vec![byte; 64 * 1024];
            let mut sent = 0;
            while sent < total {
                let n = block.len().min(total - sent);
                stream.write_all(&block[..n])?;
                sent += n;
            }
            Ok(())
        })(),
    };
}

impl RawServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("addr");
        let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (a, h, s) = (answers.clone(), hits.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (a, h) = (a.clone(), h.clone());
                std::thread::spawn(move || {
                    let Some(path) = request_path(&stream) else {
                        return;
                    };
                    *h.lock().expect("lock").entry(path.clone()).or_default() += 1;
                    let found = a.lock().expect("lock").get(&path).cloned();
                    match found {
                        Some(a) => answer(stream, a),
                        None => answer(
                            stream,
                            Answer::Bytes(
                                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
                            ),
                        ),
                    }
                });
            }
        });
        Self {
            addr,
            answers,
            hits,
            stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, path: &str, answer: Answer) {
        self.answers
            .lock()
            .expect("lock")
            .insert(path.to_owned(), answer);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .expect("lock")
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}
