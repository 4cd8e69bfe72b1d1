//! The `Prover` actor: proves leased jobs with the keys of each circuit shape it serves
//! (loaded once, at start) and reports to the pool.
//!
//! Proving takes seconds of all cores, so it runs on rayon's pool and the actor awaits the
//! result: the async runtime stays responsive (ractor's own messages, other actors) while a
//! proof is being made. The proof's blinding randomness comes from a ChaCha20 stream seeded
//! per prover; in production that seed must be secret and fresh per process (zero-knowledge
//! depends on it), in simulation it comes from the run's seed.

use crate::messages::{PoolMsg, ProverMsg};
use bitai_runtime::Clock;
use bitai_zk::circuit::{BlockCircuit, CircuitConfig};
use bitai_zk::groth16::Groth16Keys;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What a prover is started with.
pub struct ProverArgs {
    /// Keys by circuit shape.
    pub keys: BTreeMap<CircuitConfig, Arc<Groth16Keys>>,
    /// Seed of the blinding randomness.
    pub rng_seed: [u8; 32],
    /// The clock for prove-time metrics.
    pub clock: Arc<dyn Clock>,
}

/// The prover's state.
pub struct ProverState {
    keys: BTreeMap<CircuitConfig, Arc<Groth16Keys>>,
    rng: Arc<Mutex<ChaCha20Rng>>,
    clock: Arc<dyn Clock>,
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
            keys: args.keys,
            rng: Arc::new(Mutex::new(ChaCha20Rng::from_seed(args.rng_seed))),
            clock: args.clock,
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
        let started_ms = state.clock.now_ms();
        let result = prove(state, circuit).await;
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

async fn prove(state: &ProverState, circuit: Vec<u8>) -> Result<Vec<u8>, String> {
    let circuit = BlockCircuit::from_bytes(&circuit).map_err(|e| e.to_string())?;
    let keys = state
        .keys
        .get(&circuit.config)
        .cloned()
        .ok_or_else(|| format!("no proving key for circuit shape {:?}", circuit.config))?;
    let rng = state.rng.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let mut rng = rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let outcome = keys
            .prove(circuit, &mut *rng)
            .map(|(proof, _)| bitai_zk::gnark::write_proof(&proof))
            .map_err(|e| e.to_string());
        // The receiver is gone only if the actor stopped; nothing to report then.
        let _ = tx.send(outcome);
    });
    rx.await
        .map_err(|_| "prover task ended without a result".to_string())?
}
