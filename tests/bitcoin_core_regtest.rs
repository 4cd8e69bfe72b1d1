//! The Bitcoin Core backend against a real Bitcoin Core: `bitcoind -regtest` built from the
//! source that crates.io's libbitcoinkernel-sys vendors (`tests/bitcoin-core/build.sh`), no
//! wallet, started per test by `bitai_tests::support::regtest_core`. What the double of
//! Core 29/30 checks in `bitcoin_core_rpc_backend`, here against the node itself: the tip,
//! blocks by height and hash, broadcast, mempool membership, the fee estimate (regtest has
//! none: the fallback), the coins without a wallet (`scantxoutset` and the mempool); every
//! refusal a broadcast met here, mapped to its kind and cross-checked with Core's own
//! `testmempoolaccept`; every refusal reason in Core's validation and policy source mapped to
//! a typed refusal (`refusals_in_source`); and the inscriber's pairs, bumps of both legs and
//! CPFP children accepted by Core's own policy, a reveal near 400,000 WU among them
//! (`inscriber_policy`); the inscriber's own bump refused by Core 31's feerate-diagram rule,
//! handled as a conflict and outbid by the next (`inscriber_conflict`); and SimBitcoin against Core, differentially: the same blocks, the
//! same verdicts (`differential`).
//!
//! Without a binary these tests skip and say how to get one; `.ci/run` sets
//! `BITAI_REQUIRE_BITCOIND=1`, so in CI they never skip.

#[path = "bitcoin_core_regtest/differential.rs"]
mod differential;
#[path = "bitcoin_core_regtest/inscriber_conflict.rs"]
mod inscriber_conflict;
#[path = "bitcoin_core_regtest/inscriber_policy.rs"]
mod inscriber_policy;
#[path = "bitcoin_core_regtest/refusals.rs"]
mod refusals;
#[path = "bitcoin_core_regtest/refusals_in_source.rs"]
mod refusals_in_source;

use bitai_bitcoin::{BitcoinPort, CoreRpc, CoreRpcConfig, PortError, Utxo};
use bitai_tests::support::p2tr::Key;
use bitai_tests::support::regtest_core::{bitcoind, RegtestNode};
use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::{Amount, Block, BlockHash, FeeRate, OutPoint};
use serde_json::json;

/// Blocks mined at the start: the coinbases at heights 1 to 10 are mature.
const CHAIN_LENGTH: u64 = 110;

/// A node with `CHAIN_LENGTH` blocks paying to `key`, and the backend connected to it
/// (cookie authentication, no wallet); `None` when there is no bitcoind (skipped).
fn world(key: &Key) -> Option<(RegtestNode, CoreRpc)> {
    let node = RegtestNode::start(&bitcoind()?, &[]);
    node.mine(CHAIN_LENGTH, &key.address);
    let rpc = CoreRpc::connect(&node.core_config()).expect("the backend connects");
    Some((node, rpc))
}

/// The coinbase output of the block at `height`.
fn coinbase(node: &RegtestNode, key: &Key, height: u64) -> Utxo {
    let hash = node.ok("getblockhash", &[json!(height)]);
    let block = node.ok("getblock", &[hash, json!(2)]);
    let txid = block["tx"][0]["txid"].as_str().expect("a coinbase txid");
    Utxo {
        outpoint: OutPoint {
            txid: txid.parse().expect("a txid"),
            vout: 0,
        },
        value: Amount::from_int_btc(50),
        script_pubkey: key.address.script_pubkey(),
        confirmations: (node.height() + 1 - height) as u32,
    }
}

