//! The CLI against an in-process node (`bitai_rpc::test_node`): every subcommand parsed,
//! sent over real JSON-RPC, and its exit code checked.

mod admin;
mod cli;
mod poc;
