//! The server and the client over real HTTP on 127.0.0.1:0, against [`TestNode`]: every
//! method's round trip, and every kind of bad request a hostile or buggy caller can send.

use super::test_node::{Call, TestNode, TEST_VK};
use super::types::{HexHash, SendTransactionParams};
use super::*;
use crate::genesis::build_chain;
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::tx::Transfer;
use bitai_protocol::{encode_tx, BitaiTx, ChainId, Hash32, ProofSystem, SubmitProof};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn config() -> RpcConfig {
    RpcConfig {
        listen: "127.0.0.1:0".into(),
        max_request_bytes: 64 * 1024,
        max_response_bytes: 1 << 20,
        max_connections: 8,
        batch_limit: 3,
    }
}

async fn start() -> (RpcServer, Arc<TestNode>, Client) {
    let node = Arc::new(TestNode::default());
    let server = serve(&config(), node.clone()).await.expect("server starts");
    let client = Client::new(&server.url()).expect("client");
    (server, node, client)
}

/// Posts `body` as it is; the HTTP status and the body parsed as JSON.
async fn post(server: &RpcServer, body: &[u8]) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    // The server may answer (413) and close before reading a large body.
    let _ = stream.write_all(body).await;
    // Read until the server closes; a reset after a 413 (our unread body) ends it too.
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = stream.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8(raw).expect("utf-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("http answer");
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, serde_json::from_str(&body).expect("json body"))
}

/// A chunked HTTP body put back together (the conformance tests read raw answers too).
pub(crate) fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

fn call(method: &str, params: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .expect("json")
}

fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"].as_i64().expect("an error object")
}

async fn create_test_chain(client: &Client, key: &PrivateKey) -> ChainId {
    let (genesis, create, bytes) = build_chain(
        key,
        "t",
        1000,
        4,
        ProofSystem::Groth16Bn254,
        TEST_VK.to_vec(),
        7,
    )
    .expect("builds");
    let id = client.create_chain(bytes, genesis).await.expect("created");
    assert_eq!(id, create.chain_id());
    id
}

