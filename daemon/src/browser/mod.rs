//! Rendering pages built by JavaScript in headless Chromium, over the DevTools protocol.
//!
//! The browser costs hundreds of megabytes, so it is started only when a document that needs it
//! is due, shared by every such document, and shut down after `[browser] idle_shutdown` without
//! use (and at the end of a `check`). A run whose documents need no browser never starts one.
//! The system's Chromium is used (Debian's `chromium`); nothing is downloaded.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::fetch::{Fetched, Validators};

pub mod settings;
pub use settings::BrowserSettings;

/// Why a page could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// This build has no browser support.
    #[error("this termtrail was built without the `browser` feature; rebuild with default features to render pages with JavaScript")]
    Unsupported,
    /// No Chromium at the configured path.
    #[error("no Chromium at {0}; install it (Debian: `apt-get install chromium`) or set [browser] executable")]
    Missing(PathBuf),
    /// Chromium failed to start or to answer.
    #[error("headless Chromium failed: {0}")]
    Failed(String),
    /// The page did not load, or its selected region stayed empty, within the timeout.
    #[error("the page rendered no text in its selected region within {0:?}")]
    Timeout(Duration),
}

#[cfg(feature = "browser")]
struct Running {
    browser: chromiumoxide::Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

/// The shared, lazily started browser.
pub struct Renderer {
    settings: BrowserSettings,
    #[cfg(feature = "browser")]
    running: Mutex<Option<Running>>,
    #[cfg(not(feature = "browser"))]
    running: Mutex<Option<()>>,
    /// Pages being rendered now; the idle shutdown waits for none.
    busy: AtomicUsize,
    /// When the last page finished.
    last_use: Mutex<Instant>,
    /// How many times a browser was started (for tests and metrics).
    launches: AtomicUsize,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("settings", &self.settings)
            .finish()
    }
}

/// JavaScript giving the length of the text in the selected region (the whole body when no
/// selector is given).
fn region_text_js(selectors: &[String]) -> String {
    let list = serde_json::to_string(selectors).unwrap_or_else(|_| "[]".into());
    format!(
        "(() => {{ const s = {list}; if (!document.body) return 0; \
         if (s.length === 0) return (document.body.innerText || '').trim().length; \
         let n = 0; for (const q of s) {{ try {{ for (const e of document.querySelectorAll(q)) n += (e.innerText || e.textContent || '').trim().length; }} catch (_) {{}} }} return n; }})()"
    )
}

