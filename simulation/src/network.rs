//! The simulated cluster network: the [`Transport`] of `bitai sim`, where `ractor_cluster`
//! never runs. Simulated nodes ([`SimNetwork::node`]) join groups in one registry, and every
//! message between them goes through one router actor as bytes (the protocol's own encoding,
//! so the receiving side decodes what a real peer would send it), under conditions drawn from
//! the seed:
//!
//! - **latency** uniform in `[latency_min_ms, latency_max_ms]` per message, so two messages
//!   on one link can arrive in the other order (reordering);
//! - **drops** and **duplicates**, per mille;
//! - **partitions**, one way ([`SimNetwork::cut`]: `from` no longer reaches `to`) or both;
//! - **hung peers** ([`SimNetwork::hang`]): the node stays a member of its groups, as a hung
//!   process keeps its TCP session, but nothing reaches it and nothing comes from it;
//! - **departures** ([`SimNetwork::disconnect`]): the node's members leave every group, as
//!   when its session closes.
//!
//! Every decision is logged at DEBUG under this module's target with logical names only
//! (nodes, members, message labels), so it lands in the simulation's trace. The router's
//! randomness is its own seeded stream, and deliveries due at one instant go out in the
//! order they were sent.

use bitai_runtime::WireMessage;
use bitai_runtime::{seeded_rng, Peer, SharedClock, SimRng, Sink, SinkError, Transport};
use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef};
use rand::Rng;
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the network treats messages (all of it drawn by the simulation from its seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetConditions {
    /// Shortest delivery time, ms.
    pub latency_min_ms: u64,
    /// Longest delivery time, ms (at least `latency_min_ms`).
    pub latency_max_ms: u64,
    /// Messages lost, per mille.
    pub drop_per_mille: u32,
    /// Messages delivered twice, per mille.
    pub dup_per_mille: u32,
}

impl NetConditions {
    /// A healthy datacenter link: 1 to 20 ms, nothing lost or repeated.
    pub const CALM: NetConditions = NetConditions {
        latency_min_ms: 1,
        latency_max_ms: 20,
        drop_per_mille: 0,
        dup_per_mille: 0,
    };
}

/// A member of a group: its node and its actor (an `ActorRef<M>` behind `Any`).
struct Member {
    node: String,
    id: ActorId,
    actor: Box<dyn Any + Send + Sync>,
}

/// What every node's transport and the router share.
struct Registry {
    groups: BTreeMap<String, BTreeMap<String, Member>>,
    conditions: NetConditions,
    /// One-way cuts: messages from `.0` to `.1` are lost.
    cuts: BTreeSet<(String, String)>,
    hung: BTreeSet<String>,
}

impl Registry {
    /// Why a message from `from` to `to` cannot pass now, if it cannot.
    fn blocked(&self, from: &str, to: &str) -> Option<&'static str> {
        if self.hung.contains(from) || self.hung.contains(to) {
            Some("hung peer")
        } else if self.cuts.contains(&(from.to_owned(), to.to_owned())) {
            Some("partition")
        } else {
            None
        }
    }
}

/// Hands a message's bytes to its receiver (decoding them as the receiver's protocol does).
type Deliver = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// One message in flight.
struct Packet {
    from: String,
    to: String,
    label: String,
    bytes: Arc<Vec<u8>>,
    deliver: Deliver,
}

/// The router's mailbox.
enum RouterMsg {
    /// A message leaves its sender.
    Send(Packet),
    /// Deliveries may be due.
    Due,
}

impl ractor::Message for RouterMsg {}

struct Router;

struct RouterState {
    registry: Arc<Mutex<Registry>>,
    rng: SimRng,
    clock: SharedClock,
    in_flight: BTreeMap<(u64, u64), Packet>,
    seq: u64,
}

