//! End-to-end: runs the built `vaebio` binary on `testdata/` for every input kind and
//! subcommand, and on bad input checks the exit code, the one-line message and that no
//! output file is left behind. Protein families have their own file (`proteins.rs`).

mod common;

use std::fs;
use std::path::PathBuf;

use common::{fails, model_config, ok, read_tsv, s, testdata};

#[test]
fn embed_fasta_writes_one_latent_row_per_contig() {
    let dir = tempfile::tempdir().unwrap();
    let latent = dir.path().join("latent.tsv");
    let fasta = testdata("contigs.fa");
    ok(&[
        "embed",
        "--fasta",
        s(&fasta),
        "--epochs",
        "5",
        "-o",
        s(&latent),
        "--quiet",
    ]);
    let (header, rows) = read_tsv(&latent);
    assert_eq!(header[0], "id");
    assert_eq!(header.len(), 17, "contigs recipe: 16 latent dimensions");
    // VAMB's default minimum length (2,000 bp) keeps 27 of the 36 contigs (counted with
    // awk on testdata/contigs.fa).
    assert_eq!(rows.len(), 27);
    assert_eq!(rows[0].0, "genome1_contig1");
    assert!(
        rows.iter().all(|(id, _)| id != "genome1_contig3"),
        "1,419 bp: skipped"
    );
    assert!(rows.iter().all(|(_, v)| v.iter().all(|x| x.is_finite())));
}

#[test]
fn same_seed_gives_identical_output_and_other_seed_differs() {
    let dir = tempfile::tempdir().unwrap();
    let fasta = testdata("contigs.fa");
    let run = |name: &str, seed: &str| {
        let path = dir.path().join(name);
        ok(&[
            "embed",
            "--fasta",
            s(&fasta),
            "--epochs",
            "3",
            "--seed",
            seed,
            "-q",
            "-o",
            s(&path),
        ]);
        fs::read(path).unwrap()
    };
    let a = run("a.tsv", "1");
    assert_eq!(a, run("b.tsv", "1"));
    assert_ne!(a, run("c.tsv", "2"));
}

#[test]
fn train_encode_generate_reconstruct_round_trip_on_counts() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let counts = testdata("counts.tsv");
    ok(&[
        "train",
        "--matrix",
        s(&counts),
        "--epochs",
        "4",
        "-q",
        "-o",
        s(&model),
    ]);
    for file in ["model.safetensors", "config.json", "history.tsv"] {
        assert!(model.join(file).exists(), "{file} missing");
    }
    let history = fs::read_to_string(model.join("history.tsv")).unwrap();
    assert_eq!(history.lines().count(), 5, "header + 4 epochs");

    let latent = dir.path().join("latent.tsv");
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--matrix",
        s(&counts),
        "-o",
        s(&latent),
        "-q",
    ]);
    let (header, rows) = read_tsv(&latent);
    assert_eq!(header.len(), 11, "scVI recipe: 10 latent dimensions");
    assert_eq!(rows.len(), 40);

    let samples = dir.path().join("samples.tsv");
    ok(&[
        "generate",
        "--model",
        s(&model),
        "-n",
        "7",
        "-o",
        s(&samples),
    ]);
    let (header, rows) = read_tsv(&samples);
    assert_eq!((header.len(), rows.len()), (61, 7));

    let recon = dir.path().join("recon.tsv");
    ok(&[
        "reconstruct",
        "--model",
        s(&model),
        "--matrix",
        s(&counts),
        "-o",
        s(&recon),
        "-q",
    ]);
    let (header, rows) = read_tsv(&recon);
    assert_eq!((header.len(), rows.len()), (61, 40));
    assert!(rows.iter().all(|(_, v)| v.iter().all(|x| *x >= 0.0)));
}

#[test]
fn encode_with_features_the_model_lacks_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    ok(&[
        "train",
        "--matrix",
        s(&testdata("counts.tsv")),
        "--epochs",
        "2",
        "-q",
        "-o",
        s(&model),
    ]);
    let out = dir.path().join("latent.tsv");
    fails(
        &[
            "encode",
            "--model",
            s(&model),
            "--fasta",
            s(&testdata("contigs.fa")),
            "-o",
            s(&out),
        ],
        2,
        "trained on --matrix input",
    );
    assert!(!out.exists());
}

