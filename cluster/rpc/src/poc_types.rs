//! The JSON shapes of the Proof-of-Compute methods: signed ops and model bytes going in,
//! requests, neurons, models and a chain's summary coming out. A request is reported with
//! everything a client or a neuron needs to follow it without knowing the record layout:
//! seats (account, committed, revealed, agreed, slashed), settled parts, deadlines in L2
//! blocks, and the outcome as the chain computes it from the reveals so far (final once
//! `settled`). Field elements (a result digest) are 64 hex digits, big-endian canonical.

use super::hexser;
use bitai_chain::field::fr_to_be_bytes;
use bitai_chain::poc::{
    ModelRecord, NeuronRecord, PocParams, RequestRecord, ASSIGNEES, SETTLE_PARTS,
};
use bitai_chain::stf::Counters;
use bitai_protocol::{ChainId, Hash32};
use serde::{Deserialize, Serialize};

/// A seat of a request: one of the three neurons drawn for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatInfo {
    /// The seat (0..=2).
    pub seat: u8,
    /// The neuron's account.
    pub account: u32,
    /// It committed.
    pub committed: bool,
    /// It revealed.
    pub revealed: bool,
    /// Its revealed result agrees with another seat's.
    pub agreed: bool,
    /// It is (or, before settlement, would be) slashed.
    pub slashed: bool,
    /// Its commitment (a field element, 64 hex digits), once committed.
    #[serde(with = "hexser::opt_bytes32")]
    pub commitment: Option<[u8; 32]>,
    /// Its revealed result digest, once revealed.
    #[serde(with = "hexser::opt_bytes32")]
    pub result: Option<[u8; 32]>,
}

/// How a request settles, from the reveals so far (final once the request is settled).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeInfo {
    /// At least two seats agree.
    pub quorum: bool,
    /// The agreeing seats.
    pub agreeing_seats: Vec<u8>,
    /// Their accounts, in seat order.
    pub agreeing_accounts: Vec<u32>,
    /// The slashed seats' accounts, in seat order.
    pub slashed_accounts: Vec<u32>,
    /// Paid to each agreeing seat.
    pub share: u64,
    /// Paid back to the requester.
    pub refund: u64,
    /// The agreed result digest (`output_digest` of the output bytes), once agreed.
    #[serde(with = "hexser::opt_bytes32")]
    pub result_digest: Option<[u8; 32]>,
}

/// An inference request (`bitai_getRequest`, `bitai_getAssignments`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestInfo {
    /// The request id.
    pub id: u32,
    /// Who asked (and is refunded).
    pub requester: u32,
    /// The model id.
    pub model: u32,
    /// SHA-256 of the input bytes.
    #[serde(with = "hexser::hash")]
    pub input_hash: Hash32,
    /// Fee held until settlement.
    pub escrow: u64,
    /// The L2 block that created it.
    pub created_block: u64,
    /// Last block at which a commitment is accepted.
    pub commit_deadline: u64,
    /// Last block at which a reveal is accepted.
    pub reveal_deadline: u64,
    /// The three seats.
    pub seats: Vec<SeatInfo>,
    /// Settlement parts done (0..=2 the seats, 3 the refund).
    pub settled_parts: Vec<u8>,
    /// Every settlement part has run: the outcome is final.
    pub settled: bool,
    /// The outcome.
    pub outcome: OutcomeInfo,
    /// The agreed output bytes (hex), once a quorum agreed and the node has them.
    #[serde(with = "hexser::opt_bytes")]
    pub output: Option<Vec<u8>>,
}

impl RequestInfo {
    /// The JSON form of request `id`'s record under `params`, with its agreed `output`.
    pub fn new(
        id: u32,
        r: &RequestRecord,
        params: &PocParams,
        settled: bool,
        output: Option<Vec<u8>>,
    ) -> Self {
        let o = r.outcome();
        let seats: Vec<SeatInfo> = (0..ASSIGNEES)
            .map(|j| SeatInfo {
                seat: j as u8,
                account: r.assignees[j],
                committed: r.committed(j),
                revealed: r.revealed(j),
                agreed: o.agree[j],
                slashed: o.slashed(r, j),
                commitment: r.committed(j).then(|| fr_to_be_bytes(&r.commits[j])),
                result: r.revealed(j).then(|| fr_to_be_bytes(&r.results[j])),
            })
            .collect();
        let agreeing: Vec<&SeatInfo> = seats.iter().filter(|s| s.agreed).collect();
        RequestInfo {
            id,
            requester: r.requester,
            model: r.model,
            input_hash: r.input,
            escrow: r.escrow,
            created_block: r.created,
            commit_deadline: r.commit_deadline(params),
            reveal_deadline: r.reveal_deadline(params),
            settled_parts: (0..SETTLE_PARTS).filter(|p| r.settled(*p)).collect(),
            settled,
            outcome: OutcomeInfo {
                quorum: o.quorum,
                agreeing_seats: agreeing.iter().map(|s| s.seat).collect(),
                agreeing_accounts: agreeing.iter().map(|s| s.account).collect(),
                slashed_accounts: seats
                    .iter()
                    .filter(|s| s.slashed)
                    .map(|s| s.account)
                    .collect(),
                share: o.share,
                refund: o.refund,
                result_digest: o.result.map(|f| fr_to_be_bytes(&f)),
            },
            seats,
            output,
        }
    }
}

