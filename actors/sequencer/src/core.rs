//! The sequencer's logic, apart from the actor plumbing: the committed state (after the
//! newest block), the projected state (committed plus every pending transfer, in arrival
//! order), the pending queue, and cutting a block.
//!
//! Checks run against the projected state with the state transition function itself, so a
//! user may send nonces n, n+1, n+2 back to back and a pending transfer is valid exactly
//! when the block that takes it will execute it. Blocks take pending transfers in arrival
//! order, so the projected state stays right when a block is cut.
//!
//! Restart: the accounts and Proof-of-Compute records after the newest block are persisted
//! with each block, so the state is rebuilt from them (cost: the size of the state, not the
//! length of the history) and checked against the newest block's recorded root; then the
//! pending transactions are re-run on a copy to rebuild the projected state, dropping (with a
//! log line) any that no longer pass.
//!
//! Proof-of-Compute ops ([`PocOp`]) queue beside transfers. A block takes the queue's leading
//! transfers that fit its transfer slots (it executes transfers before ops, so a transfer
//! queued after an op waits for a later block), then fills its op slots by priority: queued
//! commits and reveals first, because their windows close (under load a FIFO let requests and
//! settlements crowd them out and honest neurons were slashed as no-shows), then the
//! settlement parts due at its number (due stays due), then the other queued ops; every
//! account's entries keep their queue order, so nonces stay in sequence. Settlement parts
//! execute first in the block. Ops are time-dependent (windows close), so a block is first tried on a copy of the
//! state and an op that no longer executes is dropped with a log line. While requests are
//! open, a block is cut every interval even with nothing queued, so windows elapse and every
//! request settles.

use crate::config::{ChainSpec, SequencerConfig, SpecError};
use crate::metrics::SequencerMetrics;
use crate::store::{BlockRecord, SeqStore};
use bitai_chain::field::fr_to_hash;
use bitai_chain::poc::PocOp;
use bitai_chain::stf::{Account, Block, State, StfError};
use bitai_chain::tx::{SignedTransfer, SIGNED_TRANSFER_BYTES};
use bitai_messages::da::{BlockData, DaBlob, DaError, SharedDa};
use bitai_messages::sequencer::{BlockSummary, L2TxStatus, SequencerHead, SubmitError};
use bitai_proofs::circuit::{BlockCircuit, CircuitError};
use bitai_protocol::{ChainId, Hash32};
use bitai_runtime::SharedClock;
use bitai_storage::{Batch, SharedStore, StoreError};
use std::collections::{BTreeSet, VecDeque};

mod poc;

/// Why the sequencer cannot start or cut a block.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SequencerError {
    /// The chain spec does not hold together.
    #[error("chain spec: {0}")]
    Spec(#[from] SpecError),
    /// The store failed.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// The DA layer failed.
    #[error("DA: {0}")]
    Da(Box<DaError>),
    /// A blob could not be encoded.
    #[error("DA blob: {0}")]
    Blob(#[from] bitai_messages::da::BlobCodecError),
    /// The block's circuit could not be built.
    #[error("circuit: {0}")]
    Circuit(#[from] CircuitError),
    /// The state transition function refused a block of pending transfers.
    #[error("block execution: {0}")]
    Stf(#[from] StfError),
    /// The store disagrees with itself or with the spec.
    #[error("inconsistent store: {0}")]
    Inconsistent(String),
}

impl From<DaError> for SequencerError {
    fn from(e: DaError) -> Self {
        SequencerError::Da(Box::new(e))
    }
}

/// A transaction a sequencer queues: a transfer or a Proof-of-Compute op.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    Transfer(SignedTransfer),
    Op(PocOp),
}

impl Item {
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Item::Transfer(t) => t.to_bytes(),
            Item::Op(o) => o.to_bytes(),
        }
    }

    /// 128 bytes are a transfer, anything else an op (the two encodings never share a length).
    pub fn from_bytes(bytes: &[u8]) -> Result<Item, String> {
        if bytes.len() == SIGNED_TRANSFER_BYTES {
            SignedTransfer::from_bytes(bytes)
                .map(Item::Transfer)
                .map_err(|e| e.to_string())
        } else {
            PocOp::from_bytes(bytes)
                .map(Item::Op)
                .map_err(|e| e.to_string())
        }
    }

    pub fn hash(&self) -> Hash32 {
        match self {
            Item::Transfer(t) => t.hash(),
            Item::Op(o) => o.hash(),
        }
    }

    /// The fee it pays (settlement parts pay none).
    pub fn fee(&self) -> u64 {
        match self {
            Item::Transfer(t) => t.transfer.fee,
            Item::Op(PocOp::Signed(s)) => s.tx.fee,
            Item::Op(PocOp::Settle { .. }) => 0,
        }
    }
}

