//! [`TestChain`]: a [`ChainPort`] over a real [`State`], for tests of neurons and of the crates
//! that drive them (feature `testing`). It behaves like a sequencer with an embedded DA: a
//! submitted op is checked against the state after the ops already pending (at the next
//! block's number) and queued, or refused with the state transition's reason;
//! [`TestChain::cut_block`] applies the pending ops and then every settlement part due, as one
//! block through `State::apply_block`. Model bytes are published with
//! [`TestChain::publish`]; a request's input is kept from its op's payload.
//!
//! It can also fail on purpose: [`TestChain::set_unavailable`] makes every call answer
//! `NeuronPortError::Unavailable`, as a sequencer that is down would, and
//! [`TestChain::drop_pending`] loses the ops waiting for the next block.

use crate::port::{ChainPort, NeuronPortError};
use async_trait::async_trait;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::poc::{ModelRecord, PocKind, PocOp, PocParams, RequestRecord};
use bitai_chain::stf::{Account, Block, State, StfError};
use bitai_protocol::{ChainId, Hash32};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// Most ops in one test block.
pub const TEST_MAX_OPS: usize = 256;

/// A chain with a sequencer and DA, in memory.
pub struct TestChain {
    chain_id: ChainId,
    inner: Mutex<Inner>,
}

struct Inner {
    /// The state after the head block.
    state: State,
    /// The head block's number.
    head: u64,
    /// Ops accepted for the next block, in order.
    pending: Vec<PocOp>,
    /// `state` with `pending` applied at block `head + 1`.
    pending_state: State,
    /// Request inputs by request id (kept when the request is accepted).
    inputs: BTreeMap<u32, Vec<u8>>,
    /// DA: model bytes by hash.
    models: BTreeMap<Hash32, Vec<u8>>,
    /// Every op of every block, with its block number.
    history: Vec<(u64, PocOp)>,
    /// Whether every call fails.
    unavailable: bool,
}

/// What [`TestChain::cut_block`] made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutBlock {
    /// Its number.
    pub number: u64,
    /// Signed ops it holds.
    pub signed: usize,
    /// Settlement parts it holds.
    pub settled: usize,
}

