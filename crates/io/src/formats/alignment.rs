//! Aligned families (aligned FASTA, A2M, A3M) → one-hot matrix on focus columns, with
//! DeepSequence/EVE sequence weights.
//!
//! The recipe follows EVE's `utils/data_utils.py` (`MSA_processing`):
//! - Lower-case letters and `.` are insertions (A2M/A3M) and are removed; what remains
//!   (upper-case letters and `-`) are the aligned columns, which must have the same count
//!   in every record. Plain aligned FASTA in upper case keeps every column.
//! - Focus columns are aligned columns where the first (focus) sequence has a residue.
//!   Positions number the focus sequence's residues from 1, or from `start` when its name
//!   ends in `/start-end` (as EVE does, giving UniProt numbering).
//! - Fragments (sequences with more than `max_sequence_gap_frac` gaps over the focus
//!   columns, EVE default 0.5) are dropped; then focus columns with more than
//!   `max_gap_frac` gaps (default 0.3) among the kept sequences are dropped; then
//!   sequences with an ambiguous residue (`X`, `B`, `Z`, `J`, `U`, `O`; `N` etc. for DNA)
//!   in a kept column are dropped, all counted in [`AlignmentReport`].
//! - Weight of sequence `i` = 1 / #{j : matches(i, j) / residues(i) > 1 − θ}, where
//!   matches count columns holding the same residue (gaps never match) and residues(i)
//!   counts `i`'s non-gap columns — exactly EVE's `np.dot(list_seq, seq) / np.dot(seq, seq)
//!   > 1 - theta` on its gap-free one-hot. A sequence with no residues gets weight 0.
//!
//! The one-hot has `n_states` = 21 (20 amino acids + gap) or 5 (ACGT + gap) columns per
//! focus position, named `position:state` (e.g. `23:A`, `23:-`), stored sparse.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result, Where};
use crate::features::composition::Alphabet;
use crate::features::kmer::{AMINO_ACIDS, DNA_BASES, looks_like_dna};
use crate::formats::fasta::{SequenceReader, SequenceRecord, shown};
use crate::matrix::FeatureMatrix;

/// Code for an ambiguous residue (X, B, N, ...) before filtering.
const AMBIGUOUS: u8 = 0xfe;
/// Code for a byte outside the alphabet.
const INVALID: u8 = 0xff;

/// Options for [`read_alignment`]; check them with [`AlignmentOptions::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct AlignmentOptions {
    /// Drop focus columns with a larger gap fraction (EVE: 0.3).
    pub max_gap_frac: f64,
    /// Drop sequences with a larger gap fraction over the focus columns (EVE: 0.5).
    pub max_sequence_gap_frac: f64,
    /// Identity threshold for weights is `1 − theta` (EVE: 0.2; 0.01 for viruses).
    pub theta: f64,
    /// Alphabet; `None` detects it (≥ 90% ACGTUN letters → DNA).
    pub alphabet: Option<Alphabet>,
}

impl Default for AlignmentOptions {
    fn default() -> Self {
        Self {
            max_gap_frac: 0.3,
            max_sequence_gap_frac: 0.5,
            theta: 0.2,
            alphabet: None,
        }
    }
}

impl AlignmentOptions {
    /// Checks that the fractions lie in [0, 1].
    pub fn validate(&self) -> Result<()> {
        for (option, value) in [
            ("max_gap_frac", self.max_gap_frac),
            ("max_sequence_gap_frac", self.max_sequence_gap_frac),
            ("theta", self.theta),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(Error::option(
                    option,
                    format!("{value} is outside [0, 1]"),
                    "give a fraction between 0 and 1",
                ));
            }
        }
        Ok(())
    }
}

