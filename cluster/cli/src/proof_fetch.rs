//! `bitai proof fetch`: a verified block's proof and its chain's verifying key, from any
//! node, written as the files `bitai proof verify` and `bitai proof export --format snarkjs`
//! read. Nothing the node says is taken on trust: the key must sit inside a `CreateChain`
//! whose SHA-256 is the chain id asked for, and the public inputs are recomputed here from
//! the block's statement (chain, number, roots, DA commitment) and must equal the node's.

use super::status::{block_on, client_failure, failure};
use bitai_protocol::{decode_tx, BitaiTx, ChainId, Hash32, SubmitProof};
use bitai_rpc::{BlockProof, ChainKey, Client};
use std::path::Path;
use std::process::ExitCode;

/// The file names written into `--out`.
pub const FILES: [&str; 4] = ["vk", "proof", "public-inputs", "block.json"];

/// Fetches, checks and writes; prints what it wrote and the commands that check it.
pub fn fetch(rpc: &str, chain: ChainId, block: u64, out: &Path) -> ExitCode {
    let client = match Client::new(rpc) {
        Ok(c) => c,
        Err(e) => return client_failure(e),
    };
    let answers = block_on(async {
        let key = client.chain_key(chain).await?;
        let proof = client.block_proof(chain, block).await?;
        Ok::<_, bitai_rpc::ClientError>((key, proof))
    });
    let (key, proof) = match answers {
        Ok(Ok(answers)) => answers,
        Ok(Err(e)) => return client_failure(e),
        Err(code) => return code,
    };
    let Some(key) = key else {
        return failure(format!("the node does not know chain {chain}"));
    };
    let Some(proof) = proof else {
        return failure(format!(
            "block {block} of chain {chain} is not verified on the node's Bitcoin chain (yet)"
        ));
    };
    let vk = match checked_key(chain, &key) {
        Ok(vk) => vk,
        Err(reason) => return failure(format!("the node's key is not the chain's: {reason}")),
    };
    if let Err(reason) = check_inputs(chain, block, &proof) {
        return failure(format!("the node's public inputs are wrong: {reason}"));
    }
    match write(out, &vk, &proof) {
        Ok(()) => {
            let dir = out.display();
            println!("block {block} of chain {chain}: proof carried by Bitcoin transaction {} at height {}{}",
                proof.bitcoin_txid, proof.bitcoin_height, if proof.is_final { " (final)" } else { "" });
            for name in FILES {
                println!("wrote {dir}/{name}");
            }
            println!("check it:  bitai proof verify --vk {dir}/vk --proof {dir}/proof --public-inputs {dir}/public-inputs");
            println!("snarkjs:   bitai proof export --format snarkjs --vk {dir}/vk --proof {dir}/proof --public-inputs {dir}/public-inputs --out {dir}/snarkjs");
            ExitCode::SUCCESS
        }
        Err(e) => failure(format!("writing into {}: {e}", out.display())),
    }
}

/// The verifying key inside the `CreateChain` whose hash is `chain`.
fn checked_key(chain: ChainId, key: &ChainKey) -> Result<Vec<u8>, String> {
    if Hash32::sha256(&key.create_chain) != chain.0 {
        return Err("its CreateChain does not hash to the chain id".into());
    }
    let Ok(BitaiTx::CreateChain(create)) = decode_tx(&key.create_chain) else {
        return Err("its CreateChain does not decode".into());
    };
    if create.verifying_key != key.verifying_key {
        return Err("the key differs from the one inside the CreateChain".into());
    }
    Ok(create.verifying_key)
}

/// The public inputs of the block's statement, computed here, against the node's.
fn check_inputs(chain: ChainId, block: u64, proof: &BlockProof) -> Result<(), String> {
    if (proof.chain, proof.number) != (chain, block) {
        return Err(format!(
            "asked for block {block} of {chain}, got block {} of {}",
            proof.number, proof.chain
        ));
    }
    let statement = SubmitProof {
        chain_id: chain,
        block_number: block,
        prev_state_root: proof.prev_state_root,
        new_state_root: proof.new_state_root,
        da_commitment: proof.da_commitment,
        proof: Vec::new(),
    };
    let ours: Vec<String> = bitai_proofs::verifier::submit_proof_inputs(&statement)
        .map_err(|e| e.to_string())?
        .iter()
        .map(bitai_chain::field::fr_to_decimal)
        .collect();
    if ours != proof.public_inputs {
        return Err(format!(
            "{:?} where the statement gives {ours:?}",
            proof.public_inputs
        ));
    }
    Ok(())
}

fn write(out: &Path, vk: &[u8], proof: &BlockProof) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("vk"), vk)?;
    std::fs::write(out.join("proof"), &proof.proof)?;
    let inputs = serde_json::to_string_pretty(&proof.public_inputs)? + "\n";
    std::fs::write(out.join("public-inputs"), inputs)?;
    let block = serde_json::to_string_pretty(proof)? + "\n";
    std::fs::write(out.join("block.json"), block)
}
