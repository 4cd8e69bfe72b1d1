//! The inscriber's Prometheus metrics.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Counters and gauges, created once per process and shared by every incarnation.
#[derive(Clone)]
pub struct InscriberMetrics {
    /// Requests accepted (not counting duplicates).
    pub requests_accepted: IntCounter,
    /// Batches cut.
    pub batches_cut: IntCounter,
    /// Batches final.
    pub batches_final: IntCounter,
    /// Fees of the transactions of final batches, sat.
    pub fees_paid_sat: IntCounter,
    /// Bumps, by kind (`commit_rbf`, `reveal_rbf`, `cpfp`).
    pub bumps: IntCounterVec,
    /// Bumps skipped because the fee rate is at the ceiling.
    pub bumps_at_ceiling: IntCounter,
    /// Broadcasts (first sends and rebroadcasts) the node refused.
    pub broadcast_rejects: IntCounter,
    /// Bumps the node refused as conflicts (its replacement rules, Core 31's feerate
    /// diagram among them): the next bump steps up from the refused rate.
    pub bumps_refused: IntCounter,
    /// Rebroadcasts of a transaction missing from the mempool.
    pub rebroadcasts: IntCounter,
    /// Times the wallet could not pay for a batch or a bump.
    pub funds_low: IntCounter,
    /// Spendable confirmed balance, sat.
    pub balance_sat: IntGauge,
    /// 1 while the spendable balance is under `low_funds_sat`.
    pub funds_below_threshold: IntGauge,
    /// Weight of the payloads queued or in unconfirmed reveals, WU.
    pub pending_weight_wu: IntGauge,
}

impl InscriberMetrics {
    /// Creates and registers the metrics (registration errors, such as a second registration
    /// in one registry, are ignored: the metrics still count).
    pub fn new(registry: &Registry) -> Self {
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("static metric names are valid");
            let _ = registry.register(Box::new(c.clone()));
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("static metric names are valid");
            let _ = registry.register(Box::new(g.clone()));
            g
        };
        let bumps = IntCounterVec::new(
            Opts::new("bitai_inscriber_bumps_total", "fee bumps by kind"),
            &["kind"],
        )
        .expect("static metric names are valid");
        let _ = registry.register(Box::new(bumps.clone()));
        Self {
            requests_accepted: counter(
                "bitai_inscriber_requests_accepted_total",
                "inscription requests accepted",
            ),
            batches_cut: counter("bitai_inscriber_batches_cut_total", "batches signed"),
            batches_final: counter("bitai_inscriber_batches_final_total", "batches final"),
            fees_paid_sat: counter(
                "bitai_inscriber_fees_paid_sat_total",
                "fees of final batches' transactions, sat",
            ),
            bumps,
            bumps_at_ceiling: counter(
                "bitai_inscriber_bumps_at_ceiling_total",
                "bumps skipped at the fee-rate ceiling",
            ),
            broadcast_rejects: counter(
                "bitai_inscriber_broadcast_rejects_total",
                "broadcasts refused by the node",
            ),
            bumps_refused: counter(
                "bitai_inscriber_bumps_refused_total",
                "bumps the node refused as conflicts (replacement rules)",
            ),
            rebroadcasts: counter(
                "bitai_inscriber_rebroadcasts_total",
                "transactions rebroadcast after leaving the mempool",
            ),
            funds_low: counter(
                "bitai_inscriber_funds_low_total",
                "batches or bumps the wallet could not pay for",
            ),
            balance_sat: gauge("bitai_inscriber_balance_sat", "spendable balance, sat"),
            funds_below_threshold: gauge(
                "bitai_inscriber_funds_low",
                "1 while the spendable balance is under low_funds_sat",
            ),
            pending_weight_wu: gauge(
                "bitai_inscriber_pending_weight_wu",
                "weight of payloads not yet confirmed, WU",
            ),
        }
    }
}
