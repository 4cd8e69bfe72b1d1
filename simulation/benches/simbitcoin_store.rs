//! What durability costs SimBitcoin (a bench binary, no harness):
//!
//! ```text
//! cargo bench -p bitai-simulation --bench simbitcoin_store
//! ```
//!
//! 1. mining small blocks (20 mempool spends each) on an in-memory network and on a durable
//!    one (`SimBitcoin::open` on fjall in a temporary directory, process durability): the
//!    difference is the per-block batch write;
//! 2. full blocks (`BlockFiller`, about 6,400 spends, 1.4 MB) the same two ways;
//! 3. `open` on each store: the replay (decode, validate, verify every signature, connect).

use bitai_bitcoin::BitcoinPort;
use bitai_runtime::{ManualClock, SharedClock};
use bitai_simulation::{BlockFiller, SimBitcoin, SimBitcoinConfig, SimWallet};
use bitai_storage::{Durability, FjallStore, SharedStore};
use bitcoin::{Amount, FeeRate, TxOut};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods)] // A benchmark measures wall time.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

const SMALL_BLOCKS: u64 = 300;
const SPENDS_PER_BLOCK: usize = 20;
const FULL_BLOCKS: usize = 4;

fn clock() -> SharedClock {
    Arc::new(ManualClock::new(1_700_000_000_000))
}

fn store(dir: &Path) -> SharedStore {
    Arc::new(FjallStore::open(dir, Durability::Process).expect("fjall opens"))
}

fn config(wallet: &SimWallet) -> SimBitcoinConfig {
    SimBitcoinConfig {
        coinbase_maturity: 1,
        coinbase_script_pubkey_hex: Some(wallet.script_pubkey().to_hex_string()),
        ..SimBitcoinConfig::with_seed(4)
    }
}

/// Mines `SMALL_BLOCKS` blocks of `SPENDS_PER_BLOCK` spends; returns the time spent mining.
fn small_blocks(sim: &SimBitcoin, wallet: &SimWallet) -> Duration {
    let rate = FeeRate::from_sat_per_vb(2).expect("small rate");
    sim.mine_blocks(2);
    let mut mining = Duration::ZERO;
    for _ in 0..SMALL_BLOCKS {
        let coins = sim
            .utxos(std::slice::from_ref(wallet.address()))
            .expect("answers");
        for coin in coins
            .iter()
            .filter(|c| c.confirmations > 0 && c.value.to_sat() > 100_000)
            .take(SPENDS_PER_BLOCK)
        {
            let out = TxOut {
                value: Amount::from_sat(coin.value.to_sat() / 2),
                script_pubkey: wallet.script_pubkey().clone(),
            };
            let tx = wallet
                .spend(std::slice::from_ref(coin), vec![out], rate)
                .expect("funded");
            sim.broadcast(&tx).expect("accepted");
        }
        mining += timed(|| sim.mine_block()).1;
    }
    mining
}

/// Funds a filler and mines `FULL_BLOCKS` full blocks; returns the time in mine_block_with.
fn full_blocks(sim: &SimBitcoin) -> (usize, Duration) {
    let rate = FeeRate::from_sat_per_vb(1).expect("small rate");
    let mut filler = BlockFiller::new(SimWallet::from_seed(3), rate);
    filler.fund(sim).expect("funding mines coinbases");
    let mut txs_total = 0;
    let mut mining = Duration::ZERO;
    for _ in 0..FULL_BLOCKS {
        let txs = filler.build_full_block(sim, &[]).expect("funded");
        txs_total += txs.len();
        mining += timed(|| sim.mine_block_with(txs).expect("valid")).1;
    }
    (txs_total, mining)
}

fn main() {
    let wallet = SimWallet::from_seed(5);
    let per_block = |d: Duration, n: u64| d.as_secs_f64() * 1e3 / n as f64;

    println!("{SMALL_BLOCKS} blocks of {SPENDS_PER_BLOCK} mempool spends, mine_block:");
    let memory = SimBitcoin::new(config(&wallet), clock()).expect("valid config");
    let in_memory = small_blocks(&memory, &wallet);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let durable =
        SimBitcoin::open(config(&wallet), clock(), store(dir.path())).expect("the store opens");
    let on_disk = small_blocks(&durable, &wallet);
    let tip = durable.tip().expect("answers");
    assert_eq!(tip, memory.tip().expect("answers"), "same chain both ways");
    println!(
        "  in memory {:.3} ms/block, durable {:.3} ms/block",
        per_block(in_memory, SMALL_BLOCKS),
        per_block(on_disk, SMALL_BLOCKS)
    );
    drop(durable);
    let (reopened, replay) = timed(|| {
        SimBitcoin::open(config(&wallet), clock(), store(dir.path())).expect("the store opens")
    });
    assert_eq!(reopened.tip().expect("answers"), tip);
    println!(
        "  open: replay of {} blocks in {replay:?} ({:.3} ms/block)",
        tip.height,
        per_block(replay, tip.height)
    );

    println!("{FULL_BLOCKS} full blocks (BlockFiller spends), mine_block_with:");
    let memory = SimBitcoin::new(config(&wallet), clock()).expect("valid config");
    let (txs, in_memory) = full_blocks(&memory);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let durable =
        SimBitcoin::open(config(&wallet), clock(), store(dir.path())).expect("the store opens");
    let (_, on_disk) = full_blocks(&durable);
    let tip = durable.tip().expect("answers");
    println!(
        "  {txs} txs: in memory {:.1} ms/block, durable {:.1} ms/block",
        per_block(in_memory, FULL_BLOCKS as u64),
        per_block(on_disk, FULL_BLOCKS as u64)
    );
    drop(durable);
    let (reopened, replay) = timed(|| {
        SimBitcoin::open(config(&wallet), clock(), store(dir.path())).expect("the store opens")
    });
    assert_eq!(reopened.tip().expect("answers"), tip);
    println!(
        "  open: replay of {} blocks ({txs} spends among them) in {replay:?}",
        tip.height
    );
}
