//! Hostile input reaches the indexer from two sides and it goes on: envelopes on Bitcoin that
//! are malformed (a BitAI body that does not decode, an oversized body, an unknown even tag),
//! mixed with valid ones and plain ord inscriptions, and a node that serves blocks corrupt,
//! truncated, oversized or wrong, and tip replies of the wrong shape. Every valid BitAI
//! transaction is delivered once, every bad one is counted, and the indexer never stops.

use bitai_bitcoin::BitcoinPort;
use bitai_indexer::IndexerConfig;
use bitai_protocol::{encode_tx, BitaiTx, ChainId, Hash32, SubmitProof, FORMAT_VERSION};
use bitai_runtime::TokioClock;
use bitai_simulation::bitcoin::{SimBitcoin, SimBitcoinConfig};
use bitai_storage::{MemoryStore, SharedStore};
use bitai_tests::support::canonical::Ledger;
use bitai_tests::support::hostile_node::{HostileNode, Mangle};
use bitai_tests::support::inscribe::{
    bitai_envelope as envelope, plain_inscription, TestInscriber,
};
use bitai_tests::support::recording_consumer::{effect_log, net_chain};
use bitai_tests::support::world::IndexerWorld;
use bitcoin::ScriptBuf;
use std::sync::Arc;
use std::time::Duration;

fn valid(n: u64) -> Vec<u8> {
    encode_tx(&BitaiTx::SubmitProof(SubmitProof {
        chain_id: ChainId(Hash32([9; 32])),
        block_number: n,
        prev_state_root: Hash32::default(),
        new_state_root: Hash32::sha256(&n.to_le_bytes()),
        da_commitment: Hash32::default(),
        proof: vec![2; 128],
    }))
    .expect("encodes")
}

#[tokio::test(start_paused = true)]
async fn malformed_envelopes_and_a_misbehaving_node_do_not_stop_the_indexer() {
    let clock = Arc::new(TokioClock::starting_at(1_700_000_000_000));
    let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(11), clock.clone()).expect("sim");
    let mut inscriber = TestInscriber::fund(&sim, 72, 50, 2);
    let mut ledger = Ledger::default();
    let start = sim.tip().expect("tip").height + 1;

    // Block `start`: each bad envelope shares its reveal with a valid one after it.
    let bad_body = vec![FORMAT_VERSION, 0xff, 0xff, 0xff];
    let oversized = {
        let mut b = vec![FORMAT_VERSION];
        b.resize(bitai_protocol::limits::MAX_TX_BYTES + 1, 0);
        b
    };
    let cases: Vec<Vec<ScriptBuf>> = vec![
        vec![envelope(&[], &bad_body), envelope(&[], &valid(1))],
        vec![envelope(&[], &oversized), envelope(&[], &valid(2))],
        // An unknown even tag: ord marks the inscription unbound but reads its body.
        vec![envelope(&[(&[66], b"x")], &valid(3))],
        // A plain ord inscription (no BitAI metaprotocol) beside a BitAI one: ignored.
        vec![
            plain_inscription(b"hello, ordinals"),
            envelope(&[], &valid(4)),
        ],
    ];
    let expected_payloads = [
        vec![valid(1)],
        vec![valid(2)],
        vec![valid(3)],
        vec![valid(4)],
    ];
    for (envs, payloads) in cases.iter().zip(expected_payloads) {
        let pair = inscriber.build_raw(envs, payloads);
        ledger.record(&TestInscriber::broadcast(&sim, pair));
    }
    sim.mine_block();
    // Blocks after it, some with valid envelopes, served badly by the node.
    for n in 10..20 {
        ledger.record(&inscriber.inscribe(&sim, vec![valid(n)]));
        sim.mine_block();
    }
    let node = Arc::new(HostileNode::new(sim.clone(), 7));
    node.mangle(start + 1, Mangle::Corrupt, 3);
    node.mangle(start + 2, Mangle::Truncate, 2);
    node.mangle(start + 3, Mangle::Oversize, 2);
    node.mangle(start + 4, Mangle::WrongBlock, 2);

    let store: SharedStore = Arc::new(MemoryStore::new());
    let config = IndexerConfig {
        start_height: start,
        poll_interval_ms: 100,
        ..Default::default()
    };
    let world = IndexerWorld::start(node, store.clone(), config, clock).await;
    let tip = sim.tip().expect("tip");
    for _ in 0..5_000 {
        if world
            .status()
            .await
            .is_some_and(|s| s.acked_tip == Some((tip.height, tip.hash)))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let applied = net_chain(&effect_log(&store));
    let expected = ledger.canonical(&sim, start);
    assert_eq!(
        applied, expected,
        "every valid BitAI transaction, once, in order"
    );
    assert_eq!(
        world.metrics.envelopes_rejected.get(),
        2,
        "bad body and oversized body"
    );
    assert_eq!(
        world.metrics.bad_blocks.get(),
        3 + 2 + 2 + 2,
        "each mangled serving"
    );
    assert!(
        world.metrics.port_errors.get() > 0,
        "wrong-shaped tip replies were seen"
    );
    assert!(world.halt.borrow().is_none(), "the indexer never stopped");
    world.stop().await;
}
