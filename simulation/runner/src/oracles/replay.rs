//! Oracle (e): after every reorg, the state equals a fresh replay of the canonical chain.
//! After each reorg the runner strikes, and at the end of the run, a third BitAI node starts
//! on an empty store and follows SimBitcoin's best chain; once it stands on the
//! coordinator's tip, every chain's view must be the coordinator's, and so must the state
//! machine's stored chain and verified-block records, byte for byte (journals, marks and
//! the rejection log are history, not state, and are left out).

use crate::follower::Follower;
use crate::world::World;
use std::time::Duration;

/// Longest simulated time the fresh replay may take to reach the live tip.
const REPLAY_BOUND: Duration = Duration::from_secs(6 * 3600);

/// Replays the canonical chain on a fresh node and compares.
pub async fn check(w: &World) -> Result<String, String> {
    let sim = std::sync::Arc::new(w.sim().clone());
    let fresh = Follower::start(&w.config, sim, w.clock.clone(), "replay")
        .await
        .map_err(|e| e.to_string())?;
    let deadline = w.clock.now_ms() + REPLAY_BOUND.as_millis() as u64;
    let outcome = loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let live = w.devnet.pipeline.view.borrow().clone();
        let replayed = fresh.view.borrow().clone();
        let at_tip = bitai_bitcoin::BitcoinPort::tip(w.sim())
            .is_ok_and(|t| live.tip == Some((t.height, t.hash)));
        if at_tip && live.tip == replayed.tip {
            break compare(&live, &replayed)
                .and_then(|n| compare_stores(&w.store, &fresh.store).map(|()| n))
                .map(|n| {
                    format!(
                        "fresh replay equals the live state at Bitcoin height {} ({n} chains)",
                        live.tip.map_or(0, |t| t.0)
                    )
                });
        }
        if w.clock.now_ms() > deadline {
            break Err(format!(
                "the fresh replay did not reach the live tip {:?} (it stands at {:?})",
                live.tip, replayed.tip
            ));
        }
    };
    fresh.stop().await;
    outcome
}

fn compare(
    live: &bitai_messages::statemachine::StateView,
    fresh: &bitai_messages::statemachine::StateView,
) -> Result<usize, String> {
    if live.chains.len() != fresh.chains.len() {
        return Err(format!(
            "the live node knows {} chains, a fresh replay {}",
            live.chains.len(),
            fresh.chains.len()
        ));
    }
    for (id, l) in &live.chains {
        let f = fresh
            .chains
            .get(id)
            .ok_or_else(|| format!("chain {id} missing from the replay"))?;
        if l != f {
            return Err(format!("chain {id}: live {l:?}, fresh replay {f:?}"));
        }
    }
    Ok(live.chains.len())
}

/// The state machine's chain records (`c`) and verified-block records (`v`) in both stores.
fn compare_stores(
    live: &bitai_storage::SharedStore,
    fresh: &bitai_storage::SharedStore,
) -> Result<(), String> {
    for prefix in [b"c", b"v"] {
        let read = |s: &bitai_storage::SharedStore| {
            s.scan_prefix(bitai_statemachine::KEYSPACE, prefix, usize::MAX)
                .map_err(|e| e.to_string())
        };
        let (a, b) = (read(live)?, read(fresh)?);
        if a != b {
            let first = a
                .iter()
                .zip(&b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            return Err(format!(
                "the state machine's {:?} records differ from a fresh replay's: {} live, {} fresh, first difference at record {first}",
                char::from(prefix[0]),
                a.len(),
                b.len()
            ));
        }
    }
    Ok(())
}
