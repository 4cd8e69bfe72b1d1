//! The `ProverPool` actor: keeps the persisted queue of blocks to prove, leases each to an
//! idle prover with a deadline, takes a job back when its lease expires or its prover
//! fails (up to `max_attempts`, then parks it as failed for an operator), proves independent
//! blocks in parallel on as many provers as it has, and emits `SubmitProof` for each chain
//! strictly in block order.
//!
//! Provers on other nodes join through the gateway ([`crate::remote`]) as remote workers:
//! their leases must also be renewed by heartbeats (a hung peer stays connected and in its
//! group forever, so only a missing heartbeat tells), and when one leaves, its lease goes
//! back to the queue at once.
//!
//! Operators query the jobs with `PoolMsg::Jobs` ([`bitai_messages::prover::JobSummary`]): the stored jobs
//! (pending, leased, proved, failed) and the last [`RECENT_EMITTED`] emitted since start.
//!
//! Guarantees: a `ProveBlock` is acknowledged only after the job is persisted; after a
//! restart the pool reloads every job from the store (leases are not persisted: whatever
//! was leased is leased again). Emission is at least once: a crash between sending a proof
//! and recording it re-sends it after restart, and the mempool drops the duplicate.

use crate::metrics::PoolMetrics;
use crate::queue::{JobQueue, JobRecord, JobState};
use bitai_messages::prover::JobId;
use bitai_messages::prover::{
    BlockStatement, JobStatus, JobSummary, LeaseSummary, PoolError, PoolMsg, ProofEmitted,
    ProveError, ProverMsg,
};
use bitai_proofs::circuit::BlockCircuit;
use bitai_protocol::{ChainId, SubmitProof};
use bitai_runtime::{Clock, RoleRef, Sink};
use bitai_storage::SharedStore;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use workers::{Lease, Worker};

mod workers;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// Emitted jobs the pool remembers for [`PoolMsg::Jobs`] (emitted jobs leave the store).
pub const RECENT_EMITTED: usize = 256;

/// Pool settings.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// How long a prover may hold a job before it is taken back, in milliseconds.
    pub lease_timeout_ms: u64,
    /// Failed attempts per job before it is parked as failed: failures its provers report.
    /// An expired lease, a prover that left and a proof that does not verify are the
    /// prover's fault and do not count (the job is proved again elsewhere).
    pub max_attempts: u32,
    /// Most jobs in the queue; more are refused with [`PoolError::QueueFull`].
    pub max_queue: usize,
    /// How often lease deadlines are checked, in milliseconds.
    pub tick_interval_ms: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            lease_timeout_ms: 600_000,
            max_attempts: 3,
            max_queue: 1024,
            tick_interval_ms: 1_000,
        }
    }
}

/// What the pool is started with.
#[derive(Clone)]
pub struct PoolArgs {
    /// Storage for the queue.
    pub store: SharedStore,
    /// The clock for lease deadlines.
    pub clock: Arc<dyn Clock>,
    /// Where proofs go, in block order per chain (the mempool, usually behind its role
    /// proxy: `bitai_runtime::RoleRef<MempoolMsg>` is a sink when `MempoolMsg:
    /// From<ProofEmitted>`; tests use `ActorSink` or `ChannelSink`).
    pub sink: Arc<dyn Sink<ProofEmitted>>,
    /// Settings.
    pub config: PoolConfig,
    /// Metrics.
    pub metrics: PoolMetrics,
    /// Where the pool learns which proofs the BitAI side has verified, so it can send again a
    /// proof that got lost downstream (a mempool that crashed with it in its mailbox); `None`:
    /// every proof is emitted once.
    pub confirmations: Option<Confirmations>,
    /// Provers known at start, by their stable role proxies (the node's local provers): a
    /// restarted prover or pool finds them again. Others join with `PoolMsg::WorkerJoined`.
    pub workers: Vec<RoleRef<ProverMsg>>,
    /// Checks a proof against its chain's registered key before the pool accepts it (a
    /// prover, local or a miner's, may send a wrong one); `None`: proofs are trusted.
    pub check: Option<ProofCheck>,
}

