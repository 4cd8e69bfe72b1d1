//! Runs of the whole graph that the library's own test binary makes: the forty-swap run of
//! issue 17 (hot swaps of the sequencers and the inscriber, both ways, while simulated users
//! send transfers and inference requests).

use super::*;

/// Runs in one process share ractor's global registry (actor names such as `sim_miner`):
/// the tests here take turns.
static ONE_RUN_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A short run of `seed` with only `kind` on, forced to strike every `gap_s` simulated seconds.
fn forced(seed: u64, kind: FaultKind, gap_s: u64) -> SimOptions {
    SimOptions {
        seed,
        bitcoin_blocks: scenario::MIN_BITCOIN_BLOCKS,
        faults: vec![kind],
        fault_gaps: vec![(kind, gap_s)],
        proofs: Proofs::Sim,
        trace_file: None,
        progress: false,
        record: None,
        replay: None,
    }
}

fn run_alone(opts: &SimOptions) -> Outcome {
    let _turn = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    run(opts).expect("the run completes")
}

/// Forty swaps or more (a swap a simulated minute through a busy hour), every version of the
/// inscriber and of a sequencer both ways, while transfers and inference requests flow; the
/// run ends with every oracle green: nothing acknowledged lost (every transfer final or
/// refused with a reason, every request settled), roots agreeing between the sequencers, the
/// state machine and a second BitAI node, supply conserved. And at the pipeline's edges: no
/// valid transfer refused (one reordered behind its sender's next, or lost, would be refused
/// for its nonce), no message refused by a role proxy and none left in a buffer. Every call
/// was answered: a call that never returned would hang the run, which ends.
#[test]
fn forty_swaps_over_the_whole_pipeline_lose_and_reorder_nothing() {
    let o = run_alone(&forced(5, FaultKind::RoleSwap, 60));
    let context = || {
        format!(
            "{}\n{:?}\nswaps: {:?}",
            o.closing_lines(),
            o.violations,
            o.swaps
        )
    };
    assert!(o.violations.is_empty(), "{}", context());
    assert!(o.swaps.len() >= 40, "{}", context());
    let both_ways = |role: &str, a: &str, b: &str| {
        let has = |from: &str, to: &str| {
            o.swaps
                .iter()
                .any(|(r, f, t)| r == role && f == from && t == to)
        };
        has(a, b) && has(b, a)
    };
    assert!(
        both_ways("inscriber", "prompt", "economical"),
        "{}",
        context()
    );
    let sequencers: std::collections::BTreeSet<&str> = o
        .swaps
        .iter()
        .filter(|(r, _, _)| r.starts_with("sequencer-"))
        .map(|(r, _, _)| r.as_str())
        .collect();
    assert!(
        sequencers
            .iter()
            .any(|r| both_ways(r, "interval", "full-blocks")),
        "{}",
        context()
    );
    assert!(
        o.transfers_final > 0 && o.requests_settled > 0,
        "{}",
        context()
    );
    assert_eq!(o.valid_refused, 0, "{}", context());
    assert_eq!(
        (o.proxies_refused, o.proxies_buffered),
        (0, 0),
        "{}",
        context()
    );
}

/// Users retrying: every minute or so a user sends an acknowledged transfer again, byte for
/// byte, as a wallet does after a timeout. Every retry is answered "already known" (4009,
/// with the transfer's stage), nothing is applied twice (the supply and nonce oracles), and
/// the run ends with every oracle green.
#[test]
fn retried_transfers_are_answered_already_known_and_applied_once() {
    let o = run_alone(&forced(9, FaultKind::UserRetry, 60));
    let context = || format!("{}\n{:?}", o.closing_lines(), o.violations);
    assert!(o.violations.is_empty(), "{}", context());
    let (sent, known) = o.resubmitted;
    assert!(sent >= 20, "{sent} retries: {}", context());
    assert_eq!(
        known,
        sent,
        "every retry answered already known: {}",
        context()
    );
    assert!(o.transfers_final > 0, "{}", context());
    assert_eq!(o.valid_refused, 0, "{}", context());
}