/// A transaction accepted and not yet in a block.
#[derive(Clone, Debug)]
pub(crate) struct PendingTx {
    pub seq: u64,
    pub hash: Hash32,
    pub item: Item,
}

/// The sequencer's state.
#[derive(Clone)]
pub struct SequencerCore {
    pub(crate) chain_id: ChainId,
    pub(crate) spec: ChainSpec,
    pub(crate) config: SequencerConfig,
    pub(crate) store: SeqStore,
    pub(crate) da: SharedDa,
    pub(crate) clock: SharedClock,
    pub(crate) metrics: SequencerMetrics,
    state: State,
    /// `state`'s root, kept beside it (`Head` is asked often: neurons poll it).
    state_root: Hash32,
    projected: State,
    pending: VecDeque<PendingTx>,
    pending_hashes: BTreeSet<Hash32>,
    next_seq: u64,
    head: u64,
    head_commitment: Hash32,
    /// Transfers in blocks so far.
    txs_total: u64,
    /// Ops in blocks so far.
    ops_total: u64,
    /// Signed ops in blocks so far.
    signed_ops_total: u64,
    /// Stake slashed by blocks so far.
    slashed_total: u64,
    /// Fees burned by blocks so far.
    fees_total: u64,
    genesis_commitment: Hash32,
    pub(crate) handed_through: u64,
    last_cut_ms: u64,
    /// Whether the committed state has requests not fully settled (read every tick, so kept
    /// rather than recounted; it changes only when a block is cut).
    requests_open: bool,
}

impl SequencerCore {
    /// The state a drained version left ([`crate::WarmSlot`]), checked against the store:
    /// the same head block with the same root, else `None` (the caller reloads). The new
    /// version's `config` replaces the old one's.
    pub(crate) fn resume(
        mut self,
        config: SequencerConfig,
    ) -> Result<Option<Self>, SequencerError> {
        let last = self.store.last_block()?;
        let (head, root) = last
            .as_ref()
            .map_or((0, None), |b| (b.number, Some(b.new_state_root)));
        if head != self.head || root.is_some_and(|r| r != self.state_root) {
            return Ok(None);
        }
        self.config = config;
        Ok(Some(self))
    }

