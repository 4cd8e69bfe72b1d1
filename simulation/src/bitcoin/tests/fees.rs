//! Fee estimates: from recent blocks, fixed, and under an injected spike; unknown blocks.

use super::helpers::{output_of, rate, Fixture};
use crate::bitcoin::FeeEstimateConfig;
use bitai_bitcoin::{BitcoinPort, PortError};
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;

fn estimate(f: &Fixture, target: u16) -> bitcoin::FeeRate {
    f.sim.estimate_fee_rate(target).expect("the sim answers")
}

#[test]
fn estimates_follow_the_fee_rates_recent_blocks_included() {
    let f = Fixture::new();
    assert_eq!(
        estimate(&f, 1),
        rate(1),
        "no transactions yet: the fallback"
    );
    let outputs = (0..10).map(|_| f.out(100_000)).collect();
    let fan = f.spend(&[f.coin()], outputs, rate(1));
    f.accept(&fan);
    f.sim.mine_block();
    for vout in 0..10u32 {
        f.accept(&f.pay(&output_of(&fan, vout), 10_000, 10 * u64::from(vout + 1)));
    }
    f.sim.mine_block();
    // Eleven rates (1, then 10..100 sat/vB): the 90th percentile for one block, the median
    // for six or more.
    assert_eq!(estimate(&f, 1), rate(90));
    assert_eq!(estimate(&f, 6), rate(50));
    assert_eq!(estimate(&f, 1_000), rate(50));
    // Six empty blocks later the window holds no transaction: the fallback again.
    f.sim.mine_blocks(6);
    assert_eq!(estimate(&f, 1), rate(1));
}

#[test]
fn a_fee_spike_raises_estimates_until_cleared() {
    let f = Fixture::with(|c| {
        c.fee_estimate = FeeEstimateConfig::Fixed {
            fee_rate_sat_per_kvb: 3_000,
        }
    });
    assert_eq!(estimate(&f, 2), rate(3));
    f.sim.set_fee_spike(Some(rate(80)));
    assert_eq!(estimate(&f, 2), rate(80));
    f.sim.set_fee_spike(None);
    assert_eq!(estimate(&f, 2), rate(3));
}

#[test]
fn an_unknown_block_is_not_found() {
    let f = Fixture::new();
    assert!(matches!(
        f.sim.block(&BlockHash::all_zeros()),
        Err(PortError::NotFound(_))
    ));
    assert_eq!(f.sim.block_hash(102).expect("the sim answers"), None);
}
