//! Mempool acceptance and each refusal with its typed reason.

use super::helpers::{decode, out_to, output_of, rate, Fixture};
use crate::bitcoin::SpendOptions;
use bitai_bitcoin::{BitcoinPort, BroadcastReject};
use bitcoin::blockdata::opcodes::all::OP_RETURN;
use bitcoin::hashes::Hash;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::{FeeRate, OutPoint, ScriptBuf, WPubkeyHash};

#[test]
fn a_valid_spend_is_accepted_and_listed_unconfirmed() {
    let f = Fixture::new();
    let coin = f.coin();
    let tx = f.pay(&coin, 1_000_000, 2);
    let txid = f.accept(&tx);
    assert!(f.in_mempool(&txid));
    let coins = f.coins();
    assert!(
        coins.iter().all(|u| u.outpoint != coin.outpoint),
        "the spent coin is not listed"
    );
    let unconfirmed: Vec<_> = coins.iter().filter(|u| u.confirmations == 0).collect();
    assert_eq!(
        unconfirmed.len(),
        2,
        "payment and change, both to the wallet"
    );
    assert_eq!(f.refuse(&tx), BroadcastReject::AlreadyKnown);
    f.sim.node().mempool.check_invariants();
}

#[test]
fn a_double_spend_of_a_non_replaceable_transaction_is_a_conflict() {
    let f = Fixture::with(|c| c.full_rbf = false);
    let coin = f.coin();
    let final_seq = SpendOptions {
        sequence: bitcoin::Sequence::MAX,
        ..SpendOptions::default()
    };
    let original = f
        .wallet
        .spend_with(
            std::slice::from_ref(&coin),
            vec![f.out(1_000)],
            rate(2),
            final_seq,
        )
        .expect("the test funds its spends");
    f.accept(&original);
    let double = f.pay(&coin, 2_000, 50);
    assert_eq!(f.refuse(&double), BroadcastReject::Conflict);
    assert!(f.in_mempool(&original.compute_txid()));
}

#[test]
fn a_spend_of_a_confirmed_spent_output_is_missing_inputs() {
    let f = Fixture::new();
    let coin = f.coin();
    f.accept(&f.pay(&coin, 1_000, 2));
    f.sim.mine_block();
    assert_eq!(
        f.refuse(&f.pay(&coin, 2_000, 5)),
        BroadcastReject::MissingInputs
    );
    let mut unknown = f.coin();
    unknown.outpoint = OutPoint {
        txid: bitcoin::Txid::all_zeros(),
        vout: 3,
    };
    assert_eq!(
        f.refuse(&f.pay(&unknown, 2_000, 5)),
        BroadcastReject::MissingInputs
    );
}

#[test]
fn a_tampered_signature_is_refused() {
    let f = Fixture::new();
    let mut tx = f.pay(&f.coin(), 1_000, 2);
    let mut sig = tx.input[0]
        .witness
        .nth(0)
        .expect("a signature in the witness")
        .to_vec();
    sig[10] ^= 1;
    tx.input[0].witness = bitcoin::Witness::from_slice(&[sig]);
    assert!(matches!(
        f.refuse(&tx),
        BroadcastReject::BadSignature { input: 0, .. }
    ));
    assert!(f.sim.mempool_txids().is_empty());
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let f = Fixture::new();
    let coin = f.coin();
    let mut tx = f.pay(&coin, 1_000, 2);
    let thief = crate::bitcoin::SimWallet::from_seed(99);
    let prevout = out_to(coin.script_pubkey.clone(), coin.value.to_sat());
    thief
        .sign_key_path(&mut tx, &[prevout], bitcoin::TapSighashType::Default)
        .expect("sighash computes");
    assert!(matches!(
        f.refuse(&tx),
        BroadcastReject::BadSignature { input: 0, .. }
    ));
}

