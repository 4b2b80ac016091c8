//! Times the variant and expression readers on a file: `cargo run --release -p vaebio-io
//! --example matrix_timing -- vcf cohort.vcf.gz`, `-- tsv counts.tsv`, `-- mtx DIR`,
//! `-- 10x-h5 matrix.h5` or `-- msa family.a2m` (with its sequence weights). Prints wall time,
//! input MB/s and the matrix shape (harness: bench/variants_vs_bcftools.sh,
//! bench/tsv_vs_pandas.sh, bench/tenx_h5_speed.sh, bench/protein/weights_speed.sh).

use std::time::Instant;

use vaebio_io::formats::alignment::{AlignmentOptions, read_alignment};
use vaebio_io::formats::mtx::{MtxOptions, read_10x_mtx};
use vaebio_io::formats::table::{ExpressionOptions, read_expression};
use vaebio_io::formats::tenx_h5::{TenxH5Options, read_10x_h5};
use vaebio_io::formats::vcf::{VcfOptions, read_genotypes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: matrix_timing (vcf|tsv|mtx|10x-h5|msa) FILE";
    let kind = args.next().ok_or(usage)?;
    let path = args.next().ok_or(usage)?;
    let file_bytes = match kind.as_str() {
        "mtx" => std::fs::metadata(format!("{path}/matrix.mtx.gz"))?.len() as f64,
        _ => std::fs::metadata(&path)?.len() as f64,
    };
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
        "mtx" => {
            let matrix = read_10x_mtx(&path, &MtxOptions::default())?;
            (matrix.n_rows(), matrix.n_cols())
        }
        "10x-h5" => {
            let matrix = read_10x_h5(&path, &TenxH5Options::default())?;
            (matrix.n_rows(), matrix.n_cols())
        }
        "msa" => {
            let alignment = read_alignment(&path, &AlignmentOptions::default())?;
            eprintln!("{:?}", alignment.report);
            (alignment.matrix.n_rows(), alignment.matrix.n_cols())
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
