//! The inscriber's configuration (the `[inscriber]` table of a node config).

use serde::Deserialize;

/// How the inscriber batches, prices and bumps.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InscriberConfig {
    /// Network of the wallet's addresses: `bitcoin`, `testnet`, `signet` or `regtest`.
    /// Default `regtest`.
    pub network: String,
    /// The wallet's secret key, 64 hex characters. Default none: a key is drawn once from
    /// the injected seeded rng and persisted.
    pub secret_key_hex: Option<String>,
    /// Lowest fee rate paid, sat/vB. Default 1.
    pub fee_rate_floor_sat_per_vb: u64,
    /// Highest fee rate paid, bumps included, sat/vB. Default 100.
    pub fee_rate_ceiling_sat_per_vb: u64,
    /// Confirmation target asked of the fee estimator, blocks. Default 2.
    pub confirm_target_blocks: u16,
    /// Blocks an unconfirmed leg waits before it is bumped. Default 2.
    pub bump_after_blocks: u64,
    /// Each bump raises the fee rate by this percentage (and by at least 1 sat/vB).
    /// Default 50.
    pub bump_step_percent: u64,
    /// Confirmations at which a batch is final. Default 6.
    pub finality_depth: u64,
    /// Most weight of one reveal, WU (Bitcoin Core's standard limit). Default 400,000.
    pub max_reveal_weight_wu: u64,
    /// Value of the reveal's output, back to the wallet; room for bumping the reveal by
    /// replacement. Default 10,000 sat.
    pub reveal_output_sat: u64,
    /// Balance under which the wallet reports low funds, sat. Default 1,000,000.
    pub low_funds_sat: u64,
    /// How often the inscriber looks at its batches when no block comes, ms. Default 1000.
    pub poll_interval_ms: u64,
    /// Blocks the inscriber's indexer cursor remembers (at least the deepest reorg). Default
    /// 101.
    pub cursor_keep_blocks: u64,
    /// How it prices and bumps: the implementation version's choice, not a config key (an
    /// operator changes it with `bitai admin swap`, docs/runtime-semantics.md).
    #[serde(skip)]
    pub fee_policy: FeePolicy,
}

/// How an inscriber prices its batches: the difference between its two versions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FeePolicy {
    /// `prompt` (v1): the fee estimate for `confirm_target_blocks`, bumped after
    /// `bump_after_blocks` unconfirmed blocks: proofs land soon.
    #[default]
    Prompt,
    /// `economical` (v2): the estimate for [`ECONOMICAL_FACTOR`] times that target (at least
    /// 6 blocks), bumped [`ECONOMICAL_FACTOR`] times as late: cheaper inscriptions, later
    /// finality on the BitAI side.
    Economical,
}

/// The format of the inscriber's persisted state. Every version compiled in writes and reads
/// this one today; a version that changes the store's layout takes the next number and
/// declares which formats it reads, so a swap to a version that cannot read the store is
/// refused by name (`ChildSpec::state_format`, docs/runtime-semantics.md).
pub const STATE_FORMAT: u32 = 1;

/// How much further the `economical` version aims and waits.
pub const ECONOMICAL_FACTOR: u64 = 3;

impl FeePolicy {
    /// The version tag of the implementation that prices this way.
    pub fn version(self) -> &'static str {
        match self {
            FeePolicy::Prompt => "prompt",
            FeePolicy::Economical => "economical",
        }
    }
}

impl Default for InscriberConfig {
    fn default() -> Self {
        Self {
            network: "regtest".into(),
            secret_key_hex: None,
            fee_rate_floor_sat_per_vb: 1,
            fee_rate_ceiling_sat_per_vb: 100,
            confirm_target_blocks: 2,
            bump_after_blocks: 2,
            bump_step_percent: 50,
            finality_depth: 6,
            max_reveal_weight_wu: 400_000,
            reveal_output_sat: 10_000,
            low_funds_sat: 1_000_000,
            poll_interval_ms: 1_000,
            cursor_keep_blocks: 101,
            fee_policy: FeePolicy::Prompt,
        }
    }
}

impl InscriberConfig {
    /// The confirmation target the fee estimate is asked for, by the fee policy.
    pub fn effective_confirm_target(&self) -> u16 {
        match self.fee_policy {
            FeePolicy::Prompt => self.confirm_target_blocks,
            FeePolicy::Economical => {
                let far = u64::from(self.confirm_target_blocks) * ECONOMICAL_FACTOR;
                u16::try_from(far.max(6)).unwrap_or(u16::MAX)
            }
        }
    }

    /// Unconfirmed blocks before a leg is bumped, by the fee policy.
    pub fn effective_bump_after(&self) -> u64 {
        match self.fee_policy {
            FeePolicy::Prompt => self.bump_after_blocks,
            FeePolicy::Economical => self.bump_after_blocks.saturating_mul(ECONOMICAL_FACTOR),
        }
    }

    /// The wallet's network.
    pub fn network(&self) -> Result<bitcoin::Network, crate::InscriberError> {
        match self.network.as_str() {
            "bitcoin" | "mainnet" => Ok(bitcoin::Network::Bitcoin),
            "testnet" => Ok(bitcoin::Network::Testnet),
            "signet" => Ok(bitcoin::Network::Signet),
            "regtest" => Ok(bitcoin::Network::Regtest),
            other => Err(crate::InscriberError::Config(format!(
                "unknown network {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod fee_policy_tests {
    use super::*;

    #[test]
    fn the_economical_version_aims_further_and_bumps_later() {
        let prompt = InscriberConfig::default();
        assert_eq!(
            (
                prompt.effective_confirm_target(),
                prompt.effective_bump_after()
            ),
            (2, 2)
        );
        let economical = InscriberConfig {
            fee_policy: FeePolicy::Economical,
            ..InscriberConfig::default()
        };
        assert_eq!(
            economical.effective_confirm_target(),
            6,
            "at least six blocks"
        );
        assert_eq!(economical.effective_bump_after(), 6);
        let far = InscriberConfig {
            confirm_target_blocks: 4,
            ..economical
        };
        assert_eq!(far.effective_confirm_target(), 12);
        assert_eq!(FeePolicy::Economical.version(), "economical");
    }
}
