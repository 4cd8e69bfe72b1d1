//! What one configuration of the latency bench measured, and its table: per stage
//! transition the median and 90th percentile over the transfers, the Bitcoin block wait split
//! out of the inscription stage, and the run's totals.

use bitai_rpc::types::Stage;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// One transfer's timeline, times since the first submission (the run's clock).
#[derive(Debug, Clone)]
pub struct Sample {
    /// When its submission started.
    pub submitted: Duration,
    /// When the sequencer acknowledged it (persisted, pending).
    pub accepted: Duration,
    /// When a poll first saw it at each stage or past it.
    pub seen: BTreeMap<Stage, Duration>,
    /// The Bitcoin height of the transaction that carried its block's proof.
    pub bitcoin_height: Option<u64>,
    /// The Bitcoin tip height on the poll that first saw it final.
    pub final_tip: Option<u64>,
}

impl Sample {
    /// A transfer submitted at `submitted` and acknowledged at `accepted`.
    pub fn new(submitted: Duration, accepted: Duration) -> Self {
        Self {
            submitted,
            accepted,
            seen: BTreeMap::new(),
            bitcoin_height: None,
            final_tip: None,
        }
    }

    fn at(&self, stage: Stage) -> Option<Duration> {
        match stage {
            Stage::Pending => Some(self.submitted),
            other => self.seen.get(&other).copied(),
        }
    }
}

/// A configuration's results.
#[derive(Debug)]
pub struct Run {
    /// `wall` or `sim`.
    pub name: &'static str,
    /// Measured on tokio's paused clock.
    pub paused: bool,
    /// Time between submissions, ms.
    pub interval_ms: u64,
    /// Time between polls, ms.
    pub poll_ms: u64,
    /// SimBitcoin's mean block interval, ms.
    pub block_interval_ms: u64,
    /// Confirmations to finality on the BitAI side.
    pub finality_depth: u64,
    /// The chain's proof system.
    pub proof_system: String,
    /// Every transfer.
    pub samples: Vec<Sample>,
    /// When a poll first saw the Bitcoin tip at each height.
    pub tip_seen: BTreeMap<u64, Duration>,
    /// From the first submission to the last transfer final (the run's clock).
    pub elapsed: Duration,
    /// The same span in wall time.
    pub wall: Duration,
    /// Wall time from the start of the devnet to its chain registered.
    pub startup_wall_s: f64,
    /// The devnet chain's L2 blocks at the end.
    pub l2_blocks: u64,
    /// Poll rounds.
    pub polls: u64,
    /// Proofs made and their mean time in seconds (the prover pool's histogram).
    pub prove: Option<(u64, f64)>,
}