/// The verifier contract's check of a proof as the BitAI side will run it: `Err(reason)`
/// when the proof does not verify against its chain's registered key.
pub type ProofCheck = Arc<dyn Fn(&SubmitProof) -> Result<(), String> + Send + Sync>;

/// Re-emission of proofs not yet verified on the BitAI side.
#[derive(Clone)]
pub struct Confirmations {
    /// The last verified L2 block of a chain (the state machine's view).
    pub verified: Arc<dyn Fn(&ChainId) -> u64 + Send + Sync>,
    /// A proof still unverified this long after it was emitted is emitted again, ms (the
    /// mempool answers a duplicate with the same id and queues it once).
    pub reemit_after_ms: u64,
}

/// The pool's state.
pub struct PoolState {
    queue: JobQueue,
    clock: Arc<dyn Clock>,
    sink: Arc<dyn Sink<ProofEmitted>>,
    config: PoolConfig,
    metrics: PoolMetrics,
    workers: Vec<Worker>,
    /// Remote workers by peer name (their index in `workers`).
    remote: BTreeMap<String, usize>,
    idle: BTreeSet<usize>,
    /// Where the next lease looks for an idle worker first: leases go round the workers, so
    /// every prover (local or on another node) gets its share.
    next_worker: usize,
    pending: BTreeSet<JobId>,
    leases: BTreeMap<JobId, Lease>,
    /// Proofs emitted and not yet seen verified, with when they were last sent; persisted
    /// too ([`JobQueue::unconfirmed`]), so re-emission also covers a loss across a restart.
    unconfirmed: BTreeMap<JobId, (SubmitProof, u64)>,
    confirmations: Option<Confirmations>,
    check: Option<ProofCheck>,
    /// Provers out of rotation until then (ms): one that sent a proof that does not verify,
    /// or one whose lease expired (it may be back sooner, by reporting).
    benched: BTreeMap<usize, u64>,
    /// Provers whose lease expired, by that lease id: back in rotation when they report.
    lost: BTreeMap<u64, usize>,
    jobs: usize,
    next_lease_id: u64,
    /// Prove times of proved jobs not yet emitted (in memory only).
    prove_ms: BTreeMap<JobId, u64>,
    /// The last [`RECENT_EMITTED`] emitted jobs, oldest first.
    recent_emitted: VecDeque<JobSummary>,
}

/// The prover pool actor.
pub struct ProverPool;

