//! Block circuits for tests and benchmarks (feature `testing`): a chain's blocks 1..=n, one
//! signed transfer each, applied to a one-account genesis, as the encoded circuits the pool
//! takes.

use bitai_chain::eddsa::PrivateKey;
use bitai_chain::stf::{Account, Block, State};
use bitai_chain::tx::Transfer;
use bitai_proofs::circuit::{BlockCircuit, CircuitConfig};
use bitai_protocol::{ChainId, Hash32};

/// Blocks 1..=n (at most 50: the account holds 100 and each block moves 1 and burns 1) of
/// `chain_id` in shape `config`, one transfer each, as encoded circuits.
pub fn blocks_of(config: CircuitConfig, chain_id: ChainId, n: u64) -> Vec<Vec<u8>> {
    let key = PrivateKey([3; 32]);
    let accounts = [(
        0u32,
        Account {
            public_key: key.public_key(),
            balance: 100,
            nonce: 0,
        },
    )];
    let mut state = State::genesis(config.depth, accounts).expect("genesis");
    (1..=n)
        .map(|number| {
            let to_key = PrivateKey([4; 32]).public_key();
            let tx = Transfer {
                from: 0,
                to: 2,
                to_public_key: to_key,
                amount: 1,
                fee: 1,
                nonce: number - 1,
            }
            .sign(&chain_id, &key);
            let block = Block {
                chain_id,
                number,
                da_commitment: Hash32::default(),
                txs: vec![tx],
                ops: vec![],
            };
            let w = state.apply_block(&block, 1, 0).expect("valid");
            BlockCircuit::new(config, &w).expect("fits").to_bytes()
        })
        .collect()
}
