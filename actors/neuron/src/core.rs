//! What a neuron does on each tick, apart from the actor: read the head and its assignments,
//! forget the records of settled requests, and for each open assignment take the one step
//! that is due.
//!
//! For an assignment (decisions use `next = head + 1`, the earliest block an op can land in):
//! - **no record, seat not committed**: if `next` is past the commit deadline the neuron is
//!   late and leaves it (it never commits once reveals may be open); otherwise it fetches the
//!   model (cached by hash) and the input, checks both against the chain's hashes, computes
//!   the canonical output, derives the salt, **persists** the record, and only then submits
//!   the commit;
//! - **record, commit not yet accepted** (or accepted `resubmit_after_blocks` ago and still not
//!   on the chain): submits the commit again while the window is open (a refusal saying the
//!   seat already committed counts as done; a sequencer that checks ops against its pending
//!   ones refuses a copy of one still pending that way, so this never makes two);
//! - **committed on chain, not revealed**: once reveals are open at `next`, submits the reveal
//!   with the persisted result, salt and output bytes (again after `resubmit_after_blocks` if
//!   it does not show on the chain);
//! - **no record but committed on chain** (the store was lost): recomputes the output; the
//!   salt is derived, so it is the one committed to, and the reveal opens the commitment.
//!
//! Nothing here panics on a port failure: errors are counted, logged, and the step is
//! retried on the next tick. Inference runs inline on the actor's task (no blocking-pool
//! hand-off), which keeps a simulated run deterministic; the actor is busy meanwhile.

use crate::cache::{CachedModel, ModelCache};
use crate::config::{NeuronArgs, NeuronConfig, NeuronFaults};
use crate::metrics::NeuronMetrics;
use crate::ops::{derive_salt, Signer};
use crate::output::{canonical_output, CanonicalOutput, OutputError, Refusal};
use crate::port::{ChainPort, NeuronPortError};
use crate::store::{NeuronStore, SeatRecord};
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::poc::{output_digest, ModelRecord, PocParams, RequestRecord, MAX_PAYLOAD_BYTES};
use bitai_kernels::Backend;
use bitai_models::{CheckedModel, Limits};
use bitai_protocol::{ChainId, Hash32};
use bitai_runtime::SharedClock;
use bitai_storage::StoreError;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Why a step failed (it is retried on the next tick).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NeuronError {
    /// The chain could not be asked, or refused an op.
    #[error("port: {0}")]
    Port(#[from] NeuronPortError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The port listed a request this neuron has no seat in.
    #[error("request {0} does not seat this neuron")]
    NotAssigned(u32),
    /// The request's model is not on the chain.
    #[error("model {0} is not deployed")]
    MissingModel(u32),
    /// DA does not have the model's bytes (yet).
    #[error("model bytes {0} are not available")]
    MissingModelBytes(Hash32),
    /// DA gave bytes that are not the model's.
    #[error("model bytes for {hash} do not match: {reason}")]
    ModelBytes {
        /// The model's content hash.
        hash: Hash32,
        /// What differs.
        reason: String,
    },
    /// The request's input is not available.
    #[error("input of request {0} is not available")]
    MissingInput(u32),
    /// The input given is not the one the request committed to.
    #[error("input of request {0} does not match its hash")]
    InputBytes(u32),
    /// The model could not be run on this machine.
    #[error("{0}")]
    Run(#[from] OutputError),
}

impl NeuronError {
    /// The metrics label of the error's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            NeuronError::Port(NeuronPortError::Refused(_)) => "refused",
            NeuronError::Port(_) => "port",
            NeuronError::Store(_) => "store",
            NeuronError::NotAssigned(_) => "port",
            NeuronError::MissingModel(_)
            | NeuronError::MissingModelBytes(_)
            | NeuronError::ModelBytes { .. } => "model",
            NeuronError::MissingInput(_) | NeuronError::InputBytes(_) => "input",
            NeuronError::Run(_) => "run",
        }
    }
}

