//! AnnData `.h5ad` files (HDF5) from arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaebio_io::formats::h5ad::{AnnData, H5adOptions};

fuzz_target!(|data: &[u8]| {
    // First byte: options (bit 0: read layers/counts instead of X; bit 1: mask genes by
    // var/highly_variable; bit 2: --backed, then every row is read); the rest is the file.
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let Ok(file) = AnnData::from_bytes("fuzz.h5ad", bytes.to_vec()) else {
        return;
    };
    let options = H5adOptions {
        layer: (choice & 1 != 0).then(|| "counts".to_string()),
        var_mask: (choice & 2 != 0).then(|| "highly_variable".to_string()),
        backed: choice & 4 != 0,
    };
    if let Ok(matrix) = file.matrix(&options) {
        if options.backed {
            let rows: Vec<usize> = (0..matrix.n_rows()).collect();
            let mut out = vec![0.0; rows.len() * matrix.n_cols()];
            let _ = matrix.try_fill_rows(&rows, &mut out);
        }
    }
    let _ = file.layers();
    let _ = file.obs_column("batch");
    let _ = file.obs_column("note");
    // The typed columns an `.h5ad` output carries over.
    for column in file.obs_columns().unwrap_or_default() {
        if let Ok(values) = file.obs_values(&column) {
            let _ = values.into_text();
        }
    }
});
