//! Bitcoin blocks with the BitAI envelopes they carried: every chain's registration and the
//! proofs of its last verified blocks, by Bitcoin height, and the inscriber's batches still
//! on their way.

use super::{to_json, Page, PageError};
use crate::html::{esc, link, short, table};
use crate::Explorer;
use serde_json::json;
use std::collections::BTreeMap;

/// How many of each chain's last verified blocks are looked up.
const RECENT_PROOFS: u64 = 20;

/// One envelope the page shows.
#[derive(serde::Serialize)]
struct Envelope {
    kind: &'static str,
    chain: String,
    block: Option<u64>,
    txid: Option<String>,
}

/// `/bitcoin`.
pub async fn bitcoin(x: &Explorer) -> Result<Page, PageError> {
    let chains = x.api.chains().await?;
    let mut by_height: BTreeMap<u64, Vec<Envelope>> = BTreeMap::new();
    for c in &chains {
        if let Some(h) = c.created_height {
            by_height.entry(h).or_default().push(Envelope {
                kind: "create_chain",
                chain: c.id.to_string(),
                block: None,
                txid: None,
            });
        }
        let from = c.verified_block.saturating_sub(RECENT_PROOFS - 1).max(1);
        for n in from..=c.verified_block {
            if let Ok(Some(p)) = x.api.block_proof(c.id, n).await {
                by_height
                    .entry(p.bitcoin_height)
                    .or_default()
                    .push(Envelope {
                        kind: "submit_proof",
                        chain: c.id.to_string(),
                        block: Some(n),
                        txid: Some(p.bitcoin_txid),
                    });
            }
        }
    }
    let rows: Vec<Vec<String>> = by_height
        .iter()
        .rev()
        .flat_map(|(h, envelopes)| {
            envelopes.iter().map(move |e| {
                let what = match e.block {
                    Some(n) => link(
                        &format!("/chain/{}/block/{n}", e.chain),
                        &format!("proof of block {n}"),
                    ),
                    None => "chain registered".into(),
                };
                vec![
                    h.to_string(),
                    esc(e.kind),
                    link(&format!("/chain/{}", e.chain), &short(&e.chain)),
                    what,
                    e.txid.as_deref().map_or("-".into(), short),
                ]
            })
        })
        .collect();
    let batches = x.api.inscriptions().await.unwrap_or_default();
    let html =
        format!(
        "<h2>Envelopes by Bitcoin height</h2>{}<h2>On their way (the inscriber's batches)</h2>{}",
        table(&["height", "kind", "chain", "what", "reveal transaction"], &rows),
        table(
            &["batch", "stage", "envelopes", "reveal", "reveal height"],
            &batches
                .iter()
                .map(|b| vec![
                    b.batch_id.to_string(),
                    esc(&b.stage),
                    b.envelopes.to_string(),
                    short(&b.reveal_txid),
                    b.reveal_height.map_or("-".into(), |h| h.to_string()),
                ])
                .collect::<Vec<_>>()
        ),
    );
    let heights: Vec<_> = by_height
        .into_iter()
        .rev()
        .map(|(h, e)| json!({"height": h, "envelopes": to_json(&e)}))
        .collect();
    Ok(Page::new(
        "Bitcoin",
        json!({"heights": heights, "batches": to_json(&batches)}),
        html,
    ))
}
