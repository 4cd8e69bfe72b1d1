//! The `hostile_envelope` fault: an outsider (SimBitcoin's own miner, spending a mature
//! coinbase through `bitai_simulation::outsider`) inscribes BitAI envelopes that every BitAI
//! node must survive and refuse or ignore by the rules: bodies that do not decode, an
//! unknown even tag, a plain ord inscription beside a BitAI one, a well-formed `SubmitProof`
//! for a chain nobody registered, one for a real chain over a root it never had, and a valid
//! `CreateChain` of a chain nobody sequences (anyone may create one: both nodes register it).

use crate::trace::Trace;
use crate::world::World;
use bitai_bitcoin::BitcoinPort;
use bitai_protocol::{
    encode_tx, BitaiTx, ChainId, ChainLimits, CreateChain, Hash32, ProofSystem, SubmitProof,
    FORMAT_VERSION,
};
use bitai_runtime::SimRng;
use bitai_simulation::outsider::{bitai_envelope, plain_inscription, OutsideInscriber};
use bitcoin::ScriptBuf;
use rand::Rng;

/// Coins the outsider funds itself with (one per inscription).
const COINS: usize = 32;

fn submit(chain: ChainId, rng: &mut SimRng) -> Vec<u8> {
    encode_tx(&BitaiTx::SubmitProof(SubmitProof {
        chain_id: chain,
        block_number: rng.gen_range(1..1_000),
        prev_state_root: Hash32(rng.gen()),
        new_state_root: Hash32(rng.gen()),
        da_commitment: Hash32(rng.gen()),
        proof: (0..32).map(|_| rng.gen()).collect(),
    }))
    .unwrap_or_default()
}

/// One hostile envelope script and what it is.
fn one(w: &World, rng: &mut SimRng) -> (&'static str, ScriptBuf) {
    match rng.gen_range(0..6) {
        0 => {
            let mut body = vec![FORMAT_VERSION];
            body.extend((0..rng.gen_range(1..2_000)).map(|_| rng.gen::<u8>()));
            ("undecodable_body", bitai_envelope(&[], &body))
        }
        1 => (
            "unknown_even_tag",
            bitai_envelope(&[(&[66], b"x")], &submit(ChainId(Hash32(rng.gen())), rng)),
        ),
        2 => ("plain_ord", plain_inscription(b"not bitai")),
        3 => (
            "unknown_chain_proof",
            bitai_envelope(&[], &submit(ChainId(Hash32(rng.gen())), rng)),
        ),
        4 => {
            let chain = w.chains[rng.gen_range(0..w.chains.len())].id;
            ("wrong_root_proof", bitai_envelope(&[], &submit(chain, rng)))
        }
        _ => {
            let create = CreateChain {
                name: format!("outsider-{}", rng.gen::<u32>()),
                proof_system: ProofSystem::SimulationOnly,
                verifying_key: Vec::new(),
                genesis_state_root: Hash32::sha256(&rng.gen::<[u8; 8]>()),
                limits: ChainLimits {
                    max_block_txs: 4,
                    max_proof_bytes: 1_024,
                },
                salt: rng.gen(),
            };
            let body = encode_tx(&BitaiTx::CreateChain(create)).unwrap_or_default();
            ("outsider_chain", bitai_envelope(&[], &body))
        }
    }
}

/// Inscribes one pair carrying one to three hostile envelopes.
pub fn strike(
    outsider: &mut Option<OutsideInscriber>,
    w: &World,
    rng: &mut SimRng,
    seed: u64,
    trace: &Trace,
) {
    let sim = w.sim();
    let o = outsider.get_or_insert_with(|| {
        // Block 1's coinbase pays SimBitcoin's miner and is mature after the premine.
        trace.record(
            "fault",
            "hostile_envelope: the outsider funds itself (one block mined)",
        );
        OutsideInscriber::from_coinbase(sim, 1, seed, COINS, 0)
    });
    if o.coins_left() == 0 {
        trace.record("fault", "hostile_envelope: the outsider has no coins left");
        return;
    }
    let n = rng.gen_range(1..=3);
    let (kinds, scripts): (Vec<&str>, Vec<ScriptBuf>) = (0..n).map(|_| one(w, rng)).unzip();
    let pair = o.build_raw(&scripts, Vec::new());
    let commit = sim.broadcast(&pair.commit);
    let reveal = sim.broadcast(&pair.reveal);
    trace.record(
        "fault",
        format_args!(
            "hostile_envelope {kinds:?}: commit {}, reveal {}",
            commit.map_or_else(|e| format!("refused ({e})"), |t| t.to_string()),
            reveal.map_or_else(|e| format!("refused ({e})"), |t| t.to_string())
        ),
    );
}
