//! The web view (`termtrail serve`): a read-only axum server over the archive. HTML pages
//! rendered on the server (`html.rs`, every archive text escaped), the same data as JSON
//! (`routes.rs`) and `/metrics` (`metrics.rs`), read per request from the archive opened
//! read-only (`data.rs`), with what the provisions work says of each version cached per commit
//! (`facts.rs`); an optional bearer token (`auth.rs`); `/healthz` (`health.rs`); `settings.rs`
//! `[web]`. The server never writes to the archive. `termtrail serve` runs it alone,
//! `termtrail run` beside the daemon.

mod auth;
pub mod data;
pub mod facts;
pub mod feeds;
pub mod health;
pub mod html;
mod markdown;
mod metrics;
mod provision_pages;
pub mod provisions;
mod routes;
pub mod settings;
mod side_by_side;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use settings::WebSettings;

use crate::summary::Taxonomy;

/// Why the web server cannot start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Listening beyond loopback needs a token.
    #[error(
        "refusing to listen on {0} without an auth token: anyone on the network could read the archive; \
set [web] auth_token (a literal or env:VAR), or listen on 127.0.0.1"
    )]
    ExposedWithoutToken(SocketAddr),
    /// The token's environment variable is not set.
    #[error("[web] auth_token: {0}")]
    Token(#[from] crate::sinks::secret::SecretError),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}; is another server using that port? set [web] listen or --listen")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("web server stopped: {0}")]
    Serve(std::io::Error),
}

/// What every request handler reads.
#[derive(Debug, Clone)]
pub struct WebState {
    /// The archive (bare repository), opened read-only per request.
    pub archive: PathBuf,
    /// Topics, for the change summary of diffs.
    pub taxonomy: Taxonomy,
    /// The token requests must carry, when set.
    pub token: Option<String>,
    /// Inside `termtrail run`: what `/healthz` reads of the daemon (None under `serve`).
    pub liveness: Option<Arc<health::Liveness>>,
    /// The facts of versions already computed (class, topics, dates), by commit.
    pub facts: Arc<facts::FactsCache>,
    /// Where people reach the view (`[web] public_url`): feed links are absolute under it.
    pub public_url: Option<url::Url>,
    /// Replays of document histories (provision ids), per document at the last version asked.
    pub replayer: Arc<crate::provisions::history::Replayer>,
    /// Every clause timeline of a document, per document at its latest version.
    pub timelines: Arc<provisions::TimelineCache>,
}

impl WebState {
    /// The state of a server over `archive`, with an empty cache.
    pub fn new(archive: PathBuf, taxonomy: Taxonomy, token: Option<String>) -> Self {
        Self {
            archive,
            taxonomy,
            token,
            liveness: None,
            facts: Arc::default(),
            public_url: None,
            replayer: Arc::default(),
            timelines: Arc::default(),
        }
    }
}

/// Computes the facts of every version of every document, then every clause timeline, into the
/// caches, so that the first visitor of a long history does not wait for them. Run on
/// a blocking thread beside the server; a failure is logged, the pages compute what they need.
pub fn warm_up(state: &WebState) {
    let started = std::time::Instant::now();
    let result =
        data::Reader::open(&state.archive).and_then(|r| r.warm_up(&state.facts, &state.taxonomy));
    match result {
        Ok(n) => tracing::debug!(
            versions = n,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "web view: version facts computed"
        ),
        Err(e) => tracing::warn!(error = %e, "web view: cannot compute the version facts ahead"),
    }
    // Then every clause timeline, so that a clause's page is a lookup from the first visit.
    let started = std::time::Instant::now();
    let result = data::Reader::open(&state.archive)
        .and_then(|r| r.warm_timelines(&state.timelines, &state.replayer, &state.taxonomy));
    match result {
        Ok(n) => tracing::debug!(
            documents = n,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "web view: clause timelines computed"
        ),
        Err(e) => tracing::warn!(error = %e, "web view: cannot compute the clause timelines ahead"),
    }
}

/// Refuses an address beyond loopback unless a token is set.
pub fn check_exposure(addr: SocketAddr, token: Option<&str>) -> Result<(), WebError> {
    if addr.ip().is_loopback() || token.is_some() {
        Ok(())
    } else {
        Err(WebError::ExposedWithoutToken(addr))
    }
}

/// Binds `addr` (port 0 picks a free port; the listener's address says which).
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, WebError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind { addr, source })
}

/// Serves the web view on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let app = routes::router(Arc::new(state));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(WebError::Serve)
}
