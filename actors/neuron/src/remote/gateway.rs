//! [`NeuronGateway`]: the chain node's end of the neuron protocol, a member of
//! [`NEURON_GATEWAY_GROUP`]. It answers each ask from the chain's own [`ChainPort`] (on a
//! node, the sequencer and DA: [`ChainPorts`]) and relays submissions to the sequencer as the
//! neuron signed them. Answers go to the asking link's own group.
//!
//! **Leases.** A neuron account of a chain is served by one neuron node at a time: the first
//! link that heartbeats it (or submits for it) holds its lease, renewed by every heartbeat.
//! Another link's submissions for that account are refused while the lease lives. A lease
//! without a heartbeat for `heartbeat_timeout_ms` goes back (a hung or vanished node; its
//! seats are missed by the chain's rules: refunded at the timeout, the no-show slashed), and
//! a `Leave` hands it back at once, so a replacement node takes the account over.
//! Leases live in memory: a restarted gateway grants them again from the next heartbeats.
//!
//! **For operators.** After every message the gateway writes the leases it holds to its
//! [`LeaseBoard`] (the admin endpoint's view: who serves which account, when it last
//! heartbeat) and counts asks, refusals and expired leases in [`GatewayMetrics`].

use crate::port::{ChainPort, NeuronPortError};
use async_trait::async_trait;
use bitai_chain::poc::PocOp;
use bitai_messages::neuron::wire::{
    link_group, Answer, FailureKind, NeuronGatewayMsg, NeuronLinkMsg, Query, NEURON_GATEWAY_GROUP,
};
use bitai_protocol::ChainId;
use bitai_runtime::SharedClock;
use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::NeuronTransport;

/// The ports of the chains a node sequences.
#[async_trait]
pub trait ChainPorts: Send + Sync + 'static {
    /// The port of `chain`, if this node sequences it.
    async fn port(&self, chain: &ChainId) -> Option<Arc<dyn ChainPort>>;
}

/// What the gateway is started with.
#[derive(Clone)]
pub struct NeuronGatewayArgs {
    /// The chains' ports.
    pub ports: Arc<dyn ChainPorts>,
    /// The cluster.
    pub transport: NeuronTransport,
    /// The clock leases expire by.
    pub clock: SharedClock,
    /// A lease without a heartbeat for this long goes back, ms.
    pub heartbeat_timeout_ms: u64,
    /// Where the leases are shown to operators.
    pub board: LeaseBoard,
    /// The gateway's metrics (registered once, outside the actor, so a restart reuses them).
    pub metrics: Option<GatewayMetrics>,
}

/// A neuron account's lease, as operators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeuronLease {
    /// The chain.
    pub chain: ChainId,
    /// The neuron account.
    pub account: u32,
    /// The neuron node's link (its node name).
    pub link: String,
    /// When the link last heartbeat (or submitted for) the account, by the gateway's clock.
    pub last_heartbeat_ms: u64,
}

/// The gateway's leases, rewritten after every message it handles.
pub type LeaseBoard = Arc<Mutex<Vec<NeuronLease>>>;

/// The neuron gateway's metrics.
#[derive(Clone, Debug)]
pub struct GatewayMetrics {
    /// Asks answered, by outcome (`ok`, `unavailable`, `refused`, `invalid`).
    pub asks: IntCounterVec,
    /// Leases held now.
    pub leases: IntGauge,
    /// Leases taken back because their heartbeats stopped.
    pub leases_expired: IntCounter,
    /// Heartbeats or submissions refused because another node holds the account.
    pub lease_conflicts: IntCounter,
}

impl GatewayMetrics {
    /// New metrics, registered in `registry`.
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let m = GatewayMetrics {
            asks: IntCounterVec::new(
                Opts::new(
                    "bitai_neuron_gateway_asks_total",
                    "Asks from neuron nodes answered, by outcome",
                ),
                &["outcome"],
            )?,
            leases: IntGauge::new(
                "bitai_neuron_gateway_leases",
                "Neuron account leases held by neuron nodes",
            )?,
            leases_expired: IntCounter::new(
                "bitai_neuron_gateway_leases_expired_total",
                "Neuron leases taken back because their heartbeats stopped",
            )?,
            lease_conflicts: IntCounter::new(
                "bitai_neuron_gateway_lease_conflicts_total",
                "Heartbeats or submissions refused: another neuron node holds the account",
            )?,
        };
        registry.register(Box::new(m.asks.clone()))?;
        registry.register(Box::new(m.leases.clone()))?;
        registry.register(Box::new(m.leases_expired.clone()))?;
        registry.register(Box::new(m.lease_conflicts.clone()))?;
        Ok(m)
    }
}

