//! The test world: a real state machine engine (on a memory store) whose views feed the
//! mempool, a simulated Bitcoin node for fee estimates, and a recording actor standing in
//! for the inscriber.

use crate::{BitaiMempool, MempoolArgs, MempoolConfig, MempoolMetrics};
use bitai_messages::indexer::{ConnectedBlock, IndexerEvent};
use bitai_messages::inscriber::{InscribeOutcome, InscriberMsg};
use bitai_messages::mempool::{MempoolMsg, MempoolReject, MempoolStatus};
use bitai_messages::statemachine::StateView;
use bitai_protocol::{BitaiTx, Hash32};
use bitai_runtime::{ManualClock, RoleRef};
use bitai_simulation::{SimBitcoin, SimBitcoinConfig};
use bitai_statemachine::testing::{connected_block, groth16_chain, Groth16Chain};
use bitai_statemachine::{StateMachineConfig, StateMachineEngine, StateMachineMetrics};
use bitai_storage::{MemoryStore, SharedStore};
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::watch;

/// The fixture chain: a real devnet Groth16 key, 4 proved blocks.
pub fn chain_a() -> &'static Groth16Chain {
    static A: OnceLock<Groth16Chain> = OnceLock::new();
    A.get_or_init(|| groth16_chain(4, 11))
}

/// An inscription request as recorded: its id and payload.
pub type Request = ([u8; 32], Vec<u8>);

/// What the recording inscriber got, and whether it acknowledges.
#[derive(Clone, Default)]
pub struct Inscriptions {
    pub got: Arc<Mutex<Vec<Request>>>,
    pub refuse: Arc<AtomicBool>,
}

impl Inscriptions {
    pub fn ids(&self) -> Vec<Hash32> {
        self.got
            .lock()
            .expect("lock")
            .iter()
            .map(|(id, _)| Hash32(*id))
            .collect()
    }
}

/// Stands in for the inscriber: records each request and answers Ok (or refuses).
pub struct RecordingInscriber;

impl Actor for RecordingInscriber {
    type Msg = InscriberMsg;
    type State = Inscriptions;
    type Arguments = Inscriptions;

    async fn pre_start(
        &self,
        _myself: ActorRef<InscriberMsg>,
        args: Inscriptions,
    ) -> Result<Inscriptions, ActorProcessingErr> {
        Ok(args)
    }

    async fn handle(
        &self,
        _myself: ActorRef<InscriberMsg>,
        msg: InscriberMsg,
        state: &mut Inscriptions,
    ) -> Result<(), ActorProcessingErr> {
        if let InscriberMsg::Inscribe { id, payload, reply } = msg {
            let answer = if state.refuse.load(Ordering::SeqCst) {
                Err("wallet empty".to_owned())
            } else {
                let mut got = state.got.lock().expect("lock");
                let outcome = if got.iter().any(|(i, _)| *i == id) {
                    InscribeOutcome::Duplicate
                } else {
                    got.push((id, payload));
                    InscribeOutcome::Accepted
                };
                Ok(outcome)
            };
            if let Some(reply) = reply {
                let _ = reply.send(answer);
            }
        }
        Ok(())
    }
}

pub struct World {
    pub engine: StateMachineEngine,
    pub blocks: Vec<ConnectedBlock>,
    pub view: watch::Sender<Arc<StateView>>,
    pub sim: SimBitcoin,
    pub inscriber: RoleRef<InscriberMsg>,
    pub inscriptions: Inscriptions,
}

pub fn config() -> MempoolConfig {
    MempoolConfig {
        max_pending: 8,
        max_fee_rate_sat_per_vb: 50,
        tick_interval_ms: 0,
        hand_timeout_ms: 2_000,
        // Entries leave once final; at depth 1 that is as soon as they land.
        finality_depth: 1,
        ..MempoolConfig::default()
    }
}

impl World {
    pub async fn new() -> World {
        Self::with_state_machine(StateMachineConfig {
            finality_depth: 1,
            ..StateMachineConfig::default()
        })
        .await
    }

    pub async fn with_state_machine(sm_config: StateMachineConfig) -> World {
        let store: SharedStore = Arc::new(MemoryStore::new());
        let metrics = StateMachineMetrics::new(&prometheus::Registry::new()).expect("metrics");
        let engine = StateMachineEngine::load(sm_config, store, metrics).expect("load");
        let (view, _) = watch::channel(Arc::new(engine.view()));
        let sim = SimBitcoin::new(
            SimBitcoinConfig::with_seed(3),
            Arc::new(ManualClock::new(0)),
        )
        .expect("sim");
        let inscriber = RoleRef::<InscriberMsg>::spawn(None, "inscriber", 64)
            .await
            .expect("proxy");
        let inscriptions = Inscriptions::default();
        let (rec, _) = Actor::spawn(None, RecordingInscriber, inscriptions.clone())
            .await
            .expect("spawn");
        inscriber.attach(rec).expect("attach");
        World {
            engine,
            blocks: vec![],
            view,
            sim,
            inscriber,
            inscriptions,
        }
    }

    /// Confirms a Bitcoin block carrying `txs` and publishes the state machine's new view.
    pub fn confirm(&mut self, txs: &[BitaiTx]) {
        let prev = self
            .blocks
            .last()
            .map_or(BlockHash::all_zeros(), |b| b.hash);
        let b = connected_block(500 + self.blocks.len() as u64, prev, 1, txs);
        self.engine
            .apply(&IndexerEvent::BlockConnected(b.clone()))
            .expect("apply");
        self.blocks.push(b);
        self.view.send_replace(Arc::new(self.engine.view()));
    }

    /// Undoes the last Bitcoin block and publishes the view.
    pub fn unconfirm(&mut self) {
        let b = self.blocks.pop().expect("block");
        self.engine
            .apply(&IndexerEvent::BlockDisconnected {
                height: b.height,
                hash: b.hash,
            })
            .expect("apply");
        self.view.send_replace(Arc::new(self.engine.view()));
    }

    pub async fn mempool(&self, store: SharedStore, config: MempoolConfig) -> ActorRef<MempoolMsg> {
        self.mempool_with_view(store, config, self.view.subscribe())
            .await
    }

    pub async fn mempool_with_view(
        &self,
        store: SharedStore,
        config: MempoolConfig,
        view: watch::Receiver<Arc<StateView>>,
    ) -> ActorRef<MempoolMsg> {
        let args = MempoolArgs {
            config,
            store,
            view,
            inscriber: self.inscriber.clone(),
            bitcoin: Arc::new(self.sim.clone()),
            metrics: MempoolMetrics::new(&prometheus::Registry::new()).expect("metrics"),
        };
        let (m, _) = Actor::spawn(None, BitaiMempool, args).await.expect("spawn");
        m
    }
}

pub async fn submit(m: &ActorRef<MempoolMsg>, tx: BitaiTx) -> Result<Hash32, MempoolReject> {
    ractor::call!(m, |reply| MempoolMsg::Submit {
        tx,
        reply: Some(reply)
    })
    .expect("call")
}

pub async fn status(m: &ActorRef<MempoolMsg>) -> MempoolStatus {
    ractor::call!(m, |reply| MempoolMsg::Status { reply }).expect("call")
}

/// Waits until `f(status)` holds (the mempool reacts to view changes asynchronously).
pub async fn until(m: &ActorRef<MempoolMsg>, f: impl Fn(&MempoolStatus) -> bool) -> MempoolStatus {
    for _ in 0..200 {
        let s = status(m).await;
        if f(&s) {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("condition not reached: {:?}", status(m).await);
}

pub fn memory() -> SharedStore {
    Arc::new(MemoryStore::new())
}
