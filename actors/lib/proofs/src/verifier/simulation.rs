//! **A proof system that proves nothing.** `ProofSystem::SimulationOnly` exists so that
//! simulated chains can run thousands of blocks (and tests thousands of transactions) without
//! paying for Groth16 proofs.
//!
//! A "proof" is 32 bytes:
//! `SHA-256("bitai/simulation-proof/v1" || x_1 || ... || x_7)`, where `x_i` are the block's 7
//! public inputs ([`PublicInputs::to_field_elements`]) as 32-byte big-endian integers. Anyone
//! can compute it for any statement, true or false: it binds the statement (another chain,
//! block number, root or DA commitment gives another hash) but says **nothing** about whether
//! the block's transactions were valid or whether the new root follows from the previous
//! one. The verifying key is empty ([`SIMULATION_VK`]); any other key is refused, so a chain
//! cannot look like it registered something meaningful.
//!
//! **Only simulated chains may register it.** This crate does not enforce that: the state
//! machine and the BitAI mempool do (`allow_simulation_only = true` in their configs; off by
//! default). A node that accepts `SimulationOnly` chains accepts every state root their
//! sequencer claims.

use super::{ProofVerifier, VerifyError};
use crate::circuit::{PublicInputs, NUM_PUBLIC_INPUTS};
use bitai_chain::field::{fr_to_be_bytes, Fr};
use bitai_protocol::ProofSystem;
use sha2::{Digest, Sha256};

/// Domain separator of a simulation proof.
pub const SIMULATION_PROOF_DOMAIN: &[u8] = b"bitai/simulation-proof/v1";

/// Length of a simulation proof.
pub const SIMULATION_PROOF_BYTES: usize = 32;

/// The only verifying key a `SimulationOnly` chain registers: empty.
pub const SIMULATION_VK: &[u8] = &[];

/// Verifies simulation proofs (see the module doc: they prove nothing about execution).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimulationVerifier;

/// The simulation proof of a list of public inputs, in circuit order.
fn proof_of(inputs: &[Fr]) -> [u8; SIMULATION_PROOF_BYTES] {
    let mut hasher = Sha256::new();
    hasher.update(SIMULATION_PROOF_DOMAIN);
    for x in inputs {
        hasher.update(fr_to_be_bytes(x));
    }
    hasher.finalize().into()
}

/// The simulation proof of `public` (32 bytes). It proves nothing about execution.
pub fn simulation_proof(public: &PublicInputs) -> Vec<u8> {
    proof_of(&public.to_field_elements()).to_vec()
}

impl ProofVerifier for SimulationVerifier {
    fn system(&self) -> ProofSystem {
        ProofSystem::SimulationOnly
    }

    fn check_key(&self, vk: &[u8]) -> Result<(), VerifyError> {
        if vk == SIMULATION_VK {
            Ok(())
        } else {
            Err(VerifyError::NotSimulationKey)
        }
    }

