//! Remote workers in the pool, on a manual clock: heartbeats keep a lease, silence loses it
//! and another prover proves the block, a leaving prover's job goes back at once, late and
//! duplicate reports change nothing; and the gateway with a real remote prover actor in
//! process over ractor's process groups (the same actors `bitai prover run` starts, without the TCP transport, which the
//! cluster crate's end-to-end test covers).

use super::*;
use crate::tests::{blocks, start_pool_with_clock, Harness};
use crate::PoolConfig;
use bitai_messages::prover::{JobId, JobStatus};
use bitai_runtime::{ActorSink, ManualClock, Peer, TokioClock};
use bitai_storage::MemoryStore;
use tokio::sync::mpsc;

/// A remote prover the test drives: hands every `Prove` to the test.
struct Fake;
impl Actor for Fake {
    type Msg = RemoteProverMsg;
    type State = mpsc::UnboundedSender<RemoteProverMsg>;
    type Arguments = mpsc::UnboundedSender<RemoteProverMsg>;
    async fn pre_start(
        &self,
        _: ActorRef<RemoteProverMsg>,
        tx: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(tx)
    }
    async fn handle(
        &self,
        _: ActorRef<RemoteProverMsg>,
        msg: RemoteProverMsg,
        tx: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        tx.send(msg)?;
        Ok(())
    }
}

struct FakeProver {
    name: String,
    leases: mpsc::UnboundedReceiver<RemoteProverMsg>,
}

const HEARTBEAT_TIMEOUT_MS: u64 = 1_000;

async fn join(pool: &ActorRef<PoolMsg>, name: &str) -> FakeProver {
    let (tx, leases) = mpsc::unbounded_channel();
    let (actor, _) = Actor::spawn(None, Fake, tx).await.expect("fake prover");
    announce(pool, name, actor);
    FakeProver {
        name: name.into(),
        leases,
    }
}

fn announce(pool: &ActorRef<PoolMsg>, name: &str, actor: ActorRef<RemoteProverMsg>) {
    pool.cast(PoolMsg::RemoteJoined {
        prover: Peer {
            name: name.into(),
            link: Arc::new(ActorSink(actor)),
        },
        heartbeat_interval_ms: 100,
        heartbeat_timeout_ms: HEARTBEAT_TIMEOUT_MS,
    })
    .expect("pool alive");
}

/// The next lease a fake prover gets: job, lease id, circuit.
async fn lease(p: &mut FakeProver) -> (JobId, u64, Vec<u8>) {
    let msg = tokio::time::timeout(Duration::from_secs(10), p.leases.recv())
        .await
        .expect("a lease within ten seconds")
        .expect("fake alive");
    let RemoteProverMsg::Prove {
        job,
        lease_id,
        circuit,
        ..
    } = msg
    else {
        panic!("the pool sends only leases, got {msg:?}");
    };
    (job, lease_id, circuit)
}

/// Where block `n` stands and its attempts (a `Jobs` call is also a barrier: every message
/// sent to the pool before it has been handled).
async fn status(pool: &ActorRef<PoolMsg>, n: u64) -> Option<(JobStatus, u32)> {
    let jobs = ractor::call!(pool, |reply| PoolMsg::Jobs { reply }).expect("pool answers");
    jobs.into_iter()
        .find(|j| j.job.block_number == n)
        .map(|j| (j.state, j.attempts))
}

async fn finish(pool: &ActorRef<PoolMsg>, job: JobId, lease_id: u64, circuit: Vec<u8>) {
    let proof = ProvingEngine::new(ProverBackend::Simulation, [0; 32])
        .prove(circuit)
        .await;
    pool.cast(PoolMsg::ProofFinished {
        job,
        lease_id,
        result: proof,
        prove_ms: 5,
    })
    .expect("pool alive");
}

fn manual() -> (Arc<ManualClock>, PoolConfig) {
    let config = PoolConfig {
        lease_timeout_ms: 600_000,
        max_attempts: 3,
        max_queue: 16,
        // Ticks come from the test (`PoolMsg::Tick`); the pool's own are rare.
        tick_interval_ms: 3_600_000,
    };
    (Arc::new(ManualClock::new(0)), config)
}