    /// Opens the chain on `store`: first start (genesis to DA and store) or restart.
    pub fn open(
        spec: ChainSpec,
        config: SequencerConfig,
        store: SharedStore,
        da: SharedDa,
        clock: SharedClock,
        metrics: SequencerMetrics,
    ) -> Result<Self, SequencerError> {
        let genesis_state = spec.check()?;
        let chain_id = spec.chain_id();
        let store = SeqStore::new(store, chain_id);
        let genesis_blob = DaBlob::Genesis(spec.genesis.clone()).encode()?;
        let genesis_commitment = Hash32::sha256(&genesis_blob);
        match store.genesis()? {
            Some(c) if c != genesis_commitment => {
                return Err(SequencerError::Inconsistent(format!(
                    "stored genesis {c} is not the spec's {genesis_commitment}"
                )))
            }
            Some(_) => {}
            None => {
                let put = da.put(&genesis_blob)?;
                debug_assert_eq!(put, genesis_commitment);
                let mut batch = Batch::default();
                for (index, account) in spec
                    .genesis
                    .accounts
                    .iter()
                    .filter_map(|a| genesis_state.account(a.index).map(|acc| (a.index, *acc)))
                {
                    store.put_account(&mut batch, index, &account);
                }
                store.put_genesis(&mut batch, &genesis_commitment);
                store.write(batch)?;
                tracing::info!(chain = %chain_id, %genesis_commitment, "sequencer: genesis posted to DA");
            }
        }
        let state = load_state(&store, &spec)?;
        let last = store.last_block()?;
        let (txs_total, ops_total, fees_total) = last
            .as_ref()
            .map_or((0, 0, 0), |b| (b.txs_total, b.ops_total, b.fees_total));
        let (signed_ops_total, slashed_total) = last
            .as_ref()
            .map_or((0, 0), |b| (b.signed_ops_total, b.slashed_total));
        let (head, head_commitment, head_root) = match last {
            Some(b) => (b.number, b.da_commitment, b.new_state_root),
            None => (0, genesis_commitment, genesis_state.root_hash()),
        };
        if state.root_hash() != head_root {
            return Err(SequencerError::Inconsistent(format!(
                "stored accounts give root {} but block {head} records {head_root}",
                state.root_hash()
            )));
        }
        let handed_through = store.handed_through()?;
        let now = clock.now_ms();
        let mut core = SequencerCore {
            chain_id,
            state_root: head_root,
            projected: state.clone(),
            state,
            spec,
            config,
            store,
            da,
            clock,
            metrics,
            pending: VecDeque::new(),
            pending_hashes: BTreeSet::new(),
            next_seq: 0,
            head,
            head_commitment,
            genesis_commitment,
            handed_through,
            last_cut_ms: now,
            requests_open: false,
            txs_total,
            ops_total,
            signed_ops_total,
            slashed_total,
            fees_total,
        };
        core.requests_open = !core.state.open_requests().is_empty();
        core.reload_pending()?;
        core.metrics.head_block.set(head as i64);
        core.metrics.handed_through.set(handed_through as i64);
        tracing::info!(chain = %chain_id, head, handed_through, pending = core.pending.len(),
            "sequencer open");
        Ok(core)
    }

    /// Re-reads the pending transfers and re-checks them on a fresh projected state.
    fn reload_pending(&mut self) -> Result<(), SequencerError> {
        self.projected = self.state.clone();
        self.pending.clear();
        self.pending_hashes.clear();
        let mut dropped = Batch::default();
        let stored = self.store.pending()?;
        self.next_seq = stored.last().map_or(0, |(s, _)| s + 1);
        for (seq, bytes) in stored {
            match self.recheck(&bytes)? {
                Ok((hash, item)) => {
                    self.pending_hashes.insert(hash);
                    self.pending.push_back(PendingTx { seq, hash, item });
                }
                Err(reason) => {
                    tracing::warn!(chain = %self.chain_id, seq, %reason,
                        "pending transfer dropped at restart");
                    self.store.delete_pending(&mut dropped, seq);
                }
            }
        }
        if !dropped.is_empty() {
            self.store.write(dropped)?;
        }
        self.metrics.pending_txs.set(self.pending.len() as i64);
        Ok(())
    }

    /// Re-checks a stored pending transaction and applies it to the projected state
    /// (inner error: why it is dropped).
    fn recheck(&mut self, bytes: &[u8]) -> Result<Result<(Hash32, Item), String>, StoreError> {
        let item = match Item::from_bytes(bytes) {
            Ok(item) => item,
            Err(e) => return Ok(Err(e)),
        };
        let hash = item.hash();
        if self.pending_hashes.contains(&hash) {
            return Ok(Err("duplicate of a pending transaction".into()));
        }
        if self.store.tx_block(&hash)?.is_some() {
            return Ok(Err("already in a block".into()));
        }
        if let Err(e) = self.check(&item) {
            return Ok(Err(e.to_string()));
        }
        Ok(self
            .project(&item)
            .map(|_| (hash, item))
            .map_err(|e| e.to_string()))
    }

    /// Applies `item` to the projected state, as the next block would.
    fn project(&mut self, item: &Item) -> Result<(), StfError> {
        match item {
            Item::Transfer(tx) => self.projected.apply_transfer(&self.chain_id, tx).map(drop),
            Item::Op(op) => {
                let root = self.state.root();
                self.projected
                    .apply_op(&self.chain_id, self.head + 1, root, op)
                    .map(drop)
            }
        }
    }

