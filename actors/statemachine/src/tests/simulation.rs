//! `SimulationOnly` chains: registered only where allowed, advanced by simulation proofs,
//! a tampered one refused; and, with their cheap proofs, a larger reorg property over two
//! chains at the devnet's finality depth of 6.

use super::harness::{state_of, Harness};
use crate::testing::{simulation_chain, FixtureChain};
use crate::StateMachineConfig;
use bitai_protocol::BitaiTx;
use proptest::prelude::*;
use std::sync::OnceLock;

fn allowed(depth: u64) -> StateMachineConfig {
    StateMachineConfig {
        finality_depth: depth,
        allow_simulation_only: true,
        max_chains: 16,
        journal_depth: 0,
    }
}

fn chains() -> &'static (FixtureChain, FixtureChain) {
    static C: OnceLock<(FixtureChain, FixtureChain)> = OnceLock::new();
    C.get_or_init(|| (simulation_chain(12, 1), simulation_chain(12, 2)))
}

#[test]
fn a_simulation_chain_registers_only_where_allowed_and_advances_by_its_proofs() {
    let (s, _) = chains();
    let mut refusing = Harness::new(StateMachineConfig::default());
    refusing.connect(&[BitaiTx::CreateChain(s.create.clone())]);
    let view = refusing.engine.view();
    assert!(view.chains.is_empty());
    assert_eq!(view.rejected[0].label, "simulation_only");

    let mut h = Harness::new(allowed(6));
    h.connect(&[BitaiTx::CreateChain(s.create.clone())]);
    let mut tampered = s.proofs[3].clone();
    tampered.proof[0] ^= 1;
    let mut block: Vec<BitaiTx> = s.proofs[..3]
        .iter()
        .cloned()
        .map(BitaiTx::SubmitProof)
        .collect();
    block.push(BitaiTx::SubmitProof(tampered));
    h.connect(&block);
    let view = h.engine.view();
    let chain = view.chain(&s.id).expect("registered");
    assert_eq!(chain.verified_block, 3);
    assert_eq!(chain.verified_root, s.proofs[2].new_state_root);
    assert_eq!(view.rejected.len(), 1);
    assert_eq!(view.rejected[0].label, "proof_invalid");
}

#[derive(Debug, Clone)]
enum Op {
    /// A block of random picks from the pool.
    Connect(Vec<usize>),
    /// A block advancing each chain by its next `k` valid proofs (creating it if needed).
    Advance(usize),
    Disconnect(usize),
}

/// The block of [`Op::Advance`] on the harness's current state.
fn advance(h: &Harness, k: usize) -> Vec<BitaiTx> {
    let (a, b) = chains();
    let view = h.engine.view();
    let mut block = vec![];
    for c in [a, b] {
        let from = match view.chain(&c.id) {
            Some(chain) => chain.verified_block as usize,
            None => {
                block.push(BitaiTx::CreateChain(c.create.clone()));
                0
            }
        };
        let to = (from + k).min(c.proofs.len());
        block.extend(c.proofs[from..to].iter().cloned().map(BitaiTx::SubmitProof));
    }
    block
}

/// Creations of both chains, their 12 proofs each, and a tampered proof of each.
fn pool() -> Vec<BitaiTx> {
    let (a, b) = chains();
    let mut txs = vec![
        BitaiTx::CreateChain(a.create.clone()),
        BitaiTx::CreateChain(b.create.clone()),
    ];
    for c in [a, b] {
        txs.extend(c.proofs.iter().cloned().map(BitaiTx::SubmitProof));
        let mut bad = c.proofs[4].clone();
        bad.proof[9] ^= 2;
        txs.push(BitaiTx::SubmitProof(bad));
    }
    txs
}

fn op(n: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => proptest::collection::vec(0..n, 0..5).prop_map(Op::Connect),
        2 => (0usize..3).prop_map(Op::Advance),
        1 => (1usize..=6).prop_map(Op::Disconnect),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn two_chains_through_random_reorgs_equal_a_fresh_replay(
        ops in proptest::collection::vec(op(28), 1..40)
    ) {
        let txs = pool();
        let mut h = Harness::new(allowed(6));
        for op in ops {
            match op {
                Op::Connect(picks) => {
                    let block: Vec<BitaiTx> = picks.iter().map(|i| txs[*i].clone()).collect();
                    h.connect(&block);
                }
                Op::Advance(k) => {
                    let block = advance(&h, k);
                    h.connect(&block);
                }
                Op::Disconnect(k) => {
                    let k = k.min(h.undoable());
                    h.disconnect(k);
                }
            }
        }
        let fresh = h.replay(allowed(6));
        prop_assert_eq!(state_of(&h), state_of(&fresh));
        prop_assert_eq!(h.dump(), fresh.dump());
    }
}
