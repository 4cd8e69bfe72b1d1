//! JSON-RPC 2.0 conformance: the specification's own examples (section 7,
//! <https://www.jsonrpc.org/specification#examples>), sent as raw HTTP to the real server in
//! front of [`TestNode`], with the node's methods in place of the examples' `subtract`,
//! `update` and `sum`; then the cases the specification implies (ids of every JSON type,
//! notifications executed, content types, HTTP methods).

use super::test_node::{Call, TestNode};
use super::tests::dechunk;
use super::*;
use bitai_protocol::{ChainId, Hash32};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An HTTP answer: status, content type, body (empty when there is none).
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }
}

async fn start() -> (RpcServer, Arc<TestNode>) {
    let node = Arc::new(TestNode::default());
    let config = RpcConfig {
        listen: "127.0.0.1:0".into(),
        max_request_bytes: 64 * 1024,
        max_response_bytes: 1 << 20,
        max_connections: 8,
        batch_limit: 8,
    };
    let server = serve(&config, node.clone()).await.expect("server starts");
    (server, node)
}

async fn raw(server: &RpcServer, method: &str, content_type: &str, body: &str) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let head = format!(
        "{method} / HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(body.as_bytes()).await.expect("body");
    let mut text = String::new();
    stream.read_to_string(&mut text).await.expect("answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let lower = head.to_ascii_lowercase();
    let content_type = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-type:"))
        .unwrap_or("")
        .trim()
        .to_owned();
    let body = if lower.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Answer {
        status,
        content_type,
        body,
    }
}

async fn post(server: &RpcServer, body: &str) -> Answer {
    raw(server, "POST", "application/json", body).await
}

fn code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("an error: {v}"))
}

/// Asserts "nothing at all": HTTP 204, no body.
fn nothing(a: &Answer, what: &str) {
    assert_eq!((a.status, a.body.as_str()), (204, ""), "{what}");
}

const CHAIN: &str = "abababababababababababababababababababababababababababababababab";

