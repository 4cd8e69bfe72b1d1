//! The wire protocol between a coordinator's prover pool and prover nodes that join it over
//! `ractor_cluster`. Two message types cross nodes:
//!
//! - [`RemoteProverMsg`] goes to a remote prover (a member of group [`PROVERS_GROUP`]):
//!   `Prove` a leased block;
//! - [`GatewayMsg`] goes to the coordinator's gateway (the member of group
//!   [`PROVER_POOL_GROUP`]): `Finished` with the proof or why not, and `Heartbeat`s that keep
//!   a lease alive while it is being proved.
//!
//! `ActorRef`s do not cross nodes: each side finds the other through `ractor::pg`.
//!
//! Encoding (ours, not `BytesConvertable`, whose decoder cannot fail without panicking):
//! a version byte ([`PROTOCOL_VERSION`]), a tag byte, then fixed-width little-endian fields
//! and `u32`-length-prefixed byte strings, each bounded ([`MAX_CIRCUIT_BYTES`],
//! [`MAX_PROOF_BYTES`], [`MAX_REASON_BYTES`]); trailing bytes are an error. `ractor` calls
//! [`ractor::Message::deserialize`] on every frame from a peer and drops a frame it cannot
//! decode; ours logs why first.

use super::JobId;
pub use crate::codec::WireError;
use crate::codec::{self, put_bytes, Reader};
use bitai_protocol::ChainId;

/// Process group the coordinator's gateway joins; provers send reports to its members.
pub const PROVER_POOL_GROUP: &str = "prover_pool";
/// Process group remote provers join; the gateway watches it.
pub const PROVERS_GROUP: &str = "provers";
/// Version of this protocol, the first byte of every message.
pub const PROTOCOL_VERSION: u8 = 1;
/// Largest encoded block circuit a `Prove` may carry (the largest devnet shapes encode to
/// well under a megabyte).
pub const MAX_CIRCUIT_BYTES: usize = 8 << 20;
/// Largest proof a `Finished` may carry (a gnark Groth16 proof is a few hundred bytes).
pub const MAX_PROOF_BYTES: usize = 64 << 10;
/// Largest failure reason a `Finished` may carry.
pub const MAX_REASON_BYTES: usize = 4 << 10;
/// The `variant` name our frames carry in ractor's envelope (informational).
const VARIANT: &str = "bitai.prover.v1";

const TAG_PROVE: u8 = 1;
const TAG_FINISHED_OK: u8 = 2;
const TAG_FINISHED_ERR: u8 = 3;
const TAG_HEARTBEAT: u8 = 4;

/// To a remote prover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteProverMsg {
    /// Prove this block and report to the pool's gateway, heartbeating while proving.
    Prove {
        /// The block (chain and number).
        job: JobId,
        /// The lease to quote back.
        lease_id: u64,
        /// Heartbeat the lease this often while proving, ms (the coordinator's
        /// `cluster.heartbeat_interval_ms`).
        heartbeat_interval_ms: u64,
        /// `bitai_proofs::circuit::BlockCircuit::to_bytes`.
        circuit: Vec<u8>,
    },
    /// Local only (never encoded): drain. The prover has finished what it was proving (this
    /// message waits behind it), leaves group [`PROVERS_GROUP`] so the pool leases it nothing
    /// new, still proves what was leased before the pool noticed, and stops after a grace
    /// period.
    Drain,
    /// Local only (never encoded): the drain's grace period is over; stop.
    DrainDone,
}

/// To the coordinator's gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayMsg {
    /// A lease is done.
    Finished {
        /// The block.
        job: JobId,
        /// The lease it was given.
        lease_id: u64,
        /// The proof in gnark's format, or why proving failed.
        result: Result<Vec<u8>, String>,
        /// How long proving took, by the prover's clock.
        prove_ms: u64,
    },
    /// The lease is still being worked on.
    Heartbeat {
        /// The lease.
        lease_id: u64,
    },
    /// Local only (never encoded): re-announce the current members of [`PROVERS_GROUP`] to
    /// the pool, which may have restarted and forgotten them.
    Resync,
}

impl RemoteProverMsg {
    /// The message's bytes; `None` for the local-only drain messages.
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        let RemoteProverMsg::Prove {
            job,
            lease_id,
            heartbeat_interval_ms,
            circuit,
        } = self
        else {
            return None;
        };
        let mut out = Vec::with_capacity(circuit.len() + 64);
        out.extend_from_slice(&[PROTOCOL_VERSION, TAG_PROVE]);
        put_job(&mut out, job);
        out.extend_from_slice(&lease_id.to_le_bytes());
        out.extend_from_slice(&heartbeat_interval_ms.to_le_bytes());
        put_bytes(&mut out, circuit);
        Some(out)
    }

    /// Decodes bytes from a peer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes, PROTOCOL_VERSION)?;
        let msg = match r.u8()? {
            TAG_PROVE => RemoteProverMsg::Prove {
                job: read_job(&mut r)?,
                lease_id: r.u64()?,
                heartbeat_interval_ms: r.u64()?,
                circuit: r.bytes("circuit", MAX_CIRCUIT_BYTES)?,
            },
            tag => return Err(WireError::Tag(tag)),
        };
        r.finish()?;
        Ok(msg)
    }
}