/// The median and the 90th percentile (nearest rank) of `values`, seconds.
pub fn median_p90(values: &mut [f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = |q: f64| {
        let r = (q * values.len() as f64).ceil() as usize;
        values[r.clamp(1, values.len()) - 1]
    };
    Some((rank(0.5), rank(0.9)))
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl Run {
    /// The span from `from` to `to` of every transfer that has both, seconds.
    fn spans(&self, from: Stage, to: Stage) -> Vec<f64> {
        self.samples
            .iter()
            .filter_map(|s| Some(secs(s.at(to)?.saturating_sub(s.at(from)?))))
            .collect()
    }

    /// When the Bitcoin block carrying each transfer's proof was first seen.
    fn block_seen(&self, s: &Sample) -> Option<Duration> {
        s.bitcoin_height
            .and_then(|h| self.tip_seen.get(&h).copied())
    }

    fn custom(
        &self,
        f: impl Fn(&Sample) -> Option<Duration>,
        g: impl Fn(&Sample) -> Option<Duration>,
    ) -> Vec<f64> {
        self.samples
            .iter()
            .filter_map(|s| Some(secs(g(s)?.saturating_sub(f(s)?))))
            .collect()
    }

    /// The run's table (Markdown).
    pub fn table(&self) -> String {
        let unit = if self.paused { "simulated s" } else { "s" };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## {}: {} proofs, Bitcoin blocks every {} s on average, finality depth {}, {}",
            self.name,
            self.proof_system,
            self.block_interval_ms / 1_000,
            self.finality_depth,
            if self.paused {
                "tokio's paused clock (simulated time)"
            } else {
                "real time"
            }
        );
        let _ = writeln!(
            out,
            "{} transfers, one every {} ms; polled every {} ms\n",
            self.samples.len(),
            self.interval_ms,
            self.poll_ms
        );
        let _ = writeln!(out, "| transition | median ({unit}) | p90 ({unit}) |");
        let _ = writeln!(out, "| --- | ---: | ---: |");
        let mut row = |label: &str, mut v: Vec<f64>| {
            if let Some((m, p)) = median_p90(&mut v) {
                let _ = writeln!(out, "| {label} | {m:.2} | {p:.2} |");
            } else {
                let _ = writeln!(out, "| {label} | - | - |");
            }
        };
        row(
            "submit -> accepted (sequencer ack)",
            self.custom(|s| Some(s.submitted), |s| Some(s.accepted)),
        );
        row(
            "submit -> in L2 block",
            self.spans(Stage::Pending, Stage::InL2Block),
        );
        row(
            "in L2 block -> proven",
            self.spans(Stage::InL2Block, Stage::Proven),
        );
        row(
            "proven -> inscribed (handed to the inscriber)",
            self.spans(Stage::Proven, Stage::Inscribed),
        );
        row(
            "inscribed -> verified",
            self.spans(Stage::Inscribed, Stage::Verified),
        );
        row(
            "  of which: inscribed -> its Bitcoin block mined",
            self.custom(|s| s.at(Stage::Inscribed), |s| self.block_seen(s)),
        );
        row(
            "  of which: block mined -> verified",
            self.custom(|s| self.block_seen(s), |s| s.at(Stage::Verified)),
        );
        row(
            &format!("verified -> final ({} confirmations)", self.finality_depth),
            self.spans(Stage::Verified, Stage::Final),
        );
        row(
            "**submit -> final**",
            self.spans(Stage::Pending, Stage::Final),
        );
        let _ = writeln!(out);
        let heights: Vec<u64> = self
            .samples
            .iter()
            .filter_map(|s| s.bitcoin_height)
            .collect();
        let distinct: std::collections::BTreeSet<u64> = heights.iter().copied().collect();
        let _ = writeln!(
            out,
            "run: {:.1} {unit} from the first submission to the last transfer final ({:.1} s wall); \
             {} L2 blocks; proofs in {} Bitcoin blocks; {} poll rounds; devnet start to chain \
             registered {:.1} s wall",
            secs(self.elapsed),
            secs(self.wall),
            self.l2_blocks,
            distinct.len(),
            self.polls,
            self.startup_wall_s
        );
        let mut confirmations: Vec<f64> = self
            .samples
            .iter()
            .filter_map(|s| Some((s.final_tip? + 1).saturating_sub(s.bitcoin_height?) as f64))
            .collect();
        if let Some((m, p)) = median_p90(&mut confirmations) {
            let _ = writeln!(
                out,
                "confirmations of the proof's block when first seen final: median {m}, p90 {p}"
            );
        }
        // Blocks mined after the hand-off that did not carry the proof: the inscriber cuts a
        // batch only once the one before it is confirmed, so a proof handed while a batch is
        // in flight waits for that batch's block first.
        let mut skipped: Vec<f64> = self
            .samples
            .iter()
            .filter_map(|s| {
                let handed = s.at(Stage::Inscribed)?;
                let tip = self
                    .tip_seen
                    .iter()
                    .filter(|(_, t)| **t <= handed)
                    .map(|(h, _)| *h)
                    .next_back()?;
                Some(s.bitcoin_height?.saturating_sub(tip + 1) as f64)
            })
            .collect();
        let one_or_more = skipped.iter().filter(|n| **n >= 1.0).count();
        if let Some((m, p)) = median_p90(&mut skipped) {
            let _ = writeln!(
                out,
                "Bitcoin blocks mined between the hand-off and the block carrying the proof: \
                 median {m}, p90 {p}; {one_or_more} of {} transfers waited at least one",
                skipped.len()
            );
        }
        let first = self.tip_seen.iter().next();
        let last = self.tip_seen.iter().next_back();
        if let (Some((h0, t0)), Some((h1, t1))) = (first, last) {
            if h1 > h0 {
                let _ = writeln!(
                    out,
                    "Bitcoin blocks during the run: {} in {:.1} {unit}, {:.1} {unit} apart on average",
                    h1 - h0,
                    secs(t1.saturating_sub(*t0)),
                    secs(t1.saturating_sub(*t0)) / (h1 - h0) as f64
                );
            }
        }
        if let Some((n, mean)) = self.prove {
            let _ = writeln!(out, "prover pool: {n} proofs, mean {mean:.2} {unit} each");
        }
        out
    }
}
