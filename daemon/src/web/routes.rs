//! The routes: HTML pages, the same data as JSON under `/api`, and `/healthz`. Each request
//! opens the archive read-only on a blocking thread (git reads are blocking, and a repository
//! handle is not shared between threads); path segments are checked as document ids and commits
//! are looked up among the document's own versions only.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::data::{document_id, DataError, Reader};
use super::{auth, html, WebState};

type Shared = State<Arc<WebState>>;

/// Every route, behind the access guard.
pub fn router(state: Arc<WebState>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/d/{platform}/{kind}", get(timeline))
        // A static segment wins over a parameter: `diff` is never taken for a commit.
        .route("/d/{platform}/{kind}/diff", get(diff))
        .route("/d/{platform}/{kind}/provisions", get(provisions))
        .route("/d/{platform}/{kind}/provision/{id}", get(provision))
        .route("/compare", get(compare))
        .route("/feed.xml", get(feed_all))
        .route("/feed/{platform}", get(feed_platform))
        .route("/feed/topic/{topic}", get(feed_topic))
        .route("/feed/{platform}/{kind}", get(feed_document))
        .route("/api/d/{platform}/{kind}/provisions", get(api_provisions))
        .route(
            "/api/d/{platform}/{kind}/provision/{id}",
            get(api_provision),
        )
        .route("/api/compare", get(api_compare))
        .route("/d/{platform}/{kind}/{commit}", get(version))
        .route("/d/{platform}/{kind}/{commit}/raw", get(raw))
        .route("/api/documents", get(api_documents))
        .route("/api/d/{platform}/{kind}", get(api_versions))
        .route("/api/d/{platform}/{kind}/diff", get(api_diff))
        .route("/api/d/{platform}/{kind}/{commit}", get(api_version))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .with_state(state)
}

/// Whether a request is answered with a page or with JSON, errors included.
#[derive(Clone, Copy)]
enum Format {
    Html,
    Json,
}

fn status_of(e: &DataError) -> StatusCode {
    match e {
        DataError::NotFound(_) => StatusCode::NOT_FOUND,
        DataError::BadRequest(_) => StatusCode::BAD_REQUEST,
        DataError::Archive(_) | DataError::History(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn error(format: Format, status: StatusCode, message: &str) -> Response {
    match format {
        Format::Html => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html::error(status.as_u16(), message),
        )
            .into_response(),
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "error": message }).to_string(),
        )
            .into_response(),
    }
}

/// Runs `work` on the archive on a blocking thread and answers with what `render` makes of it.
async fn answer<T: Send + 'static>(
    state: Arc<WebState>,
    format: Format,
    work: impl FnOnce(&Reader, &WebState) -> Result<T, DataError> + Send + 'static,
    render: impl FnOnce(T) -> String,
) -> Response {
    let done = tokio::task::spawn_blocking(move || {
        let reader = Reader::open(&state.archive)?;
        work(&reader, &state)
    })
    .await;
    match done {
        Ok(Ok(value)) => {
            let content_type = match format {
                Format::Html => "text/html; charset=utf-8",
                Format::Json => "application/json",
            };
            ([(header::CONTENT_TYPE, content_type)], render(value)).into_response()
        }
        Ok(Err(e)) => {
            if matches!(e, DataError::Archive(_) | DataError::History(_)) {
                tracing::error!(error = %e, "web view cannot read the archive");
            }
            error(format, status_of(&e), &e.to_string())
        }
        Err(join) => {
            tracing::error!(error = %join, "web request failed");
            error(
                format,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; see the server's log",
            )
        }
    }
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// `from` and `to` of a diff's query.
fn diff_params(query: Option<String>) -> (Option<String>, Option<String>) {
    let (mut from, mut to) = (None, None);
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "from" if !v.is_empty() => from = Some(v.into_owned()),
            "to" if !v.is_empty() => to = Some(v.into_owned()),
            _ => {}
        }
    }
    (from, to)
}

async fn healthz(State(state): Shared) -> Response {
    let health = tokio::task::spawn_blocking(move || {
        let documents = Reader::open(&state.archive)
            .and_then(|r| r.documents())
            .map(|d| d.len())
            .map_err(|e| e.to_string());
        super::health::judge(&state.archive, documents, state.liveness.as_deref())
    })
    .await;
    match health {
        Ok(h) => {
            let status = if h.reason.is_none() {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                json(&h),
            )
                .into_response()
        }
        Err(_) => error(
            Format::Json,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server's log",
        ),
    }
}

async fn metrics(State(state): Shared) -> Response {
    let done = tokio::task::spawn_blocking(move || {
        let docs = Reader::open(&state.archive)?.documents()?;
        Ok::<_, DataError>(super::metrics::render(
            &docs,
            &crate::archive::State::load(&state.archive),
            state.liveness.is_some(),
        ))
    })
    .await;
    match done {
        Ok(Ok(text)) => {
            ([(header::CONTENT_TYPE, super::metrics::CONTENT_TYPE)], text).into_response()
        }
        Ok(Err(e)) => error(Format::Json, status_of(&e), &e.to_string()),
        Err(_) => error(
            Format::Json,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server's log",
        ),
    }
}

