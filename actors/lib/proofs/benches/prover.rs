//! Our Groth16 prover against ark-groth16 0.5 on the same R1CS, block proving times,
//! constraints per transfer, and verification through the verifier contract's path against a
//! bare gnark-bn254-verifier call. Three proofs each in turn, medians; figures go to
//! docs/benchmarks/proofs.md.
//!
//! `cargo bench -p bitai-zk --bench prover` runs everything; `-- quick` skips the 2^18
//! synthetic circuit and the 32-transfer block; `-- synthetic`, `-- verify` and `-- phases`
//! run one part.
// A benchmark measures wall time: the clock ban of clippy.toml is for actors, not for this.
#![allow(clippy::disallowed_methods, missing_docs)]

use ark_ff::PrimeField;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_snark::SNARK;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::field::Fr;
use bitai_chain::stf::{Account, Block, State};
use bitai_chain::tx::Transfer;
use bitai_proofs::circuit::{BlockCircuit, CircuitConfig};
use bitai_proofs::groth16::Groth16Keys;
use bitai_proofs::verifier::{Groth16Verifier, ProofVerifier};
use bitai_protocol::{ChainId, Hash32};
use rand::SeedableRng;
use std::time::Instant;

/// Half multiplications of dense values, half boolean constraints on pseudo-random bits:
/// `n - 2` constraints in all (the last product and its check are two), so that with its
/// two instance rows (the one and `out`) the QAP domain is exactly `n`.
#[derive(Clone, Copy)]
struct Synthetic {
    n: usize,
}

impl ConstraintSynthesizer<Fr> for Synthetic {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let out = FpVar::new_input(cs.clone(), || Ok(Fr::from(0u64)))?;
        let mut x = FpVar::new_witness(cs.clone(), || Ok(Fr::from(3u64)))?;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..self.n / 2 - 2 {
            x = &x * &x + Fr::from(1u64);
        }
        for _ in 0..self.n / 2 - 2 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let _bit = Boolean::new_witness(cs.clone(), || Ok(state & 1 == 1))?;
        }
        // Tie the chain to the public input through a product that is always zero.
        (x * &out).enforce_equal(&FpVar::Constant(Fr::from(0u64)))
    }
}

fn key(i: u32) -> PrivateKey {
    let mut k = [0u8; 32];
    k[..4].copy_from_slice(&i.to_le_bytes());
    PrivateKey(k)
}

fn block_circuit(txs: usize) -> BlockCircuit {
    let config = CircuitConfig::production(txs);
    let chain_id = ChainId(Hash32::sha256(b"bench chain"));
    let accounts = (0..txs as u32).map(|i| {
        (
            i * 7919,
            Account {
                public_key: key(i).public_key(),
                balance: 1_000_000,
                nonce: 0,
            },
        )
    });
    let mut state = State::genesis(config.depth, accounts).expect("genesis");
    let signed = (0..txs as u32)
        .map(|i| {
            Transfer {
                from: i * 7919,
                to: 4_000_000_000 - i,
                to_public_key: key(10_000 + i).public_key(),
                amount: 1_000 + u64::from(i),
                fee: 10,
                nonce: 0,
            }
            .sign(&chain_id, &key(i))
        })
        .collect();
    let block = Block {
        chain_id,
        number: 1,
        da_commitment: Hash32::sha256(b"da"),
        txs: signed,
        ops: vec![],
    };
    let w = state.apply_block(&block, txs, 0).expect("valid block");
    BlockCircuit::new(config, &w).expect("fits")
}

