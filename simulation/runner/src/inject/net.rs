//! The cluster network's faults (`net_loss`, `partition`, `hung_peer`, `node_churn`): each
//! strikes for a drawn while and ends on its own, or when the quiet phase heals everything.
//! They hit the links between the coordinator and its prover and neuron nodes; the prover
//! protocol must ride them out with leases and heartbeats, losing no block, and the neurons
//! with their asks retried at every tick (a seat they miss meanwhile is the chain's rules'
//! business: refunded at its timeout, the no-show slashed).

use super::Injector;
use crate::cluster::COORDINATOR;
use crate::faults::FaultKind;
use crate::trace::Trace;
use crate::world::World;
use bitai_simulation::network::NetConditions;
use rand::Rng;

/// A network fault in force, by what its end undoes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum NetEnd {
    /// Losses, duplicates and long delays end.
    Loss,
    /// A one-way cut ends: `.0` reaches `.1` again.
    Cut(String, String),
    /// A hung node recovers.
    Hang(String),
    /// A new prover node joins (the churn that struck at this instant, ms).
    Join(u64),
    /// A neuron node that left starts again on its store.
    Rejoin(String),
}

impl Injector {
    /// Strikes the network fault `kind`.
    pub(super) fn strike_net(&mut self, kind: FaultKind, now_ms: u64, w: &World, trace: &Trace) {
        let minutes = self.rng.gen_range(5..=40u64);
        let until = now_ms + minutes * 60_000;
        let net = &w.cluster.net;
        if kind == FaultKind::NetLoss {
            let c = NetConditions {
                latency_min_ms: self.rng.gen_range(1..50),
                latency_max_ms: self.rng.gen_range(100..=5_000),
                drop_per_mille: self.rng.gen_range(50..=300),
                dup_per_mille: self.rng.gen_range(0..=300),
            };
            net.set_conditions(c);
            self.net_until_ms.insert(NetEnd::Loss, until);
            trace.record("fault", format_args!("net_loss {c:?} for {minutes} min"));
            return;
        }
        let nodes = w.cluster.all_names();
        if nodes.is_empty() {
            trace.record("fault", format_args!("{}: no node", kind.name()));
            return;
        }
        let node = nodes[self.rng.gen_range(0..nodes.len())].clone();
        match kind {
            FaultKind::Partition => {
                // 0: the coordinator no longer reaches the node; 1: the node no longer reaches
                // the coordinator; 2: both.
                let way = self.rng.gen_range(0..3u8);
                let mut cuts = Vec::new();
                if way != 1 {
                    cuts.push((COORDINATOR.to_owned(), node.clone()));
                }
                if way != 0 {
                    cuts.push((node.clone(), COORDINATOR.to_owned()));
                }
                for (from, to) in cuts {
                    trace.record(
                        "fault",
                        format_args!("partition {from} -> {to} for {minutes} min"),
                    );
                    net.cut(&from, &to);
                    self.net_until_ms.insert(NetEnd::Cut(from, to), until);
                }
            }
            FaultKind::HungPeer => {
                trace.record("fault", format_args!("hung_peer {node} for {minutes} min"));
                net.hang(&node);
                self.net_until_ms.insert(NetEnd::Hang(node), until);
            }
            _ if w.cluster.neuron_node_names().contains(&node) => {
                let back_ms = self.rng.gen_range(60_000..=600_000);
                trace.record(
                    "fault",
                    format_args!("node_churn: {node} leaves, back in {back_ms} ms"),
                );
                w.cluster.leave(&node, trace);
                self.net_until_ms
                    .insert(NetEnd::Rejoin(node), now_ms + back_ms);
            }
            _ => {
                let back_ms = self.rng.gen_range(60_000..=600_000);
                trace.record(
                    "fault",
                    format_args!("node_churn: {node} leaves, a new node joins in {back_ms} ms"),
                );
                w.cluster.leave(&node, trace);
                self.net_until_ms
                    .insert(NetEnd::Join(now_ms), now_ms + back_ms);
            }
        }
    }

    /// Ends the network faults whose time is up at `now_ms`.
    pub(super) async fn end_net_faults(&mut self, now_ms: u64, w: &World, trace: &Trace) {
        let ended: Vec<NetEnd> = self
            .net_until_ms
            .iter()
            .filter(|(_, &t)| t <= now_ms)
            .map(|(e, _)| e.clone())
            .collect();
        for end in ended {
            self.net_until_ms.remove(&end);
            end_net(end, w, trace).await;
        }
    }

    /// Ends every network fault (and lets every node due to join join).
    pub(super) async fn heal_net(&mut self, w: &World, trace: &Trace) {
        for end in std::mem::take(&mut self.net_until_ms).into_keys() {
            end_net(end, w, trace).await;
        }
        w.cluster.net.heal();
    }
}

async fn end_net(end: NetEnd, w: &World, trace: &Trace) {
    let net = &w.cluster.net;
    match end {
        NetEnd::Loss => {
            net.set_conditions(NetConditions::CALM);
            trace.record("fault", "net_loss ends");
        }
        NetEnd::Cut(from, to) => {
            net.uncut(&from, &to);
            trace.record("fault", format_args!("partition {from} -> {to} ends"));
        }
        NetEnd::Hang(node) => {
            net.unhang(&node);
            trace.record("fault", format_args!("hung_peer {node} recovers"));
        }
        NetEnd::Rejoin(node) => {
            if let Err(e) = w.cluster.rejoin_neuron_node(&node, trace).await {
                trace.record(
                    "fault",
                    format_args!("node_churn: {node} failed to start: {e:#}"),
                );
            }
        }
        NetEnd::Join(_) => {
            let backend = w.devnet.keys.prover_backend();
            if let Err(e) = w.cluster.join(backend, trace).await {
                trace.record("fault", format_args!("node_churn: joining failed: {e:#}"));
            }
        }
    }
}
