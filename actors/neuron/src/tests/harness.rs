//! The world of the scenarios: a test chain with a user and four neuron accounts, the LeNet-5
//! model deployed, neurons spawned as actors over one shared memory store, and blocks cut on
//! a fixed schedule of paused tokio time.

use crate::config::{BackendChoice, NeuronArgs, NeuronConfig, NeuronFaults};
use crate::ops::register_op;
use crate::testing::TestChain;
use crate::{Neuron, NeuronMsg};
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::field::Fr;
use bitai_chain::poc::{hash_halves, PocKind, PocOp, PocParams, PocTx, RequestRecord};
use bitai_protocol::{ChainId, Hash32};
use bitai_runtime::TokioClock;
use bitai_storage::{MemoryStore, SharedStore};
use ractor::{Actor, ActorRef};
use std::sync::Arc;
use std::time::Duration;

/// The requester.
pub const USER: u32 = 1;
/// The neuron accounts.
pub const NEURONS: [u32; 3] = [10, 11, 12];
/// Every account's genesis balance.
pub const BALANCE: u64 = 100_000;
/// Each neuron's stake.
pub const STAKE: u64 = 5_000;
/// Ticks of every neuron.
pub const POLL_MS: u64 = 100;
/// Time between blocks: several ticks of every neuron.
pub const BLOCK_MS: u64 = 1_000;

pub fn key(account: u32) -> PrivateKey {
    PrivateKey([account as u8; 32])
}

pub fn chain_id() -> ChainId {
    ChainId(Hash32::sha256(b"neuron test chain"))
}

/// The chain, the store the neurons share, and the running neurons.
pub struct World {
    pub chain: Arc<TestChain>,
    pub store: SharedStore,
    pub params: PocParams,
    user_nonce: u64,
}

impl World {
    /// Genesis, the three neurons registered, LeNet-5 deployed (model 0).
    pub fn new() -> World {
        let params = PocParams::DEFAULT;
        let accounts: Vec<_> = [USER]
            .into_iter()
            .chain(NEURONS)
            .map(|a| (a, key(a), BALANCE))
            .collect();
        let chain = Arc::new(TestChain::new(chain_id(), 4, params, &accounts).expect("genesis"));
        let mut world = World {
            chain,
            store: Arc::new(MemoryStore::new()),
            params,
            user_nonce: 0,
        };
        for n in NEURONS {
            let op = register_op(&key(n), &chain_id(), n, STAKE, 0, 1);
            world.submit(op);
        }
        world.cut();
        let bytes = super::lenet().bytes().to_vec();
        let hash = world.chain.publish(bytes.clone());
        let deploy = world.user_op(
            PocKind::DeployModel,
            0,
            bytes.len() as u64,
            hash_halves(&hash),
            vec![],
        );
        world.submit(deploy);
        world.cut();
        world
    }

    pub fn submit(&self, op: PocOp) -> Hash32 {
        self.chain.accept(op).expect("the test op is accepted")
    }

    fn user_op(
        &mut self,
        kind: PocKind,
        target: u32,
        amount: u64,
        data: [Fr; 2],
        payload: Vec<u8>,
    ) -> PocOp {
        let tx = PocTx {
            kind,
            account: USER,
            target,
            amount,
            nonce: self.user_nonce,
            fee: 1,
            data,
        };
        self.user_nonce += 1;
        PocOp::Signed(tx.sign(&chain_id(), &key(USER), payload))
    }

    /// Requests LeNet-5 on `input` with `escrow` and cuts the block; returns the request id.
    pub fn request(&mut self, input: Vec<u8>, escrow: u64) -> u32 {
        let halves = hash_halves(&Hash32::sha256(&input));
        let op = self.user_op(PocKind::RequestInference, 0, escrow, halves, input);
        self.submit(op);
        self.cut();
        self.chain.state().counters().requests - 1
    }

    pub fn cut(&self) {
        self.chain
            .cut_block()
            .expect("the test chain's blocks apply");
    }

    /// The request as of the head.
    pub fn request_record(&self, id: u32) -> RequestRecord {
        self.chain.state().request(id).expect("request exists")
    }

    /// Arguments of neuron `account` on this world's chain and store.
    pub fn args(&self, account: u32, faults: NeuronFaults) -> NeuronArgs {
        NeuronArgs {
            account,
            key: key(account),
            chain_id: chain_id(),
            params: self.params,
            port: self.chain.clone(),
            store: self.store.clone(),
            clock: Arc::new(TokioClock::starting_at(1_700_000_000_000)),
            config: NeuronConfig {
                poll_interval_ms: POLL_MS,
                ..NeuronConfig::default()
            },
            backend: BackendChoice::Cpu { threads: 1 },
            registry: None,
            faults,
        }
    }

    /// Spawns neuron `account`.
    pub async fn spawn(&self, account: u32, faults: NeuronFaults) -> ActorRef<NeuronMsg> {
        let (actor, _handle) = Actor::spawn(None, Neuron, self.args(account, faults))
            .await
            .expect("neuron starts");
        actor
    }

    /// Lets the neurons tick for one block time, then cuts a block.
    pub async fn block(&self) {
        tokio::time::sleep(Duration::from_millis(BLOCK_MS)).await;
        self.cut();
    }

    /// Cuts blocks (neurons ticking between them) until request `id` is fully settled, at
    /// most `max` blocks; returns how many it took.
    pub async fn until_settled(&self, id: u32, max: usize) -> usize {
        for n in 1..=max {
            self.block().await;
            if self.request_record(id).fully_settled() {
                return n;
            }
        }
        panic!("request {id} not settled after {max} blocks");
    }

    pub fn balance(&self, account: u32) -> u64 {
        self.chain
            .state()
            .account(account)
            .expect("account")
            .balance
    }

    pub fn nonce(&self, account: u32) -> u64 {
        self.chain.state().account(account).expect("account").nonce
    }

    /// Ops of `kind` signed by `account` that made it into blocks.
    pub fn ops_in_blocks(&self, account: u32, kind: PocKind) -> usize {
        self.chain
            .history()
            .iter()
            .filter(|(_, op)| match op {
                PocOp::Signed(s) => s.tx.account == account && s.tx.kind == kind,
                PocOp::Settle { .. } => false,
            })
            .count()
    }
}
