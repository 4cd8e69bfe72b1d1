//! Stable role proxies. A [`RoleProxy`] owns a role's name and stands in front of whichever
//! actor currently implements the role: callers hold a [`RoleRef`] that never changes, while
//! the supervisor restarts (or an operator hot-swaps) the actor behind it. While no actor is
//! attached, messages wait in a bounded buffer and are replayed, in order, on attach.
//!
//! What a proxy does not do: recover messages already in a crashed actor's mailbox (ractor
//! drops them). Roles make that harmless by persisting before they acknowledge and by
//! replaying from cursors (docs/design.md, "Contracts every actor keeps").

use crate::sink::{Sink, SinkError};
use ractor::concurrency::Duration;
use ractor::{Actor, ActorProcessingErr, ActorRef, Message, MessagingErr, RpcReplyPort};
use std::collections::VecDeque;
use std::marker::PhantomData;

/// Messages a proxy understands.
pub enum ProxyMsg<M> {
    /// Deliver a message to the role.
    Deliver(M),
    /// A (re)started actor now implements the role; buffered messages go to it first.
    Attach(ActorRef<M>),
    /// The actor behind the role is gone; buffer until the next attach.
    Detach,
    /// Report the proxy's counters.
    Status(RpcReplyPort<ProxyStatus>),
}

impl<M: Message> Message for ProxyMsg<M> {}

/// A proxy's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyStatus {
    /// The role's name.
    pub role: String,
    /// Whether an actor is attached.
    pub attached: bool,
    /// Messages waiting for an actor.
    pub buffered: usize,
    /// Messages handed to an actor.
    pub delivered: u64,
    /// Messages refused because the buffer was full.
    pub refused: u64,
    /// How many times an actor was attached.
    pub attachments: u64,
}

/// The proxy actor for a role whose messages are `M`.
pub struct RoleProxy<M>(PhantomData<fn() -> M>);

impl<M> Default for RoleProxy<M> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

/// The proxy's state.
pub struct ProxyState<M> {
    role: String,
    target: Option<ActorRef<M>>,
    buffer: VecDeque<M>,
    max_buffered: usize,
    delivered: u64,
    refused: u64,
    attachments: u64,
}

impl<M: Message> ProxyState<M> {
    fn buffer(&mut self, msg: M) {
        if self.buffer.len() >= self.max_buffered {
            self.refused += 1;
            tracing::error!(role = %self.role, max = self.max_buffered,
                "proxy buffer full: message refused; the sender replays from its cursor");
        } else {
            self.buffer.push_back(msg);
        }
    }

    /// Sends `msg` to the attached actor; on a dead actor, detaches and buffers it.
    fn forward(&mut self, msg: M) {
        let Some(target) = &self.target else {
            self.buffer(msg);
            return;
        };
        match target.send_message(msg) {
            Ok(()) => self.delivered += 1,
            Err(MessagingErr::SendErr(msg)) => {
                tracing::debug!(role = %self.role, "role actor gone; buffering until restart");
                self.target = None;
                self.buffer(msg);
            }
            Err(_) => {
                self.target = None;
                self.refused += 1;
            }
        }
    }

    /// Replays the buffer, in order, to the attached actor.
    fn flush(&mut self) {
        while let Some(target) = &self.target {
            let Some(msg) = self.buffer.pop_front() else {
                break;
            };
            match target.send_message(msg) {
                Ok(()) => self.delivered += 1,
                Err(MessagingErr::SendErr(msg)) => {
                    self.buffer.push_front(msg);
                    self.target = None;
                }
                Err(_) => {
                    self.target = None;
                    self.refused += 1;
                }
            }
        }
    }
}

/// Start-up arguments of a proxy.
pub struct ProxyArgs {
    /// Role name (also the actor's registered name when spawned with [`RoleRef::spawn`]).
    pub role: String,
    /// Largest number of messages buffered while no actor is attached.
    pub max_buffered: usize,
}

