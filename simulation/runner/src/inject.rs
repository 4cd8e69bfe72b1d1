//! Fault injection: each timed fault strikes at exponentially distributed moments drawn from
//! the seed (mean gap from the scenario) during the busy phase; [`Injector::heal`] ends them
//! all when the quiet phase starts. A neuron that cheats is set up with its chain
//! ([`crate::world`]), not struck here.

use crate::faults::{FaultKind, FaultPlan};
use crate::trace::Trace;
use crate::world::World;
use bitai_protocol::{encode_tx, BitaiTx, Hash32, SubmitProof};
use bitai_prover::ProverFault;
use bitai_rpc::NodeApi;
use bitai_runtime::{seeded_rng, SimRng, SupervisorMsg};
use bitai_simulation::bitcoin::ReorgMempool;
use rand::Rng;
use std::collections::BTreeMap;

mod net;

/// The injector's schedule.
pub struct Injector {
    rng: SimRng,
    plan: FaultPlan,
    due_ms: BTreeMap<FaultKind, u64>,
    spike_until_ms: Option<u64>,
    /// Each fault kind's own random stream.
    rngs: BTreeMap<FaultKind, SimRng>,
    /// Provers with a fault on, and when it ends.
    provers_until_ms: BTreeMap<String, u64>,
    /// Cluster network faults in force, and when each ends.
    net_until_ms: BTreeMap<net::NetEnd, u64>,
    /// A recording plays: faults that make Bitcoin blocks are skipped.
    pub chain_locked: bool,
    /// The outsider inscribing hostile envelopes (funded at its first strike).
    outsider: Option<bitai_simulation::outsider::OutsideInscriber>,
    seed: u64,
    /// A reorg struck: the driver checks the state against a fresh replay.
    pub reorged: bool,
    /// A node crash struck: the driver restarts the coordinator after this downtime (ms).
    pub restart_after_ms: Option<u64>,
    /// A store crash is armed: once it strikes, the coordinator goes down for this long (ms).
    store_crash_down_ms: Option<u64>,
    /// Faults struck so far.
    pub struck: u64,
    /// Hot swaps done, as (role, from, to).
    pub swaps: Vec<(String, String, String)>,
    /// `user_retry` struck: the driver has a user send an acknowledged transfer again.
    pub retries_due: u32,
}

/// The random stream of one fault kind.
fn rng_of(seed: u64, kind: FaultKind) -> SimRng {
    seeded_rng(seed, &format!("sim/faults/{}", kind.name()))
}

fn exp_gap_ms(rng: &mut SimRng, mean_s: u64) -> u64 {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    ((-u.ln()) * mean_s as f64 * 1_000.0) as u64 + 1
}

impl Injector {
    /// The schedule of `plan` from `now_ms`.
    pub fn new(seed: u64, plan: &FaultPlan, now_ms: u64) -> Injector {
        let mut due_ms = BTreeMap::new();
        let mut rngs = BTreeMap::new();
        for (&kind, &gap) in &plan.mean_gap_s {
            if !matches!(
                kind,
                FaultKind::NeuronCheat | FaultKind::NeuronCopy | FaultKind::DeepReorg
            ) {
                let mut rng = rng_of(seed, kind);
                due_ms.insert(kind, now_ms + exp_gap_ms(&mut rng, gap));
                rngs.insert(kind, rng);
            }
        }
        Injector {
            rng: seeded_rng(seed, "sim/faults"),
            rngs,
            plan: plan.clone(),
            due_ms,
            spike_until_ms: None,
            provers_until_ms: BTreeMap::new(),
            net_until_ms: BTreeMap::new(),
            restart_after_ms: None,
            store_crash_down_ms: None,
            reorged: false,
            outsider: None,
            seed,
            chain_locked: false,
            struck: 0,
            swaps: Vec::new(),
            retries_due: 0,
        }
    }

    /// When the next fault (or the end of a fee spike) is due.
    pub fn next_due_ms(&self) -> Option<u64> {
        self.due_ms
            .values()
            .copied()
            .chain(self.spike_until_ms)
            .chain(self.provers_until_ms.values().copied())
            .chain(self.net_until_ms.values().copied())
            .min()
    }

