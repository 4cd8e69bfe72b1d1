//! A path of the arity-four account tree in the circuit. Each level places the path node among
//! its three siblings by the two bits of its slot, with 6 constraints (plus one AND shared by
//! every path through the same position), then hashes the four children (297).

use crate::circuit::poseidon::poseidon_var;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::r1cs::SynthesisError;
use bitai_chain::field::Fr;
use bitai_chain::smt::ARITY;

/// The position of a leaf: two bits per level, leaves first, with their AND precomputed.
#[derive(Clone, Debug)]
pub struct PositionVar {
    levels: Vec<(FpVar<Fr>, FpVar<Fr>, FpVar<Fr>)>,
}

impl PositionVar {
    /// From the index bits, little-endian (two per level).
    pub fn from_bits(bits: &[Boolean<Fr>]) -> Self {
        let levels = bits
            .chunks(2)
            .map(|pair| {
                let both = pair[0].clone() & pair[1].clone();
                (
                    FpVar::from(pair[0].clone()),
                    FpVar::from(pair[1].clone()),
                    FpVar::from(both),
                )
            })
            .collect();
        PositionVar { levels }
    }

    /// From index bits given as 0/1 field variables (sums of exclusive booleans, say),
    /// little-endian, two per level; one constraint per level for the AND.
    pub fn from_fp_bits(bits: &[FpVar<Fr>]) -> Result<Self, SynthesisError> {
        let levels = bits
            .chunks(2)
            .map(|pair| (pair[0].clone(), pair[1].clone(), &pair[0] * &pair[1]))
            .collect();
        Ok(PositionVar { levels })
    }

    /// The root reached from `leaf` at this position with `siblings` (leaves first).
    pub fn root(
        &self,
        leaf: &FpVar<Fr>,
        siblings: &[[FpVar<Fr>; ARITY - 1]],
    ) -> Result<FpVar<Fr>, SynthesisError> {
        assert_eq!(
            siblings.len(),
            self.levels.len(),
            "one sibling triple per level"
        );
        let mut node = leaf.clone();
        for ((b0, b1, b01), [s0, s1, s2]) in self.levels.iter().zip(siblings) {
            let is0 = FpVar::one() - b0 - b1 + b01;
            let k0 = s0 + is0 * (&node - s0);
            let k3 = s2 + b01 * (&node - s2);
            let u = s0 + b0 * (&node - s0);
            let k1 = &u + b1 * (s1 - &u);
            let v = &node + b0 * (s2 - &node);
            let k2 = s1 + b1 * (v - s1);
            node = poseidon_var(&[k0, k1, k2, k3])?;
        }
        Ok(node)
    }
}

use ark_r1cs_std::fields::FieldVar;
