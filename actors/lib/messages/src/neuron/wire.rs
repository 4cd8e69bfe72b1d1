//! The wire protocol between neuron nodes and the node that sequences their chain. Two
//! message types cross nodes:
//!
//! - [`NeuronGatewayMsg`] goes to the chain node's gateway (the member of group
//!   [`NEURON_GATEWAY_GROUP`]): `Ask` one of a neuron's questions (its chain's head, its
//!   assignments, a model, model bytes, a request's input, its nonce) or `Submit` a signed
//!   op (a query of kind [`Query::Submit`]); `Heartbeat` the lease on the accounts the node
//!   serves; `Leave` hands the leases back at once (a drain or a clean stop).
//! - [`NeuronLinkMsg`] goes to a neuron node's link (the one member of its own group
//!   [`link_group`]; every link is also in [`NEURONS_GROUP`]): the `Answer` to an `Ask`,
//!   matched by the ask's id.
//!
//! A link names itself (`link`, unique per process) and the gateway answers through the
//! link's own group, so no side needs the other's actor ids. Everything is best effort: an
//! ask without an answer times out on the neuron's side and is asked again at its next tick.
//!
//! Encoding: [`crate::codec`]: version [`PROTOCOL_VERSION`], a tag, bounded fields. Records
//! travel in the state's own byte form (`ObjectValue::to_bytes`, exact lengths) and ops in
//! their canonical wire form (`PocOp::to_bytes`), so a peer's bytes meet the same decoders as
//! the state's.

use crate::codec::{self, put_bytes, Reader, WireError};
use crate::da::blob::{MAX_BLOB_BYTES, MAX_TX_BYTES};
use bitai_chain::poc::records::ObjectValue;
use bitai_chain::poc::{ModelRecord, PocOp, PocParams, RequestRecord};
use bitai_protocol::{ChainId, Hash32};

/// Process group the chain node's neuron gateway joins.
pub const NEURON_GATEWAY_GROUP: &str = "neuron_gateway";
/// Process group every neuron node's link joins (the operator's view of the neurons).
pub const NEURONS_GROUP: &str = "neurons";
/// Version of this protocol, the first byte of every message.
pub const PROTOCOL_VERSION: u8 = 1;
/// Longest link name.
pub const MAX_LINK_BYTES: usize = 128;
/// Most accounts one heartbeat may lease.
pub const MAX_ACCOUNTS: usize = 256;
/// Most assignments one answer may carry.
pub const MAX_ASSIGNMENTS: usize = 4_096;
/// Largest model or input an answer may carry (a DA blob's bound).
pub const MAX_ANSWER_BYTES: usize = MAX_BLOB_BYTES;
/// Longest failure reason.
pub const MAX_REASON_BYTES: usize = 4 << 10;
/// The `variant` our frames carry in ractor's envelope (informational).
const VARIANT: &str = "bitai.neuron.v1";

/// The group whose one member is the link named `link`.
pub fn link_group(link: &str) -> String {
    format!("neuron_link/{link}")
}

/// A neuron's question to its chain (the `ChainPort` calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// The chain's Proof-of-Compute parameters.
    Params,
    /// The newest L2 block number.
    Head,
    /// Open requests where `account` is an assignee.
    Assignments {
        /// The account.
        account: u32,
    },
    /// Model `id`.
    Model {
        /// The model id.
        id: u32,
    },
    /// The model bytes of this hash (from DA).
    ModelBytes {
        /// SHA-256 of the bytes.
        hash: Hash32,
    },
    /// The input of request `id`.
    RequestInput {
        /// The request id.
        id: u32,
    },
    /// The next nonce of `account`.
    Nonce {
        /// The account.
        account: u32,
    },
    /// A signed op to hand to the sequencer.
    Submit(Box<PocOp>),
}

