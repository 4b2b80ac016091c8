//! End-to-end: inputs at the edges that must work (or fail with the documented message),
//! generated in a temporary directory.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn vaebio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vaebio"))
        .args(args)
        .arg("--quiet")
        .output()
        .expect("the vaebio binary runs")
}

/// Embeds `input` (`--matrix` or `--fasta`) for 3 epochs; returns the latent rows' ids.
fn embed_ids(flag: &str, input: &Path, extra: &[&str]) -> Vec<String> {
    let out = input.with_extension("latent.tsv");
    let mut args = vec!["embed", flag, input.to_str().unwrap(), "--epochs", "3"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-o", out.to_str().unwrap()]);
    let result = vaebio(&args);
    assert!(
        result.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let text = fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    lines.next();
    lines
        .map(|line| {
            let mut fields = line.split('\t');
            let id = fields.next().unwrap().to_string();
            assert!(
                fields.all(|v| v.parse::<f32>().is_ok_and(f32::is_finite)),
                "non-finite latent value in {line}"
            );
            id
        })
        .collect()
}

/// genes × cells count table.
fn counts_table(cells: usize, genes: &[(String, Vec<u64>)]) -> String {
    let mut text = String::from("gene");
    for cell in 0..cells {
        text.push_str(&format!("\tcell{cell}"));
    }
    text.push('\n');
    for (gene, values) in genes {
        text.push_str(gene);
        for v in values {
            text.push_str(&format!("\t{v}"));
        }
        text.push('\n');
    }
    text
}

fn genes(n: usize, cells: usize, scale: u64) -> Vec<(String, Vec<u64>)> {
    (0..n)
        .map(|g| {
            let values = (0..cells)
                .map(|c| ((g * 7 + c * 3) % 11) as u64 * scale + 1)
                .collect();
            (format!("g{g}"), values)
        })
        .collect()
}

fn dna(length: usize, seed: usize) -> String {
    (0..length)
        .map(|i| b"ACGT"[(i * 7 + i / 3 + seed * 5) % 4] as char)
        .collect()
}

#[test]
fn zero_variance_and_all_zero_features_train() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = genes(5, 8, 1);
    table.push(("constant".to_string(), vec![3; 8]));
    table.push(("silent".to_string(), vec![0; 8]));
    let path = dir.path().join("zero_variance.tsv");
    fs::write(&path, counts_table(8, &table)).unwrap();
    assert_eq!(embed_ids("--matrix", &path, &[]).len(), 8);
    // Gaussian standardisation divides a zero-variance feature by 1, not 0.
    assert_eq!(
        embed_ids("--matrix", &path, &["--likelihood", "gaussian"]).len(),
        8
    );
}

#[test]
fn all_zero_observations_are_a_clear_error_or_dropped_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = genes(5, 8, 1);
    for (_, values) in &mut table {
        values[2] = 0;
    }
    let path = dir.path().join("empty_cell.tsv");
    fs::write(&path, counts_table(8, &table)).unwrap();
    let out = vaebio(&["embed", "--matrix", path.to_str().unwrap(), "-o", "-"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("empty_cell.tsv: 1 observations have no counts (all zero), e.g. 'cell2'")
            && stderr.contains("--min-genes 1"),
        "{stderr}"
    );
    let ids = embed_ids("--matrix", &path, &["--min-genes", "1"]);
    assert_eq!(ids.len(), 7);
    assert!(!ids.contains(&"cell2".to_string()));
}

#[test]
fn a_single_observation_trains() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("single.tsv");
    fs::write(&path, counts_table(1, &genes(5, 1, 1))).unwrap();
    assert_eq!(embed_ids("--matrix", &path, &[]), ["cell0"]);
}

#[test]
fn more_features_than_observations_and_counts_up_to_ten_million() {
    let dir = tempfile::tempdir().unwrap();
    let wide = dir.path().join("wide.tsv");
    fs::write(&wide, counts_table(3, &genes(300, 3, 1))).unwrap();
    assert_eq!(embed_ids("--matrix", &wide, &[]).len(), 3);
    let large = dir.path().join("large.tsv");
    let mut table = genes(6, 8, 900_000);
    table[0].1[0] = 10_000_000;
    fs::write(&large, counts_table(8, &table)).unwrap();
    assert_eq!(embed_ids("--matrix", &large, &[]).len(), 8);
    assert_eq!(
        embed_ids("--matrix", &large, &["--likelihood", "poisson"]).len(),
        8
    );
}

#[test]
fn very_long_names_and_sequences_shorter_than_k() {
    let dir = tempfile::tempdir().unwrap();
    let long_name = "n".repeat(100_000);
    let path = dir.path().join("names.fa");
    fs::write(
        &path,
        format!(
            ">{long_name}\n{}\n>short\nACG\n>b\n{}\n>c\n{}\n",
            dna(600, 1),
            dna(500, 2),
            dna(400, 3)
        ),
    )
    .unwrap();
    // The 3-base record has no 4-mer for TNF: skipped and counted, the rest embedded
    // (`--min-length 0` lifts VAMB's 2,000 bp default, which would skip them all).
    let ids = embed_ids("--fasta", &path, &["--min-length", "0"]);
    assert_eq!(ids, [long_name.as_str(), "b", "c"]);
    let ids = embed_ids("--fasta", &path, &["--features", "kmer:5"]);
    assert_eq!(ids.len(), 3);
}
