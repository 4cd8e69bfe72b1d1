//! Test doubles and helpers shared by the end-to-end scenarios: a double of Bitcoin Core's
//! JSON-RPC, a recording consumer of the indexer's events that keeps the delivery contract
//! (and logs every effect it applies, so a scenario can check exactly-once), and the wiring
//! of an indexer world under a supervisor.

pub mod support {
    //! Helpers and doubles of outside systems, one module each.
    pub mod canonical;
    pub mod core_rpc_double;
    pub mod devnet_world;
    pub mod hostile_node;
    pub mod inscribe;
    pub mod inscriber_world;
    pub mod p2tr;
    pub mod payloads;
    pub mod recording_consumer;
    pub mod regtest_core;
    pub mod world;
}