/// What one tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// The head it saw (None: the port failed).
    pub head: Option<u64>,
    /// Open assignments seen.
    pub assignments: usize,
    /// Commit ops accepted.
    pub commits: usize,
    /// Reveal ops accepted.
    pub reveals: usize,
    /// Assignments left alone (late, or the model too large).
    pub skipped: usize,
    /// Records of settled requests deleted.
    pub forgotten: usize,
    /// Steps that failed (retried on the next tick).
    pub errors: usize,
}

/// What a step did (`head` below is the port's, so it is added to with saturation).
enum Step {
    Nothing,
    Committed,
    Revealed,
    Skipped,
}

/// A neuron's state and logic, driven by [`crate::Neuron`].
pub struct NeuronCore {
    account: u32,
    key: PrivateKey,
    chain_id: ChainId,
    params: PocParams,
    port: Arc<dyn ChainPort>,
    store: NeuronStore,
    clock: SharedClock,
    config: NeuronConfig,
    backend: Arc<dyn Backend>,
    faults: NeuronFaults,
    models: ModelCache,
    /// Metrics.
    pub metrics: NeuronMetrics,
}

impl NeuronCore {
    /// A core from the actor's arguments, its backend and metrics.
    pub fn new(args: NeuronArgs, backend: Arc<dyn Backend>, metrics: NeuronMetrics) -> Self {
        NeuronCore {
            account: args.account,
            store: NeuronStore::new(args.store, &args.chain_id, args.account),
            key: args.key,
            chain_id: args.chain_id,
            params: args.params,
            port: args.port,
            clock: args.clock,
            models: ModelCache::new(args.config.model_cache_entries),
            config: args.config,
            backend,
            faults: args.faults,
            metrics,
        }
    }

    /// The neuron's account.
    pub fn account(&self) -> u32 {
        self.account
    }

    /// The persisted records.
    pub fn records(&self) -> Result<Vec<SeatRecord>, StoreError> {
        self.store.all()
    }

