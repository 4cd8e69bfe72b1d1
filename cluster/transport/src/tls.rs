//! TLS for the cluster transport. `ractor_cluster` authenticates only its handshake (a
//! SHA-256 challenge over the shared cookie); the frames after it carry no integrity check
//! and no encryption. With `[cluster] tls_cert` and `tls_key` set, the coordinator's
//! `NodeServer` accepts only TLS connections ([`server_acceptor`]), and a prover node given
//! `--tls-ca` connects with a connector that trusts only that file's certificates
//! ([`client_connector`]): every frame is then encrypted and integrity-checked, and the prover
//! node knows it talks to the coordinator. The cookie still authenticates the prover node
//! (there are no client certificates).
//!
//! PEM files are read with a size limit ([`MAX_PEM_BYTES`]) and parsed by `rustls`'
//! `pki_types`; anything wrong is a [`TlsError`], never a panic. Configs are built with an
//! explicit crypto provider (aws-lc-rs, the one `ractor_cluster`'s tokio-rustls pulls in)
//! rather than a process default, which `rustls` refuses to pick when several providers are
//! compiled in.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// The largest PEM file read (a certificate chain or a key is a few KiB).
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// What went wrong loading TLS material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_PEM_BYTES`].
    #[error("{path} is larger than {MAX_PEM_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file is not valid PEM, or holds no item of the expected kind.
    #[error("{path}: no {what} in it ({reason})")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What was looked for (`certificate`, `private key`).
        what: &'static str,
        /// Why none was found.
        reason: String,
    },
    /// rustls refused the material (a key that does not match the certificate, a CA
    /// certificate it cannot parse, ...).
    #[error("{context}: {source}")]
    Rustls {
        /// What was being built.
        context: String,
        /// Why.
        source: rustls::Error,
    },
    /// The server name is neither a DNS name nor an IP address.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
}

/// Reads `path`, refusing files over [`MAX_PEM_BYTES`].
fn read_limited(path: &Path) -> Result<Vec<u8>, TlsError> {
    let read_err = |source| TlsError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(TlsError::TooLarge {
            path: path.to_owned(),
        });
    }
    Ok(bytes)
}

/// The certificates of PEM text (`path` names it in errors); at least one.
pub fn parse_certificates(
    pem: &[u8],
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_err = |reason: String| TlsError::Pem {
        path: path.to_owned(),
        what: "certificate",
        reason,
    };
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_err("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

/// The first private key of PEM text (`path` names it in errors).
pub fn parse_private_key(pem: &[u8], path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| TlsError::Pem {
        path: path.to_owned(),
        what: "private key",
        reason: e.to_string(),
    })
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The coordinator's TLS acceptor: the certificate chain in `cert` (PEM, leaf first) and its
/// private key in `key` (PEM: PKCS#8, PKCS#1 or SEC1).
pub fn server_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let chain = parse_certificates(&read_limited(cert)?, cert)?;
    let private_key = parse_private_key(&read_limited(key)?, key)?;
    let rustls_err = |source| TlsError::Rustls {
        context: format!("{} with {}", cert.display(), key.display()),
        source,
    };
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(rustls_err)?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(rustls_err)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A prover node's TLS connector, trusting only the certificates in `ca` (PEM).
pub fn client_connector(ca: &Path) -> Result<TlsConnector, TlsError> {
    let certs = parse_certificates(&read_limited(ca)?, ca)?;
    let rustls_err = |source| TlsError::Rustls {
        context: format!("CA certificates {}", ca.display()),
        source,
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(rustls_err)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(rustls_err)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The name a prover node checks the coordinator's certificate against: `name` when given,
/// otherwise the host of `join` (`HOST:PORT`, `[IPv6]:PORT`).
pub fn server_name(name: Option<&str>, join: &str) -> Result<ServerName<'static>, TlsError> {
    let host = match name {
        Some(name) => name,
        None => {
            let host = join.rsplit_once(':').map_or(join, |(host, _port)| host);
            host.trim_start_matches('[').trim_end_matches(']')
        }
    };
    ServerName::try_from(host.to_owned()).map_err(|_| TlsError::ServerName(host.to_owned()))
}

#[cfg(test)]
mod tests;