fn secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// Rounds of each prover on each circuit; the table gives the median.
const ROUNDS: usize = 3;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Ours and ark-groth16 on `blank`/`full`, [`ROUNDS`] proofs each in turn (ark, then ours);
/// prints one table row with the medians.
fn compare<C: ConstraintSynthesizer<Fr> + Clone>(name: &str, blank: C, full: C) {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let t = Instant::now();
    let keys = Groth16Keys::devnet(blank.clone(), b"bench").expect("setup");
    let our_setup = secs(t);
    let vk = bitai_proofs::gnark::write_vk(keys.vk());
    let t = Instant::now();
    let (pk, ark_vk) =
        ark_groth16::Groth16::<ark_bn254::Bn254>::circuit_specific_setup(blank, &mut rng)
            .expect("ark setup");
    let ark_setup = secs(t);
    let (mut ours, mut ark) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let ark_proof =
            ark_groth16::Groth16::<ark_bn254::Bn254>::prove(&pk, full.clone(), &mut rng)
                .expect("ark prove");
        ark.push(secs(t));
        let t = Instant::now();
        let (proof, public) = keys.prove(full.clone(), &mut rng).expect("our prove");
        ours.push(secs(t));
        Groth16Verifier
            .verify(&vk, &bitai_proofs::gnark::write_proof(&proof), &public)
            .expect("our proof verifies");
        assert!(
            ark_groth16::Groth16::<ark_bn254::Bn254>::verify(&ark_vk, &public, &ark_proof)
                .expect("ark verify")
        );
    }
    let (ours, ark) = (median(ours), median(ark));
    println!(
        "| {name} | {} | {ours:.2} s | {ark:.2} s | {:.2}x | {our_setup:.1} s | {ark_setup:.1} s |",
        keys.r1cs.num_constraints(),
        ark / ours
    );
}

/// Where our prover's time goes on `full`, each phase run alone: synthesis, the quotient's
/// six FFTs, the MSMs of A, B (G2) and C (L, H and B in G1 together).
fn phases<C: ConstraintSynthesizer<Fr> + Clone>(name: &str, blank: C, full: C) {
    use bitai_proofs::groth16::prover::{c_msm, msm_sparse, quotient_on_coset};
    let keys = Groth16Keys::devnet(blank, b"bench").expect("setup");
    // What ark-groth16's `prove` does before its FFTs: synthesis with matrices, then
    // `finalize` (inlining linear combinations) and `to_matrices` (in its witness map).
    let t = Instant::now();
    {
        use ark_relations::r1cs::{ConstraintSystem, OptimizationGoal, SynthesisMode};
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: true,
        });
        full.clone()
            .generate_constraints(cs.clone())
            .expect("ark synthesis");
        cs.finalize();
        let _ = cs.to_matrices().expect("matrices");
    }
    let ark_synth = secs(t);
    let t = Instant::now();
    let (z, _) = bitai_proofs::groth16::r1cs::assignment(full).expect("assignment");
    let synth = secs(t);
    let zeros = z
        .iter()
        .filter(|x| bool::from(halo2curves::ff::Field::is_zero(*x)))
        .count();
    let ones = z
        .iter()
        .filter(|x| **x == <halo2curves::bn256::Fr as halo2curves::ff::Field>::ONE)
        .count();
    let t = Instant::now();
    let h = quotient_on_coset(&keys.r1cs, &keys.domain, &z).expect("satisfied");
    let fft = secs(t);
    let pk = &keys.pk;
    let t = Instant::now();
    let _ = msm_sparse(&pk.a_query, &z);
    let a = secs(t);
    let t = Instant::now();
    let _ = msm_sparse(&pk.b_g2_query, &z);
    let b2 = secs(t);
    let t = Instant::now();
    let _ = c_msm(pk, &z, &h, halo2curves::bn256::Fr::from(7u64));
    let c = secs(t);
    println!(
        "| {name} | {} vars ({:.0}% zero, {:.0}% one) | {synth:.2} | {fft:.2} | {a:.2} | {b2:.2} | {c:.2} | {ark_synth:.2} |",
        z.len(),
        100.0 * zeros as f64 / z.len() as f64,
        100.0 * ones as f64 / z.len() as f64,
    );
}

