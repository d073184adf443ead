//! A fixture HTTP server on 127.0.0.1 (port 0) serving synthetic pages that tests change between
//! runs. Shared by the end-to-end tests and the benchmark.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;

/// How one path answers.
#[derive(Debug, Clone)]
pub struct Page {
    pub body: Vec<u8>,
    pub content_type: String,
    pub status: u16,
    /// Answer 304 to a matching `If-None-Match`.
    pub etag: bool,
    /// Wait this long before answering.
    pub delay: Duration,
    /// Extra response headers.
    pub headers: Vec<(String, String)>,
    /// After this many requests, switch to `then` (to fail a few times, then recover).
    pub fail_first: usize,
    pub then: Option<Box<Page>>,
    /// Answer with this page (a bot challenge) unless the request carries `cookie`.
    pub challenge: Option<(String, Box<Page>)>,
}

impl Page {
    pub fn html(body: impl Into<String>) -> Self {
        Self {
            body: body.into().into_bytes(),
            content_type: "text/html; charset=utf-8".into(),
            status: 200,
            etag: false,
            delay: Duration::ZERO,
            headers: Vec::new(),
            fail_first: 0,
            then: None,
            challenge: None,
        }
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn with_etag(mut self) -> Self {
        self.etag = true;
        self
    }

    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    /// Answers with `challenge` to requests without the cookie `cookie`.
    pub fn behind_challenge(mut self, cookie: &str, challenge: Page) -> Self {
        self.challenge = Some((cookie.into(), Box::new(challenge)));
        self
    }

    /// Answers as `self` for the first `n` requests, then as `then`.
    pub fn then_after(mut self, n: usize, then: Page) -> Self {
        self.fail_first = n;
        self.then = Some(Box::new(then));
        self
    }
}

#[derive(Default)]
struct Site {
    pages: Mutex<HashMap<String, Page>>,
    hits: Mutex<HashMap<String, usize>>,
    starts: Mutex<Vec<(String, Instant)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    not_modified: AtomicUsize,
}

/// A running fixture server; stops when dropped (its runtime is dropped).
pub struct Server {
    pub addr: SocketAddr,
    site: Arc<Site>,
    _rt: tokio::runtime::Runtime,
}

fn etag_of(body: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    format!("\"{:016x}\"", h.finish())
}

async fn serve(State(site): State<Arc<Site>>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_owned();
    let n = {
        let mut hits = site.hits.lock().expect("lock");
        let n = hits.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    site.starts
        .lock()
        .expect("lock")
        .push((path.clone(), Instant::now()));
    let now = site.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    site.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let page = site.pages.lock().expect("lock").get(&path).cloned();
    let response = match page {
        None => Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .expect("valid"),
        Some(mut page) => {
            if page.then.is_some() && n > page.fail_first {
                page = *page.then.take().expect("checked");
            }
            if let Some((cookie, challenge)) = page.challenge.take() {
                let has = headers
                    .get(header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|c| c.contains(cookie.as_str()));
                if !has {
                    page = *challenge;
                }
            }
            if !page.delay.is_zero() {
                tokio::time::sleep(page.delay).await;
            }
            let etag = etag_of(&page.body);
            if page.etag
                && headers
                    .get(header::IF_NONE_MATCH)
                    .and_then(|v| v.to_str().ok())
                    == Some(etag.as_str())
            {
                site.not_modified.fetch_add(1, Ordering::SeqCst);
                Response::builder()
                    .status(304)
                    .header(header::ETAG, etag)
                    .body(Body::empty())
                    .expect("valid")
            } else {
                let mut b = Response::builder()
                    .status(StatusCode::from_u16(page.status).expect("valid status"))
                    .header(header::CONTENT_TYPE, page.content_type.clone());
                if page.etag {
                    b = b.header(header::ETAG, etag);
                }
                for (k, v) in &page.headers {
                    b = b.header(k.as_str(), v.as_str());
                }
                b.body(Body::from(page.body)).expect("valid")
            }
        }
    };
    site.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

impl Server {
    pub fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let site = Arc::new(Site::default());
        let app = axum::Router::new().fallback(serve).with_state(site.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("addr");
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            addr,
            site,
            _rt: rt,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, path: &str, page: Page) {
        self.site
            .pages
            .lock()
            .expect("lock")
            .insert(path.into(), page);
        self.site.hits.lock().expect("lock").remove(path);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.site
            .hits
            .lock()
            .expect("lock")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn starts(&self) -> Vec<(String, Instant)> {
        self.site.starts.lock().expect("lock").clone()
    }

    pub fn max_in_flight(&self) -> usize {
        self.site.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn not_modified(&self) -> usize {
        self.site.not_modified.load(Ordering::SeqCst)
    }

    pub fn reset_counters(&self) {
        self.site.starts.lock().expect("lock").clear();
        self.site.max_in_flight.store(0, Ordering::SeqCst);
        self.site.not_modified.store(0, Ordering::SeqCst);
        self.site.hits.lock().expect("lock").clear();
    }
}

/// About the length of [`policy_page`]'s head and footer, in bytes.
const POLICY_PAGE_HEAD: usize = 700;

/// A synthetic policy page of about `size` bytes: navigation, a cookie banner, a per-request
/// token, an ad, and the policy itself in `<main>`. `noise` changes only what is outside the
/// policy text; `revision` changes the policy text.
pub fn policy_page(doc: usize, revision: usize, noise: usize, size: usize) -> String {
    let mut html = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Policy {doc}</title>
<script>window.__TOKEN__="{noise:08x}-{doc}";window.__BUILD__="b{noise}";</script>
<link rel="stylesheet" href="/static/app.{noise:x}.css"></head>
<body><nav class="nav-{noise}"><a href="/?sid={noise}">Home</a> <a href="/products">Products</a></nav>
<div class="cookie-banner" id="cb-{noise}">We use cookies. <button>Accept</button></div>
<aside class="ad">Advertisement {noise}: buy now, rendered at {noise} ms</aside>
<main><article><h1>Privacy Policy {doc}</h1><p class="updated">Revision {revision}</p>
"#
    );
    // The policy's length depends on `size` only: measured against the page head, it would lose
    // a section whenever the noise gained a digit, a real change of its text.
    let mut policy = String::new();
    let mut section = 0;
    while policy.len() + POLICY_PAGE_HEAD < size {
        section += 1;
        policy.push_str(&format!(
            "<h2 id=\"s{section}\">Section {section}</h2>\n<p>We collect information you provide when you use service {doc}. \
             This clause {section} explains how we use, store and share that information with partners, \
             how long we keep it, and the choices you have. <a href=\"/privacy#s{section}\">Read more</a>.</p>\n\
             <ul><li>Data category {section}.a</li><li>Data category {section}.b</li></ul>\n"
        ));
    }
    html.push_str(&policy);
    html.push_str(&format!(
        "</article></main><footer>© 2026 · page generated {noise} · <a href=\"/legal?ref={noise}\">Legal</a></footer></body></html>\n"
    ));
    html
}

#[test]
fn policy_page_text_does_not_depend_on_the_noise() {
    let main = |noise| {
        let page = policy_page(3, 1, noise, 40_000);
        let start = page.find("<main>").expect("main opens");
        let end = page.find("</main>").expect("main closes");
        page[start..end].to_owned()
    };
    // One digit or eight more in the noise: the same policy.
    assert_eq!(main(9), main(10));
    assert_eq!(main(9), main(123_456_789));
    assert_ne!(policy_page(3, 1, 9, 40_000), policy_page(3, 1, 10, 40_000));
}
