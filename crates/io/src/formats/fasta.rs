//! Streaming FASTA/FASTQ records, plain or gzip, from a path or stdin.
//!
//! The format is taken from the first record (`>` FASTA, `@` FASTQ). FASTA records may
//! span many lines; whitespace (including the `\r` of CRLF files) inside sequence lines is
//! removed; case is kept. A FASTA header with no sequence lines is an error (a cut or badly
//! concatenated file, more often than a meant empty record). FASTQ records are the usual four
//! lines (an empty read, as trimming leaves, is fine).
//!
//! ```
//! use vaebio_io::formats::fasta::{SequenceReader, SequenceRecord};
//!
//! let text = b">contig_1 sample A\nACGT\nacgt\n>contig_2\nGGCC\n";
//! let mut reader = SequenceReader::new("in-memory.fa", &text[..]);
//! let mut record = SequenceRecord::default();
//! assert!(reader.read_record(&mut record)?);
//! assert_eq!(record.id, "contig_1");
//! assert_eq!(record.description, "sample A");
//! assert_eq!(record.sequence, b"ACGTacgt");
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::io::{BufRead, Write};
use std::path::Path;

use crate::error::{Error, Result, Where};
use crate::input::{self, Input};

/// Which text format the records come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceFormat {
    /// `>id description` then sequence lines.
    Fasta,
    /// `@id`, sequence, `+`, qualities.
    Fastq,
}

/// One sequence record. Reused across reads by [`SequenceReader::read_record`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SequenceRecord {
    /// Header up to the first whitespace.
    pub id: String,
    /// Rest of the header after the first whitespace (may be empty).
    pub description: String,
    /// Residues as written (case kept), line breaks and whitespace removed.
    pub sequence: Vec<u8>,
    /// FASTQ quality string; empty for FASTA.
    pub quality: Vec<u8>,
}

/// Reads FASTA or FASTQ records one at a time from any buffered reader.
pub struct SequenceReader<R> {
    reader: R,
    name: String,
    /// Number of lines consumed so far (the 1-based number of the last line read).
    line: u64,
    format: Option<SequenceFormat>,
    line_buffer: Vec<u8>,
}

impl SequenceReader<Input> {
    /// Opens a path (`-` for stdin), plain or gzip.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let input = input::open(path)?;
        let name = input.name().to_string();
        Ok(Self::new(name, input))
    }
}

impl<R: BufRead> SequenceReader<R> {
    /// Wraps a reader of decompressed bytes; `name` is used in error messages.
    pub fn new(name: impl Into<String>, reader: R) -> Self {
        Self {
            reader,
            name: name.into(),
            line: 0,
            format: None,
            line_buffer: Vec::new(),
        }
    }

    /// The input's name as used in error messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The format, known once the first record has been read.
    pub fn format(&self) -> Option<SequenceFormat> {
        self.format
    }

    /// Reads the next record into `record`; `Ok(false)` at the end of the input.
    pub fn read_record(&mut self, record: &mut SequenceRecord) -> Result<bool> {
        record.sequence.clear();
        record.quality.clear();
        // Skip blank lines between records.
        loop {
            if !self.next_line()? {
                return Ok(false);
            }
            if !trim_line_end(&self.line_buffer).is_empty() {
                break;
            }
        }
        let header_line = self.line;
        let marker = self.line_buffer[0];
        let format = match (self.format, marker) {
            (None | Some(SequenceFormat::Fasta), b'>') => SequenceFormat::Fasta,
            (None | Some(SequenceFormat::Fastq), b'@') => SequenceFormat::Fastq,
            _ => {
                let expected = match self.format {
                    Some(SequenceFormat::Fasta) => "'>'",
                    Some(SequenceFormat::Fastq) => "'@'",
                    None => "'>' (FASTA) or '@' (FASTQ)",
                };
                return Err(Error::invalid(
                    Where::line(&self.name, header_line),
                    format!(
                        "expected {expected} at the start of a record, found {}",
                        shown(marker)
                    ),
                    "give a FASTA or FASTQ file (check for a truncated or mixed file)",
                ));
            }
        };
        self.format = Some(format);
        self.parse_header(record, header_line)?;
        match format {
            SequenceFormat::Fasta => {
                self.read_fasta_sequence(&mut record.sequence)?;
                if record.sequence.is_empty() {
                    return Err(Error::invalid(
                        Where::record(&self.name, &record.id),
                        format!("header on line {header_line} has no sequence lines"),
                        "remove the empty record or restore its sequence (is the file cut or badly concatenated?)",
                    ));
                }
            }
            SequenceFormat::Fastq => self.read_fastq_rest(record)?,
        }
        Ok(true)
    }

