//! Provers on other nodes. A coordinator node runs the pool and a [`PoolGateway`] in process
//! group [`PROVER_POOL_GROUP`]; a prover node (`bitai prover run`) joins the coordinator over
//! `ractor_cluster` and runs a [`RemoteProver`] in group [`PROVERS_GROUP`]. `ActorRef`s do
//! not cross nodes in messages: each side finds the other through `ractor::pg`, whose
//! membership `ractor_cluster` keeps in sync between connected nodes.
//!
//! - The gateway watches group `provers` and tells the pool of joins
//!   ([`PoolMsg::RemoteJoined`]) and leaves ([`PoolMsg::RemoteLeft`]); it re-announces the
//!   current members periodically, so a restarted pool finds them again (the pool ignores a
//!   prover it knows).
//! - The pool sends a remote prover [`RemoteProverMsg::Prove`] directly (ractor serializes
//!   a message to a remote actor); the prover heartbeats the lease every
//!   `heartbeat_interval_ms` while it proves and sends `Finished` at the end, both to the
//!   gateway, which hands them to the pool.
//!
//! Nothing here reads the wall clock or opens sockets: the cluster transport is the node's
//! business (`bitai` starts the `NodeServer`), so the pool stays as deterministic as before,
//! and the simulation never uses this module.

use bitai_messages::prover::wire::{
    bounded_reason, GatewayMsg, RemoteProverMsg, PROVERS_GROUP, PROVER_POOL_GROUP,
};

use crate::worker::{ProverBackend, ProvingEngine};
use bitai_messages::prover::{PoolMsg, ProveError};
use bitai_runtime::{Clock, Sink};
use ractor::pg::GroupChangeMessage;
use ractor::{pg, Actor, ActorCell, ActorProcessingErr, ActorRef, SupervisionEvent};
use std::sync::Arc;
use std::time::Duration;

/// What the gateway is started with.
#[derive(Clone)]
pub struct GatewayArgs {
    /// The pool (on a node, its role proxy).
    pub pool: Arc<dyn Sink<PoolMsg>>,
    /// How often remote provers heartbeat a lease, ms.
    pub heartbeat_interval_ms: u64,
    /// A remote lease without a heartbeat for this long is taken back, ms.
    pub heartbeat_timeout_ms: u64,
    /// How often the current provers are announced again, ms.
    pub resync_interval_ms: u64,
}

/// The coordinator's end of the remote protocol: a member of [`PROVER_POOL_GROUP`] that
/// watches [`PROVERS_GROUP`] and forwards reports to the pool.
pub struct PoolGateway;

impl PoolGateway {
    fn announce(state: &GatewayArgs, members: Vec<ActorCell>) {
        for cell in members {
            let prover: ActorRef<RemoteProverMsg> = cell.into();
            let msg = PoolMsg::RemoteJoined {
                prover,
                heartbeat_interval_ms: state.heartbeat_interval_ms,
                heartbeat_timeout_ms: state.heartbeat_timeout_ms,
            };
            if let Err(e) = state.pool.send(msg) {
                tracing::warn!(error = %e, "pool unreachable; a prover will be announced again");
            }
        }
    }
}