#[test]
fn the_backend_reads_a_real_nodes_chain_and_mempool_without_a_wallet() {
    let key = Key::new([7; 32]);
    let Some((node, rpc)) = world(&key) else {
        return;
    };
    assert!(
        rpc.node_version() >= 310_000,
        "the node built here is Core 31.99: {}",
        rpc.node_version()
    );

    // The tip, and blocks by height and by hash, byte for byte what Core serves.
    let tip = rpc.tip().expect("tip");
    assert_eq!(tip.height, CHAIN_LENGTH);
    assert_eq!(
        json!(tip.hash.to_string()),
        node.ok("getbestblockhash", &[])
    );
    for height in [0, 1, 55, CHAIN_LENGTH] {
        let hash = rpc
            .block_hash(height)
            .expect("block_hash")
            .expect("in the chain");
        assert_eq!(
            json!(hash.to_string()),
            node.ok("getblockhash", &[json!(height)])
        );
        let bytes = rpc.block(&hash).expect("block");
        let block: Block = deserialize(&bytes).expect("a consensus-encoded block");
        assert_eq!(block.block_hash(), hash);
        assert_eq!(
            json!(hex::encode(&bytes)),
            node.ok("getblock", &[json!(hash.to_string()), json!(0)])
        );
    }
    assert_eq!(
        rpc.block_hash(CHAIN_LENGTH + 1).expect("above the tip"),
        None
    );
    let unknown: BlockHash = "11".repeat(32).parse().expect("a hash");
    assert!(matches!(rpc.block(&unknown), Err(PortError::NotFound(_))));

    // The coins, with no wallet: every coinbase, confirmations counted from the tip.
    let coins = rpc
        .utxos(std::slice::from_ref(&key.address))
        .expect("utxos");
    assert_eq!(coins.len() as u64, CHAIN_LENGTH);
    let first = coinbase(&node, &key, 1);
    let found = coins
        .iter()
        .find(|c| c.outpoint == first.outpoint)
        .expect("the first coinbase");
    assert_eq!(found.confirmations as u64, CHAIN_LENGTH);
    assert_eq!(found.value, Amount::from_int_btc(50));
    assert!(rpc.utxos(&[]).expect("no addresses").is_empty());

    // A spend: broadcast, in the mempool, the coin gone and the change unconfirmed.
    let change = Amount::from_int_btc(50) - Amount::from_sat(1_000);
    let tx = key.spend(std::slice::from_ref(&first), vec![key.pay(change)]);
    let accept = node.ok("testmempoolaccept", &[json!([serialize_hex(&tx)])]);
    assert_eq!(accept[0]["allowed"], json!(true), "{accept}");
    let txid = rpc.broadcast(&tx).expect("accepted");
    assert_eq!(txid, tx.compute_txid());
    assert!(rpc.in_mempool(&txid).expect("in_mempool"));
    let coins = rpc
        .utxos(std::slice::from_ref(&key.address))
        .expect("utxos");
    assert!(coins.iter().all(|c| c.outpoint != first.outpoint), "spent");
    let unconfirmed = coins
        .iter()
        .find(|c| c.outpoint.txid == txid)
        .expect("the change, unconfirmed");
    assert_eq!((unconfirmed.confirmations, unconfirmed.value), (0, change));
    // Sent again while in the mempool: Core answers with the txid.
    assert_eq!(rpc.broadcast(&tx).expect("known"), txid);

    // Mined: out of the mempool, the change confirmed once; sent again: already known.
    node.mine(1, &key.address);
    assert!(!rpc.in_mempool(&txid).expect("in_mempool"));
    let coins = rpc
        .utxos(std::slice::from_ref(&key.address))
        .expect("utxos");
    let change_coin = coins
        .iter()
        .find(|c| c.outpoint.txid == txid)
        .expect("change");
    assert_eq!(change_coin.confirmations, 1);
    assert_eq!(
        rpc.broadcast(&tx),
        Err(PortError::Rejected(
            bitai_bitcoin::BroadcastReject::AlreadyKnown
        ))
    );

    // Regtest never has a fee estimate: the configured fallback, every time.
    let fallback = CoreRpcConfig::new("http://unused").fallback_fee_rate_sat_per_kvb;
    let expected = FeeRate::from_sat_per_kwu(fallback.div_ceil(4));
    for target in [1, 6, 1008] {
        assert_eq!(rpc.estimate_fee_rate(target).expect("estimate"), expected);
    }
}

#[test]
fn a_reorg_across_two_real_nodes_reaches_the_backend() {
    let key = Key::new([9; 32]);
    let Some(bin) = bitcoind() else {
        return;
    };
    let (a, b) = (RegtestNode::start(&bin, &[]), RegtestNode::start(&bin, &[]));
    a.connect(&b);
    let shared = a.mine(10, &key.address);
    b.wait_for_tip(shared.last().expect("a block"));
    let rpc = CoreRpc::connect(&a.core_config()).expect("connects to a");
    // Apart: a mines 2, b mines 4; joined again, a follows b's longer branch.
    a.ok("disconnectnode", &[json!(b.p2p_addr())]);
    for _ in 0..200 {
        if a.ok("getconnectioncount", &[]) == json!(0)
            && b.ok("getconnectioncount", &[]) == json!(0)
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let short = a.mine(2, &key.address);
    let long = b.mine(4, &key.address);
    assert_eq!(
        rpc.tip().expect("tip").hash,
        *short.last().expect("a block")
    );
    a.connect(&b);
    a.wait_for_tip(long.last().expect("a block"));
    let tip = rpc.tip().expect("tip");
    assert_eq!((tip.height, tip.hash), (14, *long.last().expect("a block")));
    assert_eq!(rpc.block_hash(11).expect("hash"), Some(long[0]));
    // The branch a left is still served by hash (the indexer reads it to roll back).
    assert!(rpc.block(&short[0]).is_ok());
}
