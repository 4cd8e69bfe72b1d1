//! Indexer throughput on full-size SimBitcoin blocks, against a bare
//! `bitcoin::consensus::deserialize` of the same blocks in the same run.
//!
//! Blocks: full weight (4,000,000 WU) of real signed taproot spends from SimBitcoin's
//! `BlockFiller`, with BitAI envelopes in commit/reveal pairs (some large). The indexer side
//! is everything the indexer does per block: fetch the bytes through the Bitcoin port, decode
//! with the size limit, check the header hash and (by default) the merkle root, parse every
//! input's envelopes, decode the BitAI ones, and build the event.
//!
//! Run: `cargo bench -p bitai-tests --bench indexer_throughput` (release profile). Options
//! after `--`: `--blocks N` (default 6), `--rounds N` (default 5).

#![allow(clippy::disallowed_methods)] // A benchmark reads the wall clock by definition.

use bitai_bitcoin::BitcoinPort;
use bitai_indexer::index_block;
use bitai_protocol::envelope::reveal_script;
use bitai_protocol::{encode_tx, BitaiTx, ChainId, Hash32, SubmitProof};
use bitai_runtime::ManualClock;
use bitai_simulation::bitcoin::{BlockFiller, SimBitcoin, SimBitcoinConfig, SimWallet};
use bitcoin::{Block, BlockHash, FeeRate, ScriptBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An envelope fragment (`OP_FALSE OP_IF ... OP_ENDIF`) carrying one BitAI transaction whose
/// proof field is `proof_bytes` long: the protocol's reveal script without its leading
/// `<32-byte key> OP_CHECKSIG` (34 bytes).
fn envelope(wallet: &SimWallet, n: u64, proof_bytes: usize) -> ScriptBuf {
    let tx = BitaiTx::SubmitProof(SubmitProof {
        chain_id: ChainId(Hash32([3; 32])),
        block_number: n,
        prev_state_root: Hash32::sha256(&n.to_le_bytes()),
        new_state_root: Hash32::sha256(&(n + 1).to_le_bytes()),
        da_commitment: Hash32::default(),
        proof: vec![(n % 251) as u8; proof_bytes],
    });
    let payload = encode_tx(&tx).expect("encodes");
    let script = reveal_script(wallet.internal_key(), &[payload]).expect("builds");
    ScriptBuf::from_bytes(script.as_bytes()[34..].to_vec())
}

fn main() {
    let blocks_n = arg("--blocks", 6);
    let rounds = arg("--rounds", 5);
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(5), clock).expect("sim");
    let wallet = SimWallet::from_seed(5);
    let mut filler = BlockFiller::new(wallet.clone(), FeeRate::from_sat_per_vb(2).expect("rate"));
    filler.fund(&sim).expect("funds");
    // Warm-up blocks grow the coin pool so each measured block is full of spends.
    let mut hashes: Vec<(u64, BlockHash)> = Vec::new();
    let mut n = 0;
    let built = Instant::now();
    while hashes.len() < blocks_n {
        // 20 envelopes per block: 16 with a 1 KB proof, 4 with 16 KB (the proof limit).
        let envelopes: Vec<ScriptBuf> = (0..20)
            .map(|i| {
                n += 1;
                envelope(&wallet, n, if i < 16 { 1024 } else { 16 * 1024 })
            })
            .collect();
        let warm = filler.coin_count() < 10_000;
        let hash = filler
            .mine_full_block(&sim, if warm { &[] } else { &envelopes })
            .expect("mines");
        if !warm {
            let height = sim.block_height(&hash).expect("on chain");
            hashes.push((height, hash));
        }
    }
    let raw: Vec<Vec<u8>> = hashes
        .iter()
        .map(|(_, h)| sim.block(h).expect("block"))
        .collect();
    let total_bytes: usize = raw.iter().map(Vec::len).sum();
    let decoded: Vec<Block> = raw
        .iter()
        .map(|b| bitcoin::consensus::deserialize(b).expect("decodes"))
        .collect();
    let txs: usize = decoded.iter().map(|b| b.txdata.len()).sum();
    let weight: u64 = decoded.iter().map(|b| b.weight().to_wu()).sum();
    println!(
        "blocks: {} built in {:.1} s; {:.2} MB serialized on average, {:.0} WU, {} transactions, 20 BitAI envelopes each",
        raw.len(),
        built.elapsed().as_secs_f64(),
        total_bytes as f64 / raw.len() as f64 / 1e6,
        weight as f64 / raw.len() as f64,
        txs / raw.len(),
    );

    let mut bare = Duration::MAX;
    let mut indexer = Duration::MAX;
    let mut indexer_no_merkle = Duration::MAX;
    let mut found = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        for bytes in &raw {
            let block: Block = bitcoin::consensus::deserialize(bytes).expect("decodes");
            std::hint::black_box(block);
        }
        bare = bare.min(t.elapsed());

        for (check, best) in [(true, &mut indexer), (false, &mut indexer_no_merkle)] {
            let t = Instant::now();
            found = 0;
            for (height, hash) in &hashes {
                let bytes = sim.block(hash).expect("port serves the block");
                let (event, rejected) =
                    index_block(*height, hash, &bytes, 4_000_000, check).expect("indexes");
                assert!(rejected.is_empty());
                found += event.bitai_txs.len();
                std::hint::black_box(event);
            }
            *best = (*best).min(t.elapsed());
        }
    }
    assert_eq!(found, 20 * raw.len(), "every envelope found");

    // Where the indexer's time goes, per part, on the decoded blocks.
    let mut merkle_ours = Duration::MAX;
    let mut merkle_rust_bitcoin = Duration::MAX;
    let mut extract = Duration::MAX;
    for _ in 0..rounds {
        let t = Instant::now();
        for (b, r) in decoded.iter().zip(&raw) {
            assert!(bitai_indexer::check_merkle_root(b, r));
        }
        merkle_ours = merkle_ours.min(t.elapsed());
        let t = Instant::now();
        for b in &decoded {
            assert!(b.check_merkle_root());
        }
        merkle_rust_bitcoin = merkle_rust_bitcoin.min(t.elapsed());
        let t = Instant::now();
        for b in &decoded {
            std::hint::black_box(bitai_indexer::extract_bitai_txs(b));
        }
        extract = extract.min(t.elapsed());
    }
    let per_s = |d: Duration| raw.len() as f64 / d.as_secs_f64();
    let mb_s = |d: Duration| total_bytes as f64 / 1e6 / d.as_secs_f64();
    println!("best of {rounds} rounds over {} blocks:", raw.len());
    println!(
        "  bare deserialize:            {:8.1} blocks/s  {:8.1} MB/s",
        per_s(bare),
        mb_s(bare)
    );
    println!(
        "  indexer (merkle checked):    {:8.1} blocks/s  {:8.1} MB/s  ratio {:.2}",
        per_s(indexer),
        mb_s(indexer),
        bare.as_secs_f64() / indexer.as_secs_f64()
    );
    println!(
        "  indexer (no merkle check):   {:8.1} blocks/s  {:8.1} MB/s  ratio {:.2}",
        per_s(indexer_no_merkle),
        mb_s(indexer_no_merkle),
        bare.as_secs_f64() / indexer_no_merkle.as_secs_f64()
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3 / raw.len() as f64;
    println!("per block, by part:");
    println!("  deserialize                  {:6.2} ms", ms(bare));
    println!("  merkle check (ours)          {:6.2} ms", ms(merkle_ours));
    println!(
        "  merkle check (rust-bitcoin)  {:6.2} ms",
        ms(merkle_rust_bitcoin)
    );
    println!("  envelope scan and decode     {:6.2} ms", ms(extract));
}
