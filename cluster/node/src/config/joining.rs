//! The tables of the node kinds that join another node's cluster (`kind = "prover"` and
//! `kind = "neuron"`): where to join ([`JoinSection`], the `bitai prover run` and
//! `bitai neuron run --join` flags as keys) and what to run there ([`ProverNodeSection`],
//! [`NeuronNodeSection`]). `bitai node --config FILE` turns them into those commands' own
//! arguments, so both ways of starting a node make the same checks.

use serde::Deserialize;

/// `[join]`: the cluster a prover or neuron node joins.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JoinSection {
    /// The `[cluster] listen` address of the node to join, `HOST:PORT`. Required.
    pub coordinator: String,
    /// That node's `[cluster] cookie`. Required (or the `BITAI_CLUSTER_COOKIE` environment
    /// variable, which keeps it out of the file).
    pub cookie: String,
    /// Address of this node's own cluster server. Default `127.0.0.1:0` (any free port).
    pub listen: String,
    /// PEM file of the CA that signed the coordinator's TLS certificate; empty: no TLS.
    pub tls_ca: String,
    /// The name that certificate must carry; empty: the host of `coordinator`.
    pub tls_server_name: String,
    /// This node's name in the cluster (`bitai admin status`, `bitai admin drain --node`);
    /// empty: the kind and the process id.
    pub name: String,
}

impl Default for JoinSection {
    fn default() -> Self {
        Self {
            coordinator: String::new(),
            cookie: String::new(),
            listen: "127.0.0.1:0".into(),
            tls_ca: String::new(),
            tls_server_name: String::new(),
            name: String::new(),
        }
    }
}

/// `[prover_node]`: what a prover node proves with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProverNodeSection {
    /// Directory of proving-key files (`*.pk`). Required.
    pub keys: String,
    /// Threads that prove; 0 (the default): every core.
    pub threads: usize,
    /// Log filter (logs go to stderr). Default `info`.
    pub log: String,
}

impl Default for ProverNodeSection {
    fn default() -> Self {
        Self {
            keys: String::new(),
            threads: 0,
            log: "info".into(),
        }
    }
}

/// `[neuron_node]`: the neuron a neuron node runs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NeuronNodeSection {
    /// The chain id (64 hex digits). Required.
    pub chain: String,
    /// The neuron's key file (`bitai keygen`). Required.
    pub key: String,
    /// Its account. Required.
    pub account: u32,
    /// Fee of each commit and reveal, burned. Default 1.
    pub fee: u64,
    /// Register the account with this stake first if it is not a neuron yet; 0 (the
    /// default): do not register.
    pub stake: u64,
    /// Where the neuron keeps its seat records (fjall). Default `.neuron`.
    pub data_dir: String,
    /// CPU threads for inference. Default 1.
    pub threads: usize,
    /// How often to ask for assignments, ms. Default 1,000.
    pub poll_interval_ms: u64,
    /// How often the account's lease is heartbeat, ms (below the chain node's
    /// `[cluster] heartbeat_timeout_ms`). Default 2,000.
    pub heartbeat_interval_ms: u64,
    /// Log filter (logs go to stderr). Default `info`.
    pub log: String,
}

impl Default for NeuronNodeSection {
    fn default() -> Self {
        Self {
            chain: String::new(),
            key: String::new(),
            account: 0,
            fee: 1,
            stake: 0,
            data_dir: ".neuron".into(),
            threads: 1,
            poll_interval_ms: 1_000,
            heartbeat_interval_ms: 2_000,
            log: "info".into(),
        }
    }
}
