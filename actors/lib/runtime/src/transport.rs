//! The cluster transport: how actors on different nodes find and reach one another. Every
//! piece of cluster traffic (today the prover protocol: leases, heartbeats, proofs) goes
//! through [`Transport`], so the same role code runs over two implementations:
//!
//! - in production, [`PgTransport`]: ractor's process groups, which `ractor_cluster` keeps in
//!   sync between connected nodes (cookie handshake, optional TLS: `bitai-transport`), and
//!   ractor's own remote sends;
//! - in the simulation, one network actor (`bitai_simulation::network`) that routes every
//!   message as bytes between simulated nodes with seeded latency, drops, duplicates,
//!   reordering, partitions and hung peers. `ractor_cluster` never runs there.
//!
//! A member is known by a stable [`Peer::name`] and reached through [`Peer::link`]; actor
//! references never travel in messages. Members come sorted by name, so nothing depends on
//! the order of ractor's internal maps. Delivery is best effort, as on a real network: a
//! protocol over a transport must survive lost, repeated and reordered messages (the prover
//! protocol does, through leases, heartbeats and lease ids).

use crate::sink::{ActorSink, Sink};
use ractor::{pg, ActorRef, Message};
use std::sync::Arc;

/// A member of a group as another node sees it: a stable name and a way to reach it.
pub struct Peer<M> {
    /// Unique in the cluster and stable while the member lives (never an address or a wall
    /// time in the simulation, where it appears in traces).
    pub name: String,
    /// Sends the member a message (best effort).
    pub link: Arc<dyn Sink<M>>,
}

impl<M> Clone for Peer<M> {
    fn clone(&self) -> Self {
        Peer {
            name: self.name.clone(),
            link: self.link.clone(),
        }
    }
}

impl<M> std::fmt::Debug for Peer<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Peer({})", self.name)
    }
}

/// One node's door to the cluster for messages of type `M` (every member of a group takes
/// the same type).
pub trait Transport<M>: Send + Sync + 'static {
    /// Makes `member`, an actor on this node, a member of `group`, reachable from every node.
    fn join(&self, group: &str, member: &ActorRef<M>);
    /// Takes `member` out of `group`.
    fn leave(&self, group: &str, member: &ActorRef<M>);
    /// Every member of `group` this node can see, sorted by name.
    fn members(&self, group: &str) -> Vec<Peer<M>>;
}

/// A transport behind a shared pointer, as roles are handed it.
pub type SharedTransport<M> = Arc<dyn Transport<M>>;

/// A message that crosses nodes: its own bounded encoding (which the simulated network
/// carries, so the decoder sees every message a peer sends) and a one-line label for traces.
pub trait WireMessage: Sized + Send + 'static {
    /// The message's bytes; `None` for a local-only message that never crosses nodes.
    fn to_wire(&self) -> Option<Vec<u8>>;
    /// Decodes bytes from a peer (never panics; limits are the protocol's).
    fn from_wire(bytes: &[u8]) -> Result<Self, String>;
    /// What the message is, for traces: logical names and key fields, no payloads.
    fn label(&self) -> String;
}

/// The production transport: ractor's process groups (kept in sync between nodes by
/// `ractor_cluster`) and ractor's remote sends, which serialize a message to an actor on
/// another node. A member's name is its actor id (node and process).
#[derive(Debug, Clone, Copy, Default)]
pub struct PgTransport;

impl<M: Message> Transport<M> for PgTransport {
    fn join(&self, group: &str, member: &ActorRef<M>) {
        pg::join(group.to_owned(), vec![member.get_cell()]);
    }

    fn leave(&self, group: &str, member: &ActorRef<M>) {
        pg::leave(group.to_owned(), vec![member.get_cell()]);
    }

    fn members(&self, group: &str) -> Vec<Peer<M>> {
        let mut cells = pg::get_members(&group.to_owned());
        // pg keeps members in a HashMap: sort, so no order leaks into behaviour.
        cells.sort_by_key(|c| c.get_id());
        cells
            .into_iter()
            .map(|cell| Peer {
                name: cell.get_id().to_string(),
                link: Arc::new(ActorSink(ActorRef::<M>::from(cell))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ractor::{Actor, ActorProcessingErr};
    use tokio::sync::mpsc;

    struct Echo;
    impl Actor for Echo {
        type Msg = u32;
        type State = mpsc::UnboundedSender<u32>;
        type Arguments = mpsc::UnboundedSender<u32>;
        async fn pre_start(
            &self,
            _: ActorRef<u32>,
            tx: Self::Arguments,
        ) -> Result<Self::State, ActorProcessingErr> {
            Ok(tx)
        }
        async fn handle(
            &self,
            _: ActorRef<u32>,
            msg: u32,
            tx: &mut Self::State,
        ) -> Result<(), ActorProcessingErr> {
            tx.send(msg)?;
            Ok(())
        }
    }

    #[tokio::test]
    async fn process_groups_list_members_sorted_and_reach_them() {
        let t = PgTransport;
        let group = "bitai-runtime-transport-test";
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut actors = Vec::new();
        for _ in 0..3 {
            let (a, _) = Actor::spawn(None, Echo, tx.clone()).await.expect("spawn");
            Transport::<u32>::join(&t, group, &a);
            actors.push(a);
        }
        let members: Vec<Peer<u32>> = t.members(group);
        assert_eq!(members.len(), 3);
        let names: std::collections::BTreeSet<&str> =
            members.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names.len(), 3, "distinct names: {names:?}");
        members[1].link.send(7).expect("delivered");
        assert_eq!(rx.recv().await, Some(7));
        Transport::<u32>::leave(&t, group, &actors[0]);
        assert_eq!(Transport::<u32>::members(&t, group).len(), 2);
        for a in actors {
            a.stop(None);
        }
    }
}
