//! End-to-end contig depths from `--bam` (one BAM per sample) and `--aemb` (one
//! `strobealign --aemb` table per sample) on `testdata/bam/` (bench/make_bam.sh).

mod common;

use std::path::PathBuf;

use common::{fails, ok, read_tsv, s, testdata};

fn bams() -> [PathBuf; 2] {
    [testdata("bam/sample1.bam"), testdata("bam/sample2.bam")]
}

#[test]
fn bam_depths_give_the_same_features_as_jgis_table_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let fasta = testdata("contigs.fa");
    let [bam1, bam2] = bams();
    let from_bam = dir.path().join("bam.tsv");
    ok(&[
        "featurize",
        "--fasta",
        s(&fasta),
        "--bam",
        s(&bam1),
        s(&bam2),
        "-q",
        "-o",
        s(&from_bam),
    ]);
    // The expected features: the same contigs with jgi_summarize_bam_contig_depths' table of
    // these BAMs (MetaBAT 2.15; sample2.bam sorted first, as jgi requires) as --abundance.
    let from_jgi = dir.path().join("jgi.tsv");
    ok(&[
        "featurize",
        "--fasta",
        s(&fasta),
        "--abundance",
        s(&testdata("bam/samples.jgi.txt")),
        "-q",
        "-o",
        s(&from_jgi),
    ]);
    let (header, rows) = read_tsv(&from_bam);
    assert_eq!(
        &header[104..],
        [
            "abundance:sample1",
            "abundance:sample2",
            "abundance:log_total_depth"
        ]
    );
    let (_, want) = read_tsv(&from_jgi);
    assert_eq!(rows.len(), 27);
    for ((contig, got), (_, want)) in rows.iter().zip(&want) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-4, "{contig}: {g} vs {w}");
        }
    }
}

#[test]
fn a_model_trained_on_bam_depths_encodes_with_bam_or_aemb_depths() {
    let dir = tempfile::tempdir().unwrap();
    let fasta = testdata("contigs.fa");
    let [bam1, bam2] = bams();
    let model = dir.path().join("model");
    ok(&[
        "train",
        "--fasta",
        s(&fasta),
        "--bam",
        s(&bam1),
        s(&bam2),
        "--epochs",
        "2",
        "-q",
        "-o",
        s(&model),
    ]);
    let latent = dir.path().join("latent.tsv");
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--fasta",
        s(&fasta),
        "--bam",
        s(&bam1),
        s(&bam2),
        "-q",
        "-o",
        s(&latent),
    ]);
    assert_eq!(read_tsv(&latent).1.len(), 27);
    let (aemb1, aemb2) = (
        testdata("bam/aemb/sample1.tsv"),
        testdata("bam/aemb/sample2.tsv"),
    );
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--fasta",
        s(&fasta),
        "--aemb",
        s(&aemb1),
        s(&aemb2),
        "-q",
        "-o",
        s(&latent),
    ]);
    assert_eq!(read_tsv(&latent).1.len(), 27);
    let other = dir.path().join("other.tsv");
    fails(
        &[
            "encode",
            "--model",
            s(&model),
            "--fasta",
            s(&fasta),
            "-o",
            s(&other),
        ],
        2,
        "trained with contig depths",
    );
    // One sample fewer: its abundance column is missing.
    fails(
        &[
            "encode",
            "--model",
            s(&model),
            "--fasta",
            s(&fasta),
            "--bam",
            s(&bam1),
            "-o",
            s(&other),
        ],
        2,
        "abundance:sample2",
    );
    assert!(!other.exists());
}

#[test]
fn depth_flags_exclude_each_other_and_need_unique_sample_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.tsv");
    let fasta = testdata("contigs.fa");
    let [bam1, _] = bams();
    let aemb = testdata("bam/aemb/sample1.tsv");
    let depth = testdata("contigs_depth.txt");
    for (flag, file) in [("--abundance", &depth), ("--aemb", &aemb)] {
        fails(
            &[
                "featurize",
                "--fasta",
                s(&fasta),
                "--bam",
                s(&bam1),
                flag,
                s(file),
                "-o",
                s(&out),
            ],
            2,
            "cannot be used with",
        );
    }
    fails(
        &[
            "featurize",
            "--fasta",
            s(&fasta),
            "--bam",
            s(&bam1),
            s(&bam1),
            "-o",
            s(&out),
        ],
        2,
        "sample1.bam: duplicate sample name 'sample1'",
    );
    assert!(!out.exists());
}
