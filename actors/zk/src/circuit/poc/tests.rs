//! The op slot accepts exactly the state transition's ops: every kind of a real run
//! satisfies the circuit with the state transition's new root, and each rule-breaking
//! witness (its claimed root set to what the tampered witness computes) leaves it
//! unsatisfied.

mod soundness;
mod world;

use crate::circuit::{BlockCircuit, CircuitConfig};
use crate::field::Fr;
use crate::poc::PocKind;
use world::*;

fn check(w: &crate::stf::BlockWitness, max_ops: usize) -> BlockCircuit {
    let c = circuit(w, max_ops);
    assert!(
        satisfied(&c),
        "block {} with ops {:?}",
        w.block.number,
        w.ops.iter().map(|o| o.op.kind()).collect::<Vec<_>>()
    );
    assert_eq!(c.computed_new_root().expect("synthesis"), w.new_root);
    c
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
    let unlock = w.state.neuron(11).expect("record").unlock_at;
    while w.number + 1 < unlock {
        w.block(vec![]);
    }
    let op = w.op(PocKind::Withdraw, 11, 0, 0, [Fr::from(0u64); 2], vec![]);
    check(&w.block(vec![op]), 2);
}

#[test]
fn an_empty_block_satisfies_the_blank_circuit_with_op_slots() {
    let mut config = CircuitConfig::new(DEPTH, 1);
    config.max_ops = 2;
    assert!(satisfied(&BlockCircuit::blank(config).expect("shape")));
}
