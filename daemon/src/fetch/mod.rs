//! HTTP fetching: timeouts, a body cap, a redirect cap, decompression, conditional requests,
//! retries with backoff, and per-host politeness. Fetching never touches the archive.

mod charset;
mod limiter;
mod retry;
pub mod settings;
mod sniff;

use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;
use tokio::sync::Semaphore;
use url::Url;

pub use crate::validators::Validators;
pub use charset::decode;
use limiter::HostLimiter;
pub use retry::{backoff, retry_after};
pub use settings::{FetchSettings, HostSettings};
pub use sniff::{check_text, is_pdf, NotText};

/// A document as fetched.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL after redirects.
    pub final_url: Url,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// Validators for the next conditional request.
    pub validators: Validators,
    /// The raw (decompressed) body.
    pub body: Vec<u8>,
    /// When the response arrived; commits are dated with it.
    pub fetched_at: SystemTime,
    /// How it was fetched when not by a plain GET (`browser`), for the snapshot's trailers.
    pub fetcher: Option<String>,
}

impl Fetched {
    /// A body that did not come from a live fetch (a saved page, an imported capture, a stored
    /// snapshot), as if served with status 200 from `url` at `at`.
    pub fn stored(url: Url, body: Vec<u8>, content_type: Option<String>, at: SystemTime) -> Self {
        Self {
            final_url: url,
            status: 200,
            content_type,
            validators: Validators::default(),
            body,
            fetched_at: at,
            fetcher: None,
        }
    }
}

/// What a fetch gave.
#[derive(Debug)]
pub enum FetchOutcome {
    /// 304: the document has not changed since the validators were stored.
    NotModified,
    /// A new body.
    Fetched(Box<Fetched>),
}

/// Why a document could not be fetched this cycle.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No complete answer within the timeout.
    #[error("timed out after {timeout:?} ({attempts} attempt(s)); raise fetch.timeout if the site is slow")]
    Timeout {
        /// Time allowed per attempt.
        timeout: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The connection failed.
    #[error("cannot connect ({attempts} attempt(s)): {reason}")]
    Connect {
        /// The cause, from the HTTP client.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The connection was closed or reset before the whole response arrived.
    #[error("the connection was cut while receiving {during} ({attempts} attempt(s)): {reason}")]
    Interrupted {
        /// `the response headers` or `the body`.
        during: &'static str,
        /// The cause, from the HTTP client.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The server's answer is not valid HTTP (a bad status line or header). Not retried: a
    /// server that sends garbage once sends it again.
    #[error("the server's response is not valid HTTP ({reason}); not retried")]
    Malformed {
        /// What the parser found wrong.
        reason: String,
    },
    /// The body could not be decompressed as its `Content-Encoding` says.
    #[error("the body cannot be decoded as its Content-Encoding says: {reason}")]
    Decode {
        /// The decoder's message.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("HTTP {status} ({attempts} attempt(s))")]
    Status {
        /// The status.
        status: StatusCode,
        /// Attempts made.
        attempts: u32,
    },
    /// The server asked to come back later than we are willing to wait in this cycle.
    #[error("HTTP {status} with Retry-After {wait:?}, longer than fetch.max_retry_after ({max:?}); will try again next cycle")]
    RetryAfterTooLong {
        /// 429 or 503.
        status: StatusCode,
        /// The wait asked for.
        wait: Duration,
        /// The configured ceiling.
        max: Duration,
    },
    /// The body is larger than allowed.
    #[error("body larger than fetch.max_body ({limit} bytes); raise it if this document is really that big")]
    TooLarge {
        /// The limit in force.
        limit: u64,
    },
    /// More redirects than allowed.
    #[error("more than {max} redirects{}; check the URL (fetch.max_redirects)", loop_at.as_ref().map(|u| format!(" (a loop: {u} was visited twice)")).unwrap_or_default())]
    TooManyRedirects {
        /// The limit in force.
        max: usize,
        /// A URL the chain came back to, when it loops.
        loop_at: Option<String>,
    },
    /// A redirect to another scheme than http(s) (`file:`, `ftp:`, `data:`...).
    #[error("redirect to {location} refused: only http and https are followed")]
    RedirectRefused {
        /// Where the server redirected to.
        location: String,
    },
    /// A redirect that cannot be followed: no `Location`, or one that is not a URL.
    #[error("HTTP {status} redirect {}; nothing to follow", match location { Some(l) => format!("to {l:?}, which is not a usable URL"), None => "without a Location header".to_owned() })]
    BadRedirect {
        /// The 3xx status.
        status: StatusCode,
        /// The `Location` header, when there is one.
        location: Option<String>,
    },
    /// The HTTP client cannot be built (for example the TLS backend failed to start).
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
    /// Anything else the HTTP client reported.
    #[error("request failed: {0}")]
    Other(String),
}

/// One attempt's failure, before the retry decision.
enum AttemptError {
    Retry {
        error: FetchError,
        retry_after: Option<Duration>,
    },
    Fatal(FetchError),
}

/// Fetches documents politely. One per process, shared by every task.
#[derive(Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    settings: FetchSettings,
    hosts: HostLimiter,
    in_flight: Semaphore,
}

/// Why the redirect policy stopped a chain of redirects.
#[derive(Debug, thiserror::Error)]
enum RedirectStop {
    #[error("redirect to {0} refused")]
    Scheme(String),
    #[error("too many redirects")]
    TooMany { loop_at: Option<String> },
}

/// Follows at most `max` redirects, and only to http(s) URLs.
fn redirect_policy(max: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if !matches!(attempt.url().scheme(), "http" | "https") {
            let to = attempt.url().to_string();
            return attempt.error(RedirectStop::Scheme(to));
        }
        // `previous` starts with the URL first asked for, which is not a redirect.
        if attempt.previous().len() > max {
            let loop_at = attempt
                .previous()
                .iter()
                .enumerate()
                .find(|(i, u)| attempt.previous()[..*i].contains(u))
                .map(|(_, u)| u.to_string());
            return attempt.error(RedirectStop::TooMany { loop_at });
        }
        attempt.follow()
    })
}

