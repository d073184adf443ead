//! Access to the web view: when a token is set, every request but `/healthz` carries it as
//! `Authorization: Bearer TOKEN` or `?token=TOKEN` (compared in constant time), else 401. Also
//! adds the headers that keep a browser from running or sniffing anything, and logs each request
//! at debug level.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::WebState;

/// No script, no plugin, no frame, no outside resource: the pages need only their inline style.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn carries(req: &Request, token: &str) -> bool {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let query = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    [bearer, query]
        .into_iter()
        .flatten()
        .any(|given| bool::from(given.as_bytes().ct_eq(token.as_bytes())))
}

/// The access check, the safety headers and the request log, around every route.
pub async fn guard(State(state): State<Arc<WebState>>, req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let allowed = match &state.token {
        None => true,
        Some(_) if path == "/healthz" => true,
        Some(token) => carries(&req, token),
    };
    let mut response = if allowed {
        next.run(req).await
    } else {
        let mut r = (
            StatusCode::UNAUTHORIZED,
            "a token is required: Authorization: Bearer TOKEN, or ?token=TOKEN\n",
        )
            .into_response();
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        r
    };
    let headers = response.headers_mut();
    // A route may set a stricter policy (the raw snapshot adds `sandbox`).
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // The path only: a `?token=` must not reach the log.
    tracing::debug!(%method, %path, status = response.status().as_u16(), "web request");
    response
}
