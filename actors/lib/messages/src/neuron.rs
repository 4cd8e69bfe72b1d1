//! The neuron role's cluster interface: in [`wire`], the protocol neuron nodes
//! (`bitai neuron run --join`) speak with the node that sequences their chain over
//! `ractor_cluster` (and over the simulated network in `bitai sim`). A neuron asks its
//! chain's questions and submits its signed ops through it; nobody signs for a neuron.

pub mod wire;