async fn not_found() -> Response {
    error(Format::Html, StatusCode::NOT_FOUND, "no such page")
}

/// The rows of `/` and `/api/documents`: the state file is read (never written) per request.
fn home_rows(r: &Reader, s: &WebState) -> Result<Vec<super::data::HomeRow>, DataError> {
    r.home(
        &crate::archive::State::load(&s.archive),
        &s.facts,
        &s.taxonomy,
    )
}

async fn home(State(state): Shared) -> Response {
    answer(state, Format::Html, home_rows, |d| html::home(&d)).await
}

async fn api_documents(State(state): Shared) -> Response {
    answer(state, Format::Json, home_rows, |d| {
        json(&serde_json::json!({ "documents": d }))
    })
    .await
}

/// One parameter of a query (the first non-empty one named `name`).
fn param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

async fn versions(
    state: Arc<WebState>,
    format: Format,
    (platform, kind): (String, String),
    query: Option<String>,
) -> Response {
    let topic = param(query.as_deref(), "topic");
    answer(
        state,
        format,
        move |r, s| {
            let doc = document_id(&platform, &kind)?;
            r.timeline(&doc, &s.facts, &s.taxonomy, topic.as_deref())
        },
        move |t| match format {
            Format::Html => html::timeline(&t),
            Format::Json => json(&t),
        },
    )
    .await
}

async fn timeline(
    State(state): Shared,
    Path(p): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    versions(state, Format::Html, p, q).await
}

async fn api_versions(
    State(state): Shared,
    Path(p): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    versions(state, Format::Json, p, q).await
}

async fn one_version(
    state: Arc<WebState>,
    format: Format,
    (platform, kind, commit): (String, String, String),
) -> Response {
    answer(
        state,
        format,
        move |r, _| r.version(&document_id(&platform, &kind)?, &commit),
        move |page| match format {
            Format::Html => html::version(&page),
            Format::Json => json(&page),
        },
    )
    .await
}

async fn version(State(state): Shared, Path(p): Path<(String, String, String)>) -> Response {
    one_version(state, Format::Html, p).await
}

async fn api_version(State(state): Shared, Path(p): Path<(String, String, String)>) -> Response {
    one_version(state, Format::Json, p).await
}

async fn diff_of(
    state: Arc<WebState>,
    format: Format,
    (platform, kind): (String, String),
    query: Option<String>,
) -> Response {
    let (from, to) = diff_params(query);
    answer(
        state,
        format,
        move |r, s| {
            let doc = document_id(&platform, &kind)?;
            r.diff(&doc, from.as_deref(), to.as_deref(), &s.taxonomy)
        },
        move |page| match format {
            Format::Html => html::diff(&page),
            Format::Json => {
                let words = crate::diff_view::render(
                    &page.old_text,
                    &page.new_text,
                    crate::diff_view::Style::Plain,
                );
                let (provisions, total) = crate::events::provisions::listed(&page.changes);
                json(&serde_json::json!({
                    "document": page.document,
                    "from": page.from,
                    "to": page.to,
                    "summary": page.summary,
                    "class": page.changes.class,
                    "cosmetic_reasons": page.changes.cosmetic_reasons,
                    "topics": page.changes.topics,
                    "provisions": provisions,
                    "provisions_total": total,
                    "word_diff": words,
                }))
            }
        },
    )
    .await
}

async fn diff(
    State(state): Shared,
    Path(p): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    diff_of(state, Format::Html, p, q).await
}

async fn api_diff(
    State(state): Shared,
    Path(p): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    diff_of(state, Format::Json, p, q).await
}

