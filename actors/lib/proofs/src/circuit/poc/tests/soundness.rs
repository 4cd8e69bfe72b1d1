//! One tampered witness per rule: each leaves the circuit unsatisfied even when the claimed
//! new root is the one the tampered witness computes. Where a tamper re-signs an op, a
//! control re-signs a valid variant and is satisfied, so the refusal is the rule's.

use super::world::*;
use crate::circuit::poc::OpValues;
use crate::circuit::BlockCircuit;
use ark_ff::PrimeField;
use bitai_chain::field::Fr;
use bitai_chain::poc::{PocKind, PocTx};
use bitai_chain::poseidon::poseidon;
use bitai_chain::smt::{children, digit};

/// Applies `edit` to op slot `i` and signs the result again with the account's key.
fn resign(c: &BlockCircuit, i: usize, edit: impl FnOnce(&mut OpValues)) -> BlockCircuit {
    let mut c = c.clone();
    let v = &mut c.ops[i];
    edit(v);
    let tx = PocTx {
        kind: v.kind.expect("a signed op"),
        account: v.account,
        target: v.target,
        amount: v.amount,
        nonce: v.nonce,
        fee: v.fee,
        data: v.data,
    };
    let signature = tx.sign(&chain(), &key(v.account as u8), vec![]).signature;
    v.signature_r8 = signature.r8;
    v.signature_s = signature.s.into_bigint();
    c
}

/// A settled request whose seats answered `right, right, wrong`, escrow 1,001: the settle
/// block's circuit (op `p` is part `p`).
fn cheater_settled() -> BlockCircuit {
    let mut w = World::new();
    let r = w.requested(1_001);
    w.answer(r, [b"right", b"right", b"wrong"]);
    let due = w.state.settlements_due(w.number + 1);
    circuit(&w.block(due), 4)
}

#[test]
fn a_wrong_share_is_refused() {
    let c = cheater_settled();
    assert!(satisfied(&c));
    assert_eq!((c.ops[0].share, c.ops[0].remainder), (500, 1));
    let mut t = c.clone();
    t.ops[0].share += 1;
    assert!(refused(t));
    let mut t = c;
    t.ops[0].share -= 1;
    t.ops[0].remainder += 2;
    assert!(
        refused(t),
        "499 * 2 + 3 = 1,001, but the remainder must stay below 2"
    );
}

#[test]
fn an_unslashed_cheater_is_refused() {
    let c = cheater_settled();
    let mut t = c.clone();
    t.ops[2].neuron_exists = false;
    assert!(refused(t), "claiming the cheater's record is gone");
    let mut t = c;
    t.ops[2].request.results[2] = t.ops[2].request.results[0];
    assert!(refused(t), "claiming the cheater agreed");
}

#[test]
fn a_refund_too_large_is_refused() {
    let c = cheater_settled();
    let mut t = c.clone();
    t.ops[3].remainder += 2;
    assert!(refused(t));
    let mut t = c;
    t.ops[3].share -= 1;
    t.ops[3].remainder += 2;
    assert!(refused(t));
}

#[test]
fn a_settlement_before_it_is_due_is_refused() {
    let mut w = World::new();
    let r = w.requested(700);
    let a = w.state.request(r).expect("request").assignees;
    let op = w.commit_op(r, a[0], b"alone");
    w.block(vec![op]);
    let deadline = w
        .state
        .request(r)
        .expect("r")
        .commit_deadline(w.state.poc_params());
    while w.number < deadline {
        w.block(vec![]);
    }
    let op = w.reveal_op(r, a[0], b"alone");
    w.block(vec![op]);
    let due = w.state.settlements_due(w.number + 1);
    let c = circuit(&w.block(due), 4);
    assert!(satisfied(&c));
    let mut t = c;
    t.public.block_number = deadline;
    assert!(refused(t));
}

#[test]
fn a_commit_after_the_window_is_refused() {
    let mut w = World::new();
    let r = w.requested(30);
    let a = w.state.request(r).expect("request").assignees;
    let op = w.commit_op(r, a[0], b"x");
    let c = circuit(&w.block(vec![op]), 1);
    assert!(satisfied(&c));
    let deadline = w
        .state
        .request(r)
        .expect("r")
        .commit_deadline(w.state.poc_params());
    let mut t = c;
    t.public.block_number = deadline + 1;
    assert!(refused(t));
}

#[test]
fn a_reveal_that_does_not_open_the_commitment_is_refused() {
    let mut w = World::new();
    let r = w.requested(30);
    let a = w.state.request(r).expect("request").assignees;
    let commits = (0..3).map(|j| w.commit_op(r, a[j], b"x")).collect();
    w.block(commits);
    let op = w.reveal_op(r, a[0], b"x");
    let c = circuit(&w.block(vec![op]), 1);
    assert!(satisfied(&resign(&c, 0, |_| {})), "control");
    assert!(refused(resign(&c, 0, |v| v.data[1] += Fr::from(1u64))));
    assert!(refused(resign(&c, 0, |v| v.data[0] += Fr::from(1u64))));
}