#[tokio::test]
async fn the_specifications_examples() {
    let (server, node) = start().await;

    // rpc call with positional parameters / with named parameters.
    let a = post(
        &server,
        &format!(
            r#"{{"jsonrpc": "2.0", "method": "bitai_getChain", "params": ["{CHAIN}"], "id": 1}}"#
        ),
    )
    .await;
    assert_eq!(
        (a.status, a.json()),
        (200, json!({"jsonrpc": "2.0", "result": null, "id": 1}))
    );
    let a = post(&server, &format!(r#"{{"jsonrpc": "2.0", "method": "bitai_getChain", "params": {{"chain": "{CHAIN}"}}, "id": 3}}"#)).await;
    assert_eq!(a.json(), json!({"jsonrpc": "2.0", "result": null, "id": 3}));
    assert!(
        a.content_type.starts_with("application/json"),
        "{}",
        a.content_type
    );

    // a Notification: executed, not answered (also for a method that does not exist).
    let before = node.calls().len();
    let a = post(
        &server,
        r#"{"jsonrpc": "2.0", "method": "bitai_listChains", "params": []}"#,
    )
    .await;
    nothing(&a, "a notification");
    assert_eq!(
        node.calls()[before..],
        [Call::Chains],
        "the notification ran"
    );
    nothing(
        &post(&server, r#"{"jsonrpc": "2.0", "method": "foobar"}"#).await,
        "unknown",
    );

    // rpc call of non-existent method.
    let a = post(
        &server,
        r#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#,
    )
    .await;
    assert_eq!(code(&a.json()), -32601);
    assert_eq!(a.json()["id"], json!("1"));

    // rpc call with invalid JSON.
    let a = post(
        &server,
        r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#,
    )
    .await;
    assert_eq!(
        (code(&a.json()), a.json()["id"].clone()),
        (-32700, Value::Null)
    );

    // rpc call with invalid Request object.
    let a = post(
        &server,
        r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#,
    )
    .await;
    assert_eq!(
        (code(&a.json()), a.json()["id"].clone()),
        (-32600, Value::Null)
    );

    // rpc call Batch, invalid JSON.
    let a = post(
        &server,
        r#"[
      {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
      {"jsonrpc": "2.0", "method"
    ]"#,
    )
    .await;
    assert_eq!(
        (code(&a.json()), a.json()["id"].clone()),
        (-32700, Value::Null)
    );

    // rpc call with an empty Array.
    let a = post(&server, "[]").await;
    assert_eq!(
        (code(&a.json()), a.json()["id"].clone()),
        (-32600, Value::Null)
    );

    // rpc call with an invalid Batch (but not empty) / invalid Batch.
    for (body, n) in [("[1]", 1), ("[1,2,3]", 3)] {
        let a = post(&server, body).await;
        let all = a.json();
        let all = all.as_array().expect("an array");
        assert_eq!(all.len(), n, "{body}");
        for one in all {
            assert_eq!((code(one), one["id"].clone()), (-32600, Value::Null));
        }
    }

    // rpc call Batch: calls, a notification, an invalid member, an unknown method.
    let a = post(
        &server,
        &format!(
            r#"[
        {{"jsonrpc": "2.0", "method": "bitai_listChains", "params": [], "id": "1"}},
        {{"jsonrpc": "2.0", "method": "bitai_getChain", "params": ["{CHAIN}"]}},
        {{"jsonrpc": "2.0", "method": "bitai_getChain", "params": ["{CHAIN}"], "id": "2"}},
        {{"foo": "boo"}},
        {{"jsonrpc": "2.0", "method": "foo.get", "params": {{"name": "myself"}}, "id": "5"}},
        {{"jsonrpc": "2.0", "method": "bitai_mempool", "id": "9"}}
    ]"#
        ),
    )
    .await;
    let all = a.json();
    let all = all.as_array().expect("an array");
    assert_eq!(
        all.len(),
        5,
        "one per call, none for the notification: {all:?}"
    );
    let by_id = |id: Value| {
        all.iter()
            .find(|r| r["id"] == id)
            .cloned()
            .expect("answered")
    };
    assert_eq!(by_id(json!("1"))["result"], json!([]));
    assert_eq!(by_id(json!("2"))["result"], Value::Null);
    assert_eq!(code(&by_id(json!("5"))), -32601);
    assert_eq!(by_id(json!("9"))["result"], json!([]));
    assert_eq!(code(&by_id(Value::Null)), -32600);

    // rpc call Batch (all notifications): nothing at all.
    let a = post(
        &server,
        r#"[
        {"jsonrpc": "2.0", "method": "bitai_listChains", "params": []},
        {"jsonrpc": "2.0", "method": "bitai_mempool"}
    ]"#,
    )
    .await;
    nothing(&a, "a batch of notifications");
    server.stop().await;
}

#[tokio::test]
async fn ids_of_every_json_type_content_types_and_http_methods() {
    let (server, node) = start().await;
    // Ids the specification allows come back exactly; the rest are invalid requests.
    for id in [
        json!(0),
        json!(u64::MAX),
        json!(-7),
        json!(i64::MIN),
        json!("x"),
        json!(""),
    ] {
        let body = json!({"jsonrpc": "2.0", "method": "bitai_listChains", "id": id}).to_string();
        let a = post(&server, &body).await.json();
        assert_eq!((a["id"].clone(), a["result"].clone()), (id, json!([])));
    }
    let a = post(
        &server,
        r#"{"jsonrpc": "2.0", "method": "bitai_listChains", "id": null}"#,
    )
    .await;
    assert_eq!(
        a.json(),
        json!({"jsonrpc": "2.0", "result": [], "id": null})
    );
    for id in [
        "{\"a\": 1}",
        "[1]",
        "true",
        "1e400",
        "18446744073709551616",
        "0.5",
    ] {
        let body = format!(r#"{{"jsonrpc": "2.0", "method": "bitai_listChains", "id": {id}}}"#);
        let a = post(&server, &body).await;
        assert_eq!(a.status, 200, "{id}");
        assert_eq!(
            (code(&a.json()), a.json()["id"].clone()),
            (-32600, Value::Null),
            "{id}"
        );
    }
    let calls = node.calls().len();

    // Content types: JSON with parameters is JSON; anything else is 415 with a JSON body.
    let body = r#"{"jsonrpc": "2.0", "method": "bitai_listChains", "id": 1}"#;
    for ct in [
        "application/json; charset=UTF-8",
        "Application/JSON",
        "application/json-rpc",
    ] {
        assert_eq!(
            raw(&server, "POST", ct, body).await.json()["result"],
            json!([]),
            "{ct}"
        );
    }
    for ct in ["text/plain", "application/x-www-form-urlencoded", ""] {
        let a = raw(&server, "POST", ct, body).await;
        assert_eq!(a.status, 415, "{ct}");
        assert!(
            a.content_type.starts_with("application/json"),
            "{ct}: {}",
            a.content_type
        );
        assert_eq!(code(&a.json()), -32600, "{ct}");
    }
    let a = raw(&server, "GET", "application/json", "").await;
    assert_eq!((a.status, code(&a.json())), (405, -32600));
    assert_eq!(
        node.calls().len(),
        calls + 3,
        "only the three JSON posts ran"
    );
    assert!(node
        .calls()
        .iter()
        .all(|c| matches!(c, Call::Chains | Call::Chain(ChainId(Hash32(_))))));
    server.stop().await;
}
