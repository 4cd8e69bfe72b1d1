//! Payloads for the inscriber scenarios: sizes from 1 byte to 390 KB (log-uniform, with both
//! ends present), every tenth a real `CreateChain` encoding so the indexer decodes it, the
//! rest opaque bytes (BitAI transactions cannot be 1 byte or 390 KB under today's field
//! limits; the inscriber carries whatever encoding it is given).

use bitai_protocol::{encode_tx, BitaiTx, ChainLimits, CreateChain, Hash32, ProofSystem};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Largest payload the scenarios send.
pub const MAX_PAYLOAD_BYTES: usize = 390_000;

/// A valid `CreateChain` of roughly `len` bytes (at least its fixed fields).
pub fn create_chain(n: u64, len: usize) -> Vec<u8> {
    let vk = len.saturating_sub(120).min(60_000);
    encode_tx(&BitaiTx::CreateChain(CreateChain {
        name: format!("chain-{n}"),
        proof_system: ProofSystem::SimulationOnly,
        verifying_key: vec![(n % 251) as u8; vk],
        genesis_state_root: Hash32::sha256(&n.to_le_bytes()),
        limits: ChainLimits {
            max_block_txs: 16,
            max_proof_bytes: 1024,
        },
        salt: n,
    }))
    .expect("a valid CreateChain encodes")
}

/// `count` payloads; `max_len` caps the sizes (the full scenario uses [`MAX_PAYLOAD_BYTES`]).
pub fn payloads(seed: u64, count: usize, max_len: usize) -> Vec<Vec<u8>> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..count)
        .map(|i| {
            let len = match i {
                0 => 1,
                1 => max_len,
                _ => {
                    let x: f64 = rng.gen_range(0.0..(max_len as f64).ln());
                    (x.exp() as usize).clamp(1, max_len)
                }
            };
            if i % 10 == 3 {
                create_chain(i as u64, len)
            } else {
                let mut p = vec![0u8; len];
                rng.fill(p.as_mut_slice());
                p
            }
        })
        .collect()
}

/// The request id of payload `i`.
pub fn id(i: usize) -> [u8; 32] {
    let mut id = [0u8; 32];
    id[..8].copy_from_slice(&(i as u64).to_be_bytes());
    id
}
