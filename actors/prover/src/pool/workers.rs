//! The pool's workers and leases: local provers (role proxies or plain actors) and provers
//! on other nodes, which join and leave through the gateway ([`crate::remote`]) and must
//! heartbeat their leases; a lease ends at its deadline, or, for a remote worker, after
//! `heartbeat_timeout_ms` without a heartbeat, or at once when its worker leaves.

use super::PoolState;
use bitai_messages::prover::wire::RemoteProverMsg;
use bitai_messages::prover::{JobId, ProverMsg};
use bitai_runtime::Peer;
use bitai_runtime::RoleRef;
use ractor::{ActorProcessingErr, ActorRef};

/// A prover the pool leases to: a supervised role (stable across restarts), a plain actor
/// that joined by message, a prover on another node, or one that left (its slot is kept so
/// indices stay stable).
pub(super) enum Worker {
    Role(RoleRef<ProverMsg>),
    Actor(ActorRef<ProverMsg>),
    Remote {
        prover: Peer<RemoteProverMsg>,
        heartbeat_interval_ms: u64,
        heartbeat_timeout_ms: u64,
    },
    Gone,
}

impl Worker {
    pub(super) fn cast(&self, msg: ProverMsg) -> Result<(), String> {
        match self {
            Worker::Role(role) => role.send(msg).map_err(|e| e.to_string()),
            Worker::Actor(actor) => actor.cast(msg).map_err(|e| e.to_string()),
            Worker::Remote {
                prover,
                heartbeat_interval_ms,
                ..
            } => {
                let ProverMsg::Prove {
                    job,
                    lease_id,
                    circuit,
                    pool: _,
                } = msg;
                prover
                    .link
                    .send(RemoteProverMsg::Prove {
                        job,
                        lease_id,
                        heartbeat_interval_ms: *heartbeat_interval_ms,
                        circuit,
                    })
                    .map_err(|e| e.to_string())
            }
            Worker::Gone => Err("the prover left".into()),
        }
    }

    /// How long a lease of this worker may go without a heartbeat, if it must send them.
    pub(super) fn heartbeat_timeout_ms(&self) -> Option<u64> {
        match self {
            Worker::Remote {
                heartbeat_timeout_ms,
                ..
            } => Some(*heartbeat_timeout_ms),
            _ => None,
        }
    }
}

/// A job out to a worker.
pub(super) struct Lease {
    pub(super) lease_id: u64,
    pub(super) worker: usize,
    pub(super) deadline_ms: u64,
    /// For a worker that heartbeats: when it last did (or the lease started), and how long
    /// it may stay silent, ms.
    pub(super) heartbeat: Option<(u64, u64)>,
}

impl Lease {
    /// Why the lease is over at `now_ms`, if it is.
    pub(super) fn expired(&self, now_ms: u64) -> Option<&'static str> {
        if self.deadline_ms <= now_ms {
            return Some("lease timed out");
        }
        match self.heartbeat {
            Some((last_ms, timeout_ms)) if last_ms.saturating_add(timeout_ms) <= now_ms => {
                Some("no heartbeat in time")
            }
            _ => None,
        }
    }
}

impl PoolState {
    /// A worker that finished (or reported late) takes work again, unless it left.
    pub(super) fn back_in_rotation(&mut self, worker: usize) {
        if !matches!(self.workers.get(worker), Some(Worker::Gone) | None) {
            self.idle.insert(worker);
        }
    }

    pub(super) fn remote_joined(
        &mut self,
        prover: Peer<RemoteProverMsg>,
        heartbeat_interval_ms: u64,
        heartbeat_timeout_ms: u64,
    ) {
        let id = prover.name.clone();
        if self.remote.contains_key(&id) {
            return;
        }
        tracing::info!(prover = %id, "remote prover joined");
        let worker = Worker::Remote {
            prover,
            heartbeat_interval_ms,
            heartbeat_timeout_ms,
        };
        // A slot a prover left is taken again (no lease, loss or idle entry refers to it any
        // more), so churn of prover nodes does not grow the list.
        let index = match self.workers.iter().position(|w| matches!(w, Worker::Gone)) {
            Some(free) => {
                self.workers[free] = worker;
                free
            }
            None => {
                self.workers.push(worker);
                self.workers.len() - 1
            }
        };
        self.remote.insert(id, index);
        self.idle.insert(index);
        self.metrics.remote_provers.set(self.remote.len() as i64);
    }

    /// Every remote prover not in `names` (the gateway's view of the cluster now) left.
    pub(super) fn remote_members(&mut self, names: Vec<String>) -> Result<(), ActorProcessingErr> {
        let names: std::collections::BTreeSet<String> = names.into_iter().collect();
        let gone: Vec<String> = self
            .remote
            .keys()
            .filter(|n| !names.contains(*n))
            .cloned()
            .collect();
        for id in gone {
            self.remote_left(&id)?;
        }
        Ok(())
    }

    fn remote_left(&mut self, id: &str) -> Result<(), ActorProcessingErr> {
        let Some(worker) = self.remote.remove(id) else {
            return Ok(());
        };
        tracing::warn!(prover = %id, "remote prover left");
        self.workers[worker] = Worker::Gone;
        self.metrics.remote_provers.set(self.remote.len() as i64);
        self.idle.remove(&worker);
        self.lost.retain(|_, w| *w != worker);
        let held: Vec<JobId> = self
            .leases
            .iter()
            .filter(|(_, l)| l.worker == worker)
            .map(|(job, _)| *job)
            .collect();
        for job in held {
            self.leases.remove(&job);
            tracing::warn!(?job, "its prover left; the job goes back to the queue");
            self.requeue(job)?;
        }
        self.metrics.leases_out.set(self.leases.len() as i64);
        Ok(())
    }

    pub(super) fn heartbeat(&mut self, lease_id: u64) {
        let now = self.clock.now_ms();
        match self.leases.values_mut().find(|l| l.lease_id == lease_id) {
            Some(Lease {
                heartbeat: Some((last_ms, _)),
                ..
            }) => *last_ms = now,
            _ => tracing::debug!(lease_id, "heartbeat for a lease the pool does not hold"),
        }
    }
}
