//! The op slot accepts exactly the state transition's ops: every kind of a real run
//! satisfies the circuit with the state transition's new root, and each rule-breaking
//! witness (its claimed root set to what the tampered witness computes) leaves it
//! unsatisfied.

mod proof;
mod soundness;
mod world;

use crate::circuit::{BlockCircuit, CircuitConfig};
use bitai_chain::field::Fr;
use bitai_chain::poc::PocKind;
use world::*;

fn check(w: &bitai_chain::stf::BlockWitness, max_ops: usize) -> BlockCircuit {
    use ark_r1cs_std::eq::EqGadget;
    use ark_r1cs_std::R1CSVar;
    use ark_relations::r1cs::ConstraintSystem;
    let c = circuit(w, max_ops);
    // One synthesis: the root the slots compute, the constraint system with the last
    // constraint (computed root = public new root) added, and its size.
    let cs = ConstraintSystem::<Fr>::new_ref();
    let (computed, claimed) = c.synthesize(cs.clone()).expect("synthesis");
    assert_eq!(
        computed.value().expect("assigned"),
        w.new_root,
        "the STF's root"
    );
    computed.enforce_equal(&claimed).expect("synthesis");
    let kinds: Vec<_> = w.ops.iter().map(|o| o.op.kind()).collect();
    assert!(
        cs.is_satisfied().expect("assigned"),
        "block {} with ops {kinds:?}",
        w.block.number
    );
    assert_eq!(
        cs.num_constraints(),
        blank_constraints(max_ops),
        "the shape does not depend on the ops"
    );
    c
}

/// The constraint count of the blank circuit with `max_ops` op slots (computed once each).
fn blank_constraints(max_ops: usize) -> usize {
    use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystem};
    use std::sync::Mutex;
    static COUNTS: Mutex<std::collections::BTreeMap<usize, usize>> =
        Mutex::new(std::collections::BTreeMap::new());
    let mut counts = COUNTS.lock().expect("not poisoned");
    *counts.entry(max_ops).or_insert_with(|| {
        let mut config = CircuitConfig::new(DEPTH, 1);
        config.max_ops = max_ops;
        let cs = ConstraintSystem::<Fr>::new_ref();
        BlockCircuit::blank(config)
            .expect("shape")
            .generate_constraints(cs.clone())
            .expect("synthesis");
        cs.num_constraints()
    })
}

#[test]
fn a_whole_request_life_satisfies_the_circuit_with_the_stf_root() {
    let mut w = World::new();
    check(&w.register(&NEURONS[..3]), 3);
    check(&w.deploy(), 2);
    let op = w.request_op(0, 1_001);
    check(&w.block(vec![op]), 2);
    let (commits, reveals) = w.answer(0, [b"right", b"right", b"wrong"]);
    check(&commits, 3);
    check(&reveals, 4);
    let due = w.state.settlements_due(w.number + 1);
    assert_eq!(due.len(), 4);
    let settle = w.block(due);
    check(&settle, 4);
    assert!(w.state.request(0).expect("request").fully_settled());
}

#[test]
fn unbond_and_withdraw_satisfy_the_circuit() {
    let mut w = World::new();
    check(&w.register(&NEURONS), 4);
    let op = w.op(PocKind::Unbond, 11, 0, 0, [Fr::from(0u64); 2], vec![]);
    check(&w.block(vec![op]), 1);
    // The last neuron of the list leaves: it "moves" onto its own slot.
    assert_eq!(w.state.active_neurons(), vec![10, 13, 12]);
    let op = w.op(PocKind::Unbond, 12, 0, 0, [Fr::from(0u64); 2], vec![]);
    check(&w.block(vec![op]), 1);
    assert_eq!(w.state.active_neurons(), vec![10, 13]);
    let unlock = w.state.neuron(11).expect("record").unlock_at;
    while w.number + 1 < unlock {
        w.block(vec![]);
    }
    let op = w.op(PocKind::Withdraw, 11, 0, 0, [Fr::from(0u64); 2], vec![]);
    check(&w.block(vec![op]), 2);
}