async fn submit(h: &Harness, circuit: Vec<u8>) {
    let statement = crate::tests::statement(&circuit);
    ractor::call!(h.pool, |reply| PoolMsg::ProveBlock {
        statement,
        circuit,
        reply
    })
    .expect("pool answers")
    .expect("accepted");
}

#[tokio::test]
async fn heartbeats_keep_a_lease_and_silence_loses_it_to_another_prover() {
    let (clock, config) = manual();
    let mut h = start_pool_with_clock(Arc::new(MemoryStore::new()), config, clock.clone()).await;
    let mut a = join(&h.pool, "a").await;
    submit(&h, blocks(1).remove(0)).await;
    let (job, lease_a, circuit) = lease(&mut a).await;
    for _ in 0..5 {
        clock.advance(HEARTBEAT_TIMEOUT_MS * 3 / 5);
        h.pool
            .cast(PoolMsg::Heartbeat { lease_id: lease_a })
            .expect("pool alive");
        h.pool.cast(PoolMsg::Tick).expect("pool alive");
        assert_eq!(
            status(&h.pool, 1).await,
            Some((JobStatus::Leased, 0)),
            "heartbeats keep the lease past its heartbeat timeout"
        );
    }
    clock.advance(HEARTBEAT_TIMEOUT_MS);
    h.pool.cast(PoolMsg::Tick).expect("pool alive");
    assert_eq!(
        status(&h.pool, 1).await,
        Some((JobStatus::Pending, 0)),
        "a silent prover loses its lease (its fault: no attempt counts against the block)"
    );
    let mut b = join(&h.pool, "b").await;
    let (job_b, lease_b, circuit_b) = lease(&mut b).await;
    assert_eq!(job_b, job);
    assert_ne!(lease_b, lease_a);
    finish(&h.pool, job_b, lease_b, circuit_b.clone()).await;
    let emitted = tokio::time::timeout(Duration::from_secs(10), h.emitted.recv())
        .await
        .expect("emitted")
        .expect("collector alive");
    assert_eq!(emitted.0.block_number, 1);
    // The hung prover wakes up and reports; B reports twice: nothing changes.
    finish(&h.pool, job, lease_a, circuit.clone()).await;
    finish(&h.pool, job_b, lease_b, circuit_b).await;
    assert_eq!(status(&h.pool, 1).await, Some((JobStatus::Emitted, 1)));
    assert!(h.emitted.try_recv().is_err(), "emitted once");
    assert_eq!(h.metrics.proofs.get(), 1);
    // A is back in rotation after its late report: it gets the next block.
    submit(&h, blocks(2).remove(1)).await;
    let (next, _, _) = lease(&mut a).await;
    assert_eq!(next.block_number, 2);
}

