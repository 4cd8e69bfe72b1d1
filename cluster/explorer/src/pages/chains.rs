//! The front page (every chain, with its progress and neurons) and a chain's page (roots,
//! supply, its last blocks, neurons, models and inference requests).

use super::{parse_chain, to_json, Page, PageError};
use crate::html::{esc, facts, link, short, table};
use crate::Explorer;
use bitai_rpc::{ChainInfo, PocInfo};
use serde_json::json;

/// How many of a chain's last blocks and requests its page lists.
const RECENT: u64 = 20;

fn chain_row(c: &ChainInfo, neurons: Option<u32>) -> Vec<String> {
    let id = c.id.to_string();
    vec![
        link(&format!("/chain/{id}"), &esc(&c.name)),
        short(&id),
        esc(&c.proof_system),
        c.sequencer
            .as_ref()
            .map_or("-".into(), |s| s.head_block.to_string()),
        c.verified_block.to_string(),
        c.final_block.to_string(),
        short(&c.verified_root.to_string()),
        neurons.map_or("-".into(), |n| n.to_string()),
    ]
}

/// `/`: every chain.
pub async fn overview(x: &Explorer) -> Result<Page, PageError> {
    let chains = x.api.chains().await?;
    let mut rows = Vec::new();
    let mut summaries = serde_json::Map::new();
    for c in &chains {
        let poc = x.api.poc_summary(c.id).await.ok();
        rows.push(chain_row(c, poc.as_ref().map(|p| p.active_neurons)));
        summaries.insert(c.id.to_string(), to_json(&poc));
    }
    let html = table(
        &[
            "chain",
            "id",
            "proofs",
            "head",
            "verified",
            "final",
            "verified root",
            "neurons",
        ],
        &rows,
    );
    let json = json!({"chains": to_json(&chains), "poc": summaries});
    Ok(Page::new("AI chains", json, html))
}

/// `/chain/{id}`: one chain.
pub async fn chain(x: &Explorer, id: &str) -> Result<Page, PageError> {
    let id = parse_chain(id)?;
    let c = x
        .api
        .chain(id)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("chain {id}")))?;
    let poc = x.api.poc_summary(id).await.ok();
    let neurons = x.api.neurons(id).await.unwrap_or_default();
    let head = c
        .sequencer
        .as_ref()
        .map_or(c.verified_block, |s| s.head_block);
    let mut blocks = Vec::new();
    for n in (head.saturating_sub(RECENT - 1).max(1)..=head).rev() {
        if let Ok(Some(b)) = x.api.block(id, n).await {
            blocks.push(b);
        }
    }
    let requests = recent_requests(x, id, poc.as_ref()).await;
    let mut html = facts(&chain_facts(&c));
    html += "<h2>Blocks</h2>";
    html += &blocks_table(&c, &blocks);
    html += "<h2>Neurons</h2>";
    html += &neurons_table(&neurons);
    if let Some(p) = &poc {
        html += "<h2>Models</h2>";
        html += &models_table(p);
    }
    html += "<h2>Inference requests</h2>";
    html += &requests_table(&c, &requests);
    let json = json!({
        "chain": to_json(&c), "poc": to_json(&poc), "neurons": to_json(&neurons),
        "blocks": to_json(&blocks), "requests": to_json(&requests),
    });
    Ok(Page::new(format!("chain {}", c.name), json, html))
}

