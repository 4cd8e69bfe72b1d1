//! The inscriber meets Bitcoin Core 31's feerate-diagram rule with a bump of its own, and
//! handles it as a conflict. Another holder of the wallet's key (a second inscriber started
//! by mistake, an operator spending from the same key) gets a small transaction at a high fee
//! rate into the mempool first, spending the coin the inscriber's first commit spends. The
//! commit is refused (it pays less than that transaction), the batch counts as broadcast, and
//! the first bump pays more than the other transaction in all (rules 3 and 4 hold) at a lower
//! fee rate: Core refuses it with `replacement-failed`, the diagram rule. The inscriber keeps
//! the refused version for one block only (not re-sent on every poll), the next bump steps up
//! from the refused rate and wins the coin, and the batch confirms with three versions in all.

use super::*;
use bitai_inscriber::wallet::WalletKeys;
use bitai_inscriber::{EngineParts, InscriberConfig, InscriberEngine, InscriberMetrics};
use bitai_messages::indexer::{
    ConnectedBlock, ConsumerCursor, IndexerEvent, WatchFilter, WatchedTx,
};
use bitai_messages::inscriber::BatchStage;
use bitai_storage::{MemoryStore, SharedStore};
use bitcoin::secp256k1::SecretKey;
use bitcoin::{Address, Network, Transaction, Txid};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The inscriber's secret, shared with the front-runner.
const WALLET_SECRET: [u8; 32] = [9; 32];

/// The backend, plus another holder of the wallet's key who, the first time a commit is sent,
/// gets in first: a transaction spending the same coin, paying 85% of what the commit and its
/// reveal pay together, in 111 vB instead of the commit's 154. Every broadcast is counted.
struct FrontRunner {
    core: CoreRpc,
    wallet: Key,
    to: Key,
    funded: OutPoint,
    ran: Mutex<Option<Txid>>,
    sends: Mutex<BTreeMap<Txid, u32>>,
}

impl FrontRunner {
    fn front_run(&self, commit: &Transaction) {
        let value = Amount::from_int_btc(1);
        let commit_fee = value - commit.output.iter().map(|o| o.value).sum::<Amount>();
        let reveal_fee = commit.output[0].value - Amount::from_sat(REVEAL_OUTPUT_SAT);
        let fee = (commit_fee + reveal_fee).to_sat() * 85 / 100;
        let utxo = Utxo {
            outpoint: self.funded,
            value,
            script_pubkey: self.wallet.address.script_pubkey(),
            confirmations: 1,
        };
        let tx = self
            .wallet
            .spend(&[utxo], vec![self.to.pay(value - Amount::from_sat(fee))]);
        self.core
            .broadcast(&tx)
            .expect("the front-runner is accepted");
        *self.ran.lock().expect("lock") = Some(tx.compute_txid());
    }
}

impl BitcoinPort for FrontRunner {
    fn tip(&self) -> Result<bitai_bitcoin::ChainTip, PortError> {
        self.core.tip()
    }
    fn block_hash(&self, height: u64) -> Result<Option<BlockHash>, PortError> {
        self.core.block_hash(height)
    }
    fn block(&self, hash: &BlockHash) -> Result<Vec<u8>, PortError> {
        self.core.block(hash)
    }
    fn broadcast(&self, tx: &Transaction) -> Result<Txid, PortError> {
        let spends_funding = tx.input.iter().any(|i| i.previous_output == self.funded);
        if spends_funding && self.ran.lock().expect("lock").is_none() {
            self.front_run(tx);
        }
        *self
            .sends
            .lock()
            .expect("lock")
            .entry(tx.compute_txid())
            .or_default() += 1;
        self.core.broadcast(tx)
    }
    fn in_mempool(&self, txid: &Txid) -> Result<bool, PortError> {
        self.core.in_mempool(txid)
    }
    fn estimate_fee_rate(&self, target_blocks: u16) -> Result<FeeRate, PortError> {
        self.core.estimate_fee_rate(target_blocks)
    }
    fn utxos(&self, addresses: &[Address]) -> Result<Vec<Utxo>, PortError> {
        self.core.utxos(addresses)
    }
}

const REVEAL_OUTPUT_SAT: u64 = 10_000;

/// Feeds the engine the blocks above `from` up to the node's tip, every transaction watched.
fn feed(engine: &mut InscriberEngine, node: &RegtestNode, rpc: &CoreRpc, from: &mut u64) {
    let cursor = ConsumerCursor::new("inscriber_cursor", 10);
    while *from <= node.height() {
        let hash = rpc.block_hash(*from).expect("hash").expect("on the chain");
        let block: Block = deserialize(&rpc.block(&hash).expect("block")).expect("decodes");
        let event = IndexerEvent::BlockConnected(ConnectedBlock {
            height: *from,
            hash,
            prev_hash: block.header.prev_blockhash,
            time: block.header.time,
            bitai_txs: vec![],
            watched_txs: block
                .txdata
                .iter()
                .enumerate()
                .map(|(i, tx)| WatchedTx {
                    txid: tx.compute_txid(),
                    tx_index: i as u32,
                    tx: tx.clone(),
                })
                .collect(),
        });
        assert!(engine.apply_event(&cursor, &event).expect("applies"));
        *from += 1;
    }
}

/// Mines one block holding nothing from the mempool.
fn mine_empty(node: &RegtestNode, to: &Key) {
    node.ok("generateblock", &[json!(to.address.to_string()), json!([])]);
}

