//! Which alignment format a file is in, decided from its content or given, and how each
//! format marks its aligned (match-state) columns.
//!
//! Everything is brought to one form before featurizing: upper-case letters and `-` are
//! aligned columns, lower-case letters and `.` are insertions (A2M's convention, which the
//! rest of [`crate::formats::alignment`] reads).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, Where};
use crate::formats::fasta::SequenceRecord;

/// Alignment file formats, by how they mark aligned columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MsaFormat {
    /// Aligned FASTA (FAMSA, MAFFT, Clustal Omega, MUSCLE): rows of equal length, every
    /// column aligned whatever the letter case; `-` and `.` are gaps.
    Afa,
    /// A2M (HMMER, SAM, EVE's input): upper case and `-` are aligned columns; lower case
    /// and `.` are insertions, dropped.
    A2m,
    /// A3M (HH-suite, ColabFold): as A2M, without `.` padding the insertions.
    A3m,
    /// Stockholm (Pfam, `hmmalign`, `jackhmmer -A`): `#=GC RF` marks the aligned columns;
    /// without it every column is aligned, as in aligned FASTA.
    Sto,
}

impl MsaFormat {
    /// Every format, in the order the command line lists them.
    pub const ALL: [MsaFormat; 4] = [
        MsaFormat::Afa,
        MsaFormat::A2m,
        MsaFormat::A3m,
        MsaFormat::Sto,
    ];

    /// The short name (`afa`, `a2m`, `a3m`, `sto`), as written on the command line and in a
    /// saved featurization.
    pub fn name(self) -> &'static str {
        match self {
            MsaFormat::Afa => "afa",
            MsaFormat::A2m => "a2m",
            MsaFormat::A3m => "a3m",
            MsaFormat::Sto => "sto",
        }
    }

    /// Whether lower case and `.` are insertions (A2M, A3M).
    fn marks_insertions(self) -> bool {
        matches!(self, MsaFormat::A2m | MsaFormat::A3m)
    }
}

impl fmt::Display for MsaFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MsaFormat {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|format| format.name() == text)
            .ok_or_else(|| {
                Error::option(
                    "msa_format",
                    format!("'{text}' is not an alignment format"),
                    "give afa, a2m, a3m or sto",
                )
            })
    }
}

/// The format of FASTA-style alignment records, from their content: rows of equal length
/// with no `.` are aligned FASTA (case says nothing), anything else A2M/A3M (lower case
/// and `.` are insertions that make rows differ in length or need padding).
pub(crate) fn detect(records: &[SequenceRecord]) -> MsaFormat {
    let length = records.first().map_or(0, |r| r.sequence.len());
    let aligned_fasta = records
        .iter()
        .all(|r| r.sequence.len() == length && !r.sequence.contains(&b'.'));
    if aligned_fasta {
        MsaFormat::Afa
    } else {
        MsaFormat::A2m
    }
}

/// Brings FASTA-style records in `format` to the A2M convention: aligned FASTA becomes
/// upper case with `-` gaps, after checking that its rows have equal length; A2M/A3M are
/// left as they are.
pub(crate) fn to_a2m(
    records: &mut [SequenceRecord],
    format: MsaFormat,
    source: &str,
) -> Result<()> {
    if format.marks_insertions() {
        return Ok(());
    }
    let expected = records.first().map_or(0, |r| r.sequence.len());
    for record in records.iter_mut() {
        if record.sequence.len() != expected {
            return Err(Error::invalid(
                Where::record(source, record.id.clone()),
                format!(
                    "{} columns, expected {expected} (the first row's) in aligned FASTA",
                    record.sequence.len()
                ),
                "aligned FASTA rows have equal length; if lower case or '.' marks insertions, read it as A2M/A3M (--msa-format a2m)",
            ));
        }
        all_columns_aligned(&mut record.sequence);
    }
    Ok(())
}

/// Every column aligned: letters to upper case, `.` gaps to `-`.
pub(crate) fn all_columns_aligned(sequence: &mut [u8]) {
    for byte in sequence {
        *byte = match *byte {
            b'.' => b'-',
            other => other.to_ascii_uppercase(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(rows: &[&str]) -> Vec<SequenceRecord> {
        rows.iter()
            .enumerate()
            .map(|(i, row)| SequenceRecord {
                id: format!("s{i}"),
                sequence: row.as_bytes().to_vec(),
                ..SequenceRecord::default()
            })
            .collect()
    }

    #[test]
    fn equal_rows_without_dots_are_aligned_fasta_whatever_the_case() {
        assert_eq!(detect(&records(&["MKv-A", "mkvla"])), MsaFormat::Afa);
        assert_eq!(detect(&records(&["acgt", "ac-t"])), MsaFormat::Afa);
        // A2M pads insertions with '.'; A3M leaves rows of different lengths.
        assert_eq!(detect(&records(&["MKvLA", "MK.LA"])), MsaFormat::A2m);
        assert_eq!(detect(&records(&["MKvLA", "MKLA"])), MsaFormat::A2m);
    }

    #[test]
    fn aligned_fasta_becomes_upper_case_and_must_not_be_ragged() {
        let mut rows = records(&["MKv-A", "mk.la"]);
        to_a2m(&mut rows, MsaFormat::Afa, "x.afa").unwrap();
        assert_eq!(rows[0].sequence, b"MKV-A");
        assert_eq!(rows[1].sequence, b"MK-LA");
        let mut a2m = records(&["MKvLA", "MK.LA"]);
        to_a2m(&mut a2m, MsaFormat::A2m, "x.a2m").unwrap();
        assert_eq!(a2m[0].sequence, b"MKvLA");
        let error = to_a2m(&mut records(&["MKVLA", "MKLA"]), MsaFormat::Afa, "x.afa").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("x.afa:record 's1': 4 columns, expected 5"),
            "{error}"
        );
    }

    #[test]
    fn names_round_trip() {
        for format in MsaFormat::ALL {
            assert_eq!(format.name().parse::<MsaFormat>().unwrap(), format);
            let json = serde_json::to_string(&format).unwrap();
            assert_eq!(json, format!("\"{}\"", format.name()));
        }
        assert!("fasta".parse::<MsaFormat>().is_err());
    }
}
