//! Mined blocks: consensus encoding, commitments, coinbase, package selection, the miner's
//! fee floor, `mine_block_with` and the block filler.

use super::helpers::{decode, output_of, rate, Fixture, START_MS};
use crate::bitcoin::{block_subsidy, BlockFiller, SimBitcoin, SimBitcoinConfig, SimBitcoinError};
use bitai_bitcoin::{BitcoinPort, BroadcastReject};
use bitai_runtime::ManualClock;
use bitcoin::{Amount, Block, BlockHash, Network};
use std::sync::Arc;

#[test]
fn genesis_is_core_regtest_genesis() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let sim = SimBitcoin::new(SimBitcoinConfig::default(), clock).expect("a valid config");
    let expected = bitcoin::constants::genesis_block(Network::Regtest).block_hash();
    assert_eq!(sim.tip().expect("the sim answers").height, 0);
    assert_eq!(sim.block_hash(0).expect("the sim answers"), Some(expected));
    assert_eq!(sim.block_hash(1).expect("the sim answers"), None);
}

#[test]
fn mined_blocks_are_valid_consensus_blocks() {
    let f = Fixture::new();
    let coins = f.coins();
    let a = f.pay(&coins[0], 100_000, 3);
    let b = f.pay(&coins[1], 200_000, 5);
    f.accept(&a);
    f.accept(&b);
    let hash = f.sim.mine_block();
    let bytes = f.sim.block(&hash).expect("a stored block");
    let block: Block = decode(&bytes);
    assert_eq!(block.block_hash(), hash);
    assert_eq!(bitcoin::consensus::serialize(&block), bytes, "round trip");
    assert!(block.check_merkle_root());
    assert!(block.check_witness_commitment());
    assert!(block.header.validate_pow(block.header.target()).is_ok());
    assert_eq!(block.bip34_block_height().expect("a BIP-34 height"), 102);
    let tip = f.tip();
    assert_eq!((tip.height, tip.hash), (102, hash));
    assert_eq!(block.header.prev_blockhash, f.hash_at(101));
    // Higher fee rate first, then the other; the coinbase takes subsidy plus fees.
    assert_eq!(block.txdata[1], b);
    assert_eq!(block.txdata[2], a);
    let fees: u64 = [&a, &b]
        .iter()
        .map(|tx| {
            let spent = coins
                .iter()
                .find(|c| c.outpoint == tx.input[0].previous_output)
                .expect("present");
            spent.value.to_sat() - tx.output.iter().map(|o| o.value.to_sat()).sum::<u64>()
        })
        .sum();
    assert_eq!(
        block.txdata[0].output[0].value,
        block_subsidy(102) + Amount::from_sat(fees)
    );
    assert!(f.sim.mempool_txids().is_empty());
    // Times never go back, and each passes the median of the 11 before it (BIP-113).
    let times: Vec<u32> = (0..=102).map(|h| f.block_at(h).header.time).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    for h in 1..times.len() {
        let mut last = times[h.saturating_sub(11)..h].to_vec();
        last.sort_unstable();
        assert!(
            times[h] > last[last.len() / 2],
            "block {h} above the median time past"
        );
    }
    assert!(times[1] >= (START_MS / 1000) as u32);
}

#[test]
fn subsidy_halves_every_150_blocks() {
    assert_eq!(block_subsidy(1), Amount::from_int_btc(50));
    assert_eq!(block_subsidy(149), Amount::from_int_btc(50));
    assert_eq!(block_subsidy(150), Amount::from_sat(2_500_000_000));
    assert_eq!(block_subsidy(150 * 64), Amount::ZERO);
}

#[test]
fn the_same_seed_and_calls_give_the_same_chain() {
    let run = |seed: u64| -> (Vec<BlockHash>, u64) {
        let f = Fixture::with(|c| c.seed = seed);
        let coin = f.coin();
        let tx = f.pay(&coin, 123_456, 4);
        f.accept(&tx);
        f.accept(
            &f.wallet
                .spend(&[output_of(&tx, 0)], vec![], rate(9))
                .expect("the test funds its spends"),
        );
        f.sim.mine_due(START_MS + 3_600_000);
        f.sim.reorg(2, 3).expect("a valid reorg");
        let tip = f.tip().height;
        let hashes = (0..=tip).map(|h| f.hash_at(h)).collect();
        (hashes, f.sim.next_block_due_ms())
    };
    let first = run(5);
    assert_eq!(first, run(5));
    let other = run(6);
    assert_ne!(first.1, other.1, "another seed, another schedule");
}

#[test]
fn a_child_pays_for_its_parent_and_the_fee_floor_holds_back_the_rest() {
    let f = Fixture::new();
    let coins = f.coins();
    let parent = f.pay(&coins[0], 100_000, 1);
    f.accept(&parent);
    let child = f
        .wallet
        .spend(&[output_of(&parent, 0)], vec![], rate(30))
        .expect("the test funds its spends");
    f.accept(&child);
    let loner = f.pay(&coins[1], 100_000, 2);
    f.accept(&loner);
    f.sim.set_miner_min_fee_rate(rate(5));
    let block = f.block(&f.sim.mine_block());
    assert_eq!(
        block.txdata[1..],
        [parent, child],
        "the package, parent first"
    );
    assert_eq!(f.sim.mempool_txids(), vec![loner.compute_txid()]);
    f.sim.set_miner_min_fee_rate(rate(1));
    f.sim.mine_block();
    assert!(f.sim.mempool_txids().is_empty());
}

