//! Fuzzes the gnark-format parsers and the Groth16 verifier path with arbitrary bytes: the
//! first byte picks what the rest is (proof, key, or a key and a proof split at a fuzzed
//! offset); whatever the input, the answer is a value or a typed error, never a panic
//! (`VerifyError::VerifierPanicked` would mean our parser let through what
//! gnark-bn254-verifier trips over, so it fails the run too).
#![no_main]

use bitai_chain::field::Fr;
use bitai_proofs::gnark;
use bitai_proofs::verifier::{Groth16Verifier, ProofVerifier, VerifyError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            if let Ok(proof) = gnark::read_proof(rest) {
                // What parses re-encodes to the same 128 bytes.
                assert_eq!(gnark::write_proof(&proof), rest[..gnark::PROOF_BYTES]);
            }
        }
        1 => {
            if let Ok(vk) = gnark::read_vk(rest) {
                assert_eq!(gnark::write_vk(&vk), rest);
            }
        }
        _ => {
            let split = usize::from(rest.first().copied().unwrap_or(0)) * 4;
            let rest = rest.get(1..).unwrap_or(&[]);
            let (vk, proof) = rest.split_at(split.min(rest.len()));
            let inputs = vec![Fr::from(1u64); 7];
            let outcome = Groth16Verifier.verify(vk, proof, &inputs);
            assert_ne!(outcome, Err(VerifyError::VerifierPanicked));
        }
    }
});