#[tokio::test]
async fn a_leaving_prover_gives_its_job_back_at_once_and_gets_no_more() {
    let (clock, config) = manual();
    let mut h = start_pool_with_clock(Arc::new(MemoryStore::new()), config, clock.clone()).await;
    let mut a = join(&h.pool, "a").await;
    let circuits = blocks(2);
    submit(&h, circuits[0].clone()).await;
    let (job, lease_a, circuit) = lease(&mut a).await;
    assert_eq!(h.metrics.remote_provers.get(), 1);
    h.pool
        .cast(PoolMsg::RemoteMembers(Vec::new()))
        .expect("pool alive");
    assert_eq!(
        status(&h.pool, 1).await,
        Some((JobStatus::Pending, 0)),
        "no waiting for a timeout"
    );
    assert_eq!(h.metrics.remote_provers.get(), 0);
    // B takes the slot A left; A's late report below must not touch B's lease.
    let mut b = join(&h.pool, "b").await;
    let (job_b, lease_b, circuit_b) = lease(&mut b).await;
    assert_eq!(job_b, job);
    // A's report arrives after it left: ignored, and A stays out of rotation.
    finish(&h.pool, job, lease_a, circuit).await;
    assert_eq!(status(&h.pool, 1).await, Some((JobStatus::Leased, 0)));
    finish(&h.pool, job_b, lease_b, circuit_b).await;
    let emitted = tokio::time::timeout(Duration::from_secs(10), h.emitted.recv())
        .await
        .expect("emitted")
        .expect("collector alive");
    assert_eq!(emitted.0.block_number, 1);
    submit(&h, circuits[1].clone()).await;
    let (next, _, _) = lease(&mut b).await;
    assert_eq!(next.block_number, 2);
    assert!(
        a.leases.try_recv().is_err(),
        "a prover that left gets nothing"
    );
    // Joining twice and leaving twice are no-ops.
    h.pool
        .cast(PoolMsg::RemoteMembers(vec![b.name.clone()]))
        .expect("pool alive");
    let (again, _) = Actor::spawn(None, Fake, mpsc::unbounded_channel().0)
        .await
        .expect("fake prover");
    announce(&h.pool, &b.name, again);
    assert_eq!(status(&h.pool, 2).await, Some((JobStatus::Leased, 0)));
    assert_eq!(h.metrics.remote_provers.get(), 1, "only B is connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_connects_the_pool_to_a_remote_prover_and_a_drain_hands_over() {
    // The only test of this binary that uses process groups (they are process-global).
    let (tx, emitted) = mpsc::unbounded_channel();
    let (collector, _) = Actor::spawn(None, crate::tests::Collector, tx)
        .await
        .expect("collector");
    let mut h = crate::tests::start_pool_with_sink(
        Arc::new(MemoryStore::new()),
        crate::tests::fast(),
        Arc::new(ActorSink(collector)),
        emitted,
    )
    .await;
    let transport = ProverTransport::process_groups();
    let gateway_args = GatewayArgs {
        pool: Arc::new(ActorSink(h.pool.clone())),
        transport: transport.clone(),
        heartbeat_interval_ms: 20,
        heartbeat_timeout_ms: 5_000,
        resync_interval_ms: 100,
    };
    let (gateway_ref, _) = Actor::spawn(None, PoolGateway, gateway_args)
        .await
        .expect("gateway");
    let prover_args = RemoteProverArgs {
        backend: ProverBackend::Simulation,
        rng_seed: [9; 32],
        clock: Arc::new(TokioClock::starting_at(0)),
        transport: transport.clone(),
        faults: Default::default(),
        drain_grace_ms: 300,
        metrics: None,
    };
    let (prover, _) = Actor::spawn(None, RemoteProver, prover_args.clone())
        .await
        .expect("remote prover");
    assert_eq!(
        transport.gateway().map(|g| g.name),
        Some(gateway_ref.get_id().to_string()),
        "the prover finds the gateway by its group"
    );
    for circuit in blocks(2) {
        submit(&h, circuit).await;
    }
    for n in 1..=2 {
        let tx = tokio::time::timeout(Duration::from_secs(20), h.emitted.recv())
            .await
            .expect("proved through the gateway")
            .expect("collector alive");
        assert_eq!(tx.0.block_number, n);
    }
    // A rolling replacement: the prover drains (it leaves its group at once and stops after
    // its grace period) while a new one joins; the next blocks are proved by the new one.
    let (replacement, _) = Actor::spawn(None, RemoteProver, prover_args)
        .await
        .expect("replacement prover");
    prover.cast(RemoteProverMsg::Drain).expect("drain");
    tokio::time::timeout(Duration::from_secs(10), async {
        while prover.get_status() != ractor::ActorStatus::Stopped {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the drained prover stops after its grace period");
    assert_eq!(transport.provers.members(PROVERS_GROUP).len(), 1);
    for circuit in blocks(4).into_iter().skip(2) {
        submit(&h, circuit).await;
    }
    for n in 3..=4 {
        let tx = tokio::time::timeout(Duration::from_secs(20), h.emitted.recv())
            .await
            .expect("proved by the replacement")
            .expect("collector alive");
        assert_eq!(tx.0.block_number, n);
    }
    replacement.stop_and_wait(None, None).await.expect("stops");
    gateway_ref.stop_and_wait(None, None).await.expect("stops");
    assert!(transport.provers.members(PROVERS_GROUP).is_empty());
    assert!(transport.gateway().is_none());
}
