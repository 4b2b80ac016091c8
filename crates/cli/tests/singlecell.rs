//! End-to-end: the single-cell recipe (counts, scVI defaults) with a batch covariate on
//! `testdata/counts2batch.tsv`, 100 genes × 80 simulated cells in two batches (origin in
//! testdata/README.md): highly-variable-gene selection, latent and normalised-expression
//! shapes, finite values, and that `--transform-batch` decodes every cell as if from the
//! named batch — unchanged for the cells already in it, different for the others.

mod common;

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use common::{fails, model_config, ok, read_tsv, s, testdata};

/// A TSV written by vaebio: header fields, and row id -> finite values.
struct Table {
    header: Vec<String>,
    rows: HashMap<String, Vec<f64>>,
}

fn read_table(path: &Path) -> Table {
    let (header, rows) = read_tsv(path);
    for (id, values) in &rows {
        assert!(values.iter().all(|v| v.is_finite()), "{id}: {values:?}");
    }
    Table {
        header,
        rows: rows.into_iter().collect(),
    }
}

/// Cell id -> batch name, from `testdata/counts2batch_batches.tsv`.
fn batches() -> HashMap<String, String> {
    fs::read_to_string(testdata("counts2batch_batches.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let (id, batch) = line.split_once('\t').unwrap();
            (id.to_string(), batch.to_string())
        })
        .collect()
}

#[test]
fn batch_aware_embedding_and_batch_corrected_expression() {
    let dir = tempfile::tempdir().unwrap();
    let counts = testdata("counts2batch.tsv");
    let batch_table = testdata("counts2batch_batches.tsv");
    let latent = dir.path().join("latent.tsv");
    let model = dir.path().join("model");
    ok(&[
        "embed",
        "--matrix",
        s(&counts),
        "--batch",
        s(&batch_table),
        "--n-top-genes",
        "50",
        "--epochs",
        "20",
        "-q",
        "-o",
        s(&latent),
        "--save-model",
        s(&model),
    ]);
    let latent = read_table(&latent);
    assert_eq!(latent.rows.len(), 80);
    // scVI's latent size.
    assert_eq!(latent.header.len(), 1 + 10);
    assert!(latent.rows.values().all(|z| z.len() == 10));
    // The recipe as saved: scVI's network without its batch-norm, most of the dropout moved
    // from the hidden layer to the input, a cosine learning rate, the KL warm-up over the first half
    // of the (here explicit) 20 epochs, so ceil(0.5 * 20) = 10 epochs.
    let config = model_config(&model);
    assert_eq!(config["vae"]["hidden"], serde_json::json!([128]));
    assert_eq!(config["vae"]["norm"], "none");
    assert_eq!(config["vae"]["dropout"], 0.05);
    assert_eq!(config["vae"]["input_dropout"], 0.2);
    assert_eq!(config["train"]["lr_schedule"], "cosine");
    assert_eq!(config["train"]["epochs"], 20);
    assert_eq!(
        config["train"]["kl_warmup"],
        serde_json::json!({"fraction": 0.5})
    );

    let reconstruct = |name: &str, transform: Option<&str>| {
        let path = dir.path().join(name);
        let mut args = vec![
            "reconstruct",
            "--model",
            s(&model),
            "--matrix",
            s(&counts),
            "--batch",
            s(&batch_table),
            "-q",
            "-o",
            s(&path),
        ];
        if let Some(batch) = transform {
            args.extend(["--transform-batch", batch]);
        }
        ok(&args);
        read_table(&path)
    };
    let own = reconstruct("own.tsv", None);
    let as_a = reconstruct("as_a.tsv", Some("A"));
    // The 50 highly variable genes chosen at training, in both outputs.
    assert_eq!(own.header.len(), 1 + 50);
    assert_eq!(as_a.header, own.header);
    assert_eq!(own.rows.len(), 80);

    let batch_of = batches();
    let mut max_change = [0.0f64; 2];
    for (id, expression) in &own.rows {
        // Normalised expression: proportions of the cell's library (softmax), summing to 1.
        let total: f64 = expression.iter().sum();
        assert!((total - 1.0).abs() < 1e-4, "{id}: sums to {total}");
        assert!(expression.iter().all(|&v| v > 0.0));
        let corrected = &as_a.rows[id];
        let change = expression
            .iter()
            .zip(corrected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let in_a = batch_of[id] == "A";
        max_change[usize::from(!in_a)] = max_change[usize::from(!in_a)].max(change);
    }
    // Batch-A cells decoded as batch A are the uncorrected values (same posterior mean, same
    // one-hot); batch-B cells decoded as A are not.
    assert!(max_change[0] < 1e-6, "batch A changed by {}", max_change[0]);
    assert!(
        max_change[1] > 1e-4,
        "batch B unchanged ({})",
        max_change[1]
    );
}

#[test]
fn scvi_preset_keeps_scvis_own_likelihood_and_warm_up() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    ok(&[
        "train",
        "--matrix",
        s(&testdata("counts2batch.tsv")),
        "--preset",
        "scvi",
        "--epochs",
        "2",
        "-q",
        "-o",
        s(&model),
    ]);
    let config = model_config(&model);
    assert_eq!(
        config["vae"]["likelihood"]["kind"],
        "zero_inflated_negative_binomial"
    );
    assert_eq!(
        config["train"]["kl_warmup"],
        serde_json::json!({"epochs": 400})
    );
    assert_eq!(config["vae"]["norm"], "batch");
    assert_eq!(config["vae"]["dropout"], 0.1);
    assert_eq!(config["vae"]["input_dropout"], 0.0);
    assert_eq!(config["train"]["lr_schedule"], "constant");
}