    fn verify(&self, vk: &[u8], proof: &[u8], public_inputs: &[Fr]) -> Result<(), VerifyError> {
        self.check_key(vk)?;
        if public_inputs.len() != NUM_PUBLIC_INPUTS {
            return Err(VerifyError::PublicInputCount {
                expected: NUM_PUBLIC_INPUTS,
                got: public_inputs.len(),
            });
        }
        if proof.len() != SIMULATION_PROOF_BYTES {
            return Err(VerifyError::ProofLength {
                expected: SIMULATION_PROOF_BYTES,
                got: proof.len(),
            });
        }
        if proof == proof_of(public_inputs) {
            Ok(())
        } else {
            Err(VerifyError::Invalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verifier::{submit_proof_inputs, verifier_for, verify_submit_proof};
    use bitai_chain::field::fr_to_hash;
    use bitai_protocol::{ChainId, Hash32, SubmitProof};

    fn statement() -> PublicInputs {
        PublicInputs {
            chain_id: ChainId(Hash32::sha256(b"simulated chain")),
            block_number: 12,
            prev_root: Fr::from(1_234u64),
            new_root: Fr::from(5_678u64),
            da_commitment: Hash32::sha256(b"blob 12"),
        }
    }

    fn submit(public: &PublicInputs, proof: Vec<u8>) -> SubmitProof {
        SubmitProof {
            chain_id: public.chain_id,
            block_number: public.block_number,
            prev_state_root: fr_to_hash(&public.prev_root),
            new_state_root: fr_to_hash(&public.new_root),
            da_commitment: public.da_commitment,
            proof,
        }
    }

    #[test]
    fn the_proof_is_the_documented_hash() {
        let public = statement();
        let mut preimage = SIMULATION_PROOF_DOMAIN.to_vec();
        for x in public.to_field_elements() {
            preimage.extend_from_slice(&fr_to_be_bytes(&x));
        }
        assert_eq!(preimage.len(), SIMULATION_PROOF_DOMAIN.len() + 7 * 32);
        assert_eq!(
            simulation_proof(&public),
            Hash32::sha256(&preimage).0.to_vec()
        );
    }

    #[test]
    fn a_right_proof_verifies_through_the_verifier_contract_path() {
        let public = statement();
        let tx = submit(&public, simulation_proof(&public));
        assert_eq!(
            submit_proof_inputs(&tx).expect("canonical"),
            public.to_field_elements()
        );
        verify_submit_proof(ProofSystem::SimulationOnly, SIMULATION_VK, &tx).expect("valid");
        let verifier = verifier_for(ProofSystem::SimulationOnly).expect("registered");
        assert_eq!(verifier.system(), ProofSystem::SimulationOnly);
        verifier.check_key(SIMULATION_VK).expect("the empty key");
    }

    #[test]
    fn a_proof_for_any_other_public_input_is_refused() {
        let public = statement();
        let proof = simulation_proof(&public);
        let one = Fr::from(1u64);
        let others = [
            PublicInputs {
                chain_id: ChainId(Hash32::sha256(b"another chain")),
                ..public
            },
            PublicInputs {
                block_number: 13,
                ..public
            },
            PublicInputs {
                prev_root: public.prev_root + one,
                ..public
            },
            PublicInputs {
                new_root: public.new_root + one,
                ..public
            },
            PublicInputs {
                da_commitment: Hash32::sha256(b"another blob"),
                ..public
            },
        ];
        for other in others {
            let tx = submit(&other, proof.clone());
            assert_eq!(
                verify_submit_proof(ProofSystem::SimulationOnly, SIMULATION_VK, &tx),
                Err(VerifyError::Invalid)
            );
            // Its own proof verifies: the statement, not the hash function, made the difference.
            let own = submit(&other, simulation_proof(&other));
            verify_submit_proof(ProofSystem::SimulationOnly, SIMULATION_VK, &own).expect("own");
        }
    }

    #[test]
    fn malformed_proofs_and_keys_are_typed_errors() {
        let public = statement();
        let proof = simulation_proof(&public);
        let v = SimulationVerifier;
        assert_eq!(v.check_key(b"x"), Err(VerifyError::NotSimulationKey));
        let inputs = public.to_field_elements();
        assert_eq!(
            v.verify(b"x", &proof, &inputs),
            Err(VerifyError::NotSimulationKey)
        );
        assert_eq!(
            v.verify(SIMULATION_VK, &proof[..31], &inputs),
            Err(VerifyError::ProofLength {
                expected: 32,
                got: 31
            })
        );
        assert!(matches!(
            v.verify(SIMULATION_VK, &proof, &inputs[..6]),
            Err(VerifyError::PublicInputCount { .. })
        ));
        let mut flipped = proof.clone();
        flipped[0] ^= 1;
        assert_eq!(
            v.verify(SIMULATION_VK, &flipped, &inputs),
            Err(VerifyError::Invalid)
        );
        // A Groth16 key or proof is no simulation key or proof, and the reverse.
        assert!(matches!(
            verifier_for(ProofSystem::Groth16Bn254)
                .expect("groth16")
                .check_key(SIMULATION_VK),
            Err(VerifyError::BadKey(_))
        ));
    }
}
