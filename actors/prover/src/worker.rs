//! The `Prover` actor: proves leased jobs with its [`ProverBackend`] and reports to the pool.
//!
//! - [`ProverBackend::Groth16`]: real proofs, with the keys of each circuit shape it serves
//!   (loaded once, at start), in gnark's format.
//! - [`ProverBackend::Groth16Dir`]: real proofs with keys from a directory of key files,
//!   loaded per shape on first use (a prover node that joined a coordinator, see
//!   [`crate::remote`]).
//! - [`ProverBackend::Simulation`]: no proving at all; the "proof" is
//!   `bitai_proofs::verifier::simulation_proof` of the block's public inputs, which proves
//!   **nothing** about execution and verifies only for chains registered as
//!   `ProofSystem::SimulationOnly` (which only simulated chains may be; the state machine and
//!   the mempool enforce that). For tests and simulations with thousands of transactions.
//!
//! Proving takes seconds of all cores, so it runs on rayon's pool and the actor awaits the
//! result: the async runtime stays responsive (ractor's own messages, other actors) while a
//! proof is being made. On a single-threaded runtime (the deterministic simulation, whose
//! paused time must not jump while a proof is made) it proves on the runtime's thread. The proof's blinding randomness comes from a ChaCha20 stream seeded
//! per prover; in production that seed must be secret and fresh per process (zero-knowledge
//! depends on it), in simulation it comes from the run's seed.

use crate::keydir::KeyDir;
use bitai_messages::prover::{PoolMsg, ProveError, ProverMsg};
use bitai_proofs::circuit::{BlockCircuit, CircuitConfig};
use bitai_proofs::groth16::Groth16Keys;
use bitai_proofs::verifier::simulation_proof;
use bitai_runtime::Clock;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// How a prover makes proofs.
#[derive(Clone)]
pub enum ProverBackend {
    /// Groth16 proofs in gnark's format (for `ProofSystem::Groth16Bn254` chains).
    Groth16 {
        /// Keys by circuit shape; a job of another shape fails (and is retried elsewhere).
        keys: BTreeMap<CircuitConfig, Arc<Groth16Keys>>,
    },
    /// Groth16 proofs with keys loaded from a directory of key files on first use of a
    /// shape (a job of a shape without a key file fails, and is retried elsewhere).
    Groth16Dir(Arc<KeyDir>),
    /// Simulation proofs (for `ProofSystem::SimulationOnly` chains): no proving, nothing
    /// proved. See the module doc.
    Simulation,
    /// Simulation proofs that each take `per_block_ms` of the clock (tokio time), one block
    /// at a time: a proving-cost model for measuring the cluster's scheduling (the prover
    /// nodes' scaling benchmark), free in wall time on paused time.
    SimulatedCost {
        /// Time one block takes to "prove", ms.
        per_block_ms: u64,
    },
}

impl std::fmt::Debug for ProverBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProverBackend::Groth16 { keys } => f
                .debug_struct("Groth16")
                .field("shapes", &keys.keys().collect::<Vec<_>>())
                .finish(),
            ProverBackend::Groth16Dir(dir) => f.debug_tuple("Groth16Dir").field(dir).finish(),
            ProverBackend::Simulation => f.write_str("Simulation"),
            ProverBackend::SimulatedCost { per_block_ms } => f
                .debug_struct("SimulatedCost")
                .field("per_block_ms", per_block_ms)
                .finish(),
        }
    }
}

/// What a prover is started with.
#[derive(Clone)]
pub struct ProverArgs {
    /// How proofs are made.
    pub backend: ProverBackend,
    /// Seed of the blinding randomness.
    pub rng_seed: [u8; 32],
    /// The clock for prove-time metrics.
    pub clock: Arc<dyn Clock>,
    /// Fault injection (the simulation's; never set otherwise).
    pub faults: ProverFaults,
}

/// A fault a prover can be made to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProverFault {
    /// Takes jobs and never answers (connection up, nothing answered): its leases expire.
    Hang,
    /// Answers with a proof that does not verify.
    InvalidProof,
}

/// A prover's fault switch, shared with whoever injects faults (the simulation). Off by
/// default; a node never sets it.
#[derive(Debug, Clone, Default)]
pub struct ProverFaults(Arc<Mutex<Option<ProverFault>>>);

impl ProverFaults {
    /// Switches a fault on (or, with `None`, off).
    pub fn set(&self, fault: Option<ProverFault>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }

