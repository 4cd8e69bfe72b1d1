//! Hand-off between roles, the one way it is done: the sender asks the receiver's
//! [`RoleRef`] for each item in order from a task of its own (never inside its handler), the
//! receiver persists and acknowledges, and the task reports which items were acknowledged.
//! The sender collects the report in a handler ([`HandOff::poll`]) and only then advances its
//! own persisted cursor, so an item counts as handed only after the receiver's Ok; after a
//! crash it hands again from its cursor and the receiver, being idempotent, ignores what it
//! already has. The task stops at the first refusal or timeout, so order is kept.

use crate::proxy::RoleRef;
use ractor::{Message, RpcReplyPort};
use std::fmt::Display;
use tokio::sync::oneshot;

/// What a hand-off task reports.
#[derive(Debug)]
pub struct HandOffOutcome<K> {
    /// The keys of the items the receiver acknowledged, in order.
    pub acknowledged: Vec<K>,
    /// Why the task stopped early (a refusal, or no answer in time), if it did.
    pub error: Option<String>,
}

/// One item to hand: the key the sender records once it is acknowledged, and the message
/// that asks for it, given the reply port.
pub type HandOffItem<K, M, T, E> = (K, Box<dyn FnOnce(RpcReplyPort<Result<T, E>>) -> M + Send>);

/// A hand-off in flight.
pub struct HandOff<K> {
    outcome: oneshot::Receiver<HandOffOutcome<K>>,
    task: tokio::task::JoinHandle<()>,
}

impl<K: Send + std::fmt::Debug + 'static> HandOff<K> {
    /// Starts asking `receiver` for `items`, in order, each within `timeout_ms`. Once the
    /// report is ready the task calls `done` with whether every item was acknowledged (the
    /// sender wakes itself there, to collect the report in a handler).
    pub fn start<M, T, E>(
        receiver: RoleRef<M>,
        items: Vec<HandOffItem<K, M, T, E>>,
        timeout_ms: u64,
        done: impl FnOnce(bool) + Send + 'static,
    ) -> Self
    where
        M: Message,
        T: Send + 'static,
        E: Display + Send + 'static,
    {
        let (tx, outcome) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut error = None;
            for (key, make) in items {
                match receiver.ask(make, timeout_ms).await {
                    Some(Ok(_)) => acknowledged.push(key),
                    Some(Err(e)) => {
                        error = Some(format!("{key:?}: {e}"));
                        break;
                    }
                    None => {
                        error = Some(format!("{key:?}: no answer within {timeout_ms} ms"));
                        break;
                    }
                }
            }
            let ok = error.is_none();
            if tx
                .send(HandOffOutcome {
                    acknowledged,
                    error,
                })
                .is_ok()
            {
                done(ok);
            }
        });
        HandOff { outcome, task }
    }

    /// The report, once the task finished (Some), or None while it runs.
    pub fn poll(&mut self) -> Option<HandOffOutcome<K>> {
        match self.outcome.try_recv() {
            Ok(o) => Some(o),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => Some(HandOffOutcome {
                acknowledged: Vec::new(),
                error: Some("hand-off task ended without a report".into()),
            }),
        }
    }

    /// Stops the task (the sender is stopping; unacknowledged items are handed again).
    pub fn abort(&self) {
        self.task.abort();
    }
}
