//! The node's admin endpoint ([`bitai_rpc::admin`]) over its running graph: `admin_status`
//! gathers the node itself, the nodes in its cluster ([`roster`]), every supervised role
//! (the supervisor's restarts and version tags, each role proxy's counters), the leases out
//! (the prover pool's and the neuron gateway's) and the queue depths; `admin_drain` sends a
//! joined node the control protocol's drain ([`bitai_messages::control`]); `admin_swap` asks
//! the supervisor to run another version of a role ([`bitai_runtime::SupervisorMsg::Swap`]).

pub mod roster;

use crate::pipeline::Pipeline;
use async_trait::async_trait;
use bitai_messages::control::{NodeControlMsg, CONTROL_GROUP};
use bitai_messages::inscriber::InscriberMsg;
use bitai_messages::mempool::MempoolMsg;
use bitai_messages::prover::{JobStatus, LeaseSummary, PoolMsg};
use bitai_rpc::admin::types::NodeSelf;
use bitai_rpc::admin::{
    AdminApi, AdminStatus, ClusterNodeInfo, DrainReply, LeaseInfo, QueueDepths, RoleInfo, SwapReply,
};
use bitai_rpc::ApiError;
use bitai_runtime::{PgTransport, SupervisorMsg, Transport};
use bitai_transport::ClusterNode;
use roster::Roster;
use std::collections::BTreeMap;

/// How long the endpoint waits for each role's answer, ms.
const ASK_TIMEOUT_MS: u64 = 2_000;

/// What the admin endpoint reads: the graph, the node's own addresses and its cluster.
pub struct NodeAdmin {
    kind: String,
    rpc: Option<String>,
    cluster: Option<String>,
    started_ms: u64,
    supervisor: ractor::ActorRef<SupervisorMsg>,
    pool: bitai_runtime::RoleRef<PoolMsg>,
    mempool: bitai_runtime::RoleRef<MempoolMsg>,
    inscriber: Option<bitai_runtime::RoleRef<InscriberMsg>>,
    neuron_leases: bitai_neuron::remote::gateway::LeaseBoard,
    clock: bitai_runtime::SharedClock,
    roster: Roster,
}

impl NodeAdmin {
    /// The admin view of `p`, a node of `kind` whose public API is at `rpc` and whose
    /// cluster listens at `cluster` (with `roster` following its sessions).
    pub fn new(
        p: &Pipeline,
        kind: &str,
        rpc: Option<String>,
        cluster: Option<String>,
        roster: Roster,
    ) -> Self {
        NodeAdmin {
            kind: kind.to_owned(),
            rpc,
            cluster,
            started_ms: p.clock.now_ms(),
            supervisor: p.supervisor.clone(),
            pool: p.pool.clone(),
            mempool: p.mempool.clone(),
            inscriber: p.bitai.as_ref().map(|b| b.inscriber.clone()),
            neuron_leases: p.neuron_leases.clone(),
            clock: p.clock.clone(),
            roster,
        }
    }

    async fn roles(&self) -> Result<Vec<RoleInfo>, ApiError> {
        let handles = ractor::call_t!(self.supervisor, SupervisorMsg::Roles, ASK_TIMEOUT_MS)
            .map_err(|e| ApiError::Unavailable(format!("supervisor: {e}")))?;
        let mut roles = Vec::with_capacity(handles.len());
        for h in handles {
            let proxy = (h.probe)(ASK_TIMEOUT_MS).await;
            roles.push(RoleInfo {
                name: h.status.name,
                version: h.version,
                versions: h.versions,
                running: h.status.running,
                restarts: h.status.restarts,
                buffered: proxy.as_ref().map(|p| p.buffered as u64),
                delivered: proxy.as_ref().map(|p| p.delivered),
                refused: proxy.as_ref().map(|p| p.refused),
            });
        }
        Ok(roles)
    }

    /// The leases out, with prover holders named by their node.
    async fn leases(&self, nodes: &[ClusterNode]) -> Vec<LeaseInfo> {
        let now = self.clock.now_ms();
        let proofs: Vec<LeaseSummary> = self
            .pool
            .ask(|reply| PoolMsg::Leases { reply }, ASK_TIMEOUT_MS)
            .await
            .unwrap_or_default();
        let mut out: Vec<LeaseInfo> = proofs
            .into_iter()
            .map(|l| LeaseInfo {
                kind: "proof".into(),
                holder: holder_name(&l.holder, nodes),
                subject: format!("{}/{}", short(&l.job.chain_id), l.job.block_number),
                heartbeat_ms: l.heartbeat_age_ms,
            })
            .collect();
        let neurons = self
            .neuron_leases
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        out.extend(neurons.into_iter().map(|l| LeaseInfo {
            kind: "neuron".into(),
            holder: l.link,
            subject: format!("{}/account/{}", short(&l.chain), l.account),
            heartbeat_ms: Some(now.saturating_sub(l.last_heartbeat_ms)),
        }));
        out
    }

