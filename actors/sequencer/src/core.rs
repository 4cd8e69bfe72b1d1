//! The sequencer's logic, apart from the actor plumbing: the committed state (after the
//! newest block), the projected state (committed plus every pending transfer, in arrival
//! order), the pending queue, and cutting a block.
//!
//! Checks run against the projected state with the state transition function itself, so a
//! user may send nonces n, n+1, n+2 back to back and a pending transfer is valid exactly
//! when the block that takes it will execute it. Blocks take pending transfers in arrival
//! order, so the projected state stays right when a block is cut.
//!
//! Restart: the accounts after the newest block are persisted with each block, so the state
//! is rebuilt from them (cost: the number of accounts, not the length of the history) and
//! checked against the newest block's recorded root; then the pending transfers are re-run
//! on a copy to rebuild the projected state, dropping (with a log line) any that no longer
//! pass.

use crate::config::{ChainSpec, SequencerConfig, SpecError};
use crate::messages::{BlockSummary, L2TxStatus, SequencerHead, SubmitError};
use crate::metrics::SequencerMetrics;
use crate::store::{BlockRecord, SeqStore};
use bitai_da::{BlockData, DaBlob, DaError, SharedDa};
use bitai_protocol::{ChainId, Hash32};
use bitai_runtime::SharedClock;
use bitai_storage::{Batch, SharedStore, StoreError};
use bitai_zk::circuit::{BlockCircuit, CircuitError};
use bitai_zk::field::fr_to_hash;
use bitai_zk::stf::{Account, Block, State, StfError};
use bitai_zk::tx::SignedTransfer;
use std::collections::{BTreeSet, VecDeque};

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
    Blob(#[from] bitai_da::BlobCodecError),
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

/// A transfer accepted and not yet in a block.
#[derive(Clone, Debug)]
pub(crate) struct PendingTx {
    pub seq: u64,
    pub hash: Hash32,
    pub tx: SignedTransfer,
}

/// The sequencer's state.
pub struct SequencerCore {
    pub(crate) chain_id: ChainId,
    pub(crate) spec: ChainSpec,
    pub(crate) config: SequencerConfig,
    pub(crate) store: SeqStore,
    pub(crate) da: SharedDa,
    pub(crate) clock: SharedClock,
    pub(crate) metrics: SequencerMetrics,
    state: State,
    projected: State,
    pending: VecDeque<PendingTx>,
    pending_hashes: BTreeSet<Hash32>,
    next_seq: u64,
    head: u64,
    head_commitment: Hash32,
    /// Transfers in blocks so far.
    txs_total: u64,
    /// Fees burned by blocks so far.
    fees_total: u64,
    genesis_commitment: Hash32,
    pub(crate) handed_through: u64,
    last_cut_ms: u64,
}

impl SequencerCore {
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
        let state = load_state(&store, spec.circuit.depth)?;
        let last = store.last_block()?;
        let (txs_total, fees_total) = last
            .as_ref()
            .map_or((0, 0), |b| (b.txs_total, b.fees_total));
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
            txs_total,
            fees_total,
        };
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
                Ok((hash, tx)) => {
                    self.pending_hashes.insert(hash);
                    self.pending.push_back(PendingTx { seq, hash, tx });
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

    /// Re-checks a stored pending transfer and applies it to the projected state
    /// (inner error: why it is dropped).
    fn recheck(
        &mut self,
        bytes: &[u8],
    ) -> Result<Result<(Hash32, SignedTransfer), String>, StoreError> {
        let tx = match SignedTransfer::from_bytes(bytes) {
            Ok(tx) => tx,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let hash = tx.hash();
        if self.pending_hashes.contains(&hash) {
            return Ok(Err("duplicate of a pending transfer".into()));
        }
        if self.store.tx_block(&hash)?.is_some() {
            return Ok(Err("already in a block".into()));
        }
        if let Err(e) = self.check(&tx) {
            return Ok(Err(e.to_string()));
        }
        Ok(self
            .projected
            .apply_transfer(&self.chain_id, &tx)
            .map(|_| (hash, tx))
            .map_err(|e| e.to_string()))
    }

    /// The sequencer's own rule beyond the STF's: the fee floor.
    fn check(&self, tx: &SignedTransfer) -> Result<(), SubmitError> {
        let fee = tx.transfer.fee;
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
        let hash = tx.hash();
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
        self.check(tx)?;
        self.projected
            .apply_transfer(&self.chain_id, tx)
            .map_err(|e| SubmitError::from_stf(&e))?;
        let seq = self.next_seq;
        let mut batch = Batch::default();
        self.store.put_pending(&mut batch, seq, &tx.to_bytes());
        if let Err(e) = self.store.write(batch) {
            // The projected state already holds the transfer: rebuild it without.
            self.projected = self.state.clone();
            for p in &self.pending {
                self.projected
                    .apply_transfer(&self.chain_id, &p.tx)
                    .expect("pending transfers applied to this state before");
            }
            return Err(SubmitError::Store(e.to_string()));
        }
        self.next_seq += 1;
        self.pending_hashes.insert(hash);
        self.pending.push_back(PendingTx { seq, hash, tx: *tx });
        self.metrics.pending_txs.set(self.pending.len() as i64);
        Ok(hash)
    }

    /// Whether a block should be cut now: a full block is pending, or the interval passed
    /// with something pending.
    pub fn block_due(&self) -> bool {
        let full = self.pending.len() >= self.spec.circuit.max_txs;
        let timed = !self.pending.is_empty()
            && self.clock.now_ms()
                >= self
                    .last_cut_ms
                    .saturating_add(self.config.block_interval_ms);
        full || timed
    }

    /// Cuts a block of the oldest pending transfers: execute, post to DA, persist (block,
    /// index, accounts, circuit, pending removal) in one batch. Returns the block number, or
    /// None if nothing is pending. On error nothing is persisted and the state is as before.
    pub fn cut_block(&mut self) -> Result<Option<u64>, SequencerError> {
        let take = self.pending.len().min(self.spec.circuit.max_txs);
        if take == 0 {
            return Ok(None);
        }
        let taken: Vec<PendingTx> = self.pending.iter().take(take).cloned().collect();
        let number = self.head + 1;
        let block = Block {
            chain_id: self.chain_id,
            number,
            da_commitment: Hash32::default(),
            txs: taken.iter().map(|p| p.tx).collect(),
            ops: vec![],
        };
        let mut witness = match self.state.apply_block(&block, self.spec.circuit.max_txs, 0) {
            Ok(w) => w,
            Err(e) => {
                // Cannot happen while the projected state is right; drop the offender so
                // the sequencer does not stall on it.
                if let StfError::InBlock { index, .. } = &e {
                    let bad = &taken[*index];
                    tracing::error!(chain = %self.chain_id, seq = bad.seq, error = %e,
                        "pending transfer does not execute; dropped");
                    let mut batch = Batch::default();
                    self.store.delete_pending(&mut batch, bad.seq);
                    self.store.write(batch)?;
                    self.reload_pending()?;
                }
                return Err(e.into());
            }
        };
        match self.persist_block(number, &taken, &mut witness) {
            Ok(()) => Ok(Some(number)),
            Err(e) => {
                // Undo the execution: the store still holds the state before the block.
                self.state = load_state(&self.store, self.spec.circuit.depth)?;
                Err(e)
            }
        }
    }

    fn persist_block(
        &mut self,
        number: u64,
        taken: &[PendingTx],
        witness: &mut bitai_zk::stf::BlockWitness,
    ) -> Result<(), SequencerError> {
        let prev_state_root = fr_to_hash(&witness.prev_root);
        let new_state_root = fr_to_hash(&witness.new_root);
        let blob = DaBlob::Block(BlockData {
            chain_id: self.chain_id,
            number,
            parent: self.head_commitment,
            prev_state_root,
            new_state_root,
            txs: taken.iter().map(|p| p.tx.to_bytes()).collect(),
        })
        .encode()?;
        let da_commitment = self.da.put(&blob)?;
        witness.block.da_commitment = da_commitment;
        let circuit = BlockCircuit::new(self.spec.circuit, witness)?.to_bytes();
        let fees: u64 = taken.iter().map(|p| p.tx.transfer.fee).sum();
        let record = BlockRecord {
            number,
            fees,
            txs_total: self.txs_total + taken.len() as u64,
            fees_total: self.fees_total + fees,
            prev_state_root,
            new_state_root,
            da_commitment,
            tx_hashes: taken.iter().map(|p| p.hash).collect(),
            created_ms: self.clock.now_ms(),
        };
        let mut batch = Batch::default();
        self.store.put_block(&mut batch, &record)?;
        let mut touched = BTreeSet::new();
        for p in taken {
            self.store.put_tx_block(&mut batch, &p.hash, number);
            self.store.delete_pending(&mut batch, p.seq);
            touched.insert(p.tx.transfer.from);
            touched.insert(p.tx.transfer.to);
        }
        for index in touched {
            let account = self
                .state
                .account(index)
                .expect("both ends of an executed transfer exist");
            self.store.put_account(&mut batch, index, account);
        }
        self.store.put_circuit(&mut batch, number, &circuit);
        self.store.write(batch)?;
        for _ in taken {
            if let Some(p) = self.pending.pop_front() {
                self.pending_hashes.remove(&p.hash);
            }
        }
        self.head = number;
        self.txs_total = record.txs_total;
        self.fees_total = record.fees_total;
        self.head_commitment = da_commitment;
        self.last_cut_ms = record.created_ms;
        self.metrics.blocks.inc();
        self.metrics.block_txs.observe(taken.len() as f64);
        self.metrics.head_block.set(number as i64);
        self.metrics.pending_txs.set(self.pending.len() as i64);
        tracing::debug!(chain = %self.chain_id, number, txs = taken.len(), %da_commitment, "block cut");
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
            state_root: self.state.root_hash(),
            da_commitment: self.head_commitment,
            genesis_commitment: self.genesis_commitment,
            pending: self.pending.len(),
            handed_through: self.handed_through,
            txs: self.txs_total,
            fees_burned: self.fees_total,
        }
    }
}

fn load_state(store: &SeqStore, depth: usize) -> Result<State, SequencerError> {
    State::genesis(depth, store.accounts()?)
        .map_err(|e| SequencerError::Inconsistent(format!("stored accounts: {e}")))
}