impl Actor for ProverPool {
    type Msg = PoolMsg;
    type State = PoolState;
    type Arguments = PoolArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<PoolMsg>,
        args: PoolArgs,
    ) -> Result<PoolState, ActorProcessingErr> {
        let queue = JobQueue::new(args.store);
        let all = queue.all()?;
        let pending: BTreeSet<JobId> = all
            .iter()
            .filter(|(_, r)| matches!(r.state, JobState::Pending(_)))
            .map(|(id, _)| *id)
            .collect();
        let jobs = all
            .iter()
            .filter(|(_, r)| !matches!(r.state, JobState::Failed(_)))
            .count();
        tracing::info!(jobs, pending = pending.len(), "prover pool starting");
        myself.send_interval(Duration::from_millis(args.config.tick_interval_ms), || {
            PoolMsg::Tick
        });
        // Emitted before a restart and not yet seen verified: sent again as the pool starts
        // (the receiver may have lost them with its mailbox).
        let unconfirmed: BTreeMap<JobId, (SubmitProof, u64)> = if args.confirmations.is_some() {
            queue
                .unconfirmed()?
                .into_iter()
                .map(|(id, tx)| (id, (tx, 0)))
                .collect()
        } else {
            BTreeMap::new()
        };
        let resend = !unconfirmed.is_empty();
        let mut state = PoolState {
            queue,
            clock: args.clock,
            sink: args.sink,
            config: args.config,
            metrics: args.metrics,
            idle: (0..args.workers.len()).collect(),
            next_worker: 0,
            workers: args.workers.into_iter().map(Worker::Role).collect(),
            remote: BTreeMap::new(),
            unconfirmed,
            confirmations: args.confirmations,
            check: args.check,
            benched: BTreeMap::new(),
            pending,
            leases: BTreeMap::new(),
            lost: BTreeMap::new(),
            jobs,
            next_lease_id: 0,
            prove_ms: BTreeMap::new(),
            recent_emitted: VecDeque::new(),
        };
        state.metrics.queue_depth.set(jobs as i64);
        if resend {
            state.reemit_unconfirmed(true)?;
        }
        // Proofs finished before a restart may be emittable now.
        let chains: BTreeSet<_> = all.iter().map(|(id, _)| id.chain_id).collect();
        for chain in chains {
            state.emit_ready(&chain)?;
        }
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<PoolMsg>,
        msg: PoolMsg,
        state: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            PoolMsg::ProveBlock {
                statement,
                circuit,
                reply,
            } => {
                let outcome = state.accept(&statement, circuit);
                if reply.send(outcome).is_err() {
                    tracing::debug!("ProveBlock caller went away before the acknowledgement");
                }
            }
            PoolMsg::WorkerJoined(worker) => {
                state.workers.push(Worker::Actor(worker));
                state.idle.insert(state.workers.len() - 1);
            }
            PoolMsg::ProofFinished {
                job,
                lease_id,
                result,
                prove_ms,
            } => {
                state.finished(job, lease_id, result, prove_ms)?;
            }
            PoolMsg::RemoteJoined {
                prover,
                heartbeat_interval_ms,
                heartbeat_timeout_ms,
            } => state.remote_joined(prover, heartbeat_interval_ms, heartbeat_timeout_ms),
            PoolMsg::RemoteMembers(names) => state.remote_members(names)?,
            PoolMsg::Heartbeat { lease_id } => state.heartbeat(lease_id),
            PoolMsg::Tick => {
                state.unbench();
                state.expire_leases()?;
                state.reemit_unconfirmed(false)?;
            }
            PoolMsg::Jobs { reply } => {
                if reply.send(state.summaries()?).is_err() {
                    tracing::debug!("Jobs caller went away before the answer");
                }
            }
            PoolMsg::Leases { reply } => {
                if reply.send(state.lease_summaries()).is_err() {
                    tracing::debug!("Leases caller went away before the answer");
                }
            }
        }
        state.dispatch(&myself)?;
        Ok(())
    }
}

impl PoolState {
    fn accept(&mut self, statement: &BlockStatement, circuit: Vec<u8>) -> Result<(), PoolError> {
        if self.jobs >= self.config.max_queue {
            return Err(PoolError::QueueFull(self.jobs));
        }
        let (_, public) = BlockCircuit::peek_statement(&circuit)
            .map_err(|e| PoolError::BadCircuit(e.to_string()))?;
        if crate::statement_of(&public) != *statement {
            return Err(PoolError::BadCircuit(
                "the statement does not match the circuit's public inputs".into(),
            ));
        }
        let id = statement.job();
        let added = self
            .queue
            .insert(statement, circuit)
            .map_err(|e| PoolError::Store(e.to_string()))?;
        if added {
            self.pending.insert(id);
            self.jobs += 1;
            self.metrics.queue_depth.set(self.jobs as i64);
        }
        Ok(())
    }

    /// The idle worker whose turn it is (round the list from `next_worker`).
    fn next_idle(&self) -> Option<usize> {
        self.idle
            .range(self.next_worker..)
            .next()
            .or_else(|| self.idle.first())
            .copied()
    }

