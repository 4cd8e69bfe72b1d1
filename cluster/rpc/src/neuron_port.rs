//! A neuron on another machine: [`RpcPort`] is the [`ChainPort`] a neuron sees its chain
//! through over a node's JSON-RPC (`bitai neuron run`), so a miner joins a chain with
//! nothing but the node's URL, its key and its account. Every answer is outside input: a
//! request's seats come back as a [`RequestRecord`] only if they are well formed (canonical
//! field elements, three seats), and the neuron checks model bytes and inputs against the
//! hashes the chain holds before it uses them.

use super::poc_types::RequestInfo;
use super::{Client, ClientError};
use async_trait::async_trait;
use bitai_chain::field::fr_from_be_bytes;
use bitai_chain::poc::records::{FLAG_COMMITTED, FLAG_REVEALED, FLAG_SETTLED};
use bitai_chain::poc::{ModelRecord, PocOp, RequestRecord, ASSIGNEES, SETTLE_PARTS};
use bitai_neuron::{ChainPort, NeuronPortError};
use bitai_protocol::{ChainId, Hash32};

/// A [`ChainPort`] over a node's JSON-RPC.
pub struct RpcPort {
    client: Client,
    chain: ChainId,
}

impl RpcPort {
    /// The port of `chain` on the node `client` talks to.
    pub fn new(client: Client, chain: ChainId) -> Self {
        RpcPort { client, chain }
    }
}

fn port_error(e: ClientError) -> NeuronPortError {
    match e {
        // The node answered: a refusal carries the sequencer's reason.
        ClientError::Api(_) | ClientError::Rpc { .. } => NeuronPortError::Refused(e.to_string()),
        other => NeuronPortError::Unavailable(other.to_string()),
    }
}

impl RequestInfo {
    /// The request record this report describes (the inverse of [`RequestInfo::new`]).
    pub fn to_record(&self) -> Result<RequestRecord, String> {
        if self.seats.len() != ASSIGNEES {
            return Err(format!("{} seats, not {ASSIGNEES}", self.seats.len()));
        }
        let field = |b: &Option<[u8; 32]>| {
            b.map_or(Ok(Default::default()), |b| {
                fr_from_be_bytes(&b).map_err(|e| format!("seat value: {e}"))
            })
        };
        let mut flags = 0u16;
        let mut assignees = [0u32; ASSIGNEES];
        let mut commits = [Default::default(); ASSIGNEES];
        let mut results = [Default::default(); ASSIGNEES];
        for (j, s) in self.seats.iter().enumerate() {
            if usize::from(s.seat) != j {
                return Err(format!("seat {} out of order", s.seat));
            }
            assignees[j] = s.account;
            commits[j] = field(&s.commitment)?;
            results[j] = field(&s.result)?;
            flags |= (FLAG_COMMITTED << j) * u16::from(s.committed);
            flags |= (FLAG_REVEALED << j) * u16::from(s.revealed);
        }
        for p in &self.settled_parts {
            if *p >= SETTLE_PARTS {
                return Err(format!("settled part {p}"));
            }
            flags |= FLAG_SETTLED << p;
        }
        Ok(RequestRecord {
            requester: self.requester,
            model: self.model,
            input: self.input_hash,
            escrow: self.escrow,
            created: self.created_block,
            assignees,
            commits,
            results,
            flags,
        })
    }
}

#[async_trait]
impl ChainPort for RpcPort {
    async fn params(&self) -> Result<bitai_chain::poc::PocParams, NeuronPortError> {
        let summary = self
            .client
            .poc_summary(self.chain)
            .await
            .map_err(port_error)?;
        Ok(summary.params)
    }

    async fn head(&self) -> Result<u64, NeuronPortError> {
        let chain = self
            .client
            .chain(self.chain)
            .await
            .map_err(port_error)?
            .ok_or_else(|| {
                NeuronPortError::Invalid(format!("the node does not know {}", self.chain))
            })?;
        chain.sequencer.map(|s| s.head_block).ok_or_else(|| {
            NeuronPortError::Unavailable("the node does not sequence the chain".into())
        })
    }

    async fn assignments(
        &self,
        account: u32,
    ) -> Result<Vec<(u32, RequestRecord)>, NeuronPortError> {
        self.client
            .assignments(self.chain, account)
            .await
            .map_err(port_error)?
            .iter()
            .map(|r| Ok((r.id, r.to_record().map_err(NeuronPortError::Invalid)?)))
            .collect()
    }

    async fn model(&self, id: u32) -> Result<Option<ModelRecord>, NeuronPortError> {
        let summary = self
            .client
            .poc_summary(self.chain)
            .await
            .map_err(port_error)?;
        Ok(summary
            .models
            .iter()
            .find(|m| m.id == id)
            .map(|m| ModelRecord {
                hash: m.hash,
                size: m.size,
                owner: m.owner,
            }))
    }

    async fn model_bytes(&self, hash: Hash32) -> Result<Option<Vec<u8>>, NeuronPortError> {
        self.client.model_bytes(hash).await.map_err(port_error)
    }

    async fn request_input(&self, id: u32) -> Result<Option<Vec<u8>>, NeuronPortError> {
        self.client
            .request_input(self.chain, id)
            .await
            .map_err(port_error)
    }

    async fn nonce(&self, account: u32) -> Result<u64, NeuronPortError> {
        self.client
            .nonce(self.chain, account)
            .await
            .map_err(port_error)?
            .ok_or_else(|| NeuronPortError::Invalid(format!("account {account} does not exist")))
    }

    async fn submit(&self, op: PocOp) -> Result<Hash32, NeuronPortError> {
        self.client
            .submit_poc_op(self.chain, op.to_bytes())
            .await
            .map_err(port_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitai_chain::field::Fr;
    use bitai_chain::poc::PocParams;

    #[test]
    fn a_request_survives_its_json_report() {
        let r = RequestRecord {
            requester: 1,
            model: 2,
            input: Hash32::sha256(b"in"),
            escrow: 900,
            created: 7,
            assignees: [10, 11, 12],
            commits: [Fr::from(5u64), Fr::from(6u64), Fr::from(0u64)],
            results: [Fr::from(9u64), Fr::from(0u64), Fr::from(0u64)],
            flags: FLAG_COMMITTED | (FLAG_COMMITTED << 1) | FLAG_REVEALED | (FLAG_SETTLED << 3),
        };
        let info = RequestInfo::new(3, &r, &PocParams::DEFAULT, false, None);
        let json = serde_json::to_string(&info).expect("serializes");
        let back: RequestInfo = serde_json::from_str(&json).expect("parses");
        assert_eq!(back.to_record(), Ok(r));
        let mut bad = back.clone();
        bad.seats.pop();
        assert!(bad.to_record().is_err());
    }
}
