//! `bitai keygen`: a Baby Jubjub EdDSA key for signing AI-chain transactions, in a small
//! JSON file readable only by its owner: `{"private_key": "<64 hex>", "public_key":
//! "<64 hex>"}`, the public key packed as circomlib packs points. `bitai chain create` and
//! `bitai send` read the same files.

use super::{EXIT_BAD_INPUT, EXIT_FAILURE};
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::eddsa::PrivateKey;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Largest key file read, in bytes.
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// Make a new signing key.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  bitai keygen --out alice.key\n\n\
    Writes a fresh key (32 random bytes from the operating system) to alice.key, readable \
    only by you (mode 0600), and prints its public key. Exit codes: 0 written; 1 the file \
    could not be written; 2 the file exists (use --force to replace it).")]
pub struct KeygenArgs {
    /// Where to write the key file.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

/// The key file's contents.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    /// The 32 private bytes, hex.
    #[serde(with = "bitai_rpc::hexser::bytes32")]
    private_key: [u8; 32],
    /// The packed public key, hex (checked against the private key on reading).
    #[serde(with = "bitai_rpc::hexser::bytes32")]
    public_key: [u8; 32],
}

/// Why a key file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigningKeyFileError {
    /// The file exists and `--force` was not given.
    #[error("{0} exists (use --force to replace it)")]
    Exists(PathBuf),
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a key file.
    #[error("{path}: not a bitai key file: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// A fresh key from the operating system's randomness. Keys are made by the CLI on the
/// user's machine, never inside an actor, so the determinism rule does not apply here.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
pub fn generate() -> PrivateKey {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    PrivateKey(bytes)
}

/// Writes `key` to `path` with mode 0600; refuses to replace a file unless `force`.
pub fn write_key(path: &Path, key: &PrivateKey, force: bool) -> Result<(), SigningKeyFileError> {
    let io = |source| SigningKeyFileError::Io {
        path: path.to_owned(),
        source,
    };
    if path.exists() {
        if !force {
            return Err(SigningKeyFileError::Exists(path.to_owned()));
        }
        // Remove first so the new file is created with 0600 whatever the old mode was.
        std::fs::remove_file(path).map_err(io)?;
    }
    let file = KeyFile {
        private_key: key.0,
        public_key: pack_point(&key.public_key()),
    };
    let text = serde_json::to_string_pretty(&file).expect("two hex strings serialize");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => SigningKeyFileError::Exists(path.to_owned()),
        _ => io(e),
    })?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.write_all(b"\n").map_err(io)?;
    f.sync_all().map_err(io)
}

/// Reads a key file and checks that its public key belongs to its private key.
pub fn read_key(path: &Path) -> Result<PrivateKey, SigningKeyFileError> {
    let io = |source| SigningKeyFileError::Io {
        path: path.to_owned(),
        source,
    };
    let invalid = |reason: String| SigningKeyFileError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_KEY_FILE_BYTES {
        return Err(invalid(format!(
            "{len} bytes, a key file is under {MAX_KEY_FILE_BYTES}"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    parse_key(&text).map_err(invalid)
}

/// Parses a key file's text.
fn parse_key(text: &str) -> Result<PrivateKey, String> {
    let file: KeyFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let key = PrivateKey(file.private_key);
    if pack_point(&key.public_key()) != file.public_key {
        return Err("the public key does not belong to the private key".into());
    }
    Ok(key)
}

/// The packed public key of `key`, as hex.
pub fn public_hex(key: &PrivateKey) -> String {
    hex::encode(pack_point(&key.public_key()))
}

/// Runs `bitai keygen`.
pub fn run(args: KeygenArgs) -> ExitCode {
    let key = generate();
    match write_key(&args.out, &key, args.force) {
        Ok(()) => {
            println!("{}", public_hex(&key));
            eprintln!("key written to {} (public key above)", args.out.display());
            ExitCode::SUCCESS
        }
        Err(e @ SigningKeyFileError::Exists(_)) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn key_file_round_trip_with_owner_only_permissions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.json");
        let key = PrivateKey([7; 32]);
        write_key(&path, &key, false).expect("written");
        assert_eq!(read_key(&path).expect("read back"), key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn refuses_to_overwrite_without_force() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.json");
        write_key(&path, &PrivateKey([1; 32]), false).expect("written");
        assert!(matches!(
            write_key(&path, &PrivateKey([2; 32]), false),
            Err(SigningKeyFileError::Exists(_))
        ));
        assert_eq!(read_key(&path).expect("unchanged"), PrivateKey([1; 32]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        write_key(&path, &PrivateKey([2; 32]), true).expect("forced");
        assert_eq!(read_key(&path).expect("replaced"), PrivateKey([2; 32]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "a forced rewrite is owner-only again");
        }
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(generate(), generate());
    }

    #[test]
    fn bad_key_files_are_typed_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.json");
        let key = PrivateKey([3; 32]);
        let wrong_pub = hex::encode(pack_point(&PrivateKey([4; 32]).public_key()));
        std::fs::write(
            &path,
            format!(
                r#"{{"private_key":"{}","public_key":"{wrong_pub}"}}"#,
                hex::encode(key.0)
            ),
        )
        .expect("write");
        assert!(matches!(
            read_key(&path),
            Err(SigningKeyFileError::Invalid { .. })
        ));
        std::fs::write(&path, vec![b' '; 5000]).expect("write");
        assert!(matches!(
            read_key(&path),
            Err(SigningKeyFileError::Invalid { .. })
        ));
        assert!(matches!(
            read_key(&dir.path().join("missing")),
            Err(SigningKeyFileError::Io { .. })
        ));
    }

    proptest! {
        #[test]
        fn parse_key_never_panics(text in ".{0,300}") {
            let _ = parse_key(&text);
        }

        #[test]
        fn parse_key_never_panics_on_near_valid(private in "[0-9a-fA-F]{0,70}", public in "[0-9a-fA-F]{0,70}") {
            let _ = parse_key(&format!(r#"{{"private_key":"{private}","public_key":"{public}"}}"#));
        }
    }
}
