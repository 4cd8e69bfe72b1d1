//! What inscribing costs on Bitcoin, measured on real signed transactions built by the
//! inscriber's own wallet code (`bitai_inscriber::wallet`) with the protocol's envelope
//! builder, and how many BitAI transactions a Bitcoin block carries.
//!
//! 1. vbytes per KB (1,000 bytes) of payload for one payload of 1 B, 10 KB, 100 KB and
//!    390 KB, commit and reveal together, against the witness-discount limit (payload bytes
//!    in witness weigh 1 WU, so 1,000 bytes are 250 vB).
//! 2. BitAI transactions per block at the standard weight limit: reveals packed with
//!    envelopes of a given size up to 400,000 WU, as many commit/reveal pairs as fit in a
//!    4,000,000 WU block; the count is checked by mining exactly those pairs into a
//!    SimBitcoin block (one more pair is refused as over weight) and reading them back with
//!    the indexer's extraction.
//!
//! Run: `cargo bench -p bitai-tests --bench inscriber_cost`. The numbers are sizes, not
//! times: the same on every machine.

use bitai_bitcoin::BitcoinPort;
use bitai_indexer::{decode_block, extract_bitai_txs};
use bitai_inscriber::wallet::{build_commit, build_reveal, fee_for, reveal_weight_wu, WalletKeys};
use bitai_protocol::{encode_tx, BitaiTx, ChainId, Hash32, SubmitProof};
use bitai_runtime::ManualClock;
use bitai_simulation::bitcoin::{SimBitcoin, SimBitcoinConfig, SimBitcoinError};
use bitai_tests::support::inscriber_world::fund;
use bitai_tests::support::payloads::create_chain;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::SecretKey;
use bitcoin::{Network, OutPoint, Transaction};
use std::sync::Arc;

const RATE_SAT_PER_KVB: u64 = 1_000;

/// Makes the `n`th payload of a kind.
type MakePayload = Box<dyn Fn(u64) -> Vec<u8>>;

fn pair(
    keys: &WalletKeys,
    coin: (OutPoint, u64),
    payloads: &[Vec<u8>],
) -> (Transaction, Transaction) {
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let reveal = keys.reveal_of(&refs).expect("reveal builds");
    let lens: Vec<usize> = payloads.iter().map(Vec::len).collect();
    let reveal_fee = fee_for(
        bitai_inscriber::wallet::reveal_vsize(&lens),
        RATE_SAT_PER_KVB,
    );
    let (commit, _) = build_commit(
        keys,
        &reveal,
        &[coin],
        reveal_fee + 10_000,
        RATE_SAT_PER_KVB,
        |_| 0,
    )
    .expect("commit builds");
    let (reveal_tx, _) = build_reveal(keys, &reveal, &commit, |v| fee_for(v, RATE_SAT_PER_KVB))
        .expect("signs")
        .expect("affordable");
    (commit, reveal_tx)
}

fn submit_proof(n: u64, proof_len: usize) -> Vec<u8> {
    encode_tx(&BitaiTx::SubmitProof(SubmitProof {
        chain_id: ChainId(Hash32([7; 32])),
        block_number: n,
        prev_state_root: Hash32::sha256(&n.to_le_bytes()),
        new_state_root: Hash32::sha256(&(n + 1).to_le_bytes()),
        da_commitment: Hash32::sha256(b"da"),
        proof: vec![n as u8; proof_len],
    }))
    .expect("encodes")
}

