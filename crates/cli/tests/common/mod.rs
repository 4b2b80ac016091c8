//! Helpers shared by the end-to-end tests: locate testdata, run the built binary, read its
//! tables. (Each test file compiles this module on its own and uses only some of it.)
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file or directory under the workspace's `testdata/`.
pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

/// Runs `vaebio` with `args`.
pub fn vaebio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vaebio"))
        .args(args)
        .output()
        .expect("the vaebio binary runs")
}

/// Runs `vaebio` and asserts success.
pub fn ok(args: &[&str]) -> Output {
    let out = vaebio(args);
    assert!(
        out.status.success(),
        "vaebio {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The `config.json` of a saved model directory, parsed.
pub fn model_config(model: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(model.join("config.json")).unwrap()).unwrap()
}

/// A path as `&str` (temporary paths are UTF-8).
pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// Parses a TSV written by vaebio into (header, rows of id and values).
pub fn read_tsv(path: &Path) -> (Vec<String>, Vec<(String, Vec<f64>)>) {
    let text = fs::read_to_string(path).expect("output exists");
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("header")
        .split('\t')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|line| {
            let mut fields = line.split('\t');
            let id = fields.next().expect("id").to_string();
            let values = fields.map(|v| v.parse().expect("number")).collect();
            (id, values)
        })
        .collect();
    (header, rows)
}

/// Asserts a failure with `code`, a single `error:` line mentioning `needle`, no panic.
pub fn fails(args: &[&str], code: i32, needle: &str) {
    let out = vaebio(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "vaebio {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(needle),
        "expected '{needle}' in: {stderr}"
    );
}

/// Settings small enough for a test, fixed so every run trains the same model.
pub const TRAIN: [&str; 8] = [
    "--epochs",
    "3",
    "--seed",
    "11",
    "--hidden",
    "16",
    "--latent-dim",
    "3",
];

/// Trains a small model (hidden 32, latent 4, 2 epochs) on the committed protein family
/// `family.a2m` with `flags` into `model`.
pub fn train_family(model: &Path, flags: &[&str]) {
    let msa = testdata("family.a2m");
    let mut args = vec![
        "train",
        "--msa",
        s(&msa),
        "--hidden",
        "32",
        "--latent-dim",
        "4",
        "--epochs",
        "2",
        "-q",
        "-o",
        s(model),
    ];
    args.extend_from_slice(flags);
    ok(&args);
}

/// `score` of three mutations of `family.a2m`'s focus (Q5A, R6K, E7D:V8I) with 3 samples by
/// `model`, written to `dir/name`; checks three finite scores and returns the table as text.
pub fn score(model: &Path, dir: &Path, name: &str) -> String {
    score_with(model, dir, name, &[])
}

/// [`score`] with further flags.
pub fn score_with(model: &Path, dir: &Path, name: &str, flags: &[&str]) -> String {
    let mutations = dir.join("muts.txt");
    fs::write(&mutations, "Q5A\nR6K\nE7D:V8I\n").unwrap();
    let out = dir.join(name);
    let msa = testdata("family.a2m");
    let mut args = vec![
        "score",
        "--model",
        s(model),
        "--msa",
        s(&msa),
        "--mutations",
        s(&mutations),
        "--samples",
        "3",
        "-o",
        s(&out),
    ];
    args.extend_from_slice(flags);
    ok(&args);
    let (_, rows) = read_tsv(&out);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|(_, v)| v[0].is_finite()));
    fs::read_to_string(out).unwrap()
}
