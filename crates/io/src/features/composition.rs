//! Sequence composition features: FASTA/FASTQ records → TNF, k-mer or amino-acid k-mer
//! frequency matrix, streamed in chunks and featurized in parallel.
//!
//! Memory is bounded by the output matrix plus two chunks of records (the one being
//! featurized and the one being read meanwhile), not by the input size; a single record
//! is held whole, so the longest record also counts.
//!
//! ```
//! use vaebio_io::features::composition::{featurize_sequences, SequenceFeatures, SequenceOptions};
//! use vaebio_io::formats::fasta::SequenceReader;
//!
//! let text = b">c1\nACGTACGTAA\n>c2\nNNNN\n>c3\nAC\n";
//! let options = SequenceOptions {
//!     features: SequenceFeatures::Kmer { k: 2, canonical: false },
//!     min_length: Some(3),
//!     ..SequenceOptions::default()
//! };
//! let (matrix, report) = featurize_sequences(SequenceReader::new("x.fa", &text[..]), &options)?;
//! assert_eq!(matrix.row_names(), ["c1"]);
//! assert_eq!((report.skipped_short, report.skipped_no_kmers), (1, 1));
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::collections::HashSet;
use std::fmt;
use std::io::BufRead;
use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result, Where};
use crate::features::kmer::{self, InvalidResidue};
use crate::features::tnf::{self, TETRAMERS, TNF_DIM};
use crate::formats::fasta::{SequenceReader, SequenceRecord, shown};
use crate::matrix::FeatureMatrix;

/// Sequence bytes per chunk handed to the thread pool; 4 MiB halves page faults against
/// 16 MiB with no loss of parallelism on contigs.
const CHUNK_BYTES: usize = 4 << 20;
/// Records per chunk at most (bounds per-chunk overhead for short reads).
const CHUNK_RECORDS: usize = 16_384;
/// Residues inspected to detect the alphabet.
const DETECT_RESIDUES: usize = 1 << 20;

/// The residue alphabet of the sequences (`dna` or `protein` in a saved featurization).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Alphabet {
    /// Nucleotides (ACGT/U, IUPAC codes skipped).
    Dna,
    /// Amino acids (20 standard; X, B, Z, J, U, O, `*` skipped).
    Protein,
}

/// Which features to compute per record.
///
/// Written and read as text (`auto`, `tnf`, `kmer:K`, `kmer:K:canonical`, `aa:K`), the
/// spelling of the cli's `--features` and of a saved featurization:
///
/// ```
/// use vaebio_io::SequenceFeatures;
///
/// let features: SequenceFeatures = "kmer:4:canonical".parse()?;
/// assert_eq!(features, SequenceFeatures::Kmer { k: 4, canonical: true });
/// assert_eq!(features.to_string(), "kmer:4:canonical");
/// # Ok::<(), vaebio_io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceFeatures {
    /// TNF for DNA, dipeptide (k = 2) composition for protein.
    Auto,
    /// VAMB's 103-dimensional projected tetranucleotide frequencies.
    Tnf,
    /// DNA k-mer frequencies, k = 1..8; `canonical` merges each k-mer with its reverse complement.
    Kmer {
        /// k-mer length.
        k: usize,
        /// Share one column between a k-mer and its reverse complement.
        canonical: bool,
    },
    /// Amino-acid k-mer frequencies, k = 1..3.
    AminoAcid {
        /// k-mer length.
        k: usize,
    },
}

impl fmt::Display for SequenceFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SequenceFeatures::Auto => f.write_str("auto"),
            SequenceFeatures::Tnf => f.write_str("tnf"),
            SequenceFeatures::Kmer { k, canonical } => {
                write!(f, "kmer:{k}{}", if *canonical { ":canonical" } else { "" })
            }
            SequenceFeatures::AminoAcid { k } => write!(f, "aa:{k}"),
        }
    }
}

impl FromStr for SequenceFeatures {
    type Err = Error;