impl RouterState {
    fn route(&mut self, myself: &ActorRef<RouterMsg>, p: Packet) {
        let conditions = {
            let registry = lock(&self.registry);
            if let Some(why) = registry.blocked(&p.from, &p.to) {
                tracing::debug!("net {} -> {} {}: lost ({why})", p.from, p.to, p.label);
                return;
            }
            registry.conditions
        };
        if self.rng.gen_range(0..1_000) < conditions.drop_per_mille {
            tracing::debug!("net {} -> {} {}: lost (drop)", p.from, p.to, p.label);
            return;
        }
        let copies = if self.rng.gen_range(0..1_000) < conditions.dup_per_mille {
            2
        } else {
            1
        };
        let now = self.clock.now_ms();
        for copy in 0..copies {
            let latency = self.rng.gen_range(
                conditions.latency_min_ms
                    ..=conditions.latency_max_ms.max(conditions.latency_min_ms),
            );
            tracing::debug!(
                "net {} -> {} {}: in flight {latency} ms{}",
                p.from,
                p.to,
                p.label,
                if copy > 0 { " (duplicate)" } else { "" }
            );
            self.seq += 1;
            let packet = Packet {
                from: p.from.clone(),
                to: p.to.clone(),
                label: p.label.clone(),
                bytes: p.bytes.clone(),
                deliver: p.deliver.clone(),
            };
            self.in_flight.insert((now + latency, self.seq), packet);
            myself.send_after(Duration::from_millis(latency), || RouterMsg::Due);
        }
    }

    fn deliver_due(&mut self) {
        let now = self.clock.now_ms();
        while let Some(entry) = self.in_flight.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let p = entry.remove();
            // A peer that hung (or a cut made) while the message flew does not get it.
            if let Some(why) = lock(&self.registry).blocked(&p.from, &p.to) {
                tracing::debug!(
                    "net {} -> {} {}: lost in flight ({why})",
                    p.from,
                    p.to,
                    p.label
                );
                continue;
            }
            tracing::debug!("net {} -> {} {}: delivered", p.from, p.to, p.label);
            (p.deliver)(&p.bytes);
        }
    }
}

impl Actor for Router {
    type Msg = RouterMsg;
    type State = RouterState;
    type Arguments = RouterState;

    async fn pre_start(
        &self,
        _myself: ActorRef<RouterMsg>,
        state: RouterState,
    ) -> Result<RouterState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<RouterMsg>,
        msg: RouterMsg,
        state: &mut RouterState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            RouterMsg::Send(p) => state.route(&myself, p),
            RouterMsg::Due => state.deliver_due(),
        }
        Ok(())
    }
}

fn lock(registry: &Arc<Mutex<Registry>>) -> std::sync::MutexGuard<'_, Registry> {
    registry.lock().unwrap_or_else(|p| p.into_inner())
}

/// The simulated network: the registry of groups and the router.
#[derive(Clone)]
pub struct SimNetwork {
    registry: Arc<Mutex<Registry>>,
    router: ActorRef<RouterMsg>,
}

impl SimNetwork {
    /// Starts the router, its randomness drawn from `seed`, under calm conditions.
    pub async fn start(seed: u64, clock: SharedClock) -> Result<SimNetwork, String> {
        let registry = Arc::new(Mutex::new(Registry {
            groups: BTreeMap::new(),
            conditions: NetConditions::CALM,
            cuts: BTreeSet::new(),
            hung: BTreeSet::new(),
        }));
        let state = RouterState {
            registry: registry.clone(),
            rng: seeded_rng(seed, "sim/network"),
            clock,
            in_flight: BTreeMap::new(),
            seq: 0,
        };
        let (router, _) = Actor::spawn(None, Router, state)
            .await
            .map_err(|e| format!("starting the simulated network: {e}"))?;
        Ok(SimNetwork { registry, router })
    }

    /// The transport of the node named `node`.
    pub fn node(&self, node: &str) -> SimTransport {
        SimTransport {
            node: node.to_owned(),
            net: self.clone(),
        }
    }

    /// Sets latency, drops and duplicates from now on.
    pub fn set_conditions(&self, conditions: NetConditions) {
        tracing::debug!("net conditions {conditions:?}");
        lock(&self.registry).conditions = conditions;
    }

    /// Messages from `from` to `to` are lost until [`SimNetwork::heal`] (one way; cut both
    /// ways for a full partition).
    pub fn cut(&self, from: &str, to: &str) {
        tracing::debug!("net cut {from} -> {to}");
        lock(&self.registry)
            .cuts
            .insert((from.to_owned(), to.to_owned()));
    }

    /// `from` reaches `to` again.
    pub fn uncut(&self, from: &str, to: &str) {
        tracing::debug!("net {from} -> {to} restored");
        lock(&self.registry)
            .cuts
            .remove(&(from.to_owned(), to.to_owned()));
    }

    /// `node` answers again.
    pub fn unhang(&self, node: &str) {
        tracing::debug!("net {node} recovers");
        lock(&self.registry).hung.remove(node);
    }

