//! End-to-end: `-o FILE.h5ad` (AnnData output) of `embed`, `encode` and `reconstruct`.
//!
//! Each output is read back with vaebio's own `.h5ad` reader and compared with the `.tsv`
//! the same command writes; then, when a Python with the `anndata` package is available
//! (`VAEBIO_TEST_PYTHON`, else a `python3` that imports anndata), `tests/scripts/read_h5ad.py`
//! opens it with `anndata.read_h5ad` and checks the same values, `obsm["X_vaebio"]`, the obs
//! columns and `uns["vaebio"]`. Without such a Python that part is skipped, and says so.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TRAIN, fails, ok, read_tsv, s, testdata};
use serde_json::{Value, json};
use vaebio_io::{AnnData, H5adOptions};

/// Runs `command` with `input` twice, to `NAME.tsv` and `NAME.h5ad`, and returns both paths.
fn run_both(dir: &Path, name: &str, command: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
    let (tsv, h5ad) = (
        dir.join(format!("{name}.tsv")),
        dir.join(format!("{name}.h5ad")),
    );
    for out in [&tsv, &h5ad] {
        let mut args = command.to_vec();
        args.extend(["--quiet", "-o", s(out)]);
        ok(&args);
    }
    (tsv, h5ad)
}

/// Asserts the `.h5ad` holds the `.tsv`'s table exactly (names and f32 values) and the
/// input's obs columns on its rows; returns the expectations for the Python check.
fn check_against_tsv(tsv: &Path, h5ad: &Path, input: &Path) -> Value {
    let (header, rows) = read_tsv(tsv);
    let output = AnnData::open(h5ad).unwrap();
    let matrix = output.matrix(&H5adOptions::default()).unwrap();
    let obs_names: Vec<String> = rows.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(matrix.row_names(), obs_names);
    assert_eq!(matrix.col_names(), &header[1..]);
    let values: Vec<f64> = rows.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    let read: Vec<f64> = matrix.to_dense().iter().map(|&v| f64::from(v)).collect();
    // The TSV prints each f32 in its shortest round-trip form, so the values are equal.
    let as_f32: Vec<f64> = values.iter().map(|&v| f64::from(v as f32)).collect();
    assert_eq!(read, as_f32);

    let source = AnnData::open(input).unwrap();
    let input_names = source.obs_names().unwrap();
    let mut obs = serde_json::Map::new();
    assert_eq!(output.obs_columns().unwrap(), source.obs_columns().unwrap());
    for column in source.obs_columns().unwrap() {
        let all = source.obs_column(&column).unwrap();
        let expected: Vec<String> = obs_names
            .iter()
            .map(|name| {
                let at = input_names.iter().position(|n| n == name).unwrap();
                all[at].clone()
            })
            .collect();
        assert_eq!(output.obs_column(&column).unwrap(), expected, "{column}");
        obs.insert(column, json!(expected));
    }
    json!({
        "obs_names": obs_names,
        "var_names": header[1..],
        "X": as_f32,
        "obs": obs,
    })
}

/// The Python that imports anndata: `VAEBIO_TEST_PYTHON` (which must work: CI sets it only
/// after installing anndata), else `python3` when it imports anndata, else none.
fn anndata_python() -> Option<String> {
    let imports = |python: &str| {
        Command::new(python)
            .args(["-c", "import anndata"])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if let Some(python) = std::env::var_os("VAEBIO_TEST_PYTHON") {
        let python = python.to_string_lossy().into_owned();
        assert!(
            imports(&python),
            "VAEBIO_TEST_PYTHON={python} cannot import anndata"
        );
        return Some(python);
    }
    imports("python3").then(|| "python3".to_string())
}

/// Opens `h5ad` with `anndata.read_h5ad` and checks `expected` (see read_h5ad.py).
fn check_with_anndata(h5ad: &Path, expected: &Value) {
    let Some(python) = anndata_python() else {
        eprintln!(
            "skipped the anndata check of {}: no Python with anndata (set VAEBIO_TEST_PYTHON)",
            h5ad.display()
        );
        return;
    };
    let expectations = h5ad.with_extension("expected.json");
    std::fs::write(&expectations, expected.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/read_h5ad.py");
    let out = Command::new(&python)
        .args([s(&script), s(h5ad), s(&expectations)])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "anndata could not read {} as expected:\n{}",
        h5ad.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&out.stdout).trim_end());
}

