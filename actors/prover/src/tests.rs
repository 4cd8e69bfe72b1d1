//! The pool with real provers, real proofs and a real (in-memory) store: blocks proved in
//! parallel come out in block order and verify; an expired lease is retried elsewhere; a
//! restarted pool resumes from its store; a full queue pushes back; the simulation backend
//! emits simulation proofs of two chains in order per chain.

use super::*;
use bitai_messages::prover::{
    BlockStatement, JobId, JobStatus, JobSummary, PoolError, PoolMsg, ProofEmitted, ProverMsg,
};
use bitai_proofs::circuit::{BlockCircuit, CircuitConfig};
use bitai_proofs::groth16::Groth16Keys;
use bitai_protocol::{ChainId, Hash32, ProofSystem};
use bitai_runtime::{ActorSink, ChannelSink, Sink, TokioClock};
use bitai_storage::{MemoryStore, SharedStore};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

const CONFIG: CircuitConfig = CircuitConfig::new(1, 1);

fn keys() -> Arc<Groth16Keys> {
    static KEYS: OnceLock<Arc<Groth16Keys>> = OnceLock::new();
    KEYS.get_or_init(|| {
        Arc::new(
            Groth16Keys::devnet(BlockCircuit::blank(CONFIG).expect("shape"), b"pool tests")
                .expect("setup"),
        )
    })
    .clone()
}

fn chain() -> ChainId {
    ChainId(Hash32::sha256(b"pool chain"))
}

/// Blocks 1..=n of the test chain, one transfer each, as encoded circuits.
pub(crate) fn blocks(n: u64) -> Vec<Vec<u8>> {
    blocks_of(chain(), n)
}

/// Blocks 1..=n of `chain_id`, one transfer each, as encoded circuits.
fn blocks_of(chain_id: ChainId, n: u64) -> Vec<Vec<u8>> {
    crate::fixtures::blocks_of(CONFIG, chain_id, n)
}

/// The mempool's stand-in: forwards what the pool emits to the test.
pub(crate) struct Collector;
impl Actor for Collector {
    type Msg = ProofEmitted;
    type State = mpsc::UnboundedSender<ProofEmitted>;
    type Arguments = mpsc::UnboundedSender<ProofEmitted>;
    async fn pre_start(
        &self,
        _: ActorRef<ProofEmitted>,
        tx: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(tx)
    }
    async fn handle(
        &self,
        _: ActorRef<ProofEmitted>,
        msg: ProofEmitted,
        tx: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        tx.send(msg)?;
        Ok(())
    }
}

/// A prover that accepts work and never answers: a hung remote node.
struct Hung;
impl Actor for Hung {
    type Msg = ProverMsg;
    type State = ();
    type Arguments = ();
    async fn pre_start(&self, _: ActorRef<ProverMsg>, _: ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }
}

pub(crate) struct Harness {
    pub(crate) pool: ActorRef<PoolMsg>,
    pub(crate) emitted: mpsc::UnboundedReceiver<ProofEmitted>,
    pub(crate) metrics: PoolMetrics,
}

/// A pool whose proofs reach the test through an actor (`ActorSink`), as they reach the
/// mempool.
async fn start_pool(store: SharedStore, config: PoolConfig) -> Harness {
    let (tx, emitted) = mpsc::unbounded_channel();
    let (collector, _) = Actor::spawn(None, Collector, tx).await.expect("collector");
    start_pool_with_sink(store, config, Arc::new(ActorSink(collector)), emitted).await
}

pub(crate) async fn start_pool_with_sink(
    store: SharedStore,
    config: PoolConfig,
    sink: Arc<dyn Sink<ProofEmitted>>,
    emitted: mpsc::UnboundedReceiver<ProofEmitted>,
) -> Harness {
    start_pool_on(
        store,
        config,
        sink,
        emitted,
        Arc::new(TokioClock::starting_at(0)),
        None,
    )
    .await
}