#[test]
fn vcf_embeds_samples_with_popvae_latent_size() {
    let dir = tempfile::tempdir().unwrap();
    let latent = dir.path().join("latent.tsv");
    ok(&[
        "embed",
        "--vcf",
        s(&testdata("variants.vcf.gz")),
        "--preset",
        "popvae",
        "--epochs",
        "3",
        "-q",
        "-o",
        s(&latent),
    ]);
    let (header, rows) = read_tsv(&latent);
    assert_eq!(header, ["id", "z1", "z2"]);
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["s1", "s2", "s3", "s4"]
    );
}

#[test]
fn featurize_reads_every_matrix_kind() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, PathBuf, usize, usize); 4] = [
        ("--matrix", testdata("counts.tsv"), 40, 60),
        ("--matrix", testdata("counts.csv.gz"), 40, 60),
        ("--mtx", testdata("counts_10x"), 40, 60),
        ("--vcf", testdata("variants.bcf"), 4, 3),
    ];
    for (flag, input, n_rows, n_cols) in cases {
        let out = dir.path().join("features.tsv");
        ok(&["featurize", flag, s(&input), "-o", s(&out), "-q"]);
        let (header, rows) = read_tsv(&out);
        assert_eq!(
            (rows.len(), header.len() - 1),
            (n_rows, n_cols),
            "{input:?}"
        );
    }
}

#[test]
fn featurize_writes_npy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tnf.npy");
    ok(&[
        "featurize",
        "--fasta",
        s(&testdata("contigs.fa")),
        "-o",
        s(&out),
        "-q",
    ]);
    let bytes = fs::read(&out).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let header = String::from_utf8_lossy(&bytes[10..128]);
    assert!(header.contains("'shape': (27, 103)"), "{header}");
}

#[test]
fn batch_covariate_and_batch_corrected_reconstruction() {
    let dir = tempfile::tempdir().unwrap();
    let counts = testdata("counts.tsv");
    let batches = dir.path().join("batches.tsv");
    let mut table = String::from("id\tbatch\n");
    for i in 0..40 {
        table.push_str(&format!(
            "cell_{i}\t{}\n",
            if i % 2 == 0 { "A" } else { "B" }
        ));
    }
    fs::write(&batches, table).unwrap();
    let model = dir.path().join("model");
    ok(&[
        "train",
        "--matrix",
        s(&counts),
        "--batch",
        s(&batches),
        "--epochs",
        "3",
        "-q",
        "-o",
        s(&model),
    ]);
    let recon = dir.path().join("recon.tsv");
    ok(&[
        "reconstruct",
        "--model",
        s(&model),
        "--matrix",
        s(&counts),
        "--batch",
        s(&batches),
        "--transform-batch",
        "B",
        "-o",
        s(&recon),
        "-q",
    ]);
    assert_eq!(read_tsv(&recon).1.len(), 40);
    fails(
        &[
            "reconstruct",
            "--model",
            s(&model),
            "--matrix",
            s(&counts),
            "--transform-batch",
            "C",
            "-o",
            s(&recon),
        ],
        2,
        "not a batch of this model",
    );
}

#[test]
fn evaluate_and_plot_a_latent_space() {
    let dir = tempfile::tempdir().unwrap();
    let latent = dir.path().join("latent.tsv");
    ok(&[
        "embed",
        "--fasta",
        s(&testdata("contigs.fa")),
        "--epochs",
        "30",
        "-q",
        "-o",
        s(&latent),
    ]);
    let labels = testdata("contigs_labels.tsv");
    let out = ok(&[
        "evaluate",
        "--latent",
        s(&latent),
        "--labels",
        s(&labels),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["observations"], 27);
    assert_eq!(report["labels"], 3);
    let knn = report["knn_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&knn));
    let png = dir.path().join("latent.png");
    ok(&[
        "plot",
        "--latent",
        s(&latent),
        "--labels",
        s(&labels),
        "-o",
        s(&png),
    ]);
    assert_eq!(&fs::read(&png).unwrap()[..4], b"\x89PNG");
}

/// A damaged latent table fails with one line naming its line as counted in the file
/// (blank lines included), for bytes that are not UTF-8 and for values that are not numbers.
#[test]
fn damaged_latent_tables_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("labels.tsv");
    fs::write(&labels, "id\tgenome\nc1\ta\nc2\tb\n").unwrap();
    let latent = dir.path().join("latent.tsv");
    for (row, needle) in [
        (
            &b"c2\t0.\xff1\t0.3\n"[..],
            "latent.tsv:line 4: not UTF-8 text",
        ),
        (
            b"c2\tNaN\t0.3\n",
            "latent.tsv:line 4: 'NaN' is not a finite number",
        ),
        (
            b"c2\t0.\x0b1\t0.3\n",
            "latent.tsv:line 4: '0.\\u{b}1' is not a finite number",
        ),
    ] {
        let mut table = b"id\tz1\tz2\n\nc1\t0.1\t0.2\n".to_vec();
        table.extend_from_slice(row);
        fs::write(&latent, table).unwrap();
        fails(
            &["evaluate", "--latent", s(&latent), "--labels", s(&labels)],
            2,
            needle,
        );
    }
}

/// `--threads` beyond 1,024 is refused (100,000 spent minutes starting threads).
#[test]
fn thread_counts_beyond_1024_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("latent.tsv");
    let counts = testdata("counts.tsv");
    fails(
        &[
            "embed",
            "--matrix",
            s(&counts),
            "--threads",
            "100000",
            "-o",
            s(&out),
        ],
        2,
        "100000 is not in 0..=1024",
    );
    assert!(!out.exists());
}

