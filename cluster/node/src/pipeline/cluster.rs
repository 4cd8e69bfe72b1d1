//! The node's cluster gateways: [`ClusterTransport`] (the two protocols' transports, over
//! ractor's process groups on real nodes or the simulated network in `bitai sim`) and
//! [`start_neuron_gateway`], which starts the gateway neuron nodes reach their chains through
//! (the prover pool's gateway starts with the pool, in `pipeline::start`).

use super::neurons::SequencerPort;
use super::Pipeline;
use async_trait::async_trait;
use bitai_messages::da::SharedDa;
use bitai_messages::neuron::wire::NeuronGatewayMsg;
use bitai_neuron::remote::gateway::{ChainPorts, GatewayMetrics, NeuronGateway, NeuronGatewayArgs};
use bitai_neuron::remote::NeuronTransport;
use bitai_neuron::ChainPort;
use bitai_protocol::ChainId;
use bitai_prover::remote::ProverTransport;
use bitai_runtime::{ChildSpec, RoleRef, SupervisorMsg};
use std::sync::{Arc, Weak};

/// Both cluster protocols' transports.
#[derive(Clone)]
pub struct ClusterTransport {
    /// Prover nodes and the pool's gateway.
    pub provers: ProverTransport,
    /// Neuron nodes and the neuron gateway.
    pub neurons: NeuronTransport,
}

impl ClusterTransport {
    /// Over ractor's process groups, which `ractor_cluster` keeps in sync between nodes.
    pub fn process_groups() -> Self {
        ClusterTransport {
            provers: ProverTransport::process_groups(),
            neurons: NeuronTransport::process_groups(),
        }
    }
}

/// The ports of the chains a node hosts: each chain's sequencer and the node's DA.
struct HostPorts {
    host: Weak<super::host::ChainHost>,
    da: SharedDa,
}

#[async_trait]
impl ChainPorts for HostPorts {
    async fn port(&self, chain: &ChainId) -> Option<Arc<dyn ChainPort>> {
        let host = self.host.upgrade()?;
        let sequencer = host.sequencer(chain).await?;
        Some(Arc::new(SequencerPort::new(sequencer, self.da.clone())))
    }
}

/// Starts the neuron gateway, a supervised role named `neuron_gateway`, serving every chain
/// `p` hosts (chains created later too) to the neuron nodes on `transport`.
pub async fn start_neuron_gateway(
    p: &Pipeline,
    transport: NeuronTransport,
    heartbeat_timeout_ms: u64,
    registry: &prometheus::Registry,
) -> anyhow::Result<()> {
    let name = "neuron_gateway";
    let role = RoleRef::<NeuronGatewayMsg>::spawn(Some(name.into()), name, 10_000).await?;
    let args = NeuronGatewayArgs {
        ports: Arc::new(HostPorts {
            host: Arc::downgrade(&p.host),
            da: p.da.clone(),
        }),
        transport,
        clock: p.clock.clone(),
        heartbeat_timeout_ms,
        board: p.neuron_leases.clone(),
        metrics: Some(GatewayMetrics::new(registry)?),
    };
    let spec = ChildSpec::role(name, role, move || (NeuronGateway, args.clone()));
    ractor::call!(p.supervisor, SupervisorMsg::Start, spec)
        .map_err(|e| anyhow::anyhow!("starting {name}: {e}"))?
        .map_err(|e| anyhow::anyhow!("starting {name}: {e}"))?;
    Ok(())
}