/// How an ask failed (the `NeuronPortError` kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Retry later.
    Unavailable,
    /// The sequencer (or the gateway's lease rules) refused it.
    Refused,
    /// The question cannot be answered as asked.
    Invalid,
}

/// The answer to an ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The chain's Proof-of-Compute parameters.
    Params(PocParams),
    /// The head block number.
    Head(u64),
    /// Open requests of the account, by id.
    Assignments(Vec<(u32, RequestRecord)>),
    /// The model, if deployed.
    Model(Option<ModelRecord>),
    /// Model bytes or a request input, if known.
    Bytes(Option<Vec<u8>>),
    /// The next nonce.
    Nonce(u64),
    /// The op's id, accepted by the sequencer.
    Submitted(Hash32),
    /// Why not.
    Failed(FailureKind, String),
}

/// To the chain node's neuron gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeuronGatewayMsg {
    /// A question (or a submission) from link `link`, to be answered with `id`.
    Ask {
        /// The asking link's name.
        link: String,
        /// Quoted back in the answer.
        id: u64,
        /// The chain asked about.
        chain: ChainId,
        /// The question.
        query: Query,
    },
    /// Link `link` serves `accounts` of `chain` and is alive: take or renew their leases.
    Heartbeat {
        /// The link.
        link: String,
        /// The chain.
        chain: ChainId,
        /// The neuron accounts it serves.
        accounts: Vec<u32>,
    },
    /// Link `link` hands back its leases on `accounts` of `chain` (it drains or stops).
    Leave {
        /// The link.
        link: String,
        /// The chain.
        chain: ChainId,
        /// The accounts.
        accounts: Vec<u32>,
    },
    /// Local only (never encoded): take back leases whose heartbeats stopped.
    Sweep,
}

/// To a neuron node's link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeuronLinkMsg {
    /// The answer to ask `id`.
    Answer {
        /// The ask's id.
        id: u64,
        /// The answer.
        answer: Answer,
    },
    /// Local only (never encoded): time to heartbeat.
    Beat,
}

const TAG_ASK: u8 = 1;
const TAG_HEARTBEAT: u8 = 2;
const TAG_LEAVE: u8 = 3;
const TAG_ANSWER: u8 = 4;

const Q_HEAD: u8 = 1;
const Q_ASSIGNMENTS: u8 = 2;
const Q_MODEL: u8 = 3;
const Q_MODEL_BYTES: u8 = 4;
const Q_REQUEST_INPUT: u8 = 5;
const Q_NONCE: u8 = 6;
const Q_SUBMIT: u8 = 7;
const Q_PARAMS: u8 = 8;

const A_HEAD: u8 = 1;
const A_ASSIGNMENTS: u8 = 2;
const A_MODEL_NONE: u8 = 3;
const A_MODEL: u8 = 4;
const A_BYTES_NONE: u8 = 5;
const A_BYTES: u8 = 6;
const A_NONCE: u8 = 7;
const A_SUBMITTED: u8 = 8;
const A_FAILED: u8 = 9;
const A_PARAMS: u8 = 10;

impl Query {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Query::Params => out.push(Q_PARAMS),
            Query::Head => out.push(Q_HEAD),
            Query::Assignments { account } => put_u32(out, Q_ASSIGNMENTS, *account),
            Query::Model { id } => put_u32(out, Q_MODEL, *id),
            Query::ModelBytes { hash } => {
                out.push(Q_MODEL_BYTES);
                out.extend_from_slice(hash.as_bytes());
            }
            Query::RequestInput { id } => put_u32(out, Q_REQUEST_INPUT, *id),
            Query::Nonce { account } => put_u32(out, Q_NONCE, *account),
            Query::Submit(op) => {
                out.push(Q_SUBMIT);
                put_bytes(out, &op.to_bytes());
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(match r.u8()? {
            Q_PARAMS => Query::Params,
            Q_HEAD => Query::Head,
            Q_ASSIGNMENTS => Query::Assignments { account: r.u32()? },
            Q_MODEL => Query::Model { id: r.u32()? },
            Q_MODEL_BYTES => Query::ModelBytes { hash: r.hash()? },
            Q_REQUEST_INPUT => Query::RequestInput { id: r.u32()? },
            Q_NONCE => Query::Nonce { account: r.u32()? },
            Q_SUBMIT => {
                let bytes = r.bytes("op", MAX_TX_BYTES)?;
                Query::Submit(Box::new(
                    PocOp::from_bytes(&bytes).map_err(|e| field("op", e))?,
                ))
            }
            tag => return Err(WireError::Tag(tag)),
        })
    }