    /// `node` hangs: still a member everywhere, but nothing reaches it or comes from it.
    pub fn hang(&self, node: &str) {
        tracing::debug!("net {node} hangs");
        lock(&self.registry).hung.insert(node.to_owned());
    }

    /// Ends every cut and hang and calms the links.
    pub fn heal(&self) {
        tracing::debug!("net healed");
        let mut r = lock(&self.registry);
        r.cuts.clear();
        r.hung.clear();
        r.conditions = NetConditions::CALM;
    }

    /// `node` leaves the cluster: its members leave every group (its session closed).
    pub fn disconnect(&self, node: &str) {
        tracing::debug!("net {node} disconnects");
        let mut r = lock(&self.registry);
        for members in r.groups.values_mut() {
            members.retain(|_, m| m.node != node);
        }
        r.hung.remove(node);
    }

    /// The names of `group`'s members, sorted.
    pub fn member_names(&self, group: &str) -> Vec<String> {
        lock(&self.registry)
            .groups
            .get(group)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Stops the router (messages in flight are lost).
    pub fn stop(&self) {
        self.router.stop(None);
    }
}

/// One simulated node's transport.
#[derive(Clone)]
pub struct SimTransport {
    node: String,
    net: SimNetwork,
}

impl SimTransport {
    /// The node's name.
    pub fn node(&self) -> &str {
        &self.node
    }
}

/// A member's name: `node/actor name` (the group's name for an unnamed actor).
fn member_name<M>(node: &str, group: &str, member: &ActorRef<M>) -> String {
    format!(
        "{node}/{}",
        member.get_name().unwrap_or_else(|| group.to_owned())
    )
}

impl<M> Transport<M> for SimTransport
where
    M: WireMessage + ractor::Message,
{
    fn join(&self, group: &str, member: &ActorRef<M>) {
        let name = member_name(&self.node, group, member);
        tracing::debug!("net {name} joins {group}");
        lock(&self.net.registry)
            .groups
            .entry(group.to_owned())
            .or_default()
            .insert(
                name,
                Member {
                    node: self.node.clone(),
                    id: member.get_id(),
                    actor: Box::new(member.clone()),
                },
            );
    }

    fn leave(&self, group: &str, member: &ActorRef<M>) {
        let name = member_name(&self.node, group, member);
        let mut r = lock(&self.net.registry);
        let Some(members) = r.groups.get_mut(group) else {
            return;
        };
        // A member that joined again under the same name (a restarted actor) stays.
        if members.get(&name).is_some_and(|m| m.id == member.get_id()) {
            members.remove(&name);
            tracing::debug!("net {name} leaves {group}");
        }
    }

    fn members(&self, group: &str) -> Vec<Peer<M>> {
        let r = lock(&self.net.registry);
        let Some(members) = r.groups.get(group) else {
            return Vec::new();
        };
        members
            .iter()
            .filter_map(|(name, m)| {
                let actor = m.actor.downcast_ref::<ActorRef<M>>()?.clone();
                let link = SimLink {
                    from: self.node.clone(),
                    to: m.node.clone(),
                    name: name.clone(),
                    actor,
                    router: self.net.router.clone(),
                };
                Some(Peer {
                    name: name.clone(),
                    link: Arc::new(link),
                })
            })
            .collect()
    }
}

/// A link from one node to a member on another, through the router.
struct SimLink<M> {
    from: String,
    to: String,
    name: String,
    actor: ActorRef<M>,
    router: ActorRef<RouterMsg>,
}

impl<M> Sink<M> for SimLink<M>
where
    M: WireMessage + ractor::Message,
{
    fn send(&self, msg: M) -> Result<(), SinkError> {
        let label = format!("{}: {}", self.name, msg.label());
        let Some(bytes) = msg.to_wire() else {
            tracing::warn!("net {label}: a local-only message is not sent");
            return Ok(());
        };
        let actor = self.actor.clone();
        let deliver: Deliver = Arc::new(move |bytes: &[u8]| match M::from_wire(bytes) {
            Ok(msg) => {
                if actor.send_message(msg).is_err() {
                    tracing::debug!("net: the receiver is gone");
                }
            }
            Err(e) => tracing::warn!("net: undecodable message: {e}"),
        });
        self.router
            .send_message(RouterMsg::Send(Packet {
                from: self.from.clone(),
                to: self.to.clone(),
                label,
                bytes: Arc::new(bytes),
                deliver,
            }))
            .map_err(|_| SinkError::Closed)
    }
}

#[cfg(test)]
mod tests;