    fn parse_header(&mut self, record: &mut SequenceRecord, header_line: u64) -> Result<()> {
        let header = trim_line_end(&self.line_buffer[1..]);
        let header = std::str::from_utf8(header).map_err(|_| {
            Error::invalid(
                Where::line(&self.name, header_line),
                "header is not valid UTF-8",
                "convert the headers to UTF-8 (e.g. iconv) or rename the records",
            )
        })?;
        let header = header.trim_start();
        let (id, description) = match header.find(char::is_whitespace) {
            Some(split) => (&header[..split], header[split..].trim()),
            None => (header, ""),
        };
        if id.is_empty() {
            return Err(Error::invalid(
                Where::line(&self.name, header_line),
                "record has no identifier",
                "give every record a name after '>' or '@'",
            ));
        }
        record.id.clear();
        record.id.push_str(id);
        record.description.clear();
        record.description.push_str(description);
        Ok(())
    }

    /// Appends sequence lines up to the next header or the end of input.
    fn read_fasta_sequence(&mut self, sequence: &mut Vec<u8>) -> Result<()> {
        let mut at_line_start = true;
        'buffers: loop {
            let buffer = match self.reader.fill_buf() {
                Ok(buffer) => buffer,
                Err(error) => {
                    return Err(Error::from_read(
                        Where::line(&self.name, self.line + 1),
                        error,
                    ));
                }
            };
            if buffer.is_empty() {
                break;
            }
            // Take every whole line of this buffer before asking for more.
            let mut position = 0;
            while position < buffer.len() {
                if at_line_start && buffer[position] == b'>' {
                    self.reader.consume(position);
                    break 'buffers;
                }
                match memchr::memchr(b'\n', &buffer[position..]) {
                    Some(length) => {
                        sequence.extend_from_slice(&buffer[position..position + length]);
                        position += length + 1;
                        self.line += 1;
                        at_line_start = true;
                    }
                    None => {
                        sequence.extend_from_slice(&buffer[position..]);
                        position = buffer.len();
                        at_line_start = false;
                    }
                }
            }
            self.reader.consume(position);
        }
        if !at_line_start {
            // Last line without a final newline.
            self.line += 1;
        }
        remove_whitespace(sequence);
        Ok(())
    }

    fn read_fastq_rest(&mut self, record: &mut SequenceRecord) -> Result<()> {
        let truncated = |reader: &Self, what: &str| {
            Error::invalid(
                Where::record(&reader.name, record.id.clone()),
                format!("truncated FASTQ record: {what}"),
                "the file is cut short or not 4-line FASTQ; re-download or fix the record",
            )
        };
        if !self.next_line()? {
            return Err(truncated(self, "no sequence line"));
        }
        record
            .sequence
            .extend_from_slice(trim_line_end(&self.line_buffer));
        remove_whitespace(&mut record.sequence);
        if !self.next_line()? || !self.line_buffer.starts_with(b"+") {
            return Err(truncated(self, "no '+' separator line"));
        }
        if !self.next_line()? {
            return Err(truncated(self, "no quality line"));
        }
        record
            .quality
            .extend_from_slice(trim_line_end(&self.line_buffer));
        if record.quality.len() != record.sequence.len() {
            return Err(Error::invalid(
                Where::record(&self.name, record.id.clone()),
                format!(
                    "{} quality characters for {} bases",
                    record.quality.len(),
                    record.sequence.len()
                ),
                "the record is truncated or corrupt; re-download or fix it",
            ));
        }
        Ok(())
    }

    /// Reads one line (newline kept) into the line buffer; false at end of input.
    fn next_line(&mut self) -> Result<bool> {
        self.line_buffer.clear();
        let read = self
            .reader
            .read_until(b'\n', &mut self.line_buffer)
            .map_err(|e| Error::from_read(Where::file(&self.name), e))?;
        if read == 0 {
            return Ok(false);
        }
        self.line += 1;
        Ok(true)
    }
}

