//! A directory of Groth16 proving-key files, as a prover node gets them from its
//! coordinator (the coordinator's devnet key cache, `node.data_dir/keys`, copied or shared).
//!
//! A key file names no circuit shape: it starts with a magic and the digest of the R1CS it
//! belongs to (`bitai_proofs::groth16::keys`). So [`KeyDir::open`] indexes every `*.pk` file by
//! that digest, and the keys of a shape are loaded the first time a job of that shape comes
//! ([`KeyDir::keys_for`]): the shape's blank circuit gives its R1CS and digest, the file
//! with that digest is read and fully checked (checksum, points, digest) by
//! `ProvingKey::from_bytes`, and the loaded keys are kept for the next job.

use bitai_proofs::circuit::{BlockCircuit, CircuitConfig};
use bitai_proofs::groth16::domain::Domain;
use bitai_proofs::groth16::keys::ProvingKey;
use bitai_proofs::groth16::r1cs::R1cs;
use bitai_proofs::groth16::Groth16Keys;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Largest key file read (the largest devnet shapes' keys are a few hundred megabytes).
pub const MAX_KEY_FILE_BYTES: u64 = 8 << 30;
/// Bytes before the digest in a key file (its magic).
const MAGIC_LEN: usize = 8;

/// Why a key directory cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyDirError {
    /// The directory could not be listed.
    #[error("cannot read key directory {path}: {source}")]
    Read {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No key file in it.
    #[error("no proving key files (*.pk) in {0}")]
    Empty(PathBuf),
}

/// Key files by R1CS digest, and the keys loaded so far by shape.
pub struct KeyDir {
    dir: PathBuf,
    /// Paths by the digest in their header (more than one when stale copies lie beside a
    /// current file: each is tried in name order).
    files: BTreeMap<[u8; 32], Vec<PathBuf>>,
    loaded: Mutex<BTreeMap<CircuitConfig, Arc<Groth16Keys>>>,
}

impl std::fmt::Debug for KeyDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyDir")
            .field("dir", &self.dir)
            .field("files", &self.files.len())
            .finish()
    }
}

impl KeyDir {
    /// Indexes the key files of `dir` (files that are not key files are skipped with a log
    /// line; a directory without any is an error).
    pub fn open(dir: &Path) -> Result<Self, KeyDirError> {
        let read_err = |source| KeyDirError::Read {
            path: dir.to_owned(),
            source,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(read_err)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "pk"))
            .collect();
        paths.sort();
        let mut files = BTreeMap::new();
        for path in paths {
            match header_digest(&path) {
                Ok(digest) => files.entry(digest).or_insert_with(Vec::new).push(path),
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "skipping key file"),
            }
        }
        if files.is_empty() {
            return Err(KeyDirError::Empty(dir.to_owned()));
        }
        tracing::info!(dir = %dir.display(), files = files.len(), "indexed proving keys");
        Ok(KeyDir {
            dir: dir.to_owned(),
            files,
            loaded: Mutex::new(BTreeMap::new()),
        })
    }

    /// How many key files were indexed.
    pub fn len(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }

    /// Whether no key file was indexed (never true for an opened directory).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The keys of circuit shape `config`, loaded on first use (seconds of CPU for a large
    /// shape: call it off the async runtime, as the prover does on rayon).
    pub fn keys_for(&self, config: CircuitConfig) -> Result<Arc<Groth16Keys>, String> {
        if let Some(keys) = self.lock().get(&config) {
            return Ok(keys.clone());
        }
        let blank = BlockCircuit::blank(config).map_err(|e| e.to_string())?;
        let r1cs = R1cs::from_circuit(blank).map_err(|e| e.to_string())?;
        let digest = r1cs.digest();
        let paths = self.files.get(&digest).ok_or_else(|| {
            format!(
                "no proving key for circuit shape {config:?} in {}",
                self.dir.display()
            )
        })?;
        let mut failures = Vec::new();
        let mut found = None;
        for path in paths {
            match read_bounded(path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    ProvingKey::from_bytes(&bytes, &digest).map_err(|e| e.to_string())
                }) {
                Ok(pk) => {
                    found = Some((path, pk));
                    break;
                }
                Err(e) => failures.push(format!("{}: {e}", path.display())),
            }
        }
        let (path, pk) = found.ok_or_else(|| failures.join("; "))?;
        let domain = Domain::for_size(r1cs.num_constraints() + r1cs.num_instance)
            .map_err(|e| e.to_string())?;
        tracing::info!(path = %path.display(), ?config, "loaded proving key");
        let keys = Arc::new(Groth16Keys { r1cs, domain, pk });
        self.lock().insert(config, keys.clone());
        Ok(keys)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<CircuitConfig, Arc<Groth16Keys>>> {
        self.loaded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The R1CS digest in a key file's header.
fn header_digest(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut head = [0u8; MAGIC_LEN + 32];
    std::fs::File::open(path)?.read_exact(&mut head)?;
    let mut digest = [0u8; 32];
    digest.copy_from_slice(&head[MAGIC_LEN..]);
    Ok(digest)
}

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let len = std::fs::metadata(path)?.len();
    if len > MAX_KEY_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "key file of {len} bytes exceeds {MAX_KEY_FILE_BYTES}"
        )));
    }
    std::fs::read(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_by_shape_and_a_missing_shape_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shape = CircuitConfig::new(1, 1);
        let blank = BlockCircuit::blank(shape).expect("blank");
        let made =
            Groth16Keys::devnet_cached(blank, b"keydir test", dir.path()).expect("devnet setup");
        std::fs::write(dir.path().join("notes.txt"), b"not a key").expect("write");
        std::fs::write(dir.path().join("short.pk"), b"BITAIPK1").expect("write");
        // A damaged copy with the same header, tried first (name order), then passed over.
        let real = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").path())
            .find(|p| p.to_string_lossy().contains("groth16-devnet"))
            .expect("the cached key file");
        let mut stale = std::fs::read(&real).expect("read")[..MAGIC_LEN + 32].to_vec();
        stale.extend_from_slice(&[0; 64]);
        std::fs::write(dir.path().join("0-stale.pk"), stale).expect("write");
        let keys = KeyDir::open(dir.path()).expect("opens");
        assert_eq!(keys.len(), 2, "the short file is skipped");
        let loaded = keys.keys_for(shape).expect("found");
        assert_eq!(loaded.vk(), made.vk());
        let other = CircuitConfig::new(1, 2);
        assert!(keys.keys_for(other).is_err());
        let empty = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            KeyDir::open(empty.path()),
            Err(KeyDirError::Empty(_))
        ));
    }
}
