//! The block schedule: exponential intervals with the configured mean, and `mine_due`.

use super::helpers::{Fixture, START_MS};
use crate::bitcoin::miner::BlockSchedule;
use bitai_runtime::seeded_rng;

#[test]
fn intervals_are_exponential_with_the_configured_mean() {
    let mean_ms = 600_000.0;
    let mut schedule = BlockSchedule::new(seeded_rng(42, "simbitcoin.miner"), 600_000, 0);
    let n = 20_000;
    let draws: Vec<f64> = (0..n).map(|_| schedule.draw_interval_ms() as f64).collect();
    let mean = draws.iter().sum::<f64>() / n as f64;
    // The standard error of the mean is 0.7% here; 5% is a wide, non-flaky band.
    assert!((mean - mean_ms).abs() < 0.05 * mean_ms, "mean {mean}");
    // Exponential shape: P(X < mean) = 1 - 1/e = 0.632, P(X < mean/10) = 0.095.
    let below = |x: f64| draws.iter().filter(|d| **d < x).count() as f64 / n as f64;
    assert!((below(mean_ms) - 0.632).abs() < 0.02, "{}", below(mean_ms));
    assert!(
        (below(mean_ms / 10.0) - 0.095).abs() < 0.02,
        "{}",
        below(mean_ms / 10.0)
    );
}

#[test]
fn mine_due_mines_every_block_whose_time_has_come() {
    let f = Fixture::new();
    let due = f.sim.next_block_due_ms();
    assert!(due > START_MS);
    assert!(f.sim.mine_due(due - 1).is_empty());
    let mined = f.sim.mine_due(due);
    assert_eq!(mined.len(), 1);
    assert!(f.block_at(102).header.time >= (due / 1000) as u32);
    assert!(f.sim.next_block_due_ms() > due);
    let ten_days_ms = 10 * 24 * 3_600_000;
    let mined = f.sim.mine_due(due + ten_days_ms);
    assert!(
        (1_200..1_700).contains(&mined.len()),
        "{} blocks in ten days",
        mined.len()
    );
    assert!(f.sim.next_block_due_ms() > due + ten_days_ms);
    let last = f.block_at(f.tip().height);
    assert!(u64::from(last.header.time) <= (due + ten_days_ms) / 1000);
}
