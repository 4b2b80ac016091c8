//! Times the variant and expression readers on a file: `cargo run --release -p vaebio-io
//! --example matrix_timing -- vcf cohort.vcf.gz` or `-- tsv counts.tsv`. Prints wall time,
//! input MB/s and the matrix shape (harness: bench/variants_vs_bcftools.sh,
//! bench/tsv_vs_pandas.sh).

use std::time::Instant;

use vaebio_io::formats::table::{ExpressionOptions, read_expression};
use vaebio_io::formats::vcf::{VcfOptions, read_genotypes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: matrix_timing (vcf|tsv) FILE";
    let kind = args.next().ok_or(usage)?;
    let path = args.next().ok_or(usage)?;
    let file_bytes = std::fs::metadata(&path)?.len() as f64;
    let start = Instant::now();
    let (rows, cols) = match kind.as_str() {
        "vcf" => {
            let genotypes = read_genotypes(&path, &VcfOptions::default())?;
            eprintln!("{:?}", genotypes.report);
            (genotypes.matrix.n_rows(), genotypes.matrix.n_cols())
        }
        "tsv" => {
            let matrix = read_expression(&path, &ExpressionOptions::default())?;
            (matrix.n_rows(), matrix.n_cols())
        }
        _ => return Err(usage.into()),
    };
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{kind} {path}: {rows} rows × {cols} columns in {seconds:.3} s ({:.0} MB/s of file bytes)",
        file_bytes / seconds / 1e6
    );
    Ok(())
}
