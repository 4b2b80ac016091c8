//! End-to-end: the genotype recipe (`--vcf`, default preset and `--preset popvae`) on
//! `testdata/popgen2.vcf`, two msprime demes of 12 diploids with almost no migration
//! (origin in testdata/README.md): output shapes, `--pca`, history, and that the latent
//! separates the two populations far better than chance (0.5 for two equal groups).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{fails, model_config, ok, read_tsv, s, testdata};

/// Header fields and (id, number of values) per row of a TSV written by vaebio.
fn shape(path: &Path) -> (Vec<String>, Vec<(String, usize)>) {
    let (header, rows) = read_tsv(path);
    let rows = rows
        .into_iter()
        .map(|(id, values)| {
            assert!(values.iter().all(|v| v.is_finite()), "{id}");
            (id, values.len())
        })
        .collect();
    (header, rows)
}

/// `vaebio evaluate --json` of a table against the population labels.
fn scores(table: &Path) -> (f64, f64) {
    let labels = testdata("popgen2_labels.tsv");
    let out = ok(&[
        "evaluate",
        "--latent",
        s(table),
        "--labels",
        s(&labels),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["observations"], 24);
    assert_eq!(report["labels"], 2);
    (
        report["knn_accuracy"].as_f64().unwrap(),
        report["kmeans_ari"].as_f64().unwrap(),
    )
}

fn sample_ids() -> Vec<String> {
    let labels = fs::read_to_string(testdata("popgen2_labels.tsv")).unwrap();
    labels
        .lines()
        .skip(1)
        .map(|line| line.split('\t').next().unwrap().to_string())
        .collect()
}

#[test]
fn genotype_recipe_separates_two_populations() {
    let dir = tempfile::tempdir().unwrap();
    let latent = dir.path().join("latent.tsv");
    let pca = dir.path().join("pca.tsv");
    let model = dir.path().join("model");
    let vcf = testdata("popgen2.vcf");
    ok(&[
        "embed",
        "--vcf",
        s(&vcf),
        "-q",
        "-o",
        s(&latent),
        "--pca",
        s(&pca),
        "--save-model",
        s(&model),
    ]);

    let (header, rows) = shape(&latent);
    let n_dims = header.len() - 1;
    assert!(n_dims >= 2, "latent header {header:?}");
    let expected: Vec<String> = std::iter::once("id".to_string())
        .chain((1..=n_dims).map(|i| format!("z{i}")))
        .collect();
    assert_eq!(header, expected);
    let ids: Vec<String> = rows.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ids, sample_ids());
    assert!(rows.iter().all(|(_, n)| *n == n_dims));

    // The PCA table has as many components as the latent, on the same samples.
    let (pca_header, pca_rows) = shape(&pca);
    assert_eq!(pca_header[0], "id");
    assert_eq!(pca_header[1..].len(), n_dims);
    assert_eq!(pca_header[1], "PC1");
    assert_eq!(pca_rows.len(), 24);

    let history = fs::read_to_string(model.join("history.tsv")).unwrap();
    assert!(history.starts_with("epoch\t"));
    assert!(history.lines().count() > 1);
    // The default stops 20 epochs after the best one (docs/recipes/genotypes.md).
    let config = model_config(&model);
    assert_eq!(config["train"]["early_stopping"]["patience"], 20);
    // and keeps the weights averaged over epochs (docs/recipes/genotypes.md)
    assert_eq!(config["train"]["weight_averaging"], 0.8);

    // Chance is 0.5 for kNN accuracy and 0 for ARI; PCA separates these demes perfectly.
    let (knn, ari) = scores(&latent);
    assert!(knn >= 0.9, "15-NN population accuracy {knn}");
    assert!(ari >= 0.5, "k-means ARI {ari}");
}

