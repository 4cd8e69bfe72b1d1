//! Tests of the envelope codec: the real mainnet vectors, ord's rules one by one, an
//! ord-style reference parser checked against ours on random scripts, hostile input, and
//! builder round trips.

mod build;
mod hostile;
mod instructions;
mod reference;
mod rules;
mod support;
mod vectors;