#[test]
fn blocks_stop_at_the_weight_limit() {
    // Room for the coinbase reserve and about seven 616 WU spends.
    let f = Fixture::with(|c| c.max_block_weight_wu = 8_500);
    let outputs = (0..12).map(|_| f.out(100_000)).collect();
    let fan = f.spend(&[f.coin()], outputs, rate(2));
    f.accept(&fan);
    f.sim.mine_block();
    for vout in 0..12 {
        f.accept(&f.pay(&output_of(&fan, vout), 10_000, 2 + u64::from(vout)));
    }
    let block = f.block(&f.sim.mine_block());
    assert!(block.weight().to_wu() <= 8_500);
    assert_eq!(block.txdata.len() - 1, 7);
    assert_eq!(f.sim.mempool_txids().len(), 5, "the five cheapest wait");
}

#[test]
fn mine_block_with_validates_by_consensus() {
    let f = Fixture::new();
    let coin = f.coin();
    let tx = f.pay(&coin, 10_000, 2);
    let double = f.pay(&coin, 20_000, 2);
    match f.sim.mine_block_with(vec![tx.clone(), double]) {
        Err(SimBitcoinError::BlockTxRejected {
            index: 1,
            reason: BroadcastReject::Conflict,
            ..
        }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    let mut bad = tx.clone();
    bad.output[0].value += Amount::from_sat(1);
    assert!(matches!(
        f.sim.mine_block_with(vec![bad]),
        Err(SimBitcoinError::BlockTxRejected {
            reason: BroadcastReject::BadSignature { .. },
            ..
        })
    ));
    // A chain longer than the mempool allows is fine in a block.
    let mut txs = vec![tx];
    for _ in 0..30 {
        let prev = txs.last().expect("not empty");
        txs.push(
            f.wallet
                .spend(&[output_of(prev, 0)], vec![], rate(1))
                .expect("the test funds its spends"),
        );
    }
    let hash = f
        .sim
        .mine_block_with(txs.clone())
        .expect("valid block transactions");
    let block = f.block(&hash);
    assert_eq!(block.txdata[1..], txs[..]);
    assert!(block.check_merkle_root() && block.check_witness_commitment());
}

#[test]
fn mine_block_with_clears_confirmed_and_conflicting_mempool_transactions() {
    let f = Fixture::new();
    let coins = f.coins();
    let in_pool = f.pay(&coins[0], 10_000, 2);
    f.accept(&in_pool);
    let loser = f.pay(&coins[1], 10_000, 2);
    f.accept(&loser);
    let loser_child = f
        .wallet
        .spend(&[output_of(&loser, 0)], vec![], rate(2))
        .expect("the test funds its spends");
    f.accept(&loser_child);
    let winner = f.pay(&coins[1], 30_000, 1);
    f.sim
        .mine_block_with(vec![in_pool, winner])
        .expect("valid block transactions");
    assert!(f.sim.mempool_txids().is_empty());
    f.sim.node().mempool.check_invariants();
}

#[test]
fn the_block_filler_fills_blocks_with_envelopes() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let config = SimBitcoinConfig {
        max_block_weight_wu: 200_000,
        ..SimBitcoinConfig::default()
    };
    let sim = SimBitcoin::new(config, clock).expect("a valid config");
    let mut filler = BlockFiller::new(crate::bitcoin::SimWallet::from_seed(3), rate(2));
    filler.fund(&sim).expect("the filler is funded");
    for _ in 0..3 {
        let envelope = super::scripts::envelope(&[0x42; 2_000]);
        let hash = filler
            .mine_full_block(&sim, &[envelope])
            .expect("the filler is funded");
        let block = decode(&sim.block(&hash).expect("a stored block"));
        assert!(
            block.weight().to_wu() > 190_000,
            "nearly full: {}",
            block.weight()
        );
        assert!(block.check_merkle_root() && block.check_witness_commitment());
        assert!(
            block.txdata[2].input[0]
                .witness
                .taproot_leaf_script()
                .is_some(),
            "the reveal"
        );
    }
}

/// Full-size blocks (4,000,000 WU): spend-heavy (thousands of transactions, about 1.4 MB)
/// and envelope-heavy (about 3.7 MB). A few seconds in the test profile: `cargo test -p
/// bitai-simulation -- --ignored full_size`.
#[test]
#[ignore]
fn full_size_blocks() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let sim = SimBitcoin::new(SimBitcoinConfig::default(), clock).expect("a valid config");
    let mut filler = BlockFiller::new(crate::bitcoin::SimWallet::from_seed(3), rate(1));
    filler.fund(&sim).expect("the filler is funded");
    for (count, body_len, min_txs, min_bytes) in [
        (20, 3_000, 6_000, 1_300_000),
        (20, 3_000, 6_000, 1_300_000),
        (70, 50_000, 400, 3_500_000),
    ] {
        let envelopes: Vec<_> = (0..count)
            .map(|i| super::scripts::envelope(&vec![i as u8; body_len]))
            .collect();
        let hash = filler
            .mine_full_block(&sim, &envelopes)
            .expect("the filler is funded");
        let bytes = sim.block(&hash).expect("a stored block");
        let block = decode(&bytes);
        assert!(block.weight().to_wu() > 3_990_000, "{}", block.weight());
        assert!(
            block.txdata.len() > min_txs,
            "{} transactions",
            block.txdata.len()
        );
        assert!(bytes.len() > min_bytes, "{} bytes", bytes.len());
        assert!(block.check_merkle_root() && block.check_witness_commitment());
    }
}