fn main() {
    if std::env::args().any(|a| a == "phases") {
        println!("| circuit | assignment | synthesis s | quotient (6 FFTs) s | A s | B (G2) s | C (L, H, B in G1) s | ark-groth16's synthesis with matrices s |");
        println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
        phases("block, 1 transfer", block_circuit(1), block_circuit(1));
        phases(
            "synthetic 2^16",
            Synthetic { n: 1 << 16 },
            Synthetic { n: 1 << 16 },
        );
        phases(
            "synthetic 2^18",
            Synthetic { n: 1 << 18 },
            Synthetic { n: 1 << 18 },
        );
        return;
    }
    if std::env::args().any(|a| a == "synthetic") {
        println!(
            "| circuit | constraints | ours | ark-groth16 | ark / ours | our setup | ark setup |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- |");
        compare(
            "synthetic 2^16",
            Synthetic { n: 1 << 16 },
            Synthetic { n: 1 << 16 },
        );
        compare(
            "synthetic 2^18",
            Synthetic { n: 1 << 18 },
            Synthetic { n: 1 << 18 },
        );
        return;
    }
    let quick = std::env::args().any(|a| a == "quick");
    let verify_only = std::env::args().any(|a| a == "verify");
    println!("threads: {}", rayon::current_num_threads());
    if !verify_only {
        println!(
            "| circuit | constraints | ours | ark-groth16 | ark / ours | our setup | ark setup |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- |");
        compare(
            "block, 1 transfer, 2^32 accounts",
            block_circuit(1),
            block_circuit(1),
        );
        compare(
            "block, 8 transfers, 2^32 accounts",
            block_circuit(8),
            block_circuit(8),
        );
        compare(
            "synthetic 2^16",
            Synthetic { n: 1 << 16 },
            Synthetic { n: 1 << 16 },
        );
        if !quick {
            compare(
                "synthetic 2^18",
                Synthetic { n: 1 << 18 },
                Synthetic { n: 1 << 18 },
            );
        }
    }

    println!();
    println!("| transfers per block | constraints | per transfer | prove (ours) |");
    println!("| --- | --- | --- | --- |");
    let sizes: &[usize] = if verify_only {
        &[1]
    } else if quick {
        &[1, 8]
    } else {
        &[1, 8, 32]
    };
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
    let mut vk_and_proof = None;
    for &txs in sizes {
        let circuit = block_circuit(txs);
        let keys = Groth16Keys::devnet(BlockCircuit::blank(circuit.config).expect("shape"), b"b")
            .expect("setup");
        let t = Instant::now();
        let (proof, public) = keys.prove(circuit, &mut rng).expect("prove");
        let took = secs(t);
        let n = keys.r1cs.num_constraints();
        println!("| {txs} | {n} | {} | {took:.2} s |", n / txs);
        if txs == 1 {
            vk_and_proof = Some((
                bitai_proofs::gnark::write_vk(keys.vk()),
                bitai_proofs::gnark::write_proof(&proof),
                public,
            ));
        }
    }

    let (vk, proof, public) = vk_and_proof.expect("the 1-transfer block ran");
    let runs = 50;
    // The chain's key is prepared at its first proof, then kept: time the steady state.
    let t = Instant::now();
    Groth16Verifier.verify(&vk, &proof, &public).expect("valid");
    let first = secs(t) * 1e3;
    let t = Instant::now();
    for _ in 0..runs {
        Groth16Verifier.verify(&vk, &proof, &public).expect("valid");
    }
    let ours = secs(t) / f64::from(runs) * 1e3;
    let inputs: Vec<gnark_bn254_verifier::Fr> = public
        .iter()
        .map(|x| {
            let s = x.into_bigint().to_string();
            s.parse().expect("decimal")
        })
        .collect();
    let t = Instant::now();
    for _ in 0..runs {
        assert!(gnark_bn254_verifier::verify(
            &proof,
            &vk,
            &inputs,
            gnark_bn254_verifier::ProvingSystem::Groth16
        ));
    }
    let bare = secs(t) / f64::from(runs) * 1e3;
    println!();
    println!("| verification | per proof |");
    println!("| --- | --- |");
    println!(
        "| verifier contract path (parse, checks, pairing on the prepared key) | {ours:.2} ms |"
    );
    println!("| the same, first proof of a key (parse and prepare the key too) | {first:.2} ms |");
    println!("| bare gnark_bn254_verifier::verify | {bare:.2} ms |");
    println!("| ratio contract / bare | {:.2} |", ours / bare);
}
