//! Neurons on other machines, over the cluster transport. A neuron node
//! (`bitai neuron run --join`) runs its [`Neuron`](crate::Neuron)s on a [`ClusterPort`], the
//! [`ChainPort`] whose calls travel as [`NeuronGatewayMsg::Ask`]s to the chain node's
//! [`gateway::NeuronGateway`], and one [`NeuronLink`] that receives the answers and
//! heartbeats the leases on the node's accounts. The neuron signs its own ops; the gateway
//! only relays them to the sequencer. Both ends reach each other through
//! [`bitai_runtime::Transport`] (ractor's process groups over `ractor_cluster` on real nodes,
//! the simulated network in `bitai sim`), by group and by name.
//!
//! Every message may be lost, repeated or late: an ask without an answer within
//! `ask_timeout_ms` fails as `Unavailable` and the neuron asks again at its next tick; an
//! answer is matched by its ask's id, and a late or repeated one finds no ask and is dropped.
//! A repeated submission meets the sequencer's own rules (its nonce is used, or the seat
//! already committed), which the neuron counts as done.

pub mod gateway;

use crate::port::{ChainPort, NeuronPortError};
use async_trait::async_trait;
use bitai_chain::poc::{ModelRecord, PocOp, PocParams, RequestRecord};
use bitai_messages::neuron::wire::{
    link_group, Answer, FailureKind, NeuronGatewayMsg, NeuronLinkMsg, Query, NEURONS_GROUP,
    NEURON_GATEWAY_GROUP,
};
use bitai_protocol::{ChainId, Hash32};
use bitai_runtime::{SharedTransport, Transport};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a neuron node waits for the answer to an ask, ms (the in-node port's bound).
pub const ASK_TIMEOUT_MS: u64 = 10_000;

/// Asks waiting for their answers, by id.
type Pending = Arc<Mutex<BTreeMap<u64, oneshot::Sender<Answer>>>>;

/// The neuron protocol's two directions over one cluster transport.
#[derive(Clone)]
pub struct NeuronTransport {
    /// To the chain node's gateway.
    pub gateway: SharedTransport<NeuronGatewayMsg>,
    /// To neuron links (the gateway's answers).
    pub links: SharedTransport<NeuronLinkMsg>,
}

impl NeuronTransport {
    /// Both directions over `transport`.
    pub fn over<T>(transport: T) -> Self
    where
        T: Transport<NeuronGatewayMsg> + Transport<NeuronLinkMsg> + Clone,
    {
        NeuronTransport {
            gateway: Arc::new(transport.clone()),
            links: Arc::new(transport),
        }
    }

    /// Over ractor's process groups, which `ractor_cluster` keeps in sync between nodes.
    pub fn process_groups() -> Self {
        Self::over(bitai_runtime::PgTransport)
    }

    /// The gateway to ask: the first member of [`NEURON_GATEWAY_GROUP`] by name.
    pub fn gateway(&self) -> Option<bitai_runtime::Peer<NeuronGatewayMsg>> {
        self.gateway
            .members(NEURON_GATEWAY_GROUP)
            .into_iter()
            .next()
    }
}

/// What a neuron node's link is started with.
#[derive(Clone)]
pub struct LinkArgs {
    /// The link's name, unique in the cluster (the node's name and process).
    pub name: String,
    /// The chain its neurons serve.
    pub chain: ChainId,
    /// The neuron accounts this node serves (their leases).
    pub accounts: Vec<u32>,
    /// The cluster.
    pub transport: NeuronTransport,
    /// How often to heartbeat the leases, ms.
    pub heartbeat_interval_ms: u64,
    pending: Pending,
}

/// A neuron node's end: a member of [`NEURONS_GROUP`] and of its own [`link_group`]; it
/// hands answers to the waiting asks and heartbeats the node's leases.
pub struct NeuronLink;

impl LinkArgs {
    fn heartbeat(&self) {
        self.to_gateway(NeuronGatewayMsg::Heartbeat {
            link: self.name.clone(),
            chain: self.chain,
            accounts: self.accounts.clone(),
        });
    }

    fn to_gateway(&self, msg: NeuronGatewayMsg) {
        if let Some(gateway) = self.transport.gateway() {
            // Best effort: a lost heartbeat is made up by the next.
            let _ = gateway.link.send(msg);
        }
    }
}

impl Actor for NeuronLink {
    type Msg = NeuronLinkMsg;
    type State = LinkArgs;
    type Arguments = LinkArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<NeuronLinkMsg>,
        args: LinkArgs,
    ) -> Result<LinkArgs, ActorProcessingErr> {
        args.transport.links.join(NEURONS_GROUP, &myself);
        args.transport.links.join(&link_group(&args.name), &myself);
        args.heartbeat();
        myself.send_interval(Duration::from_millis(args.heartbeat_interval_ms), || {
            NeuronLinkMsg::Beat
        });
        tracing::info!(link = %args.name, accounts = ?args.accounts, "neuron link up");
        Ok(args)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<NeuronLinkMsg>,
        args: &mut LinkArgs,
    ) -> Result<(), ActorProcessingErr> {
        // Hand the leases back at once rather than let them time out.
        args.to_gateway(NeuronGatewayMsg::Leave {
            link: args.name.clone(),
            chain: args.chain,
            accounts: args.accounts.clone(),
        });
        args.transport.links.leave(NEURONS_GROUP, &myself);
        args.transport.links.leave(&link_group(&args.name), &myself);
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<NeuronLinkMsg>,
        msg: NeuronLinkMsg,
        args: &mut LinkArgs,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            NeuronLinkMsg::Answer { id, answer } => {
                let waiting = lock(&args.pending).remove(&id);
                match waiting {
                    // The ask may have timed out meanwhile: nothing to do then.
                    Some(tx) => {
                        let _ = tx.send(answer);
                    }
                    None => tracing::debug!(id, "late or repeated answer dropped"),
                }
            }
            NeuronLinkMsg::Beat => args.heartbeat(),
        }
        Ok(())
    }
}