#[test]
fn draws_that_wrap_around_the_list_satisfy_the_circuit() {
    let mut w = World::new();
    check(&w.register(&NEURONS), 4);
    check(&w.deploy(), 1);
    let mut starts = Vec::new();
    for _ in 0..8 {
        let op = w.request_op(0, 10);
        let c = check(&w.block(vec![op]), 1);
        starts.push(c.ops[0].draw_start);
    }
    assert!(
        starts.iter().any(|s| *s >= 2),
        "some draw wraps: {starts:?}"
    );
}

#[test]
fn a_seat_whose_neuron_withdrew_is_paid_without_a_record() {
    let mut w = World::new();
    let r = w.requested(90);
    w.answer(r, [b"same", b"same", b"same"]);
    let gone = w.state.request(r).expect("request").assignees[1];
    let op = w.op(PocKind::Unbond, gone, 0, 0, [Fr::from(0u64); 2], vec![]);
    w.block(vec![op]);
    let unlock = w.state.neuron(gone).expect("record").unlock_at;
    while w.number + 1 < unlock {
        w.block(vec![]);
    }
    let op = w.op(PocKind::Withdraw, gone, 0, 0, [Fr::from(0u64); 2], vec![]);
    w.block(vec![op]);
    assert!(w.state.neuron(gone).is_none());
    let balance = w.state.account(gone).expect("account").balance;
    let due = w.state.settlements_due(w.number + 1);
    let c = check(&w.block(due), 4);
    assert!(!c.ops[1].neuron_exists);
    assert_eq!(
        w.state.account(gone).expect("account").balance,
        balance + 30
    );
}

#[test]
fn an_empty_block_satisfies_the_blank_circuit_with_op_slots() {
    let mut config = CircuitConfig::new(DEPTH, 1);
    config.max_ops = 2;
    assert!(satisfied(&BlockCircuit::blank(config).expect("shape")));
}

#[test]
fn every_shape_and_parameter_set_has_its_own_key_identity() {
    // Cached keys are named by the R1CS digest (and seed); the digest covers every
    // coefficient, so `max_ops` and each Proof-of-Compute parameter change it.
    let digest = |config: CircuitConfig| {
        let blank = BlockCircuit::blank(config).expect("shape");
        crate::groth16::r1cs::R1cs::from_circuit(blank)
            .expect("synthesis")
            .digest()
    };
    let mut base = CircuitConfig::new(1, 1);
    base.max_ops = 1;
    let mut variants = vec![base, CircuitConfig::new(1, 1)];
    for i in 0..6 {
        let mut c = base;
        match i {
            0 => c.max_ops = 2,
            1 => c.poc.commit_window_blocks += 1,
            2 => c.poc.reveal_window_blocks += 1,
            3 => c.poc.min_stake += 1,
            4 => c.poc.slash_amount += 1,
            _ => c.poc.unbond_delay_blocks += 1,
        }
        variants.push(c);
    }
    let digests: std::collections::BTreeSet<[u8; 32]> =
        variants.iter().map(|c| digest(*c)).collect();
    assert_eq!(digests.len(), variants.len());
}

/// Constraints per op slot at the production depth (2^32 accounts). Every kind costs the
/// same (the shape never depends on the op). Run with
/// `cargo test -p bitai-zk --release op_slot_constraints -- --ignored --nocapture`.
#[test]
#[ignore = "synthesises production-depth circuits; run by hand for the benchmark notes"]
fn op_slot_constraints_at_2_pow_32_accounts() {
    use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystem};
    let count = |max_ops: usize| {
        let mut config = CircuitConfig::production(1);
        config.max_ops = max_ops;
        let cs = ConstraintSystem::<Fr>::new_ref();
        BlockCircuit::blank(config)
            .expect("shape")
            .generate_constraints(cs.clone())
            .expect("synthesis");
        assert!(cs.is_satisfied().expect("assigned"));
        cs.num_constraints()
    };
    let (none, one, two) = (count(0), count(1), count(2));
    let per_slot = two - one;
    println!(
        "constraints: 1 transfer slot {none}; + 1 op slot {one}; + 2 op slots {two}; \
         per op slot {per_slot}; block-level overhead of op slots {}",
        one - none - per_slot
    );
    assert!(per_slot < 60_000, "per op slot: {per_slot}");
}
