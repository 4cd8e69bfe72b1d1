//! Test doubles and helpers shared by the end-to-end scenarios.

/// Doubles of outside systems.
pub mod support {
    pub mod core_rpc_double;
}
