//! BIP-125 replacements: a valid one, and each rule broken.

use super::helpers::{output_of, rate, Fixture};
use crate::bitcoin::SpendOptions;
use bitai_bitcoin::{BroadcastReject, ReplacementViolation};
use bitcoin::{Amount, FeeRate};

fn replacement(reason: BroadcastReject) -> ReplacementViolation {
    match reason {
        BroadcastReject::Replacement(v) => v,
        other => panic!("expected a BIP-125 refusal, got {other:?}"),
    }
}

#[test]
fn a_valid_replacement_evicts_the_original_and_its_descendants() {
    let f = Fixture::new();
    let coin = f.coin();
    let original = f.pay(&coin, 10_000, 2);
    f.accept(&original);
    let child = f
        .wallet
        .spend(&[output_of(&original, 0)], vec![], rate(2))
        .expect("the test funds its spends");
    f.accept(&child);
    let better = f.pay(&coin, 20_000, 10);
    let txid = f.accept(&better);
    assert_eq!(f.sim.mempool_txids(), vec![txid]);
    assert!(!f.in_mempool(&original.compute_txid()));
    assert!(!f.in_mempool(&child.compute_txid()));
    f.sim.node().mempool.check_invariants();
}

#[test]
fn rule_1_applies_when_full_rbf_is_off() {
    let f = Fixture::with(|c| c.full_rbf = false);
    let coin = f.coin();
    // A signalling original may be replaced.
    let signalling = f.pay(&coin, 10_000, 2);
    f.accept(&signalling);
    f.accept(&f.pay(&coin, 11_000, 10));
    // A non-signalling one may not: Core's txn-mempool-conflict.
    let coin = f
        .coins()
        .into_iter()
        .find(|u| u.confirmations > 0)
        .expect("present");
    let no_signal = SpendOptions {
        sequence: bitcoin::Sequence::MAX,
        ..SpendOptions::default()
    };
    let final_tx = f.wallet.spend_with(
        std::slice::from_ref(&coin),
        vec![f.out(5_000)],
        rate(2),
        no_signal,
    );
    f.accept(&final_tx.expect("the test funds its spends"));
    assert_eq!(
        f.refuse(&f.pay(&coin, 6_000, 30)),
        BroadcastReject::Conflict
    );
}

#[test]
fn full_rbf_replaces_a_non_signalling_original() {
    let f = Fixture::new();
    let coin = f.coin();
    let no_signal = SpendOptions {
        sequence: bitcoin::Sequence::MAX,
        ..SpendOptions::default()
    };
    let original = f
        .wallet
        .spend_with(
            std::slice::from_ref(&coin),
            vec![f.out(5_000)],
            rate(2),
            no_signal,
        )
        .expect("the test funds its spends");
    f.accept(&original);
    f.accept(&f.pay(&coin, 6_000, 10));
    assert!(!f.in_mempool(&original.compute_txid()));
}

#[test]
fn rule_2_no_new_unconfirmed_inputs() {
    let f = Fixture::new();
    let coins = f.coins();
    let original = f.pay(&coins[0], 10_000, 2);
    f.accept(&original);
    let other = f.pay(&coins[1], 10_000, 2);
    f.accept(&other);
    let inputs = [coins[0].clone(), output_of(&other, 0)];
    let tx = f
        .wallet
        .spend(&inputs, vec![f.out(15_000)], rate(20))
        .expect("the test funds its spends");
    assert_eq!(
        replacement(f.refuse(&tx)),
        ReplacementViolation::NewUnconfirmedInput
    );
}

#[test]
fn rule_3_the_absolute_fee_must_not_drop() {
    let f = Fixture::new();
    let coin = f.coin();
    // A large original (twelve outputs) at 2 sat/vB pays more in total than a small
    // replacement at 3 sat/vB.
    let outputs = (0..12).map(|_| f.out(10_000)).collect();
    let original = f.spend(std::slice::from_ref(&coin), outputs, rate(2));
    f.accept(&original);
    let small = f.pay(&coin, 10_000, 3);
    match replacement(f.refuse(&small)) {
        ReplacementViolation::FeeNotHigher {
            replacement,
            evicted,
        } => {
            assert!(replacement < evicted);
        }
        other => panic!("expected rule 3, got {other:?}"),
    }
    assert!(f.in_mempool(&original.compute_txid()));
}

#[test]
fn rule_4_the_extra_fee_must_pay_for_the_replacement() {
    let f = Fixture::new();
    let coin = f.coin();
    f.accept(&f.pay(&coin, 10_000, 10));
    // 10.5 sat/vB: a higher rate, but 77 sat more where 154 are needed.
    let tx = f.wallet.spend(
        &[coin],
        vec![f.out(10_000)],
        FeeRate::from_sat_per_kwu(2_625),
    );
    match replacement(f.refuse(&tx.expect("the test funds its spends"))) {
        ReplacementViolation::InsufficientIncrement { paid, required } => {
            assert!(paid < required);
            assert_eq!(required, Amount::from_sat(154));
        }
        other => panic!("expected rule 4, got {other:?}"),
    }
}

#[test]
fn rule_5_too_many_evictions() {
    let f = Fixture::with(|c| c.replacement_evictions_max = 2);
    let coin = f.coin();
    let original = f.pay(&coin, 10_000, 2);
    f.accept(&original);
    let child = f
        .wallet
        .spend(&[output_of(&original, 0)], vec![], rate(2))
        .expect("the test funds its spends");
    f.accept(&child);
    f.accept(
        &f.wallet
            .spend(&[output_of(&child, 0)], vec![], rate(2))
            .expect("the test funds its spends"),
    );
    assert_eq!(
        replacement(f.refuse(&f.pay(&coin, 10_000, 50))),
        ReplacementViolation::TooManyEvictions { count: 3, max: 2 }
    );
}

#[test]
fn rule_6_the_fee_rate_must_rise() {
    let f = Fixture::new();
    let coin = f.coin();
    f.accept(&f.pay(&coin, 10_000, 5));
    let same_rate = f.pay(&coin, 9_000, 5);
    assert_eq!(
        replacement(f.refuse(&same_rate)),
        ReplacementViolation::FeeRateNotHigher
    );
    let lower = f.pay(&coin, 9_000, 4);
    assert_eq!(
        replacement(f.refuse(&lower)),
        ReplacementViolation::FeeRateNotHigher
    );
}

#[test]
fn a_replacement_that_spends_what_it_replaces_is_refused() {
    let f = Fixture::new();
    let coin = f.coin();
    let original = f.pay(&coin, 10_000, 2);
    f.accept(&original);
    let child = f
        .wallet
        .spend(&[output_of(&original, 0)], vec![], rate(2))
        .expect("the test funds its spends");
    f.accept(&child);
    // Conflicts with both (the coin, and the original's output the child spends) and spends
    // the original's output itself.
    let inputs = [coin, output_of(&original, 0)];
    let tx = f
        .wallet
        .spend(&inputs, vec![f.out(5_000)], rate(50))
        .expect("the test funds its spends");
    assert!(
        matches!(f.refuse(&tx), BroadcastReject::Invalid { reason: m } if m.contains("spends-conflicting"))
    );
}
