//! The routes: each page handler gives a [`Page`] (its title, its JSON, its HTML), answered as
//! HTML or as JSON as the request asks; the proof files and the assets.

use super::pages::{self, Page, PageError};
use super::Explorer;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;

type Shared = State<Arc<Explorer>>;

/// The explorer's routes.
pub fn router(state: Arc<Explorer>) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/chain/{id}", get(chain))
        .route("/chain/{id}/block/{n}", get(block))
        .route("/chain/{id}/block/{n}/{file}", get(block_file))
        .route("/chain/{id}/request/{rid}", get(request))
        .route("/tx/{hash}", get(tx))
        .route("/bitcoin", get(bitcoin))
        .route("/pool", get(pool))
        .route("/assets/{name}", get(asset))
        .fallback(not_found)
        .with_state(state)
}

/// `?format=json`.
#[derive(Deserialize)]
pub struct Format {
    format: Option<String>,
}

fn wants_json(format: &Format, headers: &HeaderMap) -> bool {
    if let Some(f) = &format.format {
        return f == "json";
    }
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

fn answer(x: &Explorer, page: Result<Page, PageError>, json: bool) -> Response {
    let (status, page) = match page {
        Ok(p) => (StatusCode::OK, p),
        Err(e) => (e.status(), pages::error_page(&e)),
    };
    if json {
        return (status, axum::Json(page.json)).into_response();
    }
    let html = super::html::layout(
        &page.title,
        &page.html,
        &page.aside,
        x.refresh_ms,
        &page.scripts,
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

async fn overview(State(x): Shared, Query(f): Query<Format>, h: HeaderMap) -> Response {
    answer(&x, pages::overview(&x).await, wants_json(&f, &h))
}

async fn chain(
    State(x): Shared,
    Path(id): Path<String>,
    Query(f): Query<Format>,
    h: HeaderMap,
) -> Response {
    answer(&x, pages::chain(&x, &id).await, wants_json(&f, &h))
}

async fn block(
    State(x): Shared,
    Path((id, n)): Path<(String, String)>,
    Query(f): Query<Format>,
    h: HeaderMap,
) -> Response {
    answer(&x, pages::block(&x, &id, &n).await, wants_json(&f, &h))
}

async fn request(
    State(x): Shared,
    Path((id, rid)): Path<(String, String)>,
    Query(f): Query<Format>,
    h: HeaderMap,
) -> Response {
    answer(&x, pages::request(&x, &id, &rid).await, wants_json(&f, &h))
}

async fn tx(
    State(x): Shared,
    Path(hash): Path<String>,
    Query(f): Query<Format>,
    h: HeaderMap,
) -> Response {
    answer(&x, pages::tx(&x, &hash).await, wants_json(&f, &h))
}

async fn bitcoin(State(x): Shared, Query(f): Query<Format>, h: HeaderMap) -> Response {
    answer(&x, pages::bitcoin(&x).await, wants_json(&f, &h))
}

async fn pool(State(x): Shared, Query(f): Query<Format>, h: HeaderMap) -> Response {
    answer(&x, pages::pool(&x).await, wants_json(&f, &h))
}

async fn not_found(State(x): Shared, Query(f): Query<Format>, h: HeaderMap) -> Response {
    let e = PageError::NotFound("no such page".into());
    answer(&x, Err(e), wants_json(&f, &h))
}

async fn block_file(
    State(x): Shared,
    Path((id, n, file)): Path<(String, String, String)>,
) -> Response {
    match pages::block_file(&x, &id, &n, &file).await {
        Ok((content_type, bytes)) => {
            let disposition = format!("attachment; filename=\"block-{n}-{file}\"");
            (
                [
                    (header::CONTENT_TYPE, content_type.to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => (e.status(), e.to_string()).into_response(),
    }
}

const STYLE: &str = include_str!("../assets/style.css");
const SCRIPT: &str = include_str!("../assets/explorer.js");

async fn asset(State(x): Shared, Path(name): Path<String>) -> Response {
    let js = "text/javascript; charset=utf-8";
    match name.as_str() {
        "style.css" => ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response(),
        "explorer.js" => ([(header::CONTENT_TYPE, js)], SCRIPT).into_response(),
        "snarkjs.min.js" => match &x.snarkjs {
            Some(bytes) => ([(header::CONTENT_TYPE, js)], bytes.clone()).into_response(),
            None => (
                StatusCode::NOT_FOUND,
                format!(
                    "snarkjs is not installed at {} (npm install --prefix actors/lib/proofs/interop)",
                    x.snarkjs_path.display()
                ),
            )
                .into_response(),
        },
        _ => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
