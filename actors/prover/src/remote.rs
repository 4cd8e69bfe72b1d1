//! Provers on other nodes. A coordinator node runs the pool and a [`PoolGateway`] in group
//! [`PROVER_POOL_GROUP`]; a prover node (`bitai prover run`) joins the coordinator's cluster
//! and runs a [`RemoteProver`] in group [`PROVERS_GROUP`]. Both sides reach each other only
//! through the cluster transport ([`bitai_runtime::Transport`]: ractor_cluster's process
//! groups on real nodes, the simulated network in `bitai sim`), by group and by name; actor
//! references never travel in messages.
//!
//! - The gateway lists group `provers` every `resync_interval_ms` and tells the pool of each
//!   member ([`PoolMsg::RemoteJoined`]; the pool ignores a prover it knows) and of the whole
//!   list ([`PoolMsg::RemoteMembers`]: any other remote prover left, and its lease goes back).
//!   A restarted pool or gateway thus finds the cluster as it is.
//! - The pool sends a remote prover [`RemoteProverMsg::Prove`] through its peer link; the
//!   prover heartbeats the lease every `heartbeat_interval_ms` while it proves and sends
//!   `Finished` at the end, both to the gateway, which hands them to the pool.
//! - Every message may be lost, repeated or late: a lost `Prove` or `Finished` costs a lease
//!   timeout, a repeated or late report is matched by lease id and changes nothing.
//! - A prover node drains ([`RemoteProverMsg::Drain`], on SIGTERM or the simulation's
//!   `node_drain`): it finishes the proof in hand, leaves group `provers` (the gateway's next
//!   listing tells the pool, which leases it nothing more), still proves what was leased
//!   before that, and stops after `drain_grace_ms`. A lease it never got to goes back when the
//!   pool sees it gone; nothing is lost either way.
//!
//! Nothing here reads the wall clock or opens sockets: the transport is the node's business,
//! so the pool stays as deterministic as before.

pub use bitai_messages::prover::wire::RemoteProverMsg;
use bitai_messages::prover::wire::{bounded_reason, GatewayMsg, PROVERS_GROUP, PROVER_POOL_GROUP};

use crate::worker::{ProverBackend, ProverFault, ProverFaults, ProvingEngine};
use bitai_messages::prover::{PoolMsg, ProveError};
use bitai_runtime::{Clock, PgTransport, SharedTransport, Sink, Transport};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::Arc;
use std::time::Duration;

/// The prover protocol's two directions over one cluster transport.
#[derive(Clone)]
pub struct ProverTransport {
    /// To remote provers (members of [`PROVERS_GROUP`]).
    pub provers: SharedTransport<RemoteProverMsg>,
    /// To the pool's gateway (the member of [`PROVER_POOL_GROUP`]).
    pub pool: SharedTransport<GatewayMsg>,
}

impl ProverTransport {
    /// Both directions over `transport`.
    pub fn over<T>(transport: T) -> Self
    where
        T: Transport<RemoteProverMsg> + Transport<GatewayMsg> + Clone,
    {
        ProverTransport {
            provers: Arc::new(transport.clone()),
            pool: Arc::new(transport),
        }
    }

    /// Over ractor's process groups, which `ractor_cluster` keeps in sync between nodes.
    pub fn process_groups() -> Self {
        Self::over(PgTransport)
    }

    /// The gateway to report to: the first member of [`PROVER_POOL_GROUP`] by name.
    pub fn gateway(&self) -> Option<bitai_runtime::Peer<GatewayMsg>> {
        self.pool.members(PROVER_POOL_GROUP).into_iter().next()
    }
}

/// What the gateway is started with.
#[derive(Clone)]
pub struct GatewayArgs {
    /// The pool (on a node, its role proxy).
    pub pool: Arc<dyn Sink<PoolMsg>>,
    /// The cluster.
    pub transport: ProverTransport,
    /// How often remote provers heartbeat a lease, ms.
    pub heartbeat_interval_ms: u64,
    /// A remote lease without a heartbeat for this long is taken back, ms.
    pub heartbeat_timeout_ms: u64,
    /// How often the gateway lists the provers and tells the pool, ms.
    pub resync_interval_ms: u64,
}