/// The request block's circuit with the draw redone for `n` active neurons and first seat
/// `start` (the seats' list reads are the original ones, reordered: reads do not change the
/// list root, so each path stays valid).
fn redraw(c: &BlockCircuit, n: u32, start: Option<u64>) -> BlockCircuit {
    let mut c = c.clone();
    c.prev_parts.counters.neurons = n;
    c.public.prev_root = c.prev_parts.root();
    let seed = poseidon(&[c.public.prev_root, Fr::from(c.prev_parts.counters.requests)]);
    let low = seed.into_bigint().0[0];
    let v = &mut c.ops[0];
    v.draw_quotient = low / u64::from(n);
    v.draw_start = start.unwrap_or(low % u64::from(n));
    let reads = v.list.clone();
    for j in 0..3 {
        let seat = (v.draw_start + j as u64) % u64::from(n);
        let read = reads.iter().find(|l| l.slot == seat).expect("a read slot");
        v.list[j] = read.clone();
        v.request.assignees[j] = (read.before - 1) as u32;
    }
    c
}

fn request_circuit() -> BlockCircuit {
    let mut w = World::new();
    w.register(&NEURONS[..3]);
    w.deploy();
    let op = w.request_op(0, 50);
    circuit(&w.block(vec![op]), 1)
}

#[test]
fn a_request_with_fewer_than_three_neurons_is_refused() {
    let c = request_circuit();
    assert!(satisfied(&c));
    assert!(
        satisfied(&redraw(&c, 3, None)),
        "control: the same draw again"
    );
    assert!(refused(redraw(&c, 2, None)));
}

#[test]
fn a_draw_the_seed_does_not_give_is_refused() {
    let c = request_circuit();
    let start = c.ops[0].draw_start;
    for other in [(start + 1) % 3, (start + 2) % 3] {
        let mut t = redraw(&c, 3, Some(other));
        t.ops[0].draw_quotient = c.ops[0].draw_quotient;
        assert!(refused(t), "start {other} instead of {start}");
    }
}

fn unbonded() -> (World, BlockCircuit) {
    let mut w = World::new();
    w.register(&NEURONS);
    let op = w.op(PocKind::Unbond, 11, 0, 0, [Fr::from(0u64); 2], vec![]);
    let c = circuit(&w.block(vec![op]), 1);
    (w, c)
}

#[test]
fn a_withdrawal_before_the_unlock_is_refused() {
    let (mut w, _) = unbonded();
    let unlock = w.state.neuron(11).expect("record").unlock_at;
    while w.number + 1 < unlock {
        w.block(vec![]);
    }
    let op = w.op(PocKind::Withdraw, 11, 0, 0, [Fr::from(0u64); 2], vec![]);
    let c = circuit(&w.block(vec![op]), 1);
    assert!(satisfied(&c));
    let mut t = c;
    t.public.block_number = unlock - 1;
    assert!(refused(t));
}

#[test]
fn an_unbond_that_moves_the_wrong_neuron_is_refused() {
    let (_, c) = unbonded();
    assert!(satisfied(&c));
    assert_eq!((c.ops[0].list[0].after, c.ops[0].list[1].before), (14, 14));
    let mut t = c.clone();
    t.ops[0].list[0].after = 13;
    assert!(refused(t), "neuron 12 moved, 13 dropped");
    let mut t = c;
    t.ops[0].list[0].after = 13;
    t.ops[0].list[1].before = 13;
    assert!(refused(t), "claiming 12 was last");
}

/// After a change to a new request's record, the model read's path (taken after the
/// request was written) gets the request region's new root as its top-level sibling.
fn refresh_model_path(v: &mut OpValues) {
    let request = &v.objects[0];
    let mut node = v.request.leaf();
    for level in 0..DEPTH {
        let slot = digit(request.index, level);
        node = poseidon(&children(node, slot, &request.siblings[level]));
    }
    // The model region (1) sees the request region (2) as its second sibling.
    v.objects[1].siblings[DEPTH][1] = node;
}

#[test]
fn overdrafts_of_stake_and_escrow_are_refused() {
    let mut w = World::new();
    let c = circuit(&w.register(&NEURONS[..1]), 1);
    assert!(accepted(resign(&c, 0, |v| v.amount = 99_999)), "control");
    assert!(refused(resign(&c, 0, |v| v.amount = 100_000)));
    let c = request_circuit();
    let escrow = |amount: u64| {
        let mut t = resign(&c, 0, |v| {
            v.amount = amount;
            v.request.escrow = amount;
        });
        refresh_model_path(&mut t.ops[0]);
        t
    };
    assert!(accepted(escrow(99_998)), "control");
    assert!(refused(escrow(99_999)));
}

#[test]
fn a_bad_signature_is_refused() {
    let c = request_circuit();
    let mut t = c.clone();
    let v = &t.ops[0];
    let tx = PocTx {
        kind: PocKind::RequestInference,
        account: v.account,
        target: v.target,
        amount: v.amount,
        nonce: v.nonce,
        fee: v.fee,
        data: v.data,
    };
    let forged = tx.sign(&chain(), &key(99), vec![]).signature;
    t.ops[0].signature_r8 = forged.r8;
    t.ops[0].signature_s = forged.s.into_bigint();
    assert!(refused(t));
}
