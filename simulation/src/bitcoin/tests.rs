//! Unit tests of SimBitcoin, one file per concern, sharing the fixture in `helpers`.

mod actor;
mod background;
mod blocks;
mod durable;
mod durable_faults;
mod durable_kill;
mod durable_props;
mod fees;
mod helpers;
mod mempool;
mod props;
mod reorg;
mod replacement;
mod schedule;
mod scripts;
