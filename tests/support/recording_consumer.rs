//! A consumer of indexer events that applies each block "for real": it writes an effect log
//! entry and its cursor update in one batch, then acknowledges, exactly as the state machine
//! will. A scenario replays the effect log to check that every canonical block was applied
//! exactly once net of disconnections.

use bitai_messages::indexer::{Ack, ConsumerCursor, Delivery, IndexerEvent, IndexerMsg};
use bitai_runtime::RoleRef;
use bitai_storage::{Batch, SharedStore};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Txid};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

const LOG: &str = "consumer.log";
const CURSOR: &str = "consumer.cursor";

/// Messages to the consumer.
pub enum ConsumerMsg {
    /// An event from the indexer.
    Event(IndexerEvent),
    /// Report how many events were applied.
    Applied(RpcReplyPort<u64>),
}

impl ractor::Message for ConsumerMsg {}

impl From<IndexerEvent> for ConsumerMsg {
    fn from(e: IndexerEvent) -> Self {
        ConsumerMsg::Event(e)
    }
}

/// One applied effect, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A block applied, with the reveal txids of its BitAI transactions and their bodies.
    Connected {
        /// Height.
        height: u64,
        /// Hash.
        hash: BlockHash,
        /// (reveal txid, encoded BitAI tx) in block order.
        txs: Vec<(Txid, Vec<u8>)>,
    },
    /// A block undone.
    Disconnected {
        /// Height.
        height: u64,
        /// Hash.
        hash: BlockHash,
    },
}

fn encode_effect(e: &Effect) -> Vec<u8> {
    let mut out = Vec::new();
    match e {
        Effect::Connected { height, hash, txs } => {
            out.push(1);
            out.extend_from_slice(&height.to_be_bytes());
            out.extend_from_slice(hash.as_byte_array());
            out.extend_from_slice(&(txs.len() as u32).to_be_bytes());
            for (txid, body) in txs {
                out.extend_from_slice(txid.as_byte_array());
                out.extend_from_slice(&(body.len() as u32).to_be_bytes());
                out.extend_from_slice(body);
            }
        }
        Effect::Disconnected { height, hash } => {
            out.push(0);
            out.extend_from_slice(&height.to_be_bytes());
            out.extend_from_slice(hash.as_byte_array());
        }
    }
    out
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = b.split_at(n);
    *b = tail;
    head
}

fn decode_effect(mut b: &[u8]) -> Effect {
    let kind = take(&mut b, 1)[0];
    let height = u64::from_be_bytes(take(&mut b, 8).try_into().expect("8 bytes"));
    let hash = BlockHash::from_slice(take(&mut b, 32)).expect("32 bytes");
    if kind == 0 {
        return Effect::Disconnected { height, hash };
    }
    let n = u32::from_be_bytes(take(&mut b, 4).try_into().expect("4 bytes"));
    let txs = (0..n)
        .map(|_| {
            let txid = Txid::from_slice(take(&mut b, 32)).expect("32 bytes");
            let len = u32::from_be_bytes(take(&mut b, 4).try_into().expect("4 bytes"));
            (txid, take(&mut b, len as usize).to_vec())
        })
        .collect();
    Effect::Connected { height, hash, txs }
}

/// A block as a scenario compares it: height, hash, and (reveal txid, encoded BitAI
/// transaction) in block order.
pub type ChainEntry = (u64, BlockHash, Vec<(Txid, Vec<u8>)>);

/// Reads the effect log of a consumer from its store, in the order applied.
pub fn effect_log(store: &SharedStore) -> Vec<Effect> {
    store
        .range(LOG, &[], None, usize::MAX)
        .expect("log reads")
        .into_iter()
        .map(|(_, v)| decode_effect(&v))
        .collect()
}

/// The chain the log leaves once disconnections are netted out, checking on the way that no
/// block was applied twice and every disconnect undid the tip. Panics with a description on
/// any violation.
pub fn net_chain(log: &[Effect]) -> Vec<ChainEntry> {
    let mut chain: Vec<ChainEntry> = Vec::new();
    for (i, e) in log.iter().enumerate() {
        match e {
            Effect::Connected { height, hash, txs } => {
                if let Some((h, _, _)) = chain.last() {
                    assert_eq!(
                        *height,
                        h + 1,
                        "effect {i}: connected {height} on top of {h}"
                    );
                }
                chain.push((*height, *hash, txs.clone()));
            }
            Effect::Disconnected { height, hash } => {
                let (h, tip, _) = chain.pop().expect("disconnect with an empty chain");
                assert_eq!(
                    (h, tip),
                    (*height, *hash),
                    "effect {i}: disconnect of a non-tip"
                );
            }
        }
    }
    chain
}

/// The consumer actor.
pub struct RecordingConsumer;

/// Its start-up arguments.
#[derive(Clone)]
pub struct ConsumerArgs {
    /// Where it persists.
    pub store: SharedStore,
    /// Where it acknowledges.
    pub indexer: RoleRef<IndexerMsg>,
    /// Cursor window (the indexer's `reorg_depth_max + 1` or more).
    pub keep: u64,
}

/// Its state.
pub struct ConsumerState {
    args: ConsumerArgs,
    cursor: ConsumerCursor,
    applied: u64,
}

impl Actor for RecordingConsumer {
    type Msg = ConsumerMsg;
    type State = ConsumerState;
    type Arguments = ConsumerArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<ConsumerMsg>,
        args: ConsumerArgs,
    ) -> Result<ConsumerState, ActorProcessingErr> {
        let cursor = ConsumerCursor::new(CURSOR, args.keep);
        Ok(ConsumerState {
            args,
            cursor,
            applied: 0,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<ConsumerMsg>,
        msg: ConsumerMsg,
        state: &mut ConsumerState,
    ) -> Result<(), ActorProcessingErr> {
        let event = match msg {
            ConsumerMsg::Event(e) => e,
            ConsumerMsg::Applied(reply) => {
                let _ = reply.send(state.applied);
                return Ok(());
            }
        };
        let store = &state.args.store;
        match state.cursor.classify(store.as_ref(), &event)? {
            Delivery::OutOfOrder => return Ok(()),
            Delivery::AlreadyApplied => {}
            Delivery::Apply => {
                let effect = match &event {
                    IndexerEvent::BlockConnected(b) => Effect::Connected {
                        height: b.height,
                        hash: b.hash,
                        txs: b
                            .bitai_txs
                            .iter()
                            .map(|t| {
                                (
                                    t.txid,
                                    bitai_protocol::encode_tx(&t.tx).expect("re-encodes"),
                                )
                            })
                            .collect(),
                    },
                    IndexerEvent::BlockDisconnected { height, hash } => Effect::Disconnected {
                        height: *height,
                        hash: *hash,
                    },
                };
                let seq = store.last_in_range(LOG, &[], None)?.map_or(0, |(k, _)| {
                    u64::from_be_bytes(k.as_slice().try_into().expect("8-byte keys")) + 1
                });
                let mut batch = Batch::default();
                batch.put(LOG, &seq.to_be_bytes(), &encode_effect(&effect));
                state.cursor.record(&event, &mut batch);
                store.write(batch)?;
                state.applied += 1;
            }
        }
        let (height, hash) = event.id();
        let _ = state
            .args
            .indexer
            .send(IndexerMsg::Acked(Ack { height, hash }));
        Ok(())
    }
}