/// A snapshot page as fetched: never as live HTML. UTF-8 bytes are shown as plain text, anything
/// else is a download; a sandboxing policy covers a browser that would sniff regardless.
async fn raw(
    State(state): Shared,
    Path((platform, kind, commit)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let page = match param(q.as_deref(), "page").map(|p| p.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            return error(
                Format::Html,
                StatusCode::BAD_REQUEST,
                "page is a number from 1",
            )
        }
    };
    let done = tokio::task::spawn_blocking(move || {
        Reader::open(&state.archive)?.raw(&document_id(&platform, &kind)?, &commit, page)
    })
    .await;
    match done {
        Ok(Ok(p)) => {
            let text = std::str::from_utf8(&p.bytes).is_ok();
            // The name is the archive's own file name (slug and extension); quoted anyway.
            let disposition = format!(
                "{}; filename=\"{}\"",
                if text { "inline" } else { "attachment" },
                p.name.replace(['"', '\\', '\r', '\n'], "_")
            );
            (
                [
                    (
                        header::CONTENT_TYPE,
                        if text {
                            "text/plain; charset=utf-8"
                        } else {
                            "application/octet-stream"
                        }
                        .to_owned(),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                    (
                        header::CONTENT_SECURITY_POLICY,
                        "sandbox; default-src 'none'".to_owned(),
                    ),
                ],
                p.bytes,
            )
                .into_response()
        }
        Ok(Err(e)) => error(Format::Html, status_of(&e), &e.to_string()),
        Err(_) => error(
            Format::Html,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server's log",
        ),
    }
}

async fn provisions_of(
    state: Arc<WebState>,
    format: Format,
    (platform, kind): (String, String),
    query: Option<String>,
) -> Response {
    let (at, topic) = (
        param(query.as_deref(), "at"),
        param(query.as_deref(), "topic"),
    );
    answer(
        state,
        format,
        move |r, s| {
            let doc = document_id(&platform, &kind)?;
            r.provisions(
                &doc,
                at.as_deref(),
                topic.as_deref(),
                &s.replayer,
                &s.taxonomy,
            )
        },
        move |page| match format {
            Format::Html => super::provision_pages::provisions(&page),
            Format::Json => json(&page),
        },
    )
    .await
}

async fn provisions(
    State(state): Shared,
    Path(p): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    provisions_of(state, Format::Html, p, q).await
}

async fn api_provisions(
    State(state): Shared,
    Path(p): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    provisions_of(state, Format::Json, p, q).await
}

async fn provision_of(
    state: Arc<WebState>,
    format: Format,
    (platform, kind, id): (String, String, String),
) -> Response {
    answer(
        state,
        format,
        move |r, s| {
            r.provision_timeline(
                &document_id(&platform, &kind)?,
                &id,
                &s.timelines,
                &s.taxonomy,
            )
        },
        move |t| match format {
            Format::Html => super::provision_pages::provision_timeline(&t),
            Format::Json => json(&t),
        },
    )
    .await
}

async fn provision(State(state): Shared, Path(p): Path<(String, String, String)>) -> Response {
    provision_of(state, Format::Html, p).await
}

async fn api_provision(State(state): Shared, Path(p): Path<(String, String, String)>) -> Response {
    provision_of(state, Format::Json, p).await
}

async fn compare_of(state: Arc<WebState>, format: Format, query: Option<String>) -> Response {
    let topic = param(query.as_deref(), "topic");
    answer(
        state,
        format,
        move |r, s| match (&topic, format) {
            (Some(t), _) => Ok((
                s.taxonomy.clone(),
                Some(r.compare(t, &s.replayer, &s.taxonomy)?),
            )),
            (None, Format::Html) => Ok((s.taxonomy.clone(), None)),
            (None, Format::Json) => Err(DataError::BadRequest(
                "give a topic: /api/compare?topic=TOPIC".to_owned(),
            )),
        },
        move |(taxonomy, c)| match format {
            Format::Html => super::provision_pages::compare(&taxonomy, c.as_ref()),
            Format::Json => json(&c),
        },
    )
    .await
}

async fn compare(State(state): Shared, RawQuery(q): RawQuery) -> Response {
    compare_of(state, Format::Html, q).await
}

async fn api_compare(State(state): Shared, RawQuery(q): RawQuery) -> Response {
    compare_of(state, Format::Json, q).await
}

/// A feed's last path segment without its `.xml`.
fn xml_name(segment: &str) -> Result<&str, DataError> {
    segment
        .strip_suffix(".xml")
        .ok_or_else(|| DataError::NotFound("feeds end in .xml".to_owned()))
}

async fn feed_of(
    state: Arc<WebState>,
    scope: impl FnOnce() -> Result<super::feeds::Scope, DataError> + Send + 'static,
) -> Response {
    let done = tokio::task::spawn_blocking(move || {
        let scope = scope()?;
        Reader::open(&state.archive)?.feed(
            &scope,
            &state.facts,
            &state.taxonomy,
            state.public_url.as_ref(),
        )
    })
    .await;
    match done {
        Ok(Ok(xml)) => (
            [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
            xml,
        )
            .into_response(),
        Ok(Err(e)) => error(Format::Html, status_of(&e), &e.to_string()),
        Err(_) => error(
            Format::Html,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server's log",
        ),
    }
}

async fn feed_all(State(state): Shared) -> Response {
    feed_of(state, || Ok(super::feeds::Scope::All)).await
}

async fn feed_platform(State(state): Shared, Path(platform): Path<String>) -> Response {
    feed_of(state, move || {
        let p = xml_name(&platform)?;
        // A platform slug is a document id's first half.
        document_id(p, "x")?;
        Ok(super::feeds::Scope::Platform(p.to_owned()))
    })
    .await
}

async fn feed_document(
    State(state): Shared,
    Path((platform, kind)): Path<(String, String)>,
) -> Response {
    feed_of(state, move || {
        Ok(super::feeds::Scope::Document(document_id(
            &platform,
            xml_name(&kind)?,
        )?))
    })
    .await
}

async fn feed_topic(State(state): Shared, Path(topic): Path<String>) -> Response {
    feed_of(state, move || {
        Ok(super::feeds::Scope::Topic(xml_name(&topic)?.to_owned()))
    })
    .await
}
