//! The wiring of the inscriber scenarios: the inscriber and its own indexer instance (with
//! the wallet's watch filter) as children of one supervisor over SimBitcoin, a port wrapper
//! that records every transaction the node accepted from the inscriber, funding of the
//! inscriber's wallet from the miner, and the checker that reads every BitAI envelope of the
//! final chain back with the indexer's own block decoding.

use bitai_bitcoin::{BitcoinPort, ChainTip, PortError, SharedBitcoin, Utxo};
use bitai_indexer::{
    decode_block, extract_bitai_txs, Indexer, IndexerArgs, IndexerConfig, IndexerMetrics,
};
use bitai_inscriber::{
    wallet_keys, Inscriber, InscriberArgs, InscriberConfig, InscriberMetrics, SharedFaults,
    INDEXER_KEYSPACE,
};
use bitai_messages::indexer::{IndexerMsg, WatchFilter};
use bitai_messages::inscriber::{InscribeOutcome, InscriberMsg, InscriberStatus};
use bitai_protocol::envelope::{parse_transaction, Body};
use bitai_runtime::{
    ChildSpec, RestartPolicy, RoleRef, SharedClock, Supervisor, SupervisorArgs, SupervisorMsg,
};
use bitai_simulation::bitcoin::SimBitcoin;
use bitai_storage::SharedStore;
use bitcoin::{Address, Amount, BlockHash, FeeRate, OutPoint, Transaction, TxOut, Txid};
use ractor::concurrency::JoinHandle;
use ractor::{Actor, ActorRef};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// SimBitcoin, recording every transaction it accepted through `broadcast`.
pub struct RecordingPort {
    /// The network.
    pub sim: SimBitcoin,
    /// Accepted broadcasts, in order.
    pub accepted: Mutex<Vec<Transaction>>,
}

impl BitcoinPort for RecordingPort {
    fn tip(&self) -> Result<ChainTip, PortError> {
        self.sim.tip()
    }
    fn block_hash(&self, height: u64) -> Result<Option<BlockHash>, PortError> {
        self.sim.block_hash(height)
    }
    fn block(&self, hash: &BlockHash) -> Result<Vec<u8>, PortError> {
        self.sim.block(hash)
    }
    fn broadcast(&self, tx: &Transaction) -> Result<Txid, PortError> {
        let r = self.sim.broadcast(tx);
        if r.is_ok() {
            self.accepted.lock().expect("not poisoned").push(tx.clone());
        }
        r
    }
    fn in_mempool(&self, txid: &Txid) -> Result<bool, PortError> {
        self.sim.in_mempool(txid)
    }
    fn estimate_fee_rate(&self, target_blocks: u16) -> Result<FeeRate, PortError> {
        self.sim.estimate_fee_rate(target_blocks)
    }
    fn utxos(&self, addresses: &[Address]) -> Result<Vec<Utxo>, PortError> {
        self.sim.utxos(addresses)
    }
}

impl RecordingPort {
    /// Pairs of distinct accepted transactions spending a common outpoint that are not a
    /// deliberate bump (same inputs, the later paying strictly less out, that is more fee).
    pub fn self_conflicts(&self) -> Vec<(Txid, Txid)> {
        let accepted = self.accepted.lock().expect("not poisoned");
        let mut by_input: BTreeMap<OutPoint, Vec<usize>> = BTreeMap::new();
        let mut seen = BTreeMap::new();
        for (i, tx) in accepted.iter().enumerate() {
            if seen.insert(tx.compute_txid(), i).is_some() {
                continue;
            }
            for input in &tx.input {
                by_input.entry(input.previous_output).or_default().push(i);
            }
        }
        let out_sum = |tx: &Transaction| tx.output.iter().map(|o| o.value.to_sat()).sum::<u64>();
        let inputs = |tx: &Transaction| {
            let mut v: Vec<OutPoint> = tx.input.iter().map(|i| i.previous_output).collect();
            v.sort();
            v
        };
        let mut bad = Vec::new();
        for spenders in by_input.values() {
            for w in spenders.windows(2) {
                let (a, b) = (&accepted[w[0]], &accepted[w[1]]);
                if inputs(a) != inputs(b) || out_sum(b) >= out_sum(a) {
                    bad.push((a.compute_txid(), b.compute_txid()));
                }
            }
        }
        bad
    }

    /// How many distinct transactions were accepted.
    pub fn distinct_accepted(&self) -> usize {
        let accepted = self.accepted.lock().expect("not poisoned");
        let mut txids: Vec<Txid> = accepted.iter().map(Transaction::compute_txid).collect();
        txids.sort();
        txids.dedup();
        txids.len()
    }
}

/// A running inscriber with its indexer.
pub struct InscriberWorld {
    /// The inscriber's role.
    pub inscriber: RoleRef<InscriberMsg>,
    /// Its indexer's role.
    pub indexer: RoleRef<IndexerMsg>,
    /// The supervisor.
    pub supervisor: ActorRef<SupervisorMsg>,
    /// Completes when the supervisor stops.
    pub handle: JoinHandle<()>,
    /// The inscriber's metrics.
    pub metrics: InscriberMetrics,
    /// The port (with its record of accepted broadcasts).
    pub port: Arc<RecordingPort>,
}