    /// The sequencer's own rules beyond the STF's: the fee floor, and settlement parts come
    /// only from the sequencer itself.
    fn check(&self, item: &Item) -> Result<(), SubmitError> {
        if let Item::Op(PocOp::Settle { .. }) = item {
            return Err(SubmitError::Invalid(
                "settlement parts are added by the sequencer, not submitted".into(),
            ));
        }
        if let Item::Op(op) = item {
            if op.kind() == bitai_chain::poc::PocKind::RequestInference {
                let max = self
                    .config
                    .open_request_limit(self.spec.circuit.max_ops, &self.spec.circuit.poc);
                // The projection holds the queued requests too.
                let open = self.projected.open_requests().len();
                if open >= max {
                    return Err(SubmitError::TooManyOpenRequests { open, max });
                }
            }
        }
        let fee = item.fee();
        if fee < self.config.min_fee {
            return Err(SubmitError::FeeBelowMinimum {
                fee,
                min_fee: self.config.min_fee,
            });
        }
        Ok(())
    }

    /// Accepts `tx` (persisted before `Ok`), or says why not.
    pub fn submit(&mut self, tx: &SignedTransfer) -> Result<Hash32, SubmitError> {
        self.submit_item(Item::Transfer(*tx))
    }

    /// Accepts a Proof-of-Compute op (persisted before `Ok`), or says why not.
    pub fn submit_op(&mut self, op: &PocOp) -> Result<Hash32, SubmitError> {
        self.submit_item(Item::Op(op.clone()))
    }

    fn submit_item(&mut self, item: Item) -> Result<Hash32, SubmitError> {
        let hash = item.hash();
        if self.pending_hashes.contains(&hash) {
            return Ok(hash);
        }
        match self.store.tx_block(&hash) {
            Ok(Some(_)) => return Ok(hash),
            Ok(None) => {}
            Err(e) => return Err(SubmitError::Store(e.to_string())),
        }
        if self.pending.len() >= self.config.max_pending_txs {
            return Err(SubmitError::TooManyPending(self.pending.len()));
        }
        self.check(&item)?;
        self.project(&item).map_err(|e| SubmitError::from_stf(&e))?;
        let seq = self.next_seq;
        let mut batch = Batch::default();
        self.store.put_pending(&mut batch, seq, &item.to_bytes());
        #[cfg(feature = "planted-bugs")]
        if bitai_runtime::planted::on("ack_before_persist") {
            batch = Batch::default();
        }
        if let Err(e) = self.store.write(batch) {
            // The projected state already holds the transaction: rebuild it without.
            self.projected = self.state.clone();
            let pending: Vec<Item> = self.pending.iter().map(|p| p.item.clone()).collect();
            for item in &pending {
                if let Err(e) = self.project(item) {
                    tracing::warn!(chain = %self.chain_id, error = %e,
                        "a pending transaction no longer projects; it will be dropped at the cut");
                }
            }
            return Err(SubmitError::Store(e.to_string()));
        }
        self.next_seq += 1;
        self.pending_hashes.insert(hash);
        self.pending.push_back(PendingTx { seq, hash, item });
        self.metrics.pending_txs.set(self.pending.len() as i64);
        Ok(hash)
    }

    /// Whether a block should be cut now: a full block is pending, or the policy's wait
    /// passed with something pending (open inference requests count blocks, so they are cut
    /// every interval whatever the policy: a window must not stretch).
    pub fn block_due(&self) -> bool {
        let full = self.pending.len() >= self.spec.circuit.max_txs;
        let interval = self.config.block_interval_ms;
        let wait = match self.requests_open {
            true => interval,
            false => self.config.block_policy.wait_ms(interval),
        };
        let waiting = !self.pending.is_empty() || self.requests_open;
        let timed = waiting && self.clock.now_ms() >= self.last_cut_ms.saturating_add(wait);
        full || timed
    }

