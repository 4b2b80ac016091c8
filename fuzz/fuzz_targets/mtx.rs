//! 10x Matrix Market triplets (matrix.mtx, features.tsv, barcodes.tsv) from arbitrary bytes.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use vaebio_io::formats::mtx::{MtxOptions, read_10x_mtx_from};
use vaebio_io::input::from_reader;

/// Separates the three files in one input (a byte that never occurs in them).
const SEPARATOR: u8 = 0x00;

fuzz_target!(|data: &[u8]| {
    // First byte: options (bit 0: name by gene id; bit 1: every feature type instead of Gene
    // Expression); then matrix.mtx, features.tsv and barcodes.tsv split at NUL bytes.
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let mut files = bytes.splitn(3, |&b| b == SEPARATOR);
    let (Some(matrix), Some(features), Some(barcodes)) = (files.next(), files.next(), files.next())
    else {
        return;
    };
    let open = |name: &str, bytes: &[u8]| from_reader(name, Cursor::new(bytes.to_vec()));
    let (Ok(matrix), Ok(features), Ok(barcodes)) = (
        open("matrix.mtx", matrix),
        open("features.tsv", features),
        open("barcodes.tsv", barcodes),
    ) else {
        return;
    };
    let options = MtxOptions {
        gene_ids: choice & 1 != 0,
        feature_type: (choice & 2 == 0).then(|| "Gene Expression".to_string()),
    };
    let _ = read_10x_mtx_from(matrix, features, barcodes, &options);
});
