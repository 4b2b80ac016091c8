//! FASTA/FASTQ records and their composition features from arbitrary bytes.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use vaebio_io::SequenceReader;
use vaebio_io::features::composition::{SequenceFeatures, SequenceOptions, featurize_sequences};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the featurization so every path sees the same records.
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let features = match choice % 4 {
        0 => SequenceFeatures::Auto,
        1 => SequenceFeatures::Tnf,
        2 => SequenceFeatures::Kmer {
            k: 1 + (choice / 4 % 5) as usize,
            canonical: choice & 0x80 != 0,
        },
        _ => SequenceFeatures::AminoAcid {
            k: 1 + (choice / 4 % 2) as usize,
        },
    };
    let options = SequenceOptions {
        features,
        min_length: Some(0),
        ..SequenceOptions::default()
    };
    // Through the opener, as files are read: plain or gzip detected from the bytes.
    if let Ok(input) = vaebio_io::input::from_reader("fuzz.fa", Cursor::new(bytes.to_vec())) {
        let _ = featurize_sequences(SequenceReader::new("fuzz.fa", input), &options);
    }
    // The record reader on its own, past errors, as the cli's other commands use it.
    let mut reader = SequenceReader::new("fuzz.fa", Cursor::new(bytes));
    let mut record = vaebio_io::SequenceRecord::default();
    while let Ok(true) = reader.read_record(&mut record) {}
});
