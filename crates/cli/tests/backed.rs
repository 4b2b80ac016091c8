//! End-to-end: `--backed` (the `.h5ad` matrix read from the file a minibatch at a time) gives
//! byte-identical outputs to the in-memory runs, on uncompressed (contiguous and chunked) and
//! gzip fixtures, `X` and a CSR layer (`bench/make_backed_h5ad.py` wrote
//! `counts_csr_layer.h5ad`).

mod common;

use std::fs;
use std::path::Path;

use common::{TRAIN, ok, s, testdata};

/// Runs `command` with `args` (+ `--backed` when `backed`), writing `out`; returns its bytes.
fn run(command: &str, args: &[&str], backed: bool, out: &Path) -> Vec<u8> {
    let mut all = vec![command, "--quiet", "-o", s(out)];
    all.extend_from_slice(args);
    if backed {
        all.push("--backed");
    }
    ok(&all);
    fs::read(out).unwrap()
}

#[test]
fn embed_backed_equals_embed_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let plain = testdata("counts.h5ad");
    let gzip = testdata("counts_gzip.h5ad");
    let layer = testdata("counts_csr_layer.h5ad");
    let cases: [(&str, Vec<&str>); 5] = [
        ("uncompressed_x", vec!["--h5ad", s(&plain)]),
        ("gzip_x", vec!["--h5ad", s(&gzip), "--batch-key", "batch"]),
        (
            "gzip_csr_layer",
            vec!["--h5ad", s(&layer), "--layer", "counts"],
        ),
        (
            "masked",
            vec!["--h5ad", s(&plain), "--var-mask", "highly_variable"],
        ),
        (
            "filtered",
            vec![
                "--h5ad",
                s(&gzip),
                "--min-genes",
                "12",
                "--n-top-genes",
                "30",
            ],
        ),
    ];
    for (name, input) in cases {
        let mut args = input.clone();
        args.extend_from_slice(&TRAIN);
        let memory = run(
            "embed",
            &args,
            false,
            &dir.path().join(format!("{name}.tsv")),
        );
        let backed = run(
            "embed",
            &args,
            true,
            &dir.path().join(format!("{name}_b.tsv")),
        );
        assert!(backed == memory, "{name}: --backed latent differs");
    }
}

#[test]
fn encode_and_reconstruct_backed_equal_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let layer = testdata("counts_csr_layer.h5ad");
    let model = dir.path().join("model");
    let mut args = vec![
        "--h5ad",
        s(&layer),
        "--layer",
        "counts",
        "--save-model",
        s(&model),
    ];
    args.extend_from_slice(&TRAIN);
    let trained = run("embed", &args, true, &dir.path().join("embedded.tsv"));
    // The saved layer is replayed; the matrix read on demand.
    let input = ["--model", s(&model), "--h5ad", s(&layer)];
    for command in ["encode", "reconstruct"] {
        let memory = run(
            command,
            &input,
            false,
            &dir.path().join(format!("{command}.tsv")),
        );
        let backed = run(
            command,
            &input,
            true,
            &dir.path().join(format!("{command}_b.tsv")),
        );
        assert!(backed == memory, "{command}: --backed output differs");
        if command == "encode" {
            assert!(backed == trained, "encode differs from embed's latent");
        }
    }
}
