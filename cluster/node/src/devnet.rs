//! The devnet: the whole pipeline in one process on the embedded defaults: SimBitcoin mining
//! on its seeded schedule, the embedded DA store, local provers and fjall in the data
//! directory. At its first start it creates its own AI chain (genesis accounts with keys
//! from the seed) and its neurons; `bitai devnet` adds the JSON-RPC server, the load
//! generator, the goal and the final checks.
//!
//! Everything is persisted, SimBitcoin's chain included: a devnet killed at any point (even
//! with SIGKILL) and started again on the same data directory resumes where it was, and
//! `--fresh` starts over.

use crate::base::{miner_child, NodeBase};
use crate::config::{BitcoinBackend, NodeConfig};
use crate::pipeline::keys::{self, CircuitKeys};
use crate::pipeline::{self, loadgen, neurons, Pipeline, PipelineParts};
use anyhow::Context;
use bitai_bitcoin::{BitcoinPort, SharedBitcoin};
use bitai_neuron::NeuronMsg;
use bitai_protocol::ChainId;
use bitai_runtime::{RoleRef, SharedClock};
use bitai_simulation::bitcoin::SimBitcoin;
use std::sync::Arc;

/// The devnet's embedded configuration (the file `configs/devnet.toml`).
const DEVNET_TOML: &str = include_str!("../../../configs/devnet.toml");

/// Blocks SimBitcoin mines at a fresh start so the inscriber's first coinbase (block 2) is
/// spendable at once (regtest's `generatetoaddress`).
const PREMINE_BLOCKS: u64 = 102;

/// The devnet's embedded configuration, `configs/devnet.toml`.
pub fn embedded_config() -> NodeConfig {
    NodeConfig::parse(DEVNET_TOML, std::path::Path::new("configs/devnet.toml"))
        .expect("the embedded devnet config parses (a config test checks it)")
}

/// A running devnet: the pipeline, the SimBitcoin under it and the devnet chain.
pub struct Devnet {
    /// The pipeline's roles.
    pub pipeline: Pipeline,
    /// The simulated Bitcoin network (tests reorg and inscribe on it); `None` on Bitcoin Core.
    pub sim: Option<SimBitcoin>,
    /// The devnet chain's id.
    pub chain: ChainId,
    /// The circuit keys the provers use.
    pub keys: CircuitKeys,
    /// The devnet's neurons.
    pub neurons: Vec<RoleRef<NeuronMsg>>,
}

/// Starts the devnet on `base` (its store, metrics and clock): circuit keys, SimBitcoin
/// (resumed from the store, or premined when fresh), the pipeline, and the devnet chain
/// (created at the first start, resumed after).
pub async fn start(config: &NodeConfig, base: NodeBase) -> anyhow::Result<Devnet> {
    start_with_neurons(config, base, devnet_neurons(config)).await
}

/// [`start`] with the given neurons instead of the config's (tests inject faults this way;
/// their accounts must be funded by the genesis, as `chain.neurons` funds them).
pub async fn start_with_neurons(
    config: &NodeConfig,
    base: NodeBase,
    plans: Vec<neurons::NeuronPlan>,
) -> anyhow::Result<Devnet> {
    let NodeBase {
        store,
        registry,
        clock,
        transport,
    } = base;
    let system = config.chain.proof_system.to_protocol();
    let cache = keys::resolve(&config.node.data_dir, &config.prover.key_cache_dir);
    let circuit_keys =
        CircuitKeys::devnet(system, &[config.chain.circuit()], config.node.seed, &cache)?;
    let (bitcoin, sim, extra_children) = match config.bitcoin.backend {
        BitcoinBackend::Sim => {
            let sim = open_sim(config, &store, &clock)?;
            let miner = miner_child(&sim, &clock).await?;
            tracing::info!(seed = config.node.seed, "devnet starting on SimBitcoin");
            let bitcoin: SharedBitcoin = Arc::new(sim.clone());
            (bitcoin, Some(sim), vec![miner])
        }
        BitcoinBackend::Core => {
            // A real regtest (or signet) node: it mines; the operator funds the inscriber.
            crate::base::announce_wallet(config, &store)?;
            tracing::info!("devnet starting on Bitcoin Core");
            (crate::base::connect_core(config)?, None, Vec::new())
        }
    };
    let pipeline = pipeline::start(PipelineParts {
        config: config.clone(),
        bitcoin: Some(bitcoin),
        store,
        clock,
        registry,
        keys: circuit_keys.clone(),
        extra_children,
        transport,
    })
    .await?;
    let (create, genesis) = loadgen::devnet_chain(&config.chain, config.node.seed, &circuit_keys)?;
    let chain = pipeline
        .host
        .create(create, genesis)
        .await
        .context("creating the devnet chain")?;
    let neurons = neurons::start_neurons(
        &pipeline,
        chain,
        &plans,
        &config.neuron,
        config.sequencer.min_fee,
    )
    .await
    .context("starting the devnet's neurons")?;
    if !plans.is_empty() {
        tracing::info!(neurons = plans.len(), "devnet neurons started");
    }
    Ok(Devnet {
        pipeline,
        sim,
        chain,
        keys: circuit_keys,
        neurons,
    })
}

