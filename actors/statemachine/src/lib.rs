//! The BitAI state machine: the node's view of what Bitcoin has confirmed about every AI
//! chain.
//!
//! It consumes the indexer's events ([`StateMachine`], an indexer consumer with the usual
//! cursor-and-acknowledgement contract) and executes the BitAI transactions of each connected
//! Bitcoin block in block order against two system contracts: the **chain registry**
//! (`CreateChain`) and the **verifier contract** (`SubmitProof`: a chain's verified root
//! advances only by a valid proof of the next block whose previous root is the current one).
//! Each block keeps an undo journal, so a disconnected block is rolled back exactly. Invalid
//! transactions are rejected with a logged reason and no effect. The rules themselves are
//! pure functions in [`rules`], shared with the BitAI mempool.
//!
//! Wiring: the state machine's indexer must not reorg deeper than `finality_depth` (its
//! `reorg_depth_max` at most that), or the state machine halts with
//! [`StateMachineError::JournalMissing`] rather than guess. The view it publishes on its
//! `watch` channel (at start from the store, then after every applied event) is what the
//! mempool, RPC and the devnet read; [`StateMachineMsg::VerifiedBlock`] answers for one
//! verified L2 block.

mod actor;
mod config;
mod engine;
mod metrics;
mod overlay;
pub mod records;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use actor::{StateMachine, StateMachineArgs, StateMachineState};
pub use config::StateMachineConfig;
pub use engine::{StateMachineEngine, StateMachineError};
pub use metrics::StateMachineMetrics;
pub use records::{CURSOR_KEYSPACE, KEYSPACE};

#[cfg(test)]
mod tests;