    /// What the query is, for traces.
    pub fn label(&self) -> String {
        match self {
            Query::Params => "params".into(),
            Query::Head => "head".into(),
            Query::Assignments { account } => format!("assignments of {account}"),
            Query::Model { id } => format!("model {id}"),
            Query::ModelBytes { hash } => format!("model bytes {}", short(hash)),
            Query::RequestInput { id } => format!("input of request {id}"),
            Query::Nonce { account } => format!("nonce of {account}"),
            Query::Submit(op) => format!("submit {}", short(&op.hash())),
        }
    }
}

impl Answer {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Answer::Params(p) => {
                out.push(A_PARAMS);
                for v in [
                    p.commit_window_blocks,
                    p.reveal_window_blocks,
                    p.min_stake,
                    p.slash_amount,
                    p.unbond_delay_blocks,
                ] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Answer::Head(n) => put_u64(out, A_HEAD, *n),
            Answer::Assignments(list) => {
                out.push(A_ASSIGNMENTS);
                out.extend_from_slice(&(list.len() as u32).to_le_bytes());
                for (id, record) in list {
                    out.extend_from_slice(&id.to_le_bytes());
                    put_bytes(out, &ObjectValue::Request(*record).to_bytes());
                }
            }
            Answer::Model(None) => out.push(A_MODEL_NONE),
            Answer::Model(Some(m)) => {
                out.push(A_MODEL);
                put_bytes(out, &ObjectValue::Model(*m).to_bytes());
            }
            Answer::Bytes(None) => out.push(A_BYTES_NONE),
            Answer::Bytes(Some(b)) => {
                out.push(A_BYTES);
                put_bytes(out, b);
            }
            Answer::Nonce(n) => put_u64(out, A_NONCE, *n),
            Answer::Submitted(id) => {
                out.push(A_SUBMITTED);
                out.extend_from_slice(id.as_bytes());
            }
            Answer::Failed(kind, reason) => {
                out.push(A_FAILED);
                out.push(match kind {
                    FailureKind::Unavailable => 0,
                    FailureKind::Refused => 1,
                    FailureKind::Invalid => 2,
                });
                put_bytes(
                    out,
                    codec::bounded_text(reason.clone(), MAX_REASON_BYTES).as_bytes(),
                );
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(match r.u8()? {
            A_PARAMS => Answer::Params(PocParams {
                commit_window_blocks: r.u64()?,
                reveal_window_blocks: r.u64()?,
                min_stake: r.u64()?,
                slash_amount: r.u64()?,
                unbond_delay_blocks: r.u64()?,
            }),
            A_HEAD => Answer::Head(r.u64()?),
            A_ASSIGNMENTS => {
                let n = r.u32()? as usize;
                if n > MAX_ASSIGNMENTS {
                    return Err(WireError::TooLong {
                        what: "assignments",
                        len: n,
                        max: MAX_ASSIGNMENTS,
                    });
                }
                let mut list = Vec::with_capacity(n);
                for _ in 0..n {
                    let id = r.u32()?;
                    match record(r)? {
                        ObjectValue::Request(req) => list.push((id, req)),
                        _ => return Err(field("assignment", "not a request record")),
                    }
                }
                Answer::Assignments(list)
            }
            A_MODEL_NONE => Answer::Model(None),
            A_MODEL => match record(r)? {
                ObjectValue::Model(m) => Answer::Model(Some(m)),
                _ => return Err(field("model", "not a model record")),
            },
            A_BYTES_NONE => Answer::Bytes(None),
            A_BYTES => Answer::Bytes(Some(r.bytes("bytes", MAX_ANSWER_BYTES)?)),
            A_NONCE => Answer::Nonce(r.u64()?),
            A_SUBMITTED => Answer::Submitted(r.hash()?),
            A_FAILED => {
                let kind = match r.u8()? {
                    0 => FailureKind::Unavailable,
                    1 => FailureKind::Refused,
                    2 => FailureKind::Invalid,
                    k => return Err(field("failure kind", k)),
                };
                Answer::Failed(kind, r.text("reason", MAX_REASON_BYTES)?)
            }
            tag => return Err(WireError::Tag(tag)),
        })
    }

