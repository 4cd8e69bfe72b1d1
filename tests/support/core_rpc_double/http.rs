//! The double's HTTP/1.1 side, as Bitcoin Core's `httpserver` and `httprpc` behave: handlers on
//! `/` and `/wallet/<name>` (anything else is 404 with an empty body), POST only, HTTP Basic
//! authentication (401 with `WWW-Authenticate: Basic realm="jsonrpc"` and no body), keep-alive
//! connections, and JSON-RPC envelopes: a JSON-RPC 2.0 request gets a 2.0 reply with HTTP 200
//! and either `result` or `error` (Core 28 and later); a 1.0 request gets `result` and `error`
//! both, with HTTP 500 for errors (404 for an unknown method, 400 for an invalid request).

use super::node::NodeState;
use super::Injection;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Largest request body read (Core's default `-rpcserialversion` aside, 32 MB is its limit).
const MAX_BODY_BYTES: usize = 32 << 20;

/// One parsed HTTP request.
pub struct HttpRequest {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// What to send back.
pub enum Reply {
    /// A whole HTTP response.
    Http {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// A response whose body stops halfway, then the connection closes.
    Truncated { status: u16, body: Vec<u8> },
    /// Close the connection without a response.
    Close,
    /// Wait, then send the reply.
    Delayed(Duration, Box<Reply>),
}

/// Accepts connections until `stop`, one thread per connection.
#[allow(clippy::disallowed_methods)] // A test double of an outside system: real threads.
pub fn serve(listener: TcpListener, state: Arc<Mutex<NodeState>>, stop: Arc<AtomicBool>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let state = Arc::clone(&state);
        std::thread::spawn(move || {
            let _ = connection(stream, &state);
        });
    }
}

#[allow(clippy::disallowed_methods)] // Sleeping in a test double's own thread, to delay a reply.
fn connection(stream: TcpStream, state: &Mutex<NodeState>) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader)? {
        let mut reply = {
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            respond(&mut state, &request)
        };
        if let Reply::Delayed(delay, inner) = reply {
            std::thread::sleep(delay);
            reply = *inner;
        }
        match reply {
            // One write per response: a head and a body in two small writes would meet the
            // client's delayed ACK (Nagle) and stall each call for tens of milliseconds.
            Reply::Http {
                status,
                headers,
                body,
            } => {
                let mut response = head(status, &headers, body.len());
                response.extend_from_slice(&body);
                writer.write_all(&response)?;
            }
            Reply::Truncated { status, body } => {
                let mut response = head(status, &[json_type()], body.len());
                response.extend_from_slice(&body[..body.len() / 2]);
                writer.write_all(&response)?;
                writer.flush()?;
                return writer.shutdown(Shutdown::Both);
            }
            Reply::Close | Reply::Delayed(..) => return writer.shutdown(Shutdown::Both),
        }
        writer.flush()?;
    }
    Ok(())
}

fn head(status: u16, headers: &[(&'static str, String)], length: usize) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Internal Server Error",
    };
    let mut text = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    text.into_bytes()
}

fn json_type() -> (&'static str, String) {
    ("Content-Type", "application/json".to_owned())
}

fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<HttpRequest>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let mut headers = BTreeMap::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if length > MAX_BODY_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "request body too large",
        ));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(HttpRequest {
        method,
        path,
        headers,
        body,
    }))
}

/// Which wallet a request path names: `None` for `/`, the URL-decoded name for `/wallet/<name>`;
/// no route for any other path.
fn route(path: &str) -> Option<Option<String>> {
    if path == "/" {
        return Some(None);
    }
    path.strip_prefix("/wallet/")
        .map(|name| Some(url_decode(name)))
}

