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

/// Sharded `encode` (docs/scale.md, "Beyond one machine"): encoding the cells of a file in
/// two parts with the model `embed` trained gives, concatenated, `embed`'s own latent: the
/// same names in the same order and the same values up to the last float digit. (Not always
/// the same bytes: the matrix product picks its kernel by the row count, and parts of 15 and
/// 25 rows take another one than 40 rows do, found with this test.)
#[test]
fn encode_of_parts_gives_embed_latent_rows() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let embed_args = [
        "embed",
        "--matrix",
        &testdata("counts.tsv"),
        "--epochs",
        "5",
        "--seed",
        "7",
        "--save-model",
        model.to_str().unwrap(),
    ];
    let embedded = output(&embed_args, "2", &dir.path().join("embed.tsv"));
    // counts.tsv is genes × cells: the parts are column ranges (cells 1–15, 16–40).
    let table = std::fs::read_to_string(testdata("counts.tsv")).unwrap();
    let part = |name: &str, cells: std::ops::Range<usize>| {
        let lines: Vec<String> = table
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                let mut kept = vec![fields[0]];
                kept.extend(&fields[1 + cells.start..1 + cells.end]);
                kept.join("\t")
            })
            .collect();
        let path = dir.path().join(name);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let args = ["encode", "--model", model.to_str().unwrap(), "--matrix"];
        let args: Vec<&str> = args.into_iter().chain([path.to_str().unwrap()]).collect();
        let latent = output(&args, "1", &dir.path().join(format!("{name}.latent")));
        String::from_utf8(latent).unwrap()
    };
    let (first, second) = (part("a.tsv", 0..15), part("b.tsv", 15..40));
    let merged = first + second.split_once('\n').unwrap().1;
    let embedded = String::from_utf8(embedded).unwrap();
    assert_eq!(merged.lines().count(), embedded.lines().count());
    for (got, want) in merged.lines().zip(embedded.lines()) {
        let (got, want): (Vec<&str>, Vec<&str>) =
            (got.split('\t').collect(), want.split('\t').collect());
        assert_eq!(got[0], want[0], "row names");
        for (g, w) in got[1..].iter().zip(&want[1..]) {
            match (g.parse::<f64>(), w.parse::<f64>()) {
                (Ok(g), Ok(w)) => assert!(
                    (g - w).abs() <= 1e-6 * w.abs().max(1.0),
                    "{got:?} vs {want:?}"
                ),
                _ => assert_eq!(g, w, "header"),
            }
        }
    }
}

/// A VCF of `samples` diploids × `sites` biallelic SNPs, genotypes from a fixed
/// pseudo-random sequence (xorshift), two groups of samples with different allele
/// frequencies.
fn wide_vcf(path: &Path, samples: usize, sites: usize) {
    use std::fmt::Write as _;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut text = String::from("##fileformat=VCFv4.2\n##contig=<ID=1,length=100000000>\n");
    text.push_str("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n");
    text.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
    for sample in 0..samples {
        write!(text, "\ts{sample}").unwrap();
    }
    for site in 0..sites {
        let (p0, p1) = (0.05 + 0.9 * next(), 0.05 + 0.9 * next());
        write!(text, "\n1\t{}\t.\tA\tT\t.\tPASS\t.\tGT", 10 * site + 1).unwrap();
        for sample in 0..samples {
            let p = if sample < samples / 2 { p0 } else { p1 };
            let allele = |u: f64| u8::from(u < p);
            write!(text, "\t{}/{}", allele(next()), allele(next())).unwrap();
        }
    }
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

/// A genotype minibatch of 32 rows is one shard, so the second thread helps only inside it:
/// the matrix products (gemm splits each product's output, never a sum, across threads) and
/// the binomial op's rows. 3,000 sites make every product large enough to be split.
#[test]
fn one_shard_genotype_training_is_byte_identical_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = dir.path().join("wide.vcf");
    wide_vcf(&vcf, 40, 3_000);
    let vcf = vcf.to_string_lossy().into_owned();
    for flags in [&[][..], &["--input-transform", "allele-frequency"][..]] {
        let mut args = vec!["embed", "--vcf", &vcf, "--epochs", "3", "--seed", "5"];
        args.extend_from_slice(flags);
        let file = |name: &str| dir.path().join(format!("{}_{name}.tsv", flags.len()));
        let first = output(&args, "1", &file("a"));
        assert!(!first.is_empty());
        assert_eq!(
            first,
            output(&args, "2", &file("b")),
            "{args:?}: --threads 2 differs"
        );
    }
}
