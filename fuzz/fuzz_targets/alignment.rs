//! Aligned families (A2M/FASTA) and mutation strings from arbitrary bytes.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use vaebio_io::formats::alignment::{AlignmentOptions, alignment_from_reader};
use vaebio_io::{Alphabet, SequenceReader};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the alphabet; the last line (after the final '\n') is a
    // mutation list, the rest the alignment.
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let (alignment_bytes, mutations) = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) => (&bytes[..end + 1], &bytes[end + 1..]),
        None => (bytes, &[][..]),
    };
    let options = AlignmentOptions {
        alphabet: match choice % 3 {
            0 => None,
            1 => Some(Alphabet::Dna),
            _ => Some(Alphabet::Protein),
        },
        theta: f64::from(choice / 3 % 5) * 0.05,
        ..AlignmentOptions::default()
    };
    let reader = SequenceReader::new("fuzz.a2m", Cursor::new(alignment_bytes));
    let Ok(alignment) = alignment_from_reader(reader, &options) else {
        return;
    };
    let text = String::from_utf8_lossy(mutations);
    let _ = alignment.parse_mutations(&text);
    let _ = alignment.encode_mutant(&text);
});