    /// What the answer is, for traces.
    pub fn label(&self) -> String {
        match self {
            Answer::Params(_) => "params".into(),
            Answer::Head(n) => format!("head {n}"),
            Answer::Assignments(list) => format!("{} assignments", list.len()),
            Answer::Model(m) => format!("model {}", if m.is_some() { "found" } else { "none" }),
            Answer::Bytes(b) => match b {
                Some(b) => format!("{} bytes", b.len()),
                None => "no bytes".into(),
            },
            Answer::Nonce(n) => format!("nonce {n}"),
            Answer::Submitted(id) => format!("submitted {}", short(id)),
            Answer::Failed(kind, _) => format!("failed ({kind:?})"),
        }
    }
}

impl NeuronGatewayMsg {
    /// The message's bytes; `None` for the local-only [`NeuronGatewayMsg::Sweep`].
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        let mut out = vec![PROTOCOL_VERSION];
        match self {
            NeuronGatewayMsg::Ask {
                link,
                id,
                chain,
                query,
            } => {
                out.push(TAG_ASK);
                put_bytes(&mut out, link.as_bytes());
                out.extend_from_slice(&id.to_le_bytes());
                out.extend_from_slice(chain.0.as_bytes());
                query.put(&mut out);
            }
            NeuronGatewayMsg::Heartbeat {
                link,
                chain,
                accounts,
            }
            | NeuronGatewayMsg::Leave {
                link,
                chain,
                accounts,
            } => {
                out.push(if matches!(self, NeuronGatewayMsg::Leave { .. }) {
                    TAG_LEAVE
                } else {
                    TAG_HEARTBEAT
                });
                put_bytes(&mut out, link.as_bytes());
                out.extend_from_slice(chain.0.as_bytes());
                out.extend_from_slice(&(accounts.len() as u32).to_le_bytes());
                for a in accounts {
                    out.extend_from_slice(&a.to_le_bytes());
                }
            }
            NeuronGatewayMsg::Sweep => return None,
        }
        Some(out)
    }

    /// Decodes bytes from a peer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes, PROTOCOL_VERSION)?;
        let msg = match r.u8()? {
            TAG_ASK => NeuronGatewayMsg::Ask {
                link: r.text("link", MAX_LINK_BYTES)?,
                id: r.u64()?,
                chain: ChainId(r.hash()?),
                query: Query::read(&mut r)?,
            },
            tag @ (TAG_HEARTBEAT | TAG_LEAVE) => {
                let link = r.text("link", MAX_LINK_BYTES)?;
                let chain = ChainId(r.hash()?);
                let n = r.u32()? as usize;
                if n > MAX_ACCOUNTS {
                    return Err(WireError::TooLong {
                        what: "accounts",
                        len: n,
                        max: MAX_ACCOUNTS,
                    });
                }
                let accounts = (0..n).map(|_| r.u32()).collect::<Result<_, _>>()?;
                if tag == TAG_LEAVE {
                    NeuronGatewayMsg::Leave {
                        link,
                        chain,
                        accounts,
                    }
                } else {
                    NeuronGatewayMsg::Heartbeat {
                        link,
                        chain,
                        accounts,
                    }
                }
            }
            tag => return Err(WireError::Tag(tag)),
        };
        r.finish()?;
        Ok(msg)
    }
}

