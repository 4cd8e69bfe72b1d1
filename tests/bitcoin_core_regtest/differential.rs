//! SimBitcoin against Bitcoin Core, differentially. SimBitcoin mines a regtest chain paying a
//! key (real proof of work at regtest difficulty); every block is submitted to a real Core
//! with `submitblock` and must be accepted, so both hold the same chain and coins. Then the
//! same transactions go to both (valid, a double spend, its replacement, a bad signature,
//! over-weight, no fee, an immature coinbase spend, missing inputs, a dust output, a
//! replacement that adds an unconfirmed input, one that pays less than it evicts) and must get
//! the same verdict of the same kind (a replacement refusal's rule may be worded differently:
//! Core 31's cluster mempool judges by feerate diagram where SimBitcoin follows BIP-125, so
//! both are compared as "a replacement refused"); finally the block SimBitcoin mines from its
//! mempool is submitted to Core and accepted. Where the two differ by design,
//! docs/bitcoin-core.md says so, and this test pins the difference.

use super::*;
use bitai_bitcoin::BroadcastReject;
use bitai_runtime::ManualClock;
use bitai_simulation::bitcoin::{SimBitcoin, SimBitcoinConfig};
use bitcoin::{Transaction, TxOut, Txid};
use std::sync::Arc;

/// A verdict's kind: "accepted", "replacement refused", or the refusal's variant name.
fn kind(r: &Result<Txid, PortError>) -> String {
    match r {
        Ok(_) => "accepted".into(),
        Err(PortError::Rejected(BroadcastReject::Replacement(_))) => "replacement refused".into(),
        Err(PortError::Rejected(r)) => {
            let debug = format!("{r:?}");
            debug.split(['(', '{', ' ']).next().unwrap_or("").to_owned()
        }
        Err(e) => format!("error: {e}"),
    }
}

/// The coinbase output of SimBitcoin's block at `height` (it pays `key`).
fn sim_coin(sim: &SimBitcoin, key: &Key, height: u64) -> Utxo {
    let hash = sim.block_hash(height).expect("hash").expect("in the chain");
    let block: Block = deserialize(&sim.block(&hash).expect("block")).expect("a block");
    let coinbase = &block.txdata[0];
    Utxo {
        outpoint: OutPoint::new(coinbase.compute_txid(), 0),
        value: coinbase.output[0].value,
        script_pubkey: key.address.script_pubkey(),
        confirmations: 0,
    }
}

/// Submits SimBitcoin's blocks from `from` to its tip to `node`; each must be accepted.
fn submit_blocks(sim: &SimBitcoin, node: &RegtestNode, from: u64) {
    let tip = sim.tip().expect("tip");
    for height in from..=tip.height {
        let hash = sim.block_hash(height).expect("hash").expect("in the chain");
        let bytes = sim.block(&hash).expect("block");
        let answer = node.ok("submitblock", &[json!(hex::encode(&bytes))]);
        assert_eq!(
            answer,
            json!(null),
            "Core refused SimBitcoin's block {height}: {answer}"
        );
    }
    assert_eq!(
        node.ok("getbestblockhash", &[]),
        json!(tip.hash.to_string()),
        "Core's tip is SimBitcoin's"
    );
}

