//! Our prover's proofs verify with gnark-bn254-verifier and with ark-groth16, and tampering
//! with any public input or proof element makes them fail.

use super::testing::{ark_verify, PowerCircuit};
use super::*;
use crate::gnark;
use crate::verifier::{Groth16Verifier, ProofVerifier, VerifyError};
use rand::SeedableRng;

fn rng() -> rand_chacha::ChaCha20Rng {
    rand_chacha::ChaCha20Rng::seed_from_u64(7)
}

fn power_keys() -> Groth16Keys {
    Groth16Keys::devnet(
        PowerCircuit {
            x: 0,
            rounds: 20,
            tag: 0,
        },
        b"test seed",
    )
    .expect("setup")
}

#[test]
fn proofs_verify_with_gnark_and_ark() {
    let keys = power_keys();
    let circuit = PowerCircuit {
        x: 3,
        rounds: 20,
        tag: 99,
    };
    let (proof, public) = keys.prove(circuit, &mut rng()).expect("prove");
    assert_eq!(public, circuit.public());
    assert!(ark_verify(keys.vk(), &proof, &public));
    let vk = gnark::write_vk(keys.vk());
    let bytes = gnark::write_proof(&proof);
    Groth16Verifier
        .verify(&vk, &bytes, &public)
        .expect("gnark-bn254-verifier accepts");
}

#[test]
fn every_public_input_is_bound_even_an_unused_one() {
    let keys = power_keys();
    let circuit = PowerCircuit {
        x: 5,
        rounds: 20,
        tag: 1,
    };
    let (proof, public) = keys.prove(circuit, &mut rng()).expect("prove");
    let vk = gnark::write_vk(keys.vk());
    let bytes = gnark::write_proof(&proof);
    for i in 0..public.len() {
        let mut tampered = public.clone();
        tampered[i] += bitai_chain::field::Fr::from(1u64);
        assert!(!ark_verify(keys.vk(), &proof, &tampered));
        assert_eq!(
            Groth16Verifier.verify(&vk, &bytes, &tampered),
            Err(VerifyError::Invalid)
        );
    }
}

#[test]
fn a_tampered_proof_does_not_verify() {
    let keys = power_keys();
    let (proof, public) = keys
        .prove(
            PowerCircuit {
                x: 5,
                rounds: 20,
                tag: 1,
            },
            &mut rng(),
        )
        .expect("prove");
    let vk = gnark::write_vk(keys.vk());
    let swapped = keys::Proof {
        a: proof.c,
        c: proof.a,
        ..proof
    };
    let bytes = gnark::write_proof(&swapped);
    assert_eq!(
        Groth16Verifier.verify(&vk, &bytes, &public),
        Err(VerifyError::Invalid)
    );
    // Flipping the sign flag of A gives -A, a valid point and an invalid proof.
    let mut bytes = gnark::write_proof(&proof);
    bytes[0] ^= 0b0100_0000;
    assert_eq!(
        Groth16Verifier.verify(&vk, &bytes, &public),
        Err(VerifyError::Invalid)
    );
}

#[test]
fn an_unsatisfied_assignment_gets_no_proof() {
    let keys = power_keys();
    let (mut z, _) = r1cs::assignment(PowerCircuit {
        x: 5,
        rounds: 20,
        tag: 1,
    })
    .expect("assign");
    z[1] += halo2curves::bn256::Fr::from(1u64);
    let err = prover::prove(&keys.pk, &keys.r1cs, &keys.domain, &z, &mut rng());
    assert_eq!(err, Err(ProveError::Unsatisfied));
}

#[test]
fn the_setup_is_deterministic_and_the_cache_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blank = PowerCircuit {
        x: 0,
        rounds: 8,
        tag: 0,
    };
    let made = Groth16Keys::devnet_cached(blank, b"seed", dir.path()).expect("setup");
    let loaded = Groth16Keys::devnet_cached(blank, b"seed", dir.path()).expect("load");
    assert_eq!(made.pk, loaded.pk);
    assert_eq!(
        Groth16Keys::devnet(blank, b"seed").expect("again").pk,
        made.pk
    );
    assert_ne!(
        Groth16Keys::devnet(blank, b"other").expect("other").pk.vk,
        made.pk.vk
    );
    // A damaged cache file is refused by its checksum.
    let mut bytes = made.pk.to_bytes();
    let last = bytes.len() - 40;
    bytes[last] ^= 1;
    assert!(keys::ProvingKey::from_bytes(&bytes, &made.pk.r1cs_digest).is_err());
    assert!(matches!(
        keys::ProvingKey::from_bytes(&made.pk.to_bytes(), &[0u8; 32]),
        Err(keys::KeyFileError::WrongCircuit)
    ));
}
