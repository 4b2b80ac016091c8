use super::*;

fn read(text: &str, options: &AlignmentOptions) -> Result<Alignment> {
    alignment_from_reader(SequenceReader::new("fam.a2m", text.as_bytes()), options)
}

fn no_filters() -> AlignmentOptions {
    AlignmentOptions {
        max_gap_frac: 1.0,
        max_sequence_gap_frac: 1.0,
        theta: 0.2,
        alphabet: Some(Alphabet::Protein),
        format: None,
    }
}

/// Five focus columns. Identities by hand (matches / own residues, > 0.8 counts):
/// focus MKVLA; s1 MKVLA (5/5 with focus); s2 MKVLC (4/5 = 0.8, not > 0.8);
/// s3 MK--- (2/2 = 1 vs focus, s1 and s2; 3 residues of focus match 2 → 2/5);
/// focus: self, s1 → 1/2. s1: 1/2. s2: only itself → 1.
/// s3: itself, focus, s1, s2 (each 2/2) → 1/4. The same weights come from EVE's
/// numpy expression `1/np.sum(L @ s / (s @ s) > 1 - 0.2)` on the gap-free one-hot.
#[test]
fn weights_by_hand() {
    let text = ">focus/10-14\nMKVLA\n>s1\nMKVLA\n>s2\nMKVLC\n>s3\nMK---\n";
    let alignment = read(text, &no_filters()).unwrap();
    assert_eq!(alignment.weights, vec![0.5, 0.5, 1.0, 0.25]);
    assert_eq!(alignment.positions, vec![10, 11, 12, 13, 14]);
    assert!((alignment.report.effective_sequences - 2.25).abs() < 1e-9);
}

#[test]
fn a2m_a3m_insertions_focus_columns_and_one_hot() {
    // Lower case and '.' are insertions. Aligned columns: focus M - A, s1 (A2M) M C G,
    // s2 (A3M, insertion "aa" without dots) M D A. Focus columns 1 and 3; the focus
    // insertion 'k' is residue 2, so positions are 1 and 3.
    let text = ">focus\nMk-A\n>s1\nM.CG\n>s2\nMaaDA\n";
    let alignment = read(text, &no_filters()).unwrap();
    assert_eq!(alignment.report.aligned_columns, 3);
    assert_eq!(alignment.focus_sequence, b"MA");
    assert_eq!(alignment.positions, vec![1, 3]);
    let names = alignment.matrix.col_names();
    let dense = alignment.matrix.to_dense();
    let hot: Vec<&str> = dense[42..84]
        .iter()
        .zip(names)
        .filter(|(v, _)| **v == 1.0)
        .map(|(_, n)| n.as_str())
        .collect();
    assert_eq!(hot, ["1:M", "3:G"]);
}

#[test]
fn gappy_columns_fragments_and_ambiguous_sequences_are_dropped() {
    let text = ">f\nMKVLAG\n>a\nMKVLA-\n>b\nMKV-A-\n>frag\n-K----\n>x\nMXVLAG\n";
    let options = AlignmentOptions {
        alphabet: Some(Alphabet::Protein),
        ..AlignmentOptions::default()
    };
    let alignment = read(text, &options).unwrap();
    // frag has 5/6 gaps > 0.5 → dropped. Among f, a, b, x: column 6 has 2/4 gaps > 0.3
    // → dropped; column 4 has 1/4 → kept. x holds X in column 2 → dropped.
    assert_eq!(alignment.report.dropped_fragments, 1);
    assert_eq!(alignment.report.dropped_columns, 1);
    assert_eq!(alignment.report.dropped_ambiguous, 1);
    assert_eq!(alignment.matrix.row_names(), ["f", "a", "b"]);
    assert_eq!(alignment.focus_sequence, b"MKVLA");
    assert_eq!(alignment.matrix.n_cols(), 5 * 21);
    assert_eq!(alignment.matrix.col_names()[20], "1:-");
}

#[test]
fn mutations_encode_and_check_wild_type() {
    let text = ">focus/10-14\nMKVLA\n>s1\nMKVLA\n";
    let alignment = read(text, &no_filters()).unwrap();
    let row = alignment.encode_mutant("K11R:A14G").unwrap();
    let state = |c: &str| {
        alignment
            .matrix
            .col_names()
            .iter()
            .position(|n| n == c)
            .unwrap()
    };
    assert_eq!(row[state("11:R")], 1.0);
    assert_eq!(row[state("11:K")], 0.0);
    assert_eq!(row[state("14:G")], 1.0);
    assert_eq!(row.iter().sum::<f32>(), 5.0);
    let error = alignment.encode_mutant("A11R").unwrap_err();
    assert!(
        error.to_string().contains("wild type at 11 is K, not A"),
        "{error}"
    );
    let error = alignment.encode_mutant("K30R").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("position 30 is not a focus column"),
        "{error}"
    );
    assert!(alignment.encode_mutant("K11").is_err());
}

