//! Neurons inside a node: [`SequencerPort`], the [`ChainPort`] a neuron sees its chain
//! through when it runs beside the chain's sequencer (queries and submissions go to the
//! sequencer's role, model bytes come from the node's DA), [`register_neurons`], and
//! [`start_neurons`], which makes sure each neuron is registered and starts it as a
//! supervised child of the node.

use crate::pipeline::Pipeline;
use anyhow::Context;
use async_trait::async_trait;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::poc::{ModelRecord, PocOp, RequestRecord};
use bitai_messages::da::SharedDa;
use bitai_messages::sequencer::SequencerMsg;
use bitai_neuron::{
    register_op, BackendChoice, ChainPort, Neuron, NeuronArgs, NeuronConfig, NeuronFaults,
    NeuronMsg, NeuronPortError,
};
use bitai_protocol::{ChainId, Hash32};
use bitai_runtime::{ChildSpec, RoleRef, SupervisorMsg};

/// How long a neuron waits for its sequencer's answer, ms.
const ASK_TIMEOUT_MS: u64 = 10_000;

/// A [`ChainPort`] over a chain's sequencer role and the node's DA.
#[derive(Clone)]
pub struct SequencerPort {
    sequencer: RoleRef<SequencerMsg>,
    da: SharedDa,
}

impl SequencerPort {
    /// The port of the chain sequenced by `sequencer`, reading models from `da`.
    pub fn new(sequencer: RoleRef<SequencerMsg>, da: SharedDa) -> Self {
        SequencerPort { sequencer, da }
    }
}

fn unavailable() -> NeuronPortError {
    NeuronPortError::Unavailable("the sequencer did not answer".into())
}

#[async_trait]
impl ChainPort for SequencerPort {
    async fn params(&self) -> Result<bitai_chain::poc::PocParams, NeuronPortError> {
        self.sequencer
            .ask(|reply| SequencerMsg::Poc { reply }, ASK_TIMEOUT_MS)
            .await
            .map(|s| s.params)
            .ok_or_else(unavailable)
    }

    async fn head(&self) -> Result<u64, NeuronPortError> {
        self.sequencer
            .ask(|reply| SequencerMsg::Head { reply }, ASK_TIMEOUT_MS)
            .await
            .map(|h| h.number)
            .ok_or_else(unavailable)
    }

    async fn assignments(
        &self,
        account: u32,
    ) -> Result<Vec<(u32, RequestRecord)>, NeuronPortError> {
        self.sequencer
            .ask(
                |reply| SequencerMsg::Assignments { account, reply },
                ASK_TIMEOUT_MS,
            )
            .await
            .ok_or_else(unavailable)
    }

    async fn model(&self, id: u32) -> Result<Option<ModelRecord>, NeuronPortError> {
        self.sequencer
            .ask(|reply| SequencerMsg::Model { id, reply }, ASK_TIMEOUT_MS)
            .await
            .ok_or_else(unavailable)
    }

    async fn model_bytes(&self, hash: Hash32) -> Result<Option<Vec<u8>>, NeuronPortError> {
        self.da
            .get(&hash)
            .map_err(|e| NeuronPortError::Unavailable(format!("DA: {e}")))
    }

    async fn request_input(&self, id: u32) -> Result<Option<Vec<u8>>, NeuronPortError> {
        self.sequencer
            .ask(
                |reply| SequencerMsg::RequestInput { id, reply },
                ASK_TIMEOUT_MS,
            )
            .await
            .ok_or_else(unavailable)
    }

    async fn nonce(&self, account: u32) -> Result<u64, NeuronPortError> {
        self.sequencer
            .ask(
                |reply| SequencerMsg::Nonce { account, reply },
                ASK_TIMEOUT_MS,
            )
            .await
            .ok_or_else(unavailable)?
            .ok_or_else(|| NeuronPortError::Invalid(format!("account {account} does not exist")))
    }

    async fn submit(&self, op: PocOp) -> Result<Hash32, NeuronPortError> {
        self.sequencer
            .ask(|reply| SequencerMsg::SubmitOp { op, reply }, ASK_TIMEOUT_MS)
            .await
            .ok_or_else(unavailable)?
            .map_err(|e| NeuronPortError::Refused(e.to_string()))
    }
}