impl Renderer {
    /// A renderer that has not started anything yet.
    pub fn new(settings: BrowserSettings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            running: Mutex::new(None),
            busy: AtomicUsize::new(0),
            last_use: Mutex::new(Instant::now()),
            launches: AtomicUsize::new(0),
        })
    }

    /// How many times Chromium was started.
    pub fn launches(&self) -> usize {
        self.launches.load(Ordering::SeqCst)
    }

    /// Whether pages can be rendered here (feature built in, Chromium present).
    pub fn available(&self) -> bool {
        cfg!(feature = "browser") && self.settings.executable.exists()
    }

    /// Renders `url` and returns the DOM after scripts ran, once the region matched by
    /// `selectors` has text (or the timeout passes: then an error).
    pub async fn render(
        self: &Arc<Self>,
        url: &Url,
        selectors: &[String],
    ) -> Result<Fetched, BrowserError> {
        if !cfg!(feature = "browser") {
            return Err(BrowserError::Unsupported);
        }
        if !self.settings.executable.exists() {
            return Err(BrowserError::Missing(self.settings.executable.clone()));
        }
        self.busy.fetch_add(1, Ordering::SeqCst);
        let result = tokio::time::timeout(
            self.settings.render_timeout,
            self.render_inner(url, selectors),
        )
        .await;
        self.busy.fetch_sub(1, Ordering::SeqCst);
        *self.last_use.lock().await = Instant::now();
        self.schedule_idle_shutdown();
        match result {
            Ok(r) => r,
            Err(_) => Err(BrowserError::Timeout(self.settings.render_timeout)),
        }
    }

    fn schedule_idle_shutdown(self: &Arc<Self>) {
        let me = Arc::clone(self);
        let idle = self.settings.idle_shutdown;
        tokio::spawn(async move {
            tokio::time::sleep(idle).await;
            let idle_for = me.last_use.lock().await.elapsed();
            if me.busy.load(Ordering::SeqCst) == 0 && idle_for >= idle {
                me.shutdown().await;
            }
        });
    }

    #[cfg(feature = "browser")]
    async fn render_inner(&self, url: &Url, selectors: &[String]) -> Result<Fetched, BrowserError> {
        use chromiumoxide::browser::{Browser, BrowserConfig};
        use futures_util::StreamExt;
        let failed = |e: &dyn std::fmt::Display| BrowserError::Failed(e.to_string());
        let page = {
            let mut running = self.running.lock().await;
            if running.is_none() {
                let profile = tempfile::tempdir().map_err(|e| failed(&e))?;
                let config = BrowserConfig::builder()
                    .chrome_executable(&self.settings.executable)
                    .new_headless_mode()
                    .no_sandbox()
                    .user_data_dir(profile.path())
                    .launch_timeout(Duration::from_secs(30))
                    .request_timeout(self.settings.render_timeout)
                    // No background traffic: the machine may have no network but the pages'.
                    .args([
                        "--disable-gpu",
                        "--disable-quic",
                        "--disable-component-update",
                        "--no-default-browser-check",
                        "--mute-audio",
                    ])
                    .build()
                    .map_err(|e| failed(&e))?;
                let (browser, mut handler) =
                    Browser::launch(config).await.map_err(|e| failed(&e))?;
                self.launches.fetch_add(1, Ordering::SeqCst);
                crate::counters::counters().browser_starts.inc();
                tracing::info!(executable = %self.settings.executable.display(), "headless browser started");
                let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
                *running = Some(Running {
                    browser,
                    handler,
                    _profile: profile,
                });
            }
            let r = running.as_ref().expect("started above");
            r.browser
                .new_page(url.as_str())
                .await
                .map_err(|e| failed(&e))?
        };
        let fetched_at = SystemTime::now();
        let _ = page.wait_for_navigation().await;
        let js = region_text_js(selectors);
        // Scripts may fill the region after the load event: poll until it has text.
        loop {
            let n: i64 = page
                .evaluate(js.as_str())
                .await
                .ok()
                .and_then(|v| v.into_value().ok())
                .unwrap_or(0);
            if n > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        let html = page.content().await.map_err(|e| failed(&e))?;
        let final_url = page
            .url()
            .await
            .ok()
            .flatten()
            .and_then(|u| Url::parse(&u).ok())
            .unwrap_or_else(|| url.clone());
        let _ = page.close().await;
        Ok(Fetched {
            final_url,
            status: 200,
            content_type: Some("text/html; charset=utf-8".into()),
            validators: Validators::default(),
            body: html.into_bytes(),
            fetched_at,
            fetcher: Some("browser".into()),
        })
    }

    #[cfg(not(feature = "browser"))]
    async fn render_inner(
        &self,
        _url: &Url,
        _selectors: &[String],
    ) -> Result<Fetched, BrowserError> {
        Err(BrowserError::Unsupported)
    }

    /// Closes the browser if it runs.
    pub async fn shutdown(&self) {
        #[cfg(feature = "browser")]
        {
            let running = self.running.lock().await.take();
            if let Some(mut r) = running {
                let _ = r.browser.close().await;
                let _ = tokio::time::timeout(Duration::from_secs(5), r.browser.wait()).await;
                let _ = r.browser.kill().await;
                r.handler.abort();
                tracing::info!("headless browser stopped");
            }
        }
    }
}

/// Whether a plainly fetched page is a bot wall rather than the document: a challenge page from a
/// known bot-protection service.
pub fn looks_like_challenge(body: &[u8]) -> bool {
    const MARKERS: &[&str] = &[
        "cf-chl-",
        "challenge-platform",
        "cf_chl_opt",
        "<title>Just a moment...</title>",
        "Attention Required! | Cloudflare",
        "_Incapsula_Resource",
        "captcha-delivery.com",
        "px-captcha",
        "Checking your browser before accessing",
        "awswaf",
        "Enable JavaScript and cookies to continue",
    ];
    // All markers in one pass over the bytes (this runs on every fetch); they are ASCII, so a
    // match in the bytes is a match in the text whatever its encoding errors.
    static FINDER: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            // Leftmost-first lets the search use its vectorised prefilter; any match will do.
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(MARKERS)
                .expect("a few short literal markers build")
        });
    // Challenge pages are small; a real policy that mentions these words is not.
    body.len() < 256 * 1024 && FINDER.is_match(&body[..body.len().min(64 * 1024)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_pages_are_recognised() {
        assert!(looks_like_challenge(b"<html><head><title>Just a moment...</title></head><body><script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1\"></script></body></html>"));
        assert!(!looks_like_challenge(b"<html><body><main><h1>Privacy policy</h1><p>We use Cloudflare to protect our site.</p></main></body></html>"));
    }

    #[test]
    fn region_script_names_the_selectors() {
        let js = region_text_js(&["main".into(), "#write".into()]);
        assert!(js.contains(r##"["main","#write"]"##), "{js}");
    }
}