/// 5 focus columns × 19 other residues, in focus numbering, each one a valid mutation.
#[test]
fn single_mutants_cover_every_other_residue_of_every_column() {
    let text = ">focus/10-14\nMKVLA\n>s1\nMKVLA\n";
    let alignment = read(text, &no_filters()).unwrap();
    let singles = alignment.single_mutants();
    assert_eq!(singles.len(), 5 * 19);
    assert_eq!(&singles[..2], ["M10A", "M10C"]);
    assert!(!singles.contains(&"M10M".to_string()));
    assert_eq!(singles.last().map(String::as_str), Some("A14Y"));
    for single in &singles {
        assert!(alignment.parse_mutations(single).is_ok(), "{single}");
    }
}

/// Found by `fuzz/` (alignment target): a multi-byte first or last character used to
/// panic on a string slice that was not a character boundary.
#[test]
fn non_ascii_mutations_are_errors_not_panics() {
    let alignment = read(">focus/10-14\nMKVLA\n", &no_filters()).unwrap();
    for text in [
        "é11R",
        "K11é",
        "\u{fffd}\u{fffd}\u{fffd}",
        "K11R:Ω1Ω",
        "K1\u{fffd}1R",
    ] {
        let error = alignment.encode_mutant(text).unwrap_err();
        assert!(
            error.to_string().contains("is not a substitution"),
            "{error}"
        );
    }
}

#[test]
fn ragged_rows_and_bad_characters_name_the_record() {
    let error = read(">f\nMKV\n>s\nMK\n", &no_filters()).unwrap_err();
    assert!(matches!(error, Error::Ragged { .. }));
    assert!(
        error
            .to_string()
            .starts_with("fam.a2m:record 's': 2 aligned columns"),
        "{error}"
    );
    let error = read(">f\nMKV\n>s\nM1V\n", &no_filters()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("fam.a2m:record 's': '1' in aligned column 2"),
        "{error}"
    );
    assert!(matches!(read("", &no_filters()), Err(Error::Empty { .. })));
}

