//! The oracles: what must hold in every run, checked as the run goes (every oracle tick)
//! and, for the ones that need the run to be over, once at its end. One checker per file:
//!
//! - (a) [`lost`]: every transfer or op a sequencer acknowledged ends final (or rejected
//!   with a reason); none vanishes.
//! - (b) [`inscribed_once`]: no `SubmitProof` is on the canonical Bitcoin chain twice.
//! - (c) [`roots`]: every chain's verified root on the BitAI side equals the sequencer's root
//!   at that block.
//! - (d) [`agreement`]: the two BitAI nodes agree on every chain's verified and final roots
//!   at every Bitcoin block both applied.
//! - (e) [`replay`]: at the end, after all reorgs, the live state equals a fresh replay of
//!   the canonical chain.
//! - (f) [`supply`]: each chain's supply is conserved (balances, stakes, escrow, burned fees,
//!   slashes) and nonces count exactly the signed transactions in blocks.
//! - (g) [`poc`]: Proof-of-Compute never pays a neuron that disagreed with the quorum.
//! - (h) [`liveness`]: once the runner heals the faults, every chain's head becomes final
//!   and every request settles within the quiet phase.
//! - [`deep_reorg`] (with the `deep_reorg` fault, after all the others): a reorg deeper than
//!   the nodes can roll back stops them loudly with their state intact.
//!
//! Adding an oracle: a file here with a checker returning `Err(detail)` on a violation,
//! called from [`Oracles::tick`] or [`Oracles::finish`].

pub mod agreement;
pub mod deep_reorg;
pub mod inscribed_once;
pub mod liveness;
pub mod lost;
pub mod poc;
pub mod replay;
pub mod roots;
pub mod supply;

use crate::trace::Trace;
use crate::users::Users;
use crate::world::World;

/// An oracle that fired.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The oracle's name.
    pub oracle: &'static str,
    /// Simulated milliseconds since the run started.
    pub at_ms: u64,
    /// What it found.
    pub detail: String,
    /// The trace's last lines before it.
    pub recent: Vec<String>,
}

/// The oracles' memory between ticks.
#[derive(Default)]
pub struct Oracles {
    inscriptions: inscribed_once::Canonical,
    agreement: agreement::Agreement,
    lost: lost::Pending,
    /// Checks run (for the summary).
    pub checks: u64,
}

fn violation(trace: &Trace, oracle: &'static str, detail: String) -> Violation {
    trace.record("oracle", format_args!("VIOLATION {oracle}: {detail}"));
    Violation {
        oracle,
        at_ms: trace.now_ms(),
        detail,
        recent: trace.recent(),
    }
}

/// The node stopped on its own: a role halted it (a crash loop, or a reorg beyond what it
/// can roll back). Loud, never silent corruption; in a run that injects no such fault, a
/// violation.
pub fn halt(trace: &Trace, reason: String) -> Violation {
    violation(trace, "halt", reason)
}

impl Oracles {
    /// Transfers the lost-transaction oracle has seen final.
    pub fn transfers_final(&self) -> u64 {
        self.lost.finals
    }

    /// The checks that hold at every moment.
    pub async fn tick(&mut self, w: &World, users: &Users, trace: &Trace) -> Result<(), Violation> {
        self.checks += 1;
        let check =
            |name: &'static str, r: Result<(), String>| r.map_err(|d| violation(trace, name, d));
        check("inscribed_once", self.inscriptions.scan(w))?;
        check("roots", roots::check(w).await)?;
        check("agreement", self.agreement.record(w, trace))?;
        // Before supply: paying a disagreeing neuron also breaks conservation, and the
        // violation should name the rule that was broken first.
        check("poc", poc::check(w).await)?;
        check("supply", supply::check(w).await)?;
        check("lost", self.lost.follow(w, users, 64).await)?;
        check(
            "resubmission",
            users
                .resubmission_wrong
                .first()
                .map_or(Ok(()), |w| Err(w.clone())),
        )?;
        trace.record(
            "oracle",
            format_args!("tick {} ok ({})", self.checks, self.agreement.describe()),
        );
        Ok(())
    }

    /// The checks at the end of the quiet phase: liveness, nothing lost, and the replay.
    pub async fn finish(
        &mut self,
        w: &World,
        users: &Users,
        trace: &Trace,
    ) -> Result<(), Violation> {
        self.tick(w, users, trace).await?;
        let check = |name: &'static str, r: Result<String, String>| match r {
            Ok(line) => {
                trace.record("oracle", format_args!("{name} ok: {line}"));
                Ok(())
            }
            Err(d) => Err(violation(trace, name, d)),
        };
        check("liveness", liveness::check(w, users).await)?;
        check("lost", self.lost.finish(w, users).await)?;
        check("replay", replay::check(w).await)?;
        Ok(())
    }

    /// Oracle (e) right after a reorg the runner struck: a fresh replay of the canonical
    /// chain must hold the live state.
    pub async fn after_reorg(&mut self, w: &World, trace: &Trace) -> Result<(), Violation> {
        match replay::check(w).await {
            Ok(line) => {
                trace.record("oracle", format_args!("replay after the reorg ok: {line}"));
                Ok(())
            }
            Err(d) => Err(violation(trace, "replay", d)),
        }
    }

    /// The `deep_reorg` fault's terminal check (after [`Oracles::finish`] passed).
    pub async fn deep_reorg(&self, w: &World, trace: &Trace) -> Result<(), Violation> {
        match deep_reorg::check(w).await {
            Ok(line) => {
                trace.record("oracle", format_args!("deep_reorg ok: {line}"));
                Ok(())
            }
            Err(d) => Err(violation(trace, "deep_reorg", d)),
        }
    }
}
