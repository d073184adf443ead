//! `termtrail serve`: the read-only web view of the archive, until SIGINT/SIGTERM. Prints the
//! address it listens on (on stdout, one line) once it accepts connections. Also the web view
//! `termtrail run` starts beside the daemon when `[web] listen` is written.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::runtime;
use crate::config::Config;
use crate::web::health::Liveness;
use crate::web::{self, WebState};

/// The state of a web view on `addr` over the config's archive: refused beyond loopback without
/// a token, and only over an archive that opens.
fn web_state(
    config: &Config,
    addr: SocketAddr,
    liveness: Option<Arc<Liveness>>,
) -> Result<WebState> {
    let token = config
        .web
        .auth_token
        .as_ref()
        .map(|t| t.expose())
        .transpose()
        .map_err(web::WebError::from)?;
    web::check_exposure(addr, token.as_deref())?;
    // Fail now, with the archive's own message, rather than on every request.
    crate::archive::open_read_only(&config.archive.path)?;
    let mut state = WebState::new(config.archive.path.clone(), config.taxonomy.clone(), token);
    state.liveness = liveness;
    state.public_url = config.web.public_url.clone();
    Ok(state)
}

/// Computes the facts of every version ahead, on a plain thread (not a blocking task: the
/// runtime's shutdown would wait for it).
fn warm_up(state: &WebState) -> Result<()> {
    let warm = state.clone();
    std::thread::Builder::new()
        .name("web-warm-up".into())
        .spawn(move || web::warm_up(&warm))
        .context("cannot start the web view's warm-up thread")?;
    Ok(())
}

/// Binds `addr` and says where the view is.
async fn bind(config: &Config, addr: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = web::bind(addr).await?;
    let bound = listener
        .local_addr()
        .context("cannot read the address listened on")?;
    if let Some(url) = &config.web.public_url {
        tracing::info!(%url, "web view published at");
    }
    tracing::info!(archive = %config.archive.path.display(), %bound, "web view serving (read-only)");
    Ok((listener, bound))
}

pub(super) fn serve(config: &Config, listen: Option<SocketAddr>) -> Result<()> {
    let addr = listen.unwrap_or(config.web.listen);
    let state = web_state(config, addr, None)?;
    let rt = runtime()?;
    rt.block_on(async {
        let (listener, bound) = bind(config, addr).await?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{bound}/")?;
        out.flush()?;
        drop(out);
        warm_up(&state)?;
        web::serve(listener, state, crate::scheduler::shutdown_signal()).await?;
        tracing::info!("web view stopped");
        Ok(())
    })
}

/// The web view running inside `termtrail run`.
pub(super) struct DaemonWeb {
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), web::WebError>>,
}

/// Starts the web view inside the daemon, when `[web] listen` is written: same routes as
/// `serve`, with `/healthz` also judging the daemon by `liveness`. Call inside the runtime,
/// after the archive exists.
pub(super) async fn start_in_daemon(
    config: &Config,
    liveness: Arc<Liveness>,
) -> Result<Option<DaemonWeb>> {
    if !config.web.in_daemon {
        return Ok(None);
    }
    let state = web_state(config, config.web.listen, Some(liveness))?;
    let (listener, bound) = bind(config, config.web.listen).await?;
    // As `serve` does: the one line on stdout, for scripts and tests listening on port 0.
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{bound}/")?;
    out.flush()?;
    drop(out);
    warm_up(&state)?;
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(web::serve(listener, state, async move {
        let _ = stopped.changed().await;
    }));
    Ok(Some(DaemonWeb { stop, task }))
}

impl DaemonWeb {
    /// Stops accepting, lets the requests in hand finish, and waits for the server to end.
    pub(super) async fn stop(self) {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(Ok(())) => tracing::info!("web view stopped"),
            Ok(Err(e)) => tracing::error!(error = %e, "web view failed"),
            Err(e) => tracing::error!(error = %e, "web view task failed"),
        }
    }
}
