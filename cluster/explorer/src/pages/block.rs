//! An L2 block's page: its roots, DA commitment and transactions with their stages; its
//! proof with the Bitcoin transaction that carried it, the proof's files to download, and
//! the in-browser check (snarkjs, with the public inputs editable: change one and the proof
//! no longer verifies). Also the files themselves.

use super::{parse_chain, parse_number, to_json, Page, PageError};
use crate::html::{esc, facts, link, short, stage, table};
use crate::Explorer;
use bitai_rpc::{BlockProof, L2Block, TxStatus};
use serde_json::json;

/// `/chain/{id}/block/{n}`.
pub async fn block(x: &Explorer, id: &str, n: &str) -> Result<Page, PageError> {
    let chain = parse_chain(id)?;
    let number: u64 = parse_number("block number", n)?;
    let b = x
        .api
        .block(chain, number)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("block {number} of chain {chain}")))?;
    let mut statuses = Vec::with_capacity(b.txs.len());
    for hash in &b.txs {
        statuses.push(x.api.transaction_status(*hash).await?);
    }
    let proof = x.api.block_proof(chain, number).await.ok().flatten();
    let mut html = facts(&block_facts(&b, proof.as_ref()));
    html += "<h2>Transactions</h2>";
    html += &txs_table(&statuses);
    let json =
        json!({"block": to_json(&b), "transactions": to_json(&statuses), "proof": to_json(&proof)});
    let mut page = Page::new(format!("block {number}"), json, html);
    if let Some(p) = &proof {
        page.aside = proof_panel(&b, p, x.snarkjs.is_some());
        if x.snarkjs.is_some() {
            page.scripts = "<script src=\"/assets/snarkjs.min.js\"></script>".into();
        }
    }
    Ok(page)
}

fn block_facts(b: &L2Block, proof: Option<&BlockProof>) -> Vec<(&'static str, String)> {
    let chain = b.chain.to_string();
    let mut f = vec![
        ("chain", link(&format!("/chain/{chain}"), &short(&chain))),
        (
            "previous root",
            format!("<code>{}</code>", b.prev_state_root),
        ),
        ("new root", format!("<code>{}</code>", b.new_state_root)),
        ("DA commitment", format!("<code>{}</code>", b.da_commitment)),
    ];
    match proof {
        Some(p) => {
            f.push((
                "proof",
                format!("{} bytes, {}", p.proof.len(), esc(&p.proof_system)),
            ));
            f.push((
                "carried by Bitcoin transaction",
                format!("<code>{}</code>", esc(&p.bitcoin_txid)),
            ));
            f.push(("at Bitcoin height", p.bitcoin_height.to_string()));
            f.push((
                "state",
                if p.is_final {
                    "final".into()
                } else {
                    "verified".into()
                },
            ));
        }
        None => f.push(("proof", "not verified on Bitcoin yet".into())),
    }
    f
}

fn txs_table(statuses: &[TxStatus]) -> String {
    let rows: Vec<Vec<String>> = statuses
        .iter()
        .map(|s| {
            let hash = s.hash.to_string();
            vec![link(&format!("/tx/{hash}"), &short(&hash)), stage(s.stage)]
        })
        .collect();
    table(&["transaction", "stage"], &rows)
}

/// The proof's downloads and the in-browser check.
fn proof_panel(b: &L2Block, p: &BlockProof, snarkjs: bool) -> String {
    let base = format!("/chain/{}/block/{}", b.chain, b.number);
    let inputs: String = p
        .public_inputs
        .iter()
        .enumerate()
        .map(|(i, v)| format!("<li><input class=\"public-input\" data-index=\"{i}\" value=\"{}\" size=\"80\"></li>", esc(v)))
        .collect();
    let check = if snarkjs {
        "<button id=\"verify-button\" type=\"button\">Verify in this browser</button> \
         <span id=\"verdict\" data-result=\"none\"></span>"
            .to_owned()
    } else {
        "<p class=\"error\">snarkjs is not installed on this node (npm install --prefix \
         actors/lib/proofs/interop): check the files with <code>bitai proof verify</code>.</p>"
            .to_owned()
    };
    format!(
        "<aside id=\"verify\" data-files=\"{base}\"><h2>Check this proof yourself</h2>\
         <p>Download: {} · {} · {} · {} (or <code>bitai proof fetch --chain {} --block {}</code>)</p>\
         <p>The public inputs (chain id halves, block number, previous root, new root, DA \
         commitment halves). Change one and check again: the proof no longer verifies.</p>\
         <ol class=\"inputs\">{inputs}</ol>{check}</aside>",
        link(&format!("{base}/vk"), "verifying key (gnark)"),
        link(&format!("{base}/proof"), "proof (gnark)"),
        link(&format!("{base}/public-inputs"), "public inputs"),
        link(&format!("{base}/snarkjs.json"), "snarkjs JSON"),
        b.chain,
        b.number,
    )
}

/// `/chain/{id}/block/{n}/{file}`: `vk`, `proof`, `public-inputs` (what `bitai proof verify`
/// reads) or `snarkjs.json` (`{vk, proof, public}` in snarkjs' shapes, what the page checks).
pub async fn block_file(
    x: &Explorer,
    id: &str,
    n: &str,
    file: &str,
) -> Result<(&'static str, Vec<u8>), PageError> {
    let chain = parse_chain(id)?;
    let number: u64 = parse_number("block number", n)?;
    let proof = x
        .api
        .block_proof(chain, number)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("no verified proof of block {number}")))?;
    let octets = "application/octet-stream";
    match file {
        "proof" => Ok((octets, proof.proof)),
        "public-inputs" => Ok(("application/json", to_bytes(&json!(proof.public_inputs)))),
        "vk" => Ok((octets, chain_vk(x, chain).await?)),
        "snarkjs.json" => {
            let vk = chain_vk(x, chain).await?;
            let key = bitai_proofs::gnark::read_vk(&vk)
                .map_err(|e| PageError::Node(format!("the chain's key: {e}")))?;
            let parsed = bitai_proofs::gnark::read_proof(&proof.proof)
                .map_err(|e| PageError::Node(format!("the proof: {e}")))?;
            let body = json!({
                "vk": bitai_proofs::snarkjs::verification_key(&key),
                "proof": bitai_proofs::snarkjs::proof(&parsed),
                "public": proof.public_inputs,
            });
            Ok(("application/json", to_bytes(&body)))
        }
        other => Err(PageError::NotFound(format!("no file {other}"))),
    }
}

async fn chain_vk(x: &Explorer, chain: bitai_protocol::ChainId) -> Result<Vec<u8>, PageError> {
    let key = x
        .api
        .chain_key(chain)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("chain {chain}")))?;
    Ok(key.verifying_key)
}

fn to_bytes(v: &serde_json::Value) -> Vec<u8> {
    v.to_string().into_bytes()
}
