//! End-to-end: the same input, options and `--seed` on the CPU give byte-identical outputs,
//! run after run and with `--threads 1` or `--threads 2`.

use std::path::Path;
use std::process::Command;

fn testdata(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The bytes `vaebio <args> --threads N -o FILE` writes to FILE.
fn output(args: &[&str], threads: &str, file: &Path) -> Vec<u8> {
    let status = Command::new(env!("CARGO_BIN_EXE_vaebio"))
        .args(args)
        .args(["--quiet", "--threads", threads, "-o"])
        .arg(file)
        .status()
        .unwrap();
    assert!(status.success(), "{args:?} --threads {threads}");
    std::fs::read(file).unwrap()
}

#[test]
fn outputs_are_byte_identical_across_runs_and_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (contigs, counts, variants) = (
        testdata("contigs.fa"),
        testdata("counts.tsv"),
        testdata("variants.vcf"),
    );
    let runs: [Vec<&str>; 3] = [
        vec!["embed", "--fasta", &contigs, "--epochs", "5", "--seed", "7"],
        vec![
            "embed", "--matrix", &counts, "--epochs", "20", "--seed", "7",
        ],
        vec!["embed", "--vcf", &variants, "--epochs", "20", "--seed", "7"],
    ];
    for (index, args) in runs.iter().enumerate() {
        let file = |name: &str| dir.path().join(format!("{index}_{name}.tsv"));
        let first = output(args, "1", &file("a"));
        assert!(!first.is_empty());
        assert_eq!(
            first,
            output(args, "1", &file("b")),
            "{args:?}: rerun differs"
        );
        assert_eq!(
            first,
            output(args, "2", &file("c")),
            "{args:?}: --threads 2 differs"
        );
    }
}
