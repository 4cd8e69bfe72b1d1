//! The queues: blocks in the prover pool, the inscriber's live batches, the BitAI mempool.

use super::{to_json, Page, PageError};
use crate::html::{esc, link, short, table};
use crate::Explorer;
use serde_json::json;

/// Most prover jobs listed (the newest); the JSON has them all.
const JOBS_SHOWN: usize = 30;

/// `/pool`.
pub async fn pool(x: &Explorer) -> Result<Page, PageError> {
    let jobs = x.api.prover_jobs().await.unwrap_or_default();
    let hidden = jobs.len().saturating_sub(JOBS_SHOWN);
    let batches = x.api.inscriptions().await.unwrap_or_default();
    let mempool = x.api.mempool().await.unwrap_or_default();
    let job_rows: Vec<Vec<String>> = jobs
        .iter()
        .skip(hidden)
        .rev()
        .map(|j| {
            let id = j.chain.to_string();
            vec![
                link(
                    &format!("/chain/{id}/block/{}", j.block_number),
                    &format!("{} #{}", short(&id), j.block_number),
                ),
                esc(&j.state),
                j.attempts.to_string(),
            ]
        })
        .collect();
    let batch_rows: Vec<Vec<String>> = batches
        .iter()
        .map(|b| {
            vec![
                b.batch_id.to_string(),
                esc(&b.stage),
                b.envelopes.to_string(),
                short(&b.commit_txid),
                short(&b.reveal_txid),
                format!("{:.1}", b.fee_rate_sat_per_kvb as f64 / 1000.0),
                b.reveal_height.map_or("-".into(), |h| h.to_string()),
            ]
        })
        .collect();
    let mempool_rows: Vec<Vec<String>> = mempool
        .iter()
        .map(|e| {
            vec![
                short(&e.id.to_string()),
                esc(&e.kind),
                e.chain.map_or("-".into(), |c| short(&c.to_string())),
                e.block_number.map_or("-".into(), |n| n.to_string()),
                if e.handed { "yes".into() } else { "no".into() },
            ]
        })
        .collect();
    let html = format!(
        "<h2>Prover pool</h2>{}{}<h2>Inscriber batches</h2>{}<h2>BitAI mempool</h2>{}",
        table(&["block", "state", "attempts"], &job_rows),
        if hidden > 0 {
            format!("<p class=\"empty\">and {hidden} older jobs (in the JSON)</p>")
        } else {
            String::new()
        },
        table(
            &[
                "batch",
                "stage",
                "envelopes",
                "commit",
                "reveal",
                "sat/vB",
                "reveal height"
            ],
            &batch_rows
        ),
        table(
            &["id", "kind", "chain", "block", "handed to the inscriber"],
            &mempool_rows
        ),
    );
    let json = json!({"prover_jobs": to_json(&jobs), "inscriber_batches": to_json(&batches), "mempool": to_json(&mempool)});
    Ok(Page::new("queues", json, html))
}
