//! Aligned families (aligned FASTA, A2M, A3M, Stockholm) → one-hot matrix on focus
//! columns, with DeepSequence/EVE sequence weights.
//!
//! The format comes from the content unless [`AlignmentOptions::format`] gives it
//! ([`MsaFormat`]): a file starting `# STOCKHOLM` is Stockholm (`#=GC RF` marks the aligned
//! columns, [`crate::formats::stockholm`]); FASTA rows of equal length without `.` are
//! aligned FASTA, where every column is aligned whatever the letter case (FAMSA writes
//! lower case inside aligned columns, MAFFT writes nucleotides in lower case); anything
//! else is A2M/A3M. Every format is first brought to A2M's convention, then:
//!
//! The recipe follows EVE's `utils/data_utils.py` (`MSA_processing`):
//! - Lower-case letters and `.` are insertions (A2M/A3M) and are removed; what remains
//!   (upper-case letters and `-`) are the aligned columns, which must have the same count
//!   in every record.
//! - Focus columns are aligned columns where the first (focus) sequence has a residue.
//!   Positions number the focus sequence's residues from 1, or from `start` when its name
//!   ends in `/start-end` (as EVE does, giving UniProt numbering).
//! - Fragments (sequences with more than `max_sequence_gap_frac` gaps over the focus
//!   columns, EVE default 0.5) are dropped; then focus columns with more than
//!   `max_gap_frac` gaps (default 0.3) among the kept sequences are dropped; then
//!   sequences with an ambiguous residue (`X`, `B`, `Z`, `J`, `U`, `O`; `N` etc. for DNA)
//!   in a kept column are dropped, all counted in [`AlignmentReport`].
//! - The kept sequences are weighted as DeepSequence/EVE do
//!   ([`crate::features::sequence_weights`]) and one-hot encoded on the kept columns
//!   ([`crate::features::one_hot`]: 21 states per position for protein, 5 for DNA, the
//!   last one the gap).

use std::collections::HashSet;
use std::io::{BufRead, Cursor, Read};
use std::path::Path;

use crate::error::{Error, Result, Where};
use crate::features::composition::Alphabet;
use crate::features::kmer::looks_like_dna;
use crate::features::one_hot::{self, encode_residues, gap_state, letters, one_hot_matrix};
use crate::features::sequence_weights::sequence_weights;
use crate::formats::fasta::{SequenceReader, SequenceRecord, shown};
use crate::formats::stockholm::{looks_like_stockholm, read_stockholm};
use crate::matrix::FeatureMatrix;

pub mod msa_format;

pub use msa_format::MsaFormat;

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
    /// File format; `None` decides it from the content.
    pub format: Option<MsaFormat>,
}

