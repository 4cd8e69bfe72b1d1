//! The pool with real provers, real proofs and a real (in-memory) store: blocks proved in
//! parallel come out in block order and verify; an expired lease is retried elsewhere; a
//! restarted pool resumes from its store; a full queue pushes back.

use super::*;
use bitai_protocol::{ChainId, Hash32, ProofSystem};
use bitai_runtime::TokioClock;
use bitai_storage::{MemoryStore, SharedStore};
use bitai_zk::circuit::{BlockCircuit, CircuitConfig};
use bitai_zk::eddsa::PrivateKey;
use bitai_zk::groth16::Groth16Keys;
use bitai_zk::stf::{Account, Block, State};
use bitai_zk::tx::Transfer;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

const CONFIG: CircuitConfig = CircuitConfig {
    depth: 1,
    max_txs: 1,
};

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

/// Blocks 1..=n of a chain, one transfer each, as encoded circuits.
fn blocks(n: u64) -> Vec<Vec<u8>> {
    let key = PrivateKey([3; 32]);
    let accounts = [(
        0u32,
        Account {
            public_key: key.public_key(),
            balance: 100,
            nonce: 0,
        },
    )];
    let mut state = State::genesis(CONFIG.depth, accounts).expect("genesis");
    (1..=n)
        .map(|number| {
            let to_key = PrivateKey([4; 32]).public_key();
            let tx = Transfer {
                from: 0,
                to: 2,
                to_public_key: to_key,
                amount: 1,
                fee: 1,
                nonce: number - 1,
            }
            .sign(&chain(), &key);
            let block = Block {
                chain_id: chain(),
                number,
                da_commitment: Hash32::default(),
                txs: vec![tx],
            };
            let w = state.apply_block(&block, 1).expect("valid");
            BlockCircuit::new(CONFIG, &w).expect("fits").to_bytes()
        })
        .collect()
}

/// The mempool's stand-in: forwards what the pool emits to the test.
struct Collector;
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

struct Harness {
    pool: ActorRef<PoolMsg>,
    emitted: mpsc::UnboundedReceiver<ProofEmitted>,
    metrics: PoolMetrics,
}

async fn start_pool(store: SharedStore, config: PoolConfig) -> Harness {
    let (tx, emitted) = mpsc::unbounded_channel();
    let (sink, _) = Actor::spawn(None, Collector, tx).await.expect("collector");
    let metrics = PoolMetrics::new(&prometheus::Registry::new()).expect("metrics");
    let args = PoolArgs {
        store,
        clock: Arc::new(TokioClock::starting_at(0)),
        sink,
        config,
        metrics: metrics.clone(),
    };
    let (pool, _) = Actor::spawn(None, ProverPool, args).await.expect("pool");
    Harness {
        pool,
        emitted,
        metrics,
    }
}

async fn add_prover(pool: &ActorRef<PoolMsg>, seed: u8) {
    let args = ProverArgs {
        keys: BTreeMap::from([(CONFIG, keys())]),
        rng_seed: [seed; 32],
        clock: Arc::new(TokioClock::starting_at(0)),
    };
    let (prover, _) = Actor::spawn(None, Prover, args).await.expect("prover");
    pool.cast(PoolMsg::WorkerJoined(prover))
        .expect("pool alive");
}

async fn submit(pool: &ActorRef<PoolMsg>, circuit: Vec<u8>) -> Result<(), PoolError> {
    ractor::call!(pool, |reply| PoolMsg::ProveBlock { circuit, reply }).expect("pool answers")
}

async fn next(h: &mut Harness) -> bitai_protocol::SubmitProof {
    tokio::time::timeout(Duration::from_secs(120), h.emitted.recv())
        .await
        .expect("a proof within two minutes")
        .expect("collector alive")
        .0
}

fn fast() -> PoolConfig {
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
    let vk = bitai_zk::gnark::write_vk(keys().vk());
    for expected in 1..=3u64 {
        let tx = next(&mut h).await;
        assert_eq!(tx.block_number, expected);
        bitai_zk::verifier::verify_submit_proof(ProofSystem::Groth16Bn254, &vk, &tx)
            .expect("the emitted proof verifies");
    }
    assert_eq!(h.metrics.queue_depth.get(), 0);
    assert_eq!(h.metrics.proofs.get(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_is_retried_on_another_prover() {
    // Long enough for a real proof on a loaded 2-core machine, short enough for a test.
    let config = PoolConfig {
        lease_timeout_ms: 8_000,
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