    /// Cuts a block: the oldest pending transfers, the settlement parts due, then the oldest
    /// pending ops (see the module doc); execute, post to DA, persist (block, index, accounts,
    /// records, circuit, pending removal) in one batch. Returns the block number, or None if
    /// there is nothing to cut. On error nothing is persisted and the state is as before.
    pub fn cut_block(&mut self) -> Result<Option<u64>, SequencerError> {
        let number = self.head + 1;
        let (max_txs, max_ops) = (self.spec.circuit.max_txs, self.spec.circuit.max_ops);
        let mut settles = self.state.settlements_due(number);
        let taken_txs: Vec<PendingTx> = self
            .pending
            .iter()
            .take_while(|p| matches!(p.item, Item::Transfer(_)))
            .take(max_txs)
            .cloned()
            .collect();
        // Commits and reveals first (their windows close), then due settlement parts (due
        // stays due), then the other ops.
        let taken_ops = self.pick_ops(taken_txs.len(), max_ops, |urgent| {
            settles.truncate(max_ops - urgent);
            max_ops - urgent - settles.len()
        });
        let open = self.requests_open;
        if taken_txs.is_empty() && taken_ops.is_empty() && settles.is_empty() && !open {
            return Ok(None);
        }
        // Try the block on a copy: an op whose window closed meanwhile is dropped.
        let prev_root = self.state.root();
        let mut trial = self.state.clone();
        let mut dropped: Vec<(PendingTx, String)> = Vec::new();
        let mut txs = Vec::new();
        let mut ops = Vec::new();
        let mut kept = Vec::new();
        for p in taken_txs.into_iter().chain(taken_ops) {
            let outcome = match &p.item {
                Item::Transfer(tx) => trial.apply_transfer(&self.chain_id, tx).map(drop),
                Item::Op(_) => Ok(()),
            };
            match outcome {
                Ok(()) => kept.push(p),
                Err(e) => dropped.push((p, e.to_string())),
            }
        }
        for p in &kept {
            if let Item::Transfer(tx) = &p.item {
                txs.push(*tx);
            }
        }
        for op in settles {
            match trial.apply_op(&self.chain_id, number, prev_root, &op) {
                Ok(_) => ops.push(op),
                Err(e) => tracing::error!(chain = %self.chain_id, ?op, error = %e,
                    "a due settlement does not execute"),
            }
        }
        let mut included = Vec::new();
        for p in kept {
            match &p.item {
                Item::Transfer(_) => included.push(p),
                Item::Op(op) => match trial.apply_op(&self.chain_id, number, prev_root, op) {
                    Ok(_) => {
                        ops.push(op.clone());
                        included.push(p);
                    }
                    Err(e) => dropped.push((p, e.to_string())),
                },
            }
        }
        for (p, reason) in &dropped {
            tracing::warn!(chain = %self.chain_id, seq = p.seq, hash = %p.hash, %reason,
                "pending transaction no longer executes; dropped");
        }
        if txs.is_empty() && ops.is_empty() && !open {
            self.drop_pending(&dropped)?;
            return Ok(None);
        }
        let block = Block {
            chain_id: self.chain_id,
            number,
            da_commitment: Hash32::default(),
            txs,
            ops,
        };
        let mut witness = self.state.apply_block(&block, max_txs, max_ops)?;
        match self.persist_block(number, &block, &included, &dropped, &mut witness) {
            Ok(()) => {
                self.state_root = fr_to_hash(&witness.new_root);
                if !dropped.is_empty() || !block.ops.is_empty() {
                    // Ops project with the draw and windows of their own time: re-project.
                    self.reload_pending()?;
                }
                Ok(Some(number))
            }
            Err(e) => {
                // Undo the execution: the store still holds the state before the block.
                self.state = load_state(&self.store, &self.spec)?;
                self.state_root = self.state.root_hash();
                Err(e)
            }
        }
    }