/// Core's own verdict on `tx` now: `None` if allowed, else its reject reason.
fn verdict(node: &RegtestNode, tx: &Transaction) -> Option<String> {
    let v = node.ok("testmempoolaccept", &[json!([serialize_hex(tx)])]);
    (v[0]["allowed"] != json!(true))
        .then(|| v[0]["reject-reason"].as_str().unwrap_or("").to_owned())
}

#[test]
fn a_bump_refused_by_the_feerate_diagram_is_a_conflict_and_the_next_one_wins() {
    let miner = Key::new([7; 32]);
    let Some((node, rpc)) = world(&miner) else {
        return;
    };
    let wallet = Key::new(WALLET_SECRET);
    let keys = WalletKeys::from_secret(
        SecretKey::from_slice(&WALLET_SECRET).expect("a key"),
        Network::Regtest,
    );
    assert_eq!(
        keys.address(),
        &wallet.address,
        "the same key, the same address"
    );

    // The wallet's one coin: 1 BTC, confirmed.
    let coinbase = coinbase(&node, &miner, 1);
    let fund = miner.spend(
        &[coinbase],
        vec![
            wallet.pay(Amount::from_int_btc(1)),
            miner.pay(Amount::from_int_btc(49) - Amount::from_sat(1_000)),
        ],
    );
    rpc.broadcast(&fund).expect("funding");
    node.mine(1, &miner.address);

    let port = Arc::new(FrontRunner {
        core: CoreRpc::connect(&node.core_config()).expect("connects"),
        wallet: Key::new(WALLET_SECRET),
        to: Key::new([7; 32]),
        funded: OutPoint::new(fund.compute_txid(), 0),
        ran: Mutex::new(None),
        sends: Mutex::new(BTreeMap::new()),
    });
    let metrics = InscriberMetrics::new(&prometheus::Registry::new());
    let store: SharedStore = Arc::new(MemoryStore::new());
    let cfg = InscriberConfig {
        network: "regtest".into(),
        bump_after_blocks: 1,
        finality_depth: 1,
        reveal_output_sat: REVEAL_OUTPUT_SAT,
        ..InscriberConfig::default()
    };
    let mut engine = InscriberEngine::load(EngineParts {
        cfg,
        keyspace: "inscriber".into(),
        store,
        bitcoin: port.clone(),
        keys,
        watch: WatchFilter::new(),
        metrics: metrics.clone(),
        faults: None,
        tip_height: 0,
    })
    .expect("loads");
    let mut next = 0;
    feed(&mut engine, &node, &rpc, &mut next);

    // The batch is cut and its commit refused: the front-runner got in first.
    engine
        .inscribe([1; 32], (0..50_000u32).map(|i| (i * 7) as u8).collect())
        .expect("accepted");
    engine.drive().expect("drives");
    let front = port
        .ran
        .lock()
        .expect("lock")
        .expect("the front-runner ran");
    assert!(rpc.in_mempool(&front).expect("mempool"));
    let status = engine.status();
    assert_eq!(status.batches.len(), 1);
    assert_eq!(status.batches[0].stage, BatchStage::Broadcast, "{status:?}");
    let (v0, _) = engine.active_pair(0).expect("live");

    // Blocks without the mempool's transactions, until the first bump.
    let mut bumped = None;
    for _ in 0..4 {
        mine_empty(&node, &miner);
        feed(&mut engine, &node, &rpc, &mut next);
        engine.drive().expect("drives");
        if engine.status().batches[0].versions == 2 {
            bumped = engine.active_pair(0);
            break;
        }
    }
    let (v1, _) = bumped.expect("bumped after one block");
    assert_ne!(v1.compute_txid(), v0.compute_txid());
    // More in all than the front-runner, at a lower rate: Core 31's diagram rule refuses it.
    assert_eq!(
        verdict(&node, &v1).as_deref(),
        Some("replacement-failed"),
        "the diagram rule"
    );
    assert_eq!(metrics.bumps_refused.get(), 1);
    assert!(rpc.in_mempool(&front).expect("mempool"));

    // Polls without a block do not send the refused version again.
    let sent = port.sends.lock().expect("lock")[&v1.compute_txid()];
    for _ in 0..10 {
        engine.drive().expect("drives");
    }
    assert_eq!(port.sends.lock().expect("lock")[&v1.compute_txid()], sent);

    // The next bump steps up from the refused rate and replaces the front-runner.
    for _ in 0..4 {
        mine_empty(&node, &miner);
        feed(&mut engine, &node, &rpc, &mut next);
        engine.drive().expect("drives");
        if engine.status().batches[0].versions == 3 {
            break;
        }
    }
    let status = engine.status();
    assert_eq!(status.batches[0].versions, 3, "{status:?}");
    let (v2, reveal) = engine.active_pair(0).expect("live");
    assert!(rpc.in_mempool(&v2.compute_txid()).expect("mempool"));
    assert!(rpc.in_mempool(&reveal.compute_txid()).expect("mempool"));
    assert!(!rpc.in_mempool(&front).expect("mempool"), "replaced");

    // A block confirms the pair; the batch is final, with no further version.
    node.mine(1, &miner.address);
    feed(&mut engine, &node, &rpc, &mut next);
    engine.drive().expect("drives");
    let status = engine.status();
    assert!(status.batches.is_empty(), "final: {status:?}");
    assert_eq!(status.final_batches, 1);
    let seen = node.ok(
        "getrawtransaction",
        &[json!(reveal.compute_txid().to_string()), json!(1)],
    );
    assert_eq!(seen["confirmations"], json!(1), "{seen}");
}