/// What was read and what was dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignmentReport {
    /// Records read.
    pub sequences_read: usize,
    /// Sequences dropped as fragments (too many gaps over the focus columns).
    pub dropped_fragments: usize,
    /// Sequences dropped for an ambiguous residue in a kept focus column.
    pub dropped_ambiguous: usize,
    /// Aligned (match-state) columns.
    pub aligned_columns: usize,
    /// Aligned columns where the focus sequence has a residue.
    pub focus_columns: usize,
    /// Focus columns dropped for their gap fraction (or an ambiguous focus residue).
    pub dropped_columns: usize,
    /// Effective number of sequences, the sum of the weights.
    pub effective_sequences: f64,
}

/// A featurized family.
#[derive(Debug, Clone)]
pub struct Alignment {
    /// One-hot rows (sequences, focus first) × `position:state` columns, sparse.
    pub matrix: FeatureMatrix,
    /// Sequence weight per row.
    pub weights: Vec<f32>,
    /// States per position (21 for protein, 5 for DNA), the last one being the gap.
    pub n_states: usize,
    /// Residue alphabet.
    pub alphabet: Alphabet,
    /// Focus sequence name (first record).
    pub focus_name: String,
    /// Focus residues at the kept columns (upper case).
    pub focus_sequence: Vec<u8>,
    /// Focus numbering of each kept column.
    pub positions: Vec<usize>,
    /// What was read and dropped.
    pub report: AlignmentReport,
    /// Input name, for error messages.
    source: String,
}

/// One substitution in focus numbering, e.g. `A23V`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mutation {
    /// Residue stated as wild type.
    pub wild_type: u8,
    /// Focus position.
    pub position: usize,
    /// Substituted residue.
    pub mutant: u8,
}

/// Reads and featurizes an alignment file (path or `-`, plain or gzip).
pub fn read_alignment(path: impl AsRef<Path>, options: &AlignmentOptions) -> Result<Alignment> {
    options.validate()?;
    alignment_from_reader(SequenceReader::open(path)?, options)
}

