//! End-to-end `vaebio bin` on the committed synthetic contigs (`testdata/contigs.fa`: 3 genomes
//! × 12 contigs, 27 of them at least 2,000 bp; true genomes in `testdata/contigs_labels.tsv`).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use common::{ok, s, testdata, vaebio};

fn read_bins(path: &Path) -> BTreeMap<String, String> {
    let text = fs::read_to_string(path).expect("bin table exists");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("contig\tbin"));
    lines
        .map(|line| {
            let (contig, bin) = line.split_once('\t').expect("two columns");
            (contig.to_string(), bin.to_string())
        })
        .collect()
}

/// id -> sequence of a FASTA file.
fn read_fasta(path: &Path) -> HashMap<String, String> {
    let mut records = HashMap::new();
    let mut id = String::new();
    for line in fs::read_to_string(path).expect("fasta exists").lines() {
        if let Some(header) = line.strip_prefix('>') {
            id = header.split_whitespace().next().unwrap_or("").to_string();
            records.insert(id.clone(), String::new());
        } else if let Some(sequence) = records.get_mut(&id) {
            sequence.push_str(line.trim());
        }
    }
    records
}

fn labels() -> HashMap<String, String> {
    fs::read_to_string(testdata("contigs_labels.tsv"))
        .expect("labels exist")
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once('\t'))
        .map(|(id, genome)| (id.to_string(), genome.to_string()))
        .collect()
}

#[test]
fn bin_assigns_every_long_contig_once_and_bins_are_pure() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("bins.tsv");
    let latent = dir.path().join("latent.tsv");
    let fasta = testdata("contigs.fa");
    ok(&[
        "bin",
        "--fasta",
        s(&fasta),
        "--epochs",
        "60",
        "--quiet",
        "-o",
        s(&table),
        "--latent-out",
        s(&latent),
    ]);
    let bins = read_bins(&table);
    // The recipe's minimum length of 2,000 bp keeps 27 of the 36 contigs.
    let lengths: HashMap<String, usize> = read_fasta(&fasta)
        .into_iter()
        .map(|(id, seq)| (id, seq.len()))
        .collect();
    let long: Vec<&String> = lengths
        .iter()
        .filter(|(_, len)| **len >= 2000)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(bins.len(), 27);
    assert_eq!(long.len(), 27);
    assert!(long.iter().all(|id| bins.contains_key(*id)));
    assert!(bins.values().all(|b| b.starts_with("bin_")));
    let latent_rows = fs::read_to_string(&latent).unwrap().lines().count();
    assert_eq!(latent_rows, 1 + 27);

    // Three genomes give a handful of bins, not singletons (60 epochs, seed 42: 9 + 10 + 7 + 1
    // contigs on x86-64), and bins do not mix genomes much: at least 90% of the binned bp sit
    // with their bin's dominant genome (the synthetic genomes differ strongly in 4-mer
    // composition).
    let truth = labels();
    let mut content: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    for (contig, bin) in &bins {
        *content
            .entry(bin.as_str())
            .or_default()
            .entry(truth[contig].as_str())
            .or_default() += lengths[contig];
    }
    assert!(content.len() <= 6, "{} bins: {content:?}", content.len());
    let dominant: usize = content.values().map(|g| g.values().max().unwrap()).sum();
    let total: usize = bins.keys().map(|c| lengths[c]).sum();
    assert!(
        dominant as f64 >= 0.9 * total as f64,
        "bin purity {dominant}/{total}: {content:?}"
    );
}

#[test]
fn fasta_out_writes_each_bin_with_the_input_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("bins.tsv");
    let out = dir.path().join("bins");
    let fasta = testdata("contigs.fa");
    ok(&[
        "bin",
        "--fasta",
        s(&fasta),
        "--min-length",
        "1000",
        "--epochs",
        "3",
        "--quiet",
        "-o",
        s(&table),
        "--fasta-out",
        s(&out),
        "--min-bin-size",
        "1",
    ]);
    let bins = read_bins(&table);
    assert_eq!(bins.len(), 36);
    let input = read_fasta(&fasta);
    let mut seen = 0;
    let distinct: std::collections::BTreeSet<&String> = bins.values().collect();
    let files: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), distinct.len());
    for file in files {
        let name = file.file_stem().unwrap().to_str().unwrap().to_string();
        for (id, sequence) in read_fasta(&file) {
            assert_eq!(bins[&id], name, "{id} in the wrong file");
            assert_eq!(sequence, input[&id], "{id} sequence changed");
            seen += 1;
        }
    }
    assert_eq!(seen, 36);
    // No temporary directory is left beside the output.
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".vaebio"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn min_bin_size_leaves_small_bins_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bins");
    ok(&[
        "bin",
        "--fasta",
        s(&testdata("contigs.fa")),
        "--epochs",
        "2",
        "--quiet",
        "-o",
        s(&dir.path().join("bins.tsv")),
        "--fasta-out",
        s(&out),
        "--min-bin-size",
        "1000000",
    ]);
    // 90 kb of contigs in all: no bin reaches 1 Mb, the directory is there and empty.
    assert_eq!(fs::read_dir(&out).unwrap().count(), 0);
}

