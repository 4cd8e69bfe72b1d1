//! The Proof-of-Compute rules, one test per rule: a request's whole life, cheating, no-shows,
//! late commits, unbonding and withdrawing, and supply conservation throughout.

use super::super::tests::{chain, key};
use super::*;
use crate::poc::{commitment, hash_halves, output_digest, PocKind, PocTx};
use crate::stf::{Block, StfError};
use bitai_protocol::Hash32;

const NEURONS: [u32; 4] = [10, 11, 12, 13];
const USER: u32 = 1;
const SUPPLY_EACH: u64 = 100_000;

struct World {
    state: State,
    number: u64,
    nonces: BTreeMap<u32, u64>,
}

impl World {
    fn new() -> Self {
        let accounts = [USER].into_iter().chain(NEURONS).map(|i| {
            (
                i,
                Account {
                    public_key: key(i as u8).public_key(),
                    balance: SUPPLY_EACH,
                    nonce: 0,
                },
            )
        });
        World {
            state: State::genesis(4, accounts).expect("genesis"),
            number: 0,
            nonces: BTreeMap::new(),
        }
    }

    fn op(
        &mut self,
        kind: PocKind,
        account: u32,
        target: u32,
        amount: u64,
        data: [Fr; 2],
        payload: Vec<u8>,
    ) -> PocOp {
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
        PocOp::Signed(tx.sign(&chain(), &key(account as u8), payload))
    }

    /// Runs `ops` as the next block; on refusal the nonces used are handed back.
    fn block(&mut self, ops: Vec<PocOp>) -> Result<(), StfError> {
        self.number += 1;
        let block = Block {
            chain_id: chain(),
            number: self.number,
            da_commitment: Hash32::default(),
            txs: vec![],
            ops: ops.clone(),
        };
        match self.state.apply_block(&block, 0, 8) {
            Ok(w) => {
                check_witness(&w);
                Ok(())
            }
            Err(e) => {
                self.number -= 1;
                for op in &ops {
                    if let PocOp::Signed(s) = op {
                        *self.nonces.entry(s.tx.account).or_default() -= 1;
                    }
                }
                Err(e)
            }
        }
    }

    fn supply(&self) -> u64 {
        let balances: u128 = self
            .state
            .accounts()
            .map(|(_, a)| u128::from(a.balance))
            .sum();
        let total = balances + self.state.stakes() + self.state.escrow_held();
        u64::try_from(total).expect("the test supply fits 64 bits")
    }

    fn register_all(&mut self, neurons: &[u32]) {
        let ops = neurons
            .iter()
            .map(|n| self.op(PocKind::RegisterNeuron, *n, 0, 5_000, [Fr::ZERO; 2], vec![]))
            .collect();
        self.block(ops).expect("registrations");
    }

    fn deploy(&mut self) -> u32 {
        let hash = Hash32::sha256(b"model bytes");
        let op = self.op(
            PocKind::DeployModel,
            USER,
            0,
            11,
            hash_halves(&hash),
            vec![],
        );
        self.block(vec![op]).expect("deploy");
        self.state.counters().models - 1
    }

    fn request(&mut self, model: u32, escrow: u64) -> u32 {
        let input = b"input bytes".to_vec();
        let halves = hash_halves(&Hash32::sha256(&input));
        let op = self.op(
            PocKind::RequestInference,
            USER,
            model,
            escrow,
            halves,
            input,
        );
        self.block(vec![op]).expect("request");
        self.state.counters().requests - 1
    }

    fn commit_op(&mut self, request: u32, who: u32, output: &[u8]) -> PocOp {
        let c = commitment(output_digest(output), Fr::from(u64::from(who) * 7), who);
        self.op(PocKind::Commit, who, request, 0, [c, Fr::ZERO], vec![])
    }

    fn reveal_op(&mut self, request: u32, who: u32, output: &[u8]) -> PocOp {
        let data = [output_digest(output), Fr::from(u64::from(who) * 7)];
        self.op(PocKind::Reveal, who, request, 0, data, output.to_vec())
    }

    fn settle_all(&mut self) {
        let due = self.state.settlements_due(self.number + 1);
        assert_eq!(due.len(), 4, "all four parts are due");
        self.block(due).expect("settles");
    }
}

