//! End-to-end: Ctrl-C (SIGINT) during `vaebio train` saves the last completed epoch with its
//! training state, and `train --resume` then ends with byte-identical files to a run that
//! was never interrupted.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn counts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/counts.tsv")
}

fn train(epochs: &str, output: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vaebio"));
    command
        .args(["train", "--matrix"])
        .arg(counts())
        .args(["--epochs", epochs, "--quiet"])
        .arg("-o")
        .arg(output);
    command
}

#[cfg(unix)]
#[test]
fn sigint_saves_a_resumable_model_and_resuming_matches_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    assert!(train("1500", &full).status().unwrap().success());

    let part = dir.path().join("part");
    let child = train("1500", &part)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let finished = match out.status.code() {
        // The machine was fast enough to finish before the signal: nothing to resume.
        Some(0) => part.clone(),
        Some(130) => {
            let error = stderr
                .lines()
                .find(|l| l.starts_with("error:"))
                .unwrap_or_default();
            assert!(
                error.contains("interrupted after epoch") && error.contains("--resume"),
                "{stderr}"
            );
            assert!(part.join("train_state.safetensors").is_file());
            let resumed = dir.path().join("resumed");
            let status = Command::new(env!("CARGO_BIN_EXE_vaebio"))
                .args(["train", "--quiet", "--resume"])
                .arg(&part)
                .arg("--matrix")
                .arg(counts())
                .arg("-o")
                .arg(&resumed)
                .status()
                .unwrap();
            assert!(status.success());
            resumed
        }
        other => panic!("exit {other:?}: {stderr}"),
    };
    for file in ["model.safetensors", "history.tsv", "config.json"] {
        assert_eq!(
            fs::read(full.join(file)).unwrap(),
            fs::read(finished.join(file)).unwrap(),
            "{file} differs from the uninterrupted run"
        );
    }
}

#[test]
fn resume_refuses_a_model_without_training_state() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    assert!(train("2", &model).status().unwrap().success());
    let out = Command::new(env!("CARGO_BIN_EXE_vaebio"))
        .args(["train", "--quiet", "--resume"])
        .arg(&model)
        .arg("--matrix")
        .arg(counts())
        .arg("-o")
        .arg(dir.path().join("again"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("holds no training state"), "{stderr}");
    assert!(!dir.path().join("again").exists());
}
