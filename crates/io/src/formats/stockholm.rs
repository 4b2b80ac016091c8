//! Stockholm 1.0 alignments (Pfam, HMMER's `hmmalign` and `jackhmmer -A`): the sequence
//! rows, joined across interleaved blocks, and the `#=GC RF` reference line that marks the
//! match columns.
//!
//! The file starts with `# STOCKHOLM 1.0` and ends with `//`. Blocks are separated by
//! blank lines; each holds `name aligned-text` rows. `#=GF`, `#=GS`, `#=GR` and other
//! `#=GC` lines (and `#` comments) are skipped. One alignment per file: text after `//`
//! is an error, so a multi-family Pfam file is not read as its first family silently.
//!
//! ```
//! use vaebio_io::formats::stockholm::read_stockholm;
//!
//! let text = "# STOCKHOLM 1.0\nseq1/1-4 MKaV\nseq2/1-3 MK.V\n#=GC RF  xx.x\n//\n";
//! let alignment = read_stockholm(text.as_bytes(), "fam.sto")?;
//! assert_eq!(alignment.records[1].sequence, b"MK.V");
//! assert_eq!(alignment.reference.as_deref(), Some(&b"xx.x"[..]));
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use crate::error::{Error, Result, Where};
use crate::formats::alignment::msa_format::all_columns_aligned;
use crate::formats::fasta::SequenceRecord;

/// One Stockholm alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stockholm {
    /// Rows in order of first appearance, each the concatenation of its blocks' text.
    pub records: Vec<SequenceRecord>,
    /// The `#=GC RF` line, concatenated across blocks: non-gap characters mark match
    /// columns; `None` when the file has none.
    pub reference: Option<Vec<u8>>,
}

/// Whether the start of a file reads `# STOCKHOLM` (after any blank lines).
pub fn looks_like_stockholm(head: &[u8]) -> bool {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    head[start..].starts_with(b"# STOCKHOLM")
}

/// Reads one Stockholm alignment; every row (and `#=GC RF`) must end up the same length.
pub fn read_stockholm<R: BufRead>(reader: R, name: &str) -> Result<Stockholm> {
    let mut parser = Parser::new(name);
    let mut ended = false;
    for (index, line) in reader.split(b'\n').enumerate() {
        let number = index as u64 + 1;
        let mut line = line.map_err(|e| Error::from_read(Where::line(name, number), e))?;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if ended {
            if !line.iter().all(u8::is_ascii_whitespace) {
                return Err(Error::invalid(
                    Where::line(name, number),
                    "text after the '//' that ends the alignment",
                    "give one alignment per file (split a multi-family file at its '//' lines)",
                ));
            }
            continue;
        }
        ended = parser.line(&line, number)?;
    }
    parser.finish(ended)
}

/// Reading state: the rows so far, by name, and the names seen in the current block.
struct Parser<'a> {
    name: &'a str,
    header_seen: bool,
    records: Vec<SequenceRecord>,
    index: HashMap<String, usize>,
    block: HashSet<String>,
    reference: Option<Vec<u8>>,
}

impl<'a> Parser<'a> {
    fn new(name: &'a str) -> Self {
        Self {
            name,
            header_seen: false,
            records: Vec::new(),
            index: HashMap::new(),
            block: HashSet::new(),
            reference: None,
        }
    }

    /// Takes one line (without its line end); true at the `//` terminator.
    fn line(&mut self, line: &[u8], number: u64) -> Result<bool> {
        let name = self.name;
        let at = || Where::line(name, number);
        let blank = line.iter().all(u8::is_ascii_whitespace);
        if !self.header_seen {
            if blank {
                return Ok(false);
            }
            if !line.starts_with(b"# STOCKHOLM") {
                return Err(Error::invalid(
                    at(),
                    "not a Stockholm file (the first line is not '# STOCKHOLM 1.0')",
                    "give a Stockholm alignment, or another --msa-format (afa, a2m, a3m)",
                ));
            }
            self.header_seen = true;
            return Ok(false);
        }
        if blank {
            self.block.clear();
            return Ok(false);
        }
        if line.starts_with(b"//") {
            return Ok(true);
        }
        let text = std::str::from_utf8(line).map_err(|_| {
            Error::invalid(at(), "line is not UTF-8", "convert the file to UTF-8 text")
        })?;
        let mut fields = text.split_ascii_whitespace();
        let (Some(first), second, third) = (fields.next(), fields.next(), fields.next()) else {
            return Ok(false);
        };
        if first == "#=GC" {
            if second == Some("RF") {
                let columns = third.unwrap_or_default().as_bytes();
                self.reference
                    .get_or_insert_with(Vec::new)
                    .extend_from_slice(columns);
            }
            return Ok(false);
        }
        if first.starts_with('#') {
            return Ok(false);
        }
        match (second, third) {
            (Some(columns), None) => self.row(first, columns.as_bytes(), number),
            _ => Err(Error::invalid(
                at(),
                format!(
                    "expected 'name aligned-sequence', found {} fields",
                    text.split_ascii_whitespace().count()
                ),
                "write each row as a name, spaces, and the aligned residues without spaces",
            )),
        }
        .map(|()| false)
    }

    /// Appends a block's text to the row `name`.
    fn row(&mut self, name: &str, columns: &[u8], number: u64) -> Result<()> {
        if !self.block.insert(name.to_string()) {
            return Err(Error::DuplicateName {
                at: Where::line(self.name, number),
                kind: "sequence".into(),
                name: name.to_string(),
            });
        }
        let slot = *self.index.entry(name.to_string()).or_insert_with(|| {
            self.records.push(SequenceRecord {
                id: name.to_string(),
                ..SequenceRecord::default()
            });
            self.records.len() - 1
        });
        self.records[slot].sequence.extend_from_slice(columns);
        Ok(())
    }

