//! The admin endpoint's door: an HTTP middleware that lets a request through only with
//! `Authorization: Bearer <token>`, and answers anything else with HTTP 401 and a JSON-RPC
//! error body, before the request's body is read.

use super::AdminToken;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// What the middleware's futures fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The body of a refusal: a JSON-RPC error with id null.
pub const UNAUTHORIZED_BODY: &str = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,\
\"message\":\"unauthorized: send Authorization: Bearer <the token in [admin] token_file>\"}}";

/// Wraps a service in [`Bearer`].
#[derive(Clone)]
pub struct BearerLayer {
    token: Arc<AdminToken>,
}

impl BearerLayer {
    /// Requests must carry `token`.
    pub fn new(token: AdminToken) -> Self {
        BearerLayer {
            token: Arc::new(token),
        }
    }
}

impl<S> tower::Layer<S> for BearerLayer {
    type Service = Bearer<S>;

    fn layer(&self, inner: S) -> Bearer<S> {
        Bearer {
            inner,
            token: self.token.clone(),
        }
    }
}

/// The middleware.
#[derive(Clone)]
pub struct Bearer<S> {
    inner: S,
    token: Arc<AdminToken>,
}

/// Whether `header` (an `Authorization` value) carries `token`; the comparison takes the
/// same time wherever the bytes differ.
pub fn authorized(header: Option<&[u8]>, token: &AdminToken) -> bool {
    let Some(given) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else {
        return false;
    };
    let want = token.expose().as_bytes();
    if given.len() != want.len() {
        return false;
    }
    given
        .iter()
        .zip(want)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

fn unauthorized() -> HttpResponse {
    let mut response = HttpResponse::new(HttpBody::from(UNAUTHORIZED_BODY));
    *response.status_mut() = http::StatusCode::UNAUTHORIZED;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Bearer"),
    );
    response
}

impl<S, B> tower::Service<HttpRequest<B>> for Bearer<S>
where
    S: tower::Service<HttpRequest<B>, Response = HttpResponse>,
    S::Error: Into<BoxError> + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        let header = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        if !authorized(header, &self.token) {
            tracing::warn!("admin endpoint: refused a request without the token");
            return Box::pin(async { Ok(unauthorized()) });
        }
        let call = self.inner.call(request);
        Box::pin(async move { call.await.map_err(Into::into) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_authorized() {
        let token = AdminToken::new(&"a1".repeat(20)).expect("token");
        let good = format!("Bearer {}", "a1".repeat(20));
        assert!(authorized(Some(good.as_bytes()), &token));
        assert!(!authorized(None, &token));
        assert!(!authorized(Some(b"Bearer "), &token));
        assert!(!authorized(Some("a1".repeat(20).as_bytes()), &token));
        let wrong = format!("Bearer {}b", "a1".repeat(19));
        assert!(!authorized(Some(wrong.as_bytes()), &token));
        let longer = format!("{good}0");
        assert!(!authorized(Some(longer.as_bytes()), &token));
        let basic = format!("Basic {}", "a1".repeat(20));
        assert!(!authorized(Some(basic.as_bytes()), &token));
    }

    #[test]
    fn short_or_unprintable_tokens_are_refused() {
        assert!(AdminToken::new("short").is_err());
        assert!(AdminToken::new(&format!("{} x", "a".repeat(40))).is_err());
        assert!(AdminToken::new(&format!("  {}\n", "a".repeat(32))).is_ok());
    }
}
