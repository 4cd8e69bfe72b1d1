//! Refusals from the real node: each transaction is first put to Core's own
//! `testmempoolaccept` (it must not be allowed), then broadcast through the backend, whose
//! typed refusal must be the one Core's reason names.

use super::*;
use bitai_bitcoin::{BroadcastReject, ReplacementViolation};
use bitcoin::{Transaction, TxOut, Txid};

/// Core's own verdict: `None` when allowed, else its reject reason.
fn verdict(node: &RegtestNode, tx: &Transaction) -> Option<String> {
    let reply = node.ok("testmempoolaccept", &[json!([serialize_hex(tx)])]);
    if reply[0]["allowed"] == json!(true) {
        return None;
    }
    Some(reply[0]["reject-reason"].as_str().unwrap_or("?").to_owned())
}

/// The backend's refusal of `tx`, after checking Core refuses it too.
fn refused(node: &RegtestNode, rpc: &CoreRpc, tx: &Transaction) -> BroadcastReject {
    let why = verdict(node, tx).expect("Core's testmempoolaccept refuses it");
    match rpc.broadcast(tx) {
        Err(PortError::Rejected(r)) => r,
        other => panic!("{why}: the backend answered {other:?}"),
    }
}

fn output_of(tx: &Transaction, key: &Key, vout: u32) -> Utxo {
    Utxo {
        outpoint: OutPoint {
            txid: tx.compute_txid(),
            vout,
        },
        value: tx.output[vout as usize].value,
        script_pubkey: key.address.script_pubkey(),
        confirmations: 0,
    }
}

#[test]
fn refusals_of_a_real_node_map_to_their_kinds() {
    let key = Key::new([7; 32]);
    let Some((node, rpc)) = world(&key) else {
        return;
    };
    let coin = |h| coinbase(&node, &key, h);
    let fifty = Amount::from_int_btc(50);
    let less = |fee: u64| key.pay(fifty - Amount::from_sat(fee));

    // An input nobody created.
    let ghost = Utxo {
        outpoint: OutPoint {
            txid: "22".repeat(32).parse::<Txid>().expect("a txid"),
            vout: 0,
        },
        ..coin(1)
    };
    let tx = key.spend(&[ghost], vec![less(1_000)]);
    assert_eq!(refused(&node, &rpc, &tx), BroadcastReject::MissingInputs);

    // A coinbase 6 blocks deep (block 105 of 110): immature.
    let tx = key.spend(&[coin(105)], vec![less(1_000)]);
    assert_eq!(
        refused(&node, &rpc, &tx),
        BroadcastReject::PrematureCoinbaseSpend {
            input: 0,
            confirmations: 6,
            required: 100
        }
    );

    // No fee at all: under the minimum relay fee.
    let tx = key.spend(&[coin(1)], vec![less(0)]);
    match refused(&node, &rpc, &tx) {
        BroadcastReject::FeeTooLow {
            paid_sat_per_kvb: 0,
            min_sat_per_kvb,
        } => assert!(min_sat_per_kvb > 0),
        other => panic!("{other:?}"),
    }

    // Signed by another key.
    let mut tx = Key::new([8; 32]).spend(&[coin(2)], vec![less(1_000)]);
    tx.output[0].script_pubkey = key.address.script_pubkey();
    match refused(&node, &rpc, &tx) {
        BroadcastReject::BadSignature { input: 0, .. } => {}
        other => panic!("{other:?}"),
    }

    // A one-satoshi output: dust, non-standard.
    let tx = key.spend(&[coin(3)], vec![key.pay(Amount::from_sat(1)), less(2_000)]);
    assert_eq!(
        refused(&node, &rpc, &tx),
        BroadcastReject::NonStandard {
            reason: "dust".into()
        }
    );

    // 2,400 outputs: over the 400,000 WU standard weight.
    let outputs: Vec<TxOut> = (0..2_400)
        .map(|_| key.pay(Amount::from_sat(1_000)))
        .collect();
    let tx = key.spend(&[coin(4)], outputs);
    match refused(&node, &rpc, &tx) {
        BroadcastReject::OverWeight { weight, max } => {
            assert!(weight > max && max == 400_000, "{weight} {max}");
        }
        other => panic!("{other:?}"),
    }

    // A replacement paying no more than the original: refused by the fee rules.
    let original = key.spend(&[coin(5)], vec![less(1_000)]);
    rpc.broadcast(&original).expect("the original is accepted");
    let replacement = key.spend(
        &[coin(5)],
        vec![key.pay(Amount::from_sat(1_000)), less(2_000)],
    );
    match refused(&node, &rpc, &replacement) {
        BroadcastReject::Replacement(_) => {}
        other => panic!("{other:?}"),
    }

    // Core 31's feerate diagram: a parent at 2 sat/vB with a child paying 400 sat/vB for it;
    // a replacement of the parent that pays more than both (rules 3 and 4 hold) but is forty
    // times larger drags the mempool's best chunk down, and is refused.
    let parent = key.spend(&[coin(6)], vec![less(200)]);
    rpc.broadcast(&parent).expect("the parent");
    let child = key.spend(
        &[output_of(&parent, &key, 0)],
        vec![key.pay(parent.output[0].value - Amount::from_sat(40_000))],
    );
    rpc.broadcast(&child).expect("the child");
    let mut outputs: Vec<TxOut> = (0..230)
        .map(|_| key.pay(Amount::from_sat(10_000)))
        .collect();
    outputs.push(key.pay(fifty - Amount::from_sat(230 * 10_000 + 60_000)));
    let big = key.spend(&[coin(6)], outputs);
    assert_eq!(
        refused(&node, &rpc, &big),
        BroadcastReject::Replacement(ReplacementViolation::DiagramNotImproved)
    );
}