#[test]
fn popvae_preset_writes_a_two_dimensional_latent_and_pca_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let latent = dir.path().join("latent.tsv");
    let pca = dir.path().join("pca.tsv");
    let model = dir.path().join("model");
    let vcf = testdata("popgen2.vcf");
    ok(&[
        "embed",
        "--vcf",
        s(&vcf),
        "--preset",
        "popvae",
        "--epochs",
        "20",
        "-q",
        "-o",
        s(&latent),
        "--pca",
        s(&pca),
        "--pca-components",
        "5",
        "--save-model",
        s(&model),
    ]);
    let (header, rows) = shape(&latent);
    assert_eq!(header, ["id", "z1", "z2"]);
    // popvae's own patience.
    let config = model_config(&model);
    assert_eq!(config["train"]["early_stopping"]["patience"], 50);
    assert_eq!(rows.len(), 24);
    let (pca_header, pca_rows) = shape(&pca);
    assert_eq!(pca_header, ["id", "PC1", "PC2", "PC3", "PC4", "PC5"]);
    assert!(pca_rows.iter().all(|(_, n)| *n == 5));
    let (pca_knn, _) = scores(&pca);
    assert!(pca_knn >= 0.9, "PCA 15-NN accuracy {pca_knn}");
}

/// `--pca-components` beyond the rows or features there are (24 samples here), or 0, fails
/// before training, naming the bound; by default the table has as many components as the
/// latent, fewer where the input has fewer rows (found by running the options' extremes).
#[test]
fn pca_components_beyond_the_data_fail_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let latent = dir.path().join("latent.tsv");
    let pca = dir.path().join("pca.tsv");
    let vcf = testdata("popgen2.vcf");
    for k in ["0", "25"] {
        fails(
            &[
                "embed",
                "--vcf",
                s(&vcf),
                "-o",
                s(&latent),
                "--pca",
                s(&pca),
                "--pca-components",
                k,
            ],
            2,
            &format!("--pca-components {k}: give 1 to 24 (the input has 24 rows"),
        );
        assert!(!latent.exists() && !pca.exists());
    }
    ok(&[
        "embed",
        "--vcf",
        s(&vcf),
        "-q",
        "-o",
        s(&latent),
        "--pca",
        s(&pca),
        "--epochs",
        "2",
        "--latent-dim",
        "30",
    ]);
    let (pca_header, _) = shape(&pca);
    assert_eq!(pca_header.len(), 1 + 24);
}

/// `testdata/ploidy_chrx.vcf`: females f1, f2 diploid, males m1, m2 haploid on chrX (m1's
/// chrX:300 is missing, written `.`, and imputed as diploid). Each genotype's binomial has its
/// own n, so a haploid genotype's expected dosage is one allele probability, below 1 (with n = 2
/// for all, as before, these came out near 1), and a diploid's lies in (0, 2).
#[test]
fn haploid_genotypes_have_their_own_binomial_n() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = testdata("ploidy_chrx.vcf");
    let model = dir.path().join("model");
    let trained = ok(&[
        "train",
        "--vcf",
        s(&vcf),
        "--epochs",
        "5",
        "--seed",
        "3",
        "-o",
        s(&model),
    ]);
    let stderr = String::from_utf8_lossy(&trained.stderr);
    assert!(
        stderr.contains("5 genotypes have ploidy below 2")
            && stderr.contains("with the binomial's n its own ploidy"),
        "{stderr}"
    );
    let expected = dir.path().join("dosages.tsv");
    ok(&[
        "reconstruct",
        "--model",
        s(&model),
        "--vcf",
        s(&vcf),
        "-o",
        s(&expected),
        "-q",
    ]);
    let (header, rows) = read_tsv(&expected);
    assert_eq!(
        header,
        ["id", "chr7:100", "chrX:200", "chrX:300", "chrX:400"]
    );
    for (id, values) in rows {
        for (site, value) in header[1..].iter().zip(values) {
            let haploid = id.starts_with('m')
                && site.starts_with("chrX")
                && !(id == "m1" && site == "chrX:300");
            let most = if haploid { 1.0 } else { 2.0 };
            assert!(
                value > 0.0 && value < most,
                "{id} {site}: {value} outside (0, {most})"
            );
            if !haploid {
                assert!(
                    value > 0.2,
                    "{id} {site}: a diploid's expected dosage {value}"
                );
            }
        }
    }
}

