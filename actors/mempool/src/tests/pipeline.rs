//! A slice of the pipeline with every piece real but Bitcoin: blocks executed by the shared
//! state transition function, proved by a prover of the prover pool (simulation backend),
//! emitted through the mempool's role proxy as the pool's sink, accepted in order, handed to
//! the inscriber, then confirmed to the state machine, whose verified root ends equal to the
//! sequencer's.

use super::harness::{config, memory, status, submit, until, World};
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::stf::{Account, Block, State};
use bitai_chain::tx::Transfer;
use bitai_messages::mempool::MempoolMsg;
use bitai_messages::prover::{PoolMsg, ProofEmitted};
use bitai_proofs::circuit::{BlockCircuit, CircuitConfig};
use bitai_proofs::verifier::SIMULATION_VK;
use bitai_protocol::{BitaiTx, ChainLimits, CreateChain, Hash32, ProofSystem};
use bitai_prover::{
    PoolArgs, PoolConfig, PoolMetrics, Prover, ProverArgs, ProverBackend, ProverPool,
};
use bitai_runtime::{RoleRef, Sink, TokioClock};
use bitai_statemachine::StateMachineConfig;
use ractor::Actor;
use std::sync::Arc;

const SHAPE: CircuitConfig = CircuitConfig::new(2, 1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_proofs_flow_through_the_mempool_to_the_inscriber_and_verify_on_the_state_machine() {
    let sm_config = StateMachineConfig {
        allow_simulation_only: true,
        finality_depth: 1,
        ..StateMachineConfig::default()
    };
    let mut w = World::with_state_machine(sm_config.clone()).await;
    let mut cfg = config().with_registry_of(&sm_config.registry_rules(), sm_config.depth());
    cfg.max_pending = 16;

    // The chain: a genesis state with one funded account, registered as SimulationOnly.
    let key = PrivateKey([21; 32]);
    let mut state = State::genesis(
        SHAPE.depth,
        [(
            0u32,
            Account {
                public_key: key.public_key(),
                balance: 1_000,
                nonce: 0,
            },
        )],
    )
    .expect("genesis");
    let create = CreateChain {
        name: "pipeline".into(),
        proof_system: ProofSystem::SimulationOnly,
        verifying_key: SIMULATION_VK.to_vec(),
        genesis_state_root: state.root_hash(),
        limits: ChainLimits {
            max_block_txs: 1,
            max_proof_bytes: 64,
        },
        salt: 8,
    };
    let chain_id = create.chain_id();

    // The mempool behind its role proxy, which is the pool's sink.
    let role = RoleRef::<MempoolMsg>::spawn(None, "mempool", 64)
        .await
        .expect("proxy");
    let m = w.mempool(memory(), cfg).await;
    role.attach(m.clone()).expect("attach");
    let create_id = submit(&m, BitaiTx::CreateChain(create.clone()))
        .await
        .expect("creation accepted");
    let sink: Arc<dyn Sink<ProofEmitted>> = Arc::new(role.clone());
    let pool_args = PoolArgs {
        workers: Vec::new(),
        check: None,
        confirmations: None,
        store: memory(),
        clock: Arc::new(TokioClock::starting_at(0)),
        sink,
        config: PoolConfig {
            lease_timeout_ms: 60_000,
            max_attempts: 3,
            max_queue: 16,
            tick_interval_ms: 50,
        },
        metrics: PoolMetrics::new(&prometheus::Registry::new()).expect("metrics"),
    };
    let (pool, _) = Actor::spawn(None, ProverPool, pool_args)
        .await
        .expect("pool");
    let prover_args = ProverArgs {
        backend: ProverBackend::Simulation,
        rng_seed: [5; 32],
        clock: Arc::new(TokioClock::starting_at(0)),
        faults: Default::default(),
    };
    let (prover, _) = Actor::spawn(None, Prover, prover_args)
        .await
        .expect("prover");
    pool.cast(PoolMsg::WorkerJoined(prover)).expect("pool");

    // Three blocks of one transfer each, executed by the STF, handed to the pool.
    let mut roots = vec![];
    for number in 1..=3u64 {
        let tx = Transfer {
            from: 0,
            to: 1,
            to_public_key: PrivateKey([22; 32]).public_key(),
            amount: 10,
            fee: 1,
            nonce: number - 1,
        }
        .sign(&chain_id, &key);
        let block = Block {
            chain_id,
            number,
            da_commitment: Hash32::sha256(&number.to_be_bytes()),
            txs: vec![tx],
            ops: vec![],
        };
        let witness = state.apply_block(&block, SHAPE.max_txs, 0).expect("valid");
        roots.push(state.root_hash());
        let circuit = BlockCircuit::new(SHAPE, &witness).expect("fits");
        let statement = bitai_prover::statement_of(&circuit.public);
        let circuit = circuit.to_bytes();
        ractor::call!(pool, |reply| PoolMsg::ProveBlock {
            statement,
            circuit,
            reply
        })
        .expect("pool answers")
        .expect("queued");
    }

    let s = until(&m, |s| {
        s.pending.len() == 4 && s.pending.iter().all(|p| p.handed)
    })
    .await;
    assert_eq!(s.accepted_through.get(&chain_id), Some(&3));
    let inscribed = w.inscriptions.ids();
    assert_eq!(inscribed.len(), 4);
    assert_eq!(inscribed[0], create_id);

    // Bitcoin confirms what the inscriber got, in its order.
    let txs: Vec<BitaiTx> = w
        .inscriptions
        .got
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, payload)| bitai_protocol::decode_tx(payload).expect("decodes"))
        .collect();
    w.confirm(&txs);
    let view = w.engine.view();
    assert!(view.rejected.is_empty(), "{:?}", view.rejected);
    let chain = view.chain(&chain_id).expect("registered");
    assert_eq!(chain.verified_block, 3);
    assert_eq!(
        chain.verified_root, roots[2],
        "the sequencer's root at block 3"
    );
    until(&m, |s| s.pending.is_empty()).await;
    assert!(status(&m).await.rejected.is_empty());
}