/// Featurizes the records of an already-open reader.
pub fn alignment_from_reader<R: BufRead>(
    reader: SequenceReader<R>,
    options: &AlignmentOptions,
) -> Result<Alignment> {
    options.validate()?;
    let source = reader.name().to_string();
    let records: Vec<SequenceRecord> = reader.collect::<Result<_>>()?;
    let Some(focus) = records.first() else {
        return Err(Error::Empty {
            at: Where::file(source),
            what: "aligned sequences".into(),
        });
    };
    let mut seen = HashSet::with_capacity(records.len());
    for record in &records {
        if !seen.insert(record.id.as_str()) {
            return Err(Error::DuplicateName {
                at: Where::record(&source, record.id.clone()),
                kind: "sequence".into(),
                name: record.id.clone(),
            });
        }
    }

    // Aligned columns: upper-case letters and '-' (insertions are lower case or '.').
    let aligned = |record: &SequenceRecord| -> Vec<u8> {
        record
            .sequence
            .iter()
            .copied()
            .filter(|&b| !b.is_ascii_lowercase() && b != b'.')
            .collect()
    };
    let focus_aligned = aligned(focus);
    if focus_aligned.is_empty() {
        return Err(Error::invalid(
            Where::record(&source, focus.id.clone()),
            "the focus sequence has no aligned (upper-case or '-') columns",
            "A2M/A3M mark insertions in lower case; convert an all-lower-case alignment to upper case",
        ));
    }
    // Focus columns and their numbering.
    let start = focus_start(&focus.id);
    let mut focus_columns = Vec::new();
    let mut positions = Vec::new();
    let mut residues_seen = 0;
    let mut column = 0;
    for &byte in &focus.sequence {
        let is_residue = byte.is_ascii_alphabetic();
        let is_aligned = !byte.is_ascii_lowercase() && byte != b'.';
        if is_aligned {
            if is_residue {
                focus_columns.push(column);
                positions.push(start + residues_seen);
            }
            column += 1;
        }
        if is_residue {
            residues_seen += 1;
        }
    }

    let alphabet = options.alphabet.unwrap_or_else(|| {
        let sample: Vec<u8> = records
            .iter()
            .flat_map(|r| r.sequence.iter().copied())
            .take(1 << 20)
            .collect();
        if looks_like_dna(&sample) {
            Alphabet::Dna
        } else {
            Alphabet::Protein
        }
    });
    let table = state_table(alphabet);
    let gap = match alphabet {
        Alphabet::Dna => DNA_BASES.len() as u8,
        Alphabet::Protein => AMINO_ACIDS.len() as u8,
    };
    let n_states = usize::from(gap) + 1;

    // Codes on focus columns, row-major.
    let width = focus_columns.len();
    let mut codes = vec![0u8; records.len() * width];
    for (record, row) in records.iter().zip(codes.chunks_exact_mut(width.max(1))) {
        let columns = aligned(record);
        if columns.len() != focus_aligned.len() {
            return Err(Error::Ragged {
                at: Where::record(&source, record.id.clone()),
                found: columns.len(),
                expected: focus_aligned.len(),
                unit: "aligned columns (upper-case letters and '-')".into(),
            });
        }
        for (slot, &column) in row.iter_mut().zip(&focus_columns) {
            let byte = columns[column];
            let code = table[usize::from(byte)];
            if code == INVALID {
                let expected = match alphabet {
                    Alphabet::Dna => "a nucleotide, IUPAC code or gap",
                    Alphabet::Protein => "an amino acid, X/B/Z/J/U/O or gap",
                };
                return Err(Error::invalid(
                    Where::record(&source, record.id.clone()),
                    format!(
                        "{} in aligned column {} is not {expected}",
                        shown(byte),
                        column + 1
                    ),
                    "fix or remove the sequence, or set the alignment's alphabet",
                ));
            }
            *slot = code;
        }
    }
    let sequences_read = records.len();

    // Fragments: too many gaps over the focus columns (the focus row is always kept).
    let gap_fraction =
        |row: &[u8]| row.iter().filter(|&&c| c == gap).count() as f64 / width.max(1) as f64;
    let mut kept_rows: Vec<usize> = (0..sequences_read)
        .filter(|&r| {
            r == 0
                || gap_fraction(&codes[r * width..(r + 1) * width]) <= options.max_sequence_gap_frac
        })
        .collect();
    let dropped_fragments = sequences_read - kept_rows.len();

    // Columns: gap fraction among kept sequences, and no ambiguous focus residue.
    let kept_columns: Vec<usize> = (0..width)
        .filter(|&c| {
            let gaps = kept_rows
                .iter()
                .filter(|&&r| codes[r * width + c] == gap)
                .count();
            codes[c] != AMBIGUOUS && gaps as f64 / kept_rows.len() as f64 <= options.max_gap_frac
        })
        .collect();
    if kept_columns.is_empty() {
        return Err(Error::invalid(
            Where::file(&source),
            format!(
                "no focus column has at most {} gaps ({} focus columns)",
                options.max_gap_frac, width
            ),
            "raise the maximum gap fraction, or check that the first sequence is the focus",
        ));
    }
    let before = kept_rows.len();
    kept_rows.retain(|&r| {
        kept_columns
            .iter()
            .all(|&c| codes[r * width + c] != AMBIGUOUS)
    });
    let dropped_ambiguous = before - kept_rows.len();

    let length = kept_columns.len();
    let codes = &codes;
    let states: Vec<u8> = kept_rows
        .iter()
        .flat_map(|&r| kept_columns.iter().map(move |&c| codes[r * width + c]))
        .collect();
    let weights = sequence_weights(&states, length, gap, options.theta);

    let letters: &[u8] = match alphabet {
        Alphabet::Dna => DNA_BASES,
        Alphabet::Protein => AMINO_ACIDS,
    };
    let positions: Vec<usize> = kept_columns.iter().map(|&c| positions[c]).collect();
    let focus_sequence: Vec<u8> = states[..length]
        .iter()
        .map(|&s| letters[usize::from(s)])
        .collect();
    let col_names: Vec<String> = positions
        .iter()
        .flat_map(|&p| {
            letters
                .iter()
                .chain(b"-")
                .map(move |&l| format!("{p}:{}", l as char))
        })
        .collect();
    let row_names: Vec<String> = kept_rows.iter().map(|&r| records[r].id.clone()).collect();
    let indptr: Vec<usize> = (0..=kept_rows.len()).map(|r| r * length).collect();
    let indices: Vec<u32> = states
        .chunks_exact(length)
        .flat_map(|row| {
            row.iter()
                .enumerate()
                .map(|(c, &s)| (c * n_states + usize::from(s)) as u32)
        })
        .collect();
    let values = vec![1.0; indices.len()];
    let matrix = FeatureMatrix::from_csr(row_names, col_names, indptr, indices, values)?;
    let report = AlignmentReport {
        sequences_read,
        dropped_fragments,
        dropped_ambiguous,
        aligned_columns: focus_aligned.len(),
        focus_columns: width,
        dropped_columns: width - length,
        effective_sequences: weights.iter().map(|&w| f64::from(w)).sum(),
    };
    Ok(Alignment {
        matrix,
        weights,
        n_states,
        alphabet,
        focus_name: focus.id.clone(),
        focus_sequence,
        positions,
        report,
        source,
    })
}

