//! The test chain and helpers. The pool stand-in (`RecordingPool`) acknowledges `ProveBlock`
//! (or refuses the first few with `QueueFull`) and reports each decoded block number; the
//! real pool is exercised in `prover`.

use crate::{ChainSpec, Sequencer, SequencerArgs, SequencerConfig, SequencerMetrics};
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::field::fr_to_hash;
use bitai_chain::tx::{SignedTransfer, Transfer};
use bitai_da::EmbeddedDa;
use bitai_messages::da::{GenesisAccount, SharedDa};
use bitai_messages::prover::{PoolError, PoolMsg};
use bitai_messages::sequencer::{L2TxStatus, SequencerHead, SequencerMsg, SubmitError};
use bitai_proofs::circuit::{BlockCircuit, CircuitConfig};
use bitai_protocol::{Hash32, ProofSystem};
use bitai_runtime::{ManualClock, RoleRef};
use bitai_storage::{MemoryStore, SharedStore};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Accounts funded at genesis.
pub const ACCOUNTS: u32 = 10;
/// Each one's genesis balance.
pub const BALANCE: u64 = 1_000_000;
/// Transactions per block in the test chain.
pub const MAX_TXS: usize = 4;
/// The fee every test transfer pays (burned).
pub const FEE: u64 = 1;

pub fn key(i: u32) -> PrivateKey {
    PrivateKey([i as u8 + 1; 32])
}

/// A chain with accounts 0..ACCOUNTS funded, tree depth 4, blocks of `max_txs`.
pub fn spec_with(depth: usize, max_txs: usize, salt: u64) -> ChainSpec {
    let accounts = (0..ACCOUNTS.min(4u32.pow(depth as u32)))
        .map(|i| GenesisAccount {
            index: i,
            public_key: pack_point(&key(i).public_key()),
            balance: BALANCE,
        })
        .collect();
    ChainSpec::new(
        "seq-test".into(),
        ProofSystem::SimulationOnly,
        Vec::new(),
        accounts,
        CircuitConfig::new(depth, max_txs),
        1024,
        salt,
    )
    .expect("a consistent spec")
}

pub fn spec() -> ChainSpec {
    spec_with(4, MAX_TXS, 0)
}

/// A transfer `from -> to` signed by `from`'s key.
pub fn transfer(spec: &ChainSpec, from: u32, to: u32, amount: u64, nonce: u64) -> SignedTransfer {
    Transfer {
        from,
        to,
        to_public_key: key(to).public_key(),
        amount,
        fee: FEE,
        nonce,
    }
    .sign(&spec.chain_id(), &key(from))
}

/// Slow enough that only explicit `Tick`s (and hand-off wake-ups) drive the actor.
pub fn config() -> SequencerConfig {
    SequencerConfig {
        block_interval_ms: 1_000,
        max_pending_txs: 1_000,
        min_fee: 0,
        tick_interval_ms: 3_600_000,
        max_open_requests: 0,
        block_policy: crate::BlockPolicy::Interval,
    }
}

/// The pool stand-in: acknowledges blocks (after refusing the first `refuse` with
/// `QueueFull`) and reports the block number of every acknowledged circuit.
pub struct RecordingPool;

pub struct RecordingState {
    refuse: usize,
    seen: mpsc::UnboundedSender<u64>,
}

impl Actor for RecordingPool {
    type Msg = PoolMsg;
    type State = RecordingState;
    type Arguments = (usize, mpsc::UnboundedSender<u64>);
    async fn pre_start(
        &self,
        _: ActorRef<PoolMsg>,
        (refuse, seen): Self::Arguments,
    ) -> Result<RecordingState, ActorProcessingErr> {
        Ok(RecordingState { refuse, seen })
    }
    async fn handle(
        &self,
        _: ActorRef<PoolMsg>,
        msg: PoolMsg,
        state: &mut RecordingState,
    ) -> Result<(), ActorProcessingErr> {
        if let PoolMsg::ProveBlock {
            statement,
            circuit,
            reply,
        } = msg
        {
            if state.refuse > 0 {
                state.refuse -= 1;
                let _ = reply.send(Err(PoolError::QueueFull(0)));
                return Ok(());
            }
            let decoded = BlockCircuit::from_bytes(&circuit).expect("the sequencer sends circuits");
            let public = &decoded.public;
            assert_eq!(
                (statement.job().block_number, statement.da_commitment),
                (public.block_number, public.da_commitment),
                "the statement beside the circuit is the circuit's own"
            );
            assert_eq!(
                (statement.prev_state_root, statement.new_state_root),
                (fr_to_hash(&public.prev_root), fr_to_hash(&public.new_root)),
            );
            state.seen.send(decoded.public.block_number)?;
            let _ = reply.send(Ok(()));
        }
        Ok(())
    }
}

