//! The state machine's core, without the actor around it: applies one indexer event to the
//! store and to its in-memory mirror of the chains.
//!
//! A connected Bitcoin block executes its BitAI transactions in block order against the
//! chain registry and the verifier contract ([`bitai_contract`]); everything it changes, the
//! undo journal of the prior values, its rejections and the consumer cursor go into one
//! batch. A disconnected block writes its journal's prior values back, in one batch with the
//! cursor, so the state is exactly what it was before the block. Finality: connecting height
//! `T` makes final the L2 blocks verified at height `T + 1 - finality_depth`.

use crate::config::StateMachineConfig;
use crate::metrics::StateMachineMetrics;
use crate::overlay::Overlay;
use crate::records::{
    self, chain_key, height_key, proof_key, verified_key, ChainRecord, FinalityMarks, Journal,
    RejectionRecord, VerifiedRecord, CURSOR_KEYSPACE, JOURNAL, KEYSPACE, MARKS, REJECTED,
};
use bitai_contract as rules;
use bitai_messages::indexer::{ConnectedBlock, ConsumerCursor, Delivery, IndexerEvent};
use bitai_messages::statemachine::{Rejection, StateView, VerifiedBlock, REJECTED_KEPT};
use bitai_protocol::{ChainId, Hash32};
use bitai_storage::{Batch, SharedStore, StoreError};
use bitcoin::BlockHash;
use std::collections::{BTreeMap, VecDeque};

/// Why the state machine cannot go on (the actor stops; its supervisor restarts it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateMachineError {
    /// Storage failed or holds something unreadable.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// A disconnect reached below the kept undo journals: the reorg is deeper than the
    /// finality depth, so the state cannot be rolled back exactly. The indexer's
    /// `reorg_depth_max` must not exceed the state machine's `finality_depth`.
    #[error(
        "no undo journal for block {height} ({hash}): a reorg deeper than the finality depth \
         ({depth}); the state machine halts rather than guess"
    )]
    JournalMissing {
        /// Height of the block to undo.
        height: u64,
        /// Its hash.
        hash: BlockHash,
        /// The configured finality depth.
        depth: u64,
    },
}

/// The state machine's state: its store and the in-memory mirror of what it holds.
pub struct StateMachineEngine {
    config: StateMachineConfig,
    store: SharedStore,
    cursor: ConsumerCursor,
    metrics: StateMachineMetrics,
    tip: Option<(u64, BlockHash)>,
    chains: BTreeMap<ChainId, ChainRecord>,
    rejected: VecDeque<Rejection>,
    next_rejection: u64,
}

impl StateMachineEngine {
    /// Loads the state from `store`.
    pub fn load(
        config: StateMachineConfig,
        store: SharedStore,
        metrics: StateMachineMetrics,
    ) -> Result<Self, StateMachineError> {
        let cursor = ConsumerCursor::new(CURSOR_KEYSPACE, 2 * config.journal_depth() + 2);
        let tip = cursor.tip(store.as_ref())?;
        let mut chains = BTreeMap::new();
        for (k, v) in store.scan_prefix(KEYSPACE, &[records::CHAIN], usize::MAX)? {
            let rec: ChainRecord = records::decode(&k, &v)?;
            chains.insert(chain_id_of(&k)?, rec);
        }
        let mut rejected = VecDeque::new();
        let mut next_rejection = 0;
        for (k, v) in store.scan_prefix(KEYSPACE, &[REJECTED], usize::MAX)? {
            let rec: RejectionRecord = records::decode(&k, &v)?;
            rejected.push_back(rec.view());
            next_rejection = seq_of(&k).map_or(next_rejection, |s| s + 1);
        }
        while rejected.len() > REJECTED_KEPT {
            rejected.pop_front();
        }
        metrics.chains.set(chains.len() as i64);
        Ok(Self {
            config,
            store,
            cursor,
            metrics,
            tip,
            chains,
            rejected,
            next_rejection,
        })
    }

    /// The view of the current state.
    pub fn view(&self) -> StateView {
        StateView {
            tip: self.tip,
            chains: self.chains.iter().map(|(id, r)| (*id, r.view())).collect(),
            rejected: self.rejected.clone(),
        }
    }

    /// The last applied Bitcoin block.
    pub fn tip(&self) -> Option<(u64, BlockHash)> {
        self.tip
    }