#[test]
fn embed_and_encode_write_the_latent_with_the_obs_columns_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let input = testdata("counts.h5ad");
    let model = dir.path().join("model");
    let mut embed = vec!["embed", "--h5ad", s(&input), "--save-model", s(&model)];
    embed.extend(TRAIN);
    let (tsv, h5ad) = run_both(dir.path(), "latent", &embed);
    let mut expected = check_against_tsv(&tsv, &h5ad, &input);
    expected["latent"] = json!(true);
    expected["uns"] = json!({
        "command": "embed",
        "input": format!("--h5ad {}", input.display()),
        "config/latent": 3,
        "config/hidden": [16],
        "config/seed": 11,
        "training/epochs": 3,
        "model": s(&model),
    });
    check_with_anndata(&h5ad, &expected);

    // encode of the training input under the saved model: the same means as embed's.
    let encode = ["encode", "--model", s(&model), "--h5ad", s(&input)];
    let (tsv, h5ad) = run_both(dir.path(), "encoded", &encode);
    assert_eq!(read_tsv(&tsv), read_tsv(&dir.path().join("latent.tsv")));
    let mut expected = check_against_tsv(&tsv, &h5ad, &input);
    expected["latent"] = json!(true);
    expected["uns"] = json!({"command": "encode", "model": s(&model), "config/latent": 3});
    check_with_anndata(&h5ad, &expected);
}

#[test]
fn reconstruct_writes_the_values_and_filtered_cells_keep_their_obs_values() {
    let dir = tempfile::tempdir().unwrap();
    let input = testdata("counts.h5ad");
    let model = dir.path().join("model");
    // --min-genes 10 drops 7 of the 40 cells (counts.tsv: 7 cells detect fewer than 10
    // genes), so the obs columns must follow the kept cells by name.
    let mut train = vec!["train", "--h5ad", s(&input), "--min-genes", "10", "--quiet"];
    train.extend(TRAIN);
    train.extend(["-o", s(&model)]);
    ok(&train);
    let mut embed = vec!["embed", "--h5ad", s(&input), "--min-genes", "10"];
    embed.extend(TRAIN);
    let (tsv, h5ad) = run_both(dir.path(), "filtered", &embed);
    let mut expected = check_against_tsv(&tsv, &h5ad, &input);
    assert_eq!(expected["obs_names"].as_array().unwrap().len(), 33);
    expected["latent"] = json!(true);
    expected["uns"] = json!({"command": "embed"});
    check_with_anndata(&h5ad, &expected);

    let reconstruct = ["reconstruct", "--model", s(&model), "--h5ad", s(&input)];
    let (tsv, h5ad) = run_both(dir.path(), "norm", &reconstruct);
    let mut expected = check_against_tsv(&tsv, &h5ad, &input);
    assert_eq!(expected["var_names"].as_array().unwrap().len(), 60);
    expected["latent"] = json!(false);
    expected["uns"] = json!({"command": "reconstruct", "model": s(&model)});
    check_with_anndata(&h5ad, &expected);
}

#[test]
fn a_table_input_gives_obs_names_only_and_an_unreadable_obs_column_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("latent.h5ad");
    let tsv = testdata("counts.tsv");
    let mut args = vec!["embed", "--matrix", s(&tsv), "--quiet", "-o", s(&out)];
    args.extend(TRAIN);
    ok(&args);
    let file = AnnData::open(&out).unwrap();
    assert!(file.obs_columns().unwrap().is_empty());
    assert_eq!(file.obs_names().unwrap().len(), 40);

    // A nullable-integer obs column (which the reader refuses) is noted and left out; the
    // categorical ones are carried.
    let nullable = testdata("bad/h5ad_nullable_obs.h5ad");
    let out = dir.path().join("nullable.h5ad");
    let output = ok(&[
        "embed",
        "--h5ad",
        s(&nullable),
        "--epochs",
        "1",
        "-o",
        s(&out),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("obs column 'donor' left out of the output")
            && stderr.contains("nullable-integer"),
        "{stderr}"
    );
    assert_eq!(
        AnnData::open(&out).unwrap().obs_columns().unwrap(),
        ["batch", "note"]
    );
}

#[test]
fn an_unwritable_output_is_one_line_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missing/latent.h5ad");
    let input = testdata("counts.h5ad");
    let mut args = vec!["embed", "--h5ad", s(&input), "--quiet", "-o", s(&out)];
    args.extend(TRAIN);
    fails(&args, 2, "missing/latent.h5ad");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // The same through reconstruct, after a successful train.
    let model = dir.path().join("model");
    let mut train = vec!["train", "--h5ad", s(&input), "--quiet", "-o", s(&model)];
    train.extend(TRAIN);
    ok(&train);
    let out = dir.path().join("missing/norm.h5ad");
    let reconstruct = ["reconstruct", "--model", s(&model), "--h5ad", s(&input)];
    let mut args = reconstruct.to_vec();
    args.extend(["-o", s(&out)]);
    fails(&args, 2, "missing/norm.h5ad");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(left.len(), 1, "only the model: {left:?}");
}

#[test]
fn a_table_output_refuses_an_h5ad_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("features.h5ad");
    let input = testdata("counts.tsv");
    fails(
        &["featurize", "--matrix", s(&input), "--quiet", "-o", s(&out)],
        2,
        "features.h5ad: this output is a table; AnnData (.h5ad) is written by embed, encode and reconstruct",
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