impl GatewayMsg {
    /// The message's bytes; `None` for the local-only [`GatewayMsg::Resync`].
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        let mut out = vec![PROTOCOL_VERSION];
        match self {
            GatewayMsg::Finished {
                job,
                lease_id,
                result,
                prove_ms,
            } => {
                let (tag, body) = match result {
                    Ok(proof) => (TAG_FINISHED_OK, proof.as_slice()),
                    Err(reason) => (TAG_FINISHED_ERR, reason.as_bytes()),
                };
                out.push(tag);
                put_job(&mut out, job);
                out.extend_from_slice(&lease_id.to_le_bytes());
                out.extend_from_slice(&prove_ms.to_le_bytes());
                put_bytes(&mut out, body);
            }
            GatewayMsg::Heartbeat { lease_id } => {
                out.push(TAG_HEARTBEAT);
                out.extend_from_slice(&lease_id.to_le_bytes());
            }
            GatewayMsg::Resync => return None,
        }
        Some(out)
    }

    /// Decodes bytes from a peer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes, PROTOCOL_VERSION)?;
        let msg = match r.u8()? {
            tag @ (TAG_FINISHED_OK | TAG_FINISHED_ERR) => {
                let job = read_job(&mut r)?;
                let lease_id = r.u64()?;
                let prove_ms = r.u64()?;
                let result = if tag == TAG_FINISHED_OK {
                    Ok(r.bytes("proof", MAX_PROOF_BYTES)?)
                } else {
                    Err(r.text("reason", MAX_REASON_BYTES)?)
                };
                GatewayMsg::Finished {
                    job,
                    lease_id,
                    result,
                    prove_ms,
                }
            }
            TAG_HEARTBEAT => GatewayMsg::Heartbeat { lease_id: r.u64()? },
            tag => return Err(WireError::Tag(tag)),
        };
        r.finish()?;
        Ok(msg)
    }
}

impl bitai_runtime::WireMessage for RemoteProverMsg {
    fn to_wire(&self) -> Option<Vec<u8>> {
        self.to_bytes()
    }

    fn from_wire(bytes: &[u8]) -> Result<Self, String> {
        Self::from_bytes(bytes).map_err(|e| e.to_string())
    }

    fn label(&self) -> String {
        match self {
            RemoteProverMsg::Prove { job, lease_id, .. } => {
                format!("prove {} lease {lease_id}", job_label(job))
            }
            RemoteProverMsg::Drain => "drain".into(),
            RemoteProverMsg::DrainDone => "drain done".into(),
        }
    }
}

impl bitai_runtime::WireMessage for GatewayMsg {
    fn to_wire(&self) -> Option<Vec<u8>> {
        self.to_bytes()
    }

    fn from_wire(bytes: &[u8]) -> Result<Self, String> {
        Self::from_bytes(bytes).map_err(|e| e.to_string())
    }

    fn label(&self) -> String {
        match self {
            GatewayMsg::Finished {
                job,
                lease_id,
                result,
                ..
            } => format!(
                "finished {} lease {lease_id} {}",
                job_label(job),
                if result.is_ok() { "ok" } else { "failed" }
            ),
            GatewayMsg::Heartbeat { lease_id } => format!("heartbeat lease {lease_id}"),
            GatewayMsg::Resync => "resync".into(),
        }
    }
}

/// A job as traces name it: the chain id's first eight hex digits and the block number.
fn job_label(job: &JobId) -> String {
    let chain = job.chain_id.to_string();
    format!("{}#{}", &chain[..chain.len().min(8)], job.block_number)
}

/// A reason cut to [`MAX_REASON_BYTES`] (on a character boundary), so a long error from
/// the prover still fits a `Finished`.
pub fn bounded_reason(reason: String) -> String {
    codec::bounded_text(reason, MAX_REASON_BYTES)
}

fn put_job(out: &mut Vec<u8>, job: &JobId) {
    out.extend_from_slice(job.chain_id.0.as_bytes());
    out.extend_from_slice(&job.block_number.to_le_bytes());
}

fn read_job(r: &mut Reader<'_>) -> Result<JobId, WireError> {
    Ok(JobId {
        chain_id: ChainId(r.hash()?),
        block_number: r.u64()?,
    })
}

codec::cluster_message!(RemoteProverMsg, VARIANT, "prove", "the pool");
codec::cluster_message!(GatewayMsg, VARIANT, "report", "a prover");

