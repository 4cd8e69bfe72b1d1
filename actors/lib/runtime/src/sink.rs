//! Sinks: where an actor sends its output events without knowing who consumes them (a role
//! proxy, a plain actor, a channel in a test).

use ractor::{ActorRef, Message};
use thiserror::Error;

/// Why an event could not be handed over.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The receiver is gone for good.
    #[error("receiver closed")]
    Closed,
}

/// Something that takes events of type `E`.
pub trait Sink<E>: Send + Sync + 'static {
    /// Hands `event` over (without waiting for it to be processed).
    fn send(&self, event: E) -> Result<(), SinkError>;
}

/// A sink that sends straight to one actor (no proxy: it does not survive restarts).
pub struct ActorSink<M>(pub ActorRef<M>);

impl<E: Send + 'static, M: Message + From<E>> Sink<E> for ActorSink<M> {
    fn send(&self, event: E) -> Result<(), SinkError> {
        self.0
            .send_message(M::from(event))
            .map_err(|_| SinkError::Closed)
    }
}

/// A sink into a tokio channel (tests, the CLI).
pub struct ChannelSink<E>(pub tokio::sync::mpsc::UnboundedSender<E>);

impl<E: Send + 'static> Sink<E> for ChannelSink<E> {
    fn send(&self, event: E) -> Result<(), SinkError> {
        self.0.send(event).map_err(|_| SinkError::Closed)
    }
}
