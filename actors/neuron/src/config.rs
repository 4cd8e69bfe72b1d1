//! What a neuron is started with: its tunables ([`NeuronConfig`], the node config's
//! `[neuron]` table), the compute backend it asks for ([`BackendChoice`]), fault injection for
//! simulations ([`NeuronFaults`]) and its injected ports ([`NeuronArgs`]).

use crate::port::ChainPort;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::poc::PocParams;
use bitai_kernels::{Backend, CpuBackend, KernelError};
use bitai_protocol::ChainId;
use bitai_runtime::SharedClock;
use bitai_storage::SharedStore;
use std::sync::Arc;

/// A neuron's tunables (the node config's `[neuron]` table). Every key has a default.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NeuronConfig {
    /// How often the neuron reads its assignments and acts on them, in milliseconds of the
    /// injected clock; default 500.
    pub poll_interval_ms: u64,
    /// Fee paid by each commit and reveal op (burned); default 1.
    pub fee: u64,
    /// Largest model (bytes, as deployed) the neuron fetches and runs; assignments of larger
    /// models are left alone (the seat is then a no-show and slashed, so set it at least as
    /// large as the chain's models); default 64 MiB, the model format's own limit.
    pub max_model_bytes: u64,
    /// Models kept decoded in memory, by content hash (least recently used first out);
    /// default 4.
    pub model_cache_entries: usize,
    /// Most assignments handled in one tick (oldest request first; the rest wait for the
    /// next tick); default 64.
    pub max_assignments_per_tick: usize,
    /// Blocks to wait for a submitted commit or reveal to show on the chain before submitting
    /// it again (a sequencer that lost it); a copy of an op still pending is refused as
    /// already done, so this never makes two; default 2.
    pub resubmit_after_blocks: u64,
}

impl Default for NeuronConfig {
    fn default() -> Self {
        NeuronConfig {
            poll_interval_ms: 500,
            fee: 1,
            max_model_bytes: 64 << 20,
            model_cache_entries: 4,
            max_assignments_per_tick: 64,
            resubmit_after_blocks: 2,
        }
    }
}

/// Which kernels run the models. Every backend gives the same bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// The CPU reference on this many threads.
    Cpu {
        /// Worker threads (at least 1).
        threads: usize,
    },
    /// A CUDA device when this crate is built with its `cuda` feature and a device is
    /// present; otherwise the CPU reference on `threads` threads.
    Auto {
        /// Worker threads of the CPU fallback.
        threads: usize,
    },
}

impl BackendChoice {
    /// Makes the backend; a CUDA failure falls back to the CPU (logged).
    pub fn make(self) -> Result<Arc<dyn Backend>, KernelError> {
        match self {
            BackendChoice::Cpu { threads } => Ok(Arc::new(CpuBackend::new(threads.max(1))?)),
            BackendChoice::Auto { threads } => {
                #[cfg(feature = "cuda")]
                match bitai_kernels::cuda::CudaBackend::new() {
                    Ok(gpu) => {
                        tracing::info!(device = gpu.device_name(), "neuron runs models on CUDA");
                        return Ok(Arc::new(gpu));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "no CUDA device; neuron runs models on the CPU")
                    }
                }
                Ok(Arc::new(CpuBackend::new(threads.max(1))?))
            }
        }
    }
}

/// Faults a simulation or test injects into a neuron (all off in production).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeuronFaults {
    /// Commit to and reveal a corrupted output (the last byte flipped): a cheating neuron.
    pub corrupt_output: bool,
    /// Run no model: commit to nothing it computed and, once another seat has revealed,
    /// reveal that seat's result as its own (a lazy neuron copying another's reveal). The
    /// commitment binds the result before any reveal, so the copy never opens it.
    pub copy_reveal: bool,
}

/// What a [`crate::Neuron`] is spawned with.
#[derive(Clone)]
pub struct NeuronArgs {
    /// The neuron's account on the chain (registered as a neuron beforehand, see
    /// [`crate::register_op`]).
    pub account: u32,
    /// The account's key: signs ops and seeds the salts.
    pub key: PrivateKey,
    /// The chain.
    pub chain_id: ChainId,
    /// The chain's Proof-of-Compute parameters (part of its circuit).
    pub params: PocParams,
    /// How the neuron sees the chain.
    pub port: Arc<dyn ChainPort>,
    /// The node's store (keyspace [`crate::store::NEURON_KEYSPACE`]).
    pub store: SharedStore,
    /// The clock (inference time).
    pub clock: SharedClock,
    /// Tunables.
    pub config: NeuronConfig,
    /// The kernels.
    pub backend: BackendChoice,
    /// Where metrics go; None: a private registry.
    pub registry: Option<prometheus::Registry>,
    /// Fault injection (simulation and tests only).
    pub faults: NeuronFaults,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_neuron_table_parses_with_defaults_and_refuses_unknown_keys() {
        let empty: NeuronConfig = toml::from_str("").expect("all defaults");
        assert_eq!(empty, NeuronConfig::default());
        let some: NeuronConfig =
            toml::from_str("poll_interval_ms = 50\nfee = 3").expect("two keys");
        assert_eq!((some.poll_interval_ms, some.fee), (50, 3));
        assert_eq!(some.model_cache_entries, 4);
        let err = toml::from_str::<NeuronConfig>("stake_on_start = 5").expect_err("unknown");
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn the_cpu_backend_is_made_and_auto_falls_back_to_it() {
        assert!(BackendChoice::Cpu { threads: 0 }.make().is_ok());
        assert!(BackendChoice::Auto { threads: 1 }.make().is_ok());
    }
}
