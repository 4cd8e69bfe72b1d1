//! A neuron's metrics, labelled by chain and account so the neurons of a node share one
//! registry: commits and reveals submitted, errors by kind, assignments skipped, open
//! assignments, and inference time.

use bitai_protocol::ChainId;
use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Metrics of one neuron.
#[derive(Clone, Debug)]
pub struct NeuronMetrics {
    /// Commit ops the sequencer accepted.
    pub commits: IntCounter,
    /// Reveal ops the sequencer accepted.
    pub reveals: IntCounter,
    /// Errors, by kind (`port`, `store`, `model`, `input`, `run`, `refused`).
    pub errors: IntCounterVec,
    /// Assignments left alone: the commit window had passed before the neuron saw them
    /// (`late`), or the model is larger than `max_model_bytes` (`model_too_large`).
    pub skipped: IntCounterVec,
    /// Open assignments seen at the last tick.
    pub assignments: IntGauge,
    /// Time to compute one canonical output, by the injected clock, in seconds.
    pub inference_seconds: Histogram,
}

impl NeuronMetrics {
    /// New metrics for `account` on `chain`, registered in `registry`.
    pub fn new(
        registry: &Registry,
        chain: &ChainId,
        account: u32,
    ) -> Result<Self, prometheus::Error> {
        let chain = chain.to_string();
        let account = account.to_string();
        let opts = |name: &str, help: &str| {
            Opts::new(name, help)
                .const_label("chain", &chain)
                .const_label("account", &account)
        };
        let m = NeuronMetrics {
            commits: IntCounter::with_opts(opts("neuron_commits_total", "commit ops accepted"))?,
            reveals: IntCounter::with_opts(opts("neuron_reveals_total", "reveal ops accepted"))?,
            errors: IntCounterVec::new(opts("neuron_errors_total", "errors, by kind"), &["kind"])?,
            skipped: IntCounterVec::new(
                opts("neuron_skipped_total", "assignments left alone, by reason"),
                &["reason"],
            )?,
            assignments: IntGauge::with_opts(opts(
                "neuron_assignments",
                "open assignments at the last tick",
            ))?,
            inference_seconds: Histogram::with_opts(
                HistogramOpts::new("neuron_inference_seconds", "time to compute one output")
                    .const_label("chain", &chain)
                    .const_label("account", &account)
                    .buckets(vec![0.001, 0.01, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0]),
            )?,
        };
        registry.register(Box::new(m.commits.clone()))?;
        registry.register(Box::new(m.reveals.clone()))?;
        registry.register(Box::new(m.errors.clone()))?;
        registry.register(Box::new(m.skipped.clone()))?;
        registry.register(Box::new(m.assignments.clone()))?;
        registry.register(Box::new(m.inference_seconds.clone()))?;
        Ok(m)
    }
}