    /// Leases pending jobs (lowest block first) to idle provers, in turn.
    fn dispatch(&mut self, myself: &ActorRef<PoolMsg>) -> Result<(), ActorProcessingErr> {
        while let (Some(worker), Some(&job)) = (self.next_idle(), self.pending.first()) {
            let Some(record) = self.queue.get(&job)? else {
                self.pending.remove(&job);
                continue;
            };
            let JobState::Pending(circuit) = record.state else {
                self.pending.remove(&job);
                continue;
            };
            self.idle.remove(&worker);
            self.next_worker = worker + 1;
            self.pending.remove(&job);
            self.next_lease_id += 1;
            let lease_id = self.next_lease_id;
            let now_ms = self.clock.now_ms();
            let deadline_ms = now_ms + self.config.lease_timeout_ms;
            let heartbeat = self.workers[worker]
                .heartbeat_timeout_ms()
                .map(|timeout_ms| (now_ms, timeout_ms));
            self.leases.insert(
                job,
                Lease {
                    lease_id,
                    worker,
                    deadline_ms,
                    heartbeat,
                },
            );
            self.metrics.leases_out.set(self.leases.len() as i64);
            let msg = ProverMsg::Prove {
                job,
                lease_id,
                circuit,
                pool: myself.clone(),
            };
            if let Err(e) = self.workers[worker].cast(msg) {
                // The prover is gone: the lease will expire and the job be retried.
                tracing::warn!(worker, error = %e, "prover unreachable");
            }
        }
        Ok(())
    }

    fn finished(
        &mut self,
        job: JobId,
        lease_id: u64,
        result: Result<Vec<u8>, ProveError>,
        prove_ms: u64,
    ) -> Result<(), ActorProcessingErr> {
        if let Some(worker) = self.lost.remove(&lease_id) {
            tracing::debug!(?job, "late report on an expired lease; the prover is back");
            self.benched.remove(&worker);
            self.back_in_rotation(worker);
            return Ok(());
        }
        let Some(lease) = self.leases.get(&job).filter(|l| l.lease_id == lease_id) else {
            tracing::debug!(?job, "report for a lease this pool does not know");
            return Ok(());
        };
        let worker = lease.worker;
        self.leases.remove(&job);
        self.metrics.leases_out.set(self.leases.len() as i64);
        let Some(record) = self.queue.get(&job)? else {
            self.back_in_rotation(worker);
            return Ok(());
        };
        let JobState::Pending(circuit) = record.state else {
            self.back_in_rotation(worker);
            return Ok(());
        };
        let result = match (result, &self.check) {
            (Ok(proof), Some(check)) => {
                match check(&record.statement.submit_proof(proof.clone())) {
                    Ok(()) => Ok(proof),
                    Err(reason) => {
                        // A prover that sends a wrong proof sits out a lease period, so the
                        // retry goes to another one (the sim's seed 16 found the same liar
                        // taking all three attempts and the chain stalled).
                        let until = self.clock.now_ms() + self.config.lease_timeout_ms;
                        tracing::warn!(
                            ?job,
                            worker,
                            until,
                            "the prover sent a proof that does not verify; it sits out"
                        );
                        self.benched.insert(worker, until);
                        Err(ProveError::Proving(format!(
                            "the proof does not verify against the chain's key: {reason}"
                        )))
                    }
                }
            }
            (result, _) => result,
        };
        // A proof that does not verify is its prover's fault, not the block's: it does not
        // count towards the block's attempts (two lying provers must not park a block for
        // good and stall its chain, which seed 1 of a simulated day found).
        let prover_at_fault = self.benched.contains_key(&worker);
        if !prover_at_fault {
            self.back_in_rotation(worker);
        }
        match result {
            Ok(proof) => {
                self.metrics.proofs.inc();
                self.metrics.prove_seconds.observe(prove_ms as f64 / 1e3);
                self.prove_ms.insert(job, prove_ms);
                let state = JobState::Proved { proof };
                self.queue.put(
                    &job,
                    &JobRecord {
                        attempts: record.attempts + 1,
                        statement: record.statement,
                        state,
                    },
                )?;
                self.emit_ready(&job.chain_id)?;
            }
            Err(reason) => {
                tracing::warn!(?job, %reason, "proving failed");
                self.retry_or_park(
                    job,
                    JobRecord {
                        attempts: record.attempts + u32::from(!prover_at_fault),
                        statement: record.statement,
                        state: JobState::Pending(circuit),
                    },
                )?;
            }
        }
        Ok(())
    }

