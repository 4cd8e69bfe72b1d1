//! A small chain for the op-slot tests: a user and four neurons in a tree of depth 3, blocks
//! run through the real state transition, and their witnesses turned into circuits.

use crate::circuit::{BlockCircuit, CircuitConfig};
use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystem};
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::field::Fr;
use bitai_chain::poc::{commitment, hash_halves, output_digest, PocKind, PocOp, PocTx};
use bitai_chain::stf::{Account, Block, BlockWitness, State};
use bitai_protocol::{ChainId, Hash32};
use std::collections::BTreeMap;

pub fn key(i: u8) -> PrivateKey {
    PrivateKey([i; 32])
}

pub fn chain() -> ChainId {
    ChainId(Hash32::sha256(b"op slot tests"))
}

pub const DEPTH: usize = 3;
pub const NEURONS: [u32; 4] = [10, 11, 12, 13];
pub const USER: u32 = 1;

pub struct World {
    pub state: State,
    pub number: u64,
    nonces: BTreeMap<u32, u64>,
}

impl World {
    pub fn new() -> Self {
        let accounts = [USER].into_iter().chain(NEURONS).map(|i| {
            (
                i,
                Account {
                    public_key: key(i as u8).public_key(),
                    balance: 100_000,
                    nonce: 0,
                },
            )
        });
        World {
            state: State::genesis(DEPTH, accounts).expect("genesis"),
            number: 0,
            nonces: BTreeMap::new(),
        }
    }

    pub fn tx(
        &mut self,
        kind: PocKind,
        account: u32,
        target: u32,
        amount: u64,
        data: [Fr; 2],
    ) -> PocTx {
        let nonce = self.nonces.entry(account).or_default();
        let tx = PocTx {
            kind,
            account,
            target,
            amount,
            nonce: *nonce,
            fee: 1,
            data,
        };
        *nonce += 1;
        tx
    }

    pub fn op(
        &mut self,
        kind: PocKind,
        account: u32,
        target: u32,
        amount: u64,
        data: [Fr; 2],
        payload: Vec<u8>,
    ) -> PocOp {
        let tx = self.tx(kind, account, target, amount, data);
        PocOp::Signed(tx.sign(&chain(), &key(account as u8), payload))
    }

    /// Runs `ops` as the next block (at most 4 ops).
    pub fn block(&mut self, ops: Vec<PocOp>) -> BlockWitness {
        self.number += 1;
        let block = Block {
            chain_id: chain(),
            number: self.number,
            da_commitment: Hash32::sha256(b"da"),
            txs: vec![],
            ops,
        };
        self.state.apply_block(&block, 1, 4).expect("a valid block")
    }

    pub fn register(&mut self, neurons: &[u32]) -> BlockWitness {
        let ops = neurons
            .iter()
            .map(|n| {
                self.op(
                    PocKind::RegisterNeuron,
                    *n,
                    0,
                    5_000,
                    [Fr::from(0u64); 2],
                    vec![],
                )
            })
            .collect();
        self.block(ops)
    }

    pub fn deploy(&mut self) -> BlockWitness {
        let hash = Hash32::sha256(b"model bytes");
        let op = self.op(
            PocKind::DeployModel,
            USER,
            0,
            11,
            hash_halves(&hash),
            vec![],
        );
        self.block(vec![op])
    }

    pub fn request_op(&mut self, model: u32, escrow: u64) -> PocOp {
        let input = b"input bytes".to_vec();
        let halves = hash_halves(&Hash32::sha256(&input));
        self.op(
            PocKind::RequestInference,
            USER,
            model,
            escrow,
            halves,
            input,
        )
    }

    pub fn commit_op(&mut self, request: u32, who: u32, output: &[u8]) -> PocOp {
        let c = commitment(output_digest(output), salt(who), who);
        self.op(
            PocKind::Commit,
            who,
            request,
            0,
            [c, Fr::from(0u64)],
            vec![],
        )
    }

    pub fn reveal_op(&mut self, request: u32, who: u32, output: &[u8]) -> PocOp {
        let data = [output_digest(output), salt(who)];
        self.op(PocKind::Reveal, who, request, 0, data, output.to_vec())
    }

    /// Registers three neurons, deploys a model and requests an inference escrowing
    /// `escrow`; returns the request id.
    pub fn requested(&mut self, escrow: u64) -> u32 {
        self.register(&NEURONS[..3]);
        self.deploy();
        let op = self.request_op(0, escrow);
        self.block(vec![op]);
        self.state.counters().requests - 1
    }

    /// Commits and reveals `outputs` by seat in two blocks.
    pub fn answer(&mut self, r: u32, outputs: [&[u8]; 3]) -> (BlockWitness, BlockWitness) {
        let a = self.state.request(r).expect("request").assignees;
        let commits = (0..3)
            .map(|j| self.commit_op(r, a[j], outputs[j]))
            .collect();
        let c = self.block(commits);
        let reveals = (0..3)
            .map(|j| self.reveal_op(r, a[j], outputs[j]))
            .collect();
        (c, self.block(reveals))
    }
}

pub fn salt(who: u32) -> Fr {
    Fr::from(u64::from(who) * 7 + 1)
}

/// The circuit of `w` with `max_ops` op slots and one transfer slot.
pub fn circuit(w: &BlockWitness, max_ops: usize) -> BlockCircuit {
    let mut config = CircuitConfig::new(DEPTH, 1);
    config.max_ops = max_ops;
    BlockCircuit::new(config, w).expect("fits")
}

pub fn satisfied(c: &BlockCircuit) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    c.clone()
        .generate_constraints(cs.clone())
        .expect("synthesis");
    cs.is_satisfied().expect("assigned")
}

/// Whether every constraint but the last holds: the witness keeps every rule, whatever new
/// root it computes (the last constraint only makes that root the public `new_root`). The
/// same as setting the public `new_root` to the computed one and checking the whole system.
fn rules_hold(c: &BlockCircuit) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let _roots = c.synthesize(cs.clone()).expect("synthesis");
    cs.is_satisfied().expect("assigned")
}

/// Whether `c` is unsatisfied even with the public `new_root` its witness computes: the
/// tampered witness breaks a rule, not merely the claimed root.
pub fn refused(c: BlockCircuit) -> bool {
    !rules_hold(&c)
}

/// Whether `c`, with the public `new_root` its witness computes, is satisfied.
pub fn accepted(c: BlockCircuit) -> bool {
    rules_hold(&c)
}