/// Every touch's path leads from its before-value to the root before it, and the witness's
/// parts chain from op to op.
fn check_witness(w: &crate::stf::BlockWitness) {
    let mut parts = w.prev_parts;
    for ow in &w.ops {
        assert_eq!(ow.before, parts);
        assert_eq!(ow.account_proof.root(ow.account.leaf()), parts.accounts);
        let mut objects = parts.objects;
        for t in ow.objects.iter().flatten() {
            assert_eq!(t.proof.root(t.before.leaf()), objects);
            objects = t.proof.root(t.after.leaf());
        }
        assert_eq!(objects, ow.after.objects);
        parts = ow.after;
    }
    assert_eq!(parts, w.new_parts);
    assert_eq!(w.new_parts.root(), w.new_root);
}

#[test]
fn three_honest_neurons_settle_and_are_paid() {
    let mut w = World::new();
    w.register_all(&NEURONS[..3]);
    let model = w.deploy();
    let supply = w.supply();
    let r = w.request(model, 900);
    assert_eq!(
        w.supply(),
        supply - 1,
        "the request's fee is burned, the escrow held"
    );
    let assignees = w.state.request(r).expect("request").assignees;
    let mut sorted = assignees;
    sorted.sort();
    assert_eq!(sorted, [10, 11, 12]);
    let commits = assignees
        .iter()
        .map(|a| w.commit_op(r, *a, b"answer"))
        .collect();
    w.block(commits).expect("commits");
    let reveals = assignees
        .iter()
        .map(|a| w.reveal_op(r, *a, b"answer"))
        .collect();
    w.block(reveals).expect("reveals");
    let before: Vec<u64> = assignees
        .iter()
        .map(|a| w.state.account(*a).expect("neuron").balance)
        .collect();
    w.settle_all();
    let req = w.state.request(r).expect("request");
    assert!(req.fully_settled());
    assert_eq!(req.outcome().result, Some(output_digest(b"answer")));
    for (a, b) in assignees.iter().zip(before) {
        assert_eq!(w.state.account(*a).expect("neuron").balance, b + 300);
        assert_eq!(w.state.neuron(*a).expect("record").rewards, 300);
    }
    assert_eq!(
        w.supply(),
        supply - 1 - 6,
        "fees of the request and the six ops"
    );
}

#[test]
fn a_cheating_neuron_is_slashed_and_the_rest_split_the_fee() {
    let mut w = World::new();
    w.register_all(&NEURONS[..3]);
    let model = w.deploy();
    let r = w.request(model, 1_001);
    let a = w.state.request(r).expect("request").assignees;
    let outputs: [&[u8]; 3] = [b"right", b"right", b"wrong"];
    let commits = (0..3).map(|j| w.commit_op(r, a[j], outputs[j])).collect();
    w.block(commits).expect("commits");
    let reveals = (0..3).map(|j| w.reveal_op(r, a[j], outputs[j])).collect();
    w.block(reveals).expect("reveals");
    let user_before = w.state.account(USER).expect("user").balance;
    w.settle_all();
    let cheat = w.state.neuron(a[2]).expect("record");
    assert_eq!((cheat.stake, cheat.slashed), (4_500, 500));
    assert_eq!(w.state.neuron(a[0]).expect("record").rewards, 500);
    assert_eq!(
        w.state.account(USER).expect("user").balance,
        user_before + 1,
        "remainder"
    );
}

#[test]
fn no_shows_refund_the_user_and_are_slashed() {
    let mut w = World::new();
    w.register_all(&NEURONS[..3]);
    let model = w.deploy();
    let user_before = w.state.account(USER).expect("user").balance;
    let r = w.request(model, 700);
    let a = w.state.request(r).expect("request").assignees;
    let commit = w.commit_op(r, a[0], b"alone");
    w.block(vec![commit]).expect("one commit");
    // Nothing is due before the reveal window has passed.
    assert!(w.state.settlements_due(w.number + 1).is_empty());
    let reveal = w.reveal_op(r, a[0], b"alone");
    assert!(
        w.block(vec![reveal.clone()]).is_err(),
        "reveals wait for the commit window"
    );
    while w.number
        < w.state
            .request(r)
            .expect("r")
            .commit_deadline(w.state.poc_params())
    {
        w.block(vec![]).expect("empty block");
    }
    w.block(vec![reveal])
        .expect("reveal after the commit window");
    w.settle_all();
    assert_eq!(
        w.state.account(USER).expect("user").balance,
        user_before - 1
    );
    assert_eq!(
        w.state.neuron(a[0]).expect("record").slashed,
        0,
        "it revealed"
    );
    assert_eq!(w.state.neuron(a[1]).expect("record").slashed, 500);
    assert_eq!(w.state.neuron(a[2]).expect("record").slashed, 500);
}