fn chain_facts(c: &ChainInfo) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("id", format!("<code>{}</code>", c.id)),
        ("proof system", esc(&c.proof_system)),
        ("transactions per block", c.max_block_txs.to_string()),
        (
            "registered at Bitcoin height",
            c.created_height.map_or("pending".into(), |h| h.to_string()),
        ),
        ("verified block", c.verified_block.to_string()),
        ("verified root", format!("<code>{}</code>", c.verified_root)),
        ("final block", c.final_block.to_string()),
        ("final root", format!("<code>{}</code>", c.final_root)),
    ];
    if let Some(s) = &c.sequencer {
        f.push(("sequencer head", s.head_block.to_string()));
        f.push(("head root", format!("<code>{}</code>", s.state_root)));
        f.push(("pending transactions", s.pending.to_string()));
        if let Some(supply) = &s.supply {
            f.push((
                "supply (conserved)",
                format!(
                    "{} = balances {} + stakes {} + escrow {} + fees burned {} + slashed {}",
                    supply.total,
                    supply.balances,
                    supply.stakes,
                    supply.escrow,
                    supply.fees_burned,
                    supply.slashed
                ),
            ));
        }
    }
    f
}

fn blocks_table(c: &ChainInfo, blocks: &[bitai_rpc::L2Block]) -> String {
    let id = c.id.to_string();
    let rows: Vec<Vec<String>> = blocks
        .iter()
        .map(|b| {
            let state = if b.number <= c.final_block {
                "final"
            } else if b.number <= c.verified_block {
                "verified"
            } else {
                "not verified yet"
            };
            vec![
                link(
                    &format!("/chain/{id}/block/{}", b.number),
                    &b.number.to_string(),
                ),
                b.txs.len().to_string(),
                format!(
                    "<span class=\"stage {}\">{state}</span>",
                    state.replace(' ', "-")
                ),
                short(&b.new_state_root.to_string()),
                short(&b.da_commitment.to_string()),
            ]
        })
        .collect();
    table(
        &[
            "block",
            "transactions",
            "state",
            "new root",
            "DA commitment",
        ],
        &rows,
    )
}

fn neurons_table(neurons: &[bitai_rpc::NeuronInfo]) -> String {
    let rows: Vec<Vec<String>> = neurons
        .iter()
        .map(|n| {
            vec![
                n.account.to_string(),
                n.stake.to_string(),
                n.rewards.to_string(),
                n.slashed.to_string(),
                if n.active {
                    "yes".into()
                } else {
                    format!("unbonding until {}", n.unlock_at)
                },
            ]
        })
        .collect();
    table(&["account", "stake", "rewards", "slashed", "active"], &rows)
}

fn models_table(p: &PocInfo) -> String {
    let rows: Vec<Vec<String>> = p
        .models
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                short(&m.hash.to_string()),
                m.size.to_string(),
                m.owner.to_string(),
            ]
        })
        .collect();
    table(
        &["model", "hash (DA commitment)", "bytes", "deployed by"],
        &rows,
    )
}

async fn recent_requests(
    x: &Explorer,
    id: bitai_protocol::ChainId,
    poc: Option<&PocInfo>,
) -> Vec<bitai_rpc::RequestInfo> {
    let made = poc.map_or(0, |p| p.requests_made);
    let mut out = Vec::new();
    for rid in (made.saturating_sub(RECENT as u32)..made).rev() {
        if let Ok(Some(r)) = x.api.request(id, rid).await {
            out.push(r);
        }
    }
    out
}

fn requests_table(c: &ChainInfo, requests: &[bitai_rpc::RequestInfo]) -> String {
    let id = c.id.to_string();
    let rows: Vec<Vec<String>> = requests
        .iter()
        .map(|r| {
            let agreed: Vec<String> = r
                .seats
                .iter()
                .filter(|s| s.agreed)
                .map(|s| s.account.to_string())
                .collect();
            let slashed: Vec<String> = r
                .seats
                .iter()
                .filter(|s| s.slashed)
                .map(|s| s.account.to_string())
                .collect();
            vec![
                link(&format!("/chain/{id}/request/{}", r.id), &r.id.to_string()),
                r.model.to_string(),
                r.requester.to_string(),
                r.escrow.to_string(),
                agreed.join(", "),
                slashed.join(", "),
            ]
        })
        .collect();
    table(
        &[
            "request",
            "model",
            "requester",
            "escrow",
            "agreed",
            "slashed",
        ],
        &rows,
    )
}