    /// Strikes every fault due at `now_ms` and draws its next moment.
    pub async fn strike_due(&mut self, now_ms: u64, w: &World, trace: &Trace) {
        if self.spike_until_ms.is_some_and(|t| t <= now_ms) {
            self.spike_until_ms = None;
            end_spike(w);
            trace.record("fault", "fee_spike ends");
        }
        let ended: Vec<String> = self
            .provers_until_ms
            .iter()
            .filter(|(_, &t)| t <= now_ms)
            .map(|(n, _)| n.clone())
            .collect();
        for name in ended {
            self.provers_until_ms.remove(&name);
            self.prover_fault(w, &name, None, trace);
        }
        self.end_net_faults(now_ms, w, trace).await;
        let due: Vec<FaultKind> = self
            .due_ms
            .iter()
            .filter(|(_, &t)| t <= now_ms)
            .map(|(&k, _)| k)
            .collect();
        for kind in due {
            // Each kind draws from its own stream: turning one fault off (or skipping its
            // strikes while a recording plays) leaves every other fault's moments as they were.
            let mut rng = self
                .rngs
                .remove(&kind)
                .unwrap_or_else(|| rng_of(self.seed, kind));
            std::mem::swap(&mut self.rng, &mut rng);
            self.strike(kind, now_ms, w, trace).await;
            self.struck += 1;
            let gap = self.plan.mean_gap_s[&kind];
            let next = now_ms + exp_gap_ms(&mut self.rng, gap);
            std::mem::swap(&mut self.rng, &mut rng);
            self.rngs.insert(kind, rng);
            self.due_ms.insert(kind, next);
        }
    }

    /// Whether a store crash is armed and has not struck yet (the driver then looks often).
    pub fn store_crash_armed(&self) -> bool {
        self.store_crash_down_ms.is_some()
    }

    /// The downtime of a store crash that has struck (the driver restarts the coordinator),
    /// once.
    pub fn store_crash_struck(&mut self, w: &World, trace: &Trace) -> Option<u64> {
        if self.store_crash_down_ms.is_none() || !w.mem.crashed() {
            return None;
        }
        let down_ms = self.store_crash_down_ms.take()?;
        trace.record(
            "fault",
            format_args!("store_crash struck: the coordinator goes down for {down_ms} ms"),
        );
        Some(down_ms)
    }

    /// Ends every fault: no more strikes, no fee spike, a calm network with every prover
    /// node that was due to join in it.
    pub async fn heal(&mut self, w: &World, trace: &Trace) {
        self.heal_net(w, trace).await;
        self.due_ms.clear();
        if self.spike_until_ms.take().is_some() {
            end_spike(w);
        }
        for name in std::mem::take(&mut self.provers_until_ms).into_keys() {
            self.prover_fault(w, &name, None, trace);
        }
        // A store fault armed and not yet struck is disarmed; one that struck is restarted
        // from by the driver.
        if !w.mem.crashed() {
            self.store_crash_down_ms = None;
            w.mem.recover();
        }
        trace.record("fault", "healed: the quiet phase starts");
    }