#[test]
fn a_preset_for_another_kind_of_data_is_refused() {
    fails(
        &[
            "embed",
            "--fasta",
            s(&testdata("contigs.fa")),
            "--preset",
            "scvi",
            "-q",
        ],
        2,
        "--preset scvi is for integer counts",
    );
    fails(
        &[
            "embed",
            "--matrix",
            s(&testdata("counts2batch.tsv")),
            "--preset",
            "popvae",
            "-q",
        ],
        2,
        "--preset popvae is for genotypes",
    );
}

/// Gene weights of a trained model: (n_features, weights), checked to average 1.
fn saved_gene_weights(model: &Path) -> Option<Vec<f64>> {
    let config = model_config(model);
    let weights: Vec<f64> = config
        .get("gene_weights")?
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_f64().unwrap())
        .collect();
    assert_eq!(
        weights.len(),
        config["vae"]["n_features"].as_u64().unwrap() as usize
    );
    let average = weights.iter().sum::<f64>() / weights.len() as f64;
    assert!((average - 1.0).abs() < 1e-5, "{average}");
    Some(weights)
}

/// `vaebio train --matrix counts --epochs 1 -o model` plus `extra` flags, which must succeed.
fn train_one_epoch(counts: &Path, model: &Path, extra: &[&str]) {
    let mut args = vec![
        "train",
        "--matrix",
        s(counts),
        "--epochs",
        "1",
        "-q",
        "-o",
        s(model),
    ];
    args.extend_from_slice(extra);
    ok(&args);
}

#[test]
fn gene_weights_are_fitted_saved_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let counts = testdata("counts2batch.tsv");
    let train = |extra: &[&str]| {
        train_one_epoch(&counts, &model, extra);
        saved_gene_weights(&model)
    };
    // The default weighs every gene 1, as scVI, and saves no weights.
    assert!(train(&[]).is_none());
    // `neighbours`: mean^−½ times (neighbourhood autocorrelation + 0.05), so weights differ.
    let neighbours = train(&["--gene-weights", "neighbours"]).expect("neighbours saves weights");
    let config = model_config(&model);
    assert_eq!(config["vae"]["gene_weight_power"], 0.5);
    assert_eq!(config["vae"]["gene_weight_neighbours"], true);
    assert!(neighbours.iter().any(|&w| (w - 1.0).abs() > 0.1));
    // The mean alone: every weight positive, and not the default's.
    let mean = train(&["--gene-weights", "mean"]).unwrap();
    assert!(mean.iter().all(|&w| w > 0.0), "{mean:?}");
    assert_ne!(mean, neighbours);
    assert_eq!(model_config(&model)["vae"]["gene_weight_neighbours"], false);
    // A power given alone turns on `neighbours`; a power of 0 leaves the neighbourhood score
    // alone.
    let score = train(&["--gene-weight-power", "0"]).unwrap();
    assert_ne!(score, neighbours);
    assert_eq!(model_config(&model)["vae"]["gene_weight_neighbours"], true);
    assert_eq!(
        train(&["--gene-weight-power", "0.5"]).unwrap(),
        neighbours,
        "the power alone is `--gene-weights neighbours`"
    );
    // scVI's weighting (every gene 1) saves none, from the flag or the preset.
    assert!(train(&["--gene-weights", "none"]).is_none());
    assert!(train(&["--preset", "scvi"]).is_none());

    fails(
        &[
            "embed",
            "--matrix",
            s(&testdata("counts2batch.tsv")),
            "--gene-weight-power",
            "3",
            "-q",
        ],
        2,
        "gene_weight_power",
    );
    fails(
        &[
            "embed",
            "--matrix",
            s(&testdata("counts2batch.tsv")),
            "--gene-weights",
            "none",
            "--gene-weight-power",
            "0.5",
            "-q",
        ],
        2,
        "--gene-weight-power 0.5 has no effect with --gene-weights none",
    );
    for flag in ["--gene-weight-power", "--gene-weights"] {
        let value = if flag == "--gene-weights" {
            "mean"
        } else {
            "0.5"
        };
        fails(
            &[
                "embed",
                "--fasta",
                s(&testdata("contigs.fa")),
                flag,
                value,
                "-q",
            ],
            2,
            "need a count likelihood",
        );
    }
}

