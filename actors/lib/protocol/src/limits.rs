//! Size limits of the BitAI protocol. They bound what any decoder will accept from outside,
//! and they are consensus: a transaction over a limit is invalid wherever it is seen.

/// Largest encoded BitAI transaction (format byte included). A reveal transaction must stay
/// within Bitcoin's standard weight of 400,000 WU; witness bytes weigh 1 WU each, so about
/// 396 KB of envelope body fit once the reveal's own bytes and push opcodes are paid for.
pub const MAX_TX_BYTES: usize = 392_000;

/// Longest chain name, in bytes of UTF-8.
pub const MAX_CHAIN_NAME_BYTES: usize = 64;

/// Largest verifying key a chain may register. A gnark Groth16 key with a few dozen public
/// inputs is well under 4 KB; 64 KB leaves room for other proof systems.
pub const MAX_VERIFYING_KEY_BYTES: usize = 64 * 1024;

/// Largest proof a `SubmitProof` may carry. A gnark Groth16 proof is 128 bytes (plus an
/// optional commitment); 16 KB leaves room for other proof systems.
pub const MAX_PROOF_BYTES: usize = 16 * 1024;
