//! The verifier contract's path end to end: a real block, proved by our prover, checked as a
//! `SubmitProof` through gnark-bn254-verifier; every tampered field is refused.

use super::*;
use crate::circuit::{BlockCircuit, CircuitConfig};
use crate::groth16::testing::ark_verify;
use crate::groth16::Groth16Keys;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::field::fr_to_hash;
use bitai_chain::stf::{Account, Block, State};
use bitai_chain::tx::Transfer;
use bitai_protocol::{ChainId, Hash32};
use rand::SeedableRng;

fn key(i: u8) -> PrivateKey {
    PrivateKey([i; 32])
}

#[test]
fn a_block_proof_verifies_as_a_submit_proof_and_tampering_is_refused() {
    let config = CircuitConfig::new(2, 1);
    let keys = Groth16Keys::devnet(
        BlockCircuit::blank(config).expect("shape"),
        b"verifier tests",
    )
    .expect("setup");
    let vk = crate::gnark::write_vk(keys.vk());
    Groth16Verifier.check_key(&vk).expect("registrable key");

    let chain_id = ChainId(Hash32::sha256(b"verifier chain"));
    let accounts = [(
        0u32,
        Account {
            public_key: key(1).public_key(),
            balance: 500,
            nonce: 0,
        },
    )];
    let mut state = State::genesis(config.depth, accounts).expect("genesis");
    let tx = Transfer {
        from: 0,
        to: 5,
        to_public_key: key(2).public_key(),
        amount: 120,
        fee: 2,
        nonce: 0,
    }
    .sign(&chain_id, &key(1));
    let block = Block {
        chain_id,
        number: 1,
        da_commitment: Hash32::sha256(b"blob"),
        txs: vec![tx],
        ops: vec![],
    };
    let witness = state
        .apply_block(&block, config.max_txs, 0)
        .expect("valid block");
    let circuit = BlockCircuit::new(config, &witness).expect("fits");
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let (proof, public) = keys.prove(circuit, &mut rng).expect("prove");
    assert!(
        ark_verify(keys.vk(), &proof, &public),
        "ark-groth16 accepts our proof"
    );

    let submit = SubmitProof {
        chain_id,
        block_number: 1,
        prev_state_root: fr_to_hash(&witness.prev_root),
        new_state_root: state.root_hash(),
        da_commitment: block.da_commitment,
        proof: crate::gnark::write_proof(&proof),
    };
    assert_eq!(submit_proof_inputs(&submit).expect("canonical"), public);
    verify_submit_proof(ProofSystem::Groth16Bn254, &vk, &submit).expect("valid");

    let tampered: Vec<SubmitProof> = vec![
        SubmitProof {
            block_number: 2,
            ..submit.clone()
        },
        SubmitProof {
            chain_id: ChainId(Hash32::sha256(b"other")),
            ..submit.clone()
        },
        SubmitProof {
            prev_state_root: submit.new_state_root,
            ..submit.clone()
        },
        SubmitProof {
            new_state_root: submit.prev_state_root,
            ..submit.clone()
        },
        SubmitProof {
            da_commitment: Hash32::sha256(b"other blob"),
            ..submit.clone()
        },
    ];
    for t in tampered {
        assert_eq!(
            verify_submit_proof(ProofSystem::Groth16Bn254, &vk, &t),
            Err(VerifyError::Invalid)
        );
    }
    let not_a_field_element = SubmitProof {
        new_state_root: Hash32([0xff; 32]),
        ..submit.clone()
    };
    assert!(matches!(
        verify_submit_proof(ProofSystem::Groth16Bn254, &vk, &not_a_field_element),
        Err(VerifyError::BadPublicInput(_))
    ));
    // A Groth16 proof is no simulation proof, and a Groth16 key no simulation key.
    assert_eq!(
        verify_submit_proof(ProofSystem::SimulationOnly, &vk, &submit),
        Err(VerifyError::NotSimulationKey)
    );
    assert!(matches!(
        verify_submit_proof(ProofSystem::SimulationOnly, SIMULATION_VK, &submit),
        Err(VerifyError::ProofLength { .. })
    ));
}

/// gnark-bn254-verifier's verdict, the reference.
fn gnark_accepts(vk: &[u8], proof: &[u8], public: &[Fr]) -> bool {
    let inputs: Vec<gnark_bn254_verifier::Fr> = public.iter().map(to_gnark_fr).collect();
    gnark_bn254_verifier::verify(
        &proof[..crate::gnark::PROOF_BYTES],
        vk,
        &inputs,
        gnark_bn254_verifier::ProvingSystem::Groth16,
    )
}

/// A key's bytes and proofs made with it, with their public inputs.
type Setup = (Vec<u8>, Vec<(crate::groth16::keys::Proof, Vec<Fr>)>);

#[test]
fn the_prepared_path_agrees_with_gnark_bn254_verifier() {
    use crate::groth16::keys::Proof;
    use crate::groth16::testing::PowerCircuit;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
    let setups: Vec<Setup> = (0..2u8)
        .map(|k| {
            let circuit = |x, tag| PowerCircuit { x, rounds: 3, tag };
            let keys = Groth16Keys::devnet(circuit(0, 0), &[b'k', k]).expect("setup");
            let proofs = (1..4u64)
                .map(|x| keys.prove(circuit(x, x * 7), &mut rng).expect("prove"))
                .collect();
            (crate::gnark::write_vk(keys.vk()), proofs)
        })
        .collect();
    let mut cases = 0;
    for (vk, proofs) in &setups {
        for (i, (proof, public)) in proofs.iter().enumerate() {
            let other = &proofs[(i + 1) % proofs.len()].0;
            let mut moved = public.clone();
            moved[1] += Fr::from(1u64);
            let variants: Vec<(Proof, Vec<Fr>)> = vec![
                (*proof, public.clone()),
                (*proof, moved),
                (*proof, vec![public[1], public[0]]),
                (
                    Proof {
                        a: other.a,
                        ..*proof
                    },
                    public.clone(),
                ),
                (
                    Proof {
                        b: other.b,
                        ..*proof
                    },
                    public.clone(),
                ),
                (
                    Proof {
                        c: other.c,
                        ..*proof
                    },
                    public.clone(),
                ),
                (
                    Proof {
                        a: proof.c,
                        c: proof.a,
                        ..*proof
                    },
                    public.clone(),
                ),
            ];
            for (against, _) in &setups {
                for (p, inputs) in &variants {
                    let bytes = crate::gnark::write_proof(p);
                    let ours = Groth16Verifier.verify(against, &bytes, inputs);
                    let reference = gnark_accepts(against, &bytes, inputs);
                    assert_eq!(
                        ours.is_ok(),
                        reference,
                        "{ours:?} against gnark's {reference}"
                    );
                    if !reference {
                        assert_eq!(ours, Err(VerifyError::Invalid));
                    }
                    cases += 1;
                }
            }
            // The valid proof is accepted under its own key only.
            let bytes = crate::gnark::write_proof(proof);
            assert!(Groth16Verifier.verify(vk, &bytes, public).is_ok());
        }
    }
    assert_eq!(cases, 2 * 3 * 7 * 2);
}
