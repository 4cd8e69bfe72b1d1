//! The optimised schedule of the Poseidon paper (appendix B), derived once per width from
//! the textbook constants and matrix, computing the same permutation bit for bit.
//!
//! Two rewrites, both exact. First, a partial round's constants on elements `1..t` pass the
//! S-box untouched, so they are pushed through the MDS matrix into the next round's
//! constants: each partial round keeps one scalar constant, and the carry lands in the first
//! full round after them. Second, the MDS matrix `M = [[m00, w], [v, M^]]` factors as
//! `M'' * M'` with `M' = diag(1, M^)` and the sparse `M'' = [[m00, w M^-1], [v, I]]`; `M'`
//! commutes with a partial round (it leaves element 0 alone), so it moves back into the
//! previous round's matrix, which is factored the same way, down to the last full round
//! before the partial ones, whose matrix takes what is left. A partial round then costs
//! `2t - 1` products instead of `t^2` (9 instead of 25 for the tree's width 5).

use super::{PoseidonParams, FULL_ROUNDS};
use crate::field::Fr;
use ark_ff::{AdditiveGroup, Field};

/// The optimised schedule of one width.
#[derive(Debug)]
pub struct SparseSchedule {
    /// The matrix after the last full round before the partial ones (replaces the MDS there).
    pub pre: Vec<Vec<Fr>>,
    /// One scalar constant per partial round, added to element 0 before its S-box.
    pub constants: Vec<Fr>,
    /// Per partial round, `2t - 1` values: the first row `[a, b_1 .. b_{t-1}]` of its sparse
    /// matrix, then its first column below the diagonal `[c_1 .. c_{t-1}]`.
    pub sparse: Vec<Fr>,
    /// The round constants of the first full round after the partial ones, with the carry.
    pub after: Vec<Fr>,
}

/// Derives the schedule from the textbook parameters.
///
/// # Panics
/// If a submatrix of the MDS products is singular, which an MDS matrix rules out (every
/// square submatrix of an MDS matrix is invertible): a broken parameter table.
pub fn derive(p: &PoseidonParams) -> SparseSchedule {
    let t = p.width;
    let half = FULL_ROUNDS / 2;
    let n = p.partial_rounds;

    // Constants: keep element 0, carry the rest through the matrix into the next round.
    let mut carry = vec![Fr::ZERO; t];
    let mut constants = Vec::with_capacity(n);
    for round in &p.round_constants[half..half + n] {
        let mut c: Vec<Fr> = round.iter().zip(&carry).map(|(a, b)| *a + b).collect();
        constants.push(c[0]);
        c[0] = Fr::ZERO;
        carry = mat_vec(&p.mds, &c);
    }
    let after = p.round_constants[half + n]
        .iter()
        .zip(&carry)
        .map(|(a, b)| *a + b)
        .collect();

    // Matrices, from the last partial round back to the first.
    let mut m = p.mds.clone();
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        let hat: Vec<Vec<Fr>> = m[1..].iter().map(|row| row[1..].to_vec()).collect();
        let inv = invert(&hat).expect("MDS submatrices are invertible");
        let mut row = vec![m[0][0]];
        row.extend((0..t - 1).map(|j| (0..t - 1).map(|i| m[0][i + 1] * inv[i][j]).sum::<Fr>()));
        row.extend(m[1..].iter().map(|r| r[0]));
        rows.push(row);
        m = prime_times_mds(&hat, &p.mds);
    }
    rows.reverse();
    SparseSchedule {
        pre: m,
        constants,
        sparse: rows.concat(),
        after,
    }
}

/// `diag(1, hat) * mds`.
fn prime_times_mds(hat: &[Vec<Fr>], mds: &[Vec<Fr>]) -> Vec<Vec<Fr>> {
    let t = mds.len();
    let mut out = vec![mds[0].clone()];
    for hat_row in hat {
        out.push(
            (0..t)
                .map(|j| (0..t - 1).map(|k| hat_row[k] * mds[k + 1][j]).sum())
                .collect(),
        );
    }
    out
}

fn mat_vec(m: &[Vec<Fr>], v: &[Fr]) -> Vec<Fr> {
    m.iter()
        .map(|row| row.iter().zip(v).map(|(a, b)| *a * b).sum())
        .collect()
}

/// The inverse of a square matrix by Gauss-Jordan elimination; `None` when singular.
fn invert(m: &[Vec<Fr>]) -> Option<Vec<Vec<Fr>>> {
    let n = m.len();
    let mut a: Vec<Vec<Fr>> = m.to_vec();
    let mut inv: Vec<Vec<Fr>> = (0..n)
        .map(|i| (0..n).map(|j| Fr::from(u64::from(i == j))).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n).find(|&r| a[r][col] != Fr::ZERO)?;
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let scale = a[col][col].inverse()?;
        a[col].iter_mut().for_each(|x| *x *= scale);
        inv[col].iter_mut().for_each(|x| *x *= scale);
        for r in 0..n {
            let f = a[r][col];
            if r == col || f == Fr::ZERO {
                continue;
            }
            for j in 0..n {
                let (ac, ic) = (a[col][j], inv[col][j]);
                a[r][j] -= f * ac;
                inv[r][j] -= f * ic;
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_times_matrix_is_the_identity() {
        let p = super::super::params(4);
        let inv = invert(&p.mds).expect("invertible");
        for (i, row) in p.mds.iter().enumerate() {
            for j in 0..p.width {
                let x: Fr = row
                    .iter()
                    .zip(&inv)
                    .map(|(m, inv_row)| *m * inv_row[j])
                    .sum();
                assert_eq!(x, Fr::from(u64::from(i == j)), "({i}, {j})");
            }
        }
    }

    #[test]
    fn a_singular_matrix_has_no_inverse() {
        let one = Fr::from(1u64);
        assert!(invert(&[vec![one, one], vec![one, one]]).is_none());
    }
}
