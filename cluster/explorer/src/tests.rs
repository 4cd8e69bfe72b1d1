//! Every page, as HTML and as JSON, over real HTTP, against the RPC crate's double with a
//! chain created and a transfer executed; bad URLs get their status and reason; what the
//! node says is escaped. (The proof pages and the in-browser check are tested against a
//! running devnet in a real browser: `cluster/cli/tests/explorer_in_a_browser.rs`.)

use super::*;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::tx::Transfer;
use bitai_protocol::ProofSystem;
use bitai_rpc::test_node::{TestNode, TEST_VK};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Got {
    status: u16,
    content_type: String,
    body: String,
}

async fn get(server: &ExplorerServer, path: &str, accept: &str) -> Got {
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let head =
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an answer");
    let lower = head.to_ascii_lowercase();
    Got {
        status: head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status"),
        content_type: lower
            .lines()
            .find_map(|l| l.strip_prefix("content-type:"))
            .unwrap_or("")
            .trim()
            .to_owned(),
        body: body.to_owned(),
    }
}

async fn world() -> (ExplorerServer, String, String) {
    let node = Arc::new(TestNode::default());
    let key = PrivateKey([5; 32]);
    let (genesis, create, bytes) = bitai_rpc::build_chain(
        &key,
        "<script>alert(1)</script>",
        1000,
        4,
        ProofSystem::Groth16Bn254,
        TEST_VK.to_vec(),
        7,
    )
    .expect("builds");
    let id = node.create_chain(bytes, genesis).await.expect("created");
    assert_eq!(id, create.chain_id());
    let signed = Transfer {
        from: 0,
        to: 1,
        to_public_key: PrivateKey([6; 32]).public_key(),
        amount: 5,
        fee: 1,
        nonce: 0,
    }
    .sign(&id, &key);
    let hash = node.send_transaction(id, signed).await.expect("sent");
    let config = ExplorerConfig {
        listen: "127.0.0.1:0".into(),
        snarkjs_js: "/nonexistent/snarkjs.min.js".into(),
        refresh_ms: 2000,
    };
    let server = serve(&config, node).await.expect("serves");
    (server, id.to_string(), hash.to_string())
}

#[tokio::test]
async fn every_page_answers_as_html_and_as_json() {
    let (server, chain, tx) = world().await;
    let pages = [
        "/".to_owned(),
        format!("/chain/{chain}"),
        format!("/chain/{chain}/block/1"),
        format!("/tx/{tx}"),
        "/bitcoin".into(),
        "/pool".into(),
    ];
    for page in &pages {
        let html = get(&server, page, "text/html").await;
        assert_eq!(html.status, 200, "{page}: {}", html.body);
        assert!(html.content_type.starts_with("text/html"), "{page}");
        assert!(
            html.body.contains("<main>") && html.body.contains("/assets/explorer.js"),
            "{page}"
        );
        assert!(
            !html.body.contains("<script>alert"),
            "{page}: the chain's name is escaped"
        );
        for json in [
            get(&server, &format!("{page}?format=json"), "text/html").await,
            get(&server, page, "application/json").await,
        ] {
            assert_eq!(json.status, 200, "{page}");
            assert!(
                json.content_type.starts_with("application/json"),
                "{page}: {}",
                json.content_type
            );
            let _: Value = serde_json::from_str(&json.body).expect("JSON");
        }
    }
    let front: Value =
        serde_json::from_str(&get(&server, "/?format=json", "").await.body).expect("json");
    assert_eq!(front["chains"][0]["id"], Value::String(chain.clone()));
    let block: Value = serde_json::from_str(
        &get(&server, &format!("/chain/{chain}/block/1?format=json"), "")
            .await
            .body,
    )
    .expect("json");
    assert_eq!(block["transactions"][0]["hash"], Value::String(tx.clone()));
    assert_eq!(block["transactions"][0]["stage"], "in_l2_block");
    assert_eq!(block["proof"], Value::Null, "the double proves nothing");
    let journey = get(&server, &format!("/tx/{tx}"), "text/html").await.body;
    assert!(
        journey.contains("class=\"current\" data-stage=\"in_l2_block\""),
        "{journey}"
    );
    assert!(
        journey.contains("class=\"reached\" data-stage=\"pending\""),
        "{journey}"
    );
}

#[tokio::test]
async fn bad_urls_get_their_status_and_reason() {
    let (server, chain, _) = world().await;
    let zero = "00".repeat(32);
    for (path, status) in [
        ("/chain/xyz".to_owned(), 400),
        (format!("/chain/{zero}"), 404),
        (format!("/chain/{chain}/block/abc"), 400),
        (format!("/chain/{chain}/block/99"), 404),
        (format!("/chain/{chain}/block/1/proof"), 404),
        (format!("/chain/{chain}/block/1/other"), 404),
        ("/tx/12".into(), 400),
        ("/nothing/here".into(), 404),
        ("/assets/snarkjs.min.js".into(), 404),
        ("/assets/nothing.js".into(), 404),
    ] {
        let got = get(&server, &path, "text/html").await;
        assert_eq!(got.status, status, "{path}: {}", got.body);
    }
    let unknown = get(&server, &format!("/tx/{zero}"), "text/html").await;
    assert_eq!(unknown.status, 200);
    assert!(unknown.body.contains("never seen"), "{}", unknown.body);
    let json = get(&server, "/chain/xyz?format=json", "").await;
    let e: Value = serde_json::from_str(&json.body).expect("json");
    assert!(
        e["error"].as_str().is_some_and(|m| m.contains("chain id")),
        "{e}"
    );
    assert_eq!(get(&server, "/assets/explorer.js", "").await.status, 200);
    assert_eq!(get(&server, "/assets/style.css", "").await.status, 200);
}