    /// Parses `auto`, `tnf`, `kmer:K`, `kmer:K:canonical` or `aa:K`; the error is an
    /// [`Error::InvalidOption`] for `features`. k is range-checked by
    /// [`SequenceOptions::validate`], not here.
    fn from_str(text: &str) -> Result<Self> {
        let parts: Vec<&str> = text.split(':').collect();
        let k = |s: &str| {
            s.parse::<usize>().map_err(|_| {
                Error::option(
                    "features",
                    format!("'{s}' is not a k-mer length"),
                    "use e.g. kmer:4 or aa:2",
                )
            })
        };
        Ok(match parts.as_slice() {
            ["auto"] => SequenceFeatures::Auto,
            ["tnf"] => SequenceFeatures::Tnf,
            ["kmer", n] => SequenceFeatures::Kmer {
                k: k(n)?,
                canonical: false,
            },
            ["kmer", n, "canonical"] => SequenceFeatures::Kmer {
                k: k(n)?,
                canonical: true,
            },
            ["aa", n] => SequenceFeatures::AminoAcid { k: k(n)? },
            _ => {
                return Err(Error::option(
                    "features",
                    "unknown kind",
                    "use auto, tnf, kmer:K, kmer:K:canonical or aa:K",
                ));
            }
        })
    }
}