    async fn strike(&mut self, kind: FaultKind, now_ms: u64, w: &World, trace: &Trace) {
        if self.chain_locked && matches!(kind, FaultKind::Reorg | FaultKind::HostileEnvelope) {
            // A recording plays: its blocks are the chain, reorgs and outsiders included.
            trace.record(
                "fault",
                format_args!("{} skipped: a recording plays", kind.name()),
            );
            return;
        }
        match kind {
            FaultKind::Panic => self.panic(w, trace).await,
            FaultKind::Reorg => {
                let max = (w.config.statemachine.finality_depth - 1).max(1);
                let depth = self.rng.gen_range(1..=max);
                // The disconnected transactions go back to the mempool and the new blocks may
                // mine them again, as Bitcoin Core does. (Dropping them instead, as a node that
                // also lost its mempool would, stalls the inscriber: see docs/simulation.md.)
                let mode = ReorgMempool::Include;
                let _ = self.rng.gen_bool(0.5);
                match w.sim().reorg_with(depth, depth + 1, mode.clone()) {
                    Ok(r) => {
                        self.reorged = true;
                        trace.record(
                            "fault",
                            format_args!(
                            "reorg depth {depth} ({mode:?}): {} blocks out, {} in, {} txs dropped",
                            r.disconnected.len(),
                            depth + 1,
                            r.dropped.len()
                        ),
                        );
                    }
                    Err(e) => {
                        trace.record("fault", format_args!("reorg depth {depth} failed: {e}"))
                    }
                }
            }
            FaultKind::FeeSpike => {
                let rate = self.rng.gen_range(5..150u64);
                let blocks = self.rng.gen_range(1..=3u64);
                let spike = bitcoin::FeeRate::from_sat_per_vb_u32(rate as u32);
                // Estimates rise and miners demand it: the inscriber must bump (and wait out a
                // spike above its ceiling).
                w.sim().set_fee_spike(Some(spike));
                w.sim().set_miner_min_fee_rate(spike);
                self.spike_until_ms = Some(now_ms + blocks * crate::scenario::BITCOIN_BLOCK_MS);
                trace.record(
                    "fault",
                    format_args!("fee_spike {rate} sat/vB for ~{blocks} blocks"),
                );
            }
            FaultKind::Evict => {
                let txids = w.sim().mempool_txids();
                if txids.is_empty() {
                    trace.record("fault", "evict: mempool empty");
                } else {
                    let txid = txids[self.rng.gen_range(0..txids.len())];
                    let gone = w.sim().evict(&txid);
                    trace.record("fault", format_args!("evict {txid} ({} txs)", gone.len()));
                }
            }
            FaultKind::BadProof => self.bad_proof(w, trace).await,
            FaultKind::NeuronVanish => self.vanish(w, trace).await,
            FaultKind::HostileEnvelope => {
                crate::hostile::strike(&mut self.outsider, w, &mut self.rng, self.seed, trace)
            }
            FaultKind::NetLoss
            | FaultKind::Partition
            | FaultKind::HungPeer
            | FaultKind::NodeChurn => self.strike_net(kind, now_ms, w, trace),
            FaultKind::NodeDrain => self.drain(w, trace).await,
            FaultKind::RoleSwap => self.swap(w, trace).await,
            FaultKind::UserRetry => {
                self.retries_due += 1;
                trace.record(
                    "fault",
                    "user_retry: a user sends an acknowledged transfer again",
                );
            }
            FaultKind::HungProver | FaultKind::LyingProver => {
                let faults = w.prover_switches();
                if faults.is_empty() {
                    return;
                }
                let name = faults[self.rng.gen_range(0..faults.len())].0.clone();
                if self.provers_until_ms.contains_key(&name) {
                    return;
                }
                let fault = if kind == FaultKind::HungProver {
                    ProverFault::Hang
                } else {
                    ProverFault::InvalidProof
                };
                let minutes = self.rng.gen_range(5..=40u64);
                self.provers_until_ms
                    .insert(name.clone(), now_ms + minutes * 60_000);
                self.prover_fault(w, &name, Some(fault), trace);
            }
            FaultKind::NeuronCheat | FaultKind::NeuronCopy | FaultKind::DeepReorg => {}
            FaultKind::StoreWrite => {
                let n = self.rng.gen_range(1..=50u64);
                w.mem.fail_write_in(n);
                trace.record(
                    "fault",
                    format_args!("store_write: the coordinator's write {n} from now fails"),
                );
            }
            FaultKind::StoreCrash => {
                if self.store_crash_down_ms.is_some() || self.restart_after_ms.is_some() {
                    return;
                }
                let n = self.rng.gen_range(1..=500u64);
                let down_ms = self.rng.gen_range(10_000..300_000);
                w.mem.crash_in(n);
                self.store_crash_down_ms = Some(down_ms);
                trace.record(
                    "fault",
                    format_args!(
                        "store_crash armed: the coordinator's store dies at its write {n} from now"
                    ),
                );
            }
            FaultKind::Crash => {
                let down_ms = self.rng.gen_range(10_000..300_000);
                trace.record(
                    "fault",
                    format_args!("crash of the coordinator, down {down_ms} ms"),
                );
                self.restart_after_ms = Some(down_ms);
            }
        }
    }

