//! The prover role's interface: the messages between the pool, its provers and whoever
//! consumes the proofs, and (in [`wire`]) the protocol prover nodes speak over
//! `ractor_cluster`. Everything a prover receives or sends is plain data (bytes and ids), so
//! a prover on another node of the cluster can speak the same protocol.

pub mod wire;

use bitai_protocol::{ChainId, SubmitProof};
use ractor::{ActorId, ActorRef, RpcReplyPort};
use wire::RemoteProverMsg;

/// A block to prove: its chain and number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId {
    /// The chain.
    pub chain_id: ChainId,
    /// The block number.
    pub block_number: u64,
}

impl JobId {
    /// The storage key.
    pub fn key(&self) -> [u8; 40] {
        let mut k = [0u8; 40];
        k[..32].copy_from_slice(self.chain_id.0.as_bytes());
        k[32..].copy_from_slice(&self.block_number.to_be_bytes());
        k
    }

    /// The job a storage key names (None: not a job key).
    pub fn from_key(key: &[u8]) -> Option<Self> {
        if key.len() != 40 {
            return None;
        }
        let mut chain = [0u8; 32];
        chain.copy_from_slice(&key[..32]);
        let number = u64::from_be_bytes(key[32..].try_into().ok()?);
        Some(JobId {
            chain_id: ChainId(bitai_protocol::Hash32(chain)),
            block_number: number,
        })
    }
}

/// Why the pool refused a block.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolError {
    /// The queue is at its bound; try again later (back-pressure).
    #[error("prover queue is full ({0} jobs)")]
    QueueFull(usize),
    /// The block is not a valid encoded circuit.
    #[error("block circuit: {0}")]
    BadCircuit(String),
    /// Storage failed.
    #[error("storage: {0}")]
    Store(String),
}

/// Commands and events of the prover pool (`bitai_prover::ProverPool`).
#[derive(Debug)]
pub enum PoolMsg {
    /// Prove this encoded block circuit; the reply comes once the job is persisted.
    ProveBlock {
        /// `bitai_proofs::circuit::BlockCircuit::to_bytes`.
        circuit: Vec<u8>,
        /// Acknowledgement (or why not).
        reply: RpcReplyPort<Result<(), PoolError>>,
    },
    /// A prover offers itself for work.
    WorkerJoined(ActorRef<ProverMsg>),
    /// A prover finished a lease.
    ProofFinished {
        /// The job.
        job: JobId,
        /// The lease it was given.
        lease_id: u64,
        /// The proof in gnark's format, or why proving failed.
        result: Result<Vec<u8>, String>,
        /// How long proving took, by the prover's clock.
        prove_ms: u64,
    },
    /// A prover on another node joined (the gateway saw it enter group
    /// [`wire::PROVERS_GROUP`]); a prover already known is ignored.
    RemoteJoined {
        /// The remote actor.
        prover: ActorRef<RemoteProverMsg>,
        /// How often it is asked to heartbeat a lease, ms.
        heartbeat_interval_ms: u64,
        /// A lease of this prover without a heartbeat for this long is taken back, ms.
        heartbeat_timeout_ms: u64,
    },
    /// A remote prover left (its node disconnected or it stopped): its lease, if any, goes
    /// back to the queue at once.
    RemoteLeft(ActorId),
    /// A remote prover is still working on a lease.
    Heartbeat {
        /// The lease.
        lease_id: u64,
    },
    /// Periodic check of lease deadlines.
    Tick,
    /// Every job the pool knows, for operators (the node's JSON-RPC): the stored ones and
    /// the most recently emitted, in job order (chain, then block number).
    Jobs {
        /// The answer.
        reply: RpcReplyPort<Vec<JobSummary>>,
    },
}
impl ractor::Message for PoolMsg {}

/// Commands to a prover (`bitai_prover::Prover`).
#[derive(Debug)]
pub enum ProverMsg {
    /// Prove a leased job and report to `pool`.
    Prove {
        /// The job.
        job: JobId,
        /// The lease id to quote back.
        lease_id: u64,
        /// The encoded block circuit.
        circuit: Vec<u8>,
        /// Where to report.
        pool: ActorRef<PoolMsg>,
    },
}
impl ractor::Message for ProverMsg {}

/// Where a job stands, as operators see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobStatus {
    /// Waiting for a prover.
    Pending,
    /// Leased to a prover, not reported yet.
    Leased,
    /// Proved, waiting for an earlier block of its chain to be emitted.
    Proved,
    /// Its `SubmitProof` went to the sink (kept for the last
    /// `bitai_prover::RECENT_EMITTED` jobs since the pool started).
    Emitted,
    /// Given up after too many attempts; kept for an operator.
    Failed,
}

impl JobStatus {
    /// Lower-case name (for JSON).
    pub fn as_str(&self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Leased => "leased",
            JobStatus::Proved => "proved",
            JobStatus::Emitted => "emitted",
            JobStatus::Failed => "failed",
        }
    }
}

/// One job, for operators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSummary {
    /// Chain and block number.
    pub job: JobId,
    /// Where it stands.
    pub state: JobStatus,
    /// Attempts made so far (a lease out counts once it ends).
    pub attempts: u32,
    /// How long its successful proof took, by the prover's clock; `None` until proved, and
    /// for jobs proved before the pool restarted (prove times are not persisted).
    pub prove_ms: Option<u64>,
}

/// A proof ready for the BitAI mempool, emitted in block order per chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofEmitted(pub SubmitProof);
impl ractor::Message for ProofEmitted {}
