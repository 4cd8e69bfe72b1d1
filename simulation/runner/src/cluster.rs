//! The simulated cluster: prover nodes that join the coordinator through the simulated
//! network (`bitai_simulation::network`), each running the `RemoteProver` that
//! `bitai prover run` runs, and neuron nodes ([`neuron_nodes`]) running a chain's neurons as
//! `bitai neuron run --join` does, over the same transport trait the coordinator's gateways
//! use. Nodes come and go (the `node_churn` fault), hang, get cut off and lose messages; they
//! outlive a crash of the coordinator, as other machines would.

mod neuron_nodes;

use crate::trace::Trace;
use bitai_messages::prover::wire::RemoteProverMsg;
use bitai_neuron::remote::NeuronTransport;
use bitai_node::pipeline::cluster::ClusterTransport;
use bitai_prover::remote::{ProverTransport, RemoteProver, RemoteProverArgs};
use bitai_prover::{ProverBackend, ProverFaults};
use bitai_runtime::SharedClock;
use bitai_simulation::network::SimNetwork;
use ractor::{Actor, ActorRef};
use std::sync::Mutex;

/// The coordinator's name on the simulated network.
pub const COORDINATOR: &str = "coordinator";

/// How long a draining prover node still proves what was leased before the pool noticed
/// (the coordinator's gateway lists the provers every `cluster.heartbeat_interval_ms`).
const DRAIN_GRACE_MS: u64 = 10_000;

/// One prover node.
pub struct ProverNode {
    /// Its name on the network (`prover-node-N`).
    pub name: String,
    actor: ActorRef<RemoteProverMsg>,
    /// Its fault switch (hung and lying provers).
    pub faults: ProverFaults,
}

/// The network and the prover nodes on it.
pub struct Cluster {
    /// The network.
    pub net: SimNetwork,
    nodes: Mutex<(Vec<ProverNode>, u32)>,
    neuron_nodes: Mutex<Vec<neuron_nodes::NeuronNode>>,
    /// Neuron nodes drained and replaced (their names are not reused).
    retired_neuron_nodes: std::sync::atomic::AtomicUsize,
    seed: u64,
    clock: SharedClock,
}

impl Cluster {
    /// Starts the network (no nodes yet).
    pub async fn start(seed: u64, clock: SharedClock) -> anyhow::Result<Cluster> {
        let net = SimNetwork::start(seed, clock.clone())
            .await
            .map_err(anyhow::Error::msg)?;
        Ok(Cluster {
            net,
            nodes: Mutex::new((Vec::new(), 0)),
            neuron_nodes: Mutex::new(Vec::new()),
            retired_neuron_nodes: std::sync::atomic::AtomicUsize::new(0),
            seed,
            clock,
        })
    }

    /// The coordinator's end of the cluster protocols.
    pub fn coordinator(&self) -> ClusterTransport {
        let node = self.net.node(COORDINATOR);
        ClusterTransport {
            provers: ProverTransport::over(node.clone()),
            neurons: NeuronTransport::over(node),
        }
    }

    fn nodes(&self) -> std::sync::MutexGuard<'_, (Vec<ProverNode>, u32)> {
        self.nodes.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn neuron_nodes(&self) -> std::sync::MutexGuard<'_, Vec<neuron_nodes::NeuronNode>> {
        self.neuron_nodes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new prover node joins, proving with `backend`; its name.
    pub async fn join(&self, backend: ProverBackend, trace: &Trace) -> anyhow::Result<String> {
        let number = {
            let mut nodes = self.nodes();
            nodes.1 += 1;
            nodes.1
        };
        let name = format!("prover-node-{number}");
        let faults = ProverFaults::default();
        let args = RemoteProverArgs {
            backend,
            rng_seed: rng_seed(self.seed, &name),
            clock: self.clock.clone(),
            transport: ProverTransport::over(self.net.node(&name)),
            faults: faults.clone(),
            drain_grace_ms: DRAIN_GRACE_MS,
            metrics: None,
        };
        let (actor, _) = Actor::spawn(Some(format!("{name}.prover")), RemoteProver, args)
            .await
            .map_err(|e| anyhow::anyhow!("starting {name}: {e}"))?;
        trace.record("cluster", format_args!("{name} joins"));
        self.nodes().0.push(ProverNode {
            name: name.clone(),
            actor,
            faults,
        });
        Ok(name)
    }

    /// Node `name` leaves: its session closes and its prover (or its link and neurons)
    /// stops.
    pub fn leave(&self, name: &str, trace: &Trace) {
        if self.leave_neuron_node(name, trace) {
            return;
        }
        let mut nodes = self.nodes();
        if let Some(i) = nodes.0.iter().position(|n| n.name == name) {
            let node = nodes.0.remove(i);
            self.net.disconnect(&node.name);
            node.actor.stop(None);
            trace.record("cluster", format_args!("{name} leaves"));
        }
    }

    /// Prover node `name` drains (a rolling replacement: the caller joins a new one): it
    /// finishes the proof in hand, leaves its group and stops after its grace period. It is
    /// no longer one of the cluster's nodes from now on.
    pub fn drain_prover_node(&self, name: &str, trace: &Trace) {
        let mut nodes = self.nodes();
        if let Some(i) = nodes.0.iter().position(|n| n.name == name) {
            let node = nodes.0.remove(i);
            let _ = node.actor.cast(RemoteProverMsg::Drain);
            trace.record("cluster", format_args!("{name} drains"));
        }
    }

    /// The prover nodes' names, in joining order.
    pub fn names(&self) -> Vec<String> {
        self.nodes().0.iter().map(|n| n.name.clone()).collect()
    }

    /// Every running node's name: the prover nodes, then the neuron nodes.
    pub fn all_names(&self) -> Vec<String> {
        let mut names = self.names();
        names.extend(self.neuron_node_names());
        names
    }

    /// Each node's fault switch, by name.
    pub fn switches(&self) -> Vec<(String, ProverFaults)> {
        self.nodes()
            .0
            .iter()
            .map(|n| (n.name.clone(), n.faults.clone()))
            .collect()
    }

    /// Stops every node and the network.
    pub fn stop(&self) {
        self.stop_neuron_nodes();
        for node in std::mem::take(&mut self.nodes().0) {
            node.actor.stop(None);
        }
        self.net.stop();
    }
}

/// A prover node's blinding seed (derived: a simulation must repeat).
fn rng_seed(seed: u64, name: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let word = bitai_runtime::derive_seed(seed, &format!("sim/{name}/{i}"));
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
}