    async fn queues(&self) -> QueueDepths {
        let mut q = QueueDepths::default();
        if let Some(jobs) = self
            .pool
            .ask(|reply| PoolMsg::Jobs { reply }, ASK_TIMEOUT_MS)
            .await
        {
            for job in jobs {
                match job.state {
                    JobStatus::Pending => q.prover_pending += 1,
                    JobStatus::Leased => q.prover_leased += 1,
                    JobStatus::Proved => q.prover_proved += 1,
                    JobStatus::Emitted | JobStatus::Failed => {}
                }
            }
        }
        if let Some(m) = self
            .mempool
            .ask(|reply| MempoolMsg::Status { reply }, ASK_TIMEOUT_MS)
            .await
        {
            q.mempool = m.pending.len() as u64;
        }
        if let Some(inscriber) = &self.inscriber {
            if let Some(i) = inscriber.ask(InscriberMsg::Status, ASK_TIMEOUT_MS).await {
                q.inscriber_batches = i.batches.len() as u64;
            }
        }
        q
    }
}

/// The node name of a prover lease's holder (`NODE.PID` for a remote prover).
fn holder_name(holder: &str, nodes: &[ClusterNode]) -> String {
    let node_id = holder.split('.').next().and_then(|n| n.parse::<u64>().ok());
    match node_id.and_then(|id| nodes.iter().find(|n| n.node_id == id)) {
        Some(node) if !holder.starts_with("local/") => node.name.clone(),
        _ => holder.to_owned(),
    }
}

fn short(chain: &bitai_protocol::ChainId) -> String {
    chain.to_string()[..8].to_owned()
}

/// Each node's leases and most recent heartbeat (the smallest heartbeat age).
fn per_node(leases: &[LeaseInfo]) -> BTreeMap<&str, (u32, Option<u64>)> {
    let mut map: BTreeMap<&str, (u32, Option<u64>)> = BTreeMap::new();
    for l in leases {
        let entry = map.entry(l.holder.as_str()).or_default();
        entry.0 += 1;
        entry.1 = match (entry.1, l.heartbeat_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    map
}

#[async_trait]
impl AdminApi for NodeAdmin {
    async fn status(&self) -> Result<AdminStatus, ApiError> {
        let cluster_nodes = self.roster.nodes().await;
        let leases = self.leases(&cluster_nodes).await;
        let held = per_node(&leases);
        let nodes = cluster_nodes
            .iter()
            .map(|n| {
                let (count, beat) = held.get(n.name.as_str()).copied().unwrap_or_default();
                ClusterNodeInfo {
                    name: n.name.clone(),
                    kind: n.kind.clone(),
                    version: n.version.clone(),
                    address: n.address.clone(),
                    connected_ms: self.roster.connected_ms(n.node_id),
                    last_heartbeat_ms: beat,
                    leases: count,
                }
            })
            .collect();
        Ok(AdminStatus {
            node: NodeSelf {
                kind: self.kind.clone(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                uptime_ms: self.clock.now_ms().saturating_sub(self.started_ms),
                rpc: self.rpc.clone(),
                cluster: self.cluster.clone(),
            },
            nodes,
            roles: self.roles().await?,
            leases,
            queues: self.queues().await,
        })
    }

    async fn swap(&self, role: String, to: String) -> Result<SwapReply, ApiError> {
        let outcome = ractor::call!(self.supervisor, |reply| SupervisorMsg::Swap {
            role: role.clone(),
            to: to.clone(),
            reply
        })
        .map_err(|e| ApiError::Unavailable(format!("supervisor: {e}")))?;
        match outcome {
            Ok(r) => Ok(SwapReply {
                role: r.role,
                from: r.from,
                to: r.to,
                pause_us: r.pause_us,
            }),
            Err(why) if why.starts_with("no role") || why.contains("has no version") => {
                Err(ApiError::NotFound(why))
            }
            Err(why) if why.contains("cannot read state format") => {
                Err(ApiError::InvalidParams(why))
            }
            Err(why) => Err(ApiError::Internal(why)),
        }
    }

    async fn drain(&self, node: String) -> Result<DrainReply, ApiError> {
        let nodes = self.roster.nodes().await;
        let Some(target) = nodes.iter().find(|n| n.name == node) else {
            let known: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
            return Err(ApiError::NotFound(format!(
                "no node named {node:?} in the cluster (joined: {})",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            )));
        };
        let prefix = format!("{}.", target.node_id);
        let control = Transport::<NodeControlMsg>::members(&PgTransport, CONTROL_GROUP)
            .into_iter()
            .find(|m| m.name.starts_with(&prefix))
            .ok_or_else(|| {
                ApiError::Unavailable(format!(
                    "node {node:?} has no control actor (an older bitai?); stop it with SIGTERM"
                ))
            })?;
        control
            .link
            .send(NodeControlMsg::Drain {
                reason: "bitai admin drain".into(),
            })
            .map_err(|e| ApiError::Unavailable(format!("node {node:?}: {e}")))?;
        tracing::info!(%node, address = %target.address, "admin: drain sent");
        Ok(DrainReply {
            node,
            kind: target.kind.clone(),
            address: target.address.clone(),
        })
    }
}
