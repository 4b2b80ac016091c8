//! 10x Genomics `.h5` matrices (HDF5, Cell Ranger ≥ 3 and 2 layouts) from arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaebio_io::formats::mtx::MtxOptions;
use vaebio_io::formats::tenx_h5::{TenxH5Options, read_10x_h5_bytes};

fuzz_target!(|data: &[u8]| {
    // First byte: options (bit 0: name by gene id; bit 1: every feature type instead of
    // Gene Expression; bit 2: Peaks; bit 3: genome mm10); the rest is the file.
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let feature_type = match (choice & 2 != 0, choice & 4 != 0) {
        (true, _) => None,
        (false, true) => Some("Peaks".to_string()),
        (false, false) => Some("Gene Expression".to_string()),
    };
    let options = TenxH5Options {
        features: MtxOptions {
            gene_ids: choice & 1 != 0,
            feature_type,
        },
        genome: (choice & 8 != 0).then(|| "mm10".to_string()),
    };
    let _ = read_10x_h5_bytes("fuzz.h5", bytes.to_vec(), &options);
});
