//! What Bitcoin Core refuses, and how each refusal reaches the port: the double's own mempool
//! checks (missing inputs, minimum relay fee, BIP-125 replacement rules) on real transactions,
//! and every other reject string of Core 29 and 30, injected as Core sends it.

use super::{connect, key, pay, regtest_double, spend};
use bitai_bitcoin::{BitcoinPort, BroadcastReject, PortError, ReplacementViolation, Utxo};
use bitai_tests::support::core_rpc_double::{format_money, CoreVersion, Injection};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, Txid};

fn rejected(reject: BroadcastReject) -> Result<Txid, PortError> {
    Err(PortError::Rejected(reject))
}

/// Fee Core requires for `vsize` at `sat_per_kvb` (`CFeeRate::GetFee`, rounded up).
fn fee_for(sat_per_kvb: u64, vsize: usize) -> u64 {
    (sat_per_kvb * vsize as u64).div_ceil(1000)
}

#[test]
fn spending_an_unknown_output_is_missing_inputs() {
    let key = key();
    for version in CoreVersion::ALL {
        let double = regtest_double(version, &key);
        let rpc = connect(&double);
        let mut ghost = rpc
            .utxos(std::slice::from_ref(&key.address))
            .expect("utxos")
            .remove(0);
        ghost.outpoint = OutPoint {
            txid: Txid::from_byte_array([5; 32]),
            vout: 0,
        };
        let tx = spend(&key, &[ghost], vec![pay(&key, Amount::from_int_btc(49))]);
        assert_eq!(rpc.broadcast(&tx), rejected(BroadcastReject::MissingInputs));
    }
}

#[test]
fn the_minimum_relay_fee_is_1_sat_per_vb_on_29_and_a_tenth_on_30() {
    let key = key();
    for version in CoreVersion::ALL {
        let double = regtest_double(version, &key);
        let rpc = connect(&double);
        let coin = rpc
            .utxos(std::slice::from_ref(&key.address))
            .expect("utxos")
            .remove(0);
        let probe = spend(
            &key,
            std::slice::from_ref(&coin),
            vec![pay(&key, Amount::ZERO)],
        );
        let fee = probe.vsize() as u64 / 2; // half a sat per vB
        let tx = spend(
            &key,
            std::slice::from_ref(&coin),
            vec![pay(&key, coin.value - Amount::from_sat(fee))],
        );
        let result = rpc.broadcast(&tx);
        match version {
            CoreVersion::V29 => assert_eq!(
                result,
                rejected(BroadcastReject::FeeTooLow {
                    paid_sat_per_kvb: fee * 1000 / tx.vsize() as u64,
                    min_sat_per_kvb: (fee_for(1_000, tx.vsize()) * 1000)
                        .div_ceil(tx.vsize() as u64),
                })
            ),
            CoreVersion::V30 => assert_eq!(result, Ok(tx.compute_txid())),
        }
    }
}

