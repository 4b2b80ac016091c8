//! `strobealign --aemb` tables (`aemb::read_aemb_from`) from arbitrary bytes, plain or gzip.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use vaebio_io::formats::aemb::read_aemb_from;
use vaebio_io::input::from_reader;

fuzz_target!(|data: &[u8]| {
    // First byte: options (none yet; kept so every target's corpus has the same layout).
    let Some((_, bytes)) = data.split_first() else {
        return;
    };
    let Ok(input) = from_reader("fuzz.tsv", Cursor::new(bytes.to_vec())) else {
        return;
    };
    if let Ok(rows) = read_aemb_from(input, "fuzz.tsv") {
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|(_, depth)| depth.is_finite() && *depth >= 0.0));
    }
});