fn main() {
    let keys = WalletKeys::from_secret(
        SecretKey::from_slice(&[3u8; 32]).expect("valid key"),
        Network::Regtest,
    );
    let dummy = (
        OutPoint::new(bitcoin::Txid::from_byte_array([1; 32]), 0),
        100_000_000,
    );
    println!("## Cost per KB of payload (one payload per reveal)\n");
    println!(
        "| payload | commit vB | reveal vB | total vB | vB per KB | limit 250 vB/KB | over limit |"
    );
    println!("|---|---|---|---|---|---|---|");
    for len in [1usize, 10_000, 100_000, 390_000] {
        let (commit, reveal) = pair(&keys, dummy, &[vec![0x5a; len]]);
        let (c, r) = (commit.vsize() as f64, reveal.vsize() as f64);
        let per_kb = (c + r) / (len as f64 / 1000.0);
        println!(
            "| {len} B | {c} | {r} | {} | {per_kb:.1} | 250 | {:+.2} % |",
            c + r,
            (per_kb / 250.0 - 1.0) * 100.0
        );
    }

    println!("\n## BitAI transactions per block (standard weight limit)\n");
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(5), clock).expect("sim");
    fund(&sim, keys.address(), 120, 2_000_000, 0);
    let mut coins: Vec<(OutPoint, u64)> = sim
        .utxos(std::slice::from_ref(keys.address()))
        .expect("utxos")
        .into_iter()
        .map(|u| (u.outpoint, u.value.to_sat()))
        .collect();
    println!("| BitAI tx | bytes | envelopes per reveal | reveal WU | pairs per block | BitAI txs per block |");
    println!("|---|---|---|---|---|---|");
    let kinds: Vec<(&str, MakePayload)> = vec![
        (
            "SubmitProof (Groth16-size proof, 256 B)",
            Box::new(|n| submit_proof(n, 256)),
        ),
        (
            "SubmitProof (1 KB proof)",
            Box::new(|n| submit_proof(n, 1_000)),
        ),
        (
            "CreateChain (10 KB key)",
            Box::new(|n| create_chain(n, 10_000)),
        ),
        (
            "CreateChain (60 KB key)",
            Box::new(|n| create_chain(n, 60_000)),
        ),
    ];
    for (name, make) in kinds {
        // Envelopes per reveal: as many as fit in 400,000 WU.
        let mut payloads = Vec::new();
        loop {
            payloads.push(make(payloads.len() as u64));
            let lens: Vec<usize> = payloads.iter().map(Vec::len).collect();
            if reveal_weight_wu(&lens) > 400_000 {
                payloads.pop();
                break;
            }
        }
        // Pairs per block: add pairs until the block refuses one more.
        let mut txs: Vec<Transaction> = Vec::new();
        let mut fitted = 0;
        let mut reveal_wu;
        loop {
            let coin = coins.pop().expect("enough coins");
            let (commit, reveal) = pair(&keys, coin, &payloads);
            reveal_wu = reveal.weight().to_wu();
            let mut attempt = txs.clone();
            attempt.push(commit);
            attempt.push(reveal);
            // Check on a copy: mine_block_with mines when it fits, so probe by weight first.
            let weight: u64 = attempt.iter().map(|t| t.weight().to_wu()).sum();
            if weight > 4_000_000 - 4_000 {
                break;
            }
            txs = attempt;
            fitted += 1;
        }
        let hash = sim
            .mine_block_with(txs.clone())
            .expect("the pairs fit in one block");
        let bytes = sim.block(&hash).expect("block");
        let block = decode_block(&bytes, &hash, 4_000_000, true).expect("valid");
        let found = extract_bitai_txs(&block).txs.len();
        assert_eq!(
            found,
            fitted * payloads.len(),
            "the indexer reads every envelope back"
        );
        println!(
            "| {name} | {} | {} | {reveal_wu} | {fitted} | {found} |",
            payloads[0].len(),
            payloads.len()
        );
        // One pair more is over the block's weight.
        let coin = coins.pop().expect("enough coins");
        let (commit, reveal) = pair(&keys, coin, &payloads);
        let mut more = txs;
        more.extend([commit, reveal]);
        match sim.mine_block_with(more) {
            Err(
                SimBitcoinError::BlockOverWeight { .. } | SimBitcoinError::BlockTxRejected { .. },
            ) => {}
            other => println!("  (one more pair was not refused: {other:?})"),
        }
    }
}
