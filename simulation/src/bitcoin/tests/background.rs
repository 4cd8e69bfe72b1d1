//! Mainnet background traffic in mined blocks: the blocks stay valid consensus blocks, the
//! background spends and creates none of this network's coins and pays the coinbase nothing,
//! a block's background follows from its height, and such blocks survive a reorg, a restart
//! of a durable network and a replay into another network.

use super::durable::Disk;
use super::helpers::{Fixture, START_MS};
use crate::bitcoin::background::{self, pool_len};
use crate::bitcoin::{block_subsidy, ReorgMempool, SimBitcoin, SimBitcoinConfig};
use bitai_bitcoin::BitcoinPort;
use bitai_runtime::ManualClock;
use bitcoin::{Amount, Block, Txid};
use std::sync::Arc;

const PER_BLOCK: u32 = 12;

fn with_background() -> Fixture {
    Fixture::with(|c| c.background_txs_per_block = PER_BLOCK)
}

fn background_of(block: &Block) -> Vec<Txid> {
    block
        .txdata
        .iter()
        .map(|t| t.compute_txid())
        .filter(background::is_background)
        .collect()
}

#[test]
fn the_pool_holds_the_mainnet_block_and_the_two_inscriptions() {
    assert_eq!(pool_len(), 2_499 + 2);
    let png: Txid = "99811de396ff10152cdfc9588d9750d0151501f081df2e56071c42dc3532b743"
        .parse()
        .expect("hex");
    assert!(background::is_background(&png));
    let picked = background::pick(208, 12, 1_000_000);
    assert_eq!(picked.len(), 12);
    let again: Vec<Txid> = background::pick(208, 12, 1_000_000)
        .iter()
        .map(|e| e.txid)
        .collect();
    assert_eq!(picked.iter().map(|e| e.txid).collect::<Vec<_>>(), again);
    let light = background::pick(208, 12, 2_000);
    assert!(light.iter().map(|e| e.weight_wu).sum::<u64>() <= 2_000);
}

#[test]
fn a_block_carries_its_background_beside_the_mempool_and_stays_valid() {
    let f = with_background();
    let ours = f.pay(&f.coin(), 100_000, 3);
    f.accept(&ours);
    let hash = f.sim.mine_block();
    let block = f.block(&hash);
    assert!(block.check_merkle_root() && block.check_witness_commitment());
    assert_eq!(block.txdata[1], ours, "the mempool's transactions first");
    let background = background_of(&block);
    assert_eq!(background.len(), PER_BLOCK as usize);
    assert_eq!(block.txdata.len(), 2 + PER_BLOCK as usize);
    // The coinbase claims subsidy plus our fee: the background pays it nothing.
    let our_fee = Amount::from_sat(3 * ours.vsize() as u64);
    let claimed = block.txdata[0].output[0].value;
    assert!(claimed >= block_subsidy(102) && claimed <= block_subsidy(102) + our_fee * 2);
    // No background output became a coin here, and ours did.
    for txid in &background {
        assert!(f
            .sim
            .confirmed_utxo(&bitcoin::OutPoint {
                txid: *txid,
                vout: 0
            })
            .is_none());
    }
    let mine = bitcoin::OutPoint {
        txid: ours.compute_txid(),
        vout: 0,
    };
    assert!(f.sim.confirmed_utxo(&mine).is_some());
    // Every block of the fixture's premine carries its own window of the pool.
    let first = background_of(&f.block_at(1));
    let second = background_of(&f.block_at(2));
    assert_eq!(first.len(), PER_BLOCK as usize);
    assert!(first.iter().all(|t| !second.contains(t)));
}

#[test]
fn a_reorg_over_background_blocks_keeps_the_coins_right() {
    let f = with_background();
    let ours = f.pay(&f.coin(), 10_000, 2);
    f.accept(&ours);
    f.sim.mine_blocks(3);
    let report = f
        .sim
        .reorg_with(3, 4, ReorgMempool::Include)
        .expect("a valid reorg");
    assert_eq!(report.returned_to_mempool, vec![ours.compute_txid()]);
    assert!(
        report.dropped.is_empty(),
        "background is neither returned nor dropped"
    );
    for height in 102..=105 {
        assert_eq!(background_of(&f.block_at(height)).len(), PER_BLOCK as usize);
    }
    let mine = bitcoin::OutPoint {
        txid: ours.compute_txid(),
        vout: 0,
    };
    assert!(f.sim.confirmed_utxo(&mine).is_some());
}

#[test]
fn a_durable_network_reopens_and_another_replays_its_background_blocks() {
    let mut disk = Disk::new(41);
    disk.config.background_txs_per_block = PER_BLOCK;
    let sim = disk.open();
    sim.mine_blocks(6);
    let tip = sim.tip().expect("answers");
    drop(sim);
    let reopened = disk.open();
    assert_eq!(reopened.tip().expect("answers"), tip);
    let blocks: Vec<Block> = (1..=tip.height)
        .map(|h| {
            let hash = reopened.block_hash(h).expect("answers").expect("on chain");
            bitcoin::consensus::deserialize(&reopened.block(&hash).expect("stored"))
                .expect("decodes")
        })
        .collect();
    assert!(blocks
        .iter()
        .all(|b| background_of(b).len() == PER_BLOCK as usize));
    let elsewhere = SimBitcoin::new(
        SimBitcoinConfig {
            seed: 99,
            ..disk.config.clone()
        },
        Arc::new(ManualClock::new(START_MS)),
    )
    .expect("valid config");
    elsewhere.set_mining_paused(true);
    elsewhere
        .apply_recorded(0, blocks)
        .expect("the recording replays");
    assert_eq!(elsewhere.tip().expect("answers"), tip);
}