/// Who holds an account's lease, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lease {
    link: String,
    expires_ms: u64,
}

/// The gateway's state: its arguments and the leases by chain and account.
pub struct GatewayState {
    args: NeuronGatewayArgs,
    leases: BTreeMap<(ChainId, u32), Lease>,
}

/// The chain node's end of the neuron protocol.
pub struct NeuronGateway;

impl GatewayState {
    /// Takes or renews `link`'s lease on `account`; why not when another link holds it.
    fn lease(&mut self, link: &str, chain: ChainId, account: u32) -> Result<(), String> {
        let now = self.args.clock.now_ms();
        let expires_ms = now.saturating_add(self.args.heartbeat_timeout_ms);
        match self.leases.get_mut(&(chain, account)) {
            Some(lease) if lease.link == link => lease.expires_ms = expires_ms,
            Some(lease) if lease.expires_ms > now => {
                if let Some(m) = &self.args.metrics {
                    m.lease_conflicts.inc();
                }
                return Err(format!(
                    "neuron account {account} is served by neuron node {} (its lease lives \
                     until it stops heartbeating or leaves)",
                    lease.link
                ));
            }
            stale => {
                if let Some(stale) = stale {
                    tracing::warn!(link = %stale.link, account, chain = %short(&chain),
                        "neuron lease went back: no heartbeat");
                    if let Some(m) = &self.args.metrics {
                        m.leases_expired.inc();
                    }
                }
                tracing::info!(%link, account, chain = %short(&chain), "neuron lease taken");
                self.leases.insert(
                    (chain, account),
                    Lease {
                        link: link.to_owned(),
                        expires_ms,
                    },
                );
            }
        }
        Ok(())
    }

    fn hand_back(&mut self, link: &str, chain: ChainId, accounts: &[u32]) {
        for account in accounts {
            if self
                .leases
                .get(&(chain, *account))
                .is_some_and(|l| l.link == link)
            {
                self.leases.remove(&(chain, *account));
                tracing::info!(%link, account, chain = %short(&chain), "neuron lease handed back");
            }
        }
    }

