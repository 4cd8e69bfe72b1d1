//! The chains this node sequences. Creating a chain here checks that this node can serve it
//! (its verifying key is one of the node's circuit keys, its genesis matches its genesis
//! root), records the chain spec, hands the `CreateChain` to the BitAI mempool and starts a
//! supervised sequencer for it. Specs are persisted first, so a restart starts every hosted
//! chain's sequencer again and re-sends a `CreateChain` that had not landed (the mempool
//! answers a duplicate with the same hash).

use crate::pipeline::keys::CircuitKeys;
use bitai_messages::da::{DaBlob, GenesisData, SharedDa};
use bitai_messages::mempool::MempoolMsg;
use bitai_messages::prover::PoolMsg;
use bitai_messages::sequencer::SequencerMsg;
use bitai_proofs::circuit::CircuitConfig;
use bitai_protocol::{decode_tx, encode_tx, BitaiTx, ChainId, CreateChain, ProofSystem};
use bitai_runtime::{ChildSpec, RoleRef, SharedClock, SupervisorMsg};
use bitai_sequencer::{
    BlockPolicy, ChainSpec, Sequencer, SequencerArgs, SequencerConfig, SequencerMetrics, WarmSlot,
    STATE_FORMAT,
};
use bitai_storage::{Batch, SharedStore};
use prometheus::Registry;
use ractor::ActorRef;
use std::collections::BTreeMap;
use tokio::sync::Mutex;

/// The keyspace of hosted chain specs.
pub const KEYSPACE: &str = "host";

/// Most chains one node sequences.
pub const MAX_HOSTED_CHAINS: usize = 10_000;

/// Why a chain cannot be hosted here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The request is inconsistent or this node cannot prove the chain.
    #[error("{0}")]
    Invalid(String),
    /// The BitAI mempool refused the `CreateChain`.
    #[error("mempool refused the CreateChain: {0}")]
    Refused(String),
    /// A role did not answer or storage failed.
    #[error("{0}")]
    Internal(String),
}

/// What every hosted sequencer is started with, besides its spec.
#[derive(Clone)]
pub struct SequencerPorts {
    /// Settings shared by every chain.
    pub config: SequencerConfig,
    /// The node's store.
    pub store: SharedStore,
    /// The DA layer.
    pub da: SharedDa,
    /// The clock.
    pub clock: SharedClock,
    /// The prover pool.
    pub pool: RoleRef<PoolMsg>,
    /// Where each sequencer registers its metrics (labelled by chain).
    pub registry: Registry,
}

/// One hosted chain: its registration, genesis and sequencer.
struct Hosted {
    create: CreateChain,
    genesis: GenesisData,
    role: RoleRef<SequencerMsg>,
}

/// The hosted chains and how to start their sequencers.
pub struct ChainHost {
    ports: SequencerPorts,
    keys: CircuitKeys,
    mempool: RoleRef<MempoolMsg>,
    supervisor: ActorRef<SupervisorMsg>,
    chains: Mutex<BTreeMap<ChainId, Hosted>>,
    hosted: super::HostedChains,
}

impl ChainHost {
    /// A host over the node's roles; no sequencer runs until [`ChainHost::resume`]. Each
    /// hosted chain's registration goes into `hosted` (the prover pool's check reads its
    /// proof system and key; a chain node's relay, which chains to follow).
    pub fn new(
        ports: SequencerPorts,
        keys: CircuitKeys,
        mempool: RoleRef<MempoolMsg>,
        supervisor: ActorRef<SupervisorMsg>,
        hosted: super::HostedChains,
    ) -> Self {
        Self {
            ports,
            keys,
            mempool,
            supervisor,
            chains: Mutex::new(BTreeMap::new()),
            hosted,
        }
    }

