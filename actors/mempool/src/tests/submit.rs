//! Submissions: valid proofs chain in order through the projection before any lands; each
//! refusal carries its reason; duplicates are answered with the same id; a wrong proof from
//! the prover pool never reaches the inscriber.

use super::harness::{chain_a, config, memory, status, submit, until, World};
use bitai_bitcoin::BitcoinPort;
use bitai_contract::RuleError;
use bitai_messages::mempool::{MempoolMsg, MempoolReject};
use bitai_messages::prover::ProofEmitted;
use bitai_protocol::{encode_tx, BitaiTx, ChainId, Hash32, ProofSystem};
use bitcoin::FeeRate;

fn proof(i: usize) -> BitaiTx {
    BitaiTx::SubmitProof(chain_a().proofs[i].clone())
}

#[tokio::test]
async fn valid_proofs_chain_in_order_before_any_lands() {
    let a = chain_a();
    let mut w = World::new().await;
    let m = w.mempool(memory(), config()).await;
    // The chain's creation is accepted; its proofs may follow before it lands.
    let create = BitaiTx::CreateChain(a.create.clone());
    let create_id = submit(&m, create.clone()).await.expect("create accepted");
    assert_eq!(create_id, a.id.0, "a chain's id is its CreateChain's id");
    let mut ids = vec![create_id];
    for i in 0..3 {
        let id = submit(&m, proof(i)).await.expect("proof accepted");
        assert_eq!(id, Hash32::sha256(&encode_tx(&proof(i)).expect("encodes")));
        ids.push(id);
    }
    // A duplicate gets the same id and is not queued twice.
    assert_eq!(submit(&m, proof(1)).await, Ok(ids[2]));
    let s = status(&m).await;
    assert_eq!(s.pending.len(), 4);
    assert_eq!(s.accepted_through.get(&a.id), Some(&3));
    assert_eq!(
        s.pending.iter().map(|p| p.block).collect::<Vec<_>>(),
        vec![None, Some(1), Some(2), Some(3)]
    );
    assert!(s.pending.iter().all(|p| p.handed));
    assert_eq!(w.inscriptions.ids(), ids, "handed in acceptance order");

    // Creation and blocks 1 and 2 land: those entries go, block 3 stays.
    w.confirm(&[create, proof(0), proof(1)]);
    let s = until(&m, |s| s.pending.len() == 1).await;
    assert_eq!(s.pending[0].block, Some(3));
    // Block 4 chains on the projected root.
    submit(&m, proof(3)).await.expect("block 4 accepted");
    w.confirm(&[proof(2), proof(3)]);
    until(&m, |s| s.pending.is_empty()).await;
    assert_eq!(w.inscriptions.ids().len(), 5);
    // Once landed, the chain's creation is a duplicate chain, a landed proof a stale number.
    assert_eq!(
        submit(&m, BitaiTx::CreateChain(a.create.clone())).await,
        Err(MempoolReject::Invalid(RuleError::DuplicateChain(a.id)))
    );
    assert!(matches!(
        submit(&m, proof(3)).await,
        Err(MempoolReject::Invalid(RuleError::WrongBlockNumber {
            expected: 5,
            got: 4
        }))
    ));
}

