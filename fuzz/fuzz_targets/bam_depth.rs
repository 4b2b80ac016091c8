//! BAM contig depths (`bam_depth::BamDepthReader`) from arbitrary bytes.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use vaebio_io::formats::bam_depth::{BamDepthOptions, BamDepthReader};

fuzz_target!(|data: &[u8]| {
    // First byte: options (edge trim 75 / 0 / 30, identity 97 / 0, MAPQ 0 / 20); then the BAM.
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let options = BamDepthOptions {
        edge_bases: [75, 0, 30, 75][usize::from(choice & 3)],
        min_identity: if choice & 4 != 0 { 0.0 } else { 97.0 },
        min_mapq: if choice & 8 != 0 { 20 } else { 0 },
    };
    let Ok(reader) = BamDepthReader::new(Cursor::new(bytes.to_vec()), "fuzz.bam", "fuzz") else {
        return;
    };
    let contigs: Vec<(String, u64)> = reader
        .contigs()
        .iter()
        .cloned()
        .zip(reader.lengths().iter().copied())
        .collect();
    let _ = reader.check_contigs(&contigs[..contigs.len().min(2)], "fuzz.fa");
    if let Ok(depths) = reader.depths(&options) {
        assert_eq!(depths.depths.len(), depths.contigs.len());
        assert!(depths.depths.iter().all(|d| d.is_finite() && *d >= 0.0));
    }
});