    fn prover_fault(&self, w: &World, name: &str, fault: Option<ProverFault>, trace: &Trace) {
        if let Some((_, f)) = w.prover_switches().iter().find(|(n, _)| n == name) {
            f.set(fault);
            trace.record("fault", format_args!("prover {name}: {fault:?}"));
        }
    }

    /// A neuron leaves for good; the next node restart does not bring it back.
    async fn vanish(&mut self, w: &World, trace: &Trace) {
        let rng = &mut self.rng;
        if let Some(name) = w.cluster.vanish_neuron(|n| rng.gen_range(0..n)) {
            trace.record("fault", format_args!("neuron_vanish {name}"));
        }
    }

    /// A rolling replacement: a node drains and a new one joins at once.
    async fn drain(&mut self, w: &World, trace: &Trace) {
        let nodes = w.cluster.all_names();
        if nodes.is_empty() {
            trace.record("fault", "node_drain: no node");
            return;
        }
        let node = nodes[self.rng.gen_range(0..nodes.len())].clone();
        trace.record("fault", format_args!("node_drain {node}"));
        let result = if w.cluster.neuron_node_names().contains(&node) {
            w.cluster.replace_neuron_node(&node, trace).await
        } else {
            w.cluster.drain_prover_node(&node, trace);
            w.cluster
                .join(w.devnet.keys.prover_backend(), trace)
                .await
                .map(drop)
        };
        if let Err(e) = result {
            trace.record(
                "fault",
                format_args!("node_drain: the replacement failed: {e:#}"),
            );
        }
    }

    async fn panic(&mut self, w: &World, trace: &Trace) {
        let sup = &w.devnet.pipeline.supervisor;
        let Ok(children) = ractor::call!(sup, SupervisorMsg::Status) else {
            return;
        };
        let mut names: Vec<String> = children.into_iter().map(|c| c.name).collect();
        names.sort();
        if names.is_empty() {
            return;
        }
        let name = names.swap_remove(self.rng.gen_range(0..names.len()));
        trace.record("fault", format_args!("panic {name}"));
        let _ = sup.cast(SupervisorMsg::Crash(name));
    }

    /// A role of the coordinator with several versions compiled in runs another one.
    async fn swap(&mut self, w: &World, trace: &Trace) {
        let sup = &w.devnet.pipeline.supervisor;
        let Ok(roles) = ractor::call!(sup, SupervisorMsg::Roles) else {
            return;
        };
        let mut swappable: Vec<_> = roles
            .into_iter()
            .filter(|r| r.versions.len() > 1 && r.status.running)
            .collect();
        swappable.sort_by(|a, b| a.status.name.cmp(&b.status.name));
        if swappable.is_empty() {
            return;
        }
        let role = swappable.swap_remove(self.rng.gen_range(0..swappable.len()));
        let others: Vec<&String> = role
            .versions
            .iter()
            .filter(|v| **v != role.version)
            .collect();
        let to = others[self.rng.gen_range(0..others.len())].clone();
        let name = role.status.name;
        match ractor::call!(sup, |reply| SupervisorMsg::Swap {
            role: name.clone(),
            to: to.clone(),
            reply
        }) {
            Ok(Ok(r)) => {
                trace.record(
                    "fault",
                    format_args!("role_swap {} {} -> {}", r.role, r.from, r.to),
                );
                self.swaps.push((r.role, r.from, r.to));
            }
            Ok(Err(why)) => trace.record("fault", format_args!("role_swap {name} refused: {why}")),
            Err(_) => {}
        }
    }