/// One neuron a node runs.
#[derive(Clone, Debug)]
pub struct NeuronPlan {
    /// Its account on the chain.
    pub account: u32,
    /// The account's key.
    pub key: PrivateKey,
    /// The stake it registers with if it is not registered yet.
    pub stake: u64,
    /// Fault injection (tests only; all off otherwise).
    pub faults: NeuronFaults,
}

/// The chain's Proof-of-Compute parameters, after registering each planned neuron that is
/// not yet a neuron of `chain` (nor has a registration pending) with its own signed op, as
/// its operator would before starting it here or on a neuron node.
pub async fn register_neurons(
    p: &Pipeline,
    chain: ChainId,
    plans: &[NeuronPlan],
    fee: u64,
) -> anyhow::Result<bitai_chain::poc::PocParams> {
    let sequencer = p
        .host
        .sequencer(&chain)
        .await
        .context("the chain's sequencer")?;
    let summary = sequencer
        .ask(|reply| SequencerMsg::Poc { reply }, ASK_TIMEOUT_MS)
        .await
        .context("the sequencer did not answer")?;
    anyhow::ensure!(
        summary.max_ops > 0 || plans.is_empty(),
        "chain {chain} takes no Proof-of-Compute ops (block_ops = 0); it cannot have neurons"
    );
    let registered = sequencer
        .ask(|reply| SequencerMsg::Neurons { reply }, ASK_TIMEOUT_MS)
        .await
        .context("the sequencer did not answer")?;
    let port = SequencerPort::new(sequencer, p.da.clone());
    for plan in plans {
        if registered.iter().any(|n| n.account == plan.account) {
            continue;
        }
        let nonce = port
            .nonce(plan.account)
            .await
            .with_context(|| format!("neuron account {}", plan.account))?;
        let op = register_op(&plan.key, &chain, plan.account, plan.stake, nonce, fee);
        match port.submit(op).await {
            Ok(_) => tracing::info!(
                account = plan.account,
                stake = plan.stake,
                "neuron registration submitted"
            ),
            // A registration pending from an earlier start counts as registered.
            Err(e) if e.to_string().contains("already a neuron") => {}
            Err(e) => return Err(anyhow::anyhow!("registering neuron {}: {e}", plan.account)),
        }
    }
    Ok(summary.params)
}

/// Registers the planned neurons ([`register_neurons`]), then starts each as a supervised
/// child named `neuron-<chain>-<account>` (the chain id's first 8 hex digits: one node may
/// run neurons of several chains). Returns the neurons' roles.
pub async fn start_neurons(
    p: &Pipeline,
    chain: ChainId,
    plans: &[NeuronPlan],
    config: &NeuronConfig,
    fee: u64,
) -> anyhow::Result<Vec<RoleRef<NeuronMsg>>> {
    let params = register_neurons(p, chain, plans, fee).await?;
    let sequencer = p
        .host
        .sequencer(&chain)
        .await
        .context("the chain's sequencer")?;
    let port = std::sync::Arc::new(SequencerPort::new(sequencer, p.da.clone()));
    let mut roles = Vec::with_capacity(plans.len());
    for plan in plans {
        let name = format!("neuron-{}-{}", &chain.to_string()[..8], plan.account);
        let role = RoleRef::<NeuronMsg>::spawn(Some(name.clone()), &name, 1_000).await?;
        let args = NeuronArgs {
            account: plan.account,
            key: plan.key.clone(),
            chain_id: chain,
            params,
            port: port.clone(),
            store: p.store.clone(),
            clock: p.clock.clone(),
            config: config.clone(),
            backend: BackendChoice::Auto { threads: 1 },
            registry: None,
            faults: plan.faults,
        };
        let spec = ChildSpec::role(&name, role.clone(), move || (Neuron, args.clone()));
        ractor::call!(p.supervisor, SupervisorMsg::Start, spec)
            .map_err(|e| anyhow::anyhow!("starting {name}: {e}"))?
            .map_err(|e| anyhow::anyhow!("starting {name}: {e}"))?;
        roles.push(role);
    }
    Ok(roles)
}