    fn signer(&self) -> Signer<'_> {
        Signer {
            key: &self.key,
            chain: &self.chain_id,
            account: self.account,
            fee: self.config.fee,
        }
    }

    fn failed(&self, report: &mut TickReport, request: Option<u32>, e: &NeuronError) {
        report.errors += 1;
        self.metrics.errors.with_label_values(&[e.kind()]).inc();
        tracing::warn!(chain = %self.chain_id, account = self.account, ?request, error = %e,
            "neuron step failed; retrying on the next tick");
    }

    /// One tick (see the module doc).
    pub async fn tick(&mut self) -> TickReport {
        let mut report = TickReport::default();
        let seen = async {
            let head = self.port.head().await?;
            let assignments = self.port.assignments(self.account).await?;
            Ok::<_, NeuronError>((head, assignments))
        };
        let (head, assignments) = match seen.await {
            Ok(seen) => seen,
            Err(e) => {
                self.failed(&mut report, None, &e);
                return report;
            }
        };
        report.head = Some(head);
        report.assignments = assignments.len();
        self.metrics.assignments.set(assignments.len() as i64);
        match self.forget_settled(&assignments) {
            Ok(n) => report.forgotten = n,
            Err(e) => self.failed(&mut report, None, &e),
        }
        let take = self.config.max_assignments_per_tick.max(1);
        for (id, request) in assignments.iter().take(take) {
            match self.step(head, *id, request).await {
                Ok(Step::Nothing) => {}
                Ok(Step::Committed) => report.commits += 1,
                Ok(Step::Revealed) => report.reveals += 1,
                Ok(Step::Skipped) => report.skipped += 1,
                Err(e) => self.failed(&mut report, Some(*id), &e),
            }
        }
        report
    }

    /// Deletes the records of requests no longer open; returns how many.
    fn forget_settled(&self, open: &[(u32, RequestRecord)]) -> Result<usize, NeuronError> {
        let open: BTreeSet<u32> = open.iter().map(|(id, _)| *id).collect();
        let stale: Vec<u32> = self
            .store
            .all()?
            .into_iter()
            .map(|r| r.request)
            .filter(|id| !open.contains(id))
            .collect();
        self.store.forget(&stale)?;
        Ok(stale.len())
    }

    async fn step(&mut self, head: u64, id: u32, r: &RequestRecord) -> Result<Step, NeuronError> {
        let next = head.saturating_add(1);
        let seat = r
            .seat_of(self.account)
            .ok_or(NeuronError::NotAssigned(id))?;
        let record = match self.store.get(id)? {
            Some(record) => record,
            None => {
                if !r.committed(seat) && next > r.commit_deadline(&self.params) {
                    self.metrics.skipped.with_label_values(&["late"]).inc();
                    tracing::info!(chain = %self.chain_id, account = self.account, request = id,
                        "assignment seen after its commit window; not committing");
                    return Ok(Step::Skipped);
                }
                let computed = if self.faults.copy_reveal {
                    Some(self.lazy(id, seat))
                } else {
                    self.compute(id, seat, r).await?
                };
                let Some(record) = computed else {
                    return Ok(Step::Skipped);
                };
                self.store.put(&record)?;
                record
            }
        };
        // An op submitted and not yet on the chain is left to land for a while.
        let waiting = |op: Option<Hash32>| {
            op.is_some()
                && head
                    < record
                        .submitted_at
                        .saturating_add(self.config.resubmit_after_blocks)
        };
        if !r.committed(seat) {
            if waiting(record.commit_op) || next > r.commit_deadline(&self.params) {
                return Ok(Step::Nothing);
            }
            return self.commit(record, head).await;
        }
        if !r.revealed(seat) && !waiting(record.reveal_op) && r.reveals_open(&self.params, next) {
            if self.faults.copy_reveal {
                // The lazy neuron waits for another seat's reveal and copies its result.
                let Some(other) = (0..r.assignees.len()).find(|&j| j != seat && r.revealed(j))
                else {
                    return Ok(Step::Nothing);
                };
                let mut copied = record;
                copied.result = r.results[other];
                return self.reveal(copied, head).await;
            }
            return self.reveal(record, head).await;
        }
        Ok(Step::Nothing)
    }

    async fn commit(&mut self, mut record: SeatRecord, head: u64) -> Result<Step, NeuronError> {
        let nonce = self.port.nonce(self.account).await?;
        let op = self
            .signer()
            .commit(record.request, record.result, record.salt, nonce);
        let id = op.hash();
        match self.port.submit(op).await {
            Ok(id) => {
                record.commit_op = Some(id);
                record.submitted_at = head;
                self.store.put(&record)?;
                self.metrics.commits.inc();
                tracing::debug!(chain = %self.chain_id, account = self.account,
                    request = record.request, op = %id, "committed");
                Ok(Step::Committed)
            }
            Err(e) if e.already_done() => {
                record.commit_op = Some(id);
                record.submitted_at = head;
                self.store.put(&record)?;
                Ok(Step::Nothing)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn reveal(&mut self, mut record: SeatRecord, head: u64) -> Result<Step, NeuronError> {
        let nonce = self.port.nonce(self.account).await?;
        let op = self.signer().reveal(
            record.request,
            record.result,
            record.salt,
            record.output.clone(),
            nonce,
        );
        let id = op.hash();
        match self.port.submit(op).await {
            Ok(id) => {
                record.reveal_op = Some(id);
                record.submitted_at = head;
                self.store.put(&record)?;
                self.metrics.reveals.inc();
                tracing::debug!(chain = %self.chain_id, account = self.account,
                    request = record.request, op = %id, "revealed");
                Ok(Step::Revealed)
            }
            Err(e) if e.already_done() => {
                record.reveal_op = Some(id);
                record.submitted_at = head;
                self.store.put(&record)?;
                Ok(Step::Nothing)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The record of a neuron that runs nothing (the `copy_reveal` fault): it commits to the
    /// digest of no output.
    fn lazy(&self, id: u32, seat: usize) -> SeatRecord {
        SeatRecord {
            request: id,
            seat: u8::try_from(seat).expect("seats are 0..=2"),
            result: output_digest(&[]),
            salt: derive_salt(&self.key, &self.chain_id, id),
            output: Vec::new(),
            commit_op: None,
            reveal_op: None,
            submitted_at: 0,
        }
    }

    /// Computes the record of seat `seat` of request `id`; None: the model is too large for
    /// this neuron.
    async fn compute(
        &mut self,
        id: u32,
        seat: usize,
        r: &RequestRecord,
    ) -> Result<Option<SeatRecord>, NeuronError> {
        let model = self
            .port
            .model(r.model)
            .await?
            .ok_or(NeuronError::MissingModel(r.model))?;
        if u64::from(model.size) > self.config.max_model_bytes {
            self.metrics
                .skipped
                .with_label_values(&["model_too_large"])
                .inc();
            tracing::warn!(chain = %self.chain_id, account = self.account, request = id,
                size = model.size, max = self.config.max_model_bytes,
                "model larger than max_model_bytes; not answering");
            return Ok(None);
        }
        let checked = self.load_model(&model).await?;
        let input = self
            .port
            .request_input(id)
            .await?
            .ok_or(NeuronError::MissingInput(id))?;
        if input.len() > MAX_PAYLOAD_BYTES || Hash32::sha256(&input) != r.input {
            return Err(NeuronError::InputBytes(id));
        }
        let started_ms = self.clock.now_ms();
        let mut output = match checked.as_ref() {
            Ok(m) => canonical_output(m, &input, self.backend.as_ref())?,
            Err(refusal) => CanonicalOutput::Refused(*refusal).to_bytes(),
        };
        let elapsed_ms = self.clock.now_ms().saturating_sub(started_ms);
        self.metrics
            .inference_seconds
            .observe(elapsed_ms as f64 / 1000.0);
        if self.faults.corrupt_output {
            if let Some(last) = output.last_mut() {
                *last ^= 1;
            }
        }
        Ok(Some(SeatRecord {
            request: id,
            seat: u8::try_from(seat).expect("seats are 0..=2"),
            result: output_digest(&output),
            salt: derive_salt(&self.key, &self.chain_id, id),
            output,
            commit_op: None,
            reveal_op: None,
            submitted_at: 0,
        }))
    }

    /// The model of `record`, from the cache or DA (bytes checked against its hash).
    async fn load_model(&mut self, record: &ModelRecord) -> Result<CachedModel, NeuronError> {
        if let Some(m) = self.models.get(&record.hash) {
            return Ok(m);
        }
        let bytes = self
            .port
            .model_bytes(record.hash)
            .await?
            .ok_or(NeuronError::MissingModelBytes(record.hash))?;
        let mismatch = |reason: String| NeuronError::ModelBytes {
            hash: record.hash,
            reason,
        };
        if bytes.len() != record.size as usize {
            return Err(mismatch(format!(
                "{} bytes, the chain says {}",
                bytes.len(),
                record.size
            )));
        }
        if Hash32::sha256(&bytes) != record.hash {
            return Err(mismatch("SHA-256 differs".to_owned()));
        }
        let model: CachedModel = Arc::new(
            CheckedModel::decode(&bytes, &Limits::default()).map_err(|e| {
                tracing::info!(chain = %self.chain_id, hash = %record.hash, error = %e,
                    "deployed model does not decode; answering with a refusal");
                Refusal::BadModel
            }),
        );
        self.models.insert(record.hash, model.clone());
        Ok(model)
    }
}