    /// A digest of the state: SHA-256 over the tip and every key and value of the keyspace
    /// except the rejection log and the undo journals (which depend on the history of reorgs,
    /// not on the canonical chain). Two state machines that applied the same canonical chain
    /// have the same digest, however many reorgs one went through: what the reorg oracle
    /// compares against a fresh replay.
    pub fn state_digest(&self) -> Result<Hash32, StateMachineError> {
        let mut bytes = Vec::new();
        if let Some((height, hash)) = self.tip {
            bytes.extend_from_slice(&height.to_be_bytes());
            bytes.extend_from_slice(hash.as_ref());
        }
        for (k, v) in self.store.range(KEYSPACE, &[0], None, usize::MAX)? {
            if matches!(k.first(), Some(&REJECTED | &JOURNAL)) {
                continue;
            }
            for part in [&k, &v] {
                bytes.extend_from_slice(&(part.len() as u64).to_be_bytes());
                bytes.extend_from_slice(part);
            }
        }
        Ok(Hash32::sha256(&bytes))
    }

    /// The verified L2 block `number` of `chain`, if verified on the current chain.
    pub fn verified_block(
        &self,
        chain: &ChainId,
        number: u64,
    ) -> Result<Option<VerifiedBlock>, StateMachineError> {
        let key = verified_key(chain, number);
        let Some(v) = self.store.get(KEYSPACE, &key)? else {
            return Ok(None);
        };
        let mut block = records::decode::<VerifiedRecord>(&key, &v)?.view();
        block.proof = self
            .store
            .get(KEYSPACE, &proof_key(chain, number))?
            .unwrap_or_default();
        Ok(Some(block))
    }

    /// Applies `event` if it is new; tells what it did. The caller acknowledges unless the
    /// answer is [`Delivery::OutOfOrder`].
    pub fn apply(&mut self, event: &IndexerEvent) -> Result<Delivery, StateMachineError> {
        let delivery = self.cursor.classify(self.store.as_ref(), event)?;
        if delivery == Delivery::Apply {
            match event {
                IndexerEvent::BlockConnected(b) => self.connect(event, b)?,
                IndexerEvent::BlockDisconnected { height, hash } => {
                    self.disconnect(event, *height, *hash)?
                }
            }
        }
        Ok(delivery)
    }