impl<R: BufRead> Iterator for SequenceReader<R> {
    type Item = Result<SequenceRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut record = SequenceRecord::default();
        match self.read_record(&mut record) {
            Ok(true) => Some(Ok(record)),
            Ok(false) => None,
            Err(error) => Some(Err(error)),
        }
    }
}

/// Writes one record as FASTA, wrapping the sequence every `line_width` residues
/// (0 = one line).
pub fn write_fasta(
    out: &mut impl Write,
    record: &SequenceRecord,
    line_width: usize,
) -> std::io::Result<()> {
    out.write_all(b">")?;
    out.write_all(record.id.as_bytes())?;
    if !record.description.is_empty() {
        out.write_all(b" ")?;
        out.write_all(record.description.as_bytes())?;
    }
    out.write_all(b"\n")?;
    let width = if line_width == 0 {
        usize::MAX
    } else {
        line_width
    };
    for line in record.sequence.chunks(width) {
        out.write_all(line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

fn remove_whitespace(sequence: &mut Vec<u8>) {
    if memchr::memchr3(b'\r', b' ', b'\t', sequence).is_some() {
        sequence.retain(|b| !b.is_ascii_whitespace());
    }
}

/// A byte as a user can read it in an error message.
pub(crate) fn shown(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("'{}'", byte as char)
    } else {
        format!("byte 0x{byte:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &[u8]) -> Result<Vec<SequenceRecord>> {
        SequenceReader::new("t.fa", text).collect()
    }

    #[test]
    fn multi_line_crlf_lowercase_and_blank_lines() {
        let text = b"\n>a first\r\nACG\r\ntac\r\n\r\n>b\nNN NN\n>c\nGG";
        let got = records(text).unwrap();
        let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(got[0].description, "first");
        assert_eq!(got[0].sequence, b"ACGtac");
        assert_eq!(got[1].sequence, b"NNNN");
        assert_eq!(got[2].sequence, b"GG");
    }

    #[test]
    fn a_header_without_sequence_is_an_error_naming_the_record() {
        for text in [
            &b">a\nACGT\n>empty\n>c\nGG\n"[..],
            b">a\nACGT\n>empty\r\n\r\n",
        ] {
            let error = records(text).unwrap_err().to_string();
            assert!(
                error.starts_with("t.fa:record 'empty': header on line 3 has no sequence lines"),
                "{error}"
            );
        }
    }

    #[test]
    fn long_lines_spanning_buffer_refills() {
        let sequence = "ACGT".repeat(100_000);
        let text = format!(">long\n{sequence}\n>x\nA\n");
        let reader = std::io::BufReader::with_capacity(64, text.as_bytes());
        let got: Vec<_> = SequenceReader::new("t.fa", reader)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(got[0].sequence.len(), 400_000);
        assert_eq!(got[1].sequence, b"A");
    }

    #[test]
    fn fastq_four_line_records() {
        let got = records(b"@r1 x\nACGT\n+\nIIII\n@r2\nGG\n+r2\n##\n").unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].quality, b"IIII");
        assert_eq!(got[1].sequence, b"GG");
    }

    #[test]
    fn truncated_fastq_names_the_record() {
        let error = records(b"@r1\nACGT\n+\nIIII\n@r2\nACGT\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "t.fa:record 'r2': truncated FASTQ record: no '+' separator line — the file is cut short or not 4-line FASTQ; re-download or fix the record"
        );
        let error = records(b"@r1\nACGT\n+\nII\n").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("2 quality characters for 4 bases")
        );
    }

    #[test]
    fn missing_identifier_and_garbage_are_errors_with_line_numbers() {
        let error = records(b">a\nAC\n>\nGG\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("t.fa:line 3: record has no identifier"),
            "{error}"
        );
        let error = records(b"hello\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("t.fa:line 1: expected '>' (FASTA) or '@' (FASTQ)"),
            "{error}"
        );
    }

    #[test]
    fn non_utf8_header_is_an_error() {
        let error = records(b">caf\xe9\nACGT\n").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("line 1: header is not valid UTF-8"),
            "{error}"
        );
    }

    #[test]
    fn writer_wraps_lines() {
        let record = SequenceRecord {
            id: "a".into(),
            description: "d".into(),
            sequence: b"ACGTA".to_vec(),
            quality: Vec::new(),
        };
        let mut out = Vec::new();
        write_fasta(&mut out, &record, 2).unwrap();
        assert_eq!(out, b">a d\nAC\nGT\nA\n");
    }
}
