//! The cluster's roster for the admin endpoint: the nodes with an authenticated session on
//! the node's `NodeServer` (name, kind, version, address: [`bitai_transport::cluster_nodes`])
//! and since when this node has seen each (by the node's clock), which a task records every
//! second.

use bitai_runtime::SharedClock;
use bitai_transport::{ClusterNode, NodeServerMessage};
use ractor::ActorRef;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the roster looks at the sessions.
const REFRESH: Duration = Duration::from_secs(1);

/// The nodes in the cluster and when each was first seen.
#[derive(Clone)]
pub struct Roster {
    server: Option<ActorRef<NodeServerMessage>>,
    clock: SharedClock,
    seen: Arc<Mutex<BTreeMap<u64, u64>>>,
}

impl Roster {
    /// No cluster: no nodes.
    pub fn none(clock: SharedClock) -> Self {
        Roster {
            server: None,
            clock,
            seen: Arc::default(),
        }
    }

    /// Follows the sessions of `server` until the server stops.
    pub fn follow(server: ActorRef<NodeServerMessage>, clock: SharedClock) -> Self {
        let roster = Roster {
            server: Some(server.clone()),
            clock,
            seen: Arc::default(),
        };
        let r = roster.clone();
        tokio::spawn(async move {
            while server.get_status() == ractor::ActorStatus::Running {
                let _ = r.nodes().await;
                tokio::time::sleep(REFRESH).await;
            }
        });
        roster
    }

    /// The nodes with a session now (and records when each was first seen).
    pub async fn nodes(&self) -> Vec<ClusterNode> {
        let Some(server) = &self.server else {
            return Vec::new();
        };
        let nodes = bitai_transport::cluster_nodes(server).await;
        let now = self.clock.now_ms();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|id, _| nodes.iter().any(|n| n.node_id == *id));
        for n in &nodes {
            seen.entry(n.node_id).or_insert(now);
        }
        nodes
    }

    /// How long the node has been seen, ms.
    pub fn connected_ms(&self, node_id: u64) -> u64 {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now_ms();
        seen.get(&node_id).map_or(0, |t| now.saturating_sub(*t))
    }
}
