//! The hand-off to the prover pool: a refusing pool is retried on the next tick, and
//! nothing counts as handed before the pool's Ok.

use super::harness::*;
use crate::SequencerMsg;
use bitai_storage::MemoryStore;
use std::sync::Arc;

#[tokio::test]
async fn a_full_pool_is_retried_on_the_next_tick() {
    let (pool, mut seen) = recording_pool(2).await;
    let world = World::new(spec(), Arc::new(MemoryStore::new()), pool);
    let seq = world.start(config()).await;
    for nonce in 0..MAX_TXS as u64 {
        submit(&seq, transfer(&world.spec, 0, 1, 5, nonce))
            .await
            .expect("accepted");
    }
    // The first attempt is refused: nothing handed.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let h = head(&seq).await;
    assert_eq!((h.number, h.handed_through), (1, 0));
    assert!(!block(&seq, 1).await.expect("block 1").handed_to_prover);
    seq.cast(SequencerMsg::Tick).expect("alive");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(head(&seq).await.handed_through, 0, "refused again");
    seq.cast(SequencerMsg::Tick).expect("alive");
    let h = wait_handed(&seq).await;
    assert_eq!(h.handed_through, 1);
    assert_eq!(seen.recv().await, Some(1));
    assert!(seen.try_recv().is_err(), "handed once");
    stop(seq).await;
}

/// The mempool's stand-in: forwards what the pool emits to the test.
struct Collector;
impl ractor::Actor for Collector {
    type Msg = bitai_prover::ProofEmitted;
    type State = tokio::sync::mpsc::UnboundedSender<bitai_prover::ProofEmitted>;
    type Arguments = tokio::sync::mpsc::UnboundedSender<bitai_prover::ProofEmitted>;
    async fn pre_start(
        &self,
        _: ractor::ActorRef<Self::Msg>,
        tx: Self::Arguments,
    ) -> Result<Self::State, ractor::ActorProcessingErr> {
        Ok(tx)
    }
    async fn handle(
        &self,
        _: ractor::ActorRef<Self::Msg>,
        msg: Self::Msg,
        tx: &mut Self::State,
    ) -> Result<(), ractor::ActorProcessingErr> {
        tx.send(msg)?;
        Ok(())
    }
}

/// Blocks of one transfer on a depth-1 tree (a circuit small enough to prove in tests) go
/// through a real `ProverPool` with a real prover, across a sequencer restart: the pool
/// emits each block's proof exactly once, in order, with the sequencer's roots and DA
/// commitments, and each proof verifies.
#[tokio::test]
async fn a_real_prover_pool_proves_every_block_once_in_order() {
    use bitai_prover::{PoolArgs, PoolConfig, PoolMetrics, Prover, ProverArgs, ProverPool};
    use bitai_runtime::{RoleRef, TokioClock};
    use bitai_zk::circuit::BlockCircuit;
    use bitai_zk::groth16::Groth16Keys;
    use std::collections::BTreeMap;

    let spec = spec_with(1, 1, 7);
    let keys = Arc::new(
        Groth16Keys::devnet(
            BlockCircuit::blank(spec.circuit).expect("shape"),
            b"seq tests",
        )
        .expect("setup"),
    );
    let store: bitai_storage::SharedStore = Arc::new(MemoryStore::new());
    let (tx, mut emitted) = tokio::sync::mpsc::unbounded_channel();
    let (sink, _) = ractor::Actor::spawn(None, Collector, tx)
        .await
        .expect("collector");
    let pool_args = PoolArgs {
        store: store.clone(),
        clock: Arc::new(TokioClock::starting_at(0)),
        sink,
        config: PoolConfig::default(),
        metrics: PoolMetrics::new(&prometheus::Registry::new()).expect("metrics"),
    };
    let (pool, _) = ractor::Actor::spawn(None, ProverPool, pool_args)
        .await
        .expect("pool");
    let prover_args = ProverArgs {
        keys: BTreeMap::from([(spec.circuit, keys.clone())]),
        rng_seed: [9; 32],
        clock: Arc::new(TokioClock::starting_at(0)),
    };
    let (prover, _) = ractor::Actor::spawn(None, Prover, prover_args)
        .await
        .expect("prover");
    pool.cast(bitai_prover::PoolMsg::WorkerJoined(prover))
        .expect("pool alive");
    let role = RoleRef::spawn(None, "prover_pool", 64)
        .await
        .expect("proxy");
    role.attach(pool).expect("attach");

    let world = World::new(spec.clone(), store, role);
    let seq = world.start(config()).await;
    for nonce in 0..2 {
        submit(&seq, transfer(&spec, 0, 1, 3, nonce))
            .await
            .expect("accepted");
    }
    wait_handed(&seq).await;
    stop(seq).await;
    let seq = world.start(config()).await;
    submit(&seq, transfer(&spec, 1, 2, 1, 0))
        .await
        .expect("accepted");
    let h = wait_handed(&seq).await;
    assert_eq!(h.number, 3);
    for number in 1..=3 {
        let proof = tokio::time::timeout(std::time::Duration::from_secs(120), emitted.recv())
            .await
            .expect("a proof within two minutes")
            .expect("collector alive")
            .0;
        let b = block(&seq, number).await.expect("block");
        assert_eq!(proof.block_number, number, "in order, once each");
        assert_eq!(proof.prev_state_root, b.prev_state_root);
        assert_eq!(proof.new_state_root, b.new_state_root);
        assert_eq!(proof.da_commitment, b.da_commitment);
        bitai_zk::verifier::verify_submit_proof(
            bitai_protocol::ProofSystem::Groth16Bn254,
            &bitai_zk::gnark::write_vk(keys.vk()),
            &proof,
        )
        .expect("the proof verifies against the chain's key");
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(emitted.try_recv().is_err(), "nothing emitted twice");
    stop(seq).await;
}