fn respond(state: &mut NodeState, request: &HttpRequest) -> Reply {
    let route = route(&request.path).filter(|wallet| wallet.is_none() || state.wallet_enabled);
    let Some(wallet) = route else {
        return Reply::Http {
            status: 404,
            headers: Vec::new(),
            body: Vec::new(),
        };
    };
    if request.method != "POST" {
        let body = b"JSONRPC server handles only POST requests".to_vec();
        return Reply::Http {
            status: 405,
            headers: Vec::new(),
            body,
        };
    }
    let expected = format!(
        "Basic {}",
        base64(&format!("{}:{}", state.user, state.password))
    );
    if request.headers.get("authorization") != Some(&expected) {
        let challenge = ("WWW-Authenticate", "Basic realm=\"jsonrpc\"".to_owned());
        return Reply::Http {
            status: 401,
            headers: vec![challenge],
            body: Vec::new(),
        };
    }
    let Ok(Value::Object(call)) = serde_json::from_slice::<Value>(&request.body) else {
        return envelope(false, Err((-32700, "Parse error".to_owned())), &Value::Null);
    };
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let v2 = call.get("jsonrpc") == Some(&json!("2.0")) && !state.legacy_envelopes;
    let Some(method) = call.get("method").and_then(Value::as_str) else {
        return envelope(v2, Err((-32600, "Method must be a string".to_owned())), &id);
    };
    let params = match call.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(params)) => params.clone(),
        Some(_) => return envelope(v2, Err((-32600, "Params must be an array".to_owned())), &id),
    };
    state.log(&request.path, method, &params, call.get("jsonrpc"));
    match state.take_injection(method) {
        None => envelope(v2, state.call(method, &params, wallet.as_deref()), &id),
        Some(Injection::RpcError { code, message }) => envelope(v2, Err((code, message)), &id),
        Some(Injection::Mutate(change)) => {
            let result = state
                .call(method, &params, wallet.as_deref())
                .map(|mut result| {
                    change(&mut result);
                    result
                });
            envelope(v2, result, &id)
        }
        Some(Injection::Body { status, body }) => Reply::Http {
            status,
            headers: vec![json_type()],
            body,
        },
        Some(Injection::Truncated) => {
            match envelope(v2, state.call(method, &params, wallet.as_deref()), &id) {
                Reply::Http { status, body, .. } => Reply::Truncated { status, body },
                other => other,
            }
        }
        Some(Injection::Close) => Reply::Close,
        Some(Injection::Delay(delay)) => {
            let reply = envelope(v2, state.call(method, &params, wallet.as_deref()), &id);
            Reply::Delayed(delay, Box::new(reply))
        }
    }
}

/// A JSON-RPC reply as Bitcoin Core sends it for a 2.0 or a 1.0 request.
fn envelope(v2: bool, outcome: Result<Value, (i32, String)>, id: &Value) -> Reply {
    let (status, body) = match (v2, outcome) {
        (true, Ok(result)) => (200, json!({"jsonrpc": "2.0", "result": result, "id": id})),
        (true, Err((code, message))) => (
            200,
            json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id}),
        ),
        (false, Ok(result)) => (200, json!({"result": result, "error": null, "id": id})),
        (false, Err((code, message))) => {
            let status = match code {
                -32600 => 400,
                -32601 => 404,
                _ => 500,
            };
            (
                status,
                json!({"result": null, "error": {"code": code, "message": message}, "id": id}),
            )
        }
    };
    Reply::Http {
        status,
        headers: vec![json_type()],
        body: render(&body).into_bytes(),
    }
}

/// Marker of an amount inside a [`Value`] tree, written out as a bare number.
const AMOUNT_MARKER: &str = "\u{1}btc:";

/// An amount in BTC as Bitcoin Core writes it: a JSON number with exactly 8 decimals.
pub fn btc(sat: u64) -> Value {
    Value::String(format!(
        "{AMOUNT_MARKER}{}.{:08}",
        sat / 100_000_000,
        sat % 100_000_000
    ))
}

/// JSON text of `value`, with every [`btc`] amount as a bare number (`0.00001000`).
pub fn render(value: &Value) -> String {
    let text = value.to_string();
    let quoted_marker = "\"\\u0001btc:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find(quoted_marker) {
        out.push_str(&rest[..start]);
        let number = &rest[start + quoted_marker.len()..];
        let end = number.find('"').expect("a marked amount ends with a quote");
        out.push_str(&number[..end]);
        rest = &number[end + 1..];
    }
    out.push_str(rest);
    out
}

fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 with padding, for the expected `Authorization` header.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let bits = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
