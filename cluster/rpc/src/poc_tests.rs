//! The Proof-of-Compute methods over real HTTP against [`TestNode`], whose chain runs every op
//! through the real state transition function: neurons register, a model goes to DA and is
//! deployed, a request is drawn to three neurons who commit and reveal, and the settlement
//! pays them; then every kind of bad input each method can get.

use super::poc_fixture::*;
use super::test_node::TestNode;
use super::*;
use bitai_chain::field::{fr_to_be_bytes, Fr};
use bitai_chain::poc::{hash_halves, output_digest, PocKind, PocOp};
use bitai_models::{CheckedModel, Limits};
use bitai_protocol::{ChainId, Hash32};
use serde_json::{json, Value};
use std::sync::Arc;

async fn start() -> (RpcServer, Arc<TestNode>, Client) {
    let node = Arc::new(TestNode::default());
    let config = RpcConfig {
        listen: "127.0.0.1:0".into(),
        ..RpcConfig::default()
    };
    let server = serve(&config, node.clone()).await.expect("server starts");
    let client = Client::new(&server.url()).expect("client");
    (server, node, client)
}

fn zero() -> [Fr; 2] {
    [Fr::from(0u64); 2]
}

/// The JSON-RPC error code of a client error (panics on success or a transport failure).
fn code_of<T: std::fmt::Debug>(r: Result<T, ClientError>) -> i32 {
    match r {
        Err(ClientError::Api(e)) => e.code(),
        Err(ClientError::Rpc { code, .. }) => code,
        other => panic!("expected an error answer, got {other:?}"),
    }
}

