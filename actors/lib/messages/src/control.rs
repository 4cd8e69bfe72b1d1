//! The node-control protocol: what a coordinator's operator asks of a node that joined its
//! cluster (a prover node, a neuron node), through the admin endpoint
//! (`bitai admin drain --node NAME`). Every joined node runs one control actor in group
//! [`CONTROL_GROUP`]; the coordinator finds a node's actor there by the node's cluster id
//! and sends it a [`NodeControlMsg`].
//!
//! One message today, [`NodeControlMsg::Drain`]: the node does what SIGTERM makes it do
//! (finish or hand back what it holds, take nothing new, leave). It is idempotent, so a
//! repeated or late drain changes nothing, and a lost one is sent again by the operator.
//! Bytes: the version byte, a tag, then the fields; bounded, never panicking
//! ([`crate::codec`]).

use crate::codec::{self, put_bytes, Reader, WireError};

/// Process group every joined node's control actor is in.
pub const CONTROL_GROUP: &str = "node_control";
/// Version of this protocol, the first byte of every message.
pub const PROTOCOL_VERSION: u8 = 1;
/// Largest reason a drain carries.
pub const MAX_REASON_BYTES: usize = 256;
/// The `variant` name our frames carry in ractor's envelope (informational).
const VARIANT: &str = "bitai.control.v1";

const TAG_DRAIN: u8 = 1;

/// To a joined node's control actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeControlMsg {
    /// Drain, then leave: take no new leases or seats, finish or hand back what is held.
    Drain {
        /// Who asked and why, for the node's log.
        reason: String,
    },
}

impl NodeControlMsg {
    /// The message's bytes (every variant crosses nodes).
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        let NodeControlMsg::Drain { reason } = self;
        let mut out = vec![PROTOCOL_VERSION, TAG_DRAIN];
        put_bytes(
            &mut out,
            codec::bounded_text(reason.clone(), MAX_REASON_BYTES).as_bytes(),
        );
        Some(out)
    }

    /// Decodes bytes from a peer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes, PROTOCOL_VERSION)?;
        let msg = match r.u8()? {
            TAG_DRAIN => NodeControlMsg::Drain {
                reason: r.text("reason", MAX_REASON_BYTES)?,
            },
            tag => return Err(WireError::Tag(tag)),
        };
        r.finish()?;
        Ok(msg)
    }
}

codec::cluster_message!(NodeControlMsg, VARIANT, "control", "the coordinator");

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_drain_round_trips_and_every_cut_is_refused() {
        let msg = NodeControlMsg::Drain {
            reason: "rolling replacement".into(),
        };
        let bytes = msg.to_bytes().expect("encodes");
        assert_eq!(NodeControlMsg::from_bytes(&bytes), Ok(msg));
        for cut in 0..bytes.len() {
            assert!(
                NodeControlMsg::from_bytes(&bytes[..cut]).is_err(),
                "cut {cut}"
            );
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(
            NodeControlMsg::from_bytes(&trailing),
            Err(WireError::Trailing(1))
        );
        let mut other = bytes;
        other[0] = 9;
        assert_eq!(
            NodeControlMsg::from_bytes(&other),
            Err(WireError::Version(9))
        );
    }

    #[test]
    fn a_long_reason_is_cut_to_its_bound() {
        let msg = NodeControlMsg::Drain {
            reason: "é".repeat(MAX_REASON_BYTES),
        };
        let bytes = msg.to_bytes().expect("encodes");
        let NodeControlMsg::Drain { reason } = NodeControlMsg::from_bytes(&bytes).expect("decodes");
        assert!(reason.len() <= MAX_REASON_BYTES);
    }

    proptest! {
        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = NodeControlMsg::from_bytes(&bytes);
        }
    }
}
