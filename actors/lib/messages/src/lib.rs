//! Every message that crosses roles, in one place, so that no role crate depends on another.
//!
//! **The ownership rule:** a role's module here holds that role's whole interface: the
//! mailbox it accepts (its `*Msg` enum, with the types those messages carry and answer) and
//! the events it emits to other roles. A message therefore lives with the role whose
//! contract defines it, whichever side sends it: `PoolMsg` (the pool accepts it) and
//! `ProofEmitted` (the pool emits it) are both in [`prover`]; `IndexerEvent` is in
//! [`indexer`] although the state machine and the inscriber receive it. A receiver that takes
//! another role's event implements `From<Event>` for its own mailbox here too
//! (`MempoolMsg: From<ProofEmitted>`), so the emitter writes to a `Sink<Event>` and never
//! names the receiver.
//!
//! **Hand-off works one way:** the sender holds the receiver's `RoleRef` and asks; the
//! receiver persists, then acknowledges; the sender advances its own cursor only on the
//! acknowledgement, and re-sends from that cursor after a restart (receivers are
//! idempotent). A handler never waits for another role: the ask runs in a task whose outcome
//! comes back to the sender as a message of its own.
//!
//! - [`codec`]: the pieces the cluster wire protocols are encoded with;
//! - [`da`]: the DA port, its errors and the blobs a sequencer writes;
//! - [`indexer`]: events in chain order, acknowledgements, the consumer's cursor, the watch
//!   filter;
//! - [`inscriber`]: inscription requests and the inscriber's status;
//! - [`mempool`]: submissions, proofs in, typed refusals, status;
//! - [`neuron`]: the protocol neuron nodes speak with their chain's node over the cluster;
//! - [`prover`]: blocks to prove, proofs out, jobs, and the cluster wire protocol;
//! - [`sequencer`]: an AI chain's submissions, queries and answers;
//! - [`statemachine`]: the indexer's events in, the published [`statemachine::StateView`].

pub mod codec;
pub mod control;
pub mod da;
pub mod indexer;
pub mod inscriber;
pub mod mempool;
pub mod neuron;
pub mod prover;
pub mod sequencer;
pub mod statemachine;
