//! VCF text (plain, gzip, BGZF) and BCF from arbitrary bytes, through the same opener as files.
#![no_main]

use std::io::Cursor;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vaebio_io::formats::vcf::{
    MissingPolicy, ModelSites, Thinning, VcfOptions, read_genotypes_from,
};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the missing-data policy, thinning and filters.
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let options = VcfOptions {
        missing: match choice % 3 {
            0 => MissingPolicy::Mean,
            1 => MissingPolicy::Binomial,
            _ => MissingPolicy::DropSites,
        },
        seed: u64::from(choice),
        min_maf: if choice & 0x08 != 0 { 0.05 } else { 0.0 },
        max_sites: (choice & 0x10 != 0).then_some(1 + usize::from(choice >> 6)),
        thinning: if choice & 0x20 != 0 {
            Thinning::Random
        } else {
            Thinning::EvenlySpaced
        },
        snps_only: choice & 0x04 == 0,
        // read into a model's sites (as `encode` does) on odd choices
        model_sites: (choice & 0x01 != 0).then(|| {
            let names = ["1:1".to_string(), "chr1:100".to_string()];
            Arc::new(ModelSites::new(&names, vec![(1, 4), (0, 0)], 2).unwrap())
        }),
    };
    if let Ok(input) = vaebio_io::input::from_reader("fuzz.vcf", Cursor::new(bytes.to_vec())) {
        let _ = read_genotypes_from(input, &options);
    }
});
