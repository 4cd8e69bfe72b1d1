//! JSON-RPC 2.0 to the letter, in front of jsonrpsee. An HTTP middleware reads the body (up
//! to `max_request_bytes`) and decides what jsonrpsee alone gets wrong:
//!
//! - a body that is not JSON is a parse error (-32700); JSON that is not a request (a
//!   number, an empty array, an object without `"jsonrpc": "2.0"` or a string `method`,
//!   `params` that are neither array nor object, an `id` that is an object, an array, a
//!   boolean, a fraction or a number outside -2^63..2^64-1, `1e400` among them) is an invalid
//!   request (-32600) with `id` null;
//! - a batch answers one response per call in it, its invalid members included (each -32600
//!   with `id` null); a batch of notifications only, like a single notification, is executed
//!   and answered with nothing at all (HTTP 204, empty body);
//! - notifications are executed (jsonrpsee would drop them): they are handed to jsonrpsee as
//!   calls with an id of ours, and their responses are removed; negative integer ids, which
//!   jsonrpsee cannot carry, travel the same way and come back as the client sent them;
//! - a request whose `Content-Type` is not JSON gets HTTP 415 and a JSON-RPC error body
//!   (-32600), any HTTP method but POST HTTP 405 and one too, never plain text.
//!
//! Requests that need none of this (every ordinary call) are forwarded byte for byte.

use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use jsonrpsee::types::error::reject_too_big_request;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What the middleware's futures fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Invalid request.
const INVALID_REQUEST: i32 = -32600;
/// Parse error.
const PARSE_ERROR: i32 = -32700;
/// Ids of ours start with this (a client's string id that does is carried like a negative
/// number, so it can never be mistaken for one of ours).
const OURS: &str = "\u{0}bitai:";

/// What to do with a request body.
#[derive(Debug, PartialEq)]
pub(crate) enum Plan {
    /// Answer at once: HTTP status and JSON body.
    Answer(u16, Value),
    /// Hand `body` to jsonrpsee, then put its answer right with `fix`.
    Forward {
        /// The request as jsonrpsee gets it.
        body: Vec<u8>,
        /// How its answer is put right (None: as it is).
        fix: Option<Fix>,
    },
}

/// How jsonrpsee's answer to a rewritten request becomes the answer to the client's.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Fix {
    /// The request was a batch.
    batch: bool,
    /// Our ids: the client's id to put back, or None for a notification (no response).
    ids: BTreeMap<String, Option<Value>>,
    /// Responses to the batch's invalid members, added to jsonrpsee's.
    errors: Vec<Value>,
}

/// A JSON-RPC error response with `id` null.
pub(crate) fn error(code: i32, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": null})
}

/// What one request object is.
enum Member {
    /// A call jsonrpsee can answer as it is.
    Plain,
    /// A call or notification that needs an id of ours; the client's id (None: notification).
    Carried(Option<Value>),
}

/// Checks one request object.
fn check(o: &Map<String, Value>) -> Result<Member, &'static str> {
    if o.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return Err("invalid request: \"jsonrpc\" must be \"2.0\"");
    }
    if !matches!(o.get("method"), Some(Value::String(_))) {
        return Err("invalid request: \"method\" must be a string");
    }
    if !matches!(
        o.get("params"),
        None | Some(Value::Array(_)) | Some(Value::Object(_))
    ) {
        return Err("invalid request: \"params\" must be an array or an object");
    }
    match o.get("id") {
        None => Ok(Member::Carried(None)),
        Some(Value::Null) => Ok(Member::Plain),
        Some(Value::String(s)) if !s.starts_with(OURS) => Ok(Member::Plain),
        Some(id @ Value::String(_)) => Ok(Member::Carried(Some(id.clone()))),
        Some(Value::Number(n)) if n.is_u64() => Ok(Member::Plain),
        Some(id @ Value::Number(n)) if n.is_i64() => Ok(Member::Carried(Some(id.clone()))),
        Some(Value::Number(_)) => {
            Err("invalid request: a number \"id\" must be an integer from -2^63 to 2^64-1")
        }
        Some(_) => Err("invalid request: \"id\" must be a string, a number or null"),
    }
}

