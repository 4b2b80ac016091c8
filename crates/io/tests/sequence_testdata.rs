//! The committed sequence inputs in testdata/ read end to end.

use std::path::PathBuf;

use vaebio_io::{
    AlignmentOptions, Error, SequenceFeatures, SequenceOptions, SequenceReader,
    featurize_sequences, read_alignment,
};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn tnf_options() -> SequenceOptions {
    SequenceOptions {
        features: SequenceFeatures::Tnf,
        alphabet: None,
        min_length: Some(2000),
    }
}

#[test]
fn contigs_tnf_plain_and_gzip_crlf_agree() {
    let (all, report) = featurize_sequences(
        SequenceReader::open(testdata("contigs.fa")).unwrap(),
        &tnf_options(),
    )
    .unwrap();
    // 36 contigs, 9 shorter than 2,000 bp (lengths checked with python).
    assert_eq!((all.n_rows(), all.n_cols()), (27, 103));
    assert_eq!((report.records, report.skipped_short), (36, 9));
    let (four, _) = featurize_sequences(
        SequenceReader::open(testdata("contigs4.fa.gz")).unwrap(),
        &tnf_options(),
    )
    .unwrap();
    // The first four contigs hold one of 1,419 bp.
    assert_eq!(four.row_names(), &all.row_names()[..3]);
    assert_eq!(four.to_dense(), all.to_dense()[..3 * 103]);
}

#[test]
fn fastq_plain_and_gzip_agree() {
    let options = SequenceOptions {
        features: SequenceFeatures::Kmer {
            k: 4,
            canonical: true,
        },
        alphabet: None,
        min_length: Some(0),
    };
    let read = |name: &str| {
        featurize_sequences(SequenceReader::open(testdata(name)).unwrap(), &options).unwrap()
    };
    let (plain, report) = read("reads.fastq");
    let (gzip, _) = read("reads.fastq.gz");
    assert_eq!(report.records, 24);
    assert_eq!((plain.n_rows(), plain.n_cols()), (24, 136));
    assert_eq!(plain, gzip);
}

#[test]
fn truncated_gzip_file_is_a_typed_error() {
    let bytes = std::fs::read(testdata("contigs4.fa.gz")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.fa.gz");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let error =
        featurize_sequences(SequenceReader::open(&path).unwrap(), &tnf_options()).unwrap_err();
    assert!(matches!(error, Error::Truncated { .. }), "{error}");
    assert!(error.to_string().contains("cut.fa.gz"), "{error}");
}

#[test]
fn a2m_family_filters_weights_and_numbering() {
    let alignment = read_alignment(testdata("family.a2m"), &AlignmentOptions::default()).unwrap();
    let report = &alignment.report;
    assert_eq!(report.sequences_read, 50);
    assert_eq!(report.aligned_columns, 120);
    assert_eq!(report.dropped_fragments, 4);
    assert!(report.dropped_ambiguous > 0);
    assert_eq!(alignment.matrix.n_rows(), alignment.weights.len());
    assert_eq!(alignment.matrix.n_cols(), alignment.positions.len() * 21);
    assert!(alignment.weights.iter().all(|&w| w > 0.0 && w <= 1.0));
    // SYNTH_HUMAN/5-127: first aligned residue is position 5; the 3-residue insertion after
    // the 31st aligned column shifts later positions by 3.
    assert_eq!(alignment.positions[0], 5);
    assert!(alignment.positions.contains(&(5 + 31 + 3)));
    assert!(!alignment.positions.contains(&(5 + 31)));
    let wild_type = alignment.focus_sequence[0] as char;
    let mutant = if wild_type == 'A' { 'C' } else { 'A' };
    let row = alignment
        .encode_mutant(&format!("{wild_type}5{mutant}"))
        .unwrap();
    assert_eq!(row.len(), alignment.matrix.n_cols());
}