/// `plot` used to spin for ever on a table with no rows, or with coordinates whose span
/// overflows f32 (found by fuzzing): now the first is an input error, the second is drawn,
/// and a projection that overflows is an input error; no PNG is left behind by an error.
#[test]
fn plot_refuses_empty_and_overflowing_tables_and_draws_extreme_ones() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("latent.png");
    let table = |name: &str, text: &str| {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        path
    };
    let empty = table("empty.tsv", "id\tz1\tz2\n");
    fails(
        &["plot", "--latent", s(&empty), "-o", s(&png)],
        2,
        "empty.tsv: a header but no rows",
    );
    let wide = table(
        "wide.tsv",
        "id\tz1\tz2\tz3\nc1\t3e38\t0\t1\nc2\t-3e38\t1\t-3e38\n",
    );
    fails(
        &["plot", "--latent", s(&wide), "-o", s(&png)],
        2,
        "overflow the 2-D projection",
    );
    assert!(!png.exists());
    let extreme = table("extreme.tsv", "id\tz1\tz2\nc1\t3e38\t0.2\nc2\t-3e38\t0.2\n");
    // an image of 100,000² pixels overflowed the drawing library's buffer (a panic)
    fails(
        &[
            "plot",
            "--latent",
            s(&extreme),
            "-o",
            s(&png),
            "--size",
            "100000",
        ],
        2,
        "100..=10000",
    );
    ok(&["plot", "--latent", s(&extreme), "-o", s(&png)]);
    assert_eq!(&fs::read(&png).unwrap()[..4], b"\x89PNG");
}

#[test]
fn bad_inputs_fail_cleanly_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.tsv");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        path
    };
    let empty = write("empty.fa", b"");
    fails(
        &["embed", "--fasta", s(&empty), "-o", s(&out)],
        2,
        "empty.fa",
    );
    let mut gz = fs::read(testdata("counts.csv.gz")).unwrap();
    gz.truncate(gz.len() / 2);
    let truncated = write("truncated.csv.gz", &gz);
    fails(
        &["featurize", "--matrix", s(&truncated), "-o", s(&out)],
        2,
        "truncated",
    );
    let ragged = write("ragged.tsv", b"gene\tc1\tc2\ng1\t1\t2\ng2\t3\n");
    fails(
        &["featurize", "--matrix", s(&ragged), "-o", s(&out)],
        2,
        "ragged.tsv:line 3",
    );
    fails(
        &[
            "embed",
            "--fasta",
            s(&testdata("contigs.fa")),
            "--latent-dim",
            "0",
            "-o",
            s(&out),
        ],
        2,
        "latent",
    );
    fails(
        &["embed", "--fasta", "/no/such/file.fa", "-o", s(&out)],
        2,
        "/no/such/file.fa",
    );
    fails(
        &[
            "embed",
            "--fasta",
            s(&testdata("contigs.fa")),
            "--features",
            "kmer:x",
            "-o",
            s(&out),
        ],
        2,
        "--features kmer:x",
    );
    fails(
        &[
            "encode",
            "--model",
            s(dir.path()),
            "--fasta",
            s(&empty),
            "-o",
            s(&out),
        ],
        2,
        "config.json",
    );
    assert!(!out.exists(), "a failed run left {out:?}");
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(
        leftovers.len(),
        3,
        "only the three inputs remain: {leftovers:?}"
    );
}