impl InscriberWorld {
    /// Starts the inscriber and its indexer (from height `start_height`).
    pub async fn start(
        sim: &SimBitcoin,
        store: SharedStore,
        config: InscriberConfig,
        seed: u64,
        clock: SharedClock,
        faults: Option<SharedFaults>,
    ) -> Self {
        let port = Arc::new(RecordingPort {
            sim: sim.clone(),
            accepted: Mutex::new(Vec::new()),
        });
        let bitcoin: SharedBitcoin = port.clone();
        let inscriber = RoleRef::<InscriberMsg>::spawn(None, "inscriber", 100_000)
            .await
            .expect("proxy");
        let indexer = RoleRef::<IndexerMsg>::spawn(None, "inscriber_indexer", 100_000)
            .await
            .expect("proxy");
        let watch = WatchFilter::new();
        let keys = wallet_keys(&config, &store, seed).expect("wallet");
        watch.add_script(keys.script_pubkey().clone());
        let metrics = InscriberMetrics::new(&prometheus::Registry::new());
        let indexer_args = IndexerArgs {
            config: IndexerConfig {
                start_height: 0,
                poll_interval_ms: 100,
                reorg_depth_max: 100,
                ..Default::default()
            },
            bitcoin: bitcoin.clone(),
            store: store.clone(),
            keyspace: INDEXER_KEYSPACE.to_owned(),
            watch: Some(watch.clone()),
            sink: Arc::new(inscriber.clone()),
            clock: clock.clone(),
            metrics: IndexerMetrics::new(&prometheus::Registry::new()),
        };
        let inscriber_args = InscriberArgs {
            config,
            bitcoin,
            store,
            indexer: indexer.clone(),
            watch,
            seed,
            metrics: metrics.clone(),
            faults,
        };
        let children = vec![
            ChildSpec::role("inscriber", inscriber.clone(), move || {
                (Inscriber, inscriber_args.clone())
            }),
            ChildSpec::role("inscriber_indexer", indexer.clone(), move || {
                (Indexer, indexer_args.clone())
            }),
        ];
        let args = SupervisorArgs {
            children,
            policy: RestartPolicy {
                max_restarts: 1_000,
                window_ms: 1,
            },
            clock,
            halt: None,
        };
        let (supervisor, handle) = Actor::spawn(None, Supervisor, args).await.expect("spawns");
        Self {
            inscriber,
            indexer,
            supervisor,
            handle,
            metrics,
            port,
        }
    }

    /// Sends a request and waits for its answer.
    pub async fn inscribe(&self, id: [u8; 32], payload: Vec<u8>) -> InscribeOutcome {
        for _ in 0..100 {
            let answer = self
                .inscriber
                .ask(
                    |reply| InscriberMsg::Inscribe {
                        id,
                        payload: payload.clone(),
                        reply: Some(reply),
                    },
                    60_000,
                )
                .await;
            if let Some(a) = answer {
                return a.expect("request accepted");
            }
        }
        panic!("the inscriber never answered");
    }

    /// The inscriber's status (retrying across restarts).
    pub async fn status(&self) -> InscriberStatus {
        for _ in 0..100 {
            if let Some(s) = self.inscriber.ask(InscriberMsg::Status, 60_000).await {
                return s;
            }
        }
        panic!("the inscriber never answered");
    }

    /// Stops everything.
    pub async fn stop(self) {
        self.supervisor.stop(None);
        let _ = self.handle.await;
    }
}

/// Funds the wallet at `address` with `coins` confirmed coins of `each_sat` from the miner's
/// first mature coinbases (mines 101 blocks, then the fan-out, then `bury` more).
pub fn fund(sim: &SimBitcoin, address: &Address, coins: usize, each_sat: u64, bury: u64) {
    let miner = sim.miner_wallet();
    sim.mine_blocks(101 + coins.div_ceil(40) as u64);
    let per_coinbase = 40usize;
    let mut left = coins;
    let mut height = 1;
    while left > 0 {
        let n = left.min(per_coinbase);
        let hash = sim.block_hash(height).expect("port").expect("exists");
        let block: bitcoin::Block =
            bitcoin::consensus::deserialize(&sim.block(&hash).expect("block")).expect("decodes");
        let cb = &block.txdata[0];
        let coin = Utxo {
            outpoint: OutPoint::new(cb.compute_txid(), 0),
            value: cb.output[0].value,
            script_pubkey: cb.output[0].script_pubkey.clone(),
            confirmations: 100,
        };
        let outputs = (0..n)
            .map(|_| TxOut {
                value: Amount::from_sat(each_sat),
                script_pubkey: address.script_pubkey(),
            })
            .collect();
        let tx = miner
            .spend(
                &[coin],
                outputs,
                FeeRate::from_sat_per_vb(2).expect("small"),
            )
            .expect("fan-out builds");
        sim.broadcast(&tx).expect("fan-out accepted");
        left -= n;
        height += 1;
    }
    sim.mine_blocks(1 + bury);
}

/// Every BitAI envelope body of the best chain from `from_height`, in chain order (block,
/// transaction, input, envelope), with the reveal's txid; and the BitAI transactions the
/// indexer's extraction decodes from the same blocks.
pub fn chain_envelopes(
    sim: &SimBitcoin,
    from_height: u64,
) -> (Vec<(Txid, Vec<u8>)>, Vec<bitai_protocol::BitaiTx>) {
    let tip = sim.tip().expect("tip");
    let mut bodies = Vec::new();
    let mut decoded = Vec::new();
    for h in from_height..=tip.height {
        let hash = sim.block_hash(h).expect("port").expect("exists");
        let bytes = sim.block(&hash).expect("block");
        let block = decode_block(&bytes, &hash, 4_000_000, true).expect("valid block");
        for tx in &block.txdata {
            for env in parse_transaction(tx).into_iter().filter(|e| e.is_bitai()) {
                if let Body::Bytes(b) = &env.body {
                    bodies.push((tx.compute_txid(), b.clone()));
                }
            }
        }
        decoded.extend(extract_bitai_txs(&block).txs.into_iter().map(|t| t.tx));
    }
    (bodies, decoded)
}
