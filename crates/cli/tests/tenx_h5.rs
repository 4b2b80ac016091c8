//! End-to-end: 10x Genomics HDF5 input (`--10x-h5`, `--feature-type`, `--genome`) on the
//! fixtures `bench/make_10x_h5.py` wrote with h5py from `testdata/counts.tsv` (the same cells
//! as `testdata/counts_10x/` and `testdata/counts.h5ad`).

mod common;

use std::fs;
use std::path::Path;

use common::{TRAIN, model_config, ok, s, testdata};

fn embed(input: &[&str], out: &Path, model: Option<&Path>) -> Vec<u8> {
    let mut args = vec!["embed", "--quiet", "-o", s(out)];
    args.extend_from_slice(input);
    args.extend_from_slice(&TRAIN);
    if let Some(model) = model {
        args.extend_from_slice(&["--save-model", s(model)]);
    }
    ok(&args);
    fs::read(out).unwrap()
}

fn encode(model: &Path, input: &[&str], out: &Path) -> Vec<u8> {
    let mut args = vec!["encode", "--quiet", "--model", s(model), "-o", s(out)];
    args.extend_from_slice(input);
    ok(&args);
    fs::read(out).unwrap()
}

#[test]
fn mtx_h5ad_and_10x_h5_give_byte_identical_latents() {
    let dir = tempfile::tempdir().unwrap();
    let mtx = testdata("counts_10x");
    let h5ad = testdata("counts.h5ad");
    let (v3, v2, multiome) = (
        testdata("counts_10x.h5"),
        testdata("counts_10x_v2.h5"),
        testdata("multiome_10x.h5"),
    );
    let reference = embed(&["--mtx", s(&mtx)], &dir.path().join("mtx.tsv"), None);
    let inputs = [
        ("h5ad", vec!["--h5ad", s(&h5ad)]),
        ("v3", vec!["--10x-h5", s(&v3)]),
        ("v2", vec!["--10x-h5", s(&v2)]),
        // The genes of a file that mixes them with peaks: the peaks are left out.
        ("multiome", vec!["--10x-h5", s(&multiome)]),
    ];
    for (name, input) in inputs {
        let latent = embed(&input, &dir.path().join(format!("{name}.tsv")), None);
        assert!(
            latent == reference,
            "{name}: latent differs from the MTX run"
        );
    }
}

#[test]
fn a_saved_model_replays_its_feature_type_across_10x_formats() {
    let dir = tempfile::tempdir().unwrap();
    let multiome = testdata("multiome_10x.h5");
    let model = dir.path().join("peaks");
    let latent = embed(
        &["--10x-h5", s(&multiome), "--feature-type", "Peaks"],
        &dir.path().join("peaks.tsv"),
        Some(&model),
    );
    let config = model_config(&model);
    let featurization = &config["featurization"];
    assert_eq!(featurization["input"], "tenx-h5", "{config}");
    assert_eq!(featurization["feature_type"], "Peaks");
    assert_eq!(config["feature_names"].as_array().unwrap().len(), 12);
    // No --feature-type: the model's type is read again.
    let encoded = encode(
        &model,
        &["--10x-h5", s(&multiome)],
        &dir.path().join("e.tsv"),
    );
    assert_eq!(encoded, latent);

    // Trained on the Matrix Market directory, encoding the HDF5 of the same cells.
    let model = dir.path().join("genes");
    let mtx = testdata("counts_10x");
    let latent = embed(
        &["--mtx", s(&mtx)],
        &dir.path().join("genes.tsv"),
        Some(&model),
    );
    let config = model_config(&model);
    assert_eq!(config["featurization"]["input"], "mtx", "{config}");
    assert_eq!(config["featurization"]["feature_type"], "Gene Expression");
    let encoded = encode(
        &model,
        &["--10x-h5", s(&multiome)],
        &dir.path().join("g.tsv"),
    );
    assert_eq!(encoded, latent);
}

#[test]
fn featurize_reads_every_feature_type_or_the_one_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let multiome = testdata("multiome_10x.h5");
    let out = dir.path().join("peaks.tsv");
    let output = ok(&[
        "featurize",
        "--10x-h5",
        s(&multiome),
        "--feature-type",
        "Peaks",
        "-o",
        s(&out),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("40 observations x 12 features (integer counts)")
            && stderr.contains("read the features of type 'Peaks' (--feature-type)"),
        "{stderr}"
    );
    let text = fs::read_to_string(&out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
    assert_eq!(header.len(), 13, "{header:?}");
    assert_eq!(header[1], "chr1:100-600");
    assert_eq!(text.lines().count(), 41);
}
