//! Where the pipeline stands, chain by chain: the sequencer's head and pending transactions,
//! what the BitAI side has verified and made final, and the Bitcoin tip. The devnet's
//! progress display, its goal and its closing checks all read this one snapshot.

use crate::pipeline::Pipeline;
use bitai_messages::sequencer::SequencerMsg;
use bitai_protocol::{ChainId, Hash32};
use indicatif::{ProgressBar, ProgressStyle};

/// One chain's progress.
#[derive(Debug, Clone)]
pub struct ChainProgress {
    /// The chain.
    pub id: ChainId,
    /// Its name (from the registry; empty before it is registered).
    pub name: String,
    /// Registered on the BitAI side.
    pub registered: bool,
    /// The sequencer's last L2 block (0: none yet).
    pub head: u64,
    /// Transactions accepted and waiting for a block.
    pub pending: u64,
    /// Transactions in the sequencer's blocks.
    pub txs: u64,
    /// Last L2 block whose proof the state machine verified.
    pub verified: u64,
    /// The verified root.
    pub verified_root: Hash32,
    /// Last L2 block final on the BitAI side.
    pub final_block: u64,
}

/// The whole node's progress.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Bitcoin height the state machine has applied.
    pub bitcoin_height: Option<u64>,
    /// Every hosted or registered chain, by id.
    pub chains: Vec<ChainProgress>,
}

impl Snapshot {
    /// The progress of `chain`.
    pub fn chain(&self, chain: &ChainId) -> Option<&ChainProgress> {
        self.chains.iter().find(|c| c.id == *chain)
    }
}

/// Reads the snapshot from the state machine's view and the hosted sequencers.
pub async fn snapshot(p: &Pipeline) -> Snapshot {
    let view = p.view.borrow().clone();
    let mut chains = Vec::new();
    for (id, sequencer) in p.host.all().await {
        let head = sequencer
            .ask(|reply| SequencerMsg::Head { reply }, 5_000)
            .await;
        let registered = view.chains.get(&id);
        chains.push(ChainProgress {
            id,
            name: registered
                .map(|c| c.create.name.clone())
                .unwrap_or_default(),
            registered: registered.is_some(),
            head: head.as_ref().map_or(0, |h| h.number),
            pending: head.as_ref().map_or(0, |h| h.pending as u64),
            txs: head.as_ref().map_or(0, |h| h.txs),
            verified: registered.map_or(0, |c| c.verified_block),
            verified_root: registered.map_or(Hash32([0; 32]), |c| c.verified_root),
            final_block: registered.map_or(0, |c| c.final_block),
        });
    }
    for (id, c) in &view.chains {
        if !chains.iter().any(|p| p.id == *id) {
            chains.push(ChainProgress {
                id: *id,
                name: c.create.name.clone(),
                registered: true,
                head: 0,
                pending: 0,
                txs: 0,
                verified: c.verified_block,
                verified_root: c.verified_root,
                final_block: c.final_block,
            });
        }
    }
    Snapshot {
        bitcoin_height: view.tip.map(|(h, _)| h),
        chains,
    }
}

/// A live progress bar towards `goal` final L2 blocks (a spinner without a goal).
pub fn bar(hidden: bool, goal: Option<u64>) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let (bar, template) = match goal {
        Some(n) => (
            ProgressBar::new(n),
            "{spinner} [{elapsed_precise}] {bar:25} {pos}/{len} L2 blocks final  {msg}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} [{elapsed_precise}] {pos} L2 blocks final  {msg}",
        ),
    };
    bar.set_style(ProgressStyle::with_template(template).expect("the template is valid"));
    bar
}

/// Shows `s` on `bar`, counting final blocks of `main` (the devnet's chain).
pub fn show(bar: &ProgressBar, s: &Snapshot, main: Option<&ChainId>) {
    let focus = main.and_then(|m| s.chain(m)).or(s.chains.first());
    if let Some(c) = focus {
        bar.set_position(c.final_block);
        bar.set_message(format!(
            "bitcoin {} | L2 head {} verified {} | pending {} | chains {}",
            s.bitcoin_height.map_or("?".into(), |h| h.to_string()),
            c.head,
            c.verified,
            c.pending,
            s.chains.len()
        ));
    } else {
        bar.set_message(format!(
            "bitcoin {} | no chain yet",
            s.bitcoin_height.map_or("?".into(), |h| h.to_string())
        ));
    }
}

/// Checks every hosted chain: its verified root equals the root the sequencer had after
/// that block. Returns one line per chain.
pub async fn check_roots(p: &Pipeline) -> anyhow::Result<Vec<String>> {
    let view = p.view.borrow().clone();
    let mut lines = Vec::new();
    for (id, sequencer) in p.host.all().await {
        let Some(chain) = view.chains.get(&id) else {
            anyhow::bail!("chain {id} is hosted here but not registered on the BitAI side");
        };
        let n = chain.verified_block;
        if n == 0 {
            lines.push(format!(
                "{} ({id}): no block verified yet",
                chain.create.name
            ));
            continue;
        }
        let block = sequencer
            .ask(|reply| SequencerMsg::Block { number: n, reply }, 10_000)
            .await
            .flatten()
            .ok_or_else(|| anyhow::anyhow!("the sequencer of {id} does not know block {n}"))?;
        anyhow::ensure!(
            block.new_state_root == chain.verified_root,
            "chain {id}: verified root at block {n} is {}, the sequencer's is {}",
            chain.verified_root,
            block.new_state_root
        );
        lines.push(format!(
            "{} ({id}): block {n} verified (final through {}), root {} equals the sequencer's",
            chain.create.name, chain.final_block, chain.verified_root
        ));
    }
    Ok(lines)
}