/// Plans the answer to `bytes`, a POSTed JSON body.
pub(crate) fn plan(bytes: &[u8]) -> Plan {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        // Valid JSON that serde_json cannot hold in a Value: a number beyond f64 (1e400).
        Err(_) if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() => {
            let reason = "invalid request: a number is out of range";
            return Plan::Answer(200, error(INVALID_REQUEST, reason));
        }
        Err(_) => {
            return Plan::Answer(200, error(PARSE_ERROR, "parse error: the body is not JSON"))
        }
    };
    match value {
        Value::Object(o) => plan_single(bytes, o),
        Value::Array(members) if members.is_empty() => Plan::Answer(
            200,
            error(INVALID_REQUEST, "invalid request: an empty batch"),
        ),
        Value::Array(members) => plan_batch(bytes, members),
        _ => Plan::Answer(
            200,
            error(
                INVALID_REQUEST,
                "invalid request: a request is an object, a batch an array of them",
            ),
        ),
    }
}

fn plan_single(bytes: &[u8], mut o: Map<String, Value>) -> Plan {
    match check(&o) {
        Err(reason) => Plan::Answer(200, error(INVALID_REQUEST, reason)),
        Ok(Member::Plain) => Plan::Forward {
            body: bytes.to_vec(),
            fix: None,
        },
        Ok(Member::Carried(id)) => {
            let mut fix = Fix::default();
            carry(&mut o, id, &mut fix);
            Plan::Forward {
                body: Value::Object(o).to_string().into_bytes(),
                fix: Some(fix),
            }
        }
    }
}

fn plan_batch(bytes: &[u8], members: Vec<Value>) -> Plan {
    let mut fix = Fix {
        batch: true,
        ..Fix::default()
    };
    let mut forward = Vec::with_capacity(members.len());
    let mut rewritten = false;
    for member in members {
        let Value::Object(mut o) = member else {
            let reason = "invalid request: a batch member must be an object";
            fix.errors.push(error(INVALID_REQUEST, reason));
            continue;
        };
        match check(&o) {
            Err(reason) => fix.errors.push(error(INVALID_REQUEST, reason)),
            Ok(Member::Plain) => forward.push(Value::Object(o)),
            Ok(Member::Carried(id)) => {
                carry(&mut o, id, &mut fix);
                forward.push(Value::Object(o));
                rewritten = true;
            }
        }
    }
    if forward.is_empty() {
        return Plan::Answer(200, Value::Array(fix.errors));
    }
    if !rewritten && fix.errors.is_empty() {
        return Plan::Forward {
            body: bytes.to_vec(),
            fix: None,
        };
    }
    Plan::Forward {
        body: Value::Array(forward).to_string().into_bytes(),
        fix: Some(fix),
    }
}

/// Gives `o` an id of ours, remembering the client's (None: a notification).
fn carry(o: &mut Map<String, Value>, id: Option<Value>, fix: &mut Fix) {
    let ours = format!("{OURS}{}", fix.ids.len());
    o.insert("id".into(), Value::String(ours.clone()));
    fix.ids.insert(ours, id);
}

/// Puts jsonrpsee's answer `body` right: the client's ids back, no response to a
/// notification, the invalid members' errors added. None: answer nothing (HTTP 204).
pub(crate) fn apply(fix: &Fix, body: &[u8]) -> Option<Value> {
    let answer: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        // Not JSON (cannot happen with jsonrpsee): nothing to put right but the errors.
        Err(_) => return (!fix.errors.is_empty()).then(|| Value::Array(fix.errors.clone())),
    };
    let restore = |mut response: Value| -> Option<Value> {
        let ours = response
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        match ours.and_then(|id| fix.ids.get(&id)) {
            Some(None) => None,
            Some(Some(id)) => {
                response["id"] = id.clone();
                Some(response)
            }
            None => Some(response),
        }
    };
    match (fix.batch, answer) {
        (true, Value::Array(responses)) => {
            let mut all: Vec<Value> = responses.into_iter().filter_map(restore).collect();
            all.extend(fix.errors.iter().cloned());
            (!all.is_empty()).then_some(Value::Array(all))
        }
        // A batch-wide error (too many calls): it stands for the whole batch.
        (true, other) => Some(other),
        (false, response) => restore(response),
    }
}