impl Default for AlignmentOptions {
    fn default() -> Self {
        Self {
            max_gap_frac: 0.3,
            max_sequence_gap_frac: 0.5,
            theta: 0.2,
            alphabet: None,
            format: None,
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
    /// The format the file was read as (given, or decided from the content).
    pub format: MsaFormat,
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
    /// Focus numbering of the focus columns the filters dropped, for error messages.
    dropped_positions: Vec<usize>,
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

/// Reads and featurizes an alignment file in any format (path or `-`, plain or gzip).
pub fn read_alignment(path: impl AsRef<Path>, options: &AlignmentOptions) -> Result<Alignment> {
    options.validate()?;
    let input = crate::input::open(path)?;
    alignment_from_input(input.name().to_string(), input, options)
}

/// Featurizes an already-open alignment in any format: Stockholm when the options say so
/// or the input starts with `# STOCKHOLM`, else FASTA-style ([`alignment_from_reader`]).
pub fn alignment_from_input<R: BufRead>(
    name: String,
    reader: R,
    options: &AlignmentOptions,
) -> Result<Alignment> {
    options.validate()?;
    let (head, reader) = first_line(reader, &name)?;
    let stockholm = looks_like_stockholm(head.get_ref());
    let reader = head.chain(reader);
    match options.format {
        Some(MsaFormat::Sto) => {}
        None if stockholm => {}
        Some(format) if stockholm => {
            return Err(Error::invalid(
                Where::line(name, 1),
                format!("the file is Stockholm ('# STOCKHOLM'), not {format}"),
                "read it as Stockholm (--msa-format sto, or leave the format out)",
            ));
        }
        _ => return alignment_from_reader(SequenceReader::new(name, reader), options),
    }
    let records = read_stockholm(reader, &name)?.into_a2m();
    check_names(&records, &name)?;
    featurize(records, MsaFormat::Sto, name, options)
}

/// The input up to its first non-blank line, to be read again before the rest.
fn first_line<R: BufRead>(mut reader: R, name: &str) -> Result<(Cursor<Vec<u8>>, R)> {
    let mut head = Vec::new();
    loop {
        let start = head.len();
        let read = reader
            .read_until(b'\n', &mut head)
            .map_err(|e| Error::from_read(Where::file(name), e))?;
        if read == 0 || !head[start..].iter().all(u8::is_ascii_whitespace) {
            return Ok((Cursor::new(head), reader));
        }
    }
}

/// Featurizes FASTA-style records (aligned FASTA, A2M, A3M) of an already-open reader: finds
/// the focus columns, codes every record on them, drops fragments, gappy columns and
/// ambiguous sequences, then weighs and one-hot encodes what is kept.
pub fn alignment_from_reader<R: BufRead>(
    reader: SequenceReader<R>,
    options: &AlignmentOptions,
) -> Result<Alignment> {
    options.validate()?;
    let source = reader.name().to_string();
    let mut records = read_records(reader, &source)?;
    let format = match options.format {
        Some(MsaFormat::Sto) => {
            return Err(Error::invalid(
                Where::line(source, 1),
                "Stockholm was asked for, but this is FASTA-style input",
                "read Stockholm with alignment_from_input, or give afa, a2m or a3m",
            ));
        }
        Some(format) => format,
        None => msa_format::detect(&records),
    };
    msa_format::to_a2m(&mut records, format, &source)?;
    featurize(records, format, source, options)
}

/// Featurizes records in A2M's convention (upper case and '-' aligned, lower case and '.'
/// insertions), at least one, uniquely named.
fn featurize(
    records: Vec<SequenceRecord>,
    format: MsaFormat,
    source: String,
    options: &AlignmentOptions,
) -> Result<Alignment> {
    let focus = Focus::of(&records[0], &source)?;
    let alphabet = options
        .alphabet
        .unwrap_or_else(|| detect_alphabet(&records));
    let codes = FocusCodes::of(&records, &focus, alphabet, &source)?;
    let kept = Kept::filter(&codes, options, &source)?;
    let states = kept.states(&codes);
    let length = kept.columns.len();
    let weights = sequence_weights(&states, length, codes.gap, options.theta);
    let positions: Vec<usize> = kept.columns.iter().map(|&c| focus.positions[c]).collect();
    let dropped_positions: Vec<usize> = (0..codes.width)
        .filter(|c| !kept.columns.contains(c))
        .map(|c| focus.positions[c])
        .collect();
    let focus_sequence: Vec<u8> = states[..length]
        .iter()
        .map(|&s| letters(alphabet)[usize::from(s)])
        .collect();
    let row_names: Vec<String> = kept.rows.iter().map(|&r| records[r].id.clone()).collect();
    let matrix = one_hot_matrix(row_names, &states, &positions, alphabet)?;
    let report = AlignmentReport {
        sequences_read: records.len(),
        dropped_fragments: kept.dropped_fragments,
        dropped_ambiguous: kept.dropped_ambiguous,
        aligned_columns: focus.aligned_columns,
        focus_columns: codes.width,
        dropped_columns: codes.width - length,
        effective_sequences: weights.iter().map(|&w| f64::from(w)).sum(),
    };
    Ok(Alignment {
        matrix,
        weights,
        n_states: one_hot::n_states(alphabet),
        alphabet,
        format,
        focus_name: records[0].id.clone(),
        focus_sequence,
        positions,
        report,
        source,
        dropped_positions,
    })
}

/// Every record, checked to be at least one and uniquely named.
fn read_records<R: BufRead>(
    reader: SequenceReader<R>,
    source: &str,
) -> Result<Vec<SequenceRecord>> {
    let records: Vec<SequenceRecord> = reader.collect::<Result<_>>()?;
    if records.is_empty() {
        return Err(Error::Empty {
            at: Where::file(source),
            what: "aligned sequences".into(),
        });
    }
    check_names(&records, source)?;
    Ok(records)
}

/// Sequence names must be unique: they name the rows.
fn check_names(records: &[SequenceRecord], source: &str) -> Result<()> {
    let mut seen = HashSet::with_capacity(records.len());
    for record in records {
        if !seen.insert(record.id.as_str()) {
            return Err(Error::DuplicateName {
                at: Where::record(source, record.id.clone()),
                kind: "sequence".into(),
                name: record.id.clone(),
            });
        }
    }
    Ok(())
}

/// Whether `byte` is an aligned column: upper-case letters and '-' (insertions are lower
/// case or '.').
fn is_aligned(byte: u8) -> bool {
    !byte.is_ascii_lowercase() && byte != b'.'
}

/// The aligned columns of a record.
fn aligned(record: &SequenceRecord) -> Vec<u8> {
    record
        .sequence
        .iter()
        .copied()
        .filter(|&b| is_aligned(b))
        .collect()
}

/// The focus (first) sequence's view of the alignment.
struct Focus {
    /// Aligned columns, the same count in every record.
    aligned_columns: usize,
    /// Aligned columns where the focus has a residue.
    columns: Vec<usize>,
    /// Focus numbering of each of those columns.
    positions: Vec<usize>,
}

impl Focus {
    fn of(focus: &SequenceRecord, source: &str) -> Result<Self> {
        let aligned_columns = aligned(focus).len();
        let start = focus_start(&focus.id);
        let mut columns = Vec::new();
        let mut positions = Vec::new();
        let mut residues_seen = 0;
        let mut column = 0;
        for &byte in &focus.sequence {
            let is_residue = byte.is_ascii_alphabetic();
            if is_aligned(byte) {
                if is_residue {
                    columns.push(column);
                    positions.push(start + residues_seen);
                }
                column += 1;
            }
            if is_residue {
                residues_seen += 1;
            }
        }
        if columns.is_empty() {
            return Err(Error::invalid(
                Where::record(source, focus.id.clone()),
                "the focus sequence has no residue in an aligned (upper-case) column",
                "A2M/A3M mark insertions in lower case; read an alignment whose letter case means nothing as aligned FASTA (--msa-format afa)",
            ));
        }
        Ok(Self {
            aligned_columns,
            columns,
            positions,
        })
    }
}

/// `start` from a focus name `NAME/start-end`, else 1.
fn focus_start(name: &str) -> usize {
    name.rsplit_once('/')
        .and_then(|(_, range)| range.split_once('-'))
        .and_then(|(start, end)| Some((start.parse().ok()?, end.parse::<usize>().ok()?)))
        .map_or(1, |(start, _)| start)
}

/// DNA when the first MiB of residues looks like nucleotides, else protein.
fn detect_alphabet(records: &[SequenceRecord]) -> Alphabet {
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
}

/// Byte → state code (letters 0.., gap = number of letters), [`AMBIGUOUS`] or [`INVALID`].
fn state_table(alphabet: Alphabet) -> [u8; 256] {
    let mut table = [INVALID; 256];
    let ambiguous: &[u8] = match alphabet {
        Alphabet::Dna => b"NRYSWKMBDHV",
        Alphabet::Protein => b"XBZJUO",
    };
    for &byte in ambiguous {
        table[usize::from(byte)] = AMBIGUOUS;
    }
    for (code, &byte) in letters(alphabet).iter().enumerate() {
        table[usize::from(byte)] = code as u8;
    }
    if alphabet == Alphabet::Dna {
        table[usize::from(b'U')] = 3;
    }
    table[usize::from(b'-')] = gap_state(alphabet);
    table
}

/// State codes of every record on the focus columns, row-major.
struct FocusCodes {
    codes: Vec<u8>,
    /// Rows, one per record.
    n_rows: usize,
    /// Focus columns per row.
    width: usize,
    /// The gap's code.
    gap: u8,
}

impl FocusCodes {
    /// Codes every record, checking its aligned length and characters.
    fn of(
        records: &[SequenceRecord],
        focus: &Focus,
        alphabet: Alphabet,
        source: &str,
    ) -> Result<Self> {
        let table = state_table(alphabet);
        let width = focus.columns.len();
        let mut codes = vec![0u8; records.len() * width];
        for (record, row) in records.iter().zip(codes.chunks_exact_mut(width.max(1))) {
            let columns = aligned(record);
            if columns.len() != focus.aligned_columns {
                return Err(Error::Ragged {
                    at: Where::record(source, record.id.clone()),
                    found: columns.len(),
                    expected: focus.aligned_columns,
                    unit: "aligned columns (upper-case letters and '-')".into(),
                });
            }
            for (slot, &column) in row.iter_mut().zip(&focus.columns) {
                *slot = code_of(&table, columns[column], column, alphabet)
                    .map_err(|what| invalid_residue(source, record, what))?;
            }
        }
        Ok(Self {
            codes,
            n_rows: records.len(),
            width,
            gap: gap_state(alphabet),
        })
    }

    fn row(&self, row: usize) -> &[u8] {
        &self.codes[row * self.width..(row + 1) * self.width]
    }

    fn code(&self, row: usize, column: usize) -> u8 {
        self.codes[row * self.width + column]
    }
}

/// The state code of `byte` in aligned `column`, or what is wrong with it.
fn code_of(
    table: &[u8; 256],
    byte: u8,
    column: usize,
    alphabet: Alphabet,
) -> std::result::Result<u8, String> {
    let code = table[usize::from(byte)];
    if code != INVALID {
        return Ok(code);
    }
    let expected = match alphabet {
        Alphabet::Dna => "a nucleotide, IUPAC code or gap",
        Alphabet::Protein => "an amino acid, X/B/Z/J/U/O or gap",
    };
    Err(format!(
        "{} in aligned column {} is not {expected}",
        shown(byte),
        column + 1
    ))
}

fn invalid_residue(source: &str, record: &SequenceRecord, what: String) -> Error {
    Error::invalid(
        Where::record(source, record.id.clone()),
        what,
        "fix or remove the sequence, or set the alignment's alphabet",
    )
}

/// The rows and focus columns that pass EVE's filters, in order.
struct Kept {
    rows: Vec<usize>,
    columns: Vec<usize>,
    dropped_fragments: usize,
    dropped_ambiguous: usize,
}

impl Kept {
    /// Drops fragments, then gappy columns, then sequences ambiguous in a kept column.
    fn filter(codes: &FocusCodes, options: &AlignmentOptions, source: &str) -> Result<Self> {
        let mut rows = drop_fragments(codes, options.max_sequence_gap_frac);
        let dropped_fragments = codes.n_rows - rows.len();
        let columns = keep_columns(codes, &rows, options.max_gap_frac, source)?;
        let before = rows.len();
        rows.retain(|&r| columns.iter().all(|&c| codes.code(r, c) != AMBIGUOUS));
        Ok(Self {
            dropped_ambiguous: before - rows.len(),
            rows,
            columns,
            dropped_fragments,
        })
    }

    /// State codes of the kept rows on the kept columns, row-major.
    fn states(&self, codes: &FocusCodes) -> Vec<u8> {
        self.rows
            .iter()
            .flat_map(|&r| self.columns.iter().map(move |&c| codes.code(r, c)))
            .collect()
    }
}

/// Rows with at most `max_gap_frac` gaps over the focus columns (the focus row is always
/// kept).
fn drop_fragments(codes: &FocusCodes, max_gap_frac: f64) -> Vec<usize> {
    let gap_fraction = |row: &[u8]| {
        row.iter().filter(|&&c| c == codes.gap).count() as f64 / codes.width.max(1) as f64
    };
    (0..codes.n_rows)
        .filter(|&r| r == 0 || gap_fraction(codes.row(r)) <= max_gap_frac)
        .collect()
}

/// Focus columns with at most `max_gap_frac` gaps among `rows` and an unambiguous focus
/// residue; an error when none is left.
fn keep_columns(
    codes: &FocusCodes,
    rows: &[usize],
    max_gap_frac: f64,
    source: &str,
) -> Result<Vec<usize>> {
    let columns: Vec<usize> = (0..codes.width)
        .filter(|&c| {
            let gaps = rows
                .iter()
                .filter(|&&r| codes.code(r, c) == codes.gap)
                .count();
            codes.code(0, c) != AMBIGUOUS && gaps as f64 / rows.len() as f64 <= max_gap_frac
        })
        .collect();
    if columns.is_empty() {
        return Err(Error::invalid(
            Where::file(source),
            format!(
                "no focus column has at most {max_gap_frac} gaps ({} focus columns)",
                codes.width
            ),
            "raise the maximum gap fraction, or check that the first sequence is the focus",
        ));
    }
    Ok(columns)
}

impl Alignment {
    /// Parses `A23V` or `A23V:G45D` in focus numbering, checking that each position is a
    /// kept focus column and that the stated wild type matches the focus sequence.
    pub fn parse_mutations(&self, text: &str) -> Result<Vec<Mutation>> {
        let letters = letters(self.alphabet);
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
                if self.dropped_positions.contains(&mutation.position) {
                    return Err(Error::invalid(
                        at(),
                        format!(
                            "position {} is a focus column the alignment's filters dropped (too many gaps, or an ambiguous focus residue), so it is not modelled",
                            mutation.position
                        ),
                        "leave it out, or train and score with a higher --max-gap-frac",
                    ));
                }
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

    /// Every single substitution of the focus sequence at the kept columns, in focus
    /// numbering (`A23C`, `A23D`, …): each column's wild type to each other residue of the
    /// alphabet, column by column. EVE fits its mixture on these.
    pub fn single_mutants(&self) -> Vec<String> {
        let letters = letters(self.alphabet);
        let mut out = Vec::with_capacity(self.positions.len() * letters.len().saturating_sub(1));
        for (&position, &wild_type) in self.positions.iter().zip(&self.focus_sequence) {
            for &mutant in letters.iter().filter(|&&m| m != wild_type) {
                out.push(format!("{}{position}{}", wild_type as char, mutant as char));
            }
        }
        out
    }

    /// One-hot row (length `matrix.n_cols()`) of the focus sequence carrying `mutations`
    /// (e.g. `A23V:G45D`), ready to score against the wild type.
    pub fn encode_mutant(&self, mutations: &str) -> Result<Vec<f32>> {
        let mut sequence = self.focus_sequence.clone();
        for mutation in self.parse_mutations(mutations)? {
            if let Some(column) = self.positions.iter().position(|&p| p == mutation.position) {
                sequence[column] = mutation.mutant;
            }
        }
        Ok(encode_residues(&sequence, self.alphabet))
    }
}

#[cfg(test)]
mod tests;
