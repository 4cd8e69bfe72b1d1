//! An inference request's page: its seats (who committed, revealed, agreed, was slashed),
//! and how it settled (who was paid, the refund).

use super::{parse_chain, parse_number, to_json, Page, PageError};
use crate::html::{facts, link, short, table};
use crate::Explorer;
use serde_json::json;

fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// `/chain/{id}/request/{rid}`.
pub async fn request(x: &Explorer, id: &str, rid: &str) -> Result<Page, PageError> {
    let chain = parse_chain(id)?;
    let rid: u32 = parse_number("request id", rid)?;
    let r = x
        .api
        .request(chain, rid)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("request {rid} of chain {chain}")))?;
    let seats: Vec<Vec<String>> = r
        .seats
        .iter()
        .map(|s| {
            vec![
                s.seat.to_string(),
                s.account.to_string(),
                yes(s.committed),
                yes(s.revealed),
                yes(s.agreed),
                yes(s.slashed),
            ]
        })
        .collect();
    let cid = chain.to_string();
    let mut f = vec![
        ("chain", link(&format!("/chain/{cid}"), &short(&cid))),
        ("requester", r.requester.to_string()),
        ("model", r.model.to_string()),
        ("input hash", format!("<code>{}</code>", r.input_hash)),
        ("escrow", r.escrow.to_string()),
        ("created in block", r.created_block.to_string()),
        ("commit deadline", r.commit_deadline.to_string()),
        ("reveal deadline", r.reveal_deadline.to_string()),
    ];
    let outcome = to_json(&r);
    if let Some(o) = outcome.get("outcome").filter(|o| !o.is_null()) {
        f.push((
            "paid (agreeing accounts)",
            o["agreeing_accounts"].to_string(),
        ));
        f.push(("share each", o["share"].to_string()));
        f.push(("slashed accounts", o["slashed_accounts"].to_string()));
        f.push(("refund to the requester", o["refund"].to_string()));
    }
    let html = facts(&f)
        + "<h2>Seats</h2>"
        + &table(
            &[
                "seat",
                "neuron",
                "committed",
                "revealed",
                "agreed",
                "slashed",
            ],
            &seats,
        );
    Ok(Page::new(
        format!("request {rid}"),
        json!({"request": outcome}),
        html,
    ))
}