    /// Checks the terminator, that there are rows, and that all of them (and RF) have the
    /// same length.
    fn finish(self, ended: bool) -> Result<Stockholm> {
        if !self.header_seen || self.records.is_empty() {
            return Err(Error::Empty {
                at: Where::file(self.name),
                what: "Stockholm alignment rows".into(),
            });
        }
        if !ended {
            return Err(Error::invalid(
                Where::file(self.name),
                "no '//' line ends the alignment",
                "the file is incomplete; write it again (Stockholm ends with '//')",
            ));
        }
        let expected = self.records[0].sequence.len();
        let lengths = self
            .records
            .iter()
            .map(|r| (r.id.as_str(), r.sequence.len()))
            .chain(self.reference.iter().map(|rf| ("#=GC RF", rf.len())));
        for (row, found) in lengths {
            if found != expected {
                return Err(Error::Ragged {
                    at: Where::record(self.name, row),
                    found,
                    expected,
                    unit: "columns".into(),
                });
            }
        }
        Ok(Stockholm {
            records: self.records,
            reference: self.reference,
        })
    }
}

impl Stockholm {
    /// The rows in the A2M convention that [`crate::formats::alignment`] reads: with
    /// `#=GC RF`, match columns (RF not `.`, `-` or `~`) upper case with `-` gaps and insert
    /// columns lower case with `.` gaps; without it, every column aligned (upper case, `-`
    /// gaps), as aligned FASTA.
    pub fn into_a2m(self) -> Vec<SequenceRecord> {
        let mut records = self.records;
        match &self.reference {
            Some(reference) => {
                let is_match: Vec<bool> = reference
                    .iter()
                    .map(|b| !matches!(b, b'.' | b'-' | b'~'))
                    .collect();
                for record in &mut records {
                    for (byte, &is_match) in record.sequence.iter_mut().zip(&is_match) {
                        *byte = a2m_byte(*byte, is_match);
                    }
                }
            }
            None => {
                for record in &mut records {
                    all_columns_aligned(&mut record.sequence);
                }
            }
        }
        records
    }
}

/// A Stockholm residue or gap in a match (`is_match`) or insert column, as A2M writes it.
fn a2m_byte(byte: u8, is_match: bool) -> u8 {
    match (byte, is_match) {
        (b'.' | b'-', true) => b'-',
        (b'.' | b'-', false) => b'.',
        (other, true) => other.to_ascii_uppercase(),
        (other, false) => other.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Stockholm> {
        read_stockholm(text.as_bytes(), "fam.sto")
    }

    #[test]
    fn interleaved_blocks_join_and_annotations_are_skipped() {
        let text = "# STOCKHOLM 1.0\n#=GF ID fam\n\n#=GS a/1-5 DE first\na/1-5  MKV\nb      MK-\n#=GR a/1-5 SS ---\n#=GC RF xx.\n\na/1-5 LA\nb     L.\n#=GC RF xx\n//\n";
        let alignment = read(text).unwrap();
        let names: Vec<&str> = alignment.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(names, ["a/1-5", "b"]);
        assert_eq!(alignment.records[0].sequence, b"MKVLA");
        assert_eq!(alignment.records[1].sequence, b"MK-L.");
        assert_eq!(alignment.reference.as_deref(), Some(&b"xx.xx"[..]));
        let a2m = alignment.into_a2m();
        assert_eq!(a2m[0].sequence, b"MKvLA");
        assert_eq!(a2m[1].sequence, b"MK.L-");
    }

    #[test]
    fn without_rf_every_column_is_aligned() {
        let alignment = read("# STOCKHOLM 1.0\na mkV.a\nb MK-La\n//\n").unwrap();
        assert_eq!(alignment.reference, None);
        let a2m = alignment.into_a2m();
        assert_eq!(a2m[0].sequence, b"MKV-A");
        assert_eq!(a2m[1].sequence, b"MK-LA");
    }

    #[test]
    fn malformed_files_are_errors_naming_the_line_or_row() {
        let cases = [
            (">a\nMKV\n", "fam.sto:line 1: not a Stockholm file"),
            ("# STOCKHOLM 1.0\na MKV\n", "fam.sto: no '//' line"),
            (
                "# STOCKHOLM 1.0\n//\n",
                "fam.sto: no Stockholm alignment rows",
            ),
            (
                "# STOCKHOLM 1.0\na MKV\nb MK\n//\n",
                "fam.sto:record 'b': 2 columns, expected 3",
            ),
            (
                "# STOCKHOLM 1.0\na MKV\n#=GC RF xx\n//\n",
                "fam.sto:record '#=GC RF': 2 columns, expected 3",
            ),
            (
                "# STOCKHOLM 1.0\na MK V\n//\n",
                "fam.sto:line 2: expected 'name aligned-sequence'",
            ),
            (
                "# STOCKHOLM 1.0\na MKV\na MKV\n//\n",
                "fam.sto:line 3: duplicate sequence name 'a'",
            ),
            (
                "# STOCKHOLM 1.0\na MKV\n//\n# STOCKHOLM 1.0\n",
                "fam.sto:line 4: text after the '//'",
            ),
        ];
        for (text, expected) in cases {
            let error = read(text).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{text:?}: {error}");
            assert!(!error.contains('\n'));
        }
    }

    #[test]
    fn the_header_is_recognised_after_blank_lines() {
        assert!(looks_like_stockholm(b"\n# STOCKHOLM 1.0\n"));
        assert!(!looks_like_stockholm(b">a\nMKV\n"));
        assert!(read("\n\n# STOCKHOLM 1.0\na MKV\n//\n").is_ok());
    }
}
