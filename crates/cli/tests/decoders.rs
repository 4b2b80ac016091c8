//! End-to-end: `--decoder`, `--sparsity`, `--temperature` and `--init-output` outside the
//! presets, and `--preset deepsequence`: saved in config.json, scores that repeat, and
//! one-line refusals (exit 2) where the settings do not apply.

mod common;

use common::{fails, model_config, s, score, score_with, testdata, train_family};

#[test]
fn decoder_flags_choose_the_bayesian_decoder_and_its_options() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train_family(
        &model,
        &[
            "--decoder",
            "bayesian",
            "--sparsity",
            "logit",
            "--temperature",
            "off",
        ],
    );
    let decoder = &model_config(&model)["vae"]["decoder"];
    assert_eq!(decoder["kind"], "bayesian");
    assert_eq!(decoder["temperature"], false);
    assert_eq!(decoder["sparsity"]["kind"], "logit");
    assert_eq!(decoder["sparsity"]["tiles"], 4);
    // The default recipe's training stays (the held-out 10%, early stopping).
    assert!(!model_config(&model)["train"]["early_stopping"].is_null());
    assert_eq!(
        score(&model, dir.path(), "a.tsv"),
        score(&model, dir.path(), "b.tsv")
    );
    // `--decoder standard` over a preset's Bayesian decoder.
    let standard = dir.path().join("standard");
    train_family(&standard, &["--preset", "eve", "--decoder", "standard"]);
    assert_eq!(
        model_config(&standard)["vae"]["decoder"]["kind"],
        "standard"
    );
}

#[test]
fn site_output_init_is_saved_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train_family(&model, &["--init-output", "site"]);
    let config = model_config(&model);
    assert_eq!(config["vae"]["output_init"], "site");
    assert_eq!(config["vae"]["decoder"]["kind"], "standard");
    assert_eq!(
        score(&model, dir.path(), "a.tsv"),
        score(&model, dir.path(), "b.tsv")
    );
    // The random start is the default and stays out of config.json, as before the flag.
    let random = dir.path().join("random");
    train_family(&random, &["--init-output", "random"]);
    assert!(model_config(&random)["vae"]["output_init"].is_null());
}

/// `--shrinkage site` (the default) scores through the predictive shrunk toward the site
/// model: the same draws give the same scores, and they differ from the decoder's own
/// (`--shrinkage none`), for the standard and the Bayesian decoder.
#[test]
fn site_shrinkage_scores_repeat_and_differ_from_plain_scores() {
    let dir = tempfile::tempdir().unwrap();
    for (name, flags) in [
        ("standard", &[][..]),
        ("bayesian", &["--decoder", "bayesian"][..]),
    ] {
        let model = dir.path().join(name);
        train_family(&model, flags);
        let site = ["--shrinkage", "site"];
        let shrunk = score_with(&model, dir.path(), "a.tsv", &site);
        assert_eq!(shrunk, score_with(&model, dir.path(), "b.tsv", &site));
        assert_eq!(shrunk, score(&model, dir.path(), "default.tsv"));
        let plain = score_with(&model, dir.path(), "none.tsv", &["--shrinkage", "none"]);
        assert_ne!(shrunk, plain, "{name}");
    }
}

/// `--site-mixture` trains through the mixture `score` scores with: saved in config.json
/// (left out while off), and its scores repeat and differ from those of the plain training.
#[test]
fn site_mixture_is_saved_and_changes_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let mixed = dir.path().join("mixed");
    train_family(&mixed, &["--site-mixture"]);
    assert_eq!(model_config(&mixed)["vae"]["site_mixture"], true);
    let plain = dir.path().join("plain");
    train_family(&plain, &[]);
    assert!(model_config(&plain)["vae"]["site_mixture"].is_null());
    let scores = score(&mixed, dir.path(), "a.tsv");
    assert_eq!(scores, score(&mixed, dir.path(), "b.tsv"));
    assert_ne!(scores, score(&plain, dir.path(), "plain.tsv"));
}

#[test]
fn deepsequence_preset_trains_a_sparse_bayesian_decoder() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train_family(&model, &["--preset", "deepsequence"]);
    let config = model_config(&model);
    let decoder = &config["vae"]["decoder"];
    assert_eq!(decoder["kind"], "bayesian");
    assert_eq!(decoder["dropout"], 0.0);
    assert_eq!(decoder["sparsity"]["kind"], "logit");
    // `--hidden` sizes both sides: the decoder mirrors the 32 units.
    assert!(config["vae"]["decoder_hidden"].is_null());
    assert_eq!(config["train"]["batch_size"].as_u64(), Some(100));
    assert_eq!(config["train"]["learning_rate"].as_f64(), Some(1e-3));
    score(&model, dir.path(), "scores.tsv");
}

#[test]
fn decoder_settings_are_refused_where_they_do_not_apply() {
    let msa = testdata("family.a2m");
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    fails(
        &[
            "train",
            "--msa",
            s(&msa),
            "--sparsity",
            "logit",
            "-q",
            "-o",
            s(&model),
        ],
        2,
        "--sparsity is a setting of the Bayesian decoder — add --decoder bayesian",
    );
    fails(
        &[
            "train",
            "--msa",
            s(&msa),
            "--temperature",
            "off",
            "-q",
            "-o",
            s(&model),
        ],
        2,
        "--temperature is a setting of the Bayesian decoder",
    );
    fails(
        &[
            "embed",
            "--fasta",
            s(&testdata("contigs.fa")),
            "--decoder",
            "bayesian",
            "-q",
        ],
        2,
        "--decoder bayesian is for protein family alignments (--msa)",
    );
    // 4 tiles do not divide a last decoder layer of 30 units.
    fails(
        &[
            "train",
            "--msa",
            s(&msa),
            "--decoder",
            "bayesian",
            "--sparsity",
            "logit",
            "--hidden",
            "30",
            "-q",
            "-o",
            s(&model),
        ],
        2,
        "decoder.sparsity.tiles`: 4 does not divide the last decoder layer's 30 units",
    );
    fails(
        &[
            "train",
            "--msa",
            s(&msa),
            "--preset",
            "eve",
            "--init-output",
            "site",
            "-q",
            "-o",
            s(&model),
        ],
        2,
        "--init-output site needs the standard decoder",
    );
    fails(
        &[
            "embed",
            "--fasta",
            s(&testdata("contigs.fa")),
            "--init-output",
            "site",
            "-q",
        ],
        2,
        "--init-output site starts from column or allele frequencies",
    );
    fails(
        &[
            "embed",
            "--fasta",
            s(&testdata("contigs.fa")),
            "--site-mixture",
            "-q",
        ],
        2,
        "--site-mixture mixes alignment columns with their site model",
    );
    assert!(!model.exists(), "nothing written on refusal");
    fails(
        &[
            "embed",
            "--fasta",
            s(&testdata("contigs.fa")),
            "--preset",
            "deepsequence",
            "-q",
        ],
        2,
        "--preset deepsequence is for protein family alignments (--msa)",
    );
}
