//! What the Proof-of-Compute subcommands (`model deploy`, `infer`, `neuron`) share: the
//! flags that name a node, a chain and a signer; signing an op with the account's next nonce
//! (the node counts its pending transactions) and submitting it; and waiting until an op is
//! in an L2 block. The canonical output neurons agree on, and its conversion to the f32 file
//! `bitai model run --output` writes, are the neuron crate's (`bitai_neuron::output`), so the
//! client reads exactly what neurons write.

use super::keygen::read_key;
use super::status::{
    bad_input, client_failure, failure, parse_chain, DEFAULT_RPC_URL, POLL_INTERVAL_MS,
};
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::field::Fr;
use bitai_chain::poc::{PocKind, PocOp, PocTx};
use bitai_chain::tx::MAX_FEE;
use bitai_protocol::{ChainId, Hash32};
use bitai_rpc::{wait_for_stage, Client, ClientError, Stage, WaitError};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The flags naming the node, the chain and the signer of an op.
#[derive(Debug, Clone, Args)]
pub struct SignerArgs {
    /// The node's JSON-RPC URL.
    #[arg(long, env = "BITAI_RPC", default_value = DEFAULT_RPC_URL)]
    pub rpc: String,
    /// The chain id (64 hex digits).
    #[arg(long)]
    pub chain: String,
    /// The signer's key file (see `bitai keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// The signer's account index.
    #[arg(long)]
    pub account: u32,
    /// Fee, burned; the default is the shipped configs' `sequencer.min_fee`.
    #[arg(long, default_value_t = 1)]
    pub fee: u64,
}

/// A checked [`SignerArgs`]: the connection, the chain and the key.
pub struct OpSigner {
    /// The node.
    pub client: Client,
    /// The chain.
    pub chain: ChainId,
    /// The key.
    pub key: PrivateKey,
    /// The account.
    pub account: u32,
    /// The fee of each op.
    pub fee: u64,
}

impl SignerArgs {
    /// Parses the chain, reads the key, checks the fee, connects (exit code on failure).
    pub fn open(&self) -> Result<OpSigner, ExitCode> {
        self.open_with_timeout(Duration::from_millis(bitai_rpc::client::DEFAULT_TIMEOUT_MS))
    }

    /// As [`Self::open`], with a request timeout.
    pub fn open_with_timeout(&self, timeout: Duration) -> Result<OpSigner, ExitCode> {
        let chain = parse_chain(&self.chain).map_err(bad_input)?;
        if self.fee > MAX_FEE {
            return Err(bad_input(format!("--fee is at most {MAX_FEE}")));
        }
        let key = read_key(&self.key).map_err(bad_input)?;
        let client = Client::with_timeout(&self.rpc, timeout).map_err(client_failure)?;
        Ok(OpSigner {
            client,
            chain,
            key,
            account: self.account,
            fee: self.fee,
        })
    }
}

/// The unsigned part of an op: what differs between kinds.
#[derive(Clone, Copy, Debug)]
pub struct OpBody {
    /// The kind.
    pub kind: PocKind,
    /// Model or request id.
    pub target: u32,
    /// Stake, size or escrow.
    pub amount: u64,
    /// Kind-specific field elements.
    pub data: [Fr; 2],
}

impl OpSigner {
    /// Checks that the account exists and holds this key; its next nonce.
    pub async fn next_nonce(&self) -> Result<u64, ExitCode> {
        match self.client.account(self.chain, self.account).await {
            Ok(Some(a)) if a.public_key != pack_point(&self.key.public_key()) => {
                return Err(bad_input(format!(
                    "account {} of chain {} belongs to another key",
                    self.account, self.chain
                )))
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(failure(format!(
                    "account {} does not exist on chain {}",
                    self.account, self.chain
                )))
            }
            Err(e) => return Err(client_failure(e)),
        }
        match self.client.nonce(self.chain, self.account).await {
            Ok(Some(n)) => Ok(n),
            Ok(None) => Err(failure(format!(
                "the node knows no nonce for account {}",
                self.account
            ))),
            Err(e) => Err(client_failure(e)),
        }
    }

    /// Signs `body` with `payload` at the account's next nonce and submits it; the op id.
    /// A refusal is returned as the client error so callers can give it its own exit code.
    pub async fn submit(
        &self,
        body: OpBody,
        payload: Vec<u8>,
    ) -> Result<Result<Hash32, ClientError>, ExitCode> {
        let nonce = self.next_nonce().await?;
        let op = PocOp::Signed(
            PocTx {
                kind: body.kind,
                account: self.account,
                target: body.target,
                amount: body.amount,
                nonce,
                fee: self.fee,
                data: body.data,
            }
            .sign(&self.chain, &self.key, payload),
        );
        let expected = op.hash();
        match self.client.submit_poc_op(self.chain, op.to_bytes()).await {
            Ok(h) if h != expected => Err(failure(format!(
                "the node answered op id {h}, but the op's id is {expected}"
            ))),
            other => Ok(other),
        }
    }

    /// Waits until op `hash` is in an L2 block; the block number.
    pub async fn wait_in_block(&self, hash: Hash32, timeout: Duration) -> Result<u64, WaitError> {
        let status = wait_for_stage(
            &self.client,
            hash,
            Stage::InL2Block,
            timeout,
            Duration::from_millis(POLL_INTERVAL_MS),
        )
        .await?;
        Ok(status.block_number.unwrap_or_default())
    }
}

/// The failure of a wait, as an exit code (1).
pub fn wait_failure(e: WaitError) -> ExitCode {
    match e {
        WaitError::Client(e) => client_failure(e),
        other => failure(other),
    }
}