#[test]
fn count_filters_and_highly_variable_genes_shrink_the_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("features.tsv");
    let run = ok(&[
        "featurize",
        "--matrix",
        s(&testdata("counts.tsv")),
        "--min-genes",
        "10",
        "--min-cells",
        "5",
        "--n-top-genes",
        "20",
        "-o",
        s(&out),
    ]);
    let (header, rows) = read_tsv(&out);
    assert_eq!(header.len() - 1, 20);
    assert!(rows.len() < 40, "--min-genes 10 drops sparse cells");
    let summary = String::from_utf8_lossy(&run.stderr);
    assert!(summary.contains("most highly variable"), "{summary}");
}

#[test]
fn labels_are_checked_before_training_and_reported_after() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("latent.tsv");
    let fasta = testdata("contigs.fa");
    let run = ok(&[
        "embed",
        "--fasta",
        s(&fasta),
        "--labels",
        s(&testdata("contigs_labels.tsv")),
        "--epochs",
        "3",
        "-o",
        s(&out),
    ]);
    assert!(String::from_utf8_lossy(&run.stderr).contains("15-NN accuracy"));
    let wrong = dir.path().join("wrong.tsv");
    fs::write(&wrong, "id\tgenome\nnot_a_contig\tg1\n").unwrap();
    fs::remove_file(&out).unwrap();
    fails(
        &[
            "embed",
            "--fasta",
            s(&fasta),
            "--labels",
            s(&wrong),
            "-o",
            s(&out),
        ],
        2,
        "wrong.tsv",
    );
    assert!(!out.exists());
}

#[test]
fn abundance_columns_join_tnf_and_are_required_again_by_encode() {
    let dir = tempfile::tempdir().unwrap();
    let fasta = testdata("contigs.fa");
    let depth = testdata("contigs_depth.txt");
    let features = dir.path().join("features.tsv");
    ok(&[
        "featurize",
        "--fasta",
        s(&fasta),
        "--abundance",
        s(&depth),
        "-q",
        "-o",
        s(&features),
    ]);
    let (header, rows) = read_tsv(&features);
    // 103 TNF dimensions, then VAMB-style abundance: the profile over the two samples (the
    // -var columns dropped) and the log total depth.
    assert_eq!(header.len(), 1 + 103 + 3);
    assert_eq!(
        &header[104..],
        [
            "abundance:s1.bam",
            "abundance:s2.bam",
            "abundance:log_total_depth"
        ]
    );
    // genome1_contig1, computed with numpy from testdata/contigs_depth.txt over the 27
    // contigs of ≥ 2,000 bp: samples scaled to sum 10⁶, profile (0.794340, 0.205660),
    // ln(total) 11.025427.
    assert_eq!(rows[0].0, "genome1_contig1");
    let want = [0.794_340, 0.205_660, 11.025_427];
    for (got, want) in rows[0].1[103..].iter().zip(want) {
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }

    let model = dir.path().join("model");
    ok(&[
        "train",
        "--fasta",
        s(&fasta),
        "--abundance",
        s(&depth),
        "--epochs",
        "3",
        "-q",
        "-o",
        s(&model),
    ]);
    let latent = dir.path().join("latent.tsv");
    fails(
        &[
            "encode",
            "--model",
            s(&model),
            "--fasta",
            s(&fasta),
            "-o",
            s(&latent),
        ],
        2,
        "trained with contig depths",
    );
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--fasta",
        s(&fasta),
        "--abundance",
        s(&depth),
        "-q",
        "-o",
        s(&latent),
    ]);
    assert_eq!(read_tsv(&latent).1.len(), 27);

    // A model from a vaebio that fed raw depths has no abundance_transform in config.json:
    // replaying it with the new features would be silently wrong, so encode refuses.
    let mut json = model_config(&model);
    json["featurization"]
        .as_object_mut()
        .unwrap()
        .remove("abundance_transform");
    fs::write(model.join("config.json"), json.to_string()).unwrap();
    fails(
        &[
            "encode",
            "--model",
            s(&model),
            "--fasta",
            s(&fasta),
            "--abundance",
            s(&depth),
            "-o",
            s(&latent),
        ],
        2,
        "trained on raw depths by an older vaebio",
    );

    let partial = dir.path().join("partial.txt");
    let text = fs::read_to_string(&depth).unwrap();
    fs::write(
        &partial,
        text.lines().take(10).collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    fails(
        &[
            "featurize",
            "--fasta",
            s(&fasta),
            "--abundance",
            s(&partial),
            "-o",
            s(&features),
        ],
        2,
        "partial.txt: ",
    );
}