    /// An outsider's `SubmitProof` that must be refused: garbage proof bytes over the chain's
    /// real verified root, or a stale block number.
    async fn bad_proof(&mut self, w: &World, trace: &Trace) {
        let c = &w.chains[self.rng.gen_range(0..w.chains.len())];
        let view = w.devnet.pipeline.view.borrow().clone();
        let Some(v) = view.chain(&c.id) else {
            return;
        };
        let variant = self.rng.gen_range(0..3u8);
        let da_commitment = Hash32(self.rng.gen());
        let garbage: Vec<u8> = (0..128).map(|_| self.rng.gen()).collect();
        let (what, proof) = match (variant, forgery(w, c).await) {
            // A statement over a stale previous root with a proof that verifies (the
            // simulation-only system proves nothing, so anyone can make one): only the
            // verifier contract's root rule can refuse it.
            (0, Some((number, prev, new))) => {
                let mut p = SubmitProof {
                    chain_id: c.id,
                    block_number: number,
                    prev_state_root: prev,
                    new_state_root: new,
                    da_commitment,
                    proof: Vec::new(),
                };
                p.proof = forge(&p);
                ("stale_root", p)
            }
            (1, _) if v.verified_block > 0 => (
                "stale_number",
                SubmitProof {
                    chain_id: c.id,
                    block_number: v.verified_block,
                    prev_state_root: v.verified_root,
                    new_state_root: v.verified_root,
                    da_commitment,
                    proof: garbage,
                },
            ),
            _ => (
                "garbage",
                SubmitProof {
                    chain_id: c.id,
                    block_number: v.verified_block + 1,
                    prev_state_root: v.verified_root,
                    new_state_root: v.verified_root,
                    da_commitment,
                    proof: garbage,
                },
            ),
        };
        let bytes = match encode_tx(&BitaiTx::SubmitProof(proof)) {
            Ok(b) => b,
            Err(e) => {
                trace.record("fault", format_args!("bad_proof: encoding failed: {e}"));
                return;
            }
        };
        match w.api.submit_bitai_tx(bytes).await {
            Ok(id) => trace.record(
                "fault",
                format_args!(
                    "bad_proof {what} for {} ACCEPTED by the mempool as {id}",
                    c.name
                ),
            ),
            Err(e) => trace.record(
                "fault",
                format_args!("bad_proof {what} for {} refused: {e}", c.name),
            ),
        }
    }
}

/// A statement for the block after chain `c`'s head (no real proof of it exists yet, so
/// nothing pending stands in its way) over a stale previous root: the root before the head
/// block, and the head's own root as the new one. Only on simulation-only chains (nobody can
/// forge a Groth16 proof).
async fn forgery(w: &World, c: &crate::world::SimChain) -> Option<(u64, Hash32, Hash32)> {
    let simulated =
        w.config.chain.proof_system == bitai_node::pipeline::config::ProofSystemName::Simulation;
    let head = w
        .api
        .chain(c.id)
        .await
        .ok()
        .flatten()?
        .sequencer?
        .head_block;
    if head < 2 || !simulated {
        return None;
    }
    let block = w.api.block(c.id, head).await.ok().flatten()?;
    // Stale only if the head block moved the root: after an empty block the root before it
    // is the chain's root now, and a simulation-only proof over it is a valid next block
    // (found by seed 6: the forgery was verified and the roots oracle fired).
    if block.prev_state_root == block.new_state_root {
        return None;
    }
    Some((head + 1, block.prev_state_root, block.new_state_root))
}

/// The simulation-only proof of `p`'s statement (see `bitai_proofs::verifier::simulation`).
fn forge(p: &SubmitProof) -> Vec<u8> {
    bitai_proofs::verifier::submit_proof_statement(p)
        .map(|statement| bitai_proofs::verifier::simulation_proof(&statement))
        .unwrap_or_default()
}

/// Ends a fee spike: estimates and the miners' minimum back to the configured floor.
fn end_spike(w: &World) {
    let floor = w.config.bitcoin.sim.block_min_fee_rate_sat_per_kvb;
    w.sim().set_fee_spike(None);
    w.sim()
        .set_miner_min_fee_rate(bitcoin::FeeRate::from_sat_per_kwu(floor.div_ceil(4)));
}