impl TestChain {
    /// A chain whose genesis holds `accounts` (index, key, balance), with `params`.
    pub fn new(
        chain_id: ChainId,
        depth: usize,
        params: PocParams,
        accounts: &[(u32, PrivateKey, u64)],
    ) -> Result<Self, StfError> {
        let state = State::genesis_with(
            depth,
            params,
            accounts.iter().map(|(i, key, balance)| {
                (
                    *i,
                    Account {
                        public_key: key.public_key(),
                        balance: *balance,
                        nonce: 0,
                    },
                )
            }),
        )?;
        Ok(TestChain {
            chain_id,
            inner: Mutex::new(Inner {
                pending_state: state.clone(),
                state,
                head: 0,
                pending: Vec::new(),
                inputs: BTreeMap::new(),
                models: BTreeMap::new(),
                history: Vec::new(),
                unavailable: false,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .expect("no test thread panics while holding the chain")
    }

    /// The chain id.
    pub fn chain_id(&self) -> ChainId {
        self.chain_id
    }

    /// A copy of the state after the head block.
    pub fn state(&self) -> State {
        self.lock().state.clone()
    }

    /// The head block's number.
    pub fn head_number(&self) -> u64 {
        self.lock().head
    }

    /// Ops waiting for the next block.
    pub fn pending(&self) -> Vec<PocOp> {
        self.lock().pending.clone()
    }

    /// Every op of every block so far, with its block number.
    pub fn history(&self) -> Vec<(u64, PocOp)> {
        self.lock().history.clone()
    }

    /// Puts `bytes` into DA; returns their hash.
    pub fn publish(&self, bytes: Vec<u8>) -> Hash32 {
        let hash = Hash32::sha256(&bytes);
        self.lock().models.insert(hash, bytes);
        hash
    }

    /// Forgets every pending op, as a sequencer that lost its queue would; returns how many.
    pub fn drop_pending(&self) -> usize {
        let mut inner = self.lock();
        let dropped = inner.pending.len();
        inner.pending.clear();
        inner.pending_state = inner.state.clone();
        dropped
    }

    /// Makes every port call fail (true) or work again (false).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.lock().unavailable = unavailable;
    }

    /// Applies the pending ops and the settlement parts then due as the next block.
    pub fn cut_block(&self) -> Result<CutBlock, StfError> {
        let mut inner = self.lock();
        let number = inner.head + 1;
        let due = inner.pending_state.settlements_due(number);
        let mut ops = inner.pending.clone();
        let signed = ops.len();
        ops.extend(due);
        let block = Block {
            chain_id: self.chain_id,
            number,
            da_commitment: Hash32::default(),
            txs: vec![],
            ops,
        };
        inner.state.apply_block(&block, 0, TEST_MAX_OPS)?;
        inner.head = number;
        inner.pending.clear();
        inner.pending_state = inner.state.clone();
        inner
            .history
            .extend(block.ops.iter().map(|op| (number, op.clone())));
        Ok(CutBlock {
            number,
            signed,
            settled: block.ops.len() - signed,
        })
    }

    /// What [`ChainPort::submit`] does, callable outside async code: checks `op` against the
    /// state after the pending ops and queues it, or refuses it with the reason.
    pub fn accept(&self, op: PocOp) -> Result<Hash32, NeuronPortError> {
        let mut inner = self.available()?;
        if matches!(op, PocOp::Settle { .. }) {
            return Err(NeuronPortError::Refused(
                "settlements are added by the sequencer".to_owned(),
            ));
        }
        let number = inner.head + 1;
        let prev_root = inner.state.root();
        let mut next = inner.pending_state.clone();
        next.apply_op(&self.chain_id, number, prev_root, &op)
            .map_err(|e| NeuronPortError::Refused(e.to_string()))?;
        if let PocOp::Signed(s) = &op {
            if s.tx.kind == PocKind::RequestInference {
                let id = next.counters().requests - 1;
                inner.inputs.insert(id, s.payload.clone());
            }
        }
        inner.pending_state = next;
        let id = op.hash();
        inner.pending.push(op);
        Ok(id)
    }

    fn available(&self) -> Result<MutexGuard<'_, Inner>, NeuronPortError> {
        let inner = self.lock();
        if inner.unavailable {
            Err(NeuronPortError::Unavailable(
                "test chain is down".to_owned(),
            ))
        } else {
            Ok(inner)
        }
    }
}

#[async_trait]
impl ChainPort for TestChain {
    async fn params(&self) -> Result<bitai_chain::poc::PocParams, NeuronPortError> {
        Ok(*self.available()?.state.poc_params())
    }

    async fn head(&self) -> Result<u64, NeuronPortError> {
        Ok(self.available()?.head)
    }

    async fn assignments(
        &self,
        account: u32,
    ) -> Result<Vec<(u32, RequestRecord)>, NeuronPortError> {
        let inner = self.available()?;
        let mut open = inner.state.open_requests();
        open.retain(|(_, r)| r.assignees.contains(&account));
        Ok(open)
    }

    async fn model(&self, id: u32) -> Result<Option<ModelRecord>, NeuronPortError> {
        Ok(self.available()?.state.model(id))
    }

    async fn model_bytes(&self, hash: Hash32) -> Result<Option<Vec<u8>>, NeuronPortError> {
        Ok(self.available()?.models.get(&hash).cloned())
    }

    async fn request_input(&self, id: u32) -> Result<Option<Vec<u8>>, NeuronPortError> {
        let inner = self.available()?;
        if id >= inner.state.counters().requests {
            return Ok(None);
        }
        Ok(inner.inputs.get(&id).cloned())
    }

    async fn nonce(&self, account: u32) -> Result<u64, NeuronPortError> {
        let inner = self.available()?;
        inner
            .pending_state
            .account(account)
            .map(|a| a.nonce)
            .ok_or_else(|| NeuronPortError::Invalid(format!("account {account} does not exist")))
    }

    async fn submit(&self, op: PocOp) -> Result<Hash32, NeuronPortError> {
        self.accept(op)
    }
}
