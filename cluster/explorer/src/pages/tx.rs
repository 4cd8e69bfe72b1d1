//! A transaction's page: its journey through the stages, the block holding it and the
//! Bitcoin transaction that carried the block's proof.

use super::{parse_hash, to_json, Page, PageError};
use crate::html::{esc, facts, journey, link, short, stage};
use crate::Explorer;
use bitai_rpc::Stage;
use serde_json::json;

/// `/tx/{hash}`.
pub async fn tx(x: &Explorer, hash: &str) -> Result<Page, PageError> {
    let hash = parse_hash("transaction hash", hash)?;
    let s = x.api.transaction_status(hash).await?;
    let mut f = vec![
        ("hash", format!("<code>{hash}</code>")),
        ("stage", stage(s.stage)),
    ];
    if let Some(chain) = s.chain {
        let id = chain.to_string();
        f.push(("chain", link(&format!("/chain/{id}"), &short(&id))));
        if let Some(n) = s.block_number {
            f.push((
                "L2 block",
                link(&format!("/chain/{id}/block/{n}"), &n.to_string()),
            ));
        }
    }
    if let Some(txid) = &s.bitcoin_txid {
        f.push((
            "Bitcoin transaction carrying its block's proof",
            format!("<code>{}</code>", esc(txid)),
        ));
    }
    if let Some(h) = s.bitcoin_height {
        f.push(("Bitcoin height", h.to_string()));
    }
    if let Some(r) = &s.reason {
        f.push(("refused because", esc(r)));
    }
    let html = if s.stage == Stage::Unknown {
        "<p>This node has never seen this transaction.</p>".to_owned() + &facts(&f)
    } else {
        journey(s.stage) + &facts(&f)
    };
    let json = json!({"status": to_json(&s), "journey": crate::html::JOURNEY.iter().map(|j| j.name()).collect::<Vec<_>>()});
    Ok(Page::new(
        format!("transaction {}", &hash.to_string()[..12]),
        json,
        html,
    ))
}