/// An HTTP answer with a JSON body (or none, for HTTP 204).
pub(crate) fn respond(status: u16, body: Option<&Value>) -> HttpResponse {
    let text = body.map_or_else(String::new, Value::to_string);
    let mut response = HttpResponse::new(HttpBody::from(text));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    if body.is_some() {
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    response
}

/// Whether a `Content-Type` is JSON (`application/json` or `application/json-rpc`, any
/// parameters).
fn is_json(value: Option<&http::HeaderValue>) -> bool {
    let Some(v) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let media = v.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/json")
        || media.eq_ignore_ascii_case("application/json-rpc")
}

/// Wraps a service in [`Strict`].
#[derive(Clone, Copy)]
pub struct StrictLayer {
    max_request_bytes: u32,
}

impl StrictLayer {
    /// Bodies over `max_request_bytes` get HTTP 413 (-32007) unread.
    pub fn new(max_request_bytes: u32) -> Self {
        StrictLayer { max_request_bytes }
    }
}

impl<S> tower::Layer<S> for StrictLayer {
    type Service = Strict<S>;

    fn layer(&self, inner: S) -> Strict<S> {
        Strict {
            inner,
            max_request_bytes: self.max_request_bytes,
        }
    }
}

/// The middleware.
#[derive(Clone)]
pub struct Strict<S> {
    inner: S,
    max_request_bytes: u32,
}

/// Reads a body of at most `max` bytes (None: larger).
async fn read<B>(body: B, max: u32) -> Result<Option<Vec<u8>>, BoxError>
where
    B: http_body::Body + Send,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    use http_body_util::BodyExt;
    match http_body_util::Limited::new(body, max as usize)
        .collect()
        .await
    {
        Ok(collected) => Ok(Some(collected.to_bytes().to_vec())),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Ok(None),
        Err(e) => Err(e),
    }
}

impl<S, B> tower::Service<HttpRequest<B>> for Strict<S>
where
    S: tower::Service<HttpRequest<HttpBody>, Response = HttpResponse> + Clone + Send + 'static,
    S::Error: Into<BoxError> + 'static,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        // The clone answers this request; the one polled ready stays for the next.
        let mut inner = self.inner.clone();
        std::mem::swap(&mut inner, &mut self.inner);
        let max = self.max_request_bytes;
        Box::pin(async move {
            if request.method() != http::Method::POST {
                let e = error(INVALID_REQUEST, "invalid request: use HTTP POST");
                return Ok(respond(405, Some(&e)));
            }
            if !is_json(request.headers().get(http::header::CONTENT_TYPE)) {
                let reason = "invalid request: Content-Type must be application/json";
                return Ok(respond(415, Some(&error(INVALID_REQUEST, reason))));
            }
            let (parts, body) = request.into_parts();
            let Some(bytes) = read(body, max).await? else {
                let too_big = reject_too_big_request(max);
                let e = json!({"jsonrpc": "2.0", "error": too_big, "id": null});
                return Ok(respond(413, Some(&e)));
            };
            let (body, fix) = match plan(&bytes) {
                Plan::Answer(status, answer) => return Ok(respond(status, Some(&answer))),
                Plan::Forward { body, fix } => (body, fix),
            };
            let mut parts = parts;
            parts.headers.remove(http::header::CONTENT_LENGTH);
            let forwarded = HttpRequest::from_parts(parts, HttpBody::from(body));
            let response = inner.call(forwarded).await.map_err(Into::into)?;
            let Some(fix) = fix else {
                return Ok(response);
            };
            let (head, body) = response.into_parts();
            let Some(bytes) = read(body, u32::MAX).await? else {
                return Ok(respond(500, Some(&error(-32603, "internal error"))));
            };
            Ok(match apply(&fix, &bytes) {
                Some(answer) => respond(head.status.as_u16(), Some(&answer)),
                None => respond(204, None),
            })
        })
    }
}

#[cfg(test)]
mod tests;
