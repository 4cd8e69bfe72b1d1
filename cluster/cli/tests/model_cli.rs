//! `bitai model import | info | run` on a Keras fixture, and the exit codes for bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bitai() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bitai"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../actors/lib/models/fixtures")
}

fn floats(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).expect("file");
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn import_info_run_lstm_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("lstm.model");
    let f = fixtures();
    let status = bitai()
        .args(["model", "import", "--keras-json"])
        .arg(f.join("lstm_text.json"))
        .arg("--weights")
        .arg(f.join("lstm_text.weights.f32"))
        .arg("-o")
        .arg(&model)
        .status()
        .expect("runs");
    assert!(status.success());
    let info = bitai()
        .args(["model", "info"])
        .arg(&model)
        .output()
        .expect("runs");
    assert!(info.status.success());
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        text.contains("LSTM") && text.contains("Embedding"),
        "{text}"
    );
    let out = dir.path().join("out.f32");
    for threads in ["1", "2"] {
        let status = bitai()
            .args(["model", "run"])
            .arg(&model)
            .arg("--input")
            .arg(f.join("lstm_text.input.f32"))
            .arg("--output")
            .arg(&out)
            .args(["--threads", threads])
            .status()
            .expect("runs");
        assert!(status.success());
        let ours = floats(&out);
        let keras = floats(&f.join("lstm_text.output.f32"));
        assert_eq!(ours.len(), keras.len());
        assert!(ours.iter().zip(&keras).all(|(a, b)| (a - b).abs() <= 1e-5));
    }
}

#[test]
fn bad_input_exits_with_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let junk = dir.path().join("junk.model");
    std::fs::write(&junk, b"not a model").expect("write");
    let info = bitai()
        .args(["model", "info"])
        .arg(&junk)
        .status()
        .expect("runs");
    assert_eq!(info.code(), Some(2));
    let f = fixtures();
    let wrong_weights = bitai()
        .args(["model", "import", "--keras-json"])
        .arg(f.join("lenet5.json"))
        .arg("--weights")
        .arg(f.join("lstm_text.weights.f32"))
        .arg("-o")
        .arg(dir.path().join("x.model"))
        .status()
        .expect("runs");
    assert_eq!(wrong_weights.code(), Some(2));
}
