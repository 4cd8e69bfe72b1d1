//! Envelope parsing throughput on block-sized sets of transactions, next to a bare
//! `bitcoin::consensus::deserialize` of the same bytes (the indexer does both for every
//! transaction, so the parse must cost little beside the decode).
//!
//! Run: `cargo bench -p bitai-protocol --bench envelope` (release profile; options after
//! `--`: `--rounds N`, default 30). Two data sets, built deterministically: `ordinary` (3.9
//! MB: 12,000 transactions, P2WPKH and taproot key-path and script-path spends without
//! envelopes) and `inscriptions` (3.9 MB: 380 reveals, each one input with one 10 KB BitAI
//! envelope). Each figure is the median of the rounds.

#![allow(clippy::disallowed_methods)] // A benchmark reads the wall clock by definition.

use bitai_protocol::envelope::{parse_transaction, Reveal};
use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, Secp256k1};
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Deterministic filler bytes (a linear congruential generator).
fn filler(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect()
}

fn tx(seed: u64, witnesses: Vec<Witness>) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: witnesses
            .into_iter()
            .enumerate()
            .map(|(i, witness)| TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_slice(&filler(seed + i as u64, 32)).expect("32 bytes"),
                    vout: i as u32,
                },
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness,
            })
            .collect(),
        output: (0..2)
            .map(|i| TxOut {
                value: Amount::from_sat(10_000 + i),
                script_pubkey: ScriptBuf::from_bytes(
                    [&[0x51, 0x20][..], &filler(seed ^ i, 32)].concat(),
                ),
            })
            .collect(),
    }
}

/// Plain spends: two P2WPKH inputs, one taproot key-path input, or one taproot script-path
/// input whose script is a 2-of-2 `OP_CHECKSIG` chain.
fn ordinary() -> Vec<Vec<u8>> {
    (0..12_000u64)
        .map(|n| {
            let witnesses = match n % 3 {
                0 => (0..2)
                    .map(|i| Witness::from_slice(&[filler(n * 7 + i, 72), filler(n * 11 + i, 33)]))
                    .collect(),
                1 => vec![Witness::from_slice(&[filler(n, 64)])],
                _ => {
                    let mut script = vec![0x20];
                    script.extend(filler(n, 32));
                    script.extend([0xad, 0x20]);
                    script.extend(filler(n + 1, 32));
                    script.push(0xac);
                    vec![Witness::from_slice(&[
                        filler(n, 64),
                        filler(n + 2, 64),
                        script,
                        filler(n, 33),
                    ])]
                }
            };
            bitcoin::consensus::serialize(&tx(n, witnesses))
        })
        .collect()
}

/// Reveals of one 10 KB BitAI payload each.
fn inscriptions() -> Vec<Vec<u8>> {
    let secp = Secp256k1::new();
    let keypair = Keypair::from_seckey_slice(&secp, &[3; 32]).expect("valid key");
    let (key, _) = keypair.x_only_public_key();
    (0..380u64)
        .map(|n| {
            let reveal = Reveal::new(&secp, key, &[filler(n, 10_000)]).expect("within limits");
            let signature = bitcoin::taproot::Signature::from_slice(&filler(n, 64))
                .expect("64 bytes are a signature encoding");
            bitcoin::consensus::serialize(&tx(n, vec![reveal.witness(&signature)]))
        })
        .collect()
}

fn rounds() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

/// Median wall time of `rounds` runs of `work`, after one warm-up run.
fn median(rounds: usize, mut work: impl FnMut() -> usize) -> Duration {
    black_box(work());
    let mut times: Vec<Duration> = (0..rounds.max(1))
        .map(|_| {
            let start = Instant::now();
            black_box(work());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let rounds = rounds();
    for (name, set) in [("ordinary", ordinary()), ("inscriptions", inscriptions())] {
        let bytes: usize = set.iter().map(Vec::len).sum();
        let decode = |raw: &Vec<u8>| {
            bitcoin::consensus::deserialize::<Transaction>(raw).expect("the set is valid")
        };
        let decoded: Vec<Transaction> = set.iter().map(decode).collect();
        let deserialize = median(rounds, || {
            set.iter().map(|raw| decode(raw).input.len()).sum()
        });
        let both = median(rounds, || {
            set.iter()
                .map(|raw| parse_transaction(&decode(raw)).len())
                .sum()
        });
        let parse = median(rounds, || {
            decoded.iter().map(|tx| parse_transaction(tx).len()).sum()
        });
        let envelopes: usize = decoded.iter().map(|tx| parse_transaction(tx).len()).sum();
        println!(
            "{name}: {} transactions, {bytes} bytes, {envelopes} envelopes",
            set.len()
        );
        for (label, time) in [
            ("deserialize", deserialize),
            ("deserialize + parse", both),
            ("parse only", parse),
        ] {
            let mb_per_s = bytes as f64 / time.as_secs_f64() / 1e6;
            println!(
                "  {label:<20} {:>8.3} ms  {mb_per_s:>8.0} MB/s",
                time.as_secs_f64() * 1e3
            );
        }
        let ratio = deserialize.as_secs_f64() / both.as_secs_f64();
        println!("  ratio deserialize / (deserialize + parse): {ratio:.2}");
    }
}