/// The coordinator's end of the remote protocol: a member of [`PROVER_POOL_GROUP`] that
/// lists [`PROVERS_GROUP`] and forwards reports to the pool.
pub struct PoolGateway;

impl PoolGateway {
    fn sync(state: &GatewayArgs) {
        let members = state.transport.provers.members(PROVERS_GROUP);
        let names = members.iter().map(|p| p.name.clone()).collect();
        let joined = members.into_iter().map(|prover| PoolMsg::RemoteJoined {
            prover,
            heartbeat_interval_ms: state.heartbeat_interval_ms,
            heartbeat_timeout_ms: state.heartbeat_timeout_ms,
        });
        for msg in joined.chain(std::iter::once(PoolMsg::RemoteMembers(names))) {
            if let Err(e) = state.pool.send(msg) {
                tracing::warn!(error = %e, "pool unreachable; the provers will be listed again");
                return;
            }
        }
    }
}

impl Actor for PoolGateway {
    type Msg = GatewayMsg;
    type State = GatewayArgs;
    type Arguments = GatewayArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<GatewayMsg>,
        args: GatewayArgs,
    ) -> Result<GatewayArgs, ActorProcessingErr> {
        args.transport.pool.join(PROVER_POOL_GROUP, &myself);
        Self::sync(&args);
        myself.send_interval(Duration::from_millis(args.resync_interval_ms), || {
            GatewayMsg::Resync
        });
        tracing::info!("prover pool gateway up");
        Ok(args)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<GatewayMsg>,
        state: &mut GatewayArgs,
    ) -> Result<(), ActorProcessingErr> {
        state.transport.pool.leave(PROVER_POOL_GROUP, &myself);
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<GatewayMsg>,
        msg: GatewayMsg,
        state: &mut GatewayArgs,
    ) -> Result<(), ActorProcessingErr> {
        let forward = match msg {
            GatewayMsg::Finished {
                job,
                lease_id,
                result,
                prove_ms,
            } => PoolMsg::ProofFinished {
                job,
                lease_id,
                result: result.map_err(ProveError::Remote),
                prove_ms,
            },
            GatewayMsg::Heartbeat { lease_id } => PoolMsg::Heartbeat { lease_id },
            GatewayMsg::Resync => {
                Self::sync(state);
                return Ok(());
            }
        };
        if let Err(e) = state.pool.send(forward) {
            tracing::warn!(error = %e, "pool unreachable; the lease will be taken back");
        }
        Ok(())
    }
}

/// What a remote prover is started with.
#[derive(Clone)]
pub struct RemoteProverArgs {
    /// How proofs are made.
    pub backend: ProverBackend,
    /// Seed of the blinding randomness (fresh and secret per process in production).
    pub rng_seed: [u8; 32],
    /// The clock for prove times.
    pub clock: Arc<dyn Clock>,
    /// The cluster.
    pub transport: ProverTransport,
    /// Fault injection (the simulation's hung and lying prover nodes; never set otherwise).
    pub faults: ProverFaults,
    /// How long a draining prover still proves what was leased before the pool noticed,
    /// ms: a few of the gateway's listing intervals (`heartbeat_interval_ms`).
    pub drain_grace_ms: u64,
    /// The node's metrics (a prover node serves them on its `--metrics-listen`).
    pub metrics: Option<crate::metrics::RemoteProverMetrics>,
}

/// The remote prover's state.
pub struct RemoteProverState {
    engine: ProvingEngine,
    clock: Arc<dyn Clock>,
    transport: ProverTransport,
    faults: ProverFaults,
    drain_grace_ms: u64,
    draining: bool,
    metrics: Option<crate::metrics::RemoteProverMetrics>,
}

/// A prover on a prover node: a member of [`PROVERS_GROUP`] that proves what the pool
/// leases to it and reports to the gateway.
pub struct RemoteProver;

fn report(transport: &ProverTransport, msg: GatewayMsg) {
    match transport.gateway() {
        Some(gateway) => {
            if let Err(e) = gateway.link.send(msg) {
                tracing::warn!(error = %e, "cannot reach the pool's gateway");
            }
        }
        None => tracing::warn!("no pool gateway in the cluster; the lease will be taken back"),
    }
}