#[test]
fn options_outside_unit_interval_are_rejected() {
    let options = AlignmentOptions {
        theta: 1.5,
        ..AlignmentOptions::default()
    };
    let error = read(">f\nMKV\n", &options).unwrap_err();
    assert!(matches!(error, Error::InvalidOption { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("option theta: 1.5 is outside [0, 1]")
    );
}

#[test]
fn dna_alignments_have_five_states() {
    let alignment = read(">f\nACGT\n>s\nACGU\n", &AlignmentOptions::default()).unwrap();
    assert_eq!(alignment.alphabet, Alphabet::Dna);
    assert_eq!(alignment.n_states, 5);
    assert_eq!(
        alignment.matrix.to_dense()[5 * 3..5 * 4],
        [0.0, 0.0, 0.0, 1.0, 0.0]
    );
}

fn read_file(name: &str, format: Option<MsaFormat>) -> Result<Alignment> {
    let options = AlignmentOptions {
        format,
        ..AlignmentOptions::default()
    };
    read_alignment(crate::testdata::testdata(name), &options)
}

/// testdata/family_rf.sto (hmmalign style, two blocks, one row without case marks) and
/// testdata/family_rf.a2m (the same family written as A2M) have the same 12 match columns:
/// RF `xxxxx..x` + `xxxx.xx`. The focus SYN1_HUMAN/3-16 has residues MKVLA (3-7), the
/// insertion ga (8-9), W (10), TEHK (11-14), DR (15-16).
#[test]
fn stockholm_with_rf_gives_the_one_hot_of_the_same_family_in_a2m() {
    let stockholm = read_file("family_rf.sto", None).unwrap();
    let a2m = read_file("family_rf.a2m", None).unwrap();
    assert_eq!(stockholm.format, MsaFormat::Sto);
    assert_eq!(a2m.format, MsaFormat::A2m);
    assert_eq!(stockholm.report.aligned_columns, 12);
    assert_eq!(
        stockholm.positions,
        [3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16]
    );
    assert_eq!(stockholm.focus_sequence, b"MKVLAWTEHKDR");
    assert_eq!(stockholm.matrix, a2m.matrix);
    assert_eq!(stockholm.weights, a2m.weights);
    assert_eq!(stockholm.positions, a2m.positions);
}

#[test]
fn stockholm_without_rf_aligns_every_column() {
    let text = std::fs::read_to_string(crate::testdata::testdata("family_rf.sto")).unwrap();
    let without_rf: String = text
        .lines()
        .filter(|line| !line.starts_with("#=GC RF"))
        .map(|line| format!("{line}\n"))
        .collect();
    let alignment =
        alignment_from_input("no_rf.sto".into(), without_rf.as_bytes(), &no_filters()).unwrap();
    // 15 columns; the focus has a gap in column 13 only.
    assert_eq!(alignment.report.aligned_columns, 15);
    assert_eq!(alignment.report.focus_columns, 14);
    assert_eq!(alignment.focus_sequence, b"MKVLAGAWTEHKDR");
}

/// testdata/famsa_mixed.afa: five rows of 20 columns, lower case inside aligned columns (as
/// FAMSA keeps the input's case). Read as aligned FASTA it is the same as its upper-case
/// copy; under the A2M rule the focus has 16 aligned columns and s2 20.
#[test]
fn mixed_case_aligned_fasta_ignores_case() {
    let alignment = read_file("famsa_mixed.afa", None).unwrap();
    assert_eq!(alignment.format, MsaFormat::Afa);
    assert_eq!(alignment.report.aligned_columns, 20);
    let text = std::fs::read_to_string(crate::testdata::testdata("famsa_mixed.afa")).unwrap();
    let upper = text
        .lines()
        .map(|l| {
            if l.starts_with('>') {
                l.to_string()
            } else {
                l.to_uppercase()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let options = AlignmentOptions {
        format: Some(MsaFormat::A2m),
        ..AlignmentOptions::default()
    };
    let reader = SequenceReader::new("upper.a2m", upper.as_bytes());
    let upper = alignment_from_reader(reader, &options).unwrap();
    assert_eq!(alignment.matrix, upper.matrix);
    assert_eq!(alignment.weights, upper.weights);
    let error = read_file("famsa_mixed.afa", Some(MsaFormat::A2m)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("famsa_mixed.afa:record 's2': 20 aligned columns"),
        "{error}"
    );
}

/// testdata/mafft_lower.afa: MAFFT's lower-case nucleotides; the focus `ref` has residues in
/// 14 of 16 columns, each column at most 1 gap in 4.
#[test]
fn all_lower_case_aligned_fasta_is_read() {
    let alignment = read_file("mafft_lower.afa", None).unwrap();
    assert_eq!(alignment.format, MsaFormat::Afa);
    assert_eq!(alignment.alphabet, Alphabet::Dna);
    assert_eq!(alignment.focus_sequence, b"ATGCGTACGTACGT");
    assert_eq!(alignment.positions, (1..=14).collect::<Vec<_>>());
    let error = read_file("mafft_lower.afa", Some(MsaFormat::A3m)).unwrap_err();
    assert!(error.to_string().contains("--msa-format afa"), "{error}");
}

#[test]
fn a_given_format_that_does_not_fit_is_an_error() {
    let error = read_file("family_rf.sto", Some(MsaFormat::A2m)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("family_rf.sto:line 1: the file is Stockholm"),
        "{error}"
    );
    let error = read_file("family_rf.a2m", Some(MsaFormat::Sto)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("family_rf.a2m:line 1: not a Stockholm file"),
        "{error}"
    );
}

/// Issue 18: a mutation (here one part of a double mutant) on a focus column that the gap
/// filter dropped says so, instead of calling it "not a focus column".
#[test]
fn a_mutation_on_a_dropped_gappy_column_says_it_was_dropped() {
    // Column 12 (V) is a gap in 2 of 3 rows: over the default 0.3 maximum gap fraction.
    let text = ">focus/10-14\nMKVLA\n>s1\nMK-LA\n>s2\nMK-LA\n";
    let alignment = read(text, &AlignmentOptions::default()).unwrap();
    assert_eq!(alignment.positions, [10, 11, 13, 14]);
    let error = alignment
        .parse_mutations("K11R:V12A")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "mutation 'K11R:V12A': position 12 is a focus column the alignment's filters dropped"
        ),
        "{error}"
    );
    let error = alignment.parse_mutations("K15R").unwrap_err().to_string();
    assert!(
        error.contains("position 15 is not a focus column"),
        "{error}"
    );
}