impl<M: Message> Actor for RoleProxy<M> {
    type Msg = ProxyMsg<M>;
    type State = ProxyState<M>;
    type Arguments = ProxyArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: ProxyArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(ProxyState {
            role: args.role,
            target: None,
            buffer: VecDeque::new(),
            max_buffered: args.max_buffered,
            delivered: 0,
            refused: 0,
            attachments: 0,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            ProxyMsg::Deliver(m) => {
                if state.buffer.is_empty() {
                    state.forward(m);
                } else {
                    state.buffer(m);
                    state.flush();
                }
            }
            ProxyMsg::Attach(actor) => {
                state.target = Some(actor);
                state.attachments += 1;
                state.flush();
            }
            ProxyMsg::Detach => state.target = None,
            ProxyMsg::Status(reply) => {
                let _ = reply.send(ProxyStatus {
                    role: state.role.clone(),
                    attached: state.target.is_some(),
                    buffered: state.buffer.len(),
                    delivered: state.delivered,
                    refused: state.refused,
                    attachments: state.attachments,
                });
            }
        }
        Ok(())
    }
}

/// The stable address of a role: what every caller holds.
pub struct RoleRef<M> {
    proxy: ActorRef<ProxyMsg<M>>,
}

impl<M> Clone for RoleRef<M> {
    fn clone(&self) -> Self {
        Self {
            proxy: self.proxy.clone(),
        }
    }
}

impl<M: Message> RoleRef<M> {
    /// Spawns the proxy for `role`, registered under `name` (None: unnamed; names are
    /// process-global, so simulated nodes sharing a process qualify them by node).
    pub async fn spawn(
        name: Option<String>,
        role: &str,
        max_buffered: usize,
    ) -> Result<Self, ractor::SpawnErr> {
        let args = ProxyArgs {
            role: role.to_owned(),
            max_buffered,
        };
        let (proxy, _handle) = Actor::spawn(name, RoleProxy::<M>::default(), args).await?;
        Ok(Self { proxy })
    }

    /// Sends a message to the role.
    pub fn send(&self, msg: M) -> Result<(), SinkError> {
        self.proxy
            .send_message(ProxyMsg::Deliver(msg))
            .map_err(|_| SinkError::Closed)
    }

    /// Asks the role and waits for the answer (None on timeout or a dropped reply).
    pub async fn ask<R: Send + 'static>(
        &self,
        make: impl FnOnce(RpcReplyPort<R>) -> M,
        timeout_ms: u64,
    ) -> Option<R> {
        let (tx, rx) = ractor::concurrency::oneshot();
        self.send(make(RpcReplyPort::from(tx))).ok()?;
        match ractor::concurrency::timeout(Duration::from_millis(timeout_ms), rx).await {
            Ok(Ok(r)) => Some(r),
            _ => None,
        }
    }

    /// Attaches `actor` as the role's implementation.
    pub fn attach(&self, actor: ActorRef<M>) -> Result<(), SinkError> {
        self.proxy
            .send_message(ProxyMsg::Attach(actor))
            .map_err(|_| SinkError::Closed)
    }

    /// Detaches the current implementation (messages buffer until the next attach).
    pub fn detach(&self) -> Result<(), SinkError> {
        self.proxy
            .send_message(ProxyMsg::Detach)
            .map_err(|_| SinkError::Closed)
    }

    /// The proxy's counters.
    pub async fn status(&self, timeout_ms: u64) -> Option<ProxyStatus> {
        let (tx, rx) = ractor::concurrency::oneshot();
        self.proxy
            .send_message(ProxyMsg::Status(RpcReplyPort::from(tx)))
            .ok()?;
        match ractor::concurrency::timeout(Duration::from_millis(timeout_ms), rx).await {
            Ok(Ok(r)) => Some(r),
            _ => None,
        }
    }

    /// The proxy actor itself (to stop it, or to link it).
    pub fn proxy(&self) -> &ActorRef<ProxyMsg<M>> {
        &self.proxy
    }
}

impl<E: Send + 'static, M: Message + From<E>> Sink<E> for RoleRef<M> {
    fn send(&self, event: E) -> Result<(), SinkError> {
        RoleRef::send(self, M::from(event))
    }
}
