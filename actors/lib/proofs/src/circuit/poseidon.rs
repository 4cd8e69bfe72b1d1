//! The Poseidon permutation as an R1CS gadget over arkworks' `FpVar`. Additions and the MDS
//! mix are linear and cost nothing; each S-box `x^5` costs three multiplication constraints,
//! so a hash of `k` inputs costs `3 * (8 * (k + 1) + partial rounds) - 3` constraints (the
//! first S-box acts on a constant): 240 for two inputs, 297 for four, 321 for five.

use ark_ff::AdditiveGroup;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::r1cs::SynthesisError;
use bitai_chain::field::Fr;
use bitai_chain::poseidon::params;

/// circom's `Poseidon(n)` of `inputs` in the circuit; equals [`bitai_chain::poseidon::poseidon`] natively.
///
/// # Panics
/// If `inputs` is empty or longer than [`bitai_chain::poseidon::MAX_INPUTS`] (a bug in the circuit code).
pub fn poseidon_var(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let p = params(inputs.len());
    let mut state = Vec::with_capacity(p.width);
    state.push(FpVar::Constant(Fr::ZERO));
    state.extend_from_slice(inputs);
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r]) {
            *s += *c;
        }
        if p.is_full_round(r) {
            for s in state.iter_mut() {
                *s = sbox_var(s)?;
            }
        } else {
            state[0] = sbox_var(&state[0])?;
        }
        state = p
            .mds
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&state)
                    .fold(FpVar::Constant(Fr::ZERO), |acc, (m, s)| acc + s * *m)
            })
            .collect();
    }
    Ok(state.swap_remove(0))
}

fn sbox_var(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::R1CSVar;
    use ark_relations::r1cs::ConstraintSystem;
    use bitai_chain::poseidon::poseidon;

    #[test]
    fn gadget_equals_native_and_costs_what_the_note_says() {
        for (inputs, cost) in [(2usize, 240usize), (4, 297), (5, 321)] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let values: Vec<Fr> = (0..inputs as u64).map(|i| Fr::from(i * 7 + 3)).collect();
            let vars: Vec<FpVar<Fr>> = values
                .iter()
                .map(|v| FpVar::new_witness(cs.clone(), || Ok(*v)).expect("alloc"))
                .collect();
            let out = poseidon_var(&vars).expect("synthesis");
            assert_eq!(out.value().expect("assigned"), poseidon(&values));
            assert!(cs.is_satisfied().expect("satisfiable"));
            assert_eq!(cs.num_constraints(), cost, "inputs = {inputs}");
        }
    }
}
