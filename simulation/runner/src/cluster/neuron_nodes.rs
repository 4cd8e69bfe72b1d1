//! Neuron nodes on the simulated network: each chain's neurons run on a machine of their
//! own, as `bitai neuron run --join` runs them, on a [`ClusterPort`] to the coordinator's
//! neuron gateway, with a [`NeuronLink`] heartbeating their leases and a store of their own.
//! A node that leaves (`node_churn`) stops its link and neurons and comes back later on the
//! same store (the machine restarting); a neuron that vanishes (`neuron_vanish`) stops for
//! good. Nodes outlive a crash of the coordinator, whose new gateway answers them again.

use super::Cluster;
use crate::trace::Trace;
use bitai_chain::poc::PocParams;
use bitai_messages::neuron::wire::NeuronLinkMsg;
use bitai_neuron::remote::{link_and_port, NeuronLink, NeuronTransport, ASK_TIMEOUT_MS};
use bitai_neuron::{BackendChoice, Neuron, NeuronArgs, NeuronConfig, NeuronMsg};
use bitai_node::pipeline::neurons::NeuronPlan;
use bitai_protocol::ChainId;
use bitai_storage::{MemoryStore, SharedStore};
use ractor::{Actor, ActorRef};
use std::collections::BTreeSet;
use std::sync::Arc;

/// One neuron node.
pub struct NeuronNode {
    /// Its name on the network (`neuron-node-N`).
    pub name: String,
    chain: ChainId,
    params: PocParams,
    plans: Vec<NeuronPlan>,
    config: NeuronConfig,
    heartbeat_interval_ms: u64,
    /// The machine's own store (its seat records survive a restart of the node).
    store: SharedStore,
    /// Starts so far (each start's link has a name of its own).
    starts: u32,
    running: Option<Running>,
    /// Accounts whose neuron vanished for good.
    vanished: BTreeSet<u32>,
}

struct Running {
    link: ActorRef<NeuronLinkMsg>,
    neurons: Vec<(u32, ActorRef<NeuronMsg>)>,
}

impl Running {
    /// Stops the neurons (each after its tick in hand) and the link (which hands the
    /// leases back).
    fn stop(self) {
        for (_, neuron) in self.neurons {
            neuron.stop(None);
        }
        self.link.stop(None);
    }
}

impl NeuronNode {
    fn neuron_name(&self, account: u32) -> String {
        format!("neuron-{}-{account}", &self.chain.to_string()[..8])
    }
}

impl Cluster {
    /// A neuron node joins with `plans` (registered beforehand) as `chain`'s neurons; its
    /// name.
    pub async fn join_neurons(
        &self,
        chain: ChainId,
        params: PocParams,
        plans: Vec<NeuronPlan>,
        config: NeuronConfig,
        heartbeat_interval_ms: u64,
        trace: &Trace,
    ) -> anyhow::Result<String> {
        let name = format!("neuron-node-{}", self.neuron_node_count() + 1);
        let mut node = NeuronNode {
            name: name.clone(),
            chain,
            params,
            plans,
            config,
            heartbeat_interval_ms,
            store: Arc::new(MemoryStore::new()),
            starts: 0,
            running: None,
            vanished: BTreeSet::new(),
        };
        self.start_neuron_node(&mut node).await?;
        trace.record(
            "cluster",
            format_args!("{name} joins with {} neurons", node.plans.len()),
        );
        self.neuron_nodes().push(node);
        Ok(name)
    }

    async fn start_neuron_node(&self, node: &mut NeuronNode) -> anyhow::Result<()> {
        node.starts += 1;
        let accounts: Vec<u32> = node
            .plans
            .iter()
            .map(|p| p.account)
            .filter(|a| !node.vanished.contains(a))
            .collect();
        let (link_args, port) = link_and_port(
            format!("{}.{}", node.name, node.starts),
            node.chain,
            accounts.clone(),
            NeuronTransport::over(self.net.node(&node.name)),
            node.heartbeat_interval_ms,
            ASK_TIMEOUT_MS,
        );
        let (link, _) = Actor::spawn(None, NeuronLink, link_args)
            .await
            .map_err(|e| anyhow::anyhow!("starting {}'s link: {e}", node.name))?;
        let port = Arc::new(port);
        let mut neurons = Vec::new();
        for plan in node.plans.iter().filter(|p| accounts.contains(&p.account)) {
            let args = NeuronArgs {
                account: plan.account,
                key: plan.key.clone(),
                chain_id: node.chain,
                params: node.params,
                port: port.clone(),
                store: node.store.clone(),
                clock: self.clock.clone(),
                config: node.config.clone(),
                backend: BackendChoice::Auto { threads: 1 },
                registry: None,
                faults: plan.faults,
            };
            let (actor, _) = Actor::spawn(None, Neuron, args)
                .await
                .map_err(|e| anyhow::anyhow!("starting a neuron on {}: {e}", node.name))?;
            neurons.push((plan.account, actor));
        }
        node.running = Some(Running { link, neurons });
        Ok(())
    }