/// `embed` of `popgen2.vcf` for 30 epochs with `flags`, the model saved: (the temporary
/// directory, the latent table, the model directory, the VCF).
fn embed_with(flags: &[&str]) -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let latent = dir.path().join("latent.tsv");
    let model = dir.path().join("model");
    let vcf = testdata("popgen2.vcf");
    let mut args = vec!["embed", "--vcf", s(&vcf), "--epochs", "30", "-q"];
    args.extend_from_slice(flags);
    args.extend(["-o", s(&latent), "--save-model", s(&model)]);
    ok(&args);
    (dir, latent, model, vcf)
}

/// `--input-transform allele-frequency`: the encoder sees each dosage scaled by its site's
/// allele frequency (hand-checked in vaebio-model's `allele_frequency` tests). The frequencies
/// are saved with the model, one per site within [0, 1], and `encode` of the training VCF
/// gives back the latent `embed` wrote, so new samples are scaled as the training ones were.
#[test]
fn allele_frequency_input_is_saved_and_reused_by_encode() {
    let (_dir, latent, model, vcf) = embed_with(&["--input-transform", "allele-frequency"]);
    let config = model_config(&model);
    assert_eq!(config["vae"]["input_transform"], "allele-frequency");
    let frequencies = config["allele_frequencies"]["frequency"]
        .as_array()
        .unwrap();
    let sites = config["feature_names"].as_array().unwrap();
    assert!(sites.len() > 100, "{} sites", sites.len());
    assert_eq!(frequencies.len(), sites.len());
    assert!(
        frequencies
            .iter()
            .all(|p| (0.0..=1.0).contains(&p.as_f64().unwrap()))
    );
    assert_encode_gives_back(&model, &vcf, &latent);
    let (knn, _) = scores(&latent);
    assert!(knn >= 0.9, "15-NN population accuracy {knn}");
}

#[test]
fn allele_frequency_input_is_refused_for_other_data() {
    let counts = testdata("counts.tsv");
    fails(
        &[
            "embed",
            "--matrix",
            s(&counts),
            "--input-transform",
            "allele-frequency",
            "-o",
            "/dev/null",
        ],
        2,
        "allele-frequency scaling is for genotype dosages",
    );
}

/// `--input-transform principal-axes`: the encoder reads the samples' projections on the
/// training samples' principal axes (checked against an exact decomposition in
/// vaebio-analysis' `axes` tests); the axes are saved beside the weights, `encode` of the
/// training VCF gives back the latent `embed` wrote, and the latent separates the two demes.
/// Refused for data other than genotypes.
#[test]
fn principal_axes_input_is_saved_and_reused_by_encode() {
    let (_dir, latent, model, vcf) = embed_with(&["--input-transform", "principal-axes"]);
    let config = model_config(&model);
    assert_eq!(config["vae"]["input_transform"], "principal-axes");
    assert_eq!(config["vae"]["input_components"], 256);
    assert_encode_gives_back(&model, &vcf, &latent);
    let (knn, _) = scores(&latent);
    assert!(knn >= 0.9, "15-NN population accuracy {knn}");
    fails(
        &[
            "embed",
            "--matrix",
            s(&testdata("counts.tsv")),
            "--input-transform",
            "principal-axes",
            "-o",
            "/dev/null",
        ],
        2,
        "principal axes are for genotype dosages",
    );
}

