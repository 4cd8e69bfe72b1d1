//! The node configuration: one TOML file, one table per concern, every key documented in the
//! shipped files under `configs/` and next to its default here. Unknown keys are errors, so
//! a typo is caught at start-up rather than silently ignored.

pub mod joining;

use bitai_indexer::IndexerConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A whole node configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// `[node]`: identity and data.
    pub node: NodeSection,
    /// `[bitcoin]`: which Bitcoin backend.
    pub bitcoin: BitcoinSection,
    /// `[indexer]`: how the chain is followed.
    pub indexer: IndexerConfig,
    /// `[inscriber]`: how BitAI transactions are put on Bitcoin (the devnet runs it).
    pub inscriber: bitai_inscriber::InscriberConfig,
    /// `[rpc]`: the JSON-RPC endpoint for users and operators.
    pub rpc: bitai_rpc::RpcConfig,
    /// `[explorer]`: the built-in explorer's web pages (off unless `listen` is set).
    pub explorer: bitai_explorer::ExplorerConfig,
    /// `[metrics]`: the Prometheus endpoint.
    pub metrics: MetricsSection,
    /// `[log]`: where logs go.
    pub log: LogSection,
    /// `[chain]`: the chain `bitai devnet` creates and sequences, and the block size and
    /// proof system this node's provers serve.
    pub chain: crate::pipeline::config::ChainSection,
    /// `[sequencer]`: how hosted chains make blocks.
    pub sequencer: bitai_sequencer::SequencerConfig,
    /// `[prover]`: the local prover pool.
    pub prover: crate::pipeline::config::ProverSection,
    /// `[statemachine]`: the BitAI side.
    pub statemachine: bitai_statemachine::StateMachineConfig,
    /// `[mempool]`: the BitAI mempool (its `allow_simulation_only` and `max_chains` are
    /// taken from `[statemachine]`, so the two always agree).
    pub mempool: bitai_mempool::MempoolConfig,
    /// `[neuron]`: how the node's neurons poll, pay and cache.
    pub neuron: bitai_neuron::NeuronConfig,
    /// `[cluster]`: prover nodes that join this node over `ractor_cluster`.
    pub cluster: bitai_transport::ClusterSection,
    /// `[admin]`: the operator's endpoint (`bitai admin status`, `bitai admin drain`).
    pub admin: bitai_rpc::admin::AdminConfig,
    /// `[bitai_nodes]`: a chain node's BitAI nodes.
    pub bitai_nodes: crate::pipeline::relay::BitaiNodesSection,
    /// `[join]`: the cluster a prover or neuron node joins.
    pub join: joining::JoinSection,
    /// `[prover_node]`: a prover node's keys and threads.
    pub prover_node: joining::ProverNodeSection,
    /// `[neuron_node]`: a neuron node's chain, key and account.
    pub neuron_node: joining::NeuronNodeSection,
}

/// What a node runs (`[node] kind`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// Every role in one process (the devnet's coordinator).
    #[default]
    All,
    /// The BitAI side: mempool, inscriber, indexer and state machine, for every chain whose
    /// proofs reach it; no sequencer.
    Bitai,
    /// An AI chain's operator: sequencers, DA, the prover pool; proofs go to the BitAI nodes
    /// of `[bitai_nodes]`.
    Chain,
    /// A prover node joining the node that runs the pool (`[join]`, `[prover_node]`).
    Prover,
    /// A neuron node joining the node that runs the chain (`[join]`, `[neuron_node]`).
    Neuron,
}

impl NodeKind {
    /// Its name in configs and in `bitai admin status`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::All => "all",
            NodeKind::Bitai => "bitai",
            NodeKind::Chain => "chain",
            NodeKind::Prover => "prover",
            NodeKind::Neuron => "neuron",
        }
    }
}

/// `[node]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeSection {
    /// What the node runs. Default `all`.
    pub kind: NodeKind,
    /// Directory of the node's fjall database and files. Default `.devnet`.
    pub data_dir: PathBuf,
    /// Seed of every simulated component (SimBitcoin's mining schedule and keys). Default 1.
    pub seed: u64,
    /// fsync every write batch (survives power loss), instead of flushing to the OS only
    /// (survives a crash of the process). Default false.
    pub fsync: bool,
}

impl Default for NodeSection {
    fn default() -> Self {
        Self {
            kind: NodeKind::All,
            data_dir: PathBuf::from(".devnet"),
            seed: 1,
            fsync: false,
        }
    }
}

/// Which Bitcoin network the node talks to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BitcoinBackend {
    /// SimBitcoin, in process (the embedded default).
    #[default]
    Sim,
    /// A Bitcoin Core node over JSON-RPC (`[bitcoin.core]` required).
    Core,
}

