//! Test doubles and helpers shared by the end-to-end scenarios: a recording consumer of the
//! indexer's events that keeps the delivery contract (and logs every effect it applies, so a
//! scenario can check exactly-once), and the wiring of an indexer world under a supervisor.

pub mod support {
    //! Helpers, one module each.
    pub mod recording_consumer;
    pub mod world;
}
