//! Sequencer throughput without proving: how many transfers per second the sequencer core
//! accepts (signature, nonce, balance and fee checks against the projected state, persisted)
//! and executes into blocks (STF execution, DA blob, block circuit, one batch per block), on
//! the production tree (depth 16, 2^32 accounts), blocks of 32, 50 senders, an in-memory
//! store and the embedded DA.
//!
//! Run: `cargo bench -p bitai-sequencer --bench throughput` (prints one line per phase).

use bitai_chain::babyjubjub::pack_point;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::tx::Transfer;
use bitai_da::EmbeddedDa;
use bitai_messages::da::GenesisAccount;
use bitai_proofs::circuit::CircuitConfig;
use bitai_protocol::ProofSystem;
use bitai_runtime::ManualClock;
use bitai_sequencer::{ChainSpec, SequencerConfig, SequencerCore, SequencerMetrics};
use bitai_storage::MemoryStore;
use std::sync::Arc;

const ACCOUNTS: u32 = 50;
const TXS: u64 = 2_000;

fn key(i: u32) -> PrivateKey {
    let mut k = [0u8; 32];
    k[..4].copy_from_slice(&(i + 1).to_le_bytes());
    PrivateKey(k)
}

#[allow(clippy::disallowed_methods)] // A benchmark measures wall time.
fn main() {
    let accounts = (0..ACCOUNTS)
        .map(|i| GenesisAccount {
            index: i,
            public_key: pack_point(&key(i).public_key()),
            balance: 1_000_000_000,
        })
        .collect();
    let circuit = CircuitConfig::production(32);
    let spec = ChainSpec::new(
        "bench".into(),
        ProofSystem::SimulationOnly,
        Vec::new(),
        accounts,
        circuit,
        1024,
        0,
    )
    .expect("spec");
    let chain = spec.chain_id();
    let store = Arc::new(MemoryStore::new());
    let da = Arc::new(EmbeddedDa::new(store.clone(), 1 << 24));
    let metrics = SequencerMetrics::new(&prometheus::Registry::new(), &chain).expect("metrics");
    let config = SequencerConfig {
        max_pending_txs: TXS as usize,
        ..SequencerConfig::default()
    };
    let clock = Arc::new(ManualClock::new(0));
    let mut core = SequencerCore::open(spec, config, store, da, clock, metrics).expect("open");
    // Signing is the wallet's work, not the sequencer's: done before the clock starts.
    let mut nonces = [0u64; ACCOUNTS as usize];
    let txs: Vec<_> = (0..TXS)
        .map(|k| {
            let from = (k % u64::from(ACCOUNTS)) as u32;
            let to = ((k * 7 + 3) % u64::from(ACCOUNTS)) as u32;
            let nonce = nonces[from as usize];
            nonces[from as usize] += 1;
            Transfer {
                from,
                to,
                to_public_key: key(to).public_key(),
                amount: 1 + k % 13,
                fee: 1,
                nonce,
            }
            .sign(&chain, &key(from))
        })
        .collect();
    let started = std::time::Instant::now();
    for tx in &txs {
        core.submit(tx).expect("valid");
    }
    let accept_s = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let mut blocks = 0;
    while core.cut_block().expect("cut").is_some() {
        blocks += 1;
    }
    let execute_s = started.elapsed().as_secs_f64();
    let n = TXS as f64;
    println!(
        "accept : {TXS} transfers in {accept_s:.3} s = {:.0} tx/s",
        n / accept_s
    );
    println!(
        "execute: {TXS} transfers in {blocks} blocks of 32 in {execute_s:.3} s = {:.0} tx/s",
        n / execute_s
    );
    println!(
        "both   : {:.0} tx/s (depth 16, MemoryStore, embedded DA, no proving)",
        n / (accept_s + execute_s)
    );
}
