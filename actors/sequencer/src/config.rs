//! What a sequencer is started with: the chain it sequences ([`ChainSpec`]: its registration,
//! genesis and circuit shape, which must agree with each other), its tunables
//! ([`SequencerConfig`]) and its injected ports ([`SequencerArgs`]).

use crate::metrics::SequencerMetrics;
use bitai_messages::da::{GenesisAccount, GenesisData, SharedDa};
use bitai_messages::prover::PoolMsg;
use bitai_proofs::circuit::CircuitConfig;
use bitai_protocol::{ChainId, ChainLimits, CreateChain, ProofSystem};
use bitai_runtime::{RoleRef, SharedClock};
use bitai_storage::SharedStore;

/// One AI chain as its sequencer sees it.
#[derive(Clone, Debug)]
pub struct ChainSpec {
    /// The chain's registration (its id is `create.chain_id()`).
    pub create: CreateChain,
    /// The genesis accounts and shape.
    pub genesis: GenesisData,
    /// The block circuit the chain's verifying key is for.
    pub circuit: CircuitConfig,
}

/// Why a [`ChainSpec`] does not hold together.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The genesis names another chain.
    #[error("genesis is for chain {genesis}, the registration gives {created}")]
    ChainMismatch {
        /// The genesis's chain id.
        genesis: ChainId,
        /// The registration's chain id.
        created: ChainId,
    },
    /// Tree depth or block size differ between genesis, registration and circuit.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The genesis does not give a state.
    #[error("genesis: {0}")]
    Genesis(#[from] bitai_messages::da::GenesisError),
    /// The registered genesis root is not the genesis accounts' root.
    #[error("registered genesis root {registered} is not the genesis state's {computed}")]
    GenesisRoot {
        /// In the `CreateChain`.
        registered: bitai_protocol::Hash32,
        /// Of the genesis accounts.
        computed: bitai_protocol::Hash32,
    },
}

impl ChainSpec {
    /// A new chain's spec from its genesis accounts: computes the genesis root, builds the
    /// `CreateChain` (limits from `circuit`) and names the genesis after its id.
    #[allow(clippy::too_many_arguments)] // Every argument is a distinct part of a registration.
    pub fn new(
        name: String,
        proof_system: ProofSystem,
        verifying_key: Vec<u8>,
        accounts: Vec<GenesisAccount>,
        circuit: CircuitConfig,
        max_proof_bytes: u32,
        salt: u64,
    ) -> Result<Self, SpecError> {
        let mut genesis = GenesisData {
            chain_id: ChainId::default(),
            tree_depth: u32::try_from(circuit.depth)
                .map_err(|_| SpecError::Shape(format!("tree depth {}", circuit.depth)))?,
            max_block_txs: u32::try_from(circuit.max_txs)
                .map_err(|_| SpecError::Shape(format!("block size {}", circuit.max_txs)))?,
            max_block_ops: u32::try_from(circuit.max_ops)
                .map_err(|_| SpecError::Shape(format!("op slots {}", circuit.max_ops)))?,
            poc: circuit.poc,
            accounts,
        };
        let create = CreateChain {
            name,
            proof_system,
            verifying_key,
            genesis_state_root: genesis.state()?.root_hash(),
            limits: ChainLimits {
                max_block_txs: genesis.max_block_txs,
                max_proof_bytes,
            },
            salt,
        };
        genesis.chain_id = create.chain_id();
        let spec = ChainSpec {
            create,
            genesis,
            circuit,
        };
        spec.check()?;
        Ok(spec)
    }

    /// The chain id.
    pub fn chain_id(&self) -> ChainId {
        self.create.chain_id()
    }

    /// Checks that registration, genesis and circuit agree, and returns the genesis state.
    pub fn check(&self) -> Result<bitai_chain::stf::State, SpecError> {
        let created = self.chain_id();
        if self.genesis.chain_id != created {
            return Err(SpecError::ChainMismatch {
                genesis: self.genesis.chain_id,
                created,
            });
        }
        let g = &self.genesis;
        let sizes = [
            g.max_block_txs as usize,
            self.circuit.max_txs,
            self.create.limits.max_block_txs as usize,
        ];
        if sizes.iter().any(|s| *s != sizes[0])
            || g.tree_depth as usize != self.circuit.depth
            || g.max_block_ops as usize != self.circuit.max_ops
            || g.poc != self.circuit.poc
        {
            return Err(SpecError::Shape(format!(
                "genesis depth {} / block {} / ops {} / {:?}, circuit {:?}, registered block {}",
                g.tree_depth,
                g.max_block_txs,
                g.max_block_ops,
                g.poc,
                self.circuit,
                self.create.limits.max_block_txs
            )));
        }
        let state = g.state()?;
        if state.root_hash() != self.create.genesis_state_root {
            return Err(SpecError::GenesisRoot {
                registered: self.create.genesis_state_root,
                computed: state.root_hash(),
            });
        }
        Ok(state)
    }
}

