//! Loading TLS material: bad files are typed errors, arbitrary bytes never panic, and a
//! certificate and key made by the `openssl` CLI build an acceptor and a connector.

use super::*;
use proptest::prelude::*;

/// Writes a self-signed certificate and its key for `localhost` into `dir` with the
/// `openssl` CLI; (cert, key).
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the openssl CLI runs");
    assert!(status.success(), "openssl req failed");
    (cert, key)
}

#[test]
fn an_openssl_certificate_and_key_build_an_acceptor_and_a_connector() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = self_signed(dir.path());
    server_acceptor(&cert, &key).expect("a valid certificate and key");
    client_connector(&cert).expect("a valid CA file");
}

#[test]
fn a_missing_file_a_non_pem_file_and_a_swapped_pair_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = self_signed(dir.path());
    let missing = dir.path().join("missing.pem");
    assert!(matches!(
        server_acceptor(&missing, &key),
        Err(TlsError::Read { .. })
    ));
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, b"this is not PEM\n").expect("write");
    assert!(matches!(
        server_acceptor(&junk, &key),
        Err(TlsError::Pem {
            what: "certificate",
            ..
        })
    ));
    assert!(matches!(
        server_acceptor(&cert, &junk),
        Err(TlsError::Pem {
            what: "private key",
            ..
        })
    ));
    assert!(matches!(client_connector(&junk), Err(TlsError::Pem { .. })));
    // The key file holds no certificate, the certificate file no key.
    assert!(server_acceptor(&key, &cert).is_err());
}

#[test]
fn a_key_of_another_certificate_is_refused() {
    let (one, two) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (cert, _) = self_signed(one.path());
    let (_, other_key) = self_signed(two.path());
    assert!(matches!(
        server_acceptor(&cert, &other_key),
        Err(TlsError::Rustls { .. })
    ));
}

#[test]
fn a_file_over_the_limit_is_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("big.pem");
    let size = usize::try_from(MAX_PEM_BYTES).expect("fits") + 1;
    std::fs::write(&big, vec![b'A'; size]).expect("write");
    assert!(matches!(
        client_connector(&big),
        Err(TlsError::TooLarge { .. })
    ));
}

#[test]
fn the_server_name_defaults_to_the_join_host() {
    let name = |n: Option<&str>, join: &str| server_name(n, join).map(|s| s.to_str().into_owned());
    assert_eq!(name(None, "localhost:7400").expect("dns"), "localhost");
    assert_eq!(name(None, "127.0.0.1:7400").expect("ip"), "127.0.0.1");
    assert_eq!(name(None, "[::1]:7400").expect("ipv6"), "::1");
    assert_eq!(
        name(Some("coordinator.example"), "10.0.0.5:7400").expect("flag"),
        "coordinator.example"
    );
    assert!(matches!(
        server_name(Some("not a name"), "x:1"),
        Err(TlsError::ServerName(_))
    ));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_pem_parsers(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        prefix in any::<bool>(),
    ) {
        let mut pem = Vec::new();
        if prefix {
            pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        }
        pem.extend_from_slice(&bytes);
        let path = Path::new("arbitrary.pem");
        let _ = parse_certificates(&pem, path);
        let _ = parse_private_key(&pem, path);
    }
}