impl Serialize for SequenceFeatures {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SequenceFeatures {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Options for [`featurize_sequences`]; check them with [`SequenceOptions::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceOptions {
    /// Features to compute.
    pub features: SequenceFeatures,
    /// Alphabet; `None` detects it from the first records (≥ 90% ACGTUN letters → DNA).
    pub alphabet: Option<Alphabet>,
    /// Records shorter than this many residues are skipped and counted. `None` uses
    /// [`TNF_MIN_LENGTH`] for TNF (VAMB's `-m` default) and 0 for other features.
    pub min_length: Option<usize>,
}

/// The minimum contig length VAMB applies before computing TNF (its `-m` default).
pub const TNF_MIN_LENGTH: usize = 2000;

impl Default for SequenceOptions {
    fn default() -> Self {
        Self {
            features: SequenceFeatures::Auto,
            alphabet: None,
            min_length: None,
        }
    }
}

impl SequenceOptions {
    /// Checks k ranges and that features and alphabet agree.
    pub fn validate(&self) -> Result<()> {
        match (self.features, self.alphabet) {
            (SequenceFeatures::Kmer { k, .. }, _) if !(1..=kmer::MAX_DNA_K).contains(&k) => {
                Err(Error::option(
                    "k",
                    format!("{k} is out of range"),
                    "use a DNA k-mer length from 1 to 8",
                ))
            }
            (SequenceFeatures::AminoAcid { k }, _) if !(1..=kmer::MAX_PROTEIN_K).contains(&k) => {
                Err(Error::option(
                    "k",
                    format!("{k} is out of range"),
                    "use an amino-acid k-mer length from 1 to 3",
                ))
            }
            (SequenceFeatures::Tnf | SequenceFeatures::Kmer { .. }, Some(Alphabet::Protein)) => {
                Err(Error::option(
                    "alphabet",
                    "protein sequences have no nucleotide k-mers",
                    "use amino-acid k-mers for proteins, or the DNA alphabet",
                ))
            }
            (SequenceFeatures::AminoAcid { .. }, Some(Alphabet::Dna)) => Err(Error::option(
                "alphabet",
                "DNA sequences have no amino-acid k-mers",
                "use TNF or k-mers for DNA, or the protein alphabet",
            )),
            _ => Ok(()),
        }
    }
}

/// What happened to the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceReport {
    /// Records read.
    pub records: usize,
    /// Records featurized (matrix rows).
    pub kept: usize,
    /// Length of each featurized record, in row order (to check contigs against a BAM header).
    pub kept_lengths: Vec<u64>,
    /// Records shorter than `min_length`.
    pub skipped_short: usize,
    /// The minimum length applied (given, or the default for the features).
    pub min_length: usize,
    /// Records long enough but without a single countable k-mer (all `N`, say).
    pub skipped_no_kmers: usize,
    /// Residues read in all records.
    pub residues: u64,
    /// The alphabet used (detected or given).
    pub alphabet: Alphabet,
    /// The features computed (`Auto` resolved).
    pub features: SequenceFeatures,
}

/// Reads every record and returns one row of features per kept record (row names are
/// record ids, which must be unique) with a report of what was skipped.
pub fn featurize_sequences<R: BufRead + Send>(
    mut reader: SequenceReader<R>,
    options: &SequenceOptions,
) -> Result<(FeatureMatrix, SequenceReport)> {
    options.validate()?;
    let name = reader.name().to_string();
    // Build the TNF kernel (a few ms, once per process) while the first chunk is read.
    let (chunk, _) = rayon::join(
        || read_chunk(&mut reader, Vec::new()),
        || {
            matches!(
                options.features,
                SequenceFeatures::Tnf | SequenceFeatures::Auto
            )
            .then(tnf::kernel)
        },
    );
    let mut chunk = chunk?;
    let mut spare = Vec::new();
    if chunk.is_empty() {
        return Err(Error::Empty {
            at: Where::file(name),
            what: "FASTA/FASTQ records".into(),
        });
    }
    let alphabet = options.alphabet.unwrap_or_else(|| match options.features {
        SequenceFeatures::Tnf | SequenceFeatures::Kmer { .. } => Alphabet::Dna,
        SequenceFeatures::AminoAcid { .. } => Alphabet::Protein,
        SequenceFeatures::Auto => detect_alphabet(&chunk),
    });
    let featurizer = Featurizer::new(options.features, alphabet);
    let features = featurizer.features.public();
    let min_length = options.min_length.unwrap_or(match features {
        SequenceFeatures::Tnf => TNF_MIN_LENGTH,
        _ => 0,
    });
    let mut report = SequenceReport {
        records: 0,
        kept: 0,
        kept_lengths: Vec::new(),
        skipped_short: 0,
        min_length,
        skipped_no_kmers: 0,
        residues: 0,
        alphabet,
        features,
    };
    let mut row_names = Vec::new();
    let mut seen = HashSet::new();
    let mut values = Vec::new();
    while !chunk.is_empty() {
        // Read the next chunk while this one is featurized.
        let (next, rows) = rayon::join(
            || read_chunk(&mut reader, std::mem::take(&mut spare)),
            || featurizer.featurize(&chunk, min_length),
        );
        for (record, row) in chunk.iter().zip(rows) {
            report.records += 1;
            report.residues += record.sequence.len() as u64;
            let row = row.map_err(|bad| featurizer.invalid(&name, record, bad))?;
            // Ids must be unique in the whole file (as VAMB requires), skipped records too.
            if !seen.insert(record.id.clone()) {
                return Err(Error::DuplicateName {
                    at: Where::record(&name, record.id.clone()),
                    kind: "sequence".into(),
                    name: record.id.clone(),
                });
            }
            match row {
                Row::Short => report.skipped_short += 1,
                Row::NoKmers => report.skipped_no_kmers += 1,
                Row::Values(row) => {
                    row_names.push(record.id.clone());
                    values.extend_from_slice(&row);
                    report.kept += 1;
                    report.kept_lengths.push(record.sequence.len() as u64);
                }
            }
        }
        spare = std::mem::replace(&mut chunk, next?);
    }
    if report.kept == 0 {
        return Err(Error::invalid(
            Where::file(name),
            format!(
                "all {} records were skipped ({} shorter than min_length {}, {} without countable k-mers)",
                report.records, report.skipped_short, min_length, report.skipped_no_kmers
            ),
            "lower the minimum length or check that the file holds the expected sequences",
        ));
    }
    let matrix = FeatureMatrix::from_dense(row_names, featurizer.column_names(), values)?;
    Ok((matrix, report))
}

/// Reads the next chunk of records into `pool`, reusing its records' buffers so
/// steady-state streaming allocates nothing.
fn read_chunk<R: BufRead>(
    reader: &mut SequenceReader<R>,
    mut pool: Vec<SequenceRecord>,
) -> Result<Vec<SequenceRecord>> {
    let mut filled = 0;
    let mut bytes = 0;
    while bytes < CHUNK_BYTES && filled < CHUNK_RECORDS {
        if filled == pool.len() {
            pool.push(SequenceRecord::default());
        }
        if !reader.read_record(&mut pool[filled])? {
            break;
        }
        bytes += pool[filled].sequence.len();
        filled += 1;
    }
    pool.truncate(filled);
    Ok(pool)
}

fn detect_alphabet(records: &[SequenceRecord]) -> Alphabet {
    let mut sample = Vec::new();
    for record in records {
        let room = DETECT_RESIDUES - sample.len();
        sample.extend_from_slice(&record.sequence[..record.sequence.len().min(room)]);
        if sample.len() == DETECT_RESIDUES {
            break;
        }
    }
    if kmer::looks_like_dna(&sample) {
        Alphabet::Dna
    } else {
        Alphabet::Protein
    }
}

/// One record's outcome.
enum Row {
    Short,
    NoKmers,
    Values(Vec<f32>),
}

/// Features with `Auto` resolved.
#[derive(Debug, Clone, Copy)]
enum Resolved {
    Tnf,
    Kmer { k: usize, canonical: bool },
    AminoAcid { k: usize },
}

impl Resolved {
    fn public(self) -> SequenceFeatures {
        match self {
            Resolved::Tnf => SequenceFeatures::Tnf,
            Resolved::Kmer { k, canonical } => SequenceFeatures::Kmer { k, canonical },
            Resolved::AminoAcid { k } => SequenceFeatures::AminoAcid { k },
        }
    }
}

/// Resolved features plus the lookup tables they need.
struct Featurizer {
    features: Resolved,
    alphabet: Alphabet,
    /// Column per k-mer index and number of columns (canonical DNA k-mers only).
    canonical: Option<(Vec<u32>, usize)>,
    /// Count-array index and name per column (amino-acid k-mers only).
    protein_columns: Option<(Vec<usize>, Vec<String>)>,
}

impl Featurizer {
    fn new(features: SequenceFeatures, alphabet: Alphabet) -> Self {
        let features = match (features, alphabet) {
            (SequenceFeatures::Auto, Alphabet::Dna) | (SequenceFeatures::Tnf, _) => Resolved::Tnf,
            (SequenceFeatures::Auto, Alphabet::Protein) => Resolved::AminoAcid { k: 2 },
            (SequenceFeatures::Kmer { k, canonical }, _) => Resolved::Kmer { k, canonical },
            (SequenceFeatures::AminoAcid { k }, _) => Resolved::AminoAcid { k },
        };
        let canonical = match features {
            Resolved::Kmer { k, canonical: true } => Some(kmer::canonical_columns(k)),
            _ => None,
        };
        let protein_columns = match features {
            Resolved::AminoAcid { k } => Some(kmer::protein_columns(k)),
            _ => None,
        };
        Self {
            features,
            alphabet,
            canonical,
            protein_columns,
        }
    }

    fn count_len(&self) -> usize {
        match self.features {
            Resolved::Tnf => TETRAMERS,
            Resolved::Kmer { k, .. } => kmer::dna_count_len(k),
            Resolved::AminoAcid { k } => kmer::protein_count_len(k),
        }
    }

    fn column_names(&self) -> Vec<String> {
        match self.features {
            Resolved::Tnf => (1..=TNF_DIM).map(|d| format!("tnf_{d}")).collect(),
            Resolved::Kmer { k, canonical } => (0..kmer::dna_count_len(k))
                // Canonical columns are numbered in order of the smaller k-mer of each pair.
                .filter(|&i| !canonical || kmer::reverse_complement(i, k) >= i)
                .map(|i| kmer::dna_kmer_name(i, k))
                .collect(),
            Resolved::AminoAcid { .. } => self
                .protein_columns
                .as_ref()
                .map(|(_, names)| names.clone())
                .unwrap_or_default(),
        }
    }

    /// Features of every record in `chunk`, in order; `Err` carries a bad residue.
    fn featurize(
        &self,
        chunk: &[SequenceRecord],
        min_length: usize,
    ) -> Vec<Result<Row, InvalidResidue>> {
        let count_len = self.count_len();
        chunk
            .par_iter()
            .with_min_len(1)
            .map_init(
                || vec![0u32; count_len],
                |counts, record| {
                    counts.fill(0);
                    // Short records are still scanned, so a bad residue is reported
                    // whatever the length filter.
                    let row = self.row(&record.sequence, counts)?;
                    Ok(if record.sequence.len() < min_length {
                        Row::Short
                    } else {
                        row
                    })
                },
            )
            .collect()
    }

    fn row(&self, sequence: &[u8], counts: &mut [u32]) -> Result<Row, InvalidResidue> {
        let total = match self.features {
            Resolved::Tnf => kmer::count_dna_kmers(sequence, 4, counts)?,
            Resolved::Kmer { k, .. } => kmer::count_dna_kmers(sequence, k, counts)?,
            Resolved::AminoAcid { k } => kmer::count_protein_kmers(sequence, k, counts)?,
        };
        if total == 0 {
            return Ok(Row::NoKmers);
        }
        let scale = 1.0 / total as f32;
        let values = match (self.features, &self.canonical, &self.protein_columns) {
            (Resolved::Tnf, _, _) => {
                let mut out = vec![0.0; TNF_DIM];
                tnf::project_counts(counts, &mut out);
                out
            }
            (_, Some((columns, n_columns)), _) => {
                let mut out = vec![0.0; *n_columns];
                for (&column, &count) in columns.iter().zip(counts.iter()) {
                    out[column as usize] += count as f32;
                }
                out.iter_mut().for_each(|v| *v *= scale);
                out
            }
            (_, _, Some((indices, _))) => {
                indices.iter().map(|&i| counts[i] as f32 * scale).collect()
            }
            _ => counts.iter().map(|&c| c as f32 * scale).collect(),
        };
        Ok(Row::Values(values))
    }

    fn invalid(&self, file: &str, record: &SequenceRecord, bad: InvalidResidue) -> Error {
        let (what, fix) = match self.alphabet {
            Alphabet::Dna => (
                "is not a nucleotide or IUPAC code",
                "remove the character (gaps, digits), or set the protein alphabet for proteins",
            ),
            Alphabet::Protein => (
                "is not an amino-acid code",
                "remove the character (gaps, digits), or set the DNA alphabet for nucleotides",
            ),
        };
        Error::invalid(
            Where::record(file, record.id.clone()),
            format!(
                "{} at position {} {what}",
                shown(bad.byte),
                bad.position + 1
            ),
            fix,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_text_round_trips_and_names_what_is_wrong() {
        for text in ["auto", "tnf", "kmer:4", "kmer:4:canonical", "aa:2"] {
            let features: SequenceFeatures = text.parse().unwrap();
            assert_eq!(features.to_string(), text);
        }
        let error = "kmer:four".parse::<SequenceFeatures>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "option features: 'four' is not a k-mer length — use e.g. kmer:4 or aa:2"
        );
        assert!(matches!(
            "tetra".parse::<SequenceFeatures>(),
            Err(Error::InvalidOption { .. })
        ));
    }

    fn run(text: &[u8], options: &SequenceOptions) -> Result<(FeatureMatrix, SequenceReport)> {
        featurize_sequences(SequenceReader::new("t.fa", text), options)
    }

    fn kmer_options(k: usize, canonical: bool) -> SequenceOptions {
        SequenceOptions {
            features: SequenceFeatures::Kmer { k, canonical },
            ..SequenceOptions::default()
        }
    }

    #[test]
    fn mononucleotide_frequencies_by_hand() {
        // AACGN: A=2, C=1, G=1 of 4 counted bases (by hand).
        let (matrix, _) = run(b">x\nAACGN\n", &kmer_options(1, false)).unwrap();
        assert_eq!(matrix.col_names(), ["A", "C", "G", "T"]);
        assert_eq!(matrix.to_dense(), vec![0.5, 0.25, 0.25, 0.0]);
    }

    #[test]
    fn canonical_dimers_by_hand() {
        // AAC: AA, AC. Canonical pairs: AA|TT, AC|GT → AA 0.5, AC 0.5 (by hand).
        let (matrix, _) = run(b">x\nAAC\n", &kmer_options(2, true)).unwrap();
        assert_eq!(matrix.n_cols(), 10);
        assert_eq!(&matrix.col_names()[..3], ["AA", "AC", "AG"]);
        let dense = matrix.to_dense();
        assert_eq!(dense[..2], [0.5, 0.5]);
        // GTT holds GT (→ AC) and TT (→ AA): same profile as AAC.
        let (other, _) = run(b">y\nGTT\n", &kmer_options(2, true)).unwrap();
        assert_eq!(other.to_dense(), dense);
    }

    #[test]
    fn auto_detects_protein_and_uses_dipeptides() {
        let (matrix, report) = run(b">p\nMKVLAAGIEEF\n", &SequenceOptions::default()).unwrap();
        assert_eq!(report.alphabet, Alphabet::Protein);
        assert_eq!(report.features, SequenceFeatures::AminoAcid { k: 2 });
        assert_eq!(matrix.n_cols(), 400);
        let sum: f32 = matrix.to_dense().iter().sum();
        assert!((sum - 1.0).abs() < 1e-6);
    }

    #[test]
    fn min_length_and_no_kmer_records_are_skipped_and_counted() {
        let text = b">a\nACGTACGT\n>short\nACG\n>ns\nNNNNNNNNNN\n>b\nTTTTAAAA\n";
        let options = SequenceOptions {
            features: SequenceFeatures::Tnf,
            min_length: Some(5),
            ..SequenceOptions::default()
        };
        let (matrix, report) = run(text, &options).unwrap();
        assert_eq!(matrix.row_names(), ["a", "b"]);
        assert_eq!((report.records, report.kept), (4, 2));
        assert_eq!((report.skipped_short, report.skipped_no_kmers), (1, 1));
    }

    #[test]
    fn bad_residue_names_record_and_position() {
        let error = run(b">a\nACGT\n>bad\nAC-GT\n", &kmer_options(2, false)).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("t.fa:record 'bad': '-' at position 3 is not a nucleotide"),
            "{error}"
        );
    }

    #[test]
    fn duplicate_ids_empty_input_and_all_skipped_are_errors() {
        let error = run(b">a\nACGT\n>a\nACGT\n", &kmer_options(1, false)).unwrap_err();
        assert!(matches!(error, Error::DuplicateName { .. }), "{error}");
        let error = run(b"", &kmer_options(1, false)).unwrap_err();
        assert!(matches!(error, Error::Empty { .. }), "{error}");
        let error = run(b">n\nNNNN\n", &kmer_options(1, false)).unwrap_err();
        assert!(
            error.to_string().contains("all 1 records were skipped"),
            "{error}"
        );
    }

    #[test]
    fn options_are_validated() {
        assert!(kmer_options(9, false).validate().is_err());
        let protein_tnf = SequenceOptions {
            features: SequenceFeatures::Tnf,
            alphabet: Some(Alphabet::Protein),
            min_length: Some(0),
        };
        assert!(protein_tnf.validate().is_err());
        let aa4 = SequenceOptions {
            features: SequenceFeatures::AminoAcid { k: 4 },
            ..SequenceOptions::default()
        };
        assert!(aa4.validate().is_err());
    }
}
