//! A chain node's BitAI side, on other nodes: the [`BitaiRelay`] stands in the BitAI
//! mempool's place (the role the chain host and the prover pool send to) and reaches one or
//! more BitAI nodes through their JSON-RPC, in order of preference:
//!
//! - a `CreateChain` or a `SubmitProof` goes to the first BitAI node that takes it
//!   (`bitai_submitBitaiTx`); a node that refuses or does not answer passes it to the next.
//!   A proof no node took is not lost: the prover pool emits every proof again until it sees
//!   it verified (`[prover] reemit_after_ms`), which also covers a BitAI node that restarted
//!   or a reorg that dropped the proof's inscription;
//! - every `poll_interval_ms` it reads each hosted chain from the first BitAI node that
//!   answers (`bitai_getChain`: verified and final blocks and roots) and publishes them as
//!   the node's [`StateView`], which the pool's confirmations, the node's API (a
//!   transaction's stage) and its progress read as they would a local state machine's;
//! - a status request is answered from the BitAI node's mempool (`bitai_mempool`).
//!
//! The BitAI nodes are the relay's ports (JSON-RPC clients with a short timeout); it keeps
//! no state of its own, so a restart loses nothing.

use super::HostedChains;
use bitai_messages::mempool::{MempoolMsg, MempoolReject, MempoolStatus, PendingEntry};
use bitai_messages::statemachine::{ChainView, StateView};
use bitai_protocol::{encode_tx, BitaiTx, Hash32};
use bitai_rpc::{ChainInfo, Client};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// `[bitai_nodes]`: where a chain node's BitAI side is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BitaiNodesSection {
    /// JSON-RPC URLs (`http://HOST:PORT`) of the BitAI nodes, in order of preference.
    /// Required (at least one) on a chain node; unused on other kinds. Default: none.
    pub urls: Vec<String>,
    /// How often the chain node reads its chains' verified and final blocks, ms. Default
    /// 1,000.
    pub poll_interval_ms: u64,
    /// How long one call to a BitAI node may take before the next node is tried, ms.
    /// Default 5,000.
    pub timeout_ms: u64,
}

impl Default for BitaiNodesSection {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            poll_interval_ms: 1_000,
            timeout_ms: 5_000,
        }
    }
}

impl BitaiNodesSection {
    /// Checks the table for a chain node.
    pub fn check(&self) -> Result<(), String> {
        if self.urls.is_empty() {
            return Err("a chain node needs [bitai_nodes] urls (at least one BitAI node)".into());
        }
        if self.poll_interval_ms == 0 || self.timeout_ms == 0 {
            return Err("bitai_nodes.poll_interval_ms and timeout_ms must be positive".into());
        }
        for url in &self.urls {
            Client::new(url).map_err(|e| format!("bitai_nodes.urls: {e}"))?;
        }
        Ok(())
    }

    /// A client of each BitAI node.
    pub fn clients(&self) -> anyhow::Result<Vec<Client>> {
        self.urls
            .iter()
            .map(|url| {
                Client::with_timeout(url, Duration::from_millis(self.timeout_ms))
                    .map_err(|e| anyhow::anyhow!("bitai_nodes.urls: {e}"))
            })
            .collect()
    }
}

/// The relay's state: its arguments, and whether the BitAI nodes answered last time (an
/// outage is logged once, when it starts and when it ends).
pub struct RelayState {
    args: RelayArgs,
    reachable: bool,
}

/// What the relay is started with.
#[derive(Clone)]
pub struct RelayArgs {
    /// The BitAI nodes, in order of preference.
    pub nodes: Vec<Client>,
    /// The chains this node hosts (their registrations).
    pub hosted: HostedChains,
    /// Where the BitAI side's view of them is published.
    pub view: Arc<watch::Sender<Arc<StateView>>>,
    /// How often to read it, ms.
    pub poll_interval_ms: u64,
}

/// The relay (see the module's documentation).
pub struct BitaiRelay;

impl RelayArgs {
    async fn submit(&self, tx: &BitaiTx) -> Result<Hash32, MempoolReject> {
        let bytes = encode_tx(tx).map_err(|e| MempoolReject::Malformed(e.to_string()))?;
        let mut why = Vec::new();
        for node in &self.nodes {
            match node.submit_bitai_tx(bytes.clone()).await {
                Ok(id) => return Ok(id),
                Err(e) => why.push(format!("{}: {e}", node.url())),
            }
        }
        Err(MempoolReject::Remote(why.join("; ")))
    }