#[tokio::test]
async fn every_refusal_has_its_reason_and_nothing_invalid_reaches_the_inscriber() {
    let a = chain_a();
    let mut w = World::new().await;
    w.confirm(&[BitaiTx::CreateChain(a.create.clone())]);
    let mut cfg = config();
    cfg.max_pending = 2;
    let m = w.mempool(memory(), cfg).await;
    let next = a.proofs[0].clone();

    let mut unknown = next.clone();
    unknown.chain_id = ChainId(Hash32::sha256(b"nobody"));
    let mut skipped = a.proofs[1].clone();
    skipped.block_number = 2;
    let mut wrong_prev = next.clone();
    wrong_prev.prev_state_root = Hash32::sha256(b"elsewhere");
    let mut wrong_proof = next.clone();
    wrong_proof.proof[5] ^= 0x10;
    let mut too_large = next.clone();
    too_large.proof.resize(4096, 0);
    let mut bad_key = a.create.clone();
    bad_key.salt = 77;
    bad_key.verifying_key.truncate(64);
    let mut sim = a.create.clone();
    sim.proof_system = ProofSystem::SimulationOnly;
    let mut over_limit = a.create.clone();
    over_limit.name = "x".repeat(100);

    let cases: Vec<(BitaiTx, &str)> = vec![
        (BitaiTx::SubmitProof(unknown), "unknown_chain"),
        (BitaiTx::SubmitProof(skipped), "wrong_block_number"),
        (BitaiTx::SubmitProof(wrong_prev), "wrong_prev_root"),
        (BitaiTx::SubmitProof(wrong_proof.clone()), "proof_invalid"),
        (BitaiTx::SubmitProof(too_large), "proof_too_large"),
        (BitaiTx::CreateChain(a.create.clone()), "duplicate_chain"),
        (BitaiTx::CreateChain(bad_key), "bad_key"),
        (BitaiTx::CreateChain(sim), "simulation_only"),
        (BitaiTx::CreateChain(over_limit), "malformed"),
    ];
    for (tx, label) in cases {
        let err = submit(&m, tx).await.expect_err(label);
        assert_eq!(err.label(), label, "{err}");
    }

    // The fee rate: above the limit, nothing new is taken.
    w.sim
        .set_fee_spike(Some(FeeRate::from_sat_per_vb(120).expect("rate")));
    assert_eq!(
        submit(&m, proof(0)).await,
        Err(MempoolReject::FeeRateTooHigh {
            fee_rate_sat_per_vb: w
                .sim
                .estimate_fee_rate(6)
                .expect("estimate")
                .to_sat_per_vb_ceil(),
            max: 50
        })
    );
    w.sim.set_fee_spike(None);

    // Full: two entries fit.
    submit(&m, proof(0)).await.expect("1");
    submit(&m, proof(1)).await.expect("2");
    assert_eq!(
        submit(&m, proof(2)).await,
        Err(MempoolReject::Full { max: 2 })
    );

    let s = status(&m).await;
    assert_eq!(s.rejected.len(), 11);
    let inscribed = w.inscriptions.got.lock().expect("lock").clone();
    assert_eq!(
        inscribed.len(),
        2,
        "only the two valid entries were inscribed"
    );
    for (_, payload) in inscribed {
        let tx = bitai_protocol::decode_tx(&payload).expect("decodes");
        assert!(tx == proof(0) || tx == proof(1));
    }
}

#[tokio::test]
async fn a_wrong_proof_from_a_prover_is_refused_and_never_inscribed() {
    let a = chain_a();
    let mut w = World::new().await;
    w.confirm(&[BitaiTx::CreateChain(a.create.clone())]);
    let m = w.mempool(memory(), config()).await;
    let mut wrong = a.proofs[0].clone();
    wrong.proof[70] ^= 1;
    m.send_message(MempoolMsg::from(ProofEmitted(wrong)))
        .expect("send");
    let s = status(&m).await;
    assert!(s.pending.is_empty());
    assert_eq!(s.deferred, 0, "an invalid proof is not retried");
    let last = s.rejected.back().expect("rejected");
    assert_eq!(
        (last.label, last.block, last.evicted),
        ("proof_invalid", Some(1), false)
    );
    assert!(w.inscriptions.ids().is_empty());
    // The right proof of the same block goes through.
    m.send_message(MempoolMsg::from(ProofEmitted(a.proofs[0].clone())))
        .expect("send");
    let s = until(&m, |s| s.pending.len() == 1 && s.pending[0].handed).await;
    assert_eq!(w.inscriptions.ids(), vec![s.pending[0].id]);
}

#[tokio::test]
async fn a_simulation_chain_is_accepted_only_where_allowed() {
    let s = bitai_statemachine::testing::simulation_chain(3, 40);
    let w = World::new().await;
    let m = w.mempool(memory(), config()).await;
    assert_eq!(
        submit(&m, BitaiTx::CreateChain(s.create.clone())).await,
        Err(MempoolReject::Invalid(RuleError::SimulationOnlyNotAllowed))
    );
    let mut cfg = config();
    cfg.allow_simulation_only = true;
    let m = w.mempool(memory(), cfg).await;
    submit(&m, BitaiTx::CreateChain(s.create.clone()))
        .await
        .expect("allowed");
    for p in &s.proofs {
        submit(&m, BitaiTx::SubmitProof(p.clone()))
            .await
            .expect("simulation proof");
    }
    let mut forged = s.proofs[0].clone();
    forged.block_number = 4;
    forged.prev_state_root = s.proofs[2].new_state_root;
    assert!(matches!(
        submit(&m, BitaiTx::SubmitProof(forged)).await,
        Err(MempoolReject::Invalid(RuleError::ProofInvalid(_)))
    ));
    assert_eq!(status(&m).await.accepted_through.get(&s.id), Some(&3));
}