impl Actor for RemoteProver {
    type Msg = RemoteProverMsg;
    type State = RemoteProverState;
    type Arguments = RemoteProverArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<RemoteProverMsg>,
        args: RemoteProverArgs,
    ) -> Result<RemoteProverState, ActorProcessingErr> {
        args.transport.provers.join(PROVERS_GROUP, &myself);
        tracing::info!(backend = ?args.backend, "remote prover joined group {PROVERS_GROUP}");
        Ok(RemoteProverState {
            engine: ProvingEngine::new(args.backend, args.rng_seed),
            clock: args.clock,
            transport: args.transport,
            faults: args.faults,
            drain_grace_ms: args.drain_grace_ms,
            draining: false,
            metrics: args.metrics,
        })
    }

    async fn post_stop(
        &self,
        myself: ActorRef<RemoteProverMsg>,
        state: &mut RemoteProverState,
    ) -> Result<(), ActorProcessingErr> {
        state.transport.provers.leave(PROVERS_GROUP, &myself);
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<RemoteProverMsg>,
        msg: RemoteProverMsg,
        state: &mut RemoteProverState,
    ) -> Result<(), ActorProcessingErr> {
        let (job, lease_id, heartbeat_interval_ms, circuit) = match msg {
            RemoteProverMsg::Prove {
                job,
                lease_id,
                heartbeat_interval_ms,
                circuit,
            } => (job, lease_id, heartbeat_interval_ms, circuit),
            RemoteProverMsg::Drain => {
                if !state.draining {
                    // Whatever this prover was proving is done (this message waited behind
                    // it); the pool's next listing sees it gone and leases it nothing more.
                    state.draining = true;
                    if let Some(m) = &state.metrics {
                        m.draining.set(1);
                    }
                    state.transport.provers.leave(PROVERS_GROUP, &myself);
                    tracing::info!(
                        grace_ms = state.drain_grace_ms,
                        "draining: left group {PROVERS_GROUP}"
                    );
                    myself.send_after(Duration::from_millis(state.drain_grace_ms), || {
                        RemoteProverMsg::DrainDone
                    });
                }
                return Ok(());
            }
            RemoteProverMsg::DrainDone => {
                tracing::info!("drained: stopping");
                myself.stop(Some("drained".into()));
                return Ok(());
            }
        };
        let fault = state.faults.get();
        if fault == Some(ProverFault::Hang) {
            tracing::debug!(?job, "remote prover hung (fault injection): no answer");
            return Ok(());
        }
        tracing::info!(chain = %job.chain_id, block = job.block_number, lease_id, "proving");
        let started_ms = state.clock.now_ms();
        if let Some(m) = &state.metrics {
            m.proving.set(1);
        }
        let proving = state.engine.prove(circuit);
        tokio::pin!(proving);
        let every = Duration::from_millis(heartbeat_interval_ms.max(1));
        let mut result = loop {
            tokio::select! {
                biased;
                result = &mut proving => break result,
                () = tokio::time::sleep(every) => report(&state.transport, GatewayMsg::Heartbeat { lease_id }),
            }
        };
        if let (Some(ProverFault::InvalidProof), Ok(proof)) = (fault, &mut result) {
            tracing::debug!(
                ?job,
                "remote prover sends an invalid proof (fault injection)"
            );
            proof.iter_mut().for_each(|b| *b ^= 0x5a);
        }
        let prove_ms = state.clock.now_ms().saturating_sub(started_ms);
        if let Some(m) = &state.metrics {
            m.proving.set(0);
            let outcome = if result.is_ok() { "ok" } else { "failed" };
            m.proofs.with_label_values(&[outcome]).inc();
            m.prove_seconds.observe(prove_ms as f64 / 1000.0);
        }
        match &result {
            Ok(_) => tracing::info!(block = job.block_number, prove_ms, "proved"),
            Err(reason) => tracing::warn!(block = job.block_number, %reason, "proving failed"),
        }
        report(
            &state.transport,
            GatewayMsg::Finished {
                job,
                lease_id,
                result: result.map_err(|e| bounded_reason(e.to_string())),
                prove_ms,
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests;