/// A registered neuron (`bitai_listNeurons`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeuronInfo {
    /// Its account.
    pub account: u32,
    /// Stake locked, after slashing.
    pub stake: u64,
    /// Fees earned so far.
    pub rewards: u64,
    /// Stake slashed (burned) so far.
    pub slashed: u64,
    /// 0 while bonded; else the first block it may withdraw.
    pub unlock_at: u64,
    /// Requests are drawn from it.
    pub active: bool,
}

impl NeuronInfo {
    /// The JSON form of `account`'s record.
    pub fn new(account: u32, r: &NeuronRecord, active: bool) -> Self {
        NeuronInfo {
            account,
            stake: r.stake,
            rewards: r.rewards,
            slashed: r.slashed,
            unlock_at: r.unlock_at,
            active,
        }
    }
}

/// A deployed model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The model id (the chain's counter).
    pub id: u32,
    /// SHA-256 of the model bytes (their DA commitment).
    #[serde(with = "hexser::hash")]
    pub hash: Hash32,
    /// Size in bytes.
    pub size: u32,
    /// The account that deployed it.
    pub owner: u32,
}

impl ModelInfo {
    /// The JSON form of model `id`.
    pub fn new(id: u32, m: &ModelRecord) -> Self {
        ModelInfo {
            id,
            hash: m.hash,
            size: m.size,
            owner: m.owner,
        }
    }
}

/// A chain's Proof-of-Compute summary (`bitai_getPocSummary`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PocInfo {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// Its parameters (windows and delays in L2 blocks).
    pub params: PocParams,
    /// Neurons in the active list.
    pub active_neurons: u32,
    /// Models deployed (the next model id).
    pub models_deployed: u32,
    /// Requests made (the next request id).
    pub requests_made: u32,
    /// Requests not fully settled.
    pub open_requests: u64,
    /// Op slots per block (0: the chain takes no ops).
    pub max_ops: u64,
    /// Every model, by id.
    pub models: Vec<ModelInfo>,
}

impl PocInfo {
    /// The JSON form of a sequencer's summary.
    pub fn new(
        chain: ChainId,
        params: PocParams,
        counters: Counters,
        models: &[(u32, ModelRecord)],
        open_requests: u64,
        max_ops: u64,
    ) -> Self {
        PocInfo {
            chain,
            params,
            active_neurons: counters.neurons,
            models_deployed: counters.models,
            requests_made: counters.requests,
            open_requests,
            max_ops,
            models: models
                .iter()
                .map(|(id, m)| ModelInfo::new(*id, m))
                .collect(),
        }
    }
}

/// Params of `bitai_submitPocOp`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitPocOpParams {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// `PocOp::to_bytes` of a signed op, hex.
    #[serde(with = "hexser::bytes")]
    pub op: Vec<u8>,
}

/// Params of `bitai_putModel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutModelParams {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// The canonical model file bytes, hex.
    #[serde(with = "hexser::bytes")]
    pub model: Vec<u8>,
}

/// Params of `bitai_getRequest` and `bitai_getRequestInput`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestParams {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// The request id.
    pub id: u32,
}

/// Params of `bitai_getModelBytes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelBytesParams {
    /// The model's hash (its DA commitment).
    #[serde(with = "hexser::hash")]
    pub hash: Hash32,
}

/// Params of `bitai_getAssignments` and `bitai_getNonce`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountOfChainParams {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// The account index.
    pub account: u32,
}

/// Bytes as a bare hex string, or `null` (the result of the methods that return bytes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OptHexBytes(#[serde(with = "hexser::opt_bytes")] pub Option<Vec<u8>>);
