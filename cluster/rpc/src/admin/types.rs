//! What `admin_status` and `admin_drain` answer, as JSON. Durations are milliseconds by the
//! node's clock; counters are since the role's proxy started.

use serde::{Deserialize, Serialize};

/// `admin_status`: one node and what it sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminStatus {
    /// The node answering.
    pub node: NodeSelf,
    /// The nodes that joined its cluster, by name.
    pub nodes: Vec<ClusterNodeInfo>,
    /// Its supervised roles, in start order.
    pub roles: Vec<RoleInfo>,
    /// The leases out: blocks being proven, neuron accounts being served.
    pub leases: Vec<LeaseInfo>,
    /// Its queues.
    pub queues: QueueDepths,
}

/// The node answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSelf {
    /// `all`, `bitai`, `chain`, ...
    pub kind: String,
    /// The `bitai` version it runs.
    pub version: String,
    /// Since its roles started, ms.
    pub uptime_ms: u64,
    /// Its public JSON-RPC endpoint, if on.
    pub rpc: Option<String>,
    /// Its cluster listener, if on.
    pub cluster: Option<String>,
}

/// A node that joined the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterNodeInfo {
    /// The name it gave (`bitai prover run --name`, `bitai neuron run --name`).
    pub name: String,
    /// `prover`, `neuron` or `unknown`.
    pub kind: String,
    /// The `bitai` version it runs (`unknown` for a node that did not say).
    pub version: String,
    /// Its address, as its session sees it.
    pub address: String,
    /// Since this node first saw its session, ms.
    pub connected_ms: u64,
    /// Since its most recent heartbeat of a lease it holds, ms; `None` while it holds none.
    pub last_heartbeat_ms: Option<u64>,
    /// Leases it holds.
    pub leases: u32,
}

/// A supervised role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleInfo {
    /// The role's name.
    pub name: String,
    /// Its implementation's version tag.
    pub version: String,
    /// Every version compiled in (what `admin_swap` may run).
    #[serde(default)]
    pub versions: Vec<String>,
    /// Whether an actor runs it now.
    pub running: bool,
    /// Restarts by the supervisor.
    pub restarts: u64,
    /// Messages waiting in its proxy for an actor (`None`: the proxy did not answer).
    pub buffered: Option<u64>,
    /// Messages its proxy delivered.
    pub delivered: Option<u64>,
    /// Messages its proxy refused (buffer full).
    pub refused: Option<u64>,
}

/// A lease out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseInfo {
    /// `proof` (a block being proven) or `neuron` (an account being served).
    pub kind: String,
    /// Who holds it: a node's name, or `local/<i>` for this node's own prover `i`.
    pub holder: String,
    /// What: `CHAIN/BLOCK` or `CHAIN/account/N` (the chain id's first 8 hex digits).
    pub subject: String,
    /// Since the holder's last heartbeat, ms; `None` for a local prover.
    pub heartbeat_ms: Option<u64>,
}

/// Queue depths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDepths {
    /// Blocks waiting for a prover.
    pub prover_pending: u64,
    /// Blocks out to provers.
    pub prover_leased: u64,
    /// Proved blocks waiting for an earlier block of their chain.
    pub prover_proved: u64,
    /// BitAI transactions in the mempool.
    pub mempool: u64,
    /// Inscriber batches not yet confirmed.
    pub inscriber_batches: u64,
}

/// `admin_drain`: the node asked to drain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrainReply {
    /// Its name.
    pub node: String,
    /// Its kind.
    pub kind: String,
    /// Its address.
    pub address: String,
}

/// `admin_swap`: what runs now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapReply {
    /// The role.
    pub role: String,
    /// The version that ran before.
    pub from: String,
    /// The version that runs now.
    pub to: String,
    /// The role's pause: from its first buffered message to the new version serving with
    /// the buffer replayed, microseconds.
    #[serde(default)]
    pub pause_us: u64,
}