/// A failure with exit code 2 and one `error:` line containing `needle`.
fn fails(args: &[&str], needle: &str) {
    let out = vaebio(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "vaebio {args:?}: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(needle),
        "expected '{needle}' in: {stderr}"
    );
}

#[test]
fn bin_refuses_stdin_a_full_output_directory_and_non_contigs() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    fs::create_dir(&full).unwrap();
    fs::write(full.join("keep.txt"), "mine").unwrap();
    let table = dir.path().join("bins.tsv");
    let fasta = testdata("contigs.fa");
    fails(
        &[
            "bin",
            "--fasta",
            s(&fasta),
            "-o",
            s(&table),
            "--fasta-out",
            s(&full),
        ],
        "not empty",
    );
    assert_eq!(fs::read_to_string(full.join("keep.txt")).unwrap(), "mine");
    assert!(!table.exists(), "no bin table after a refused run");
    fails(&["bin", "--fasta", "-", "-o", s(&table)], "stdin");
    fails(
        &[
            "bin",
            "--vcf",
            s(&testdata("variants.vcf")),
            "-o",
            s(&table),
        ],
        "--fasta",
    );
}

#[test]
fn clustering_a_written_latent_table_gives_the_same_bins() {
    // `--latent` skips training: the latent means written by `--latent-out` cluster into
    // exactly the bins of the run that wrote them when it clustered the means as they are
    // (`--latent-scale none`; same seed, values round-trip exactly).
    let dir = tempfile::tempdir().unwrap();
    let fasta = testdata("contigs.fa");
    let trained = dir.path().join("trained.tsv");
    let latent = dir.path().join("latent.tsv");
    let reclustered = dir.path().join("reclustered.tsv");
    // `vaebio bin` trained for 20 epochs, bins to `trained`, with `extra` flags.
    let train_bins = |extra: &[&str]| {
        let mut args = vec!["bin", "--fasta", s(&fasta), "--epochs", "20", "-q"];
        args.extend_from_slice(&["-o", s(&trained)]);
        args.extend_from_slice(extra);
        ok(&args);
    };
    train_bins(&["--latent-scale", "none", "--latent-out", s(&latent)]);
    ok(&[
        "bin",
        "--fasta",
        s(&fasta),
        "--latent",
        s(&latent),
        "-q",
        "-o",
        s(&reclustered),
    ]);
    assert_eq!(read_bins(&trained), read_bins(&reclustered));
    // The default clusters the denoised principal components (10 of them); `--clustered-out`
    // writes those, and they too re-cluster into the trained run's bins.
    let clustered = dir.path().join("clustered.tsv");
    train_bins(&["--clustered-out", s(&clustered)]);
    ok(&[
        "bin",
        "--fasta",
        s(&fasta),
        "--latent",
        s(&clustered),
        "-q",
        "-o",
        s(&reclustered),
    ]);
    assert_eq!(read_bins(&trained), read_bins(&reclustered));
    let header = |path: &Path| {
        let text = fs::read_to_string(path).unwrap();
        text.lines().next().unwrap().to_string()
    };
    let ten: Vec<String> = (1..=10).map(|i| format!("z{i}")).collect();
    assert_eq!(header(&clustered), format!("id\t{}", ten.join("\t")));
    // `posterior` clusters the latent means scaled per dimension: as many columns as the
    // latent (16), not the plain means.
    train_bins(&[
        "--latent-scale",
        "posterior",
        "--clustered-out",
        s(&clustered),
    ]);
    assert_eq!(header(&clustered), header(&latent));
    assert_eq!(header(&latent).split('\t').count(), 1 + 16);
    assert_ne!(
        fs::read_to_string(&latent).unwrap(),
        fs::read_to_string(&clustered).unwrap()
    );
    // A given table is clustered as it is: there is nothing to write.
    fails(
        &[
            "bin",
            "--fasta",
            s(&fasta),
            "--latent",
            s(&clustered),
            "--clustered-out",
            s(&dir.path().join("again.tsv")),
            "-o",
            s(&reclustered),
        ],
        "--clustered-out",
    );
    // A latent row whose contig is not in the FASTA is refused.
    let foreign = dir.path().join("foreign.tsv");
    fs::write(&foreign, "id\tz1\tz2\nnot_a_contig\t0.5\t-1\n").unwrap();
    fails(
        &[
            "bin",
            "--fasta",
            s(&fasta),
            "--latent",
            s(&foreign),
            "-o",
            s(&reclustered),
        ],
        "not_a_contig",
    );
}