#[test]
fn replacements_are_refused_with_the_rule_they_break() {
    let key = key();
    for version in CoreVersion::ALL {
        let double = regtest_double(version, &key);
        let rpc = connect(&double);
        let coin: Utxo = rpc
            .utxos(std::slice::from_ref(&key.address))
            .expect("utxos")
            .remove(0);
        let two_outputs = |fee: u64| {
            let half = (coin.value.to_sat() - fee) / 2;
            let rest = coin.value.to_sat() - fee - half;
            spend(
                &key,
                std::slice::from_ref(&coin),
                vec![
                    pay(&key, Amount::from_sat(half)),
                    pay(&key, Amount::from_sat(rest)),
                ],
            )
        };
        let one_output = |fee: u64| {
            spend(
                &key,
                std::slice::from_ref(&coin),
                vec![pay(&key, coin.value - Amount::from_sat(fee))],
            )
        };

        let original = two_outputs(2_000);
        rpc.broadcast(&original).expect("the original");
        let old_rate = 2_000 * 1000 / original.vsize() as u64;

        let lower_rate = two_outputs(1_500);
        let err = rpc.broadcast(&lower_rate);
        assert_eq!(
            err,
            rejected(BroadcastReject::Replacement(
                ReplacementViolation::FeeRateNotHigher
            ))
        );

        // A smaller replacement: a higher fee rate, but less absolute fee (rule 3).
        let smaller = one_output(1_900);
        assert!(1_900 * 1000 / smaller.vsize() as u64 > old_rate);
        assert_eq!(
            rpc.broadcast(&smaller),
            rejected(BroadcastReject::Replacement(
                ReplacementViolation::FeeNotHigher {
                    replacement: Amount::from_sat(1_900),
                    evicted: Amount::from_sat(2_000),
                }
            ))
        );

        // 50 sat more: enough for Core 30's 0.1 sat/vB increment, not for Core 29's 1 sat/vB.
        let bumped = one_output(2_050);
        let required = fee_for(version.min_relay_fee_sat_per_kvb(), bumped.vsize());
        match version {
            CoreVersion::V29 => assert_eq!(
                rpc.broadcast(&bumped),
                rejected(BroadcastReject::Replacement(
                    ReplacementViolation::InsufficientIncrement {
                        paid: Amount::from_sat(50),
                        required: Amount::from_sat(required),
                    }
                ))
            ),
            CoreVersion::V30 => {
                assert_eq!(rpc.broadcast(&bumped), Ok(bumped.compute_txid()));
                assert!(!rpc.in_mempool(&original.compute_txid()).expect("replaced"));
            }
        }
    }
}

