//! A webhook receiver on 127.0.0.1: records each request (headers and exact body), checks the
//! `X-Termtrail-Signature` HMAC when given a secret, and answers 200 or, on demand, 500. It can be
//! taken down (the port then refuses connections) and brought back on the same port.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

#[derive(Default)]
struct Shared {
    requests: Vec<Request>,
    failing: bool,
    bad_signatures: usize,
}

pub struct Receiver {
    pub addr: SocketAddr,
    secret: Option<String>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn valid_signature(secret: &str, body: &[u8], header: Option<&String>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    // verify_slice compares in constant time, as receivers should.
    mac.verify_slice(&sig).is_ok()
}

fn handle(mut stream: TcpStream, secret: Option<&str>, shared: &Mutex<Shared>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let status = {
        let mut s = shared.lock().expect("lock");
        if let Some(secret) = secret {
            if !valid_signature(secret, &body, headers.get("x-termtrail-signature")) {
                s.bad_signatures += 1;
            }
        }
        if s.failing {
            500
        } else {
            s.requests.push(Request {
                path,
                headers,
                body,
            });
            200
        }
    };
    let reason = if status == 200 {
        "OK"
    } else {
        "Internal Server Error"
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

impl Receiver {
    pub fn start(secret: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let mut r = Self {
            addr: listener.local_addr().expect("addr"),
            secret: secret.map(str::to_owned),
            shared: Arc::default(),
            stop: Arc::default(),
            thread: None,
        };
        r.serve(listener);
        r
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).expect("nonblocking");
        let (secret, shared) = (self.secret.clone(), self.shared.clone());
        self.stop = Arc::new(AtomicBool::new(false));
        let stop = self.stop.clone();
        self.thread = Some(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).expect("blocking");
                        handle(stream, secret.as_deref(), &shared);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }));
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answer 500 (true) or 200 (false) from now on.
    pub fn set_failing(&self, failing: bool) {
        self.shared.lock().expect("lock").failing = failing;
    }

    /// Closes the port: connections are refused until [`Receiver::up`].
    pub fn down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("receiver thread");
        }
    }

    /// Listens again on the same port.
    pub fn up(&mut self) {
        let listener = TcpListener::bind(self.addr).expect("rebind the same port");
        self.serve(listener);
    }

    /// Requests accepted (answered 200), in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().expect("lock").requests.clone()
    }

    pub fn bad_signatures(&self) -> usize {
        self.shared.lock().expect("lock").bad_signatures
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.down();
    }
}
