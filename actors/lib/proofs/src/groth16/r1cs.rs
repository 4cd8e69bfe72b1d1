//! The rank-1 constraint system of a circuit, taken from arkworks and moved into halo2curves'
//! field: three sparse matrices `A, B, C` whose rows are constraints `<A_j,z> * <B_j,z> =
//! <C_j,z>` over the assignment `z = (1, public inputs, witness)`.
//!
//! The matrices are extracted once per circuit shape (at setup, or when keys are loaded);
//! a proof only needs the assignment, which arkworks computes without building matrices.

use ark_ff::{BigInteger, PrimeField};
use ark_relations::r1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode,
};
use bitai_chain::field::Fr as ArkFr;
use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField as _};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// One sparse row: (coefficient, variable index).
pub type Row = Vec<(Fr, u32)>;

/// A circuit's constraint matrices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct R1cs {
    /// Instance variables including the constant one at index 0.
    pub num_instance: usize,
    /// Witness variables (indices `num_instance..`).
    pub num_witness: usize,
    /// Matrix A, one row per constraint.
    pub a: Vec<Row>,
    /// Matrix B.
    pub b: Vec<Row>,
    /// Matrix C.
    pub c: Vec<Row>,
}

/// Converts an arkworks BN254 scalar to halo2curves' (same field, little-endian bytes).
pub fn to_halo2(x: &ArkFr) -> Fr {
    let mut repr = [0u8; 32];
    repr.copy_from_slice(&x.into_bigint().to_bytes_le());
    Fr::from_repr(repr.into()).expect("a canonical arkworks scalar is canonical in halo2curves")
}

/// Converts a halo2curves BN254 scalar to arkworks'.
pub fn to_ark(x: &Fr) -> ArkFr {
    ArkFr::from_le_bytes_mod_order(x.to_repr().as_ref())
}

impl R1cs {
    /// Synthesises `circuit` and extracts its matrices.
    pub fn from_circuit<C: ConstraintSynthesizer<ArkFr>>(
        circuit: C,
    ) -> Result<Self, SynthesisError> {
        let cs = ConstraintSystem::<ArkFr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: true,
        });
        circuit.generate_constraints(cs.clone())?;
        cs.finalize();
        let m = cs.to_matrices().ok_or(SynthesisError::MissingCS)?;
        let convert = |rows: Vec<Vec<(ArkFr, usize)>>| -> Vec<Row> {
            rows.into_par_iter()
                .map(|row| row.iter().map(|(c, i)| (to_halo2(c), *i as u32)).collect())
                .collect()
        };
        Ok(R1cs {
            num_instance: m.num_instance_variables,
            num_witness: m.num_witness_variables,
            a: convert(m.a),
            b: convert(m.b),
            c: convert(m.c),
        })
    }

    /// Number of constraints.
    pub fn num_constraints(&self) -> usize {
        self.a.len()
    }

    /// Number of variables (instance and witness).
    pub fn num_variables(&self) -> usize {
        self.num_instance + self.num_witness
    }

    /// SHA-256 over the whole system, to tie cached keys to the circuit they were made for.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update((self.num_instance as u64).to_le_bytes());
        h.update((self.num_witness as u64).to_le_bytes());
        for matrix in [&self.a, &self.b, &self.c] {
            h.update((matrix.len() as u64).to_le_bytes());
            for row in matrix {
                h.update((row.len() as u64).to_le_bytes());
                for (coeff, index) in row {
                    h.update(coeff.to_repr().as_ref());
                    h.update(index.to_le_bytes());
                }
            }
        }
        h.finalize().into()
    }

    /// Whether the assignment `z` satisfies every constraint (a check for tests and for the
    /// prover's own assertions).
    pub fn is_satisfied(&self, z: &[Fr]) -> bool {
        z.len() == self.num_variables()
            && (0..self.num_constraints())
                .into_par_iter()
                .all(|j| eval(&self.a[j], z) * eval(&self.b[j], z) == eval(&self.c[j], z))
    }
}

/// `<row, z>`.
pub fn eval(row: &Row, z: &[Fr]) -> Fr {
    row.iter()
        .fold(Fr::ZERO, |acc, (c, i)| acc + *c * z[*i as usize])
}

/// The full assignment `z = (1, public inputs, witness)` of `circuit`, computed without
/// building matrices, with the public inputs (without the one) beside it.
pub fn assignment<C: ConstraintSynthesizer<ArkFr>>(
    circuit: C,
) -> Result<(Vec<Fr>, Vec<ArkFr>), SynthesisError> {
    let cs = ConstraintSystem::<ArkFr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
    });
    circuit.generate_constraints(cs.clone())?;
    let inner = cs.into_inner().ok_or(SynthesisError::MissingCS)?;
    let public = inner.instance_assignment[1..].to_vec();
    let z = inner
        .instance_assignment
        .par_iter()
        .chain(inner.witness_assignment.par_iter())
        .map(to_halo2)
        .collect();
    Ok((z, public))
}
