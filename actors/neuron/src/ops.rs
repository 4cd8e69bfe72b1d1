//! The signed ops a neuron makes, and its salts.
//!
//! **Salts** are derived, never drawn: `secret = SHA-256("bitai-neuron-salt-v1" | private
//! key)` split into two 128-bit halves, and the salt of request `r` on chain `c` is
//! `Poseidon(secret_hi, secret_lo, c_hi, c_lo, r)`. Without the private key nobody can
//! compute it (so a commitment hides the result until the reveal, even though the result
//! itself is guessable by anyone who runs the model), no OS randomness is needed, and a
//! neuron that lost its store derives the same salt again: it can never reveal a salt other
//! than the one it committed with.
//!
//! **Registration** is not automatic: the operator (or the devnet) submits
//! [`register_op`] once, with a stake of at least the chain's `min_stake`.

use bitai_chain::eddsa::PrivateKey;
use bitai_chain::field::{split_hash, Fr};
use bitai_chain::poc::{commitment, PocKind, PocOp, PocTx};
use bitai_chain::poseidon::poseidon;
use bitai_protocol::{ChainId, Hash32};

/// Domain tag of the salt secret.
const SALT_DOMAIN: &[u8] = b"bitai-neuron-salt-v1";

/// The salt of `request` on `chain` for the holder of `key` (see the module doc).
pub fn derive_salt(key: &PrivateKey, chain: &ChainId, request: u32) -> Fr {
    let mut preimage = SALT_DOMAIN.to_vec();
    preimage.extend_from_slice(&key.0);
    let [s_hi, s_lo] = split_hash(&Hash32::sha256(&preimage));
    let [c_hi, c_lo] = split_hash(&chain.0);
    poseidon(&[s_hi, s_lo, c_hi, c_lo, Fr::from(request)])
}

/// What every op of one neuron shares.
#[derive(Clone, Copy, Debug)]
pub struct Signer<'a> {
    /// The signing key.
    pub key: &'a PrivateKey,
    /// The chain.
    pub chain: &'a ChainId,
    /// The neuron's account.
    pub account: u32,
    /// The fee each op pays.
    pub fee: u64,
}

impl Signer<'_> {
    fn op(
        &self,
        kind: PocKind,
        target: u32,
        amount: u64,
        nonce: u64,
        data: [Fr; 2],
        payload: Vec<u8>,
    ) -> PocOp {
        let tx = PocTx {
            kind,
            account: self.account,
            target,
            amount,
            nonce,
            fee: self.fee,
            data,
        };
        PocOp::Signed(tx.sign(self.chain, self.key, payload))
    }

    /// Registers the account as a neuron staking `stake`.
    pub fn register(&self, stake: u64, nonce: u64) -> PocOp {
        self.op(
            PocKind::RegisterNeuron,
            0,
            stake,
            nonce,
            [Fr::from(0u64); 2],
            vec![],
        )
    }

    /// Commits to `result` with `salt` for `request`.
    pub fn commit(&self, request: u32, result: Fr, salt: Fr, nonce: u64) -> PocOp {
        let c = commitment(result, salt, self.account);
        self.op(
            PocKind::Commit,
            request,
            0,
            nonce,
            [c, Fr::from(0u64)],
            vec![],
        )
    }

    /// Reveals `result` and `salt` for `request`, with the output bytes as payload.
    pub fn reveal(&self, request: u32, result: Fr, salt: Fr, output: Vec<u8>, nonce: u64) -> PocOp {
        self.op(PocKind::Reveal, request, 0, nonce, [result, salt], output)
    }
}

/// The signed op that registers `account` as a neuron of `chain` with `stake` (the helper
/// the devnet and operators use; the actor never registers by itself).
pub fn register_op(
    key: &PrivateKey,
    chain: &ChainId,
    account: u32,
    stake: u64,
    nonce: u64,
    fee: u64,
) -> PocOp {
    Signer {
        key,
        chain,
        account,
        fee,
    }
    .register(stake, nonce)
}
