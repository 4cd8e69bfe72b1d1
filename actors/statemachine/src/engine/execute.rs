//! Execution of one BitAI transaction of a connected block against the block's working set
//! of chain records: the chain registry for `CreateChain`, the verifier contract for
//! `SubmitProof`, both through [`bitai_contract`]. A rule failure is a value (the caller logs
//! and records it), never an error of the state machine.

use super::StateMachineEngine;
use crate::overlay::Overlay;
use crate::records::{
    self, proof_key, verified_key, ChainRecord, FinalityMark, FinalityMarks, VerifiedRecord,
};
use bitai_contract as rules;
use bitai_contract::{ChainHead, RuleError};
use bitai_messages::indexer::{ConnectedBlock, IndexedTx};
use bitai_protocol::{BitaiTx, ChainId};
use bitai_storage::StoreError;
use bitcoin::hashes::Hash;
use std::collections::BTreeMap;

impl StateMachineEngine {
    pub(super) fn record(
        &self,
        chain: &ChainId,
        working: &BTreeMap<ChainId, ChainRecord>,
    ) -> Option<ChainRecord> {
        working
            .get(chain)
            .or_else(|| self.chains.get(chain))
            .cloned()
    }

    /// Executes one BitAI transaction against the block's working set.
    pub(super) fn execute(
        &self,
        b: &ConnectedBlock,
        itx: &IndexedTx,
        working: &mut BTreeMap<ChainId, ChainRecord>,
        overlay: &mut Overlay<'_>,
        marks: &mut FinalityMarks,
    ) -> Result<Result<(), RuleError>, StoreError> {
        match &itx.tx {
            BitaiTx::CreateChain(c) => {
                let new_here = working
                    .keys()
                    .filter(|k| !self.chains.contains_key(k))
                    .count();
                let count = (self.chains.len() + new_here) as u64;
                let exists =
                    |id: &ChainId| self.chains.contains_key(id) || working.contains_key(id);
                match rules::check_create_chain(c, exists, count, &self.config.registry_rules()) {
                    Err(e) => Ok(Err(e)),
                    Ok(id) => {
                        working.insert(
                            id,
                            ChainRecord {
                                create: c.clone(),
                                created_height: b.height,
                                created_txid: itx.txid.to_byte_array(),
                                verified_block: 0,
                                verified_root: c.genesis_state_root,
                                final_block: 0,
                                final_root: c.genesis_state_root,
                            },
                        );
                        Ok(Ok(()))
                    }
                }
            }
            BitaiTx::SubmitProof(p) => {
                let Some(mut rec) = self.record(&p.chain_id, working) else {
                    return Ok(Err(RuleError::UnknownChain(p.chain_id)));
                };
                let head = ChainHead {
                    create: &rec.create,
                    verified_block: rec.verified_block,
                    verified_root: rec.verified_root,
                };
                if let Err(e) = rules::check_submit_proof(p, Some(head)) {
                    return Ok(Err(e));
                }
                rec.verified_block = p.block_number;
                rec.verified_root = p.new_state_root;
                working.insert(p.chain_id, rec);
                let verified = VerifiedRecord {
                    number: p.block_number,
                    prev_root: p.prev_state_root,
                    new_root: p.new_state_root,
                    da_commitment: p.da_commitment,
                    bitcoin_height: b.height,
                    bitcoin_txid: itx.txid.to_byte_array(),
                };
                overlay.put(
                    verified_key(&p.chain_id, p.block_number),
                    records::encode(&verified),
                )?;
                overlay.put(proof_key(&p.chain_id, p.block_number), p.proof.clone())?;
                marks.push(FinalityMark {
                    chain: p.chain_id,
                    number: p.block_number,
                    root: p.new_state_root,
                });
                Ok(Ok(()))
            }
            other => Ok(Err(RuleError::UnsupportedKind(other.kind().to_owned()))),
        }
    }
}
