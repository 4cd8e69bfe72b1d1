//! Data availability for AI chains. A sequencer posts every block's data to a DA layer and the
//! block proof binds the returned commitment, so anyone holding the blobs can check what the
//! chain did without trusting the sequencer. The port, its errors and the blob format are the
//! DA's interface, in `bitai_messages::da`; this crate holds what sits behind it:
//!
//! - [`EmbeddedDa`]: the backend on the node's own store (keyspace `da`).
//! - [`rederive`]: re-executes a chain from DA alone and checks every recorded state root.

pub mod embedded;
pub mod rederive;

pub use embedded::{EmbeddedDa, DA_KEYSPACE};
pub use rederive::rederive_state;