    /// The hosted chains as the first BitAI node that answers sees them; whether one answered.
    async fn refresh(&self) -> bool {
        let hosted: Vec<_> = {
            let hosted = self.hosted.read().unwrap_or_else(|p| p.into_inner());
            hosted.iter().map(|(id, c)| (*id, c.clone())).collect()
        };
        for node in &self.nodes {
            let mut view = StateView::default();
            let mut answered = true;
            for (id, create) in &hosted {
                match node.chain(*id).await {
                    Ok(Some(info)) if info.created_height.is_some() => {
                        view.chains.insert(*id, chain_view(create.clone(), &info));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::debug!(node = node.url(), error = %e, "BitAI node unreachable");
                        answered = false;
                        break;
                    }
                }
            }
            if answered {
                self.view.send_replace(Arc::new(view));
                return true;
            }
        }
        false
    }

    async fn status(&self) -> MempoolStatus {
        for node in &self.nodes {
            if let Ok(entries) = node.mempool().await {
                let pending = entries
                    .into_iter()
                    .enumerate()
                    .filter_map(|(seq, e)| {
                        Some(PendingEntry {
                            seq: seq as u64,
                            id: e.id,
                            kind: match e.kind.as_str() {
                                "create_chain" => "create_chain",
                                "submit_proof" => "submit_proof",
                                _ => return None,
                            },
                            chain: e.chain?,
                            block: e.block_number,
                            handed: e.handed,
                        })
                    })
                    .collect();
                return MempoolStatus {
                    pending,
                    ..MempoolStatus::default()
                };
            }
        }
        MempoolStatus::default()
    }
}

/// A chain's view from a BitAI node's answer (its registering transaction is not in it).
fn chain_view(create: bitai_protocol::CreateChain, info: &ChainInfo) -> ChainView {
    ChainView {
        create,
        created_height: info.created_height.unwrap_or(0),
        created_txid: bitcoin::Txid::from_raw_hash(bitcoin::hashes::Hash::all_zeros()),
        verified_block: info.verified_block,
        verified_root: info.verified_root,
        final_block: info.final_block,
        final_root: info.final_root,
    }
}

impl Actor for BitaiRelay {
    type Msg = MempoolMsg;
    type State = RelayState;
    type Arguments = RelayArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<MempoolMsg>,
        args: RelayArgs,
    ) -> Result<RelayState, ActorProcessingErr> {
        let every = Duration::from_millis(args.poll_interval_ms);
        myself.send_interval(every, || MempoolMsg::Tick);
        tracing::info!(
            nodes = args.nodes.len(),
            first = args.nodes.first().map_or("", |n| n.url()),
            "BitAI relay up"
        );
        Ok(RelayState {
            args,
            reachable: true,
        })
    }

    async fn handle(
        &self,
        _: ActorRef<MempoolMsg>,
        msg: MempoolMsg,
        relay: &mut RelayState,
    ) -> Result<(), ActorProcessingErr> {
        let state = &relay.args;
        match msg {
            MempoolMsg::Submit { tx, reply } => {
                let outcome = state.submit(&tx).await;
                if let Err(e) = &outcome {
                    tracing::warn!(kind = tx.kind(), error = %e, "relay: not taken");
                }
                if let Some(reply) = reply {
                    let _ = reply.send(outcome);
                }
            }
            MempoolMsg::Proof(proof) => {
                let (chain, block) = (proof.0.chain_id, proof.0.block_number);
                match state.submit(&BitaiTx::SubmitProof(proof.0)).await {
                    Ok(id) => {
                        tracing::info!(%chain, block, %id, "relay: proof sent to a BitAI node")
                    }
                    // The pool emits it again until it sees it verified.
                    Err(e) => tracing::warn!(%chain, block, error = %e, "relay: proof not taken"),
                }
            }
            MempoolMsg::Status { reply } => {
                let _ = reply.send(state.status().await);
            }
            MempoolMsg::Tick => {
                let reachable = state.refresh().await;
                match (relay.reachable, reachable) {
                    (true, false) => tracing::warn!(
                        "no BitAI node answers; the chains' verified blocks are not refreshed \
                         until one does"
                    ),
                    (false, true) => tracing::info!("a BitAI node answers again"),
                    _ => {}
                }
                relay.reachable = reachable;
            }
            MempoolMsg::ViewChanged | MempoolMsg::HandedOff => {}
        }
        Ok(())
    }
}