#[tokio::test]
async fn every_method_round_trips_through_the_client() {
    let (server, node, client) = start().await;
    let key = PrivateKey([5; 32]);
    let bob = PrivateKey([6; 32]).public_key();

    let ck = client.circuit_key(4).await.expect("circuit key");
    assert_eq!(
        (ck.max_block_txs, ck.verifying_key.as_slice()),
        (4, TEST_VK)
    );
    let id = create_test_chain(&client, &key).await;
    let registered = client.chain_key(id).await.expect("key").expect("known");
    assert_eq!(Hash32::sha256(&registered.create_chain), id.0);
    assert_eq!(registered.verifying_key, TEST_VK.to_vec());
    assert_eq!(registered.verifying_key_sha256, Hash32::sha256(TEST_VK));
    assert_eq!(client.block_proof(id, 1).await.expect("answered"), None);

    let chain = client.chain(id).await.expect("chain").expect("known");
    assert_eq!((chain.name.as_str(), chain.max_block_txs), ("t", 4));
    assert_eq!(client.chains().await.expect("chains"), vec![chain.clone()]);
    let account = client
        .account(id, 0)
        .await
        .expect("account")
        .expect("exists");
    assert_eq!(account.public_key, pack_point(&key.public_key()));
    assert_eq!((account.balance, account.nonce), (1000, 0));
    assert_eq!(client.account(id, 9).await.expect("account"), None);

    let signed = Transfer {
        from: 0,
        to: 1,
        to_public_key: bob,
        amount: 300,
        fee: 2,
        nonce: 0,
    }
    .sign(&id, &key);
    let hash = client
        .send_transaction(id, signed.to_bytes())
        .await
        .expect("sent");
    assert_eq!(hash, signed.hash());
    let status = client.transaction_status(hash).await.expect("status");
    assert_eq!(
        (status.stage, status.block_number),
        (Stage::InL2Block, Some(1))
    );
    // Sent again: answered as known (4009), with its stage; nothing changes.
    match client.send_transaction(id, signed.to_bytes()).await {
        Err(ClientError::Api(ApiError::AlreadyKnown(reason))) => {
            assert!(reason.contains(&hash.to_string()), "{reason}");
            assert!(reason.ends_with("in_l2_block"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let params = json!({"chain": id.to_string(), "tx": hex::encode(signed.to_bytes())});
    let (_, again) = post(&server, &call(method::SEND_TRANSACTION, params)).await;
    assert_eq!(error_code(&again), 4009, "{again}");
    assert_eq!(
        again["error"]["data"],
        json!({"hash": hash.to_string(), "stage": "in_l2_block"}),
        "{again}"
    );
    let block = client.block(id, 1).await.expect("block").expect("exists");
    assert_eq!(block.txs, vec![hash]);
    assert_eq!(client.block(id, 2).await.expect("block"), None);
    let bob_account = client
        .account(id, 1)
        .await
        .expect("account")
        .expect("created");
    assert_eq!(bob_account.balance, 300);

    let proof = encode_tx(&BitaiTx::SubmitProof(SubmitProof {
        chain_id: id,
        block_number: 1,
        prev_state_root: chain.verified_root,
        new_state_root: block.new_state_root,
        da_commitment: block.da_commitment,
        proof: vec![1, 2, 3],
    }))
    .expect("encodes");
    let proof_id = client
        .submit_bitai_tx(proof.clone())
        .await
        .expect("submitted");
    assert_eq!(proof_id, Hash32::sha256(&proof));
    let mempool = client.mempool().await.expect("mempool");
    assert_eq!(mempool.len(), 2);
    assert_eq!(
        (mempool[1].kind.as_str(), mempool[1].block_number),
        ("submit_proof", Some(1))
    );
    assert_eq!(client.prover_jobs().await.expect("jobs")[0].chain, id);
    assert_eq!(
        client.inscriptions().await.expect("batches")[0].envelopes,
        2
    );

    let calls = node.calls();
    assert!(calls.contains(&Call::SendTransaction(id, signed.to_bytes())));
    assert!(calls.contains(&Call::SubmitBitaiTx(proof)));
    assert!(calls.contains(&Call::TransactionStatus(hash)));
    assert_eq!(calls.len(), 19, "one node call per client call: {calls:?}");
    server.stop().await;
}

#[tokio::test]
async fn api_errors_keep_their_class_through_the_wire() {
    let (server, _node, client) = start().await;
    let unknown = ChainId(Hash32([9; 32]));
    assert!(matches!(
        client.account(unknown, 0).await,
        Err(ClientError::Api(ApiError::NotFound(_)))
    ));
    let key = PrivateKey([5; 32]);
    let id = create_test_chain(&client, &key).await;
    // Overdraft: the node's sequencer class.
    let signed = Transfer {
        from: 0,
        to: 0,
        to_public_key: key.public_key(),
        amount: 5000,
        fee: 0,
        nonce: 0,
    }
    .sign(&id, &key);
    match client.send_transaction(id, signed.to_bytes()).await {
        Err(ClientError::Api(ApiError::SequencerRejected(reason))) => {
            assert!(reason.contains("exceeds balance"), "{reason}")
        }
        other => panic!("expected a sequencer rejection, got {other:?}"),
    }
    // A signature for another chain does not verify here.
    let elsewhere = Transfer {
        from: 0,
        to: 0,
        to_public_key: key.public_key(),
        amount: 1,
        fee: 0,
        nonce: 0,
    }
    .sign(&unknown, &key);
    assert!(matches!(
        client.send_transaction(id, elsewhere.to_bytes()).await,
        Err(ClientError::Api(ApiError::SequencerRejected(_)))
    ));
    assert!(matches!(
        client.circuit_key(1000).await,
        Err(ClientError::Api(ApiError::NotFound(_)))
    ));
    server.stop().await;
}

#[tokio::test]
async fn the_server_checks_bytes_before_the_node_sees_them() {
    let (server, node, client) = start().await;
    // Not a BitAI transaction.
    assert!(matches!(
        client.submit_bitai_tx(vec![1, 2, 3]).await,
        Err(ClientError::Api(ApiError::InvalidParams(_)))
    ));
    // A genesis whose root is not the CreateChain's.
    let key = PrivateKey([5; 32]);
    let (mut genesis, _, bytes) = build_chain(
        &key,
        "t",
        1000,
        4,
        ProofSystem::Groth16Bn254,
        TEST_VK.to_vec(),
        7,
    )
    .expect("builds");
    genesis.accounts[0].balance += 1;
    match client.create_chain(bytes.clone(), genesis.clone()).await {
        Err(ClientError::Api(ApiError::InvalidParams(r))) => assert!(r.contains("root"), "{r}"),
        other => panic!("expected invalid params, got {other:?}"),
    }
    // A block size that differs from the CreateChain's.
    genesis.accounts[0].balance -= 1;
    genesis.max_block_txs = 8;
    assert!(matches!(
        client.create_chain(bytes, genesis).await,
        Err(ClientError::Api(ApiError::InvalidParams(_)))
    ));
    // An empty transfer.
    assert!(matches!(
        client
            .send_transaction(ChainId(Hash32([1; 32])), Vec::new())
            .await,
        Err(ClientError::Api(ApiError::InvalidParams(_)))
    ));
    assert!(node.calls().is_empty(), "nothing invalid reached the node");
    server.stop().await;
}

#[tokio::test]
async fn malformed_requests_get_typed_json_rpc_errors() {
    let (server, node, _client) = start().await;
    let chain_hex = "ab".repeat(32);

    let (_, a) = post(&server, b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ").await;
    assert_eq!(error_code(&a), -32700, "malformed JSON: {a}");

    let (_, a) = post(&server, &call("bitai_noSuchMethod", json!({}))).await;
    assert_eq!(error_code(&a), -32601, "unknown method: {a}");

    let bad_hex = json!({"chain": "zz".repeat(32)});
    let (_, a) = post(&server, &call(method::GET_CHAIN, bad_hex)).await;
    assert_eq!(error_code(&a), -32602, "bad hex: {a}");

    let short = json!({"chain": "ab".repeat(31)});
    let (_, a) = post(&server, &call(method::GET_CHAIN, short)).await;
    assert_eq!(error_code(&a), -32602, "wrong length: {a}");

    let wrong_type = json!({"chain": chain_hex, "index": "zero"});
    let (_, a) = post(&server, &call(method::GET_ACCOUNT, wrong_type)).await;
    assert_eq!(error_code(&a), -32602, "wrong type: {a}");

    let (_, a) = post(
        &server,
        &call(method::GET_ACCOUNT, json!({"chain": chain_hex})),
    )
    .await;
    assert_eq!(error_code(&a), -32602, "missing field: {a}");

    let extra = json!({"chain": chain_hex, "surprise": 1});
    let (_, a) = post(&server, &call(method::GET_CHAIN, extra)).await;
    assert_eq!(error_code(&a), -32602, "unknown field: {a}");

    let (_, a) = post(&server, &call(method::GET_CHAIN, json!([chain_hex]))).await;
    assert_eq!(a["result"], Value::Null, "positional params work: {a}");
    let (_, a) = post(&server, &call(method::LIST_CHAINS, json!([]))).await;
    assert_eq!(a["result"], json!([]), "empty params work: {a}");

    let huge = call(method::SUBMIT_BITAI_TX, json!({"tx": "00".repeat(40_000)}));
    let (status, a) = post(&server, &huge).await;
    assert_eq!((status, error_code(&a)), (413, -32007), "oversized: {a}");

    assert_eq!(
        node.calls(),
        vec![Call::Chain(ChainId(Hash32([0xab; 32]))), Call::Chains]
    );
    server.stop().await;
}

#[tokio::test]
async fn batches_are_served_up_to_the_limit() {
    let (server, node, _client) = start().await;
    let one = json!({"jsonrpc": "2.0", "id": 1, "method": method::LIST_CHAINS});
    let (_, a) = post(&server, json!([one, one, one]).to_string().as_bytes()).await;
    assert_eq!(a.as_array().map(Vec::len), Some(3), "within the limit: {a}");
    let (_, a) = post(&server, json!([one, one, one, one]).to_string().as_bytes()).await;
    assert_eq!(error_code(&a), -32010, "over the limit: {a}");
    assert_eq!(node.calls().len(), 3);
    server.stop().await;
}

#[tokio::test]
async fn an_unreachable_node_is_reported_as_such() {
    let (server, _node, client) = start().await;
    server.stop().await;
    assert!(matches!(
        client.chains().await,
        Err(ClientError::Unreachable { .. })
    ));
    assert!(matches!(
        Client::new("https://example.invalid"),
        Err(ClientError::BadUrl { .. })
    ));
}

#[test]
fn config_limits_are_checked() {
    assert!(RpcConfig::default().check().is_ok());
    let mut c = RpcConfig {
        max_connections: 0,
        ..RpcConfig::default()
    };
    assert!(c.check().is_err());
    c.max_connections = 1;
    c.max_request_bytes = 10;
    assert!(c.check().is_err());
}

#[test]
fn stages_have_snake_case_names_in_pipeline_order() {
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        let wire = serde_json::to_value(stage).expect("serializes");
        assert_eq!(wire, json!(stage.name()));
        assert_eq!(stage.name().parse::<Stage>(), Ok(stage));
        assert_eq!(Stage::ALL.iter().position(|s| *s == stage), Some(i));
    }
    assert!(Stage::Pending < Stage::InL2Block && Stage::Verified < Stage::Final);
}

proptest! {
    #[test]
    fn params_parsing_never_panics(text in ".{0,200}") {
        let _ = serde_json::from_str::<SendTransactionParams>(&text);
        let _ = serde_json::from_str::<genesis::GenesisSpec>(&text);
        let _ = serde_json::from_str::<HexHash>(&text);
    }

    #[test]
    fn hashes_round_trip_as_64_hex_digits(bytes in any::<[u8; 32]>()) {
        let wire = serde_json::to_string(&HexHash(Hash32(bytes))).expect("serializes");
        prop_assert_eq!(wire.len(), 66);
        prop_assert_eq!(serde_json::from_str::<HexHash>(&wire).expect("parses").0, Hash32(bytes));
    }

    #[test]
    fn send_params_round_trip(chain in any::<[u8; 32]>(), tx in proptest::collection::vec(any::<u8>(), 0..200)) {
        let p = SendTransactionParams { chain: ChainId(Hash32(chain)), tx };
        let wire = serde_json::to_string(&p).expect("serializes");
        prop_assert_eq!(serde_json::from_str::<SendTransactionParams>(&wire).expect("parses"), p);
    }
}

#[tokio::test]
async fn waiting_follows_the_stages_and_stops_at_rejection_or_timeout() {
    use crate::client::{wait_for_stage, WaitError};
    use std::time::Duration;
    let (server, node, client) = start().await;
    let key = PrivateKey([5; 32]);
    let id = create_test_chain(&client, &key).await;
    let signed = Transfer {
        from: 0,
        to: 0,
        to_public_key: key.public_key(),
        amount: 1,
        fee: 1,
        nonce: 0,
    }
    .sign(&id, &key);
    let hash = client
        .send_transaction(id, signed.to_bytes())
        .await
        .expect("sent");
    let (long, tick) = (Duration::from_secs(2), Duration::from_millis(10));
    node.set_stage(hash, Stage::Verified);
    let status = wait_for_stage(&client, hash, Stage::Proven, long, tick)
        .await
        .expect("verified is past proven");
    assert_eq!(status.stage, Stage::Verified);
    assert_eq!(status.bitcoin_height, Some(120));
    match wait_for_stage(&client, hash, Stage::Final, Duration::from_millis(30), tick).await {
        Err(WaitError::TimedOut { last, .. }) => assert_eq!(last, Stage::Verified),
        other => panic!("expected a timeout, got {other:?}"),
    }
    node.set_stage(hash, Stage::Rejected);
    assert!(matches!(
        wait_for_stage(&client, hash, Stage::Final, long, tick).await,
        Err(WaitError::Rejected(_))
    ));
    server.stop().await;
}

#[tokio::test]
async fn an_answer_over_the_response_limit_is_an_error_not_a_truncation() {
    let node = Arc::new(TestNode::default());
    let small = RpcConfig {
        max_response_bytes: 1024,
        ..config()
    };
    let server = serve(&small, node.clone()).await.expect("server starts");
    let client = Client::new(&server.url()).expect("client");
    for number in 1..=10 {
        let tx = encode_tx(&BitaiTx::SubmitProof(SubmitProof {
            chain_id: ChainId(Hash32([1; 32])),
            block_number: number,
            prev_state_root: Hash32([2; 32]),
            new_state_root: Hash32([3; 32]),
            da_commitment: Hash32([4; 32]),
            proof: vec![5; 8],
        }))
        .expect("encodes");
        client.submit_bitai_tx(tx).await.expect("submitted");
    }
    let (_, a) = post(&server, &call(method::MEMPOOL, json!({}))).await;
    assert_eq!(error_code(&a), -32008, "oversized answer: {a}");
    assert!(matches!(
        client.mempool().await,
        Err(ClientError::Rpc { code: -32008, .. })
    ));
    server.stop().await;
}

#[tokio::test]
async fn requests_beyond_max_connections_get_429_until_one_finishes() {
    let node = Arc::new(TestNode::default());
    let one = RpcConfig {
        max_connections: 1,
        ..config()
    };
    let server = serve(&one, node.clone()).await.expect("server starts");
    let client = Client::new(&server.url()).expect("client");
    let closed = node.gate.write().await;
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.mempool().await }
    });
    while !node.calls().contains(&Call::Mempool) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    match client.chains().await {
        Err(ClientError::BadResponse(reason)) => assert!(reason.contains("429"), "{reason}"),
        other => panic!("expected HTTP 429, got {other:?}"),
    }
    drop(closed);
    assert_eq!(first.await.expect("joins").expect("answered"), vec![]);
    assert_eq!(client.chains().await.expect("a free slot again"), vec![]);
    server.stop().await;
}