/// `start` from a focus name `NAME/start-end`, else 1.
fn focus_start(name: &str) -> usize {
    name.rsplit_once('/')
        .and_then(|(_, range)| range.split_once('-'))
        .and_then(|(start, end)| Some((start.parse().ok()?, end.parse::<usize>().ok()?)))
        .map_or(1, |(start, _)| start)
}

/// Byte → state code (letters 0.., gap = number of letters), [`AMBIGUOUS`] or [`INVALID`].
fn state_table(alphabet: Alphabet) -> [u8; 256] {
    let mut table = [INVALID; 256];
    let (letters, ambiguous): (&[u8], &[u8]) = match alphabet {
        Alphabet::Dna => (DNA_BASES, b"NRYSWKMBDHV"),
        Alphabet::Protein => (AMINO_ACIDS, b"XBZJUO"),
    };
    for &byte in ambiguous {
        table[usize::from(byte)] = AMBIGUOUS;
    }
    for (code, &byte) in letters.iter().enumerate() {
        table[usize::from(byte)] = code as u8;
    }
    if alphabet == Alphabet::Dna {
        table[usize::from(b'U')] = 3;
    }
    table[usize::from(b'-')] = letters.len() as u8;
    table
}

/// DeepSequence/EVE weights for `states` (row-major, `length` columns, `gap` = gap code):
/// weight(i) = 1 / #{j : matches(i, j) / residues(i) > 1 − theta}, gaps never matching,
/// 0 for a sequence without residues. Pairs are compared once, in parallel.
pub fn sequence_weights(states: &[u8], length: usize, gap: u8, theta: f64) -> Vec<f32> {
    let n = states.len().checked_div(length).unwrap_or(0);
    // A second copy with gaps recoded so that comparing the copies never matches gaps.
    let other_gap = gap.wrapping_add(1);
    let recoded: Vec<u8> = states
        .iter()
        .map(|&s| if s == gap { other_gap } else { s })
        .collect();
    let residues: Vec<u32> = states
        .chunks_exact(length.max(1))
        .map(|row| row.iter().filter(|&&s| s != gap).count() as u32)
        .collect();
    let threshold = 1.0 - theta;
    let similar =
        |m: u32, i: usize| residues[i] > 0 && f64::from(m) / f64::from(residues[i]) > threshold;
    let neighbours = (0..n)
        .into_par_iter()
        .with_min_len(8)
        .fold(
            || vec![0u32; n],
            |mut counts, i| {
                let row = &states[i * length..(i + 1) * length];
                counts[i] += u32::from(residues[i] > 0);
                for j in i + 1..n {
                    let m = matches(row, &recoded[j * length..(j + 1) * length]);
                    counts[i] += u32::from(similar(m, i));
                    counts[j] += u32::from(similar(m, j));
                }
                counts
            },
        )
        .reduce(
            || vec![0u32; n],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    neighbours
        .iter()
        .map(|&count| if count == 0 { 0.0 } else { 1.0 / count as f32 })
        .collect()
}

/// Positions where `a` and `b` hold the same byte, in blocks the compiler vectorizes.
fn matches(a: &[u8], b: &[u8]) -> u32 {
    let mut total = 0u32;
    for (block_a, block_b) in a.chunks(255).zip(b.chunks(255)) {
        let block: u8 = block_a
            .iter()
            .zip(block_b)
            .fold(0u8, |sum, (x, y)| sum + u8::from(x == y));
        total += u32::from(block);
    }
    total
}

impl Alignment {
    /// Parses `A23V` or `A23V:G45D` in focus numbering, checking that each position is a
    /// kept focus column and that the stated wild type matches the focus sequence.
    pub fn parse_mutations(&self, text: &str) -> Result<Vec<Mutation>> {
        let letters: &[u8] = match self.alphabet {
            Alphabet::Dna => DNA_BASES,
            Alphabet::Protein => AMINO_ACIDS,
        };
        let at = || Where::other(&self.source, format!("mutation '{text}'"));
        let mut mutations = Vec::new();
        for part in text.split(':').map(str::trim) {
            let bytes = part.as_bytes();
            let parsed = (bytes.len() >= 3)
                .then(|| {
                    // `get` refuses a multi-byte first or last character instead of panicking.
                    let position = part.get(1..part.len() - 1)?.parse::<usize>().ok()?;
                    Some(Mutation {
                        wild_type: bytes[0].to_ascii_uppercase(),
                        position,
                        mutant: bytes[bytes.len() - 1].to_ascii_uppercase(),
                    })
                })
                .flatten();
            let Some(mutation) = parsed else {
                return Err(Error::invalid(
                    at(),
                    format!("'{part}' is not a substitution"),
                    "write substitutions as A23V, several joined by ':' (A23V:G45D)",
                ));
            };
            let Some(column) = self.positions.iter().position(|&p| p == mutation.position) else {
                let (first, last) = (self.positions[0], self.positions[self.positions.len() - 1]);
                return Err(Error::invalid(
                    at(),
                    format!("position {} is not a focus column", mutation.position),
                    format!(
                        "use a position of the focus sequence kept in the alignment ({} columns between {first} and {last})",
                        self.positions.len()
                    ),
                ));
            };
            let wild_type = self.focus_sequence[column];
            if wild_type != mutation.wild_type {
                return Err(Error::invalid(
                    at(),
                    format!(
                        "wild type at {} is {}, not {}",
                        mutation.position, wild_type as char, mutation.wild_type as char
                    ),
                    "check the numbering (the focus name's /start-end sets the first position)",
                ));
            }
            if !letters.contains(&mutation.mutant) {
                return Err(Error::invalid(
                    at(),
                    format!(
                        "{} is not a residue of the alphabet",
                        shown(mutation.mutant)
                    ),
                    "substitute a standard residue",
                ));
            }
            mutations.push(mutation);
        }
        Ok(mutations)
    }

    /// One-hot row (length `matrix.n_cols()`) of the focus sequence carrying `mutations`
    /// (e.g. `A23V:G45D`), ready to score against the wild type.
    pub fn encode_mutant(&self, mutations: &str) -> Result<Vec<f32>> {
        let letters: &[u8] = match self.alphabet {
            Alphabet::Dna => DNA_BASES,
            Alphabet::Protein => AMINO_ACIDS,
        };
        let mut sequence = self.focus_sequence.clone();
        for mutation in self.parse_mutations(mutations)? {
            if let Some(column) = self.positions.iter().position(|&p| p == mutation.position) {
                sequence[column] = mutation.mutant;
            }
        }
        let mut row = vec![0.0; self.positions.len() * self.n_states];
        for (column, residue) in sequence.iter().enumerate() {
            if let Some(state) = letters.iter().position(|l| l == residue) {
                row[column * self.n_states + state] = 1.0;
            }
        }
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
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
}
