//! Property tests: random sequences of spends, double spends, replacements, blocks and
//! reorgs never leave a double spend in the mempool or the chain, and keep the mempool's
//! cached graph exact.

use super::helpers::{decode, output_of, rate, Fixture};
use crate::bitcoin::ReorgMempool;
use bitai_bitcoin::{BitcoinPort, Utxo};
use proptest::prelude::*;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
enum Op {
    /// Spend coin `pick` (modulo the coins seen) into `outputs` outputs at `sat_per_vb`.
    Spend {
        pick: usize,
        outputs: u8,
        sat_per_vb: u64,
    },
    /// Mine a block.
    Mine,
    /// Reorg `depth` blocks, the new ones mined from the mempool or not.
    Reorg { depth: u64, keep: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<usize>(), 1u8..4, 1u64..40)
            .prop_map(|(pick, outputs, sat_per_vb)| Op::Spend { pick, outputs, sat_per_vb }),
        2 => Just(Op::Mine),
        1 => (1u64..4, any::<bool>()).prop_map(|(depth, keep)| Op::Reorg { depth, keep }),
    ]
}

fn check(f: &Fixture) {
    let node = f.sim.node();
    node.mempool.check_invariants();
    for e in node.mempool.entries.values() {
        for input in &e.tx.input {
            let prev = input.previous_output;
            assert!(
                node.mempool.entries.contains_key(&prev.txid) || node.chain.coin(&prev).is_some(),
                "a mempool transaction spends a coin that is neither confirmed nor in the mempool"
            );
        }
    }
    drop(node);
    let tip = f.tip().height;
    let mut spent = BTreeSet::new();
    for height in 1..=tip {
        let block = decode(&f.sim.block(&f.hash_at(height)).expect("a stored block"));
        assert!(block.check_merkle_root() && block.check_witness_commitment());
        for tx in &block.txdata[1..] {
            for input in &tx.input {
                assert!(
                    spent.insert(input.previous_output),
                    "a double spend in the chain"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_spends_and_replacements_never_double_spend(ops in prop::collection::vec(op(), 1..40)) {
        let f = Fixture::new();
        let mut coins: Vec<Utxo> = f.coins();
        for op in ops {
            match op {
                Op::Spend { pick, outputs, sat_per_vb } => {
                    let coin = coins[pick % coins.len()].clone();
                    let share = coin.value.to_sat() / (u64::from(outputs) + 1);
                    let outs = (1..outputs).map(|_| f.out(share)).collect();
                    if let Ok(tx) = f.wallet.spend(&[coin], outs, rate(sat_per_vb)) {
                        if f.sim.broadcast(&tx).is_ok() {
                            coins.extend((0..tx.output.len() as u32).map(|v| output_of(&tx, v)));
                        }
                    }
                }
                Op::Mine => {
                    f.sim.mine_block();
                }
                Op::Reorg { depth, keep } => {
                    let mode = if keep { ReorgMempool::Keep } else { ReorgMempool::Include };
                    f.sim.reorg_with(depth, depth + 1, mode).expect("a valid reorg");
                }
            }
            check(&f);
        }
        f.sim.mine_blocks(2);
        check(&f);
    }
}
