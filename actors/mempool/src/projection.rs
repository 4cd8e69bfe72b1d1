//! The projected state: the state machine's latest [`StateView`] with every accepted entry
//! ahead of it applied (a `CreateChain` ahead makes its chain exist; a `SubmitProof` ahead
//! moves the chain's expected number and root). Checks go through
//! [`bitai_contract`], the same functions the state machine executes, so what the
//! mempool accepts is what the state machine will accept once it lands in that order.

use bitai_contract as rules;
use bitai_contract::{ChainHead, RegistryRules, RuleError};
use bitai_messages::statemachine::StateView;
use bitai_protocol::{BitaiTx, ChainId, CreateChain, Hash32};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One chain of the projection.
#[derive(Debug, Clone)]
pub(crate) struct ProjectedChain {
    pub(crate) create: Arc<CreateChain>,
    pub(crate) verified_block: u64,
    pub(crate) verified_root: Hash32,
}

/// The state the state machine will have once the accepted entries land.
#[derive(Debug, Clone, Default)]
pub(crate) struct Projection {
    pub(crate) chains: BTreeMap<ChainId, ProjectedChain>,
}

/// How much of a check to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    /// Everything, proof verification included (a new submission).
    Full,
    /// Everything but proof and key verification (a re-check of an entry that passed them
    /// when it was accepted: a proof's validity depends only on itself and its chain's key,
    /// a key's only on itself).
    Sequence,
}

impl Projection {
    /// The projection of `view` with nothing ahead.
    pub(crate) fn from_view(view: &StateView) -> Self {
        let chains = view
            .chains
            .iter()
            .map(|(id, c)| {
                (
                    *id,
                    ProjectedChain {
                        create: Arc::new(c.create.clone()),
                        verified_block: c.verified_block,
                        verified_root: c.verified_root,
                    },
                )
            })
            .collect();
        Self { chains }
    }

    fn head(&self, id: &ChainId) -> Option<ChainHead<'_>> {
        self.chains.get(id).map(|c| ChainHead {
            create: &c.create,
            verified_block: c.verified_block,
            verified_root: c.verified_root,
        })
    }

    /// Whether `tx` would be valid on top of this projection.
    pub(crate) fn check(
        &self,
        tx: &BitaiTx,
        rules: &RegistryRules,
        depth: Depth,
    ) -> Result<(), RuleError> {
        match tx {
            BitaiTx::CreateChain(c) => {
                rules::check_registration(
                    c,
                    |id| self.chains.contains_key(id),
                    self.chains.len() as u64,
                    rules,
                )?;
                match depth {
                    Depth::Full => rules::check_key(c),
                    Depth::Sequence => Ok(()),
                }
            }
            BitaiTx::SubmitProof(p) => {
                let head = self.head(&p.chain_id);
                rules::check_proof_sequence(p, head)?;
                match (depth, head) {
                    (Depth::Full, Some(h)) => rules::check_proof_validity(p, h.create),
                    _ => Ok(()),
                }
            }
            other => Err(RuleError::UnsupportedKind(other.kind().to_owned())),
        }
    }

    /// Applies an accepted `tx` (checked with [`Projection::check`]).
    pub(crate) fn apply(&mut self, tx: &BitaiTx) {
        match tx {
            BitaiTx::CreateChain(c) => {
                self.chains.insert(
                    c.chain_id(),
                    ProjectedChain {
                        create: Arc::new(c.clone()),
                        verified_block: 0,
                        verified_root: c.genesis_state_root,
                    },
                );
            }
            BitaiTx::SubmitProof(p) => {
                if let Some(c) = self.chains.get_mut(&p.chain_id) {
                    c.verified_block = p.block_number;
                    c.verified_root = p.new_state_root;
                }
            }
            _ => {}
        }
    }
}

/// Whether the effect of `tx` is final in `view`: its chain registered `finality_depth`
/// blocks deep; its block, or a later one, final. Until then a reorg may take it out again,
/// so the mempool keeps it.
pub(crate) fn final_in(view: &StateView, tx: &BitaiTx, finality_depth: u64) -> bool {
    match tx {
        BitaiTx::CreateChain(c) => match (view.chains.get(&c.chain_id()), view.tip) {
            (Some(chain), Some((tip, _))) => {
                tip + 1 >= chain.created_height.saturating_add(finality_depth.max(1))
            }
            _ => false,
        },
        BitaiTx::SubmitProof(p) => view
            .chain(&p.chain_id)
            .is_some_and(|c| p.block_number <= c.final_block),
        _ => false,
    }
}

/// Whether the effect of `tx` is visible in `view` (its chain registered; its block, or a
/// later one, verified).
pub(crate) fn landed(view: &StateView, tx: &BitaiTx) -> bool {
    match tx {
        BitaiTx::CreateChain(c) => view.chains.contains_key(&c.chain_id()),
        BitaiTx::SubmitProof(p) => view
            .chain(&p.chain_id)
            .is_some_and(|c| p.block_number <= c.verified_block),
        _ => false,
    }
}