fn lock(pending: &Pending) -> std::sync::MutexGuard<'_, BTreeMap<u64, oneshot::Sender<Answer>>> {
    pending.lock().unwrap_or_else(|p| p.into_inner())
}

/// A [`ChainPort`] over the cluster: every call is an ask to the chain node's gateway,
/// answered through the node's [`NeuronLink`].
#[derive(Clone)]
pub struct ClusterPort {
    link: String,
    chain: ChainId,
    transport: NeuronTransport,
    pending: Pending,
    next_id: Arc<AtomicU64>,
    ask_timeout_ms: u64,
}

/// A neuron node's link arguments and the port its neurons use, sharing the asks in flight.
pub fn link_and_port(
    name: String,
    chain: ChainId,
    accounts: Vec<u32>,
    transport: NeuronTransport,
    heartbeat_interval_ms: u64,
    ask_timeout_ms: u64,
) -> (LinkArgs, ClusterPort) {
    let pending: Pending = Arc::default();
    let port = ClusterPort {
        link: name.clone(),
        chain,
        transport: transport.clone(),
        pending: pending.clone(),
        next_id: Arc::new(AtomicU64::new(1)),
        ask_timeout_ms,
    };
    let link = LinkArgs {
        name,
        chain,
        accounts,
        transport,
        heartbeat_interval_ms,
        pending,
    };
    (link, port)
}

impl ClusterPort {
    async fn ask(&self, query: Query) -> Result<Answer, NeuronPortError> {
        let Some(gateway) = self.transport.gateway() else {
            return Err(NeuronPortError::Unavailable(
                "no neuron gateway in reach (is the chain node up and in the cluster?)".into(),
            ));
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        let ask = NeuronGatewayMsg::Ask {
            link: self.link.clone(),
            id,
            chain: self.chain,
            query,
        };
        if let Err(e) = gateway.link.send(ask) {
            lock(&self.pending).remove(&id);
            return Err(NeuronPortError::Unavailable(format!("gateway: {e}")));
        }
        match tokio::time::timeout(Duration::from_millis(self.ask_timeout_ms), rx).await {
            Ok(Ok(Answer::Failed(kind, reason))) => Err(match kind {
                FailureKind::Unavailable => NeuronPortError::Unavailable(reason),
                FailureKind::Refused => NeuronPortError::Refused(reason),
                FailureKind::Invalid => NeuronPortError::Invalid(reason),
            }),
            Ok(Ok(answer)) => Ok(answer),
            _ => {
                lock(&self.pending).remove(&id);
                Err(NeuronPortError::Unavailable(format!(
                    "no answer from the chain node within {} ms",
                    self.ask_timeout_ms
                )))
            }
        }
    }
}

fn unexpected(answer: Answer) -> NeuronPortError {
    NeuronPortError::Invalid(format!("unexpected answer: {}", answer.label()))
}

#[async_trait]
impl ChainPort for ClusterPort {
    async fn params(&self) -> Result<PocParams, NeuronPortError> {
        match self.ask(Query::Params).await? {
            Answer::Params(p) => Ok(p),
            other => Err(unexpected(other)),
        }
    }

    async fn head(&self) -> Result<u64, NeuronPortError> {
        match self.ask(Query::Head).await? {
            Answer::Head(n) => Ok(n),
            other => Err(unexpected(other)),
        }
    }

    async fn assignments(
        &self,
        account: u32,
    ) -> Result<Vec<(u32, RequestRecord)>, NeuronPortError> {
        match self.ask(Query::Assignments { account }).await? {
            Answer::Assignments(list) => Ok(list),
            other => Err(unexpected(other)),
        }
    }

    async fn model(&self, id: u32) -> Result<Option<ModelRecord>, NeuronPortError> {
        match self.ask(Query::Model { id }).await? {
            Answer::Model(m) => Ok(m),
            other => Err(unexpected(other)),
        }
    }

    async fn model_bytes(&self, hash: Hash32) -> Result<Option<Vec<u8>>, NeuronPortError> {
        match self.ask(Query::ModelBytes { hash }).await? {
            Answer::Bytes(b) => Ok(b),
            other => Err(unexpected(other)),
        }
    }

    async fn request_input(&self, id: u32) -> Result<Option<Vec<u8>>, NeuronPortError> {
        match self.ask(Query::RequestInput { id }).await? {
            Answer::Bytes(b) => Ok(b),
            other => Err(unexpected(other)),
        }
    }

    async fn nonce(&self, account: u32) -> Result<u64, NeuronPortError> {
        match self.ask(Query::Nonce { account }).await? {
            Answer::Nonce(n) => Ok(n),
            other => Err(unexpected(other)),
        }
    }

    async fn submit(&self, op: PocOp) -> Result<Hash32, NeuronPortError> {
        match self.ask(Query::Submit(Box::new(op))).await? {
            Answer::Submitted(id) => Ok(id),
            other => Err(unexpected(other)),
        }
    }
}

#[cfg(test)]
mod tests;