/// Calls `method` with raw JSON params; the answer's error code.
async fn raw_error(client: &Client, method: &str, params: Value) -> i64 {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer = post_json(client.url().to_owned(), body).await;
    answer["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("an error for {method}: {answer}"))
}

async fn post_json(url: String, body: Value) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let body = serde_json::to_vec(&body).expect("json");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(&body).await.expect("body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("answer");
    let text = String::from_utf8(raw).expect("utf-8");
    let (_, body) = text.split_once("\r\n\r\n").expect("http");
    serde_json::from_str(body).expect("json answer")
}

#[tokio::test]
async fn a_request_runs_from_registration_to_settlement_over_the_rpc() {
    let (server, _node, client) = start().await;
    let chain = create_poc_chain(&client).await;
    register_neurons(&client, chain, &[1, 2, 3], 2_000).await;
    let neurons = client.neurons(chain).await.expect("neurons");
    assert_eq!(neurons.len(), 3);
    assert!(neurons.iter().all(|n| n.active && n.stake == 2_000));

    let model = small_model();
    let hash = client
        .put_model(chain, model.bytes().to_vec())
        .await
        .expect("put");
    assert_eq!(hash.0, model.id().0);
    assert_eq!(
        client.model_bytes(hash).await.expect("bytes").as_deref(),
        Some(model.bytes())
    );
    let size = model.bytes().len() as u64;
    submit(
        &client,
        chain,
        0,
        PocKind::DeployModel,
        0,
        size,
        hash_halves(&hash),
        vec![],
    )
    .await;
    let summary = client.poc_summary(chain).await.expect("summary");
    assert_eq!(
        (
            summary.active_neurons,
            summary.models_deployed,
            summary.max_ops
        ),
        (3, 1, 4)
    );
    assert_eq!(
        summary.models,
        vec![ModelInfo {
            id: 0,
            hash,
            size: size as u32,
            owner: 0
        }]
    );

    let input = f32_bytes(&[0.5, -1.0, 2.0, 0.25]);
    let input_hash = Hash32::sha256(&input);
    let op_id = submit(
        &client,
        chain,
        0,
        PocKind::RequestInference,
        0,
        90,
        hash_halves(&input_hash),
        input.clone(),
    )
    .await;
    let status = client.transaction_status(op_id).await.expect("status");
    assert_eq!(status.stage, Stage::InL2Block);
    let r = client
        .request(chain, 0)
        .await
        .expect("request")
        .expect("exists");
    assert_eq!((r.requester, r.model, r.escrow), (0, 0, 90));
    assert_eq!(r.input_hash, input_hash);
    assert_eq!(r.commit_deadline, r.created_block + 4);
    assert_eq!(r.reveal_deadline, r.created_block + 8);
    assert!(!r.settled && r.output.is_none() && !r.outcome.quorum);
    let mut seated: Vec<u32> = r.seats.iter().map(|s| s.account).collect();
    seated.sort_unstable();
    assert_eq!(seated, vec![1, 2, 3]);
    assert_eq!(
        client.request_input(chain, 0).await.expect("input"),
        Some(input.clone())
    );
    assert_eq!(client.summary_open(chain).await, 1);
    for a in 1..=3 {
        let mine = client.assignments(chain, a).await.expect("assignments");
        assert_eq!(mine.iter().map(|r| r.id).collect::<Vec<_>>(), vec![0]);
    }
    assert!(client.assignments(chain, 4).await.expect("none").is_empty());
    assert_eq!(client.nonce(chain, 0).await.expect("nonce"), Some(2));

    assert_eq!(serve_assignments(&client, chain, &[1, 2, 3], &[]).await, 3);
    let done = client
        .request(chain, 0)
        .await
        .expect("request")
        .expect("exists");
    let expected = run_canonical(&model, &input);
    assert!(done.settled);
    assert_eq!(done.settled_parts, vec![0, 1, 2, 3]);
    assert!(done.outcome.quorum);
    assert_eq!(done.outcome.agreeing_seats, vec![0, 1, 2]);
    assert_eq!((done.outcome.share, done.outcome.refund), (30, 0));
    assert!(done.outcome.slashed_accounts.is_empty());
    assert_eq!(
        done.outcome.result_digest,
        Some(fr_to_be_bytes(&output_digest(&expected)))
    );
    assert_eq!(done.output, Some(expected));
    assert!(done.seats.iter().all(|s| s.committed && s.revealed));
    assert!(done
        .seats
        .iter()
        .all(|s| s.commitment.is_some() && s.result == done.outcome.result_digest));
    assert!(r
        .seats
        .iter()
        .all(|s| s.commitment.is_none() && s.result.is_none()));
    assert_eq!(client.summary_open(chain).await, 0);
    let paid = client.neurons(chain).await.expect("neurons");
    assert!(paid.iter().all(|n| n.rewards == 30 && n.slashed == 0));
    server.stop().await;
}

#[tokio::test]
async fn a_cheating_seat_is_slashed_and_two_cheaters_leave_no_quorum() {
    let (server, _node, client) = start().await;
    let chain = create_poc_chain(&client).await;
    register_neurons(&client, chain, &[1, 2, 3], 2_000).await;
    let model = small_model();
    let hash = client
        .put_model(chain, model.bytes().to_vec())
        .await
        .expect("put");
    let size = model.bytes().len() as u64;
    submit(
        &client,
        chain,
        0,
        PocKind::DeployModel,
        0,
        size,
        hash_halves(&hash),
        vec![],
    )
    .await;
    let input = f32_bytes(&[1.0, 2.0, 3.0, 4.0]);
    // One cheater is outvoted; two cheaters (each with its own wrong answer) leave no two
    // seats agreeing.
    for cheaters in [&[2u32][..], &[2, 3]] {
        let h = hash_halves(&Hash32::sha256(&input));
        submit(
            &client,
            chain,
            0,
            PocKind::RequestInference,
            0,
            100,
            h,
            input.clone(),
        )
        .await;
        assert_eq!(
            serve_assignments(&client, chain, &[1, 2, 3], cheaters).await,
            3
        );
    }
    let one = client.request(chain, 0).await.expect("r").expect("exists");
    assert!(one.settled && one.outcome.quorum);
    assert_eq!(one.outcome.slashed_accounts, vec![2]);
    assert_eq!((one.outcome.share, one.outcome.refund), (50, 0));
    let two = client.request(chain, 1).await.expect("r").expect("exists");
    assert!(two.settled && !two.outcome.quorum);
    assert_eq!((two.outcome.share, two.outcome.refund), (0, 100));
    assert!(two.output.is_none() && two.outcome.result_digest.is_none());
    let n2 = client.neurons(chain).await.expect("neurons")[1].clone();
    assert_eq!((n2.account, n2.slashed), (2, 500));
    server.stop().await;
}

#[tokio::test]
async fn bad_ops_and_models_get_typed_errors() {
    let (server, node, client) = start().await;
    let chain = create_poc_chain(&client).await;
    let unknown = ChainId(Hash32([7; 32]));
    let good = sign_op(
        &chain,
        1,
        PocKind::RegisterNeuron,
        0,
        2_000,
        0,
        zero(),
        vec![],
    );

    // Not hex, not an op, a settlement part: refused before the node sees them.
    let params = json!({"chain": chain.to_string(), "op": "zz"});
    assert_eq!(
        raw_error(&client, method::SUBMIT_POC_OP, params).await,
        -32602
    );
    let junk = client.submit_poc_op(chain, vec![2; 40]).await;
    assert_eq!(code_of(junk), code::INVALID_PARAMS);
    let settle = PocOp::Settle {
        request: 0,
        part: 0,
    }
    .to_bytes();
    assert_eq!(
        code_of(client.submit_poc_op(chain, settle).await),
        code::INVALID_PARAMS
    );
    let mut trailing = good.to_bytes();
    trailing.push(0);
    assert_eq!(
        code_of(client.submit_poc_op(chain, trailing).await),
        code::INVALID_PARAMS
    );
    // Well-formed but wrong for the chain: the state transition refuses it.
    let forged = sign_op(
        &unknown,
        1,
        PocKind::RegisterNeuron,
        0,
        2_000,
        0,
        zero(),
        vec![],
    );
    assert_eq!(
        code_of(client.submit_poc_op(chain, forged.to_bytes()).await),
        code::SEQUENCER_REJECTED
    );
    let too_small = sign_op(&chain, 1, PocKind::RegisterNeuron, 0, 1, 0, zero(), vec![]);
    assert_eq!(
        code_of(client.submit_poc_op(chain, too_small.to_bytes()).await),
        code::SEQUENCER_REJECTED
    );
    assert_eq!(
        code_of(client.submit_poc_op(unknown, good.to_bytes()).await),
        code::NOT_FOUND
    );
    assert_eq!(
        client
            .submit_poc_op(chain, good.to_bytes())
            .await
            .expect("ok"),
        good.hash()
    );

    // Models: the decoder's typed reason comes back.
    let bad = client.put_model(chain, b"not a model".to_vec()).await;
    match bad {
        Err(ClientError::Api(ApiError::InvalidParams(m))) => {
            assert!(m.contains("not a model"), "{m}")
        }
        other => panic!("a bad model is invalid params: {other:?}"),
    }
    let mut truncated = small_model().bytes().to_vec();
    truncated.pop();
    assert_eq!(
        code_of(client.put_model(chain, truncated).await),
        code::INVALID_PARAMS
    );
    assert_eq!(
        code_of(
            client
                .put_model(unknown, small_model().bytes().to_vec())
                .await
        ),
        code::NOT_FOUND
    );

    // Reads: absent things are null, unknown chains 4004, bad params -32602.
    assert_eq!(client.request(chain, 9).await.expect("answer"), None);
    assert_eq!(client.request_input(chain, 9).await.expect("answer"), None);
    assert_eq!(
        client.model_bytes(Hash32([1; 32])).await.expect("answer"),
        None
    );
    assert_eq!(client.nonce(chain, 99).await.expect("answer"), None);
    assert_eq!(code_of(client.neurons(unknown).await), code::NOT_FOUND);
    assert_eq!(code_of(client.poc_summary(unknown).await), code::NOT_FOUND);
    assert_eq!(code_of(client.request(unknown, 0).await), code::NOT_FOUND);
    assert_eq!(
        code_of(client.assignments(unknown, 0).await),
        code::NOT_FOUND
    );
    let cases = [
        (method::GET_MODEL_BYTES, json!({"hash": "ab"})),
        (
            method::GET_REQUEST,
            json!({"chain": chain.to_string(), "id": -1}),
        ),
        (method::GET_REQUEST, json!({"chain": chain.to_string()})),
        (
            method::GET_NONCE,
            json!({"chain": chain.to_string(), "account": 0, "extra": 1}),
        ),
        (method::LIST_NEURONS, json!({})),
        (
            method::PUT_MODEL,
            json!({"chain": chain.to_string(), "model": "0"}),
        ),
    ];
    for (m, params) in cases {
        assert_eq!(
            raw_error(&client, m, params.clone()).await,
            -32602,
            "{m} {params}"
        );
    }
    assert_eq!(
        node.calls()
            .iter()
            .filter(|c| matches!(c, super::test_node::Call::SubmitPocOp(..)))
            .count(),
        4,
        "only well-formed signed ops reach the node"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_default_request_limit_admits_a_lenet_model() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../actors/lib/models/fixtures");
    let json = std::fs::read_to_string(dir.join("lenet5.json")).expect("fixture");
    let weights = std::fs::read(dir.join("lenet5.weights.f32")).expect("fixture");
    let lenet = bitai_models::import(&json, &weights, &Limits::default()).expect("imports");
    assert!(
        lenet.bytes().len() * 2 > 1 << 19,
        "LeNet is a model of some size"
    );
    let (server, _node, client) = start().await;
    let chain = create_poc_chain(&client).await;
    let hash = client
        .put_model(chain, lenet.bytes().to_vec())
        .await
        .expect("a LeNet-class model fits the default request limit");
    assert_eq!(hash.0, lenet.id().0);
    let back = client.model_bytes(hash).await.expect("read").expect("kept");
    assert_eq!(
        CheckedModel::decode(&back, &Limits::default()).expect("decodes"),
        lenet
    );
    server.stop().await;
}

impl Client {
    /// Open requests of `chain` per its summary.
    async fn summary_open(&self, chain: ChainId) -> u64 {
        self.poc_summary(chain)
            .await
            .expect("summary")
            .open_requests
    }
}

#[test]
fn docs_list_every_method_in_order() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rpc.md");
    let docs = std::fs::read_to_string(path).expect("docs/rpc.md");
    let headings: Vec<&str> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .filter(|h| h.starts_with("bitai_"))
        .collect();
    assert_eq!(headings, method::ALL.to_vec());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
    /// Whatever bytes a caller sends as an op or a model, the server's check answers a typed
    /// error (or accepts a well-formed signed op); it never panics.
    #[test]
    fn the_server_checks_any_bytes_without_panicking(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        tag in 2u8..10,
    ) {
        let mut op = bytes.clone();
        if let Some(first) = op.first_mut() {
            *first = tag;
        }
        for b in [&bytes, &op] {
            match super::server::check_poc_op(b) {
                Ok(()) => proptest::prop_assert!(matches!(
                    PocOp::from_bytes(b),
                    Ok(PocOp::Signed(_))
                )),
                Err(e) => proptest::prop_assert_eq!(e.code(), code::INVALID_PARAMS),
            }
        }
        let mut model = b"BITAIMDL".to_vec();
        model.extend_from_slice(&bytes);
        for b in [&bytes, &model] {
            let e = super::server::check_model(b).expect_err("random bytes are no model");
            proptest::prop_assert_eq!(e.code(), code::INVALID_PARAMS);
        }
    }
}
