//! The inscriber's own transactions under Bitcoin Core's own policy: a commit/reveal pair
//! whose reveal is near the 400,000 WU standard limit, built by the inscriber's wallet
//! functions, passes `testmempoolaccept` and is accepted by `sendrawtransaction`; so are a
//! replacement of the commit (with a new reveal), a replacement of the reveal once the commit
//! is mined, and a CPFP child of that reveal; a block then confirms them all.

use super::*;
use bitai_inscriber::wallet::{
    build_child, build_commit, build_reveal, fee_for, reveal_vsize, reveal_weight_wu, WalletKeys,
};
use bitcoin::secp256k1::SecretKey;
use bitcoin::{Network, Transaction};

/// Core's verdict must be "allowed", then the transaction is sent.
fn accept(node: &RegtestNode, rpc: &CoreRpc, tx: &Transaction, what: &str) {
    let verdict = node.ok("testmempoolaccept", &[json!([serialize_hex(tx)])]);
    assert_eq!(verdict[0]["allowed"], json!(true), "{what}: {verdict}");
    rpc.broadcast(tx).unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// The coinbase output at `height`, as the wallet functions take coins.
fn coin_at(node: &RegtestNode, height: u64) -> (OutPoint, u64) {
    let hash = node.ok("getblockhash", &[json!(height)]);
    let block = node.ok("getblock", &[hash, json!(2)]);
    let txid = block["tx"][0]["txid"].as_str().expect("txid");
    (
        OutPoint::new(txid.parse().expect("a txid"), 0),
        Amount::from_int_btc(50).to_sat(),
    )
}

/// Payload lengths whose reveal weighs as much as fits under `limit` WU.
fn lengths_near(limit: u64) -> Vec<usize> {
    let mut lens = vec![100_000, 100_000, 100_000];
    let (mut lo, mut hi) = (0usize, 100_000usize);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let mut probe = lens.clone();
        probe.push(mid);
        if reveal_weight_wu(&probe) <= limit {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lens.push(lo);
    lens
}

#[test]
fn the_inscribers_pairs_bumps_and_children_pass_cores_own_policy() {
    let Some(bin) = bitcoind() else {
        return;
    };
    let node = RegtestNode::start(&bin, &[]);
    let keys = WalletKeys::from_secret(
        SecretKey::from_slice(&[9; 32]).expect("a key"),
        Network::Regtest,
    );
    node.mine(CHAIN_LENGTH, keys.address());
    let rpc = CoreRpc::connect(&node.core_config()).expect("connects");

    // A pair whose reveal is just under the standard weight.
    let lens = lengths_near(399_000);
    let payloads: Vec<Vec<u8>> = lens
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (i * 31 + j * 7) as u8).collect())
        .collect();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let reveal_info = keys.reveal_of(&refs).expect("a reveal");
    let rate = 2_000;
    let commit_value = fee_for(reveal_vsize(&lens), rate) + 10_000;
    let coin = coin_at(&node, 1);
    let (commit, commit_fee) =
        build_commit(&keys, &reveal_info, &[coin], commit_value, rate, |_| 0).expect("commit");
    let (reveal, reveal_fee) = build_reveal(&keys, &reveal_info, &commit, |v| fee_for(v, rate))
        .expect("reveal")
        .expect("pays its fee");
    let weight = reveal.weight().to_wu();
    assert!(
        (390_000..=400_000).contains(&weight),
        "reveal weight {weight}"
    );
    accept(&node, &rpc, &commit, "commit");
    accept(&node, &rpc, &reveal, "reveal near 400,000 WU");

    // The commit replaced (a new reveal bound to it): pays for both evicted legs and more,
    // and leaves the reveal room to be replaced in turn (else the inscriber uses a child).
    let rate = 4_000;
    let evicted = commit_fee + reveal_fee;
    let commit_value = fee_for(reveal_vsize(&lens), rate) + 300_000;
    let (commit, _) = build_commit(&keys, &reveal_info, &[coin], commit_value, rate, |v| {
        evicted + fee_for(v, 1_000) + 1
    })
    .expect("replacement commit");
    let (reveal, reveal_fee) = build_reveal(&keys, &reveal_info, &commit, |v| fee_for(v, rate))
        .expect("reveal")
        .expect("pays its fee");
    accept(&node, &rpc, &commit, "commit replacement");
    accept(&node, &rpc, &reveal, "its reveal");

    // The commit mined alone; the reveal replaced at a higher rate.
    let mined = node.ok(
        "generateblock",
        &[
            json!(keys.address().to_string()),
            json!([commit.compute_txid().to_string()]),
        ],
    );
    assert!(mined["hash"].is_string(), "{mined}");
    assert!(rpc.in_mempool(&reveal.compute_txid()).expect("mempool"));
    let (reveal, _) = build_reveal(&keys, &reveal_info, &commit, |v| {
        reveal_fee + fee_for(v, 1_000) + 1
    })
    .expect("reveal")
    .expect("pays its fee");
    accept(&node, &rpc, &reveal, "reveal replacement");

    // A CPFP child of the reveal, with a wallet coin.
    let parent = (
        OutPoint::new(reveal.compute_txid(), 0),
        reveal.output[0].value.to_sat(),
    );
    let (child, _) =
        build_child(&keys, parent, coin_at(&node, 2), |v| fee_for(v, 50_000)).expect("child");
    accept(&node, &rpc, &child, "CPFP child");

    // One block confirms them all.
    node.mine(1, keys.address());
    for tx in [&reveal, &child] {
        assert!(!rpc.in_mempool(&tx.compute_txid()).expect("mempool"));
        let seen = node.ok(
            "getrawtransaction",
            &[json!(tx.compute_txid().to_string()), json!(1)],
        );
        assert_eq!(seen["confirmations"], json!(1), "{seen}");
    }
}