    /// Neuron node `name` leaves (its session closes, its link and neurons stop); whether
    /// it was one.
    pub(super) fn leave_neuron_node(&self, name: &str, trace: &Trace) -> bool {
        let mut nodes = self.neuron_nodes();
        let Some(node) = nodes.iter_mut().find(|n| n.name == name) else {
            return false;
        };
        if let Some(running) = node.running.take() {
            running.stop();
            self.net.disconnect(name);
            trace.record("cluster", format_args!("{name} leaves"));
        }
        true
    }

    /// A rolling replacement of neuron node `name`: it drains (its neurons stop after the
    /// tick in hand, its link hands the account leases back) and a new node, on a new
    /// machine with an empty store, takes its accounts over at once (a seat the old node
    /// committed is revealed by the new one: the salt is derived from the key).
    pub async fn replace_neuron_node(&self, name: &str, trace: &Trace) -> anyhow::Result<()> {
        let old = {
            let mut nodes = self.neuron_nodes();
            let i = nodes
                .iter()
                .position(|n| n.name == name && n.running.is_some());
            i.map(|i| nodes.remove(i))
        };
        let Some(mut old) = old else {
            return Ok(());
        };
        if let Some(running) = old.running.take() {
            running.stop();
        }
        trace.record("cluster", format_args!("{name} drains"));
        let new_name = format!("neuron-node-{}", self.neuron_node_count() + 1);
        let mut node = NeuronNode {
            name: new_name.clone(),
            store: Arc::new(MemoryStore::new()),
            starts: 0,
            running: None,
            ..old
        };
        let started = self.start_neuron_node(&mut node).await;
        trace.record(
            "cluster",
            format_args!("{new_name} joins in place of {name}"),
        );
        self.neuron_nodes().push(node);
        self.retired_neuron_nodes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        started
    }

    /// Neuron nodes ever started (names are never reused).
    fn neuron_node_count(&self) -> usize {
        self.neuron_nodes().len()
            + self
                .retired_neuron_nodes
                .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Neuron node `name` starts again on its store (after it left).
    pub async fn rejoin_neuron_node(&self, name: &str, trace: &Trace) -> anyhow::Result<()> {
        let taken = {
            let mut nodes = self.neuron_nodes();
            let i = nodes
                .iter()
                .position(|n| n.name == name && n.running.is_none());
            i.map(|i| nodes.remove(i))
        };
        let Some(mut node) = taken else {
            return Ok(());
        };
        let started = self.start_neuron_node(&mut node).await;
        trace.record("cluster", format_args!("{name} joins again"));
        self.neuron_nodes().push(node);
        started
    }

    /// Stops one running neuron for good (drawn by `pick` among them, in name order); its
    /// name.
    pub fn vanish_neuron(&self, pick: impl FnOnce(usize) -> usize) -> Option<String> {
        let mut nodes = self.neuron_nodes();
        let mut candidates: Vec<(String, usize, u32)> = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            if let Some(running) = &node.running {
                for (account, _) in &running.neurons {
                    candidates.push((node.neuron_name(*account), i, *account));
                }
            }
        }
        candidates.sort();
        if candidates.is_empty() {
            return None;
        }
        let (name, i, account) = candidates.swap_remove(pick(candidates.len()));
        let node = &mut nodes[i];
        node.vanished.insert(account);
        if let Some(running) = &mut node.running {
            running.neurons.retain(|(a, neuron)| {
                if *a == account {
                    neuron.stop(None);
                }
                *a != account
            });
        }
        Some(name)
    }

    /// The running neuron nodes' names.
    pub fn neuron_node_names(&self) -> Vec<String> {
        self.neuron_nodes()
            .iter()
            .filter(|n| n.running.is_some())
            .map(|n| n.name.clone())
            .collect()
    }

    /// Stops every neuron node.
    pub(super) fn stop_neuron_nodes(&self) {
        for node in std::mem::take(&mut *self.neuron_nodes()) {
            if let Some(running) = node.running {
                running.stop();
            }
        }
    }
}