/// The devnet's neurons: accounts after the load generator's, keys from the node seed.
pub fn devnet_neurons(config: &NodeConfig) -> Vec<neurons::NeuronPlan> {
    let c = &config.chain;
    loadgen::neuron_keys(config.node.seed, loadgen::devnet_neuron_count(c))
        .into_iter()
        .enumerate()
        .map(|(i, key)| neurons::NeuronPlan {
            account: c.accounts + i as u32,
            key,
            stake: c.neuron_stake,
            faults: Default::default(),
        })
        .collect()
}

/// Balances, stakes, escrow and everything burned (fees, slashes) equal the genesis supply,
/// and the accounts' nonces count exactly the signed transactions in blocks (transfers and
/// ops): nothing lost, nothing made twice.
pub async fn check_conservation(
    p: &Pipeline,
    chain: &ChainId,
    config: &NodeConfig,
) -> anyhow::Result<String> {
    use bitai_messages::sequencer::SequencerMsg;
    let sequencer = p
        .host
        .sequencer(chain)
        .await
        .context("the devnet chain's sequencer")?;
    let head = sequencer
        .ask(|reply| SequencerMsg::Head { reply }, 10_000)
        .await
        .context("the sequencer did not answer")?;
    let s = sequencer
        .ask(|reply| SequencerMsg::Supply { reply }, 10_000)
        .await
        .context("the sequencer did not answer")?;
    let accounts =
        config.chain.accounts + config.chain.neurons * u32::from(config.chain.block_ops > 0);
    let supply = u128::from(config.chain.balance) * u128::from(accounts);
    anyhow::ensure!(
        s.total() == supply,
        "balances {} + stakes {} + escrow {} + burned fees {} + slashed {} != genesis supply {supply}",
        s.balances,
        s.stakes,
        s.escrow,
        s.fees_burned,
        s.slashed
    );
    anyhow::ensure!(
        s.nonces == s.transfers + s.signed_ops,
        "nonces sum to {} but the blocks hold {} transfers and {} signed ops",
        s.nonces,
        s.transfers,
        s.signed_ops
    );
    Ok(format!(
        "{} transfers and {} ops in {} blocks; balances {} + stakes {} + escrow {} + burned fees {} + slashed {} = supply {supply}; nonces match",
        s.transfers,
        head.ops,
        head.number,
        s.balances,
        s.stakes,
        s.escrow,
        s.fees_burned,
        s.slashed
    ))
}

/// SimBitcoin on the node's store, premined at a fresh start like regtest's
/// `generatetoaddress`: block 1 pays SimBitcoin's own miner wallet (an outside party's coins,
/// for tests that inscribe on their own), every later coinbase the inscriber's wallet, so its
/// first coinbase matures during the premine. One block per batch: a kill mid-premine resumes.
pub fn open_sim(
    config: &NodeConfig,
    store: &bitai_storage::SharedStore,
    clock: &SharedClock,
) -> anyhow::Result<SimBitcoin> {
    let sim = SimBitcoin::open(config.bitcoin.sim.clone(), clock.clone(), store.clone())
        .context("opening SimBitcoin")?;
    let wallet = bitai_inscriber::wallet_keys(&config.inscriber, store, config.node.seed)?;
    let tip = || sim.tip().context("reading SimBitcoin").map(|t| t.height);
    if tip()? == 0 {
        sim.try_mine_block().context("premining")?;
    }
    sim.set_coinbase_script_pubkey(wallet.script_pubkey().clone());
    while tip()? < PREMINE_BLOCKS {
        sim.try_mine_block().context("premining")?;
    }
    Ok(sim)
}
