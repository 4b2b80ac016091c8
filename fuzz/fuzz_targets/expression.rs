//! Delimited (TSV/CSV, plain or gzip) expression matrices from arbitrary bytes.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use vaebio_io::formats::table::{ExpressionOptions, read_expression_from};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the orientation and whether counts are required.
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let options = ExpressionOptions {
        transpose: choice & 1 != 0,
        require_counts: choice & 2 != 0,
    };
    if let Ok(input) = vaebio_io::input::from_reader("fuzz.tsv", Cursor::new(bytes.to_vec())) {
        let _ = read_expression_from(input, &options);
    }
});
