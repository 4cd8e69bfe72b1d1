//! The inscriber's place in the node: its role, its own indexer instance (keyspace
//! `inscriber_indexer`, with the wallet's watch filter) and their child specs, to run under
//! the node's supervisor. Requests sent to the role before the node starts are buffered by
//! its proxy.

use bitai_bitcoin::SharedBitcoin;
use bitai_indexer::{Indexer, IndexerArgs, IndexerMetrics};
use bitai_inscriber::{
    wallet_keys, FeePolicy, Inscriber, InscriberArgs, InscriberMetrics, INDEXER_KEYSPACE,
    STATE_FORMAT,
};
use bitai_messages::indexer::{IndexerMsg, WatchFilter};
use bitai_messages::inscriber::InscriberMsg;
use bitai_runtime::{ChildSpec, RoleRef, SharedClock};
use bitai_storage::SharedStore;
use std::sync::Arc;

/// The inscriber's children and its role.
pub struct InscriberRoles {
    /// The child specs (the inscriber first, so its watch filter is complete before its
    /// indexer reads a block).
    pub children: Vec<ChildSpec>,
    /// The inscriber's role.
    pub role: RoleRef<InscriberMsg>,
}

/// Builds the inscriber's roles over the node's ports.
pub async fn roles(
    node: &crate::config::NodeConfig,
    bitcoin: SharedBitcoin,
    store: SharedStore,
    clock: SharedClock,
    registry: &prometheus::Registry,
) -> anyhow::Result<InscriberRoles> {
    let (config, seed) = (node.inscriber.clone(), node.node.seed);
    let role =
        RoleRef::<InscriberMsg>::spawn(Some("inscriber".into()), "inscriber", 100_000).await?;
    let indexer = RoleRef::<IndexerMsg>::spawn(
        Some("inscriber_indexer".into()),
        "inscriber_indexer",
        10_000,
    )
    .await?;
    let keys = wallet_keys(&config, &store, seed)?;
    let watch = WatchFilter::new();
    watch.add_script(keys.script_pubkey().clone());
    let indexer_args = IndexerArgs {
        // The inscriber follows the chain from the node's start height.
        config: node.indexer.clone(),
        bitcoin: bitcoin.clone(),
        store: store.clone(),
        keyspace: INDEXER_KEYSPACE.to_owned(),
        watch: Some(watch.clone()),
        sink: Arc::new(role.clone()),
        clock,
        // Its own registry: the node's indexer owns the indexer metric names.
        metrics: IndexerMetrics::new(&prometheus::Registry::new()),
    };
    let inscriber_args = InscriberArgs {
        config,
        bitcoin,
        store,
        indexer: indexer.clone(),
        watch,
        seed,
        metrics: InscriberMetrics::new(registry),
        faults: None,
    };
    // Two fee policies compiled in; `bitai admin swap` moves between them.
    let version = |policy: FeePolicy| {
        let mut args = inscriber_args.clone();
        args.config.fee_policy = policy;
        move || (Inscriber, args.clone())
    };
    let children = vec![
        ChildSpec::role("inscriber", role.clone(), version(FeePolicy::Prompt))
            .with_version(FeePolicy::Prompt.version())
            .or_version(
                FeePolicy::Economical.version(),
                role.clone(),
                version(FeePolicy::Economical),
            )
            .state_format(FeePolicy::Prompt.version(), STATE_FORMAT, &[STATE_FORMAT])
            .state_format(
                FeePolicy::Economical.version(),
                STATE_FORMAT,
                &[STATE_FORMAT],
            ),
        ChildSpec::role("inscriber_indexer", indexer, move || {
            (Indexer, indexer_args.clone())
        }),
    ];
    Ok(InscriberRoles { children, role })
}
