//! The `Neuron` actor: one per neuron account. It owns a [`NeuronCore`] and runs a tick
//! every `poll_interval_ms`, each tick scheduled when the previous one finished (so ticks
//! never pile up in the mailbox while a model runs). `PollNow` runs a tick on request and
//! answers its report; `Records` answers the persisted records.
//!
//! Everything the neuron must not forget is in its store before it acts (see
//! [`crate::store`]): a killed neuron restarted on the same store carries on where it was.

use crate::config::NeuronArgs;
use crate::core::{NeuronCore, TickReport};
use crate::metrics::NeuronMetrics;
use crate::store::SeatRecord;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::time::Duration;

/// Commands and queries of a [`Neuron`].
#[derive(Debug)]
pub enum NeuronMsg {
    /// Run a tick and schedule the next (self-sent).
    Tick,
    /// Run a tick now and answer its report (does not move the schedule).
    PollNow {
        /// The report.
        reply: RpcReplyPort<TickReport>,
    },
    /// The persisted records (an error as text: the store failed).
    Records {
        /// The answer.
        reply: RpcReplyPort<Result<Vec<SeatRecord>, String>>,
    },
}
impl ractor::Message for NeuronMsg {}

/// The neuron actor.
pub struct Neuron;

/// The neuron's state: its core and tick interval.
pub struct NeuronState {
    core: NeuronCore,
    interval: Duration,
}

impl Actor for Neuron {
    type Msg = NeuronMsg;
    type State = NeuronState;
    type Arguments = NeuronArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<NeuronMsg>,
        args: NeuronArgs,
    ) -> Result<NeuronState, ActorProcessingErr> {
        let registry = args.registry.clone().unwrap_or_default();
        let metrics = NeuronMetrics::new(&registry, &args.chain_id, args.account)?;
        let backend = args.backend.make()?;
        let interval = Duration::from_millis(args.config.poll_interval_ms.max(1));
        myself.send_after(interval, || NeuronMsg::Tick);
        Ok(NeuronState {
            core: NeuronCore::new(args, backend, metrics),
            interval,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<NeuronMsg>,
        msg: NeuronMsg,
        state: &mut NeuronState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            NeuronMsg::Tick => {
                state.core.tick().await;
                myself.send_after(state.interval, || NeuronMsg::Tick);
            }
            NeuronMsg::PollNow { reply } => {
                let _ = reply.send(state.core.tick().await);
            }
            NeuronMsg::Records { reply } => {
                let _ = reply.send(state.core.records().map_err(|e| e.to_string()));
            }
        }
        Ok(())
    }
}
