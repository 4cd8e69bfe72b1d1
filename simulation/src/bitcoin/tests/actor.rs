//! [`SimMiner`](crate::bitcoin::SimMiner) under paused tokio time.

use super::helpers::START_MS;
use crate::bitcoin::{
    ReorgMempool, SimBitcoin, SimBitcoinConfig, SimMiner, SimMinerArguments, SimMinerMsg,
};
use bitai_bitcoin::BitcoinPort;
use bitai_runtime::{ManualClock, SharedClock, TokioClock};
use ractor::Actor;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn the_miner_mines_on_schedule_under_paused_time() {
    let clock: SharedClock = Arc::new(TokioClock::starting_at(START_MS));
    let sim =
        SimBitcoin::new(SimBitcoinConfig::with_seed(11), clock.clone()).expect("a valid config");
    // The blocks to expect: a twin network, same seed, its schedule run by hand.
    let horizon_ms = 6 * 3_600_000;
    let twin = SimBitcoin::new(
        SimBitcoinConfig::with_seed(11),
        Arc::new(ManualClock::new(START_MS)),
    )
    .expect("a valid config");
    let expected = twin.mine_due(START_MS + horizon_ms);
    assert!(expected.len() >= 10, "about 36 blocks in six hours");

    let args = SimMinerArguments {
        bitcoin: sim.clone(),
        clock: clock.clone(),
    };
    let (miner, handle) = Actor::spawn(None, SimMiner, args)
        .await
        .expect("the miner spawns");
    tokio::time::sleep(Duration::from_millis(horizon_ms)).await;
    let tip = sim.tip().expect("the sim answers");
    assert_eq!(tip.height, expected.len() as u64);
    assert_eq!(
        tip.hash,
        *expected.last().expect("not empty"),
        "same blocks, same hashes"
    );
    assert_eq!(clock.now_ms(), START_MS + horizon_ms);

    let hash = ractor::call_t!(miner, SimMinerMsg::MineNow, 1_000).expect("the miner answers");
    assert_eq!(sim.tip().expect("the sim answers").hash, hash);
    let report = ractor::call_t!(
        miner,
        |reply| SimMinerMsg::Reorg {
            depth: 2,
            new_blocks: 3,
            mempool: ReorgMempool::Include,
            reply
        },
        1_000
    )
    .expect("the miner answers")
    .expect("a valid reorg");
    assert_eq!(
        sim.tip().expect("the sim answers").hash,
        *report.connected.last().expect("not empty")
    );
    miner.stop(None);
    handle.await.expect("the miner stops cleanly");
}
