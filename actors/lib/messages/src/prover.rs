//! The prover role's interface: the messages between the pool, its provers and whoever
//! consumes the proofs, and (in [`wire`]) the protocol prover nodes speak over
//! `ractor_cluster`. Everything a prover receives or sends is plain data (bytes and ids), so
//! a prover on another node of the cluster can speak the same protocol.

pub mod wire;

use bitai_protocol::{ChainId, Hash32, SubmitProof};
use bitai_runtime::Peer;
use ractor::{ActorRef, RpcReplyPort};
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

/// The public statement of a block's proof, as the sequencer that cut the block knows it:
/// the job (chain and number) and the roots and DA commitment its `SubmitProof` claims. It
/// travels beside the encoded circuit so that the pool never decodes the circuit. A statement
/// that does not match its circuit yields a proof the verifier contract refuses (the proof is
/// checked against the statement), so a wrong header costs a retry, never a wrong root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockStatement {
    /// The chain.
    pub chain_id: ChainId,
    /// The L2 block number.
    pub block_number: u64,
    /// The state root before the block.
    pub prev_state_root: Hash32,
    /// The state root after the block.
    pub new_state_root: Hash32,
    /// The block's DA commitment.
    pub da_commitment: Hash32,
}

impl BlockStatement {
    /// Encoded length: chain id, number (big-endian), three hashes.
    pub const BYTES: usize = 32 + 8 + 3 * 32;

    /// The job this statement is.
    pub fn job(&self) -> JobId {
        JobId {
            chain_id: self.chain_id,
            block_number: self.block_number,
        }
    }

    /// The `SubmitProof` carrying `proof` of this statement.
    pub fn submit_proof(&self, proof: Vec<u8>) -> SubmitProof {
        SubmitProof {
            chain_id: self.chain_id,
            block_number: self.block_number,
            prev_state_root: self.prev_state_root,
            new_state_root: self.new_state_root,
            da_commitment: self.da_commitment,
            proof,
        }
    }

    /// Fixed-width encoding (the pool's queue stores it).
    pub fn to_bytes(&self) -> [u8; Self::BYTES] {
        let mut out = [0u8; Self::BYTES];
        out[..32].copy_from_slice(self.chain_id.0.as_bytes());
        out[32..40].copy_from_slice(&self.block_number.to_be_bytes());
        out[40..72].copy_from_slice(self.prev_state_root.as_bytes());
        out[72..104].copy_from_slice(self.new_state_root.as_bytes());
        out[104..].copy_from_slice(self.da_commitment.as_bytes());
        out
    }

    /// Decodes [`Self::to_bytes`] (None: not exactly that many bytes).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != Self::BYTES {
            return None;
        }
        let hash = |at: usize| {
            let mut h = [0u8; 32];
            h.copy_from_slice(&bytes[at..at + 32]);
            Hash32(h)
        };
        Some(BlockStatement {
            chain_id: ChainId(hash(0)),
            block_number: u64::from_be_bytes(bytes[32..40].try_into().ok()?),
            prev_state_root: hash(40),
            new_state_root: hash(72),
            da_commitment: hash(104),
        })
    }
}

/// Why a prover could not prove a job. The pool counts the attempt and leases the job again
/// (to another prover when there is one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProveError {
    /// The job's bytes are not an encoded block circuit.
    #[error("block circuit: {0}")]
    BadCircuit(String),
    /// This prover has no proving key for the circuit's shape (or could not load it).
    #[error("proving key: {0}")]
    NoKey(String),
    /// Proving itself failed.
    #[error("proving: {0}")]
    Proving(String),
    /// The proving task ended without a result.
    #[error("the proving task ended without a result")]
    Lost,
    /// A prover on another node failed; its reason as it sent it.
    #[error("remote prover: {0}")]
    Remote(String),
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
    /// Prove this encoded block circuit; the reply comes once the job is persisted. The pool
    /// works from the statement alone and never decodes the circuit (only the prover that
    /// proves it does).
    ProveBlock {
        /// The block's public statement: which job it is and what its `SubmitProof` claims.
        statement: BlockStatement,
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
        result: Result<Vec<u8>, ProveError>,
        /// How long proving took, by the prover's clock.
        prove_ms: u64,
    },
    /// A prover on another node joined (the gateway saw it in group
    /// [`wire::PROVERS_GROUP`]); a prover already known (by name) is ignored.
    RemoteJoined {
        /// The remote prover, through the cluster transport.
        prover: Peer<RemoteProverMsg>,
        /// How often it is asked to heartbeat a lease, ms.
        heartbeat_interval_ms: u64,
        /// A lease of this prover without a heartbeat for this long is taken back, ms.
        heartbeat_timeout_ms: u64,
    },
    /// The names of every remote prover the gateway sees now: any other remote prover left
    /// (its node disconnected or it stopped), and its lease, if any, goes back to the queue at
    /// once. The whole list, not a difference, so a restarted pool or gateway never keeps a
    /// prover that left while it was down.
    RemoteMembers(Vec<String>),
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
    /// The leases out now, for operators (the admin endpoint), in job order.
    Leases {
        /// The answer.
        reply: RpcReplyPort<Vec<LeaseSummary>>,
    },
}
impl ractor::Message for PoolMsg {}

/// A lease out, for operators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseSummary {
    /// Chain and block number.
    pub job: JobId,
    /// Who holds it: `local/<index>` for a prover of this node, the remote prover's peer
    /// name (its actor id, `NODE.PID`) for one on another node.
    pub holder: String,
    /// How long ago the holder last heartbeat it (or it started), ms; `None` for a local
    /// prover, which does not heartbeat.
    pub heartbeat_age_ms: Option<u64>,
    /// Time left before the lease is taken back regardless, ms.
    pub deadline_in_ms: u64,
}

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