#[test]
fn nobody_commits_after_a_reveal_or_the_window() {
    let mut w = World::new();
    w.register_all(&NEURONS[..3]);
    let model = w.deploy();
    let r = w.request(model, 30);
    let a = w.state.request(r).expect("request").assignees;
    let commits = (0..2).map(|j| w.commit_op(r, a[j], b"x")).collect();
    w.block(commits).expect("two commits");
    while w.number
        <= w.state
            .request(r)
            .expect("r")
            .commit_deadline(w.state.poc_params())
    {
        w.block(vec![]).expect("empty block");
    }
    let reveal = w.reveal_op(r, a[0], b"x");
    w.block(vec![reveal]).expect("a reveal");
    let late = w.commit_op(r, a[2], b"x");
    let err = w.block(vec![late]).expect_err("late commit");
    assert!(err.to_string().contains("commit window closed"), "{err}");
    // An outsider cannot commit, and a copied commitment cannot be opened by another seat.
    let outsider = w.commit_op(r, USER, b"x");
    assert!(w.block(vec![outsider]).is_err());
}

#[test]
fn unbond_moves_the_last_neuron_and_withdraw_waits_for_the_delay() {
    let mut w = World::new();
    w.register_all(&NEURONS);
    assert_eq!(w.state.active_neurons(), NEURONS.to_vec());
    let op = w.op(PocKind::Unbond, 11, 0, 0, [Fr::ZERO; 2], vec![]);
    w.block(vec![op]).expect("unbond");
    assert_eq!(w.state.active_neurons(), vec![10, 13, 12]);
    let unlock = w.state.neuron(11).expect("record").unlock_at;
    let early = w.op(PocKind::Withdraw, 11, 0, 0, [Fr::ZERO; 2], vec![]);
    assert!(w.block(vec![early]).is_err());
    while w.number + 1 < unlock {
        w.block(vec![]).expect("empty");
    }
    let balance = w.state.account(11).expect("a").balance;
    let op = w.op(PocKind::Withdraw, 11, 0, 0, [Fr::ZERO; 2], vec![]);
    w.block(vec![op]).expect("withdraw");
    assert_eq!(w.state.account(11).expect("a").balance, balance + 5_000 - 1);
    assert!(w.state.neuron(11).is_none());
}

#[test]
fn a_refused_op_leaves_the_block_and_state_untouched() {
    let mut w = World::new();
    w.register_all(&NEURONS[..3]);
    let root = w.state.root();
    let ok = w.op(
        PocKind::DeployModel,
        USER,
        0,
        5,
        hash_halves(&Hash32::sha256(b"m")),
        vec![],
    );
    let bad = w.op(PocKind::RequestInference, USER, 9, 5, [Fr::ZERO; 2], vec![]);
    let err = w.block(vec![ok, bad]).expect_err("unknown model");
    assert!(matches!(err, StfError::InBlock { index: 1, .. }), "{err}");
    assert_eq!(w.state.root(), root);
    assert_eq!(w.state.counters().models, 0);
}

#[test]
fn requests_need_three_neurons_and_a_matching_payload() {
    let mut w = World::new();
    w.register_all(&NEURONS[..2]);
    let model = w.deploy();
    let input = b"in".to_vec();
    let halves = hash_halves(&Hash32::sha256(&input));
    let op = w.op(PocKind::RequestInference, USER, model, 5, halves, input);
    assert!(w
        .block(vec![op])
        .expect_err("two neurons")
        .to_string()
        .contains("needs 3"));
    w.register_all(&NEURONS[2..3]);
    let op = w.op(
        PocKind::RequestInference,
        USER,
        model,
        5,
        halves,
        b"other".to_vec(),
    );
    assert!(w
        .block(vec![op])
        .expect_err("payload")
        .to_string()
        .contains("payload"));
}

#[test]
fn keys_beyond_their_region_do_not_alias_another_record() {
    // Depth 4: 256 keys a region; model 256 would be model 0's position.
    let mut w = World::new();
    w.register_all(&NEURONS[..3]);
    let model = w.deploy();
    assert_eq!(model, 0);
    let input = b"in".to_vec();
    let halves = hash_halves(&Hash32::sha256(&input));
    let op = w.op(PocKind::RequestInference, USER, 256, 5, halves, input);
    let err = w.block(vec![op]).expect_err("no model 256");
    assert!(
        err.to_string().contains("model 256 does not exist"),
        "{err}"
    );
}
