//! Measures TNF throughput on a FASTA file: `cargo run --release -p vaebio-io --example
//! tnf_throughput -- /tmp/contigs.fa [min_length]`. Prints MB/s of file bytes and Mbp/s.

use std::time::Instant;

use vaebio_io::{SequenceFeatures, SequenceOptions, SequenceReader, featurize_sequences};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: tnf_throughput FASTA [min_length]")?;
    let min_length = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let file_bytes = std::fs::metadata(&path)?.len() as f64;
    let options = SequenceOptions {
        features: SequenceFeatures::Tnf,
        alphabet: None,
        min_length: Some(min_length),
    };
    let start = Instant::now();
    let (matrix, report) = featurize_sequences(SequenceReader::open(&path)?, &options)?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{path}: {} records, {} kept, {} × {} matrix, {seconds:.3} s, {:.0} MB/s file, {:.0} Mbp/s, {} threads",
        report.records,
        report.kept,
        matrix.n_rows(),
        matrix.n_cols(),
        file_bytes / seconds / 1e6,
        report.residues as f64 / seconds / 1e6,
        rayon::current_num_threads()
    );
    Ok(())
}