/// A pool on `clock` (a `ManualClock` in the lease tests), its proofs through an actor.
pub(crate) async fn start_pool_with_clock(
    store: SharedStore,
    config: PoolConfig,
    clock: Arc<dyn bitai_runtime::Clock>,
) -> Harness {
    let (tx, emitted) = mpsc::unbounded_channel();
    let (collector, _) = Actor::spawn(None, Collector, tx).await.expect("collector");
    start_pool_on(
        store,
        config,
        Arc::new(ActorSink(collector)),
        emitted,
        clock,
        None,
    )
    .await
}

async fn start_pool_on(
    store: SharedStore,
    config: PoolConfig,
    sink: Arc<dyn Sink<ProofEmitted>>,
    emitted: mpsc::UnboundedReceiver<ProofEmitted>,
    clock: Arc<dyn bitai_runtime::Clock>,
    check: Option<crate::ProofCheck>,
) -> Harness {
    let metrics = PoolMetrics::new(&prometheus::Registry::new()).expect("metrics");
    let args = PoolArgs {
        store,
        clock,
        sink,
        config,
        metrics: metrics.clone(),
        workers: Vec::new(),
        check,
        confirmations: None,
    };
    let (pool, _) = Actor::spawn(None, ProverPool, args).await.expect("pool");
    Harness {
        pool,
        emitted,
        metrics,
    }
}

async fn add_prover(pool: &ActorRef<PoolMsg>, seed: u8) {
    add_prover_with(
        pool,
        seed,
        ProverBackend::Groth16 {
            keys: BTreeMap::from([(CONFIG, keys())]),
        },
    )
    .await;
}

async fn add_prover_with(pool: &ActorRef<PoolMsg>, seed: u8, backend: ProverBackend) {
    add_prover_faulty(pool, seed, backend, Default::default()).await;
}

/// A prover whose faults the test switches through `faults`.
async fn add_prover_faulty(
    pool: &ActorRef<PoolMsg>,
    seed: u8,
    backend: ProverBackend,
    faults: crate::ProverFaults,
) {
    let args = ProverArgs {
        backend,
        rng_seed: [seed; 32],
        clock: Arc::new(TokioClock::starting_at(0)),
        faults,
    };
    let (prover, _) = Actor::spawn(None, Prover, args).await.expect("prover");
    pool.cast(PoolMsg::WorkerJoined(prover))
        .expect("pool alive");
}

async fn submit(pool: &ActorRef<PoolMsg>, circuit: Vec<u8>) -> Result<(), PoolError> {
    let statement = statement(&circuit);
    ractor::call!(pool, |reply| PoolMsg::ProveBlock {
        statement,
        circuit,
        reply
    })
    .expect("pool answers")
}

/// The statement a sequencer would hand beside `circuit` (a blank one for bytes that are
/// not a circuit, which the pool must refuse).
pub(crate) fn statement(circuit: &[u8]) -> BlockStatement {
    match BlockCircuit::peek_statement(circuit) {
        Ok((_, public)) => crate::statement_of(&public),
        Err(_) => BlockStatement {
            chain_id: ChainId(Hash32([0; 32])),
            block_number: 0,
            prev_state_root: Hash32([0; 32]),
            new_state_root: Hash32([0; 32]),
            da_commitment: Hash32([0; 32]),
        },
    }
}

async fn next(h: &mut Harness) -> bitai_protocol::SubmitProof {
    tokio::time::timeout(Duration::from_secs(120), h.emitted.recv())
        .await
        .expect("a proof within two minutes")
        .expect("collector alive")
        .0
}