#[cfg(test)]
mod tests {
    use super::*;
    use bitai_protocol::Hash32;
    use proptest::prelude::*;
    use ractor::message::SerializedMessage;

    fn job(seed: u8, block_number: u64) -> JobId {
        JobId {
            chain_id: ChainId(Hash32([seed; 32])),
            block_number,
        }
    }

    #[test]
    fn every_message_round_trips() {
        let prove = RemoteProverMsg::Prove {
            job: job(7, 9),
            lease_id: 3,
            heartbeat_interval_ms: 2_000,
            circuit: vec![1, 2, 3],
        };
        assert_eq!(
            RemoteProverMsg::from_bytes(&prove.to_bytes().expect("encodable")).expect("decodes"),
            prove
        );
        for msg in [
            GatewayMsg::Finished {
                job: job(1, 2),
                lease_id: 4,
                result: Ok(vec![9; 256]),
                prove_ms: 1_500,
            },
            GatewayMsg::Finished {
                job: job(1, 2),
                lease_id: 4,
                result: Err("no proving key for this shape".into()),
                prove_ms: 0,
            },
            GatewayMsg::Heartbeat { lease_id: 77 },
        ] {
            let bytes = msg.to_bytes().expect("encodable");
            assert_eq!(GatewayMsg::from_bytes(&bytes).expect("decodes"), msg);
        }
        assert_eq!(GatewayMsg::Resync.to_bytes(), None, "local only");
        assert_eq!(RemoteProverMsg::Drain.to_bytes(), None, "local only");
        assert_eq!(RemoteProverMsg::DrainDone.to_bytes(), None, "local only");
    }

    #[test]
    fn bounds_versions_and_trailing_bytes_are_refused() {
        let mut big = vec![PROTOCOL_VERSION, TAG_PROVE];
        big.extend_from_slice(&[0; 56]);
        big.extend_from_slice(&((MAX_CIRCUIT_BYTES + 1) as u32).to_le_bytes());
        assert!(matches!(
            RemoteProverMsg::from_bytes(&big),
            Err(WireError::TooLong {
                what: "circuit",
                ..
            })
        ));
        let mut beat = GatewayMsg::Heartbeat { lease_id: 1 }
            .to_bytes()
            .expect("encodable");
        beat.push(0);
        assert_eq!(GatewayMsg::from_bytes(&beat), Err(WireError::Trailing(1)));
        beat[0] = 2;
        assert_eq!(GatewayMsg::from_bytes(&beat), Err(WireError::Version(2)));
        assert_eq!(GatewayMsg::from_bytes(&[]), Err(WireError::Truncated));
        let long = "é".repeat(MAX_REASON_BYTES);
        assert!(bounded_reason(long).len() <= MAX_REASON_BYTES);
    }

    #[test]
    fn ractor_frames_round_trip_and_garbage_is_dropped() {
        use ractor::Message;
        let prove = RemoteProverMsg::Prove {
            job: job(2, 1),
            lease_id: 8,
            heartbeat_interval_ms: 1,
            circuit: vec![5; 10],
        };
        let frame = prove.clone().serialize().expect("serializable");
        assert_eq!(RemoteProverMsg::deserialize(frame).expect("decodes"), prove);
        let beat = GatewayMsg::Heartbeat { lease_id: 3 };
        let frame = beat.clone().serialize().expect("serializable");
        assert_eq!(GatewayMsg::deserialize(frame).expect("decodes"), beat);
        assert!(GatewayMsg::Resync.serialize().is_err(), "local only");
        let garbage = SerializedMessage::Cast {
            variant: VARIANT.into(),
            args: vec![PROTOCOL_VERSION, 99],
            metadata: None,
        };
        assert!(GatewayMsg::deserialize(garbage).is_err());
        let reply = SerializedMessage::CallReply(1, vec![]);
        assert!(RemoteProverMsg::deserialize(reply).is_err());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = RemoteProverMsg::from_bytes(&bytes);
            let _ = GatewayMsg::from_bytes(&bytes);
        }

        #[test]
        fn every_truncation_is_an_error(
            circuit in proptest::collection::vec(any::<u8>(), 0..256),
            lease_id in any::<u64>(),
            cut_seed in any::<usize>(),
        ) {
            let prove = RemoteProverMsg::Prove {
                job: job(3, 5), lease_id, heartbeat_interval_ms: 7, circuit: circuit.clone(),
            }
                .to_bytes()
                .expect("encodable");
            let cut = cut_seed % prove.len();
            prop_assert!(RemoteProverMsg::from_bytes(&prove[..cut]).is_err());
            let done = GatewayMsg::Finished {
                job: job(3, 5), lease_id, result: Ok(circuit), prove_ms: 9,
            }.to_bytes().expect("encodable");
            let cut = cut_seed % done.len();
            prop_assert!(GatewayMsg::from_bytes(&done[..cut]).is_err());
        }
    }
}