/// A sequencer's tunables (the node config's `[sequencer]` table).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SequencerConfig {
    /// A block is cut once this long (by the injected clock) has passed since the last one
    /// and transactions are pending; default 1,000.
    pub block_interval_ms: u64,
    /// Most transactions accepted but not yet in a block; more are refused; default 10,000.
    pub max_pending_txs: usize,
    /// Smallest fee a transfer may pay; default 0.
    pub min_fee: u64,
    /// How often the sequencer checks its block timer and retries hand-offs; default 100.
    pub tick_interval_ms: u64,
    /// Most inference requests open at once (made, or queued, and not fully settled); more
    /// are refused until some settle. 0 (the default) derives it from the chain: its op slots
    /// times its commit window, divided by the three commits a request needs, so the
    /// assigned neurons' commits always fit in their window and no honest neuron is slashed
    /// because blocks were full.
    pub max_open_requests: usize,
    /// How blocks are cut: the implementation version's choice, not a config key (an
    /// operator changes it with `bitai admin swap`, docs/runtime-semantics.md).
    #[serde(skip)]
    pub block_policy: BlockPolicy,
}

/// How a sequencer decides to cut a block: the difference between its two versions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BlockPolicy {
    /// `interval` (v1): a full block at once, otherwise whatever is pending once
    /// `block_interval_ms` has passed: the lowest latency.
    #[default]
    Interval,
    /// `full-blocks` (v2): a full block at once, otherwise wait up to
    /// [`FULL_BLOCKS_WAIT_FACTOR`] intervals for one to fill: fewer, fuller blocks, so fewer
    /// proofs and inscriptions per transaction, at the cost of latency under light load.
    FullBlocks,
}

/// The format of the sequencer's persisted state. Every version compiled in writes and reads
/// this one today; a version that changes the store's layout takes the next number and
/// declares which formats it reads, so a swap to a version that cannot read the store is
/// refused by name (`ChildSpec::state_format`, docs/runtime-semantics.md).
pub const STATE_FORMAT: u32 = 1;

/// How many block intervals the `full-blocks` policy waits for a block to fill.
pub const FULL_BLOCKS_WAIT_FACTOR: u64 = 4;

impl BlockPolicy {
    /// The version tag of the implementation that cuts blocks this way.
    pub fn version(self) -> &'static str {
        match self {
            BlockPolicy::Interval => "interval",
            BlockPolicy::FullBlocks => "full-blocks",
        }
    }

    /// How long after the last cut a partial block is cut, ms.
    pub fn wait_ms(self, block_interval_ms: u64) -> u64 {
        match self {
            BlockPolicy::Interval => block_interval_ms,
            BlockPolicy::FullBlocks => block_interval_ms.saturating_mul(FULL_BLOCKS_WAIT_FACTOR),
        }
    }
}

impl SequencerConfig {
    /// The open-request limit for a chain of `max_ops` op slots and `params`.
    pub fn open_request_limit(
        &self,
        max_ops: usize,
        params: &bitai_chain::poc::PocParams,
    ) -> usize {
        if self.max_open_requests > 0 {
            return self.max_open_requests;
        }
        let slots = max_ops as u64 * params.commit_window_blocks;
        usize::try_from(slots / bitai_chain::poc::ASSIGNEES as u64)
            .unwrap_or(usize::MAX)
            .max(1)
    }
}

impl Default for SequencerConfig {
    fn default() -> Self {
        SequencerConfig {
            block_interval_ms: 1_000,
            max_pending_txs: 10_000,
            min_fee: 0,
            tick_interval_ms: 100,
            max_open_requests: 0,
            block_policy: BlockPolicy::Interval,
        }
    }
}

/// What a [`crate::Sequencer`] is spawned with.
#[derive(Clone)]
pub struct SequencerArgs {
    /// The chain.
    pub spec: ChainSpec,
    /// Tunables.
    pub config: SequencerConfig,
    /// The node's store (keyspace `seq`, keys prefixed by chain id).
    pub store: SharedStore,
    /// Where block data goes.
    pub da: SharedDa,
    /// The clock for the block timer.
    pub clock: SharedClock,
    /// The prover pool's role address.
    pub pool: RoleRef<PoolMsg>,
    /// Metrics.
    pub metrics: SequencerMetrics,
    /// Where a version draining for a hot swap leaves its state for the next
    /// ([`crate::WarmSlot`]; shared by every version of the role).
    pub warm: crate::WarmSlot,
}