    /// The fault on now.
    pub fn get(&self) -> Option<ProverFault> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The prover's state.
pub struct ProverState {
    faults: ProverFaults,
    engine: ProvingEngine,
    clock: Arc<dyn Clock>,
}

/// What proves a block: the backend and the blinding randomness. The local [`Prover`] and
/// the remote prover ([`crate::remote::RemoteProver`]) both prove through it.
#[derive(Clone)]
pub struct ProvingEngine {
    backend: ProverBackend,
    rng: Arc<Mutex<ChaCha20Rng>>,
}

impl ProvingEngine {
    /// An engine proving with `backend`, its blinding randomness seeded by `rng_seed`.
    pub fn new(backend: ProverBackend, rng_seed: [u8; 32]) -> Self {
        ProvingEngine {
            backend,
            rng: Arc::new(Mutex::new(ChaCha20Rng::from_seed(rng_seed))),
        }
    }

    /// Proves an encoded block circuit: the proof in gnark's format, or why not. The work
    /// runs on rayon's pool; the caller's task only awaits it.
    pub async fn prove(&self, circuit: Vec<u8>) -> Result<Vec<u8>, ProveError> {
        let circuit = BlockCircuit::from_bytes(&circuit)
            .map_err(|e| ProveError::BadCircuit(e.to_string()))?;
        let keys = match &self.backend {
            ProverBackend::Simulation => return Ok(simulation_proof(&circuit.public)),
            ProverBackend::SimulatedCost { per_block_ms } => {
                tokio::time::sleep(std::time::Duration::from_millis(*per_block_ms)).await;
                return Ok(simulation_proof(&circuit.public));
            }
            ProverBackend::Groth16 { keys } => {
                Keys::Loaded(keys.get(&circuit.config).cloned().ok_or_else(|| {
                    ProveError::NoKey(format!("none for circuit shape {:?}", circuit.config))
                })?)
            }
            ProverBackend::Groth16Dir(dir) => Keys::Dir(dir.clone()),
        };
        let rng = self.rng.clone();
        let prove = move || {
            keys.get(circuit.config).and_then(|keys| {
                let mut rng = rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                keys.prove(circuit, &mut *rng)
                    .map(|(proof, _)| bitai_proofs::gnark::write_proof(&proof))
                    .map_err(|e| ProveError::Proving(e.to_string()))
            })
        };
        if on_simulated_time() {
            // The simulation: prove on the runtime's own thread, so paused time cannot jump
            // ahead while the proof is made (rayon still spreads the proof's own work).
            return prove();
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        rayon::spawn(move || {
            // The receiver is gone only if the caller stopped; nothing to report then.
            let _ = tx.send(prove());
        });
        rx.await.map_err(|_| ProveError::Lost)?
    }
}

/// Whether this task runs on a single-threaded runtime, as `bitai sim` does (its time is
/// paused and advances whenever every task waits, so work handed to another thread would be
/// awaited across a jump of simulated time). Nodes run on multi-threaded runtimes.
fn on_simulated_time() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
}

/// Keys in hand, or a directory to load them from (on rayon, as loading is CPU work).
enum Keys {
    Loaded(Arc<Groth16Keys>),
    Dir(Arc<KeyDir>),
}

impl Keys {
    fn get(self, config: CircuitConfig) -> Result<Arc<Groth16Keys>, ProveError> {
        match self {
            Keys::Loaded(keys) => Ok(keys),
            Keys::Dir(dir) => dir.keys_for(config).map_err(ProveError::NoKey),
        }
    }
}

/// A prover actor.
pub struct Prover;

impl Actor for Prover {
    type Msg = ProverMsg;
    type State = ProverState;
    type Arguments = ProverArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<ProverMsg>,
        args: ProverArgs,
    ) -> Result<ProverState, ActorProcessingErr> {
        Ok(ProverState {
            engine: ProvingEngine::new(args.backend, args.rng_seed),
            clock: args.clock,
            faults: args.faults,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<ProverMsg>,
        msg: ProverMsg,
        state: &mut ProverState,
    ) -> Result<(), ActorProcessingErr> {
        let ProverMsg::Prove {
            job,
            lease_id,
            circuit,
            pool,
        } = msg;
        let fault = state.faults.get();
        if fault == Some(ProverFault::Hang) {
            tracing::debug!(
                ?job,
                "prover hung (fault injection): the job is not answered"
            );
            return Ok(());
        }
        let started_ms = state.clock.now_ms();
        let mut result = state.engine.prove(circuit).await;
        if fault == Some(ProverFault::InvalidProof) {
            if let Ok(proof) = &mut result {
                tracing::debug!(?job, "prover sends an invalid proof (fault injection)");
                proof.iter_mut().for_each(|b| *b ^= 0x5a);
            }
        }
        let prove_ms = state.clock.now_ms().saturating_sub(started_ms);
        if let Err(e) = pool.cast(PoolMsg::ProofFinished {
            job,
            lease_id,
            result,
            prove_ms,
        }) {
            tracing::warn!(error = %e, "pool unreachable; the lease will expire");
        }
        Ok(())
    }
}
