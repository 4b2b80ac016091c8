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

/// Starts a training run of `EPOCHS` epochs into `output` and sends it SIGINT after `delay`;
/// returns its exit code and stderr.
#[cfg(unix)]
fn interrupted_run(output: &Path, delay: Duration) -> (Option<i32>, String) {
    let child = train(EPOCHS, output)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code(), stderr)
}

/// Epochs of both runs: long enough that a signal sent a third of the way through an
/// uninterrupted run's time lands mid-training.
const EPOCHS: &str = "1500";

#[cfg(unix)]
#[test]
fn sigint_saves_a_resumable_model_and_resuming_matches_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    let started = std::time::Instant::now();
    assert!(train(EPOCHS, &full).status().unwrap().success());
    let full_time = started.elapsed();

    // The signal goes a third of the way into the uninterrupted run's time; should the
    // machine have sped up so that training ends first, try again sooner. A run that is
    // never interrupted fails the test: it would not exercise resuming.
    let part = dir.path().join("part");
    let mut delay = full_time / 3;
    let stderr = loop {
        let (code, stderr) = interrupted_run(&part, delay);
        match code {
            Some(130) => break stderr,
            Some(0) if delay > Duration::from_millis(20) => {
                fs::remove_dir_all(&part).unwrap();
                delay /= 3;
            }
            other => {
                panic!("exit {other:?} after {delay:?}: the run was not interrupted; {stderr}")
            }
        }
    };
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert!(
        error.contains("interrupted after epoch") && error.contains("--resume"),
        "{stderr}"
    );
    assert!(part.join("train_state.safetensors").is_file());
    // The saved run stopped early: fewer epochs in its history than the full run's.
    let epochs_saved = fs::read_to_string(part.join("history.tsv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert!(epochs_saved < 1500, "{epochs_saved} epochs saved");

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
    for file in ["model.safetensors", "history.tsv", "config.json"] {
        assert_eq!(
            fs::read(full.join(file)).unwrap(),
            fs::read(resumed.join(file)).unwrap(),
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