#[test]
fn simbitcoin_and_core_agree_on_blocks_and_on_what_they_refuse() {
    let key = Key::new([7; 32]);
    let Some(bin) = bitcoind() else {
        return;
    };
    let node = RegtestNode::start(&bin, &[]);
    let rpc = CoreRpc::connect(&node.core_config()).expect("connects");
    // Core 30+'s relay fees (0.1 sat/vB, minimum and incremental); SimBitcoin models 29's by
    // default.
    let config = SimBitcoinConfig {
        min_relay_fee_rate_sat_per_kvb: 100,
        incremental_relay_fee_rate_sat_per_kvb: 100,
        coinbase_script_pubkey_hex: Some(hex::encode(key.address.script_pubkey().as_bytes())),
        ..SimBitcoinConfig::with_seed(3)
    };
    #[allow(clippy::disallowed_methods)] // Block times near now: Core refuses far-future ones.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    let clock = ManualClock::new(now_ms - 3_600_000);
    let sim = SimBitcoin::new(config, Arc::new(clock.clone())).expect("SimBitcoin");
    for _ in 0..CHAIN_LENGTH {
        clock.advance(1_000);
        sim.mine_block();
    }
    submit_blocks(&sim, &node, 1);

    let both = |tx: &Transaction| {
        let (s, c) = (sim.broadcast(tx), rpc.broadcast(tx));
        (kind(&s), kind(&c))
    };
    let coin = |h| sim_coin(&sim, &key, h);
    let fifty = Amount::from_int_btc(50);
    let less = |fee: u64| key.pay(fifty - Amount::from_sat(fee));
    let mut cases: Vec<(&str, (String, String))> = Vec::new();

    let valid = key.spend(&[coin(1)], vec![less(1_000)]);
    cases.push(("a valid spend", both(&valid)));
    let double = key.spend(
        &[coin(1)],
        vec![key.pay(Amount::from_sat(5_000)), less(1_000 + 5_000)],
    );
    cases.push(("a double spend paying the same fee", both(&double)));
    let better = key.spend(&[coin(1)], vec![less(5_000)]);
    cases.push(("its replacement paying more", both(&better)));
    let adds = key.spend(
        &[
            coin(1),
            Utxo {
                outpoint: OutPoint::new(better.compute_txid(), 0),
                value: better.output[0].value,
                script_pubkey: key.address.script_pubkey(),
                confirmations: 0,
            },
        ],
        vec![less(50_000)],
    );
    cases.push(("a replacement spending its own original", both(&adds)));
    let mut forged = Key::new([8; 32]).spend(&[coin(2)], vec![less(1_000)]);
    forged.output[0].script_pubkey = key.address.script_pubkey();
    cases.push(("a bad signature", both(&forged)));
    let heavy: Vec<TxOut> = (0..2_400)
        .map(|_| key.pay(Amount::from_sat(1_000)))
        .collect();
    cases.push(("over 400,000 WU", both(&key.spend(&[coin(3)], heavy))));
    cases.push(("no fee", both(&key.spend(&[coin(4)], vec![less(0)]))));
    cases.push((
        "an immature coinbase",
        both(&key.spend(&[coin(CHAIN_LENGTH - 5)], vec![less(1_000)])),
    ));
    let ghost = Utxo {
        outpoint: OutPoint::new("33".repeat(32).parse().expect("a txid"), 0),
        ..coin(5)
    };
    cases.push((
        "missing inputs",
        both(&key.spend(&[ghost], vec![less(1_000)])),
    ));
    let dust = key.spend(&[coin(6)], vec![key.pay(Amount::from_sat(1)), less(2_000)]);
    cases.push(("a dust output", both(&dust)));

    let report: Vec<String> = cases
        .iter()
        .map(|(what, (s, c))| format!("{what}: SimBitcoin {s}, Core {c}"))
        .collect();
    eprintln!("{}", report.join("\n"));
    for (what, (s, c)) in &cases {
        assert_eq!(s, c, "{what} differs:\n{}", report.join("\n"));
    }
    assert_eq!(cases[0].1 .0, "accepted");
    assert_eq!(cases[2].1 .0, "accepted");

    // The block SimBitcoin mines from its mempool is valid to Core.
    let before = sim.tip().expect("tip").height;
    clock.advance(1_000);
    sim.mine_block();
    let block: Block =
        deserialize(&sim.block(&sim.tip().expect("tip").hash).expect("block")).expect("a block");
    assert!(
        block
            .txdata
            .iter()
            .any(|t| t.compute_txid() == better.compute_txid()),
        "the replacement is mined"
    );
    submit_blocks(&sim, &node, before + 1);
}
