//! A real Groth16 proof of a settlement verifies; the same proof claiming a different
//! settlement (the cheater paid instead of slashed) does not, and no witness for that
//! settlement satisfies the circuit.

use super::world::*;
use crate::circuit::CircuitConfig;
use crate::gnark;
use crate::groth16::testing::ark_verify;
use crate::groth16::Groth16Keys;
use crate::verifier::{Groth16Verifier, ProofVerifier};
use bitai_chain::poc::{NeuronRecord, ObjectValue, PocOp};
use bitai_chain::stf::{Account, StateParts};
use rand::SeedableRng;

#[test]
fn a_block_whose_proof_claims_a_different_settlement_does_not_verify() {
    let mut w = World::new();
    let r = w.requested(1_001);
    w.answer(r, [b"right", b"right", b"wrong"]);
    let cheater = w.state.request(r).expect("request").assignees[2];
    let part = PocOp::Settle {
        request: r,
        part: 2,
    };
    let witness = w.block(vec![part]);
    assert_eq!(w.state.neuron(cheater).expect("record").slashed, 500);

    // The state had the cheater been paid its share and not slashed.
    let ow = &witness.ops[0];
    let paid = Account {
        balance: ow.account.balance + 500,
        ..ow.account
    };
    let neuron = ow.objects[1].as_ref().expect("the seat's neuron");
    let ObjectValue::Neuron(before) = neuron.before else {
        panic!("a neuron record");
    };
    let rewarded = NeuronRecord {
        rewards: before.rewards + 500,
        ..before
    };
    let other = StateParts {
        accounts: ow.account_proof.root(paid.leaf()),
        objects: neuron.proof.root(rewarded.leaf()),
        ..witness.new_parts
    }
    .root();
    assert_ne!(other, witness.new_root);

    let c = circuit(&witness, 1);
    let mut config = CircuitConfig::new(DEPTH, 1);
    config.max_ops = 1;
    let keys = Groth16Keys::devnet(
        crate::circuit::BlockCircuit::blank(config).expect("shape"),
        b"op slot test",
    )
    .expect("setup");
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let (proof, public) = keys.prove(c.clone(), &mut rng).expect("prove");
    assert_eq!(public, c.public.to_field_elements());
    let vk = gnark::write_vk(keys.vk());
    let bytes = gnark::write_proof(&proof);
    Groth16Verifier
        .verify(&vk, &bytes, &public)
        .expect("the settlement's proof verifies");
    assert!(ark_verify(keys.vk(), &proof, &public));

    let mut claimed = public.clone();
    claimed[4] = other;
    assert!(Groth16Verifier.verify(&vk, &bytes, &claimed).is_err());
    assert!(!ark_verify(keys.vk(), &proof, &claimed));

    // No witness reaches that root: the honest one computes the real root, and the
    // witnesses a prover would try (the cheater's record gone, or its result agreeing)
    // break a rule.
    let mut t = c.clone();
    t.public.new_root = other;
    assert!(!satisfied(&t));
    let mut t = c.clone();
    t.ops[0].neuron_exists = false;
    assert!(refused(t));
    let mut t = c;
    t.ops[0].request.results[2] = t.ops[0].request.results[0];
    t.ops[0].share = 333;
    t.ops[0].remainder = 2;
    assert!(refused(t));
}
