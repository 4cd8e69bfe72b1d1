//! The mempool's metrics: accepted, refused and evicted transactions, landed and handed
//! entries, pending and deferred counts.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Metrics of the mempool.
#[derive(Clone, Debug)]
pub struct MempoolMetrics {
    /// Transactions accepted, by kind.
    pub accepted: IntCounterVec,
    /// Submissions refused, by kind and reason.
    pub rejected: IntCounterVec,
    /// Entries evicted after a view change, by reason.
    pub evicted: IntCounterVec,
    /// Entries dropped because their effect landed.
    pub landed: IntCounter,
    /// Entries the inscriber acknowledged.
    pub handed: IntCounter,
    /// Entries pending.
    pub pending: IntGauge,
    /// Proofs deferred by a transient refusal.
    pub deferred: IntGauge,
}

impl MempoolMetrics {
    /// New metrics, registered in `registry`.
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let m = MempoolMetrics {
            accepted: IntCounterVec::new(
                Opts::new("mempool_accepted_total", "BitAI transactions accepted"),
                &["kind"],
            )?,
            rejected: IntCounterVec::new(
                Opts::new("mempool_rejected_total", "BitAI transactions refused"),
                &["kind", "reason"],
            )?,
            evicted: IntCounterVec::new(
                Opts::new("mempool_evicted_total", "entries a new state made invalid"),
                &["reason"],
            )?,
            landed: IntCounter::new("mempool_landed_total", "entries whose effect landed")?,
            handed: IntCounter::new("mempool_handed_total", "entries handed to the inscriber")?,
            pending: IntGauge::new("mempool_pending", "entries pending")?,
            deferred: IntGauge::new("mempool_deferred", "proofs deferred by a transient refusal")?,
        };
        registry.register(Box::new(m.accepted.clone()))?;
        registry.register(Box::new(m.rejected.clone()))?;
        registry.register(Box::new(m.evicted.clone()))?;
        registry.register(Box::new(m.landed.clone()))?;
        registry.register(Box::new(m.handed.clone()))?;
        registry.register(Box::new(m.pending.clone()))?;
        registry.register(Box::new(m.deferred.clone()))?;
        Ok(m)
    }
}
