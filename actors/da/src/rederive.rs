//! Re-deriving a chain's state from DA alone: from a head block's commitment, walk the
//! `parent` links back to the genesis blob, rebuild the genesis state, then re-execute every
//! block with the shared state transition function ([`bitai_chain::stf`]) and check the state
//! roots each block records. Whoever holds the blobs needs nothing from the sequencer.
//!
//! The walk keeps only the commitments (32 bytes per block) and fetches each blob again on
//! the way forward, so memory stays small for long chains; each step must lower the block
//! number by exactly one, so the walk ends after `head`'s number of steps.

// `DaError` is the DA interface's error (in bitai-messages); its largest variant names three
// roots. A walk returns it once, when it fails, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

use bitai_chain::stf::{Block, State};
use bitai_messages::da::{DaBlob, DaError, DaPort};
use bitai_protocol::Hash32;

/// Re-executes the chain whose newest blob is `head` (a block's or the genesis's) and
/// returns its state and block number (0 for genesis). Fails, naming the block, on a missing
/// or malformed blob, a broken link, a transaction the STF refuses, or a recorded root that
/// re-execution does not give.
pub fn rederive_state(da: &dyn DaPort, head: &Hash32) -> Result<(State, u64), DaError> {
    // Back to genesis, collecting the block commitments newest first.
    let mut blocks = Vec::new();
    let mut at = *head;
    // None: the head may be anything; Some(0): genesis is next; Some(n): block n is next.
    let mut expect: Option<u64> = None;
    let genesis = loop {
        match fetch(da, &at)? {
            DaBlob::Genesis(g) => match expect {
                None | Some(0) => break g,
                Some(n) => return Err(bad_link(at, format!("genesis where block {n} should be"))),
            },
            DaBlob::Block(b) => {
                if let Some(n) = expect.filter(|n| *n != b.number) {
                    let found = b.number;
                    return Err(bad_link(at, format!("block {found} where {n} should be")));
                }
                blocks.push(at);
                expect = Some(b.number - 1);
                at = b.parent;
            }
        }
    };
    let genesis_commitment = at;
    let mut state = genesis.state().map_err(|e| DaError::BadGenesis {
        commitment: genesis_commitment,
        reason: e.to_string(),
    })?;
    let max_txs = genesis.max_block_txs as usize;
    let max_ops = genesis.max_block_ops as usize;
    let mut number = 0;
    for commitment in blocks.into_iter().rev() {
        let DaBlob::Block(b) = fetch(da, &commitment)? else {
            return Err(bad_link(commitment, "no longer a block".into()));
        };
        if b.chain_id != genesis.chain_id {
            return Err(bad_link(
                commitment,
                format!(
                    "chain {} is not the genesis's {}",
                    b.chain_id, genesis.chain_id
                ),
            ));
        }
        check_root(
            &b.prev_state_root,
            &state.root_hash(),
            b.number,
            commitment,
            "previous",
        )?;
        let invalid = |reason: String| DaError::BlockInvalid {
            number: b.number,
            commitment,
            reason,
        };
        let (txs, ops) = b
            .decode_txs()
            .map_err(|(i, e)| invalid(format!("transaction {i}: {e}")))?;
        let block = Block {
            chain_id: b.chain_id,
            number: b.number,
            da_commitment: commitment,
            txs,
            ops,
        };
        state
            .apply_block(&block, max_txs, max_ops)
            .map_err(|e| invalid(e.to_string()))?;
        check_root(
            &b.new_state_root,
            &state.root_hash(),
            b.number,
            commitment,
            "new",
        )?;
        number = b.number;
    }
    Ok((state, number))
}

fn fetch(da: &dyn DaPort, commitment: &Hash32) -> Result<DaBlob, DaError> {
    let bytes = da.get(commitment)?.ok_or(DaError::Missing(*commitment))?;
    DaBlob::decode(&bytes).map_err(|source| DaError::Codec {
        commitment: *commitment,
        source,
    })
}

fn bad_link(commitment: Hash32, reason: String) -> DaError {
    DaError::BadLink { commitment, reason }
}

fn check_root(
    recorded: &Hash32,
    computed: &Hash32,
    number: u64,
    commitment: Hash32,
    which: &'static str,
) -> Result<(), DaError> {
    if recorded == computed {
        Ok(())
    } else {
        Err(DaError::RootMismatch {
            number,
            commitment,
            which,
            recorded: *recorded,
            computed: *computed,
        })
    }
}

#[cfg(test)]
mod tests;
