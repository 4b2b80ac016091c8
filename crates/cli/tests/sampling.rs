//! End-to-end: `--sampling weighted` (sequences drawn by weight, as EVE and DeepSequence
//! draw them) is saved, repeats with its seed, trains another model than the default's
//! sampling, and is refused where rows have no weights.

mod common;

use std::fs;

use common::{fails, model_config, s, score, testdata, train_family};

#[test]
fn weighted_sampling_is_saved_repeats_and_changes_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second, uniform) = (
        dir.path().join("first"),
        dir.path().join("second"),
        dir.path().join("uniform"),
    );
    train_family(&first, &["--sampling", "weighted"]);
    train_family(&second, &["--sampling", "weighted"]);
    train_family(&uniform, &[]);
    assert_eq!(model_config(&first)["train"]["sampling"], "weighted");
    // The default stays out of config.json, as before the flag.
    assert!(model_config(&uniform)["train"]["sampling"].is_null());
    let weights = |model: &std::path::Path| fs::read(model.join("model.safetensors")).unwrap();
    assert_eq!(weights(&first), weights(&second), "same seed, same model");
    assert_ne!(
        weights(&first),
        weights(&uniform),
        "the draws change the minibatches"
    );
    assert_eq!(
        score(&first, dir.path(), "a.tsv"),
        score(&second, dir.path(), "b.tsv")
    );
}

#[test]
fn weighted_sampling_needs_sequence_weights() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    fails(
        &[
            "train",
            "--fasta",
            s(&testdata("contigs.fa")),
            "--sampling",
            "weighted",
            "-q",
            "-o",
            s(&model),
        ],
        2,
        "--sampling weighted draws sequences by their weights, which only protein family \
         alignments (--msa) have",
    );
    assert!(!model.exists(), "nothing written");
}