    /// Puts back in rotation the benched provers whose time is up.
    fn unbench(&mut self) {
        let now = self.clock.now_ms();
        let done: Vec<usize> = self
            .benched
            .iter()
            .filter(|(_, &until)| until <= now)
            .map(|(&w, _)| w)
            .collect();
        for worker in done {
            self.benched.remove(&worker);
            // A late report of a lease it lost no longer counts: it is back already.
            self.lost.retain(|_, w| *w != worker);
            self.back_in_rotation(worker);
        }
    }

    fn expire_leases(&mut self) -> Result<(), ActorProcessingErr> {
        #[cfg(feature = "planted-bugs")]
        if bitai_runtime::planted::on("hung_prover_job_kept") {
            return Ok(());
        }
        let now = self.clock.now_ms();
        let expired: Vec<(JobId, &'static str)> = self
            .leases
            .iter()
            .filter_map(|(id, l)| l.expired(now).map(|why| (*id, why)))
            .collect();
        for (job, why) in expired {
            let Some(lease) = self.leases.remove(&job) else {
                continue;
            };
            tracing::warn!(
                ?job,
                why,
                "lease taken back; the job goes back to the queue"
            );
            // The prover that held it stays out of rotation until it reports, or for one more
            // lease period: a prover that hung and recovered without ever reporting (its
            // job lost) must come back, or two such hangs leave a pool with no prover at all
            // (a simulated day, seed 2, stalled every chain that way).
            self.lost.insert(lease.lease_id, lease.worker);
            self.benched
                .insert(lease.worker, now + self.config.lease_timeout_ms);
            self.requeue(job)?;
        }
        self.metrics.leases_out.set(self.leases.len() as i64);
        Ok(())
    }

    /// A job whose lease ended without a result goes back to the queue (one attempt used).
    /// Puts back a job whose prover failed it (its lease expired, or it left): that is the
    /// prover's fault, so it does not count towards the job's attempts.
    fn requeue(&mut self, job: JobId) -> Result<(), ActorProcessingErr> {
        if let Some(record) = self.queue.get(&job)? {
            if let JobState::Pending(circuit) = record.state {
                let next = JobRecord {
                    attempts: record.attempts,
                    statement: record.statement,
                    state: JobState::Pending(circuit),
                };
                self.retry_or_park(job, next)?;
            }
        }
        Ok(())
    }

    fn retry_or_park(&mut self, job: JobId, record: JobRecord) -> Result<(), ActorProcessingErr> {
        self.metrics.failed_attempts.inc();
        if record.attempts >= self.config.max_attempts {
            let JobState::Pending(circuit) = record.state else {
                return Ok(());
            };
            tracing::error!(
                ?job,
                attempts = record.attempts,
                "giving up on the job; parked as failed"
            );
            self.queue.put(
                &job,
                &JobRecord {
                    attempts: record.attempts,
                    statement: record.statement,
                    state: JobState::Failed(circuit),
                },
            )?;
            self.jobs -= 1;
            self.metrics.queue_depth.set(self.jobs as i64);
        } else {
            self.queue.put(&job, &record)?;
            self.pending.insert(job);
        }
        Ok(())
    }

    /// Every stored job and the recently emitted ones, in job order.
    fn lease_summaries(&self) -> Vec<LeaseSummary> {
        let now_ms = self.clock.now_ms();
        self.leases
            .iter()
            .map(|(job, lease)| LeaseSummary {
                job: *job,
                holder: match self.workers.get(lease.worker) {
                    Some(Worker::Remote { prover, .. }) => prover.name.clone(),
                    _ => format!("local/{}", lease.worker),
                },
                heartbeat_age_ms: lease.heartbeat.map(|(last, _)| now_ms.saturating_sub(last)),
                deadline_in_ms: lease.deadline_ms.saturating_sub(now_ms),
            })
            .collect()
    }

    fn summaries(&self) -> Result<Vec<JobSummary>, ActorProcessingErr> {
        let mut out: BTreeMap<JobId, JobSummary> = self
            .recent_emitted
            .iter()
            .map(|s| (s.job, s.clone()))
            .collect();
        for (job, record) in self.queue.all()? {
            let state = match record.state {
                JobState::Pending(_) if self.leases.contains_key(&job) => JobStatus::Leased,
                JobState::Pending(_) => JobStatus::Pending,
                JobState::Proved { .. } => JobStatus::Proved,
                JobState::Failed(_) => JobStatus::Failed,
            };
            let summary = JobSummary {
                job,
                state,
                attempts: record.attempts,
                prove_ms: self.prove_ms.get(&job).copied(),
            };
            out.insert(job, summary);
        }
        Ok(out.into_values().collect())
    }

    /// Forgets the emitted proofs the BitAI side has verified and sends again, in block order
    /// per chain, those still unverified `reemit_after_ms` after they were last sent (`all`:
    /// every one still unverified, as a restarted pool does).
    fn reemit_unconfirmed(&mut self, all: bool) -> Result<(), ActorProcessingErr> {
        let Some(c) = self.confirmations.clone() else {
            return Ok(());
        };
        let now = self.clock.now_ms();
        let verified: Vec<JobId> = self
            .unconfirmed
            .keys()
            .filter(|id| id.block_number <= (c.verified)(&id.chain_id))
            .copied()
            .collect();
        self.queue.confirmed(&verified)?;
        for id in &verified {
            self.unconfirmed.remove(id);
        }
        for (id, (tx, sent_ms)) in self.unconfirmed.iter_mut() {
            if all || now.saturating_sub(*sent_ms) >= c.reemit_after_ms {
                tracing::info!(chain = %id.chain_id, block = id.block_number,
                    "proof still unverified; emitting it again");
                self.sink.send(ProofEmitted(tx.clone()))?;
                *sent_ms = now;
            }
        }
        Ok(())
    }

    /// Emits every proved block of `chain` that is next in line.
    fn emit_ready(&mut self, chain: &bitai_protocol::ChainId) -> Result<(), ActorProcessingErr> {
        while let Some(next) = self.queue.cursor(chain)? {
            let id = JobId {
                chain_id: *chain,
                block_number: next,
            };
            let Some(JobRecord {
                state: JobState::Proved { proof },
                statement,
                attempts,
            }) = self.queue.get(&id)?
            else {
                return Ok(());
            };
            let tx = statement.submit_proof(proof);
            self.sink.send(ProofEmitted(tx.clone()))?;
            let tracked = self.confirmations.is_some();
            self.queue.emitted(&id, tracked.then_some(&tx))?;
            if tracked {
                self.unconfirmed.insert(id, (tx, self.clock.now_ms()));
            }
            if self.recent_emitted.len() >= RECENT_EMITTED {
                self.recent_emitted.pop_front();
            }
            self.recent_emitted.push_back(JobSummary {
                job: id,
                state: JobStatus::Emitted,
                attempts,
                prove_ms: self.prove_ms.remove(&id),
            });
            self.jobs -= 1;
            self.metrics.queue_depth.set(self.jobs as i64);
        }
        Ok(())
    }
}
