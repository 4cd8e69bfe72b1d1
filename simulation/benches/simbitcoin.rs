//! SimBitcoin throughput on full-size blocks (a bench binary, no harness):
//!
//! ```text
//! cargo bench -p bitai-simulation --bench simbitcoin
//! ```
//!
//! 1. `mine_block_with` of full blocks (4,000,000 WU) built by `BlockFiller` (building and
//!    signing timed apart), in two shapes: spend-heavy (20 reveals of 3 kB envelopes, about
//!    6,400 transactions, 1.4 MB) and envelope-heavy (70 reveals of 50 kB envelopes, about
//!    3.7 MB: a block reaches 4 MB only when nearly all its weight is witness);
//! 2. the mempool path at growing sizes: broadcast n independent spends (policy checks and
//!    signature verification), then `mine_block` from the mempool (template selection, block
//!    assembly, serialization, UTXO update); per-transaction times that stay flat as n grows
//!    show neither step is quadratic;
//! 3. serving a stored 4 MB block (`block(hash)`, a copy) next to decoding it.

use bitai_bitcoin::BitcoinPort;
use bitai_runtime::ManualClock;
use bitai_simulation::{BlockFiller, SimBitcoin, SimBitcoinConfig, SimWallet};
use bitcoin::opcodes::all::{OP_ENDIF, OP_IF};
use bitcoin::opcodes::OP_FALSE;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::{Block, FeeRate, ScriptBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods)] // A benchmark measures wall time.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn envelope(i: usize, body_len: usize) -> ScriptBuf {
    let mut b = Builder::new()
        .push_opcode(OP_FALSE)
        .push_opcode(OP_IF)
        .push_slice(b"ord");
    for chunk in vec![i as u8; body_len].chunks(520) {
        b = b.push_slice(PushBytesBuf::try_from(chunk.to_vec()).expect("520 bytes fit"));
    }
    b.push_opcode(OP_ENDIF).into_script()
}

fn network() -> SimBitcoin {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    SimBitcoin::new(SimBitcoinConfig::default(), clock).expect("the default config is valid")
}

fn main() {
    let fee_rate = FeeRate::from_sat_per_vb(1).expect("small rate");
    let sim = network();
    let mut filler = BlockFiller::new(SimWallet::from_seed(3), fee_rate);
    filler
        .fund(&sim)
        .expect("funding mines coinbases to the filler");

    let mut last = None;
    for (round, (count, body_len)) in [(20, 3_000), (20, 3_000), (70, 50_000)]
        .into_iter()
        .enumerate()
    {
        if round == 0 {
            println!("mine_block_with, full blocks, {count} reveals of {body_len} bytes:");
        } else if round == 2 {
            println!("mine_block_with, envelope-heavy, {count} reveals of {body_len} bytes:");
        }
        let envelopes: Vec<ScriptBuf> = (0..count).map(|i| envelope(i, body_len)).collect();
        let (txs, build) = timed(|| filler.build_full_block(&sim, &envelopes).expect("funded"));
        let n = txs.len();
        let (hash, mine) = timed(|| sim.mine_block_with(txs).expect("valid transactions"));
        let size = sim.block(&hash).expect("stored").len();
        println!(
            "  {n} txs, {size} bytes: build+sign {build:?}, validate+verify+mine {mine:?} \
             ({:.1} us/tx)",
            mine.as_secs_f64() * 1e6 / n as f64
        );
        if round == 0 {
            last = Some(hash);
        }
    }

    println!("mempool path (broadcast n spends of confirmed coins, then mine_block):");
    let txs = filler.build_full_block(&sim, &[]).expect("funded");
    for n in [1_000, 2_000, 4_000, txs.len()] {
        let fork = network();
        let mut f2 = BlockFiller::new(SimWallet::from_seed(3), fee_rate);
        f2.fund(&fork).expect("funded");
        // Replay the same chain on a fresh network so the coins exist there too.
        for height in 102..=sim.tip().expect("tip").height {
            // Replayed blocks include the envelope-heavy one: same chain, same coins.
            let hash = sim
                .block_hash(height)
                .expect("answers")
                .expect("on the chain");
            let block: Block =
                bitcoin::consensus::deserialize(&sim.block(&hash).expect("stored")).expect("valid");
            fork.mine_block_with(block.txdata[1..].to_vec())
                .expect("replays");
        }
        let batch = &txs[..n];
        let (_, broadcast) = timed(|| {
            for tx in batch {
                fork.broadcast(tx).expect("accepted");
            }
        });
        let (hash, mine) = timed(|| fork.mine_block());
        let mined = fork.block(&hash).expect("stored");
        let block: Block = bitcoin::consensus::deserialize(&mined).expect("valid");
        assert_eq!(
            block.txdata.len() - 1,
            n,
            "the block takes the whole mempool"
        );
        println!(
            "  n = {n}: broadcast {broadcast:?} ({:.1} us/tx), mine_block {mine:?} ({:.2} us/tx)",
            broadcast.as_secs_f64() * 1e6 / n as f64,
            mine.as_secs_f64() * 1e6 / n as f64
        );
    }

    let hash = last.expect("a spend-heavy block was mined");
    let (bytes, fetch) = timed(|| sim.block(&hash).expect("stored"));
    let (block, decode) =
        timed(|| bitcoin::consensus::deserialize::<Block>(&bytes).expect("valid"));
    println!(
        "block({} bytes, {} txs): fetch {fetch:?}, consensus::deserialize {decode:?}",
        bytes.len(),
        block.txdata.len()
    );
}