    /// Starts the sequencer of every chain hosted before and re-sends their `CreateChain`s
    /// (the mempool dedups; a landed one is refused as registered, which is fine).
    pub async fn resume(&self) -> Result<usize, HostError> {
        let stored = self
            .ports
            .store
            .scan_prefix(KEYSPACE, b"", MAX_HOSTED_CHAINS)
            .map_err(|e| HostError::Internal(format!("reading hosted chains: {e}")))?;
        let mut n = 0;
        for (_, value) in stored {
            let (create, genesis) = decode_spec(&value)?;
            let _ = self.submit_create(&create).await;
            self.start(create, genesis).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Hosts a new chain: checks it, records it, sends its `CreateChain` to the mempool and
    /// starts its sequencer. Hosting a chain twice returns its id again.
    pub async fn create(
        &self,
        create: CreateChain,
        genesis: GenesisData,
    ) -> Result<ChainId, HostError> {
        let id = create.chain_id();
        if self.chains.lock().await.contains_key(&id) {
            return Ok(id);
        }
        self.check(&spec_of(&create, &genesis))?;
        let mut batch = Batch::default();
        batch.put(KEYSPACE, &id.0 .0, &encode_spec(&create, &genesis)?);
        self.ports
            .store
            .write(batch)
            .map_err(|e| HostError::Internal(format!("recording the chain: {e}")))?;
        if let Err(e) = self.submit_create(&create).await {
            let mut undo = Batch::default();
            undo.delete(KEYSPACE, &id.0 .0);
            let _ = self.ports.store.write(undo);
            return Err(e);
        }
        self.start(create, genesis).await?;
        Ok(id)
    }

    /// The sequencer of `chain`, if this node hosts it.
    pub async fn sequencer(&self, chain: &ChainId) -> Option<RoleRef<SequencerMsg>> {
        self.chains.lock().await.get(chain).map(|h| h.role.clone())
    }

    /// The registration and genesis of a hosted chain.
    pub async fn spec(&self, chain: &ChainId) -> Option<(CreateChain, GenesisData)> {
        let chains = self.chains.lock().await;
        chains
            .get(chain)
            .map(|h| (h.create.clone(), h.genesis.clone()))
    }

    /// Every hosted chain's sequencer, in chain id order.
    pub async fn all(&self) -> Vec<(ChainId, RoleRef<SequencerMsg>)> {
        let chains = self.chains.lock().await;
        chains.iter().map(|(id, h)| (*id, h.role.clone())).collect()
    }

    /// The node's circuit keys.
    pub fn keys(&self) -> &CircuitKeys {
        &self.keys
    }

    /// Whether this node can serve the chain: it proves the chain's proof system and holds
    /// the verifying key the chain registers; the spec's own consistency (chain id, shapes,
    /// genesis root) is [`ChainSpec::check`].
    fn check(&self, spec: &ChainSpec) -> Result<(), HostError> {
        let create = &spec.create;
        if self.keys.shapes().is_empty() && create.proof_system == ProofSystem::Groth16Bn254 {
            return Err(HostError::Invalid(
                "this node sequences no chain (a BitAI node, kind \"bitai\"): create the chain \
                 on a chain node"
                    .into(),
            ));
        }
        if create.proof_system != self.keys.system() {
            return Err(HostError::Invalid(format!(
                "this node proves {:?}, the chain registers {:?}",
                self.keys.system(),
                create.proof_system
            )));
        }
        let size = create.limits.max_block_txs;
        match self.keys.verifying_key_for(&spec.circuit) {
            Some(vk) if vk == create.verifying_key => {}
            Some(_) => {
                return Err(HostError::Invalid(
                    "the verifying key is not this node's key for that size".into(),
                ))
            }
            None => {
                return Err(HostError::Invalid(format!(
                    "this node does not prove blocks of {size} transactions and {} ops \
                     with these Proof-of-Compute parameters",
                    spec.circuit.max_ops
                )))
            }
        }
        spec.check()
            .map(drop)
            .map_err(|e| HostError::Invalid(format!("chain spec: {e}")))
    }

    async fn submit_create(&self, create: &CreateChain) -> Result<(), HostError> {
        let tx = BitaiTx::CreateChain(create.clone());
        let outcome = self
            .mempool
            .ask(
                |reply| MempoolMsg::Submit {
                    tx,
                    reply: Some(reply),
                },
                10_000,
            )
            .await
            .ok_or_else(|| HostError::Internal("the mempool did not answer".into()))?;
        outcome
            .map(drop)
            .map_err(|e| HostError::Refused(e.to_string()))
    }

    async fn start(&self, create: CreateChain, genesis: GenesisData) -> Result<(), HostError> {
        let id = create.chain_id();
        let mut chains = self.chains.lock().await;
        if chains.contains_key(&id) {
            return Ok(());
        }
        self.hosted
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, create.clone());
        let name = format!("sequencer-{}", &id.to_string()[..12]);
        let role = RoleRef::<SequencerMsg>::spawn(Some(name.clone()), &name, 100_000)
            .await
            .map_err(|e| HostError::Internal(format!("spawning {name}: {e}")))?;
        let p = self.ports.clone();
        let metrics = SequencerMetrics::new(&p.registry, &id)
            .map_err(|e| HostError::Internal(format!("sequencer metrics: {e}")))?;
        // Checked at creation; the sequencer checks it again when it opens.
        let args = SequencerArgs {
            spec: spec_of(&create, &genesis),
            config: p.config.clone(),
            store: p.store.clone(),
            da: p.da.clone(),
            clock: p.clock.clone(),
            pool: p.pool.clone(),
            metrics: metrics.clone(),
            warm: WarmSlot::default(),
        };
        let warm = args.warm.clone();
        // Two block-building policies compiled in; `bitai admin swap` moves between them.
        let version = |policy: BlockPolicy| {
            let mut args = args.clone();
            args.config.block_policy = policy;
            move || (Sequencer, args.clone())
        };
        let spec = ChildSpec::role(&name, role.clone(), version(BlockPolicy::Interval))
            .with_version(BlockPolicy::Interval.version())
            .or_version(
                BlockPolicy::FullBlocks.version(),
                role.clone(),
                version(BlockPolicy::FullBlocks),
            )
            .state_format(
                BlockPolicy::Interval.version(),
                STATE_FORMAT,
                &[STATE_FORMAT],
            )
            .state_format(
                BlockPolicy::FullBlocks.version(),
                STATE_FORMAT,
                &[STATE_FORMAT],
            )
            // The draining version hands its state to the next (no reload from the store).
            .before_swap(move || warm.arm());
        let started = ractor::call!(self.supervisor, SupervisorMsg::Start, spec)
            .map_err(|e| HostError::Internal(format!("starting {name}: {e}")))
            .and_then(|r| r.map_err(HostError::Internal));
        if let Err(e) = started {
            // Leave nothing behind (the proxy's name, the chain's metrics), so the chain
            // can start again in this process: a retry, or the resume after a restart.
            metrics.unregister(&p.registry);
            let _ = role.proxy().stop_and_wait(None, None).await;
            self.hosted
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            return Err(e);
        }
        chains.insert(
            id,
            Hosted {
                create,
                genesis,
                role,
            },
        );
        Ok(())
    }
}

/// The sequencer's spec of a hosted chain: its circuit is the production tree depth with the
/// genesis's transfer slots, op slots and Proof-of-Compute parameters.
fn spec_of(create: &CreateChain, genesis: &GenesisData) -> ChainSpec {
    ChainSpec {
        create: create.clone(),
        genesis: genesis.clone(),
        circuit: CircuitConfig {
            max_ops: genesis.max_block_ops as usize,
            poc: genesis.poc,
            ..CircuitConfig::production(create.limits.max_block_txs as usize)
        },
    }
}

fn encode_spec(create: &CreateChain, genesis: &GenesisData) -> Result<Vec<u8>, HostError> {
    let create = encode_tx(&BitaiTx::CreateChain(create.clone()))
        .map_err(|e| HostError::Invalid(format!("CreateChain: {e}")))?;
    let genesis = DaBlob::Genesis(genesis.clone())
        .encode()
        .map_err(|e| HostError::Invalid(format!("genesis: {e}")))?;
    let mut out = (create.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(&create);
    out.extend_from_slice(&genesis);
    Ok(out)
}

fn decode_spec(bytes: &[u8]) -> Result<(CreateChain, GenesisData), HostError> {
    let bad = |what: String| HostError::Internal(format!("stored chain spec: {what}"));
    let len = bytes
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| bad("truncated".into()))?;
    let create = bytes
        .get(4..4 + len)
        .ok_or_else(|| bad("truncated".into()))?;
    let create = match decode_tx(create).map_err(|e| bad(e.to_string()))? {
        BitaiTx::CreateChain(c) => c,
        other => {
            return Err(bad(format!(
                "a {} where a CreateChain belongs",
                other.kind()
            )))
        }
    };
    let genesis = match DaBlob::decode(&bytes[4 + len..]).map_err(|e| bad(e.to_string()))? {
        DaBlob::Genesis(g) => g,
        DaBlob::Block(_) => return Err(bad("a block where a genesis belongs".into())),
    };
    Ok((create, genesis))
}
