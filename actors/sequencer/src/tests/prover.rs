//! The hand-off to the prover pool: a refusing pool is retried on the next tick and nothing
//! counts as handed before the pool's Ok; a real `ProverPool` (Groth16 on a tiny circuit, and
//! the simulation backend for 200 transfers) gets every block once, in order, across a
//! sequencer restart.

use super::harness::*;
use super::replay::two_hundred;
use bitai_messages::prover::{PoolMsg, ProofEmitted};
use bitai_messages::sequencer::SequencerMsg;
use bitai_proofs::circuit::BlockCircuit;
use bitai_proofs::groth16::Groth16Keys;
use bitai_proofs::verifier::simulation::SIMULATION_VK;
use bitai_proofs::verifier::verify_submit_proof;
use bitai_protocol::ProofSystem;
use bitai_prover::{
    PoolArgs, PoolConfig, PoolMetrics, Prover, ProverArgs, ProverBackend, ProverPool,
};
use bitai_runtime::{ChannelSink, RoleRef, TokioClock};
use bitai_storage::MemoryStore;
use ractor::{Actor, ActorRef};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

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
    tokio::time::sleep(Duration::from_millis(50)).await;
    let h = head(&seq).await;
    assert_eq!((h.number, h.handed_through), (1, 0));
    assert!(!block(&seq, 1).await.expect("block 1").handed_to_prover);
    seq.cast(SequencerMsg::Tick).expect("alive");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(head(&seq).await.handed_through, 0, "refused again");
    seq.cast(SequencerMsg::Tick).expect("alive");
    let h = wait_handed(&seq).await;
    assert_eq!(h.handed_through, 1);
    assert_eq!(seen.recv().await, Some(1));
    assert!(seen.try_recv().is_err(), "handed once");
    stop(seq).await;
}

/// A real `ProverPool` with one prover of `backend`, behind a role proxy; proofs come out of
/// a channel sink.
async fn real_pool(
    store: bitai_storage::SharedStore,
    backend: ProverBackend,
) -> (RoleRef<PoolMsg>, mpsc::UnboundedReceiver<ProofEmitted>) {
    let (tx, emitted) = mpsc::unbounded_channel();
    let pool_args = PoolArgs {
        store,
        clock: Arc::new(TokioClock::starting_at(0)),
        sink: Arc::new(ChannelSink(tx)),
        config: PoolConfig::default(),
        metrics: PoolMetrics::new(&prometheus::Registry::new()).expect("metrics"),
        workers: Vec::new(),
        check: None,
        confirmations: None,
    };
    let (pool, _) = Actor::spawn(None, ProverPool, pool_args)
        .await
        .expect("pool");
    let prover_args = ProverArgs {
        backend,
        rng_seed: [9; 32],
        clock: Arc::new(TokioClock::starting_at(0)),
        faults: Default::default(),
    };
    let (prover, _) = Actor::spawn(None, Prover, prover_args)
        .await
        .expect("prover");
    pool.cast(PoolMsg::WorkerJoined(prover))
        .expect("pool alive");
    let role = RoleRef::spawn(None, "prover_pool", 64)
        .await
        .expect("proxy");
    role.attach(pool).expect("attach");
    (role, emitted)
}

/// Takes `n` proofs and checks that they are blocks 1..=n of `seq`, in order, with its roots
/// and DA commitments, each verifying under `system` with `vk`; then that nothing more comes.
async fn expect_proofs(
    seq: &ActorRef<SequencerMsg>,
    emitted: &mut mpsc::UnboundedReceiver<ProofEmitted>,
    n: u64,
    system: ProofSystem,
    vk: &[u8],
) {
    for number in 1..=n {
        let proof = tokio::time::timeout(Duration::from_secs(120), emitted.recv())
            .await
            .expect("a proof within two minutes")
            .expect("pool alive")
            .0;
        let b = block(seq, number).await.expect("block");
        assert_eq!(proof.block_number, number, "in order, once each");
        assert_eq!(proof.chain_id, head(seq).await.chain_id);
        assert_eq!(proof.prev_state_root, b.prev_state_root);
        assert_eq!(proof.new_state_root, b.new_state_root);
        assert_eq!(proof.da_commitment, b.da_commitment);
        verify_submit_proof(system, vk, &proof).expect("the proof verifies");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(emitted.try_recv().is_err(), "nothing emitted twice");
}

/// Blocks of one transfer on a depth-1 tree (small enough to prove in tests) through a real
/// pool with a Groth16 prover, across a sequencer restart.
#[tokio::test]
async fn a_groth16_pool_proves_every_block_once_in_order() {
    let spec = spec_with(1, 1, 7);
    let keys = Arc::new(
        Groth16Keys::devnet(
            BlockCircuit::blank(spec.circuit).expect("shape"),
            b"seq tests",
        )
        .expect("setup"),
    );
    let store: bitai_storage::SharedStore = Arc::new(MemoryStore::new());
    let backend = ProverBackend::Groth16 {
        keys: BTreeMap::from([(spec.circuit, keys.clone())]),
    };
    let (role, mut emitted) = real_pool(store.clone(), backend).await;
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
    assert_eq!(wait_handed(&seq).await.number, 3);
    let vk = bitai_proofs::gnark::write_vk(keys.vk());
    expect_proofs(&seq, &mut emitted, 3, ProofSystem::Groth16Bn254, &vk).await;
    stop(seq).await;
}

/// 200 transfers, with a sequencer restart after 101, through a real pool with the
/// simulation backend: all 50 blocks are emitted once each, in order.
#[tokio::test]
async fn a_simulation_pool_gets_every_block_once_in_order_across_a_restart() {
    let store: bitai_storage::SharedStore = Arc::new(MemoryStore::new());
    let (role, mut emitted) = real_pool(store.clone(), ProverBackend::Simulation).await;
    let world = World::new(spec(), store, role);
    let mut nonces = [0u64; 10];
    let seq = world.start(config()).await;
    two_hundred(&world, &seq, 0..101, &mut nonces).await;
    wait_handed(&seq).await;
    stop(seq).await;
    let seq = world.start(config()).await;
    two_hundred(&world, &seq, 101..200, &mut nonces).await;
    flush(&world, &seq).await;
    assert_eq!(wait_handed(&seq).await.number, 50);
    expect_proofs(
        &seq,
        &mut emitted,
        50,
        ProofSystem::SimulationOnly,
        SIMULATION_VK,
    )
    .await;
    stop(seq).await;
}