/// The causes of `e`, itself first.
fn causes<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |c| c.source())
}

/// The first cause of `e` of type `T`.
fn cause<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    causes(e).find_map(|c| c.downcast_ref::<T>())
}

/// Whether the connection was closed or reset under the response.
fn cut_off(e: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    cause::<hyper::Error>(e).is_some_and(|h| h.is_incomplete_message() || h.is_closed())
        || cause::<std::io::Error>(e).is_some_and(|io| {
            matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            )
        })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

impl Fetcher {
    /// Builds the HTTP client from `[fetch]`.
    pub fn new(settings: &FetchSettings) -> Result<Self, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.5",
            ),
        );
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-US,en;q=0.9"),
        );
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(settings.connect_timeout)
            .redirect(redirect_policy(settings.max_redirects))
            .build()
            .map_err(|e| FetchError::Client(error_chain(&e)))?;
        Ok(Self {
            client,
            settings: settings.clone(),
            hosts: HostLimiter::default(),
            in_flight: Semaphore::new(settings.max_concurrency),
        })
    }

    /// Fetches `url`, sending `validators` as a conditional request, retrying transient failures.
    pub async fn fetch(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let _slot = self
            .in_flight
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let hs = self.settings.for_host(&host).clone();
        let mut attempt = 0u32;
        loop {
            let permit = self
                .hosts
                .acquire(&host, hs.per_host_concurrency, hs.per_host_delay)
                .await;
            let started = std::time::Instant::now();
            let result = self.attempt(url, validators, &hs, attempt + 1).await;
            crate::counters::counters()
                .fetch_seconds
                .observe(started.elapsed().as_secs_f64());
            drop(permit);
            match result {
                Ok(outcome) => return Ok(outcome),
                Err(AttemptError::Fatal(e)) => return Err(e),
                Err(AttemptError::Retry { error, retry_after }) => {
                    if let (Some(wait), FetchError::Status { status, .. }) = (retry_after, &error) {
                        if wait > self.settings.max_retry_after {
                            return Err(FetchError::RetryAfterTooLong {
                                status: *status,
                                wait,
                                max: self.settings.max_retry_after,
                            });
                        }
                    }
                    if attempt >= hs.retries {
                        return Err(error);
                    }
                    let wait = retry_after.unwrap_or_else(|| {
                        backoff(self.settings.retry_backoff, attempt, fastrand::f64())
                    });
                    tracing::debug!(url = %url, attempt = attempt + 1, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(
        &self,
        url: &Url,
        validators: &Validators,
        hs: &HostSettings,
        attempts: u32,
    ) -> Result<FetchOutcome, AttemptError> {
        let mut req = self
            .client
            .get(url.clone())
            .timeout(hs.timeout)
            .header(header::USER_AGENT, &hs.user_agent);
        if let Some(etag) = &validators.etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm);
        }
        // By the error's type and its chain of causes, never its message.
        let classify = |e: reqwest::Error| -> AttemptError {
            let retry = |error| AttemptError::Retry {
                error,
                retry_after: None,
            };
            if e.is_timeout() {
                return retry(FetchError::Timeout {
                    timeout: hs.timeout,
                    attempts,
                });
            }
            if e.is_redirect() {
                return AttemptError::Fatal(match cause::<RedirectStop>(&e) {
                    Some(RedirectStop::Scheme(to)) => FetchError::RedirectRefused {
                        location: to.clone(),
                    },
                    Some(RedirectStop::TooMany { loop_at }) => FetchError::TooManyRedirects {
                        max: self.settings.max_redirects,
                        loop_at: loop_at.clone(),
                    },
                    None => FetchError::Other(error_chain(&e)),
                });
            }
            if let Some(h) =
                cause::<hyper::Error>(&e).filter(|h| h.is_parse() || h.is_parse_status())
            {
                return AttemptError::Fatal(FetchError::Malformed {
                    reason: h.to_string(),
                });
            }
            let reason = error_chain(&e);
            if e.is_body() || e.is_decode() {
                if cut_off(&e) || e.is_body() {
                    return retry(FetchError::Interrupted {
                        during: "the body",
                        reason,
                        attempts,
                    });
                }
                return AttemptError::Fatal(FetchError::Decode { reason });
            }
            if e.is_connect() {
                return retry(FetchError::Connect { reason, attempts });
            }
            if cut_off(&e) {
                return retry(FetchError::Interrupted {
                    during: "the response headers",
                    reason,
                    attempts,
                });
            }
            if e.is_request() {
                return retry(FetchError::Connect { reason, attempts });
            }
            AttemptError::Fatal(FetchError::Other(reason))
        };
        let mut resp = req.send().await.map_err(classify)?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified);
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after = if matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            ) {
                resp.headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry_after(v, SystemTime::now()))
            } else {
                None
            };
            return Err(AttemptError::Retry {
                error: FetchError::Status { status, attempts },
                retry_after,
            });
        }
        if status.is_redirection() {
            // A redirect the client did not follow: its Location is missing or not a URL it
            // could parse (`file:///...` is not an HTTP URI).
            let location = resp
                .headers()
                .get(header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let refused = location.as_deref().and_then(|l| {
                let to = url.join(l.trim()).ok()?;
                (!matches!(to.scheme(), "http" | "https")).then(|| to.to_string())
            });
            return Err(AttemptError::Fatal(match refused {
                Some(location) => FetchError::RedirectRefused { location },
                None => FetchError::BadRedirect { status, location },
            }));
        }
        if !status.is_success() {
            return Err(AttemptError::Fatal(FetchError::Status { status, attempts }));
        }
        let limit = hs.max_body;
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(AttemptError::Fatal(FetchError::TooLarge { limit }));
        }
        let header_str = |name: header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header_str(header::CONTENT_TYPE);
        let validators = Validators {
            etag: header_str(header::ETAG),
            last_modified: header_str(header::LAST_MODIFIED),
        };
        let final_url = resp.url().clone();
        let fetched_at = SystemTime::now();
        // Sized from the announced length (within the limit) so the body is not copied as it
        // grows; a compressed response announces no length and grows as before.
        let announced = resp.content_length().unwrap_or(0).min(limit);
        let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(AttemptError::Fatal(FetchError::TooLarge { limit }));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchOutcome::Fetched(Box::new(Fetched {
            final_url,
            status: status.as_u16(),
            content_type,
            validators,
            body,
            fetched_at,
            fetcher: None,
        })))
    }
}