    fn sweep(&mut self) {
        let now = self.args.clock.now_ms();
        let gone: Vec<(ChainId, u32)> = self
            .leases
            .iter()
            .filter(|(_, l)| l.expires_ms <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in gone {
            if let Some(lease) = self.leases.remove(&key) {
                tracing::warn!(link = %lease.link, account = key.1, chain = %short(&key.0),
                    "neuron lease went back: no heartbeat");
                if let Some(m) = &self.args.metrics {
                    m.leases_expired.inc();
                }
            }
        }
    }

    async fn answer(&mut self, link: &str, chain: ChainId, query: Query) -> Answer {
        if let Query::Submit(op) = &query {
            if let PocOp::Signed(op) = op.as_ref() {
                if let Err(why) = self.lease(link, chain, op.tx.account) {
                    return Answer::Failed(FailureKind::Refused, why);
                }
            }
        }
        let Some(port) = self.args.ports.port(&chain).await else {
            return Answer::Failed(
                FailureKind::Invalid,
                format!("chain {chain} is not sequenced by this node"),
            );
        };
        let result = match query {
            Query::Params => port.params().await.map(Answer::Params),
            Query::Head => port.head().await.map(Answer::Head),
            Query::Assignments { account } => {
                port.assignments(account).await.map(Answer::Assignments)
            }
            Query::Model { id } => port.model(id).await.map(Answer::Model),
            Query::ModelBytes { hash } => port.model_bytes(hash).await.map(Answer::Bytes),
            Query::RequestInput { id } => port.request_input(id).await.map(Answer::Bytes),
            Query::Nonce { account } => port.nonce(account).await.map(Answer::Nonce),
            Query::Submit(op) => port.submit(*op).await.map(Answer::Submitted),
        };
        result.unwrap_or_else(|e| match e {
            NeuronPortError::Unavailable(r) => Answer::Failed(FailureKind::Unavailable, r),
            NeuronPortError::Refused(r) => Answer::Failed(FailureKind::Refused, r),
            NeuronPortError::Invalid(r) => Answer::Failed(FailureKind::Invalid, r),
        })
    }

    /// Shows the leases to operators.
    fn publish(&self) {
        let timeout = self.args.heartbeat_timeout_ms;
        let leases: Vec<NeuronLease> = self
            .leases
            .iter()
            .map(|((chain, account), l)| NeuronLease {
                chain: *chain,
                account: *account,
                link: l.link.clone(),
                last_heartbeat_ms: l.expires_ms.saturating_sub(timeout),
            })
            .collect();
        if let Some(m) = &self.args.metrics {
            m.leases.set(leases.len() as i64);
        }
        *self.args.board.lock().unwrap_or_else(|p| p.into_inner()) = leases;
    }

    fn count(&self, answer: &Answer) {
        if let Some(m) = &self.args.metrics {
            let outcome = match answer {
                Answer::Failed(FailureKind::Unavailable, _) => "unavailable",
                Answer::Failed(FailureKind::Refused, _) => "refused",
                Answer::Failed(FailureKind::Invalid, _) => "invalid",
                _ => "ok",
            };
            m.asks.with_label_values(&[outcome]).inc();
        }
    }

    fn reply(&self, link: &str, id: u64, answer: Answer) {
        match self
            .args
            .transport
            .links
            .members(&link_group(link))
            .into_iter()
            .next()
        {
            // Best effort: a lost answer times the ask out, and the neuron asks again.
            Some(peer) => {
                let _ = peer.link.send(NeuronLinkMsg::Answer { id, answer });
            }
            None => tracing::debug!(%link, id, "the asking neuron link is out of reach"),
        }
    }
}

fn short(chain: &ChainId) -> String {
    chain.to_string()[..8].to_owned()
}

impl Actor for NeuronGateway {
    type Msg = NeuronGatewayMsg;
    type State = GatewayState;
    type Arguments = NeuronGatewayArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<NeuronGatewayMsg>,
        args: NeuronGatewayArgs,
    ) -> Result<GatewayState, ActorProcessingErr> {
        args.transport.gateway.join(NEURON_GATEWAY_GROUP, &myself);
        let sweep = Duration::from_millis((args.heartbeat_timeout_ms / 2).max(1));
        myself.send_interval(sweep, || NeuronGatewayMsg::Sweep);
        tracing::info!("neuron gateway up");
        Ok(GatewayState {
            args,
            leases: BTreeMap::new(),
        })
    }

    async fn post_stop(
        &self,
        myself: ActorRef<NeuronGatewayMsg>,
        state: &mut GatewayState,
    ) -> Result<(), ActorProcessingErr> {
        state
            .args
            .transport
            .gateway
            .leave(NEURON_GATEWAY_GROUP, &myself);
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<NeuronGatewayMsg>,
        msg: NeuronGatewayMsg,
        state: &mut GatewayState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            NeuronGatewayMsg::Ask {
                link,
                id,
                chain,
                query,
            } => {
                let answer = state.answer(&link, chain, query).await;
                state.count(&answer);
                state.reply(&link, id, answer);
            }
            NeuronGatewayMsg::Heartbeat {
                link,
                chain,
                accounts,
            } => {
                for account in accounts {
                    if let Err(why) = state.lease(&link, chain, account) {
                        tracing::warn!(%link, account, "heartbeat refused: {why}");
                    }
                }
            }
            NeuronGatewayMsg::Leave {
                link,
                chain,
                accounts,
            } => state.hand_back(&link, chain, &accounts),
            NeuronGatewayMsg::Sweep => state.sweep(),
        }
        state.publish();
        Ok(())
    }
}
