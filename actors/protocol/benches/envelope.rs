//! Envelope parsing throughput on block-sized sets of transactions, next to a bare
//! `bitcoin::consensus::deserialize` of the same bytes (the indexer does both for every
//! transaction, so the parse must cost little beside the decode).
//!
//! Run: `cargo bench -p bitai-protocol --bench envelope`. Two data sets, built
//! deterministically: `ordinary` (3.9 MB: 12,000 transactions, P2WPKH and taproot
//! key-path and script-path spends without envelopes) and `inscriptions` (3.9 MB: 380
//! reveals, each one input with one 10 KB BitAI envelope).

// criterion_group! generates a public function without docs.
#![allow(missing_docs)]

use bitai_protocol::envelope::{parse_transaction, Reveal};
use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, Secp256k1};
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

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

fn bench(c: &mut Criterion) {
    for (name, set) in [("ordinary", ordinary()), ("inscriptions", inscriptions())] {
        let bytes: usize = set.iter().map(Vec::len).sum();
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(bytes as u64));
        group.sample_size(20);
        group.bench_function("deserialize", |b| {
            b.iter(|| {
                set.iter()
                    .map(|raw| bitcoin::consensus::deserialize::<Transaction>(raw).expect("valid"))
                    .map(|tx| tx.input.len())
                    .sum::<usize>()
            })
        });
        group.bench_function("deserialize_and_parse", |b| {
            b.iter(|| {
                set.iter()
                    .map(|raw| bitcoin::consensus::deserialize::<Transaction>(raw).expect("valid"))
                    .map(|tx| parse_transaction(&tx).len())
                    .sum::<usize>()
            })
        });
        let decoded: Vec<Transaction> = set
            .iter()
            .map(|raw| bitcoin::consensus::deserialize(raw).expect("valid"))
            .collect();
        group.bench_function("parse_only", |b| {
            b.iter(|| {
                decoded
                    .iter()
                    .map(|tx| parse_transaction(tx).len())
                    .sum::<usize>()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