#[test]
fn an_over_weight_transaction_is_refused() {
    let f = Fixture::new();
    let data = PushBytesBuf::try_from(vec![7u8; 100_001]).expect("fits a push");
    let big = Builder::new()
        .push_opcode(OP_RETURN)
        .push_slice(data)
        .into_script();
    let tx = f
        .wallet
        .spend(&[f.coin()], vec![out_to(big, 0)], rate(1))
        .expect("the test funds its spends");
    let weight = tx.weight().to_wu();
    assert_eq!(
        f.refuse(&tx),
        BroadcastReject::OverWeight {
            weight,
            max: 400_000
        }
    );
}

#[test]
fn a_fee_below_the_relay_minimum_is_refused() {
    let f = Fixture::new();
    let coin = f.coin();
    let half_sat_per_vb = FeeRate::from_sat_per_kwu(125);
    let tx = f
        .wallet
        .spend(
            std::slice::from_ref(&coin),
            vec![f.out(1_000)],
            half_sat_per_vb,
        )
        .expect("the test funds its spends");
    assert!(matches!(
        f.refuse(&tx),
        BroadcastReject::FeeTooLow { paid_sat_per_kvb, min_sat_per_kvb: 1_000 } if paid_sat_per_kvb < 1_000
    ));
    let free = f
        .wallet
        .spend(&[coin], vec![f.out(1_000)], FeeRate::ZERO)
        .expect("the test funds its spends");
    assert_eq!(
        f.refuse(&free),
        BroadcastReject::FeeTooLow {
            paid_sat_per_kvb: 0,
            min_sat_per_kvb: 1_000
        }
    );
}

#[test]
fn an_immature_coinbase_spend_is_refused() {
    let f = Fixture::new();
    let tip = f.tip().height;
    let coinbase = f.block_at(tip).txdata[0].clone();
    let coin = output_of(&coinbase, 0);
    let tx = f.pay(&coin, 1_000, 2);
    assert_eq!(
        f.refuse(&tx),
        BroadcastReject::PrematureCoinbaseSpend {
            input: 0,
            confirmations: 1,
            required: 100
        }
    );
    f.sim.mine_blocks(98);
    assert!(matches!(
        f.refuse(&tx),
        BroadcastReject::PrematureCoinbaseSpend {
            confirmations: 99,
            ..
        }
    ));
    f.sim.mine_block();
    f.accept(&tx);
}

#[test]
fn an_unconfirmed_chain_longer_than_25_is_refused() {
    let f = Fixture::new();
    let mut coin = f.coin();
    for _ in 0..25 {
        let tx = f.spend(&[coin], vec![], rate(2));
        f.accept(&tx);
        coin = output_of(&tx, 0);
    }
    let tx = f.spend(&[coin], vec![], rate(2));
    assert!(matches!(f.refuse(&tx), BroadcastReject::ChainTooLong(m) if m.contains("ancestors")));
    f.sim.node().mempool.check_invariants();
}

#[test]
fn more_than_25_descendants_are_refused() {
    let f = Fixture::new();
    let outputs = (0..25).map(|_| f.out(100_000)).collect();
    let parent = f.spend(&[f.coin()], outputs, rate(2));
    f.accept(&parent);
    for vout in 0..24 {
        f.accept(
            &f.wallet
                .spend(&[output_of(&parent, vout)], vec![], rate(2))
                .expect("the test funds its spends"),
        );
    }
    let last = f
        .wallet
        .spend(&[output_of(&parent, 24)], vec![], rate(2))
        .expect("the test funds its spends");
    assert!(
        matches!(f.refuse(&last), BroadcastReject::ChainTooLong(m) if m.contains("descendants"))
    );
}

#[test]
fn dust_and_non_standard_outputs_are_refused() {
    let f = Fixture::new();
    let dust = f
        .wallet
        .spend(&[f.coin()], vec![f.out(100)], rate(2))
        .expect("the test funds its spends");
    assert!(matches!(f.refuse(&dust), BroadcastReject::NonStandard { reason: m } if m == "dust"));
    let bare = out_to(ScriptBuf::from_bytes(vec![0x51]), 10_000);
    let tx = f.spend(&[f.coin()], vec![bare], rate(2));
    assert!(
        matches!(f.refuse(&tx), BroadcastReject::NonStandard { reason: m } if m.starts_with("scriptpubkey"))
    );
}