/// Waits until the pool has recorded its last emission (it sends a proof, then records it and
/// updates its metrics, so a test that has the proof may be a moment early).
async fn settled(h: &Harness) {
    for _ in 0..500 {
        if h.metrics.queue_depth.get() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub(crate) fn fast() -> PoolConfig {
    PoolConfig {
        lease_timeout_ms: 60_000,
        max_attempts: 3,
        max_queue: 16,
        tick_interval_ms: 50,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_are_proved_in_parallel_and_emitted_in_order() {
    let mut h = start_pool(Arc::new(MemoryStore::new()), fast()).await;
    add_prover(&h.pool, 1).await;
    add_prover(&h.pool, 2).await;
    let circuits = blocks(3);
    // Out of order on purpose: the pool still emits 1, 2, 3.
    for i in [2usize, 0, 1] {
        submit(&h.pool, circuits[i].clone())
            .await
            .expect("accepted");
    }
    let vk = bitai_proofs::gnark::write_vk(keys().vk());
    for expected in 1..=3u64 {
        let tx = next(&mut h).await;
        assert_eq!(tx.block_number, expected);
        bitai_proofs::verifier::verify_submit_proof(ProofSystem::Groth16Bn254, &vk, &tx)
            .expect("the emitted proof verifies");
    }
    settled(&h).await;
    assert_eq!(h.metrics.queue_depth.get(), 0);
    assert_eq!(h.metrics.proofs.get(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_is_retried_on_another_prover() {
    // Long enough for a real proof on a loaded 2-core machine (8 s was not, once, with other
    // tests proving beside it), short enough for a test.
    let config = PoolConfig {
        lease_timeout_ms: 15_000,
        ..fast()
    };
    let mut h = start_pool(Arc::new(MemoryStore::new()), config).await;
    let (hung, _) = Actor::spawn(None, Hung, ()).await.expect("hung prover");
    h.pool
        .cast(PoolMsg::WorkerJoined(hung))
        .expect("pool alive");
    submit(&h.pool, blocks(1).remove(0))
        .await
        .expect("accepted");
    add_prover(&h.pool, 3).await;
    let tx = next(&mut h).await;
    assert_eq!(tx.block_number, 1);
    assert_eq!(
        h.metrics.failed_attempts.get(),
        1,
        "the hung lease counted as a failed attempt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_pool_resumes_from_its_store_and_a_full_queue_pushes_back() {
    let store: SharedStore = Arc::new(MemoryStore::new());
    let circuits = blocks(2);
    let first = start_pool(
        store.clone(),
        PoolConfig {
            max_queue: 2,
            ..fast()
        },
    )
    .await;
    for c in &circuits {
        submit(&first.pool, c.clone()).await.expect("accepted");
    }
    let third = blocks(3).remove(2);
    assert_eq!(
        submit(&first.pool, third).await,
        Err(PoolError::QueueFull(2))
    );
    assert_eq!(
        submit(&first.pool, vec![1, 2, 3]).await,
        Err(PoolError::QueueFull(2)),
        "the bound is checked first"
    );
    first.pool.stop_and_wait(None, None).await.expect("stopped");

    let mut second = start_pool(store, fast()).await;
    assert_eq!(second.metrics.queue_depth.get(), 2, "both jobs reloaded");
    add_prover(&second.pool, 4).await;
    assert_eq!(next(&mut second).await.block_number, 1);
    assert_eq!(next(&mut second).await.block_number, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_block_is_refused_with_a_reason() {
    let h = start_pool(Arc::new(MemoryStore::new()), fast()).await;
    assert!(matches!(
        submit(&h.pool, vec![9, 9, 9]).await,
        Err(PoolError::BadCircuit(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulation_backend_emits_simulation_proofs_in_order_per_chain() {
    let (tx, emitted) = mpsc::unbounded_channel();
    let config = PoolConfig {
        max_queue: 64,
        ..fast()
    };
    let mut h = start_pool_with_sink(
        Arc::new(MemoryStore::new()),
        config,
        Arc::new(ChannelSink(tx)),
        emitted,
    )
    .await;
    for seed in 1..=3 {
        add_prover_with(&h.pool, seed, ProverBackend::Simulation).await;
    }
    let a = ChainId(Hash32::sha256(b"simulated chain a"));
    let b = ChainId(Hash32::sha256(b"simulated chain b"));
    let (blocks_a, blocks_b) = (blocks_of(a, 20), blocks_of(b, 20));
    // Interleaved, as two sequencers hand them (each in its own order: a chain starts at the
    // lowest block queued, see `queue`); proofs finish in any order on three provers.
    for i in 0..20 {
        submit(&h.pool, blocks_b[i].clone())
            .await
            .expect("accepted");
        submit(&h.pool, blocks_a[i].clone())
            .await
            .expect("accepted");
    }
    let mut seen: BTreeMap<ChainId, Vec<u64>> = BTreeMap::new();
    for _ in 0..40 {
        let tx = next(&mut h).await;
        bitai_proofs::verifier::verify_submit_proof(
            ProofSystem::SimulationOnly,
            bitai_proofs::verifier::SIMULATION_VK,
            &tx,
        )
        .expect("the emitted simulation proof verifies");
        assert_eq!(
            tx.proof.len(),
            bitai_proofs::verifier::SIMULATION_PROOF_BYTES
        );
        seen.entry(tx.chain_id).or_default().push(tx.block_number);
    }
    let in_order: Vec<u64> = (1..=20).collect();
    assert_eq!(seen.get(&a), Some(&in_order));
    assert_eq!(seen.get(&b), Some(&in_order));
    settled(&h).await;
    assert_eq!(h.metrics.queue_depth.get(), 0);
    assert_eq!(h.metrics.proofs.get(), 40);
}

/// Regression (found by `bitai sim` seeds 16 and 17): a prover that sends proofs that do not
/// verify answers at once, so it was first back in rotation and took every retry of a job
/// until the job was parked and its chain stalled. The pool now checks each proof against
/// the chain's key and benches the liar for a lease period: every block is emitted, proved
/// by the honest prover.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prover_whose_proofs_do_not_verify_sits_out_and_every_block_is_still_emitted() {
    let (tx, emitted) = mpsc::unbounded_channel();
    let check: crate::ProofCheck = Arc::new(|tx: &bitai_protocol::SubmitProof| {
        bitai_proofs::verifier::verify_submit_proof(
            ProofSystem::SimulationOnly,
            bitai_proofs::verifier::SIMULATION_VK,
            tx,
        )
        .map_err(|e| e.to_string())
    });
    let config = PoolConfig {
        max_queue: 64,
        ..fast()
    };
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(TokioClock::starting_at(0));
    let sink = Arc::new(ChannelSink(tx));
    let Harness {
        pool,
        mut emitted,
        metrics,
    } = start_pool_on(store, config, sink, emitted, clock, Some(check)).await;
    // The liar joins first, so it is the first idle prover every time it is in rotation.
    for (seed, fault) in [(1, Some(crate::ProverFault::InvalidProof)), (2, None)] {
        let faults = crate::ProverFaults::default();
        faults.set(fault);
        add_prover_faulty(&pool, seed, ProverBackend::Simulation, faults).await;
    }
    let chain = ChainId(Hash32::sha256(b"a chain with a lying prover"));
    for block in blocks_of(chain, 10) {
        submit(&pool, block).await.expect("accepted");
    }
    for expected in 1..=10u64 {
        let ProofEmitted(tx) = tokio::time::timeout(Duration::from_secs(30), emitted.recv())
            .await
            .expect("every block is emitted")
            .expect("pool alive");
        assert_eq!(tx.block_number, expected);
        bitai_proofs::verifier::verify_submit_proof(
            ProofSystem::SimulationOnly,
            bitai_proofs::verifier::SIMULATION_VK,
            &tx,
        )
        .expect("only proofs that verify are emitted");
    }
    assert!(
        metrics.failed_attempts.get() >= 1,
        "the liar was caught at least once"
    );
}

/// Regression (found by `bitai sim` seed 2 over a simulated day): a prover that hung, lost
/// its lease and recovered never reported the job it dropped, so it never came back to
/// rotation; after the second prover did the same, the pool had no prover and every chain
/// stalled. A prover whose lease expired now comes back after one more lease period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prover_that_hung_and_recovered_comes_back_after_a_lease_period() {
    let clock = bitai_runtime::ManualClock::new(0);
    let config = PoolConfig {
        lease_timeout_ms: 1_000,
        tick_interval_ms: 3_600_000,
        ..fast()
    };
    let (tx, emitted) = mpsc::unbounded_channel();
    let store = Arc::new(MemoryStore::new());
    let sink = Arc::new(ChannelSink(tx));
    let Harness {
        pool, mut emitted, ..
    } = start_pool_on(store, config, sink, emitted, Arc::new(clock.clone()), None).await;
    let (a, b) = (
        crate::ProverFaults::default(),
        crate::ProverFaults::default(),
    );
    a.set(Some(crate::ProverFault::Hang));
    for (seed, faults) in [(1, a.clone()), (2, b.clone())] {
        add_prover_faulty(&pool, seed, ProverBackend::Simulation, faults).await;
    }
    let chain = ChainId(Hash32::sha256(b"a chain whose provers hang in turn"));
    let mut circuits = blocks_of(chain, 2).into_iter();
    // Block 1 goes to A, which hangs; its lease expires and B proves it.
    submit(&pool, circuits.next().expect("two"))
        .await
        .expect("accepted");
    tokio::time::sleep(Duration::from_millis(100)).await;
    clock.advance(1_001);
    pool.cast(PoolMsg::Tick).expect("pool alive");
    let ProofEmitted(tx) = tokio::time::timeout(Duration::from_secs(10), emitted.recv())
        .await
        .expect("block 1")
        .expect("alive");
    assert_eq!(tx.block_number, 1);
    // A recovers (its dropped job is never reported); B hangs from now on.
    a.set(None);
    b.set(Some(crate::ProverFault::Hang));
    submit(&pool, circuits.next().expect("two"))
        .await
        .expect("accepted");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // B's lease expires; A's time out of rotation is over: A proves block 2.
    clock.advance(1_001);
    pool.cast(PoolMsg::Tick).expect("pool alive");
    let ProofEmitted(tx) = tokio::time::timeout(Duration::from_secs(10), emitted.recv())
        .await
        .expect("block 2 is proved")
        .expect("alive");
    assert_eq!(tx.block_number, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulation_proof_is_no_groth16_proof() {
    let mut h = start_pool(Arc::new(MemoryStore::new()), fast()).await;
    add_prover_with(&h.pool, 1, ProverBackend::Simulation).await;
    submit(&h.pool, blocks(1).remove(0))
        .await
        .expect("accepted");
    let tx = next(&mut h).await;
    let vk = bitai_proofs::gnark::write_vk(keys().vk());
    assert!(
        bitai_proofs::verifier::verify_submit_proof(ProofSystem::Groth16Bn254, &vk, &tx).is_err(),
        "a chain registered with Groth16 refuses a simulation proof"
    );
}

async fn jobs(pool: &ActorRef<PoolMsg>) -> Vec<JobSummary> {
    ractor::call!(pool, |reply| PoolMsg::Jobs { reply }).expect("pool answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_see_every_job_and_where_it_stands() {
    let mut h = start_pool(Arc::new(MemoryStore::new()), fast()).await;
    let circuits = blocks(3);
    submit(&h.pool, circuits[0].clone())
        .await
        .expect("accepted");
    submit(&h.pool, circuits[1].clone())
        .await
        .expect("accepted");
    let ids = |n: u64| JobId {
        chain_id: chain(),
        block_number: n,
    };
    let before = jobs(&h.pool).await;
    assert_eq!(
        before,
        vec![
            JobSummary {
                job: ids(1),
                state: JobStatus::Pending,
                attempts: 0,
                prove_ms: None
            },
            JobSummary {
                job: ids(2),
                state: JobStatus::Pending,
                attempts: 0,
                prove_ms: None
            },
        ]
    );
    // A hung prover takes block 1: leased.
    let (hung, _) = Actor::spawn(None, Hung, ()).await.expect("hung prover");
    h.pool
        .cast(PoolMsg::WorkerJoined(hung))
        .expect("pool alive");
    let leased = jobs(&h.pool).await;
    assert_eq!(leased[0].state, JobStatus::Leased);
    assert_eq!(leased[1].state, JobStatus::Pending);
    // A simulation prover takes block 2: proved, but waiting for block 1.
    add_prover_with(&h.pool, 1, ProverBackend::Simulation).await;
    let proved = loop {
        let now = jobs(&h.pool).await;
        if now[1].state == JobStatus::Proved {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(proved[0].state, JobStatus::Leased);
    assert_eq!(proved[1].attempts, 1);
    assert!(
        proved[1].prove_ms.is_some(),
        "a proved job has its prove time"
    );
    // Block 3 arrives; nothing is emitted while block 1 hangs.
    submit(&h.pool, circuits[2].clone())
        .await
        .expect("accepted");
    assert!(
        h.emitted.try_recv().is_err(),
        "block 1 holds the chain back"
    );
    assert_eq!(jobs(&h.pool).await.len(), 3);
    let states = |v: &[JobSummary]| v.iter().map(|s| s.state).collect::<Vec<_>>();
    // The hung lease never ends (60 s); a job that fails every attempt is parked as failed.
    let parked = start_pool(
        Arc::new(MemoryStore::new()),
        PoolConfig {
            max_attempts: 1,
            ..fast()
        },
    )
    .await;
    submit(&parked.pool, vec_with_unknown_shape())
        .await
        .expect("accepted");
    add_prover(&parked.pool, 2).await;
    let failed = loop {
        let now = jobs(&parked.pool).await;
        if now.first().map(|s| s.state) == Some(JobStatus::Failed) {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(failed[0].attempts, 1);
    assert_eq!(failed[0].prove_ms, None);
    // Emitted jobs stay visible after they leave the store.
    let mut sim = start_pool(Arc::new(MemoryStore::new()), fast()).await;
    add_prover_with(&sim.pool, 3, ProverBackend::Simulation).await;
    for c in &circuits {
        submit(&sim.pool, c.clone()).await.expect("accepted");
    }
    for n in 1..=3 {
        assert_eq!(next(&mut sim).await.block_number, n);
    }
    let done = jobs(&sim.pool).await;
    assert_eq!(
        states(&done),
        vec![JobStatus::Emitted; 3],
        "every block emitted and remembered"
    );
    assert!(done.iter().all(|s| s.attempts == 1 && s.prove_ms.is_some()));
}

/// A valid circuit of a shape no Groth16 prover here has keys for: every attempt fails.
fn vec_with_unknown_shape() -> Vec<u8> {
    BlockCircuit::blank(CircuitConfig::new(2, 1))
        .expect("shape")
        .to_bytes()
}

/// A pool's arguments with re-emission on: proofs reach `emitted`, and a chain counts as
/// verified through the block `verified` holds.
fn confirming_args(
    store: SharedStore,
    emitted: mpsc::UnboundedSender<ProofEmitted>,
    verified: Arc<std::sync::atomic::AtomicU64>,
    reemit_after_ms: u64,
) -> PoolArgs {
    PoolArgs {
        store,
        clock: Arc::new(TokioClock::starting_at(0)),
        sink: Arc::new(ChannelSink(emitted)),
        config: fast(),
        metrics: PoolMetrics::new(&prometheus::Registry::new()).expect("metrics"),
        workers: Vec::new(),
        check: None,
        confirmations: Some(crate::Confirmations {
            verified: Arc::new(move |_| verified.load(std::sync::atomic::Ordering::SeqCst)),
            reemit_after_ms,
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_proof_is_emitted_again_until_the_bitai_side_verifies_it() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let verified = Arc::new(AtomicU64::new(0));
    let (tx, mut emitted) = mpsc::unbounded_channel();
    let args = confirming_args(Arc::new(MemoryStore::new()), tx, verified.clone(), 200);
    let (pool, _) = Actor::spawn(None, ProverPool, args).await.expect("pool");
    add_prover_with(&pool, 1, ProverBackend::Simulation).await;
    let chain = ChainId(Hash32::sha256(b"re-emitted chain"));
    submit(&pool, blocks_of(chain, 1).remove(0))
        .await
        .expect("accepted");
    let first = recv_within(&mut emitted, 10_000)
        .await
        .expect("the proof is emitted");
    // Lost downstream: the pool sends the same proof again while the chain stays unverified.
    let again = recv_within(&mut emitted, 10_000)
        .await
        .expect("emitted again");
    assert_eq!(first, again);
    // Once verified, it is forgotten: nothing more arrives.
    verified.store(1, Ordering::SeqCst);
    while tokio::time::timeout(Duration::from_millis(400), emitted.recv())
        .await
        .is_ok()
    {}
    assert!(
        tokio::time::timeout(Duration::from_millis(800), emitted.recv())
            .await
            .is_err(),
        "a verified proof is not emitted again"
    );
}

/// Regression (seed 5, a simulated day): a proof the mempool refused as out of order was
/// still unverified when the node crashed; the restarted pool had forgotten it (its
/// re-emission list lived in memory), so its chain never advanced again. The list is now
/// persisted: a restarted pool sends it at once, and forgets it once verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_pool_emits_again_what_was_emitted_and_not_yet_verified() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let store: SharedStore = Arc::new(MemoryStore::new());
    let verified = Arc::new(AtomicU64::new(0));
    // Re-emission far beyond the test: only a restart sends a proof again.
    let start = |emitted: mpsc::UnboundedSender<ProofEmitted>| {
        confirming_args(store.clone(), emitted, verified.clone(), 3_600_000)
    };
    let (tx, mut emitted) = mpsc::unbounded_channel();
    let (pool, handle) = Actor::spawn(None, ProverPool, start(tx))
        .await
        .expect("pool");
    add_prover_with(&pool, 1, ProverBackend::Simulation).await;
    let chain = ChainId(Hash32::sha256(b"restart chain"));
    submit(&pool, blocks_of(chain, 1).remove(0))
        .await
        .expect("accepted");
    let first = recv_within(&mut emitted, 10_000)
        .await
        .expect("the proof is emitted");
    // The node goes down; the receiver lost the proof with its mailbox.
    pool.stop(None);
    handle.await.expect("stopped");

    let (tx, mut emitted) = mpsc::unbounded_channel();
    let (pool, handle) = Actor::spawn(None, ProverPool, start(tx))
        .await
        .expect("pool");
    let again = recv_within(&mut emitted, 5_000)
        .await
        .expect("the restarted pool sends the unverified proof again");
    assert_eq!(first, again);
    pool.stop(None);
    handle.await.expect("stopped");

    // Verified meanwhile: the next restart forgets it (and drops it from the store).
    verified.store(1, Ordering::SeqCst);
    let (tx, mut emitted) = mpsc::unbounded_channel();
    let (pool, handle) = Actor::spawn(None, ProverPool, start(tx))
        .await
        .expect("pool");
    assert!(
        recv_within(&mut emitted, 800).await.is_none(),
        "a verified proof is not emitted again"
    );
    pool.stop(None);
    handle.await.expect("stopped");
    assert!(crate::queue::JobQueue::new(store)
        .unconfirmed()
        .expect("store")
        .is_empty());
}

async fn recv_within(
    rx: &mut mpsc::UnboundedReceiver<ProofEmitted>,
    ms: u64,
) -> Option<ProofEmitted> {
    tokio::time::timeout(Duration::from_millis(ms), rx.recv())
        .await
        .ok()
        .flatten()
}