/// A pool role with a recording pool behind it.
pub async fn recording_pool(refuse: usize) -> (RoleRef<PoolMsg>, mpsc::UnboundedReceiver<u64>) {
    let role = RoleRef::spawn(None, "prover_pool", 64)
        .await
        .expect("proxy");
    let (tx, rx) = mpsc::unbounded_channel();
    let (pool, _) = Actor::spawn(None, RecordingPool, (refuse, tx))
        .await
        .expect("pool");
    role.attach(pool).expect("attach");
    (role, rx)
}

/// Everything a test sequencer runs on.
pub struct World {
    pub spec: ChainSpec,
    pub store: SharedStore,
    pub da: SharedDa,
    pub clock: ManualClock,
    pub pool: RoleRef<PoolMsg>,
}

impl World {
    pub fn new(spec: ChainSpec, store: SharedStore, pool: RoleRef<PoolMsg>) -> Self {
        World {
            da: Arc::new(EmbeddedDa::new(store.clone(), 1 << 20)),
            spec,
            store,
            clock: ManualClock::new(1_000),
            pool,
        }
    }

    pub async fn memory() -> (Self, mpsc::UnboundedReceiver<u64>) {
        let (pool, seen) = recording_pool(0).await;
        (World::new(spec(), Arc::new(MemoryStore::new()), pool), seen)
    }

    pub async fn start(&self, config: SequencerConfig) -> ActorRef<SequencerMsg> {
        self.start_with_clock(config, Arc::new(self.clock.clone()))
            .await
    }

    pub async fn start_with_clock(
        &self,
        config: SequencerConfig,
        clock: bitai_runtime::SharedClock,
    ) -> ActorRef<SequencerMsg> {
        self.start_full(config, clock, crate::WarmSlot::default())
            .await
    }

    /// A sequencer sharing `warm` with the versions before and after it.
    pub async fn start_warm(
        &self,
        config: SequencerConfig,
        warm: crate::WarmSlot,
    ) -> ActorRef<SequencerMsg> {
        self.start_full(config, Arc::new(self.clock.clone()), warm)
            .await
    }

    async fn start_full(
        &self,
        config: SequencerConfig,
        clock: bitai_runtime::SharedClock,
        warm: crate::WarmSlot,
    ) -> ActorRef<SequencerMsg> {
        let metrics = SequencerMetrics::new(&prometheus::Registry::new(), &self.spec.chain_id())
            .expect("metrics");
        let args = SequencerArgs {
            spec: self.spec.clone(),
            config,
            store: self.store.clone(),
            da: self.da.clone(),
            clock,
            pool: self.pool.clone(),
            metrics,
            warm,
        };
        let (seq, _) = Actor::spawn(None, Sequencer, args)
            .await
            .expect("sequencer starts");
        seq
    }
}

pub async fn submit(
    seq: &ActorRef<SequencerMsg>,
    tx: SignedTransfer,
) -> Result<Hash32, SubmitError> {
    ractor::call!(seq, |reply| SequencerMsg::Submit { tx, reply }).expect("sequencer answers")
}

pub async fn head(seq: &ActorRef<SequencerMsg>) -> SequencerHead {
    ractor::call!(seq, |reply| SequencerMsg::Head { reply }).expect("sequencer answers")
}

pub async fn status(seq: &ActorRef<SequencerMsg>, hash: Hash32) -> Option<L2TxStatus> {
    ractor::call!(seq, |reply| SequencerMsg::TxStatus { hash, reply }).expect("sequencer answers")
}

pub async fn block(
    seq: &ActorRef<SequencerMsg>,
    number: u64,
) -> Option<bitai_messages::sequencer::BlockSummary> {
    ractor::call!(seq, |reply| SequencerMsg::Block { number, reply }).expect("sequencer answers")
}

/// Moves the clock past the block interval and ticks: cuts whatever is pending.
pub async fn flush(world: &World, seq: &ActorRef<SequencerMsg>) {
    world.clock.advance(config().block_interval_ms);
    seq.cast(SequencerMsg::Tick).expect("sequencer alive");
    let _ = head(seq).await;
}

/// Waits (bounded) until the pool acknowledged every block.
pub async fn wait_handed(seq: &ActorRef<SequencerMsg>) -> SequencerHead {
    for _ in 0..500 {
        let h = head(seq).await;
        if h.handed_through == h.number {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("blocks not handed to the pool: {:?}", head(seq).await);
}

/// Stops `seq` and waits until it is gone.
pub async fn stop(seq: ActorRef<SequencerMsg>) {
    seq.stop_and_wait(None, None).await.expect("stops");
}