#[test]
fn a_spend_of_a_non_taproot_output_is_non_standard() {
    let f = Fixture::new();
    let p2wpkh = ScriptBuf::new_p2wpkh(&WPubkeyHash::all_zeros());
    let fund = f
        .wallet
        .spend(&[f.coin()], vec![out_to(p2wpkh, 50_000)], rate(2))
        .expect("the test funds its spends");
    f.accept(&fund);
    // The wallet is told the output is its own; the mempool knows better.
    let mut coin = output_of(&fund, 0);
    coin.script_pubkey = f.wallet.script_pubkey().clone();
    let spend = f.spend(&[coin], vec![], rate(2));
    assert!(
        matches!(f.refuse(&spend), BroadcastReject::NonStandard { reason: m } if m.contains("not taproot"))
    );
}

#[test]
fn eviction_under_the_size_cap_drops_the_lowest_fee_rates_and_raises_the_minimum() {
    // Room for about six 1-in-2-out spends.
    let f = Fixture::with(|c| c.mempool_max_vbytes = 1_000);
    let outputs = (0..8).map(|_| f.out(1_000_000)).collect();
    let fan = f.spend(&[f.coin()], outputs, rate(2));
    f.sim
        .mine_block_with(vec![fan.clone()])
        .expect("valid block transactions");
    let mut txids = Vec::new();
    for (vout, sat_per_vb) in [(0u32, 5u64), (1, 3), (2, 7), (3, 4), (4, 6), (5, 8)] {
        let tx = f.pay(&output_of(&fan, vout), 10_000, sat_per_vb);
        txids.push((sat_per_vb, f.accept(&tx)));
    }
    assert!(f.sim.mempool_vsize() <= 1_000);
    assert_eq!(f.sim.mempool_min_fee_rate(), rate(1));
    let rich = f.pay(&output_of(&fan, 6), 10_000, 20);
    f.accept(&rich);
    let cheapest = txids.iter().find(|(r, _)| *r == 3).expect("present").1;
    assert!(!f.in_mempool(&cheapest), "the 3 sat/vB spend was evicted");
    assert!(f.sim.mempool_vsize() <= 1_000);
    // The minimum is now the evicted rate plus the incremental relay fee: 4 sat/vB.
    assert_eq!(
        f.sim.mempool_min_fee_rate(),
        FeeRate::from_sat_per_kwu(1_000)
    );
    let poor = f.pay(&output_of(&fan, 7), 10_000, 3);
    assert!(matches!(
        f.refuse(&poor),
        BroadcastReject::FeeTooLow {
            min_sat_per_kvb: 4_000,
            ..
        }
    ));
    f.sim.node().mempool.check_invariants();
    // A block, then time, let the minimum decay back to the relay minimum.
    f.sim.mine_block();
    f.clock.advance(24 * 60 * 60 * 1000);
    assert_eq!(f.sim.mempool_min_fee_rate(), rate(1));
}

#[test]
fn the_utxo_list_tracks_confirmations_and_mempool_spends() {
    let f = Fixture::new();
    let before = f.coins();
    assert_eq!(before.len(), 2, "two mature coinbases");
    assert_eq!(before[0].confirmations.max(before[1].confirmations), 101);
    let tx = f.pay(&before[0], 5_000, 1);
    f.accept(&tx);
    f.sim.mine_block();
    let after = f.coins();
    let confirmed: Vec<_> = after
        .iter()
        .filter(|u| u.outpoint.txid == tx.compute_txid())
        .collect();
    assert_eq!(confirmed.len(), 2);
    assert!(confirmed.iter().all(|u| u.confirmations == 1));
    let mined = decode(&f.sim.block(&f.tip().hash).expect("the sim answers"));
    assert_eq!(mined.txdata[1], tx);
}
