//! Interoperability with the JavaScript tools people already use: the committed fixtures
//! (made by `interop/make-fixtures.mjs` with circomlibjs and @zk-kit/eddsa-poseidon) are
//! matched natively and in the circuit, including transfers signed by a JS wallet.

use crate::circuit::eddsa::{enforce_signature, SignatureVar};
use crate::circuit::point::PointVar;
use crate::circuit::poseidon::poseidon_var;
use crate::circuit::{BlockCircuit, CircuitConfig};
use ark_ff::PrimeField;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::R1CSVar;
use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystem};
use bitai_chain::babyjubjub::{checked_point, Point};
use bitai_chain::eddsa::{verify, PrivateKey, Signature};
use bitai_chain::field::{fr_from_decimal, Fr};
use bitai_chain::poseidon::poseidon;
use bitai_chain::stf::{Account, Block, State};
use bitai_chain::tx::{SignedTransfer, Transfer};
use bitai_protocol::{ChainId, Hash32};
use serde_json::Value;

fn fixtures() -> Value {
    serde_json::from_str(include_str!("../tests/fixtures/circom_vectors.json")).expect("json")
}

fn fr(v: &Value) -> Fr {
    fr_from_decimal(v.as_str().expect("decimal string")).expect("canonical")
}

fn point(v: &Value) -> Point {
    checked_point(fr(&v[0]), fr(&v[1])).expect("valid point")
}

fn signature(v: &Value) -> Signature {
    Signature::from_parts(fr(&v["r8"][0]), fr(&v["r8"][1]), fr(&v["s"]).into_bigint())
        .expect("valid signature")
}

#[test]
fn poseidon_matches_circomlibjs_natively_and_in_the_circuit() {
    let f = fixtures();
    let vectors = f["poseidon"].as_array().expect("array");
    assert_eq!(vectors.len(), 24);
    for v in vectors {
        let inputs: Vec<Fr> = v["inputs"]
            .as_array()
            .expect("array")
            .iter()
            .map(fr)
            .collect();
        let want = fr(&v["hash"]);
        assert_eq!(poseidon(&inputs), want, "{} inputs", inputs.len());
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<FpVar<Fr>> = inputs
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).expect("alloc"))
            .collect();
        assert_eq!(
            poseidon_var(&vars)
                .expect("synthesis")
                .value()
                .expect("assigned"),
            want
        );
        assert!(cs.is_satisfied().expect("assigned"));
    }
}

#[test]
fn zk_kit_signatures_match_ours_and_verify_in_the_circuit() {
    let f = fixtures();
    for v in f["signatures"].as_array().expect("array") {
        let mut sk = [0u8; 32];
        hex::decode_to_slice(v["private_key"].as_str().expect("hex"), &mut sk).expect("hex");
        let key = PrivateKey(sk);
        let a = point(&v["public_key"]);
        assert_eq!(key.public_key(), a);
        let msg = fr(&v["message"]);
        let sig = signature(v);
        assert_eq!(key.sign(msg), sig, "our signature is zk-kit's");
        verify(&a, msg, &sig).expect("zk-kit's signature verifies natively");

        let cs = ConstraintSystem::<Fr>::new_ref();
        let a_var = PointVar::new_witness(cs.clone(), || Ok(a)).expect("alloc");
        let msg_var = FpVar::new_witness(cs.clone(), || Ok(msg)).expect("alloc");
        let sig_var =
            SignatureVar::new_witness(cs.clone(), sig.r8, sig.s.into_bigint()).expect("alloc");
        enforce_signature(&a_var, &msg_var, &sig_var, &Boolean::TRUE).expect("synthesis");
        assert!(
            cs.is_satisfied().expect("assigned"),
            "zk-kit's signature in the circuit"
        );
    }
}

#[test]
fn transfers_signed_by_a_js_wallet_are_valid_natively_and_in_the_circuit() {
    let f = fixtures();
    let chain_id =
        ChainId(Hash32::from_hex(f["transfer_chain_id"].as_str().expect("hex")).expect("hex"));
    let sender_key = point(&f["transfer_sender_public_key"]);
    let txs: Vec<SignedTransfer> = f["transfers"]
        .as_array()
        .expect("array")
        .iter()
        .map(|t| {
            let transfer = Transfer {
                from: t["from"].as_u64().expect("u32") as u32,
                to: t["to"].as_u64().expect("u32") as u32,
                to_public_key: point(&t["to_public_key"]),
                amount: t["amount"].as_str().expect("text").parse().expect("u64"),
                fee: t["fee"].as_str().expect("text").parse().expect("u64"),
                nonce: t["nonce"].as_str().expect("text").parse().expect("u64"),
            };
            assert_eq!(
                transfer.message(&chain_id),
                fr(&t["message"]),
                "same message as JS"
            );
            SignedTransfer {
                transfer,
                signature: signature(t),
            }
        })
        .collect();
    let accounts = [(
        0u32,
        Account {
            public_key: sender_key,
            balance: 1_000,
            nonce: 0,
        },
    )];
    let config = CircuitConfig::new(3, 2);
    let mut state = State::genesis(config.depth, accounts).expect("genesis");
    let block = Block {
        chain_id,
        number: 1,
        da_commitment: Hash32::default(),
        txs,
        ops: vec![],
    };
    let w = state
        .apply_block(&block, config.max_txs, 0)
        .expect("JS-signed transfers are valid");
    assert_eq!(state.account(3).map(|a| a.balance), Some(251));
    assert_eq!(
        state.account(0).map(|a| a.balance),
        Some(1_000 - 251 - 9),
        "the sender paid both fees"
    );
    let cs = ConstraintSystem::<Fr>::new_ref();
    BlockCircuit::new(config, &w)
        .expect("fits")
        .generate_constraints(cs.clone())
        .expect("synth");
    assert!(cs.is_satisfied().expect("assigned"));
}