/// `[bitcoin]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BitcoinSection {
    /// `sim` (default) or `core`.
    pub backend: BitcoinBackend,
    /// `[bitcoin.sim]`: SimBitcoin's parameters.
    pub sim: bitai_simulation::bitcoin::SimBitcoinConfig,
    /// `[bitcoin.core]`: the Bitcoin Core node, when `backend = "core"`.
    pub core: Option<bitai_bitcoin::CoreRpcConfig>,
}

/// `[metrics]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Address of the Prometheus endpoint (`GET /metrics`); empty to disable. Default
    /// `127.0.0.1:9184`.
    pub listen: String,
}

impl Default for MetricsSection {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9184".into(),
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// Log file, relative to `data_dir` unless absolute. Default `bitai.log`.
    pub file: PathBuf,
    /// Filter in `tracing_subscriber::EnvFilter` syntax (`RUST_LOG` overrides). Default
    /// `info`.
    pub filter: String,
}

impl Default for LogSection {
    fn default() -> Self {
        Self {
            file: PathBuf::from("bitai.log"),
            filter: "info".into(),
        }
    }
}

/// Why a config could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid config.
    #[error("invalid config {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What toml said.
        source: toml::de::Error,
    },
    /// A value is inconsistent with another.
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl NodeConfig {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and checks config text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: NodeConfig = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.bitcoin.backend == BitcoinBackend::Core && self.bitcoin.core.is_none() {
            return Err(ConfigError::Invalid(
                "bitcoin.backend = \"core\" needs a [bitcoin.core] table".into(),
            ));
        }
        if self.indexer.max_in_flight == 0 {
            return Err(ConfigError::Invalid(
                "indexer.max_in_flight must be at least 1".into(),
            ));
        }
        self.rpc.check().map_err(ConfigError::Invalid)?;
        self.cluster.check().map_err(ConfigError::Invalid)?;
        self.admin
            .check(&self.rpc.listen)
            .map_err(ConfigError::Invalid)?;
        if self.node.kind == NodeKind::Chain {
            self.bitai_nodes.check().map_err(ConfigError::Invalid)?;
        }
        if self.prover.workers == 0 && !self.cluster.enabled() && self.node.kind != NodeKind::Bitai
        {
            return Err(ConfigError::Invalid(
                "prover.workers = 0 needs [cluster] listen (remote provers) to prove anything"
                    .into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../configs")
            .join(name)
    }

    #[test]
    fn shipped_node_configs_parse() {
        let devnet = NodeConfig::load(&shipped("devnet.toml")).expect("devnet.toml parses");
        assert_eq!(devnet.bitcoin.backend, BitcoinBackend::Sim);
        assert_eq!(devnet.bitcoin.sim.block_interval_mean_ms, 2000);
        let regtest = NodeConfig::load(&shipped("node-regtest.toml")).expect("parses");
        assert_eq!(regtest.bitcoin.backend, BitcoinBackend::Core);
        assert!(regtest.bitcoin.core.is_some());
        // Both files spell out every [rpc] key with its default value.
        assert_eq!(devnet.rpc, bitai_rpc::RpcConfig::default());
        assert_eq!(regtest.rpc, bitai_rpc::RpcConfig::default());
        // And every [cluster] key, off.
        assert_eq!(devnet.cluster, bitai_transport::ClusterSection::default());
        assert_eq!(regtest.cluster, bitai_transport::ClusterSection::default());
        // And the [admin] keys, off.
        assert_eq!(devnet.admin, bitai_rpc::admin::AdminConfig::default());
        // The devnet on real Core, wallet-less like the regtest node config.
        let core = NodeConfig::load(&shipped("devnet-core.toml")).expect("parses");
        assert_eq!(core.bitcoin.backend, BitcoinBackend::Core);
        for c in [&core, &regtest] {
            let backend = c.bitcoin.core.as_ref().expect("[bitcoin.core]");
            assert_eq!(backend.wallet, None, "Core's wallet is optional");
        }
    }

    #[test]
    fn every_shipped_config_is_tested() {
        let mut names: Vec<String> = std::fs::read_dir(shipped(""))
            .expect("configs/ exists")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        // node configs are parsed above; the Core backend's own file by bitai-bitcoin's tests.
        assert_eq!(
            names,
            [
                "bitai.toml",
                "bitcoin-core-regtest.toml",
                "chain.toml",
                "devnet-core.toml",
                "devnet.toml",
                "neuron.toml",
                "node-regtest.toml",
                "prover.toml"
            ]
        );
    }

    #[test]
    fn the_node_kinds_configs_parse_and_name_their_kind() {
        let load =
            |name: &str| NodeConfig::load(&shipped(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let bitai = load("bitai.toml");
        assert_eq!(bitai.node.kind, NodeKind::Bitai);
        assert_eq!(bitai.bitcoin.backend, BitcoinBackend::Sim);
        let chain = load("chain.toml");
        assert_eq!(chain.node.kind, NodeKind::Chain);
        assert_eq!(
            chain.bitai_nodes.urls,
            [format!("http://{}", bitai.rpc.listen)]
        );
        assert!(chain.cluster.enabled() && chain.prover.workers == 0);
        assert_ne!(chain.rpc.listen, bitai.rpc.listen);
        assert_ne!(chain.metrics.listen, bitai.metrics.listen);
        let prover = load("prover.toml");
        assert_eq!(prover.node.kind, NodeKind::Prover);
        assert_eq!(prover.join.coordinator, chain.cluster.listen);
        let keys = chain.node.data_dir.join(&chain.prover.key_cache_dir);
        assert_eq!(std::path::Path::new(&prover.prover_node.keys), keys);
        let neuron = load("neuron.toml");
        assert_eq!(neuron.node.kind, NodeKind::Neuron);
        assert_eq!(neuron.join.coordinator, chain.cluster.listen);
        assert!(neuron.neuron_node.stake > 0 && neuron.neuron_node.account > 0);
        // devnet.toml spells out every key of the new tables with its default.
        let devnet = load("devnet.toml");
        assert_eq!(devnet.node.kind, NodeKind::All);
        assert_eq!(
            devnet.bitai_nodes,
            crate::pipeline::relay::BitaiNodesSection::default()
        );
        assert_eq!(devnet.join, joining::JoinSection::default());
        assert_eq!(devnet.prover_node, joining::ProverNodeSection::default());
        assert_eq!(devnet.neuron_node, joining::NeuronNodeSection::default());
    }

    #[test]
    fn a_chain_node_needs_its_bitai_nodes() {
        let p = Path::new("x.toml");
        let chain = "[node]\nkind = \"chain\"\n";
        match NodeConfig::parse(chain, p) {
            Err(ConfigError::Invalid(why)) => assert!(why.contains("bitai_nodes"), "{why}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let with = format!("{chain}[bitai_nodes]\nurls = [\"http://127.0.0.1:9180\"]\n");
        assert!(NodeConfig::parse(&with, p).is_ok());
        let bad_url = format!("{chain}[bitai_nodes]\nurls = [\"ftp://x\"]\n");
        assert!(NodeConfig::parse(&bad_url, p).is_err());
        assert!(NodeConfig::parse("[node]\nkind = \"miner\"\n", p).is_err());
    }

    #[test]
    fn unknown_keys_and_inconsistent_values_are_refused() {
        let p = Path::new("x.toml");
        assert!(matches!(
            NodeConfig::parse("[node]\nseeed = 1\n", p),
            Err(ConfigError::Parse { .. })
        ));
        assert!(matches!(
            NodeConfig::parse("[bitcoin]\nbackend = \"core\"\n", p),
            Err(ConfigError::Invalid(_))
        ));
        assert!(matches!(
            NodeConfig::parse("[rpc]\nlisten_addr = \"x\"\n", p),
            Err(ConfigError::Parse { .. })
        ));
        assert!(matches!(
            NodeConfig::parse("[rpc]\nmax_connections = 0\n", p),
            Err(ConfigError::Invalid(_))
        ));
        assert!(matches!(
            NodeConfig::parse("[prover]\nworkers = 0\n", p),
            Err(ConfigError::Invalid(_))
        ));
        assert!(matches!(
            NodeConfig::parse("[cluster]\nlisten = \"127.0.0.1:7400\"\n", p),
            Err(ConfigError::Invalid(_))
        ));
        let remote_only = "[prover]\nworkers = 0\n[cluster]\nlisten = \"127.0.0.1:7400\"\n\
                           cookie = \"s\"\n";
        assert!(NodeConfig::parse(remote_only, p).is_ok());
        assert!(NodeConfig::parse("", p).is_ok(), "every key has a default");
    }

    #[test]
    fn an_admin_endpoint_needs_its_own_address_and_a_readable_token() {
        let p = Path::new("x.toml");
        let dir = tempfile::tempdir().expect("temp dir");
        let token = dir.path().join("token");
        std::fs::write(&token, format!("{}\n", "ab".repeat(16))).expect("write");
        let admin = |listen: &str, file: &str| {
            NodeConfig::parse(
                &format!("[admin]\nlisten = \"{listen}\"\ntoken_file = \"{file}\"\n"),
                p,
            )
        };
        let token = token.to_string_lossy();
        assert!(admin("127.0.0.1:9185", &token).is_ok());
        let invalid = |r: Result<NodeConfig, ConfigError>| match r {
            Err(ConfigError::Invalid(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(invalid(admin("127.0.0.1:9185", "")).contains("token_file"));
        assert!(invalid(admin("127.0.0.1:9180", &token)).contains("differ"));
        let missing = dir.path().join("missing").to_string_lossy().into_owned();
        assert!(invalid(admin("127.0.0.1:9185", &missing)).contains("admin token file"));
        let short = dir.path().join("short");
        std::fs::write(&short, "abc").expect("write");
        assert!(invalid(admin("127.0.0.1:9185", &short.to_string_lossy())).contains("32"));
    }
}