/// `--init-output pca`: the network starts at PCA (checked against a decomposition by hand in
/// vaebio-model's `pca_start` tests) and reads the principal axes without being told; saved in
/// config.json, `encode` gives back the latent, the demes stay apart. Refused with another
/// input transform and for data other than genotypes, nothing written.
#[test]
fn pca_start_is_saved_and_reused_by_encode() {
    let (dir, latent, model, vcf) = embed_with(&["--init-output", "pca"]);
    let config = model_config(&model);
    assert_eq!(config["vae"]["output_init"], "pca");
    assert_eq!(config["vae"]["input_transform"], "principal-axes");
    assert_encode_gives_back(&model, &vcf, &latent);
    let (knn, _) = scores(&latent);
    assert!(knn >= 0.9, "15-NN population accuracy {knn}");
    let refused = dir.path().join("refused.tsv");
    for (flags, message) in [
        (
            &["--vcf", s(&vcf), "--input-transform", "allele-frequency"][..],
            "--init-output pca reads the samples through their principal axes",
        ),
        (
            &["--matrix", s(&testdata("counts.tsv"))][..],
            "--init-output pca starts genotype models at PCA",
        ),
    ] {
        let mut args = vec!["embed", "--init-output", "pca", "-q", "-o", s(&refused)];
        args.extend_from_slice(flags);
        fails(&args, 2, message);
        assert!(!refused.exists(), "nothing written on refusal");
    }
}

/// `--missing mask`: with a seventh of the genotypes of `popgen2.vcf` made missing, the
/// recipe trains with those calls out of the likelihood (the encoder reads the site mean),
/// says so, saves the policy with the model, and `encode` of the same VCF gives back the
/// latent `embed` wrote; the latent still separates the two demes.
#[test]
fn masked_missing_genotypes_train_and_encode_again() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(testdata("popgen2.vcf")).unwrap();
    let mut holed = String::new();
    let mut count = 0usize;
    for line in text.lines() {
        if line.starts_with('#') {
            holed.push_str(line);
        } else {
            let fields: Vec<String> = line
                .split('\t')
                .enumerate()
                .map(|(i, field)| {
                    if i < 9 {
                        return field.to_string();
                    }
                    count += 1;
                    if count.is_multiple_of(7) {
                        "./.".to_string()
                    } else {
                        field.to_string()
                    }
                })
                .collect();
            holed.push_str(&fields.join("\t"));
        }
        holed.push('\n');
    }
    let vcf = dir.path().join("holed.vcf");
    fs::write(&vcf, holed).unwrap();
    let (latent, model) = (dir.path().join("latent.tsv"), dir.path().join("model"));
    let out = ok(&[
        "embed",
        "--vcf",
        s(&vcf),
        "--missing",
        "mask",
        "-o",
        s(&latent),
        "--save-model",
        s(&model),
    ]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("left out of the likelihood"), "{said}");
    let config = model_config(&model);
    assert_eq!(config["featurization"]["missing"], "mask", "{config}");
    assert_encode_gives_back(&model, &vcf, &latent);
    let (knn, _) = scores(&latent);
    assert!(knn >= 0.9, "15-NN population accuracy {knn}");
}

/// `vaebio encode` of `vcf` with `model` writes the latent `embed` wrote to `latent`.
fn assert_encode_gives_back(model: &Path, vcf: &Path, latent: &Path) {
    let encoded = latent.with_file_name("encoded.tsv");
    ok(&[
        "encode",
        "--model",
        s(model),
        "--vcf",
        s(vcf),
        "-q",
        "-o",
        s(&encoded),
    ]);
    assert_eq!(read_tsv(&encoded), read_tsv(latent));
}

#[test]
fn weight_averaging_of_one_or_more_is_refused_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let latent = dir.path().join("latent.tsv");
    let vcf = testdata("popgen2.vcf");
    for bad in ["1", "-0.5", "NaN"] {
        let flag = format!("--weight-averaging={bad}");
        fails(
            &["embed", "--vcf", s(&vcf), &flag, "-o", s(&latent)],
            2,
            "weight_averaging",
        );
        assert!(!latent.exists(), "{bad}: output written");
    }
}