impl NeuronLinkMsg {
    /// The message's bytes; `None` for the local-only [`NeuronLinkMsg::Beat`].
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        let NeuronLinkMsg::Answer { id, answer } = self else {
            return None;
        };
        let mut out = vec![PROTOCOL_VERSION, TAG_ANSWER];
        out.extend_from_slice(&id.to_le_bytes());
        answer.put(&mut out);
        Some(out)
    }

    /// Decodes bytes from a peer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes, PROTOCOL_VERSION)?;
        let msg = match r.u8()? {
            TAG_ANSWER => NeuronLinkMsg::Answer {
                id: r.u64()?,
                answer: Answer::read(&mut r)?,
            },
            tag => return Err(WireError::Tag(tag)),
        };
        r.finish()?;
        Ok(msg)
    }
}

fn put_u32(out: &mut Vec<u8>, tag: u8, v: u32) {
    out.push(tag);
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, tag: u8, v: u64) {
    out.push(tag);
    out.extend_from_slice(&v.to_le_bytes());
}

/// A record in the state's byte form (its exact length is checked by its decoder).
fn record(r: &mut Reader<'_>) -> Result<ObjectValue, WireError> {
    let bytes = r.bytes("record", 1 << 10)?;
    ObjectValue::from_bytes(&bytes).map_err(|e| field("record", e))
}

fn field(what: &'static str, reason: impl std::fmt::Display) -> WireError {
    WireError::Field {
        what,
        reason: reason.to_string(),
    }
}

fn short(hash: &Hash32) -> String {
    hash.to_string()[..8].to_owned()
}

fn chain_label(chain: &ChainId) -> String {
    chain.to_string()[..8].to_owned()
}

impl bitai_runtime::WireMessage for NeuronGatewayMsg {
    fn to_wire(&self) -> Option<Vec<u8>> {
        self.to_bytes()
    }

    fn from_wire(bytes: &[u8]) -> Result<Self, String> {
        Self::from_bytes(bytes).map_err(|e| e.to_string())
    }

    fn label(&self) -> String {
        match self {
            NeuronGatewayMsg::Ask {
                link,
                id,
                chain,
                query,
            } => format!(
                "ask {id} from {link} on {}: {}",
                chain_label(chain),
                query.label()
            ),
            NeuronGatewayMsg::Heartbeat {
                link,
                chain,
                accounts,
            } => format!(
                "heartbeat from {link} on {} for {accounts:?}",
                chain_label(chain)
            ),
            NeuronGatewayMsg::Leave {
                link,
                chain,
                accounts,
            } => format!("leave of {link} on {} for {accounts:?}", chain_label(chain)),
            NeuronGatewayMsg::Sweep => "sweep".into(),
        }
    }
}

impl bitai_runtime::WireMessage for NeuronLinkMsg {
    fn to_wire(&self) -> Option<Vec<u8>> {
        self.to_bytes()
    }

    fn from_wire(bytes: &[u8]) -> Result<Self, String> {
        Self::from_bytes(bytes).map_err(|e| e.to_string())
    }

    fn label(&self) -> String {
        match self {
            NeuronLinkMsg::Answer { id, answer } => format!("answer {id}: {}", answer.label()),
            NeuronLinkMsg::Beat => "beat".into(),
        }
    }
}

codec::cluster_message!(NeuronGatewayMsg, VARIANT, "neuron ask", "a neuron node");
codec::cluster_message!(NeuronLinkMsg, VARIANT, "neuron answer", "the chain node");

#[cfg(test)]
mod tests;