    fn connect(
        &mut self,
        event: &IndexerEvent,
        b: &ConnectedBlock,
    ) -> Result<(), StateMachineError> {
        let depth = self.config.depth();
        let store = self.store.clone();
        let mut overlay = Overlay::new(store.as_ref());
        let mut working = BTreeMap::new();
        let mut marks = FinalityMarks::new();
        let mut rejections = Vec::new();
        for itx in &b.bitai_txs {
            let kind = itx.tx.kind();
            match self.execute(b, itx, &mut working, &mut overlay, &mut marks)? {
                Ok(()) => {
                    self.metrics.accepted.with_label_values(&[kind]).inc();
                    let block = match &itx.tx {
                        bitai_protocol::BitaiTx::SubmitProof(p) => Some(p.block_number),
                        _ => None,
                    };
                    tracing::info!(height = b.height, txid = %itx.txid, kind,
                        chain = ?rules::chain_of(&itx.tx), block, "BitAI transaction executed");
                }
                Err(e) => {
                    let chain = rules::chain_of(&itx.tx);
                    tracing::warn!(height = b.height, txid = %itx.txid, kind,
                        chain = ?chain, reason = %e, "BitAI transaction rejected");
                    self.metrics
                        .rejected
                        .with_label_values(&[kind, e.label()])
                        .inc();
                    rejections.push(Rejection {
                        bitcoin_height: b.height,
                        txid: itx.txid,
                        kind,
                        chain,
                        reason: e.to_string(),
                        label: e.label(),
                    });
                }
            }
        }
        // Finality: the L2 blocks verified at `b.height + 1 - depth` now have `depth`
        // confirmations.
        if let Some(h) = (b.height + 1).checked_sub(depth) {
            let final_marks = if h == b.height {
                marks.clone()
            } else {
                let key = height_key(MARKS, h);
                match overlay.get(&key)? {
                    Some(v) => records::decode::<FinalityMarks>(&key, &v)?,
                    None => FinalityMarks::new(),
                }
            };
            for m in final_marks {
                if let Some(mut rec) = self.record(&m.chain, &working) {
                    if m.number > rec.final_block {
                        rec.final_block = m.number;
                        rec.final_root = m.root;
                        working.insert(m.chain, rec);
                    }
                }
            }
        }
        if !marks.is_empty() {
            overlay.put(height_key(MARKS, b.height), records::encode(&marks))?;
        }
        let kept = self.config.journal_depth();
        if let Some(old) = b.height.checked_sub(2 * kept) {
            let key = height_key(MARKS, old);
            if overlay.get(&key)?.is_some() {
                overlay.delete(key)?;
            }
        }
        for (id, rec) in &working {
            overlay.put(chain_key(id), records::encode(rec))?;
        }
        let mut batch = Batch::default();
        let journal = overlay.finish(&mut batch);
        batch.put(
            KEYSPACE,
            &height_key(JOURNAL, b.height),
            &records::encode(&journal),
        );
        if let Some(old) = b.height.checked_sub(kept) {
            batch.delete(KEYSPACE, &height_key(JOURNAL, old));
        }
        let first_seq = self.next_rejection;
        for (i, r) in rejections.iter().enumerate() {
            let seq = first_seq + i as u64;
            let rec = RejectionRecord::from_view(r);
            batch.put(KEYSPACE, &height_key(REJECTED, seq), &records::encode(&rec));
            if let Some(old) = seq.checked_sub(REJECTED_KEPT as u64) {
                batch.delete(KEYSPACE, &height_key(REJECTED, old));
            }
        }
        self.cursor.record(event, &mut batch);
        self.store.write(batch)?;

        // Durable: now the mirror.
        self.next_rejection = first_seq + rejections.len() as u64;
        for r in rejections {
            if self.rejected.len() >= REJECTED_KEPT {
                self.rejected.pop_front();
            }
            self.rejected.push_back(r);
        }
        self.chains.extend(working);
        self.tip = Some((b.height, b.hash));
        self.metrics.blocks_connected.inc();
        self.metrics.chains.set(self.chains.len() as i64);
        Ok(())
    }

    fn disconnect(
        &mut self,
        event: &IndexerEvent,
        height: u64,
        hash: BlockHash,
    ) -> Result<(), StateMachineError> {
        let key = height_key(JOURNAL, height);
        let journal: Journal = match self.store.get(KEYSPACE, &key)? {
            Some(v) => records::decode(&key, &v)?,
            None => {
                let depth = self.config.journal_depth();
                tracing::error!(height, %hash, depth, "reorg deeper than the undo journals");
                return Err(StateMachineError::JournalMissing {
                    height,
                    hash,
                    depth,
                });
            }
        };
        let mut batch = Batch::default();
        let mut restored = Vec::new();
        for (k, prior) in &journal.priors {
            match prior {
                Some(v) => batch.put(KEYSPACE, k, v),
                None => batch.delete(KEYSPACE, k),
            };
            if k.first() == Some(&records::CHAIN) {
                let record = prior
                    .as_ref()
                    .map(|v| records::decode::<ChainRecord>(k, v))
                    .transpose()?;
                let id = chain_id_of(k)?;
                restored.push((id, record));
            }
        }
        batch.delete(KEYSPACE, &key);
        self.cursor.record(event, &mut batch);
        self.store.write(batch)?;

        for (id, record) in restored {
            match record {
                Some(r) => self.chains.insert(id, r),
                None => self.chains.remove(&id),
            };
        }
        self.tip = self.cursor.tip(self.store.as_ref())?;
        tracing::warn!(height, %hash, "block disconnected; its BitAI effects undone");
        self.metrics.blocks_disconnected.inc();
        self.metrics.chains.set(self.chains.len() as i64);
        Ok(())
    }
}

mod execute;

fn seq_of(key: &[u8]) -> Option<u64> {
    key.get(1..9)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
}

fn chain_id_of(key: &[u8]) -> Result<ChainId, StoreError> {
    key.get(1..33)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(|b| ChainId(bitai_protocol::Hash32(b)))
        .ok_or_else(|| StoreError::Corrupt {
            keyspace: KEYSPACE.into(),
            key: format!("{key:02x?}"),
            reason: "chain key without a chain id".into(),
        })
}
