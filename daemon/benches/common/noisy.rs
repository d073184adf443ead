//! The noisy fixture server the benches share: `/pN` serves document N's synthetic policy page
//! (`policy_page`, 30–60 KB) with a new nonce at every request, outside the policy region.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::Response;

use crate::server::policy_page;

/// The size of document `i`'s page, 30–60 KB.
pub fn page_size(i: usize) -> usize {
    30_000 + (i * 7919) % 30_000
}

/// Serves `/pN`: document N's page with a new nonce at every request.
pub async fn serve(State(nonce): State<Arc<AtomicU64>>, uri: Uri) -> Response {
    let doc = uri
        .path()
        .strip_prefix("/p")
        .and_then(|n| n.parse::<usize>().ok());
    match doc {
        Some(i) => {
            let noise = nonce.fetch_add(1, Ordering::Relaxed) as usize;
            Response::builder()
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .body(Body::from(policy_page(i, 1, noise, page_size(i))))
                .expect("valid response")
        }
        None => Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .expect("valid response"),
    }
}
