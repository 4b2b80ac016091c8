//! End-to-end: AnnData `.h5ad` input (`--h5ad`, `--layer`, `--var-mask`, `--batch-key`,
//! `--labels-key`) on the fixtures `bench/make_h5ad.py` wrote with anndata from
//! `testdata/counts.tsv`.

mod common;

use std::fs;

use common::{TRAIN, model_config, ok, s, testdata};

fn embed(input: &[&str], out: &std::path::Path) -> Vec<u8> {
    let mut args = vec!["embed", "--quiet", "-o", s(out)];
    args.extend_from_slice(input);
    args.extend_from_slice(&TRAIN);
    ok(&args);
    fs::read(out).unwrap()
}

#[test]
fn tsv_mtx_and_h5ad_give_byte_identical_latents() {
    let dir = tempfile::tempdir().unwrap();
    let tsv = testdata("counts.tsv");
    let tenx = testdata("counts_10x");
    let h5ad = testdata("counts.h5ad");
    let gzip = testdata("counts_gzip.h5ad");
    let lognorm = testdata("counts_lognorm.h5ad");
    let reference = embed(&["--matrix", s(&tsv)], &dir.path().join("tsv.tsv"));
    let inputs: [(&str, Vec<&str>); 5] = [
        ("mtx", vec!["--mtx", s(&tenx)]),
        ("csr_x", vec!["--h5ad", s(&h5ad)]),
        ("csc_layer", vec!["--h5ad", s(&h5ad), "--layer", "counts"]),
        ("gzip", vec!["--h5ad", s(&gzip), "--layer", "counts"]),
        (
            "lognorm_file",
            vec!["--h5ad", s(&lognorm), "--layer", "counts"],
        ),
    ];
    for (name, input) in inputs {
        let latent = embed(&input, &dir.path().join(format!("{name}.tsv")));
        assert!(
            latent == reference,
            "{name}: latent differs from the TSV run"
        );
    }
}

#[test]
fn obs_keys_equal_the_same_columns_given_as_tables() {
    let dir = tempfile::tempdir().unwrap();
    let h5ad = testdata("counts.h5ad");
    let tsv = testdata("counts.tsv");
    // The batch column as the script wrote it: A for even cells, B for odd.
    let table = dir.path().join("batches.tsv");
    let mut text = String::from("id\tbatch\n");
    for cell in 0..40 {
        let batch = if cell % 2 == 0 { "A" } else { "B" };
        text.push_str(&format!("cell_{cell}\t{batch}\n"));
    }
    fs::write(&table, text).unwrap();
    let from_key = embed(
        &["--h5ad", s(&h5ad), "--batch-key", "batch"],
        &dir.path().join("key.tsv"),
    );
    let from_table = embed(
        &["--matrix", s(&tsv), "--batch", s(&table)],
        &dir.path().join("table.tsv"),
    );
    assert!(from_key == from_table, "--batch-key differs from --batch");
    let spec = format!("{}:batch", s(&h5ad));
    let from_spec = embed(
        &["--matrix", s(&tsv), "--batch", &spec],
        &dir.path().join("spec.tsv"),
    );
    assert!(from_spec == from_table, "--batch FILE.h5ad:COL differs");
}

#[test]
fn a_saved_model_replays_the_layer_and_keeps_the_masked_genes() {
    let dir = tempfile::tempdir().unwrap();
    let lognorm = testdata("counts_lognorm.h5ad");
    let model = dir.path().join("model");
    let latent = dir.path().join("latent.tsv");
    let mut args = vec![
        "embed",
        "--quiet",
        "--h5ad",
        s(&lognorm),
        "--layer",
        "counts",
        "--var-mask",
        "highly_variable",
        "--labels-key",
        "batch",
        "-o",
        s(&latent),
        "--save-model",
        s(&model),
    ];
    args.extend_from_slice(&TRAIN);
    ok(&args);
    let config = model_config(&model);
    let featurization = &config["featurization"];
    assert_eq!(featurization["input"], "h5ad", "{config}");
    assert_eq!(featurization["layer"], "counts");
    assert_eq!(featurization["var_mask"], "highly_variable");
    let n_features = config["feature_names"].as_array().unwrap().len();
    assert!(n_features > 0 && n_features < 60, "{n_features} genes kept");
    // No --layer and no --var-mask: the saved layer is read, the model's genes selected.
    let encoded = dir.path().join("encoded.tsv");
    ok(&[
        "encode",
        "--quiet",
        "--model",
        s(&model),
        "--h5ad",
        s(&lognorm),
        "-o",
        s(&encoded),
    ]);
    assert_eq!(fs::read(&encoded).unwrap(), fs::read(&latent).unwrap());
}

#[test]
fn featurize_reads_the_mask_and_the_dense_float_x() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("features.tsv");
    let h5ad = testdata("counts.h5ad");
    ok(&[
        "featurize",
        "--quiet",
        "--h5ad",
        s(&h5ad),
        "--var-mask",
        "highly_variable",
        "-o",
        s(&out),
    ]);
    let text = fs::read_to_string(&out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
    assert!(
        header.len() > 1 && header.len() < 61,
        "{} columns",
        header.len()
    );
    assert_eq!(text.lines().count(), 41);
    let lognorm = testdata("counts_lognorm.h5ad");
    let out = dir.path().join("lognorm.tsv");
    let output = ok(&["featurize", "--h5ad", s(&lognorm), "-o", s(&out)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("X holds real values, and the file has layers counts"),
        "{stderr}"
    );
}