/// Every reject string of the brief and of Core's validation code, as Core 29 and 30 send them.
#[test]
fn every_reject_string_maps_onto_its_variant() {
    let key = key();
    for version in CoreVersion::ALL {
        let double = regtest_double(version, &key);
        let rpc = connect(&double);
        let coin = rpc
            .utxos(std::slice::from_ref(&key.address))
            .expect("utxos")
            .remove(0);
        let tx = spend(
            &key,
            std::slice::from_ref(&coin),
            vec![pay(&key, Amount::from_int_btc(49))],
        );
        let two_inputs = {
            let coins = rpc
                .utxos(std::slice::from_ref(&key.address))
                .expect("utxos");
            spend(&key, &coins[..2], vec![pay(&key, Amount::from_int_btc(99))])
        };
        let (txid, wtxid, vsize) = (tx.compute_txid(), tx.compute_wtxid(), tx.vsize() as u64);
        let script_failure = match version {
            CoreVersion::V29 => "mandatory-script-verify-flag-failed (Invalid Schnorr signature)".to_owned(),
            CoreVersion::V30 => format!(
                "mempool-script-verify-flag-failed (Invalid Schnorr signature), input 0 of {txid} (wtxid {wtxid}), spending {}",
                coin.outpoint
            ),
        };
        let replacement =
            |rule: &str| format!("insufficient fee, rejecting replacement {txid}{rule}");
        let cases: Vec<(i32, String, PortError)> = vec![
            (-26, "txn-mempool-conflict".into(), PortError::Rejected(BroadcastReject::Conflict)),
            (-26, "bip125-replacement-disallowed".into(), PortError::Rejected(BroadcastReject::Conflict)),
            (
                -26,
                replacement("; new feerate 0.00001000 BTC/kvB <= old feerate 0.00002000 BTC/kvB"),
                PortError::Rejected(BroadcastReject::Replacement(ReplacementViolation::FeeRateNotHigher)),
            ),
            (
                -26,
                replacement(&format!(", less fees than conflicting txs; {} < {}", format_money(1_000), format_money(2_150))),
                PortError::Rejected(BroadcastReject::Replacement(ReplacementViolation::FeeNotHigher {
                    replacement: Amount::from_sat(1_000),
                    evicted: Amount::from_sat(2_150),
                })),
            ),
            (
                -26,
                replacement(&format!(", not enough additional fees to relay; {} < {}", format_money(10), format_money(141))),
                PortError::Rejected(BroadcastReject::Replacement(ReplacementViolation::InsufficientIncrement {
                    paid: Amount::from_sat(10),
                    required: Amount::from_sat(141),
                })),
            ),
            (
                -26,
                format!("too many potential replacements, rejecting replacement {txid}; too many potential replacements (101 > 100)\n"),
                PortError::Rejected(BroadcastReject::Replacement(ReplacementViolation::TooManyEvictions { count: 101, max: 100 })),
            ),
            (
                -26,
                format!("replacement-adds-unconfirmed, replacement {txid} adds unconfirmed input, idx 0"),
                PortError::Rejected(BroadcastReject::Replacement(ReplacementViolation::NewUnconfirmedInput)),
            ),
            (
                -26,
                "min relay fee not met, 100 < 141".into(),
                PortError::Rejected(BroadcastReject::FeeTooLow {
                    paid_sat_per_kvb: 100_000 / vsize,
                    min_sat_per_kvb: 141_000u64.div_ceil(vsize),
                }),
            ),
            (
                -26,
                "mempool min fee not met, 1000 < 2110".into(),
                PortError::Rejected(BroadcastReject::FeeTooLow {
                    paid_sat_per_kvb: 1_000_000 / vsize,
                    min_sat_per_kvb: 2_110_000u64.div_ceil(vsize),
                }),
            ),
            (-26, "tx-size".into(), PortError::Rejected(BroadcastReject::OverWeight { weight: tx.weight().to_wu(), max: 400_000 })),
            (
                -26,
                "too-long-mempool-chain, too many unconfirmed ancestors [limit: 25]".into(),
                PortError::Rejected(BroadcastReject::ChainTooLong("too many unconfirmed ancestors [limit: 25]".into())),
            ),
            (
                -26,
                format!("too-long-mempool-chain, exceeds descendant size limit for tx {txid} [limit: 101000]"),
                PortError::Rejected(BroadcastReject::ChainTooLong(format!("exceeds descendant size limit for tx {txid} [limit: 101000]"))),
            ),
            (
                -26,
                script_failure,
                PortError::Rejected(BroadcastReject::BadSignature { input: 0, reason: "Invalid Schnorr signature".into() }),
            ),
            (-26, "bad-txns-inputs-missingorspent".into(), PortError::Rejected(BroadcastReject::MissingInputs)),
            (-25, "bad-txns-inputs-missingorspent".into(), PortError::Rejected(BroadcastReject::MissingInputs)),
            (-25, "Missing inputs".into(), PortError::Rejected(BroadcastReject::MissingInputs)),
            (-26, "txn-already-known".into(), PortError::Rejected(BroadcastReject::AlreadyKnown)),
            (-27, "Transaction already in block chain".into(), PortError::Rejected(BroadcastReject::AlreadyKnown)),
            (-27, "Transaction outputs already in utxo set".into(), PortError::Rejected(BroadcastReject::AlreadyKnown)),
            (-26, "non-BIP68-final".into(), PortError::Rejected(BroadcastReject::NotFinal { reason: "non-BIP68-final".into() })),
            (
                -25,
                "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)".into(),
                PortError::Rejected(BroadcastReject::FeeAboveMaximum("Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)".into())),
            ),
            (
                -22,
                "TX decode failed. Make sure the tx has at least one input.".into(),
                PortError::Rpc { code: -22, message: "TX decode failed. Make sure the tx has at least one input.".into() },
            ),
        ];
        for (code, message, expected) in cases {
            double.inject(
                "sendrawtransaction",
                Injection::rpc_error(code, message.clone()),
            );
            assert_eq!(
                rpc.broadcast(&tx),
                Err(expected),
                "{version:?} {code} {message}"
            );
        }

        // A script failure without an input index (Core 29) on a two-input transaction.
        let unplaced = "non-mandatory-script-verify-flag (Witness program hash mismatch)";
        double.inject("sendrawtransaction", Injection::rpc_error(-26, unplaced));
        assert_eq!(
            rpc.broadcast(&two_inputs),
            rejected(BroadcastReject::NonStandard {
                reason: unplaced.into()
            })
        );
        assert!(double.mempool().is_empty(), "nothing was accepted");
    }
}