#[test]
fn library_weights_are_off_by_default_and_set_by_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let counts = testdata("counts2batch.tsv");
    let power = |extra: &[&str]| {
        train_one_epoch(&counts, &model, extra);
        model_config(&model)["vae"]["library_weight_power"].as_f64()
    };
    assert_eq!(power(&[]), Some(0.0));
    assert_eq!(power(&["--library-weight", "0.5"]), Some(0.5));
    assert_eq!(power(&["--library-weight", "1"]), Some(1.0));
    assert_eq!(power(&["--preset", "scvi"]), Some(0.0));
    assert_eq!(
        power(&["--preset", "scvi", "--library-weight", "1"]),
        Some(1.0)
    );
    fails(
        &[
            "embed",
            "--matrix",
            s(&counts),
            "--library-weight",
            "3",
            "-q",
        ],
        2,
        "library_weight_power",
    );
    fails(
        &[
            "embed",
            "--fasta",
            s(&testdata("contigs.fa")),
            "--library-weight",
            "1",
            "-q",
        ],
        2,
        "library-size weights need a count likelihood",
    );
}

/// `--pca` on counts is single-cell PCA (each cell scaled to 10,000, log1p, genes z-scored):
/// a cell with three times another's counts in every gene gets the same scores, which PCA of
/// the raw counts would put three times as far out.
#[test]
fn pca_of_counts_reads_them_normalised_per_cell() {
    let dir = tempfile::tempdir().unwrap();
    let (genes, cells) = (8, 12);
    let count = |g: usize, c: usize| (g * 7 + c * 3 + g * c) % 11 + (g == c % genes) as usize * 9;
    let mut table = String::from("gene");
    for c in 0..cells {
        table.push_str(&format!("\tcell{c}"));
    }
    for g in 0..genes {
        table.push_str(&format!("\ng{g}"));
        for c in 0..cells {
            // cell 1 is cell 0 three times over
            let value = if c == 1 { 3 * count(g, 0) } else { count(g, c) };
            table.push_str(&format!("\t{value}"));
        }
    }
    let matrix = dir.path().join("counts.tsv");
    fs::write(&matrix, table + "\n").unwrap();
    let pca = dir.path().join("pca.tsv");
    ok(&[
        "embed",
        "--matrix",
        s(&matrix),
        "--epochs",
        "1",
        "-q",
        "-o",
        s(&dir.path().join("latent.tsv")),
        "--pca",
        s(&pca),
        "--pca-components",
        "3",
    ]);
    let scores = read_table(&pca);
    assert_eq!(scores.header, ["id", "PC1", "PC2", "PC3"]);
    let (first, tripled) = (&scores.rows["cell0"], &scores.rows["cell1"]);
    for (a, b) in first.iter().zip(tripled) {
        assert!((a - b).abs() < 1e-4, "{first:?} vs {tripled:?}");
    }
    assert!(
        first
            .iter()
            .zip(&scores.rows["cell2"])
            .any(|(a, b)| (a - b).abs() > 0.1)
    );
}

/// New cells from a file lacking some of the model's genes: those read as 0 counts (as
/// scvi-tools' `prepare_query_anndata` pads them), so the latent is the one of the same file
/// with the genes written out as rows of zeros; lacking more than half is refused, nothing
/// written.
#[test]
fn genes_a_count_file_lacks_read_as_zero_counts() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let counts = testdata("counts.tsv");
    train_one_epoch(&counts, &model, &[]);
    let text = fs::read_to_string(&counts).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let n_cells = lines[0].split('\t').count() - 1;
    let write = |name: &str, contents: String| {
        let path = dir.path().join(name);
        fs::write(&path, contents).unwrap();
        path
    };
    // the header and the first 45 of 60 genes; then the other 15 as explicit zeros
    let partial = lines[..46].join("\n") + "\n";
    let zeros: String = lines[46..]
        .iter()
        .map(|line| {
            let gene = line.split('\t').next().unwrap();
            format!("{gene}{}\n", "\t0".repeat(n_cells))
        })
        .collect();
    let encode = |input: &Path, out: &str| {
        let out = dir.path().join(out);
        ok(&[
            "encode",
            "--model",
            s(&model),
            "--matrix",
            s(input),
            "-q",
            "-o",
            s(&out),
        ]);
        read_tsv(&out)
    };
    let padded = encode(&write("partial.tsv", partial.clone()), "padded.tsv");
    let explicit = encode(&write("zeros.tsv", partial + &zeros), "explicit.tsv");
    assert_eq!(padded.1.len(), n_cells);
    assert_eq!(padded, explicit);

    let few = write("few.tsv", lines[..21].join("\n") + "\n");
    let out = dir.path().join("few_latent.tsv");
    fails(
        &[
            "encode",
            "--model",
            s(&model),
            "--matrix",
            s(&few),
            "-q",
            "-o",
            s(&out),
        ],
        2,
        "more than half of them",
    );
    assert!(!out.exists());
}
