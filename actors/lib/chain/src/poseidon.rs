//! Poseidon as circom and circomlibjs compute it, over BN254's scalar field.
//!
//! The permutation works on a state of width `t = inputs + 1`: 8 full rounds (S-box `x^5` on
//! every element) around a number of partial rounds (S-box on the first element only), each
//! round adding round constants and mixing with an MDS matrix. The hash permutes
//! `[0, in_1, .., in_k]` and returns the first element. The constants are the Grain-LFSR
//! ones of the Poseidon paper, which arkworks' `find_poseidon_ark_and_mds` generates
//! identically to circom's for every width 2..=13; we generate them once per width and keep
//! them. The same permutation exists as an R1CS gadget in `bitai_proofs::circuit::poseidon`.

use crate::field::Fr;
use ark_crypto_primitives::sponge::poseidon::find_poseidon_ark_and_mds;
use ark_ff::{AdditiveGroup, Field};
use std::sync::OnceLock;

/// Most inputs one Poseidon hash takes (circom's limit: width 13).
pub const MAX_INPUTS: usize = 12;

/// Full rounds, for every width.
pub const FULL_ROUNDS: usize = 8;

/// Partial rounds by width `t = 2..=13` (circom's table).
const PARTIAL_ROUNDS: [usize; MAX_INPUTS] = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65];

/// The round constants and MDS matrix of one width.
#[derive(Debug)]
pub struct PoseidonParams {
    /// State width (inputs + 1).
    pub width: usize,
    /// Number of partial rounds.
    pub partial_rounds: usize,
    /// Round constants: one row of `width` per round, full and partial rounds in order.
    pub round_constants: Vec<Vec<Fr>>,
    /// The MDS matrix, `width x width`; the mix is `new[i] = sum_j mds[i][j] * old[j]`.
    pub mds: Vec<Vec<Fr>>,
}

impl PoseidonParams {
    /// Total number of rounds.
    pub fn rounds(&self) -> usize {
        FULL_ROUNDS + self.partial_rounds
    }

    /// Whether round `r` is a full round.
    pub fn is_full_round(&self, r: usize) -> bool {
        r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + self.partial_rounds
    }
}

static PARAMS: [OnceLock<PoseidonParams>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];

/// The parameters for hashing `inputs` field elements (1..=12), generated on first use.
///
/// # Panics
/// If `inputs` is 0 or above [`MAX_INPUTS`]: the input count is fixed by our own code, never
/// by outside data.
pub fn params(inputs: usize) -> &'static PoseidonParams {
    assert!(
        (1..=MAX_INPUTS).contains(&inputs),
        "poseidon takes 1..=12 inputs, got {inputs}"
    );
    PARAMS[inputs - 1].get_or_init(|| {
        let width = inputs + 1;
        let partial_rounds = PARTIAL_ROUNDS[inputs - 1];
        let (round_constants, mds) = find_poseidon_ark_and_mds::<Fr>(
            254,
            inputs,
            FULL_ROUNDS as u64,
            partial_rounds as u64,
            0,
        );
        assert_eq!(round_constants.len(), FULL_ROUNDS + partial_rounds);
        assert!(round_constants.iter().all(|row| row.len() == width));
        assert!(mds.len() == width && mds.iter().all(|row| row.len() == width));
        PoseidonParams {
            width,
            partial_rounds,
            round_constants,
            mds,
        }
    })
}

/// circom's `Poseidon(n)` of `inputs` (1..=12 elements).
///
/// # Panics
/// If `inputs` is empty or longer than [`MAX_INPUTS`] (a bug in the caller).
pub fn poseidon(inputs: &[Fr]) -> Fr {
    // One monomorphised permutation per width: the state lives on the stack and each MDS
    // row is one `sum_of_products` (ark-ff's deferred-reduction dot product) instead of a
    // full reduction per product and a fresh vector per round.
    match inputs.len() {
        1 => permute::<2>(inputs),
        2 => permute::<3>(inputs),
        3 => permute::<4>(inputs),
        4 => permute::<5>(inputs),
        5 => permute::<6>(inputs),
        6 => permute::<7>(inputs),
        7 => permute::<8>(inputs),
        8 => permute::<9>(inputs),
        9 => permute::<10>(inputs),
        10 => permute::<11>(inputs),
        11 => permute::<12>(inputs),
        12 => permute::<13>(inputs),
        n => {
            // Panics with the reason (a bug in the caller).
            params(n);
            unreachable!("params refuses {n} inputs")
        }
    }
}

/// The permutation of width `T` (`T - 1` inputs) over `[0, inputs...]`, output `state[0]`.
fn permute<const T: usize>(inputs: &[Fr]) -> Fr {
    let p = params(T - 1);
    let mut mds = [[Fr::ZERO; T]; T];
    for (row, src) in mds.iter_mut().zip(&p.mds) {
        row.copy_from_slice(src);
    }
    let mut state = [Fr::ZERO; T];
    state[1..].copy_from_slice(inputs);
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r]) {
            *s += c;
        }
        if p.is_full_round(r) {
            state.iter_mut().for_each(|s| *s = sbox(*s));
        } else {
            state[0] = sbox(state[0]);
        }
        let before = state;
        for (s, row) in state.iter_mut().zip(&mds) {
            *s = Fr::sum_of_products(row, &before);
        }
    }
    state[0]
}

fn sbox(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

#[cfg(test)]
mod tests;
