//! The pages: each reads the node through [`bitai_rpc::NodeApi`] and gives its title, its
//! JSON and its HTML. A bad id in a URL is a 400, something the node does not know a 404,
//! a node failure a 502, each with the reason.

mod bitcoin;
mod block;
mod chains;
mod pool;
mod request;
mod tx;

pub use bitcoin::bitcoin;
pub use block::{block, block_file};
pub use chains::{chain, overview};
pub use pool::pool;
pub use request::request;
pub use tx::tx;

use super::html::esc;
use axum::http::StatusCode;
use bitai_protocol::{ChainId, Hash32};
use bitai_rpc::ApiError;
use serde_json::{json, Value};

/// A page: its title, its JSON form, its HTML (`main`), and what goes beside it.
pub struct Page {
    /// The title.
    pub title: String,
    /// The same content as JSON.
    pub json: Value,
    /// The page's main content.
    pub html: String,
    /// Content outside `main` (not replaced by the live refresh).
    pub aside: String,
    /// Extra script tags.
    pub scripts: String,
}

impl Page {
    fn new(title: impl Into<String>, json: Value, html: String) -> Self {
        Page {
            title: title.into(),
            json,
            html,
            aside: String::new(),
            scripts: String::new(),
        }
    }
}

/// Why a page cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// A malformed id or number in the URL.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The node does not know it.
    #[error("not found: {0}")]
    NotFound(String),
    /// The node failed to answer.
    #[error("the node failed: {0}")]
    Node(String),
}

impl PageError {
    /// Its HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::Node(_) => StatusCode::BAD_GATEWAY,
        }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::NotFound(r) => PageError::NotFound(r),
            ApiError::InvalidParams(r) => PageError::BadRequest(r),
            other => PageError::Node(other.to_string()),
        }
    }
}

/// The page of an error.
pub fn error_page(e: &PageError) -> Page {
    Page::new(
        "not shown",
        json!({"error": e.to_string()}),
        format!("<p class=\"error\">{}</p>", esc(&e.to_string())),
    )
}

/// 64 hex digits from a URL.
fn parse_hash(what: &str, s: &str) -> Result<Hash32, PageError> {
    if s.len() != 64 {
        return Err(PageError::BadRequest(format!(
            "{what}: 64 hex digits expected"
        )));
    }
    Hash32::from_hex(s).map_err(|e| PageError::BadRequest(format!("{what}: {e}")))
}

fn parse_chain(s: &str) -> Result<ChainId, PageError> {
    parse_hash("chain id", s).map(ChainId)
}

fn parse_number<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, PageError> {
    s.parse()
        .map_err(|_| PageError::BadRequest(format!("{what}: not a number: {s}")))
}

/// `value` as JSON (the wire types all serialize).
fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
