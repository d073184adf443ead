//! `termtrail serve`: the read-only web view of the archive, until SIGINT/SIGTERM. Prints the
//! address it listens on (on stdout, one line) once it accepts connections.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::{Context, Result};

use super::runtime;
use crate::config::Config;
use crate::web::{self, WebState};

pub(super) fn serve(config: &Config, listen: Option<SocketAddr>) -> Result<()> {
    let addr = listen.unwrap_or(config.web.listen);
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
    let state = WebState::new(config.archive.path.clone(), config.taxonomy.clone(), token);
    let rt = runtime()?;
    rt.block_on(async {
        let listener = web::bind(addr).await?;
        let bound = listener
            .local_addr()
            .context("cannot read the address listened on")?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{bound}/")?;
        out.flush()?;
        drop(out);
        if let Some(url) = &config.web.public_url {
            tracing::info!(%url, "web view published at");
        }
        tracing::info!(archive = %config.archive.path.display(), %bound, "web view serving (read-only)");
        // A plain thread, not a blocking task: the runtime's shutdown would wait for it.
        let warm = state.clone();
        std::thread::Builder::new()
            .name("web-warm-up".into())
            .spawn(move || web::warm_up(&warm))
            .context("cannot start the web view's warm-up thread")?;
        web::serve(listener, state, crate::scheduler::shutdown_signal()).await?;
        tracing::info!("web view stopped");
        Ok(())
    })
}