/// The members of `group`, in actor-id order (pg keeps them in a `HashMap`).
pub fn sorted_members(group: &str) -> Vec<ActorCell> {
    let mut members = pg::get_members(&group.to_owned());
    members.sort_by_key(|c| c.get_id());
    members
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
        pg::join(PROVER_POOL_GROUP.to_owned(), vec![myself.get_cell()]);
        pg::monitor(PROVERS_GROUP.to_owned(), myself.get_cell());
        Self::announce(&args, sorted_members(PROVERS_GROUP));
        myself.send_interval(Duration::from_millis(args.resync_interval_ms), || {
            GatewayMsg::Resync
        });
        tracing::info!("prover pool gateway up");
        Ok(args)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<GatewayMsg>,
        _state: &mut GatewayArgs,
    ) -> Result<(), ActorProcessingErr> {
        pg::demonitor(PROVERS_GROUP.to_owned(), myself.get_id());
        pg::leave(PROVER_POOL_GROUP.to_owned(), vec![myself.get_cell()]);
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
                Self::announce(state, sorted_members(PROVERS_GROUP));
                return Ok(());
            }
        };
        if let Err(e) = state.pool.send(forward) {
            tracing::warn!(error = %e, "pool unreachable; the lease will be taken back");
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _myself: ActorRef<GatewayMsg>,
        event: SupervisionEvent,
        state: &mut GatewayArgs,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ProcessGroupChanged(GroupChangeMessage::Join(
                _,
                group,
                mut cells,
            )) if group == PROVERS_GROUP => {
                cells.sort_by_key(|c| c.get_id());
                Self::announce(state, cells);
            }
            SupervisionEvent::ProcessGroupChanged(GroupChangeMessage::Leave(
                _,
                group,
                mut cells,
            )) if group == PROVERS_GROUP => {
                cells.sort_by_key(|c| c.get_id());
                for cell in cells {
                    if let Err(e) = state.pool.send(PoolMsg::RemoteLeft(cell.get_id())) {
                        tracing::warn!(error = %e, "pool unreachable; the lease will expire");
                    }
                }
            }
            other => tracing::debug!(event = %other, "gateway ignores a supervision event"),
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
}

/// The remote prover's state.
pub struct RemoteProverState {
    engine: ProvingEngine,
    clock: Arc<dyn Clock>,
}

/// A prover on a prover node: a member of [`PROVERS_GROUP`] that proves what the pool
/// leases to it and reports to the gateway.
pub struct RemoteProver;

/// The gateway to report to: the first member of [`PROVER_POOL_GROUP`] by actor id.
pub fn gateway() -> Option<ActorRef<GatewayMsg>> {
    sorted_members(PROVER_POOL_GROUP)
        .into_iter()
        .next()
        .map(ActorRef::from)
}

fn report(msg: GatewayMsg) {
    match gateway() {
        Some(gateway) => {
            if let Err(e) = gateway.cast(msg) {
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
        pg::join(PROVERS_GROUP.to_owned(), vec![myself.get_cell()]);
        tracing::info!(backend = ?args.backend, "remote prover joined group {PROVERS_GROUP}");
        Ok(RemoteProverState {
            engine: ProvingEngine::new(args.backend, args.rng_seed),
            clock: args.clock,
        })
    }

    async fn post_stop(
        &self,
        myself: ActorRef<RemoteProverMsg>,
        _state: &mut RemoteProverState,
    ) -> Result<(), ActorProcessingErr> {
        pg::leave(PROVERS_GROUP.to_owned(), vec![myself.get_cell()]);
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<RemoteProverMsg>,
        msg: RemoteProverMsg,
        state: &mut RemoteProverState,
    ) -> Result<(), ActorProcessingErr> {
        let RemoteProverMsg::Prove {
            job,
            lease_id,
            heartbeat_interval_ms,
            circuit,
        } = msg;
        tracing::info!(chain = %job.chain_id, block = job.block_number, lease_id, "proving");
        let started_ms = state.clock.now_ms();
        let proving = state.engine.prove(circuit);
        tokio::pin!(proving);
        let every = Duration::from_millis(heartbeat_interval_ms.max(1));
        let result = loop {
            tokio::select! {
                biased;
                result = &mut proving => break result,
                () = tokio::time::sleep(every) => report(GatewayMsg::Heartbeat { lease_id }),
            }
        };
        let prove_ms = state.clock.now_ms().saturating_sub(started_ms);
        match &result {
            Ok(_) => tracing::info!(block = job.block_number, prove_ms, "proved"),
            Err(reason) => tracing::warn!(block = job.block_number, %reason, "proving failed"),
        }
        report(GatewayMsg::Finished {
            job,
            lease_id,
            result: result.map_err(|e| bounded_reason(e.to_string())),
            prove_ms,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests;
