//! The chain registry and the verifier contract with real Groth16 proofs: valid proofs
//! advance the verified root; a wrong proof, a skipped block, a wrong previous root, a proof
//! for another chain are rejected with their reason and change nothing; finality follows
//! Bitcoin confirmations.

use super::harness::{chain_a, config, state_of, Harness, START};
use bitai_protocol::{BitaiTx, ChainId, CreateChain, Hash32, ProofSystem, SubmitProof};

fn create(c: &CreateChain) -> BitaiTx {
    BitaiTx::CreateChain(c.clone())
}

fn submit(p: &SubmitProof) -> BitaiTx {
    BitaiTx::SubmitProof(p.clone())
}

fn labels(h: &Harness) -> Vec<&'static str> {
    h.engine.view().rejected.iter().map(|r| r.label).collect()
}

#[test]
fn three_proofs_advance_the_root_and_bad_ones_change_nothing() {
    let a = chain_a();
    let mut h = Harness::new(config(6));
    h.connect(&[create(&a.create)]);
    let view = h.engine.view();
    let chain = view.chain(&a.id).expect("registered");
    assert_eq!(chain.verified_block, 0);
    assert_eq!(chain.verified_root, a.create.genesis_state_root);
    assert_eq!(chain.created_height, START);

    // Block 1 and 2 in one Bitcoin block, in order; block 3 in the next.
    h.connect(&[submit(&a.proofs[0]), submit(&a.proofs[1])]);
    let b3 = h.connect(&[submit(&a.proofs[2])]);
    let view = h.engine.view();
    let chain = view.chain(&a.id).expect("registered");
    assert_eq!(chain.verified_block, 3);
    assert_eq!(chain.verified_root, a.proofs[2].new_state_root);
    assert!(view.rejected.is_empty(), "{:?}", view.rejected);
    let vb = h
        .engine
        .verified_block(&a.id, 3)
        .expect("lookup")
        .expect("verified");
    assert_eq!(vb.bitcoin_height, b3.height);
    assert_eq!(vb.bitcoin_txid, b3.bitai_txs[0].txid);
    assert_eq!(vb.prev_root, a.proofs[1].new_state_root);
    assert_eq!(vb.da_commitment, a.proofs[2].da_commitment);
    let before = state_of(&h);

    let next = &a.proofs[3];
    let mut wrong_proof = next.clone();
    wrong_proof.proof[40] ^= 1;
    let mut other_bytes_proof = next.clone();
    other_bytes_proof.proof = a.proofs[2].proof.clone();
    let mut skipped = next.clone();
    skipped.block_number = 5;
    let mut wrong_prev = next.clone();
    wrong_prev.prev_state_root = a.proofs[0].new_state_root;
    let mut unknown = next.clone();
    unknown.chain_id = ChainId(Hash32::sha256(b"no such chain"));
    let mut replayed = a.proofs[2].clone();
    replayed.proof = a.proofs[2].proof.clone();
    let mut too_large = next.clone();
    too_large.proof.resize(2048, 0);
    h.connect(&[
        submit(&wrong_proof),
        submit(&other_bytes_proof),
        submit(&skipped),
        submit(&wrong_prev),
        submit(&unknown),
        submit(&replayed),
        submit(&too_large),
    ]);
    assert_eq!(
        state_of(&h).chains,
        before.chains,
        "rejections change nothing"
    );
    assert_eq!(
        labels(&h),
        vec![
            "proof_invalid",
            "proof_invalid",
            "wrong_block_number",
            "wrong_prev_root",
            "unknown_chain",
            "wrong_block_number",
            "proof_too_large",
        ]
    );
    let rejected = |reason: &str| {
        h.metrics
            .rejected
            .with_label_values(&["submit_proof", reason])
            .get()
    };
    assert_eq!(rejected("proof_invalid"), 2);
    assert_eq!(rejected("wrong_block_number"), 2);
    assert_eq!(
        h.metrics
            .accepted
            .with_label_values(&["submit_proof"])
            .get(),
        3
    );
    let r = &h.engine.view().rejected[3];
    assert_eq!(r.kind, "submit_proof");
    assert_eq!(r.chain, Some(a.id));
    assert!(r.reason.contains("previous root"), "{}", r.reason);

    // A proof of chain A's block 1 relabelled for chain B (same key, same genesis): the
    // sequence fits, the proof binds chain A's id, so it does not verify.
    let mut b_create = a.create.clone();
    b_create.salt = 99;
    let b_id = b_create.chain_id();
    let mut for_b = a.proofs[0].clone();
    for_b.chain_id = b_id;
    h.connect(&[create(&b_create), submit(&for_b)]);
    let view = h.engine.view();
    assert_eq!(view.chain(&b_id).expect("B registered").verified_block, 0);
    assert_eq!(
        view.rejected.back().expect("rejected").label,
        "proof_invalid"
    );

    // The next valid proof still lands.
    h.connect(&[submit(next)]);
    assert_eq!(h.engine.view().chain(&a.id).expect("A").verified_block, 4);
}

#[test]
fn the_registry_refuses_duplicates_bad_keys_simulation_chains_and_overflow() {
    let a = chain_a();
    let mut cfg = config(6);
    cfg.max_chains = 2;
    let mut h = Harness::new(cfg);
    let mut bad_key = a.create.clone();
    bad_key.verifying_key.truncate(100);
    let mut sim = a.create.clone();
    sim.proof_system = ProofSystem::SimulationOnly;
    let mut second = a.create.clone();
    second.salt = 2;
    let mut third = a.create.clone();
    third.salt = 3;
    h.connect(&[
        create(&a.create),
        create(&a.create),
        create(&bad_key),
        create(&sim),
        create(&second),
        create(&third),
    ]);
    let view = h.engine.view();
    assert_eq!(view.chains.len(), 2);
    assert!(view.chain(&second.chain_id()).is_some());
    assert_eq!(
        labels(&h),
        vec![
            "duplicate_chain",
            "bad_key",
            "simulation_only",
            "too_many_chains"
        ]
    );
    assert_eq!(view.rejected[0].chain, Some(a.id));
}

#[test]
fn an_l2_block_is_final_once_its_bitcoin_block_has_the_depth_in_confirmations() {
    let a = chain_a();
    let mut h = Harness::new(config(3));
    h.connect(&[create(&a.create)]);
    h.connect(&[submit(&a.proofs[0])]); // START + 1
    h.connect(&[submit(&a.proofs[1])]); // START + 2: block 1 has 2 confirmations
    let chain = h.engine.view().chain(&a.id).cloned().expect("A");
    assert_eq!((chain.verified_block, chain.final_block), (2, 0));
    assert_eq!(chain.final_root, a.create.genesis_state_root);
    h.connect(&[]); // START + 3: block 1 has 3 confirmations
    let chain = h.engine.view().chain(&a.id).cloned().expect("A");
    assert_eq!(
        (chain.final_block, chain.final_root),
        (1, a.proofs[0].new_state_root)
    );
    h.connect(&[]);
    let chain = h.engine.view().chain(&a.id).cloned().expect("A");
    assert_eq!(
        (chain.final_block, chain.final_root),
        (2, a.proofs[1].new_state_root)
    );
    // Undoing the block that made block 2 final makes it unfinal again.
    h.disconnect(1);
    let chain = h.engine.view().chain(&a.id).cloned().expect("A");
    assert_eq!(chain.final_block, 1);
}
