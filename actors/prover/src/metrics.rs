//! The pool's metrics: queue depth, leases out, proofs and failures, prove time, prover
//! nodes connected.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge, Registry};

/// Metrics of one pool.
#[derive(Clone, Debug)]
pub struct PoolMetrics {
    /// Jobs not yet emitted (pending, leased or proved but waiting for an earlier block).
    pub queue_depth: IntGauge,
    /// Leases currently out.
    pub leases_out: IntGauge,
    /// Proofs made.
    pub proofs: IntCounter,
    /// Failed attempts (errors and expired leases).
    pub failed_attempts: IntCounter,
    /// Prove time in seconds.
    pub prove_seconds: Histogram,
    /// Prover nodes connected through the cluster gateway.
    pub remote_provers: IntGauge,
}

impl PoolMetrics {
    /// New metrics, registered in `registry`.
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let m = PoolMetrics {
            queue_depth: IntGauge::new("prover_pool_queue_depth", "jobs not yet emitted")?,
            leases_out: IntGauge::new("prover_pool_leases_out", "leases currently out")?,
            proofs: IntCounter::new("prover_pool_proofs_total", "proofs made")?,
            failed_attempts: IntCounter::new(
                "prover_pool_failed_attempts_total",
                "attempts that failed or whose lease expired",
            )?,
            prove_seconds: Histogram::with_opts(
                HistogramOpts::new("prover_pool_prove_seconds", "prove time")
                    .buckets(vec![0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 60.0, 120.0, 300.0]),
            )?,
            remote_provers: IntGauge::new(
                "prover_pool_remote_provers",
                "prover nodes connected through the cluster",
            )?,
        };
        registry.register(Box::new(m.queue_depth.clone()))?;
        registry.register(Box::new(m.leases_out.clone()))?;
        registry.register(Box::new(m.proofs.clone()))?;
        registry.register(Box::new(m.failed_attempts.clone()))?;
        registry.register(Box::new(m.prove_seconds.clone()))?;
        registry.register(Box::new(m.remote_provers.clone()))?;
        Ok(m)
    }
}

/// Metrics of a prover node's remote prover.
#[derive(Clone, Debug)]
pub struct RemoteProverMetrics {
    /// Leases proved, by outcome (`ok`, `failed`).
    pub proofs: prometheus::IntCounterVec,
    /// Prove time in seconds.
    pub prove_seconds: Histogram,
    /// 1 while a proof is being made.
    pub proving: IntGauge,
    /// 1 once the node drains.
    pub draining: IntGauge,
}

impl RemoteProverMetrics {
    /// New metrics, registered in `registry`.
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let m = RemoteProverMetrics {
            proofs: prometheus::IntCounterVec::new(
                prometheus::Opts::new("prover_node_proofs_total", "leases proved, by outcome"),
                &["outcome"],
            )?,
            prove_seconds: Histogram::with_opts(
                HistogramOpts::new("prover_node_prove_seconds", "prove time")
                    .buckets(prometheus::exponential_buckets(0.1, 2.0, 12)?),
            )?,
            proving: IntGauge::new("prover_node_proving", "1 while a proof is being made")?,
            draining: IntGauge::new("prover_node_draining", "1 once the node drains")?,
        };
        registry.register(Box::new(m.proofs.clone()))?;
        registry.register(Box::new(m.prove_seconds.clone()))?;
        registry.register(Box::new(m.proving.clone()))?;
        registry.register(Box::new(m.draining.clone()))?;
        Ok(m)
    }
}