    /// Queued ops after the first `skip` queue entries (the transfers taken): up to
    /// `urgent_room` commits and reveals, since their windows close, then as many others as
    /// `other_room(urgent taken)` allows, each in queue order. An account's entries keep their
    /// order: an entry is taken only if every earlier entry of its account is taken too (a
    /// transfer left behind holds its sender's later ops back), so nonces stay in sequence.
    fn pick_ops(
        &self,
        skip: usize,
        urgent_room: usize,
        other_room: impl FnOnce(usize) -> usize,
    ) -> Vec<PendingTx> {
        let urgent = |op: &PocOp| {
            matches!(
                op.kind(),
                bitai_chain::poc::PocKind::Commit | bitai_chain::poc::PocKind::Reveal
            )
        };
        let mut taken: Vec<PendingTx> = Vec::new();
        let mut seqs = BTreeSet::new();
        let mut other_room = Some(other_room);
        let mut room = urgent_room;
        for pass_urgent in [true, false] {
            if !pass_urgent {
                let urgent = taken.len();
                room = urgent + other_room.take().map_or(0, |f| f(urgent));
            }
            let mut held = BTreeSet::new();
            for p in self.pending.iter().skip(skip) {
                if seqs.contains(&p.seq) {
                    continue;
                }
                let account = match &p.item {
                    Item::Transfer(t) => Some(t.transfer.from),
                    Item::Op(PocOp::Signed(s)) => Some(s.tx.account),
                    Item::Op(PocOp::Settle { .. }) => None,
                };
                if account.is_some_and(|a| held.contains(&a)) {
                    continue;
                }
                let take = match &p.item {
                    Item::Op(op) => taken.len() < room && urgent(op) == pass_urgent,
                    Item::Transfer(_) => false,
                };
                if take {
                    seqs.insert(p.seq);
                    taken.push(p.clone());
                } else if let Some(a) = account {
                    held.insert(a);
                }
            }
        }
        taken
    }

    fn drop_pending(&mut self, dropped: &[(PendingTx, String)]) -> Result<(), SequencerError> {
        if dropped.is_empty() {
            return Ok(());
        }
        let mut batch = Batch::default();
        for (p, _) in dropped {
            self.store.delete_pending(&mut batch, p.seq);
        }
        self.store.write(batch)?;
        self.reload_pending()?;
        Ok(())
    }

    fn persist_block(
        &mut self,
        number: u64,
        block: &Block,
        included: &[PendingTx],
        dropped: &[(PendingTx, String)],
        witness: &mut bitai_chain::stf::BlockWitness,
    ) -> Result<(), SequencerError> {
        let prev_state_root = fr_to_hash(&witness.prev_root);
        let new_state_root = fr_to_hash(&witness.new_root);
        let entries: Vec<Item> = block
            .txs
            .iter()
            .map(|t| Item::Transfer(*t))
            .chain(block.ops.iter().cloned().map(Item::Op))
            .collect();
        let blob = DaBlob::Block(BlockData {
            chain_id: self.chain_id,
            number,
            parent: self.head_commitment,
            prev_state_root,
            new_state_root,
            txs: entries.iter().map(Item::to_bytes).collect(),
        })
        .encode()?;
        let da_commitment = self.da.put(&blob)?;
        witness.block.da_commitment = da_commitment;
        let circuit = BlockCircuit::new(self.spec.circuit, witness)?.to_bytes();
        let fees: u64 = entries.iter().map(Item::fee).sum();
        let signed = block
            .ops
            .iter()
            .filter(|o| matches!(o, PocOp::Signed(_)))
            .count() as u64;
        let record = BlockRecord {
            number,
            fees,
            txs_total: self.txs_total + block.txs.len() as u64,
            ops_total: self.ops_total + block.ops.len() as u64,
            signed_ops_total: self.signed_ops_total + signed,
            slashed_total: self.slashed_total + slashed(witness),
            fees_total: self.fees_total + fees,
            prev_state_root,
            new_state_root,
            da_commitment,
            tx_hashes: entries.iter().map(Item::hash).collect(),
            created_ms: self.clock.now_ms(),
        };
        let mut batch = Batch::default();
        self.store.put_block(&mut batch, &record)?;
        for hash in &record.tx_hashes {
            self.store.put_tx_block(&mut batch, hash, number);
        }
        for p in included.iter().chain(dropped.iter().map(|(p, _)| p)) {
            self.store.delete_pending(&mut batch, p.seq);
        }
        let mut touched = BTreeSet::new();
        for t in &block.txs {
            touched.insert(t.transfer.from);
            touched.insert(t.transfer.to);
        }
        touched.extend(witness.ops.iter().map(|w| w.account_index));
        for index in touched {
            let account = self
                .state
                .account(index)
                .expect("every touched account exists after the block");
            self.store.put_account(&mut batch, index, account);
        }
        self.persist_poc(&mut batch, witness);
        self.store.put_circuit(&mut batch, number, &circuit);
        self.store.write(batch)?;
        let gone: BTreeSet<u64> = included
            .iter()
            .chain(dropped.iter().map(|(p, _)| p))
            .map(|p| p.seq)
            .collect();
        for p in self.pending.iter().filter(|p| gone.contains(&p.seq)) {
            self.pending_hashes.remove(&p.hash);
        }
        self.pending.retain(|p| !gone.contains(&p.seq));
        self.head = number;
        self.requests_open = !self.state.open_requests().is_empty();
        self.txs_total = record.txs_total;
        self.ops_total = record.ops_total;
        self.signed_ops_total = record.signed_ops_total;
        self.slashed_total = record.slashed_total;
        self.fees_total = record.fees_total;
        self.head_commitment = da_commitment;
        self.last_cut_ms = record.created_ms;
        self.metrics.blocks.inc();
        self.metrics.block_txs.observe(entries.len() as f64);
        self.metrics.head_block.set(number as i64);
        self.metrics.pending_txs.set(self.pending.len() as i64);
        tracing::debug!(chain = %self.chain_id, number, txs = block.txs.len(),
            ops = block.ops.len(), %da_commitment, "block cut");
        Ok(())
    }

