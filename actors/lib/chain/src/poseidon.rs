//! Poseidon as circom and circomlibjs compute it, over BN254's scalar field.
//!
//! The permutation works on a state of width `t = inputs + 1`: 8 full rounds (S-box `x^5` on
//! every element) around a number of partial rounds (S-box on the first element only), each
//! round adding round constants and mixing with an MDS matrix. The hash permutes
//! `[0, in_1, .., in_k]` and returns the first element. The constants are the Grain-LFSR
//! ones of the Poseidon paper, which arkworks' `find_poseidon_ark_and_mds` generates
//! identically to circom's for every width 2..=13; we generate them once per width and keep
//! them, and run them on the optimised schedule of the paper's appendix B ([`sparse`]), which
//! computes the same permutation. The same permutation exists as an R1CS gadget in
//! `bitai_proofs::circuit::poseidon`.

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
    // One monomorphised permutation per width: the state lives on the stack.
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

/// The permutation of width `T` (`T - 1` inputs) over `[0, inputs...]`, output `state[0]`,
/// on the optimised schedule ([`sparse`]): full rounds as the textbook has them (the last one
/// before the partial rounds with the schedule's matrix), partial rounds with one scalar
/// constant and a sparse matrix.
fn permute<const T: usize>(inputs: &[Fr]) -> Fr {
    let p = params(T - 1);
    let s = schedule(T - 1);
    let half = FULL_ROUNDS / 2;
    let mut state = [Fr::ZERO; T];
    state[1..].copy_from_slice(inputs);
    for r in 0..half {
        let m = if r + 1 == half { &s.pre } else { &p.mds };
        full_round(&mut state, &p.round_constants[r], m);
    }
    for (k, sp) in s.constants.iter().zip(s.sparse.chunks_exact(2 * T - 1)) {
        state[0] = sbox(state[0] + k);
        let first: &[Fr; T] = sp[..T].try_into().expect("a sparse row of width T");
        let x0 = state[0];
        let new0 = Fr::sum_of_products(first, &state);
        for (x, c) in state[1..].iter_mut().zip(&sp[T..]) {
            *x += *c * x0;
        }
        state[0] = new0;
    }
    let tail = half + p.partial_rounds;
    full_round(&mut state, &s.after, &p.mds);
    for r in tail + 1..p.rounds() {
        full_round(&mut state, &p.round_constants[r], &p.mds);
    }
    state[0]
}

/// One full round: constants, the S-box on every element, the matrix `m` (each row one
/// `sum_of_products`, ark-ff's deferred-reduction dot product).
fn full_round<const T: usize>(state: &mut [Fr; T], constants: &[Fr], m: &[Vec<Fr>]) {
    for (x, c) in state.iter_mut().zip(constants) {
        *x = sbox(*x + c);
    }
    let before = *state;
    for (x, row) in state.iter_mut().zip(m) {
        let row: &[Fr; T] = row.as_slice().try_into().expect("a matrix row of width T");
        *x = Fr::sum_of_products(row, &before);
    }
}

static SCHEDULES: [OnceLock<sparse::SparseSchedule>; MAX_INPUTS] =
    [const { OnceLock::new() }; MAX_INPUTS];

/// The optimised schedule for `inputs` (1..=12), derived on first use.
fn schedule(inputs: usize) -> &'static sparse::SparseSchedule {
    SCHEDULES[inputs - 1].get_or_init(|| sparse::derive(params(inputs)))
}

fn sbox(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

pub mod sparse;

#[cfg(test)]
mod tests;
