//! End-to-end: scVI's extra covariates (`--covariates FILE[:COL,...]`, `--covariate-keys`)
//! on `testdata/counts2batch.tsv`, and a model saved before they existed.

mod common;

use std::fs;
use std::path::Path;

use common::{fails, model_config, ok, read_tsv, s, testdata};

/// A model trained by main before extra covariates existed (`bench/make_model_batch.sh`)
/// loads, and its encoder and batch-injected decoder give the same bytes as then.
#[test]
fn old_batch_model_loads_and_encodes_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let model = testdata("model_batch");
    let latent = dir.path().join("latent.tsv");
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--matrix",
        s(&testdata("counts2batch.tsv")),
        "-o",
        s(&latent),
        "--quiet",
    ]);
    assert_eq!(
        fs::read(&latent).unwrap(),
        fs::read(testdata("model_batch_encode.tsv")).unwrap()
    );
    let generated = dir.path().join("generated.tsv");
    ok(&[
        "generate",
        "--model",
        s(&model),
        "-n",
        "3",
        "--seed",
        "5",
        "-o",
        s(&generated),
    ]);
    assert_eq!(
        fs::read(&generated).unwrap(),
        fs::read(testdata("model_batch_generate.tsv")).unwrap()
    );
}

/// Writes `id<TAB>donor<TAB>pct` for the cells of counts2batch.tsv: three donors and a
/// continuous value; `unknown` renames the first cell's donor.
fn write_covariates(path: &Path, unknown: Option<&str>) {
    let batches = fs::read_to_string(testdata("counts2batch_batches.tsv")).unwrap();
    let mut text = String::from("id\tdonor\tpct\n");
    for (i, line) in batches.lines().skip(1).enumerate() {
        let id = line.split('\t').next().unwrap();
        let donor = match (i, unknown) {
            (0, Some(name)) => name.to_string(),
            _ => format!("d{}", i % 3),
        };
        text.push_str(&format!("{id}\t{donor}\t{}\n", (i % 7) as f64 * 0.5));
    }
    fs::write(path, text).unwrap();
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// `--covariates`: numeric columns become continuous, the rest categorical; names,
/// categories and kinds are saved; `reconstruct` recodes a new table onto them (and
/// `--transform-covariate` decodes every cell with one category), and refuses a missing table
/// or an unseen category with one line, exit 2 and no output.
#[test]
fn covariates_are_saved_and_recoded() {
    let dir = tempfile::tempdir().unwrap();
    let counts = testdata("counts2batch.tsv");
    let table = dir.path().join("covariates.tsv");
    write_covariates(&table, None);
    let model = dir.path().join("model");
    ok(&[
        "train",
        "--matrix",
        s(&counts),
        "--batch",
        s(&testdata("counts2batch_batches.tsv")),
        "--covariates",
        s(&table),
        "--epochs",
        "2",
        "-o",
        s(&model),
        "--quiet",
    ]);
    let config = model_config(&model);
    assert_eq!(
        config["vae"]["covariate_categories"],
        serde_json::json!([3])
    );
    assert_eq!(config["vae"]["n_continuous"], 1);
    assert_eq!(
        config["categorical_covariates"],
        serde_json::json!([{"name": "donor", "categories": ["d0", "d1", "d2"]}])
    );
    assert_eq!(config["continuous_covariates"], serde_json::json!(["pct"]));

    let batches = testdata("counts2batch_batches.tsv");
    let reconstruct = |table: Option<&Path>, out: &Path| -> Vec<String> {
        let mut args: Vec<String> = [
            "reconstruct",
            "--model",
            s(&model),
            "--matrix",
            s(&counts),
            "--batch",
            s(&batches),
            "-o",
            s(out),
            "--quiet",
        ]
        .map(String::from)
        .to_vec();
        if let Some(table) = table {
            args.extend(["--covariates".to_string(), s(table).to_string()]);
        }
        args
    };
    let out = dir.path().join("expression.tsv");
    let args = reconstruct(Some(&table), &out);
    ok(&strs(&args));
    let (_, rows) = read_tsv(&out);
    assert_eq!(rows.len(), 80);
    assert!(rows.iter().all(|(_, v)| v.iter().all(|x| x.is_finite())));

    // Every cell decoded as donor d0: the d0 cells (every third) are unchanged, the rest not.
    let as_d0 = dir.path().join("as_d0.tsv");
    let mut args = reconstruct(Some(&table), &as_d0);
    args.extend(["--transform-covariate".to_string(), "donor=d0".to_string()]);
    ok(&strs(&args));
    let (_, corrected) = read_tsv(&as_d0);
    for (i, ((_, own), (_, as_d0))) in rows.iter().zip(&corrected).enumerate() {
        assert_eq!(own == as_d0, i % 3 == 0, "cell {i}");
    }

    let refused = dir.path().join("refused.tsv");
    let args = reconstruct(None, &refused);
    fails(
        &strs(&args),
        2,
        "the model was trained with covariates donor, pct",
    );
    let unseen = dir.path().join("unseen.tsv");
    write_covariates(&unseen, Some("d9"));
    let args = reconstruct(Some(&unseen), &refused);
    fails(
        &strs(&args),
        2,
        "covariate 'donor': category 'd9' was not seen in training — the model knows d0, d1, d2",
    );
    assert!(!refused.exists());

    // The encoder does not see covariates (scVI's default), so encode needs none.
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--matrix",
        s(&counts),
        "-o",
        s(&dir.path().join("latent.tsv")),
        "--quiet",
    ]);
}

/// `--covariate-keys` reads typed obs columns: strings categorical, floats continuous.
#[test]
fn covariate_keys_read_typed_obs_columns() {
    let dir = tempfile::tempdir().unwrap();
    let h5ad = testdata("bad/h5ad_covariates.h5ad");
    let model = dir.path().join("model");
    ok(&[
        "train",
        "--h5ad",
        s(&h5ad),
        "--covariate-keys",
        "note,age",
        "--epochs",
        "1",
        "-o",
        s(&model),
        "--quiet",
    ]);
    let config = model_config(&model);
    assert_eq!(
        config["vae"]["covariate_categories"],
        serde_json::json!([3])
    );
    assert_eq!(config["vae"]["n_continuous"], 1);
    let out = dir.path().join("expression.tsv");
    ok(&[
        "reconstruct",
        "--model",
        s(&model),
        "--h5ad",
        s(&h5ad),
        "--covariate-keys",
        "note,age",
        "-o",
        s(&out),
        "--quiet",
    ]);
    assert_eq!(read_tsv(&out).1.len(), 5);
}