    /// Records that the pool acknowledged blocks through `number`.
    pub fn handed(&mut self, number: u64) -> Result<(), StoreError> {
        if number <= self.handed_through {
            return Ok(());
        }
        let mut batch = Batch::default();
        self.store
            .put_handed(&mut batch, self.handed_through + 1, number);
        self.store.write(batch)?;
        self.handed_through = number;
        self.metrics.handed_through.set(number as i64);
        Ok(())
    }

    /// The newest block's number.
    pub fn head_number(&self) -> u64 {
        self.head
    }

    /// Where a transaction is.
    pub fn tx_status(&self, hash: &Hash32) -> Result<Option<L2TxStatus>, StoreError> {
        if self.pending_hashes.contains(hash) {
            return Ok(Some(L2TxStatus::Pending));
        }
        Ok(self.store.tx_block(hash)?.map(L2TxStatus::InBlock))
    }

    /// An account after the newest block.
    pub fn account(&self, index: u32) -> Option<Account> {
        self.state.account(index).copied()
    }

    /// The committed state (after the newest block).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// A block.
    pub fn block(&self, number: u64) -> Result<Option<BlockSummary>, StoreError> {
        Ok(self.store.block(number)?.map(|r| BlockSummary {
            number: r.number,
            prev_state_root: r.prev_state_root,
            new_state_root: r.new_state_root,
            da_commitment: r.da_commitment,
            tx_hashes: r.tx_hashes,
            created_ms: r.created_ms,
            fees: r.fees,
            handed_to_prover: r.number <= self.handed_through,
        }))
    }

    /// The head.
    pub fn head(&self) -> SequencerHead {
        SequencerHead {
            chain_id: self.chain_id,
            number: self.head,
            state_root: self.state_root,
            da_commitment: self.head_commitment,
            genesis_commitment: self.genesis_commitment,
            pending: self.pending.len(),
            handed_through: self.handed_through,
            txs: self.txs_total,
            ops: self.ops_total,
            fees_burned: self.fees_total,
        }
    }
}

/// Stake the block's settlements slashed: the stake a settlement part took from a neuron.
fn slashed(witness: &bitai_chain::stf::BlockWitness) -> u64 {
    use bitai_chain::poc::ObjectValue;
    witness
        .ops
        .iter()
        .filter(|w| matches!(w.op, PocOp::Settle { .. }))
        .flat_map(|w| w.objects.iter().flatten())
        .map(|t| match (t.before, t.after) {
            (ObjectValue::Neuron(b), ObjectValue::Neuron(a)) => b.stake - a.stake,
            _ => 0,
        })
        .sum()
}

fn load_state(store: &SeqStore, spec: &ChainSpec) -> Result<State, SequencerError> {
    let mut state = State::genesis_with(spec.circuit.depth, spec.circuit.poc, store.accounts()?)
        .map_err(|e| SequencerError::Inconsistent(format!("stored accounts: {e}")))?;
    let (objects, active, counters) = store.poc()?;
    state
        .load_poc(objects, active, counters)
        .map_err(|e| SequencerError::Inconsistent(format!("stored records: {e}")))?;
    Ok(state)
}
