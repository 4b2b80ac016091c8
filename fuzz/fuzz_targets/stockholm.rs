//! Stockholm alignments from arbitrary bytes: the parser alone, then the whole alignment path
//! (format detection, `#=GC RF` match columns, featurization) and the mutation parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaebio_io::formats::alignment::{AlignmentOptions, MsaFormat, alignment_from_input};
use vaebio_io::formats::stockholm::read_stockholm;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the format given (none, i.e. detected, or each of the four) and
    // theta; the rest is the file, its last line also read as mutations.
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    if let Ok(alignment) = read_stockholm(bytes, "fuzz.sto") {
        let rows = alignment.records.len();
        assert_eq!(alignment.into_a2m().len(), rows);
    }
    let format = match choice % 5 {
        0 => None,
        n => Some(MsaFormat::ALL[usize::from(n) - 1]),
    };
    let options = AlignmentOptions {
        format,
        theta: f64::from(choice / 5 % 5) * 0.05,
        ..AlignmentOptions::default()
    };
    let Ok(alignment) = alignment_from_input("fuzz.sto".into(), bytes, &options) else {
        return;
    };
    let last_line = bytes.rsplit(|&b| b == b'\n').next().unwrap_or_default();
    let text = String::from_utf8_lossy(last_line);
    let _ = alignment.encode_mutant(&text);
});