#[test]
fn latent_scale_changes_only_what_is_clustered() {
    // `--latent-scale none` and the default (`denoised`) train alike: `--latent-out` writes
    // the same posterior means (not what is clustered), `--pca` writes PCA of the same
    // features, and every long contig gets a bin. With `--latent` there is no model:
    // `--latent-scale posterior` and `denoised` are refused.
    let dir = tempfile::tempdir().unwrap();
    let fasta = testdata("contigs.fa");
    let plain = dir.path().join("plain.tsv");
    let scaled = dir.path().join("scaled.tsv");
    let pca = dir.path().join("pca.tsv");
    let run = |latent: &Path, extra: &[&str]| {
        let bins = dir.path().join("bins.tsv");
        let mut args = vec!["bin", "--fasta", s(&fasta), "--epochs", "20", "-q"];
        args.extend_from_slice(&["-o", s(&bins), "--latent-out", s(latent)]);
        args.extend_from_slice(extra);
        ok(&args);
        read_bins(&bins)
    };
    run(&plain, &["--latent-scale", "none"]);
    let bins = run(&scaled, &["--pca", s(&pca)]);
    assert_eq!(bins.len(), 27);
    assert_eq!(
        fs::read_to_string(&plain).unwrap(),
        fs::read_to_string(&scaled).unwrap()
    );
    let pca_text = fs::read_to_string(&pca).unwrap();
    assert_eq!(pca_text.lines().count(), 1 + 27);
    assert!(pca_text.starts_with("id\tPC1\t"));
    let refused = dir.path().join("refused.tsv");
    for scale in ["posterior", "denoised"] {
        fails(
            &[
                "bin",
                "--fasta",
                s(&fasta),
                "--latent",
                s(&plain),
                "--latent-scale",
                scale,
                "-o",
                s(&refused),
            ],
            "need a model trained here",
        );
        assert!(!refused.exists());
    }
}

#[test]
fn tnf_length_weights_change_training_and_bad_values_are_refused() {
    // `--tnf-weight length` weights each contig's reconstruction by its length (the weights
    // themselves are checked by hand in vaebio-io and the loss in vaebio-model): the same seed
    // then trains to other latent means, one row per long contig.
    let dir = tempfile::tempdir().unwrap();
    let fasta = testdata("contigs.fa");
    let embed = |latent: &Path, extra: &[&str]| {
        let mut args = vec!["embed", "--fasta", s(&fasta), "--epochs", "5", "-q"];
        args.extend_from_slice(&["--seed", "3", "-o", s(latent)]);
        args.extend_from_slice(extra);
        ok(&args);
        fs::read_to_string(latent).unwrap()
    };
    let plain = embed(&dir.path().join("plain.tsv"), &[]);
    let weighted = embed(
        &dir.path().join("weighted.tsv"),
        &["--tnf-weight", "length"],
    );
    assert_eq!(weighted.lines().count(), 1 + 27);
    assert_ne!(plain, weighted);
    assert_eq!(
        plain,
        embed(&dir.path().join("none.tsv"), &["--tnf-weight", "none"])
    );
    fails(
        &[
            "embed",
            "--fasta",
            s(&fasta),
            "--tnf-weight",
            "depth",
            "-o",
            s(&dir.path().join("refused.tsv")),
        ],
        "--tnf-weight",
    );
}
