//! The devnet's consumer of indexer events until the state machine takes its place: it keeps
//! the delivery contract (cursor and counters written in one batch, then the
//! acknowledgement), logs each block and BitAI transaction, and reports counts to the
//! progress display.

use bitai_indexer::{ConsumerCursor, Delivery, IndexerEvent, IndexerMsg};
use bitai_runtime::RoleRef;
use bitai_storage::{Batch, SharedStore};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

const CURSOR: &str = "chain_log.cursor";
const COUNTS: &str = "chain_log.counts";
const BITAI_TXS_KEY: &[u8] = b"bitai_txs";

/// Messages to the chain log.
pub enum ChainLogMsg {
    /// An event from the indexer.
    Event(IndexerEvent),
    /// Report the tip applied and the BitAI transactions seen on the current chain.
    Status(RpcReplyPort<ChainLogStatus>),
}

impl ractor::Message for ChainLogMsg {}

impl From<IndexerEvent> for ChainLogMsg {
    fn from(e: IndexerEvent) -> Self {
        ChainLogMsg::Event(e)
    }
}

/// What the chain log has applied.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChainLogStatus {
    /// The last block applied.
    pub tip: Option<(u64, bitcoin::BlockHash)>,
    /// BitAI transactions in the applied chain.
    pub bitai_txs: u64,
}

/// The chain log actor.
pub struct ChainLog;

/// Its arguments.
#[derive(Clone)]
pub struct ChainLogArgs {
    /// The node's store.
    pub store: SharedStore,
    /// Where acknowledgements go.
    pub indexer: RoleRef<IndexerMsg>,
    /// Cursor window.
    pub keep: u64,
}

/// Its state.
pub struct ChainLogState {
    args: ChainLogArgs,
    cursor: ConsumerCursor,
    /// BitAI transactions in the applied chain: read from the store at start, then kept in
    /// step with every batch written.
    bitai_txs: u64,
}

fn height_key(height: u64) -> [u8; 9] {
    let mut k = [b'h'; 9];
    k[1..].copy_from_slice(&height.to_be_bytes());
    k
}

fn bitai_txs(store: &SharedStore) -> Result<u64, bitai_storage::StoreError> {
    Ok(store
        .get(COUNTS, BITAI_TXS_KEY)?
        .and_then(|v| v.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0))
}

impl Actor for ChainLog {
    type Msg = ChainLogMsg;
    type State = ChainLogState;
    type Arguments = ChainLogArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<ChainLogMsg>,
        args: ChainLogArgs,
    ) -> Result<ChainLogState, ActorProcessingErr> {
        let cursor = ConsumerCursor::new(CURSOR, args.keep);
        let bitai_txs = bitai_txs(&args.store)?;
        Ok(ChainLogState {
            args,
            cursor,
            bitai_txs,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<ChainLogMsg>,
        msg: ChainLogMsg,
        state: &mut ChainLogState,
    ) -> Result<(), ActorProcessingErr> {
        let store = &state.args.store;
        let event = match msg {
            ChainLogMsg::Event(e) => e,
            ChainLogMsg::Status(reply) => {
                let tip = state.cursor.tip(store.as_ref())?;
                let _ = reply.send(ChainLogStatus {
                    tip,
                    bitai_txs: state.bitai_txs,
                });
                return Ok(());
            }
        };
        match state.cursor.classify(store.as_ref(), &event)? {
            Delivery::OutOfOrder => return Ok(()),
            Delivery::AlreadyApplied => {}
            Delivery::Apply => {
                let mut count = state.bitai_txs;
                let mut batch = Batch::default();
                match &event {
                    IndexerEvent::BlockConnected(b) => {
                        count += b.bitai_txs.len() as u64;
                        let n = b.bitai_txs.len() as u64;
                        batch.put(COUNTS, &height_key(b.height), &n.to_be_bytes());
                        if let Some(old) = b.height.checked_sub(state.args.keep) {
                            batch.delete(COUNTS, &height_key(old));
                        }
                        tracing::info!(height = b.height, hash = %b.hash,
                            bitai_txs = b.bitai_txs.len(), "block connected");
                        for t in &b.bitai_txs {
                            tracing::info!(txid = %t.txid, kind = t.tx.kind(), "BitAI transaction");
                        }
                    }
                    IndexerEvent::BlockDisconnected { height, hash } => {
                        tracing::warn!(height, %hash, "block disconnected");
                        let n = store
                            .get(COUNTS, &height_key(*height))?
                            .and_then(|v| v.try_into().ok())
                            .map(u64::from_be_bytes)
                            .unwrap_or(0);
                        count = count.saturating_sub(n);
                        batch.delete(COUNTS, &height_key(*height));
                    }
                }
                batch.put(COUNTS, BITAI_TXS_KEY, &count.to_be_bytes());
                state.cursor.record(&event, &mut batch);
                store.write(batch)?;
                state.bitai_txs = count;
            }
        }
        let _ = state.args.indexer.send(IndexerMsg::Acked(event.ack()));
        Ok(())
    }
}