/// `vcf` cut to the sample in column `column` (0-based among samples), keeping data lines
/// for which `keep(line index)` holds, with the `missing`-th kept line's call made `./.`.
fn one_sample_vcf(
    vcf: &Path,
    column: usize,
    keep: impl Fn(usize) -> bool,
    missing: Option<usize>,
) -> String {
    let text = fs::read_to_string(vcf).unwrap();
    let mut out = String::new();
    let mut kept = 0;
    for (i, line) in text.lines().filter(|l| !l.starts_with('#')).enumerate() {
        if !keep(i) {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let call = if missing == Some(kept) {
            "./."
        } else {
            fields[9 + column]
        };
        out.push_str(&format!("{}\t{call}\n", fields[..9].join("\t")));
        kept += 1;
    }
    let header: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    let (last, meta) = header.split_last().unwrap();
    let columns: Vec<&str> = last.split('\t').collect();
    format!(
        "{}\n{}\t{}\n{out}",
        meta.join("\n"),
        columns[..9].join("\t"),
        columns[9 + column]
    )
}

/// One new sample encoded alone: every site the model has is read from its file, although
/// most are monomorphic in a file of one sample (they were skipped, and `encode` refused
/// the file). With all sites it gets the coordinates it had in the cohort, up to float
/// rounding (its missing calls masked, read at 2 × the training frequency as training read
/// them); with a quarter of the sites absent (imputed at the training frequencies) it stays
/// nearer its own population; with two thirds absent it is refused.
#[test]
fn one_new_sample_is_encoded_at_the_model_sites() {
    let (dir, latent, model, vcf) = embed_with(&["--missing", "mask"]);
    let ids = sample_ids();
    let (_, cohort) = read_tsv(&latent);
    let column = 0;
    let encode = |name: &str, contents: String| {
        let path = dir.path().join(name);
        fs::write(&path, contents).unwrap();
        let out = dir.path().join(format!("{name}.tsv"));
        ok(&[
            "encode",
            "--model",
            s(&model),
            "--vcf",
            s(&path),
            "-q",
            "-o",
            s(&out),
        ]);
        let (_, rows) = read_tsv(&out);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, ids[column]);
        rows[0].1.clone()
    };
    let whole = encode("whole.vcf", one_sample_vcf(&vcf, column, |_| true, None));
    // the same up to the last bits (one row's product sums in another order than 24 rows')
    let gap = whole
        .iter()
        .zip(&cohort[column].1)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(gap < 1e-5, "{whole:?} against {:?}", cohort[column].1);

    let partial = encode(
        "partial.vcf",
        one_sample_vcf(&vcf, column, |i| i % 4 != 0, Some(3)),
    );
    let distance = |other: &[f64]| -> f64 {
        partial
            .iter()
            .zip(other)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let population = |id: &str| id.rsplit_once("_i").unwrap().0.to_string();
    let mean_distance = |same: bool| {
        let rows: Vec<f64> = cohort
            .iter()
            .filter(|(id, _)| (population(id) == population(&ids[column])) == same)
            .map(|(_, values)| distance(values))
            .collect();
        rows.iter().sum::<f64>() / rows.len() as f64
    };
    assert!(mean_distance(true) < mean_distance(false));

    let sparse = dir.path().join("sparse.vcf");
    fs::write(&sparse, one_sample_vcf(&vcf, column, |i| i % 3 == 0, None)).unwrap();
    let out = dir.path().join("sparse.tsv");
    fails(
        &[
            "encode",
            "--model",
            s(&model),
            "--vcf",
            s(&sparse),
            "-q",
            "-o",
            s(&out),
        ],
        2,
        "are not in the file",
    );
    assert!(!out.exists());
}

/// A missing call read as its site's mean dosage is a fraction, which the binomial cannot
/// fit: refused before training with what to use, nothing written.
#[test]
fn mean_filled_calls_are_refused_by_the_binomial_likelihood() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let vcf = testdata("popgen2.vcf");
    fails(
        &[
            "train",
            "--vcf",
            s(&vcf),
            "--missing",
            "mean",
            "-q",
            "-o",
            s(&model),
        ],
        2,
        "--missing binomial (the default), mask or drop-sites",
    );
    assert!(!model.exists());
}
