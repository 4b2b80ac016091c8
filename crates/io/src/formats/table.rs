//! Delimited expression tables (TSV/CSV, plain or gzip, `-` for stdin) → [`FeatureMatrix`].
//!
//! The first row names the columns, the first column names the rows; the delimiter (tab
//! or comma) is sniffed from the first row. By default the file is features × observations
//! (genes in rows, as featureCounts, Seurat and 10x dense exports write it) and is turned
//! so that observations become rows; [`ExpressionOptions::transpose`] reads observations ×
//! features (scanpy/AnnData CSV exports). A header one field shorter than the data rows
//! (R's `write.table`) has no corner cell and is read as it is meant.
//!
//! Non-negative whole numbers are kept as sparse counts (CSR); any other finite values
//! give a dense matrix, unless [`ExpressionOptions::require_counts`] asks for an error.
//! Lines are parsed in parallel, block by block, while the next block is read; their
//! nonzeros are packed at about two bytes each until the matrix is laid out once, so
//! reading peaks at the CSR's 8 bytes per stored value, about 2 more and two 8 MB text
//! blocks (see `packed`).
//!
//! ```no_run
//! use vaebio_io::formats::table::{read_expression, ExpressionOptions};
//! let counts = read_expression("counts.tsv.gz", &ExpressionOptions::default())?;
//! assert!(counts.is_integer_counts());
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::collections::HashSet;
use std::io::{BufRead, Read};
use std::path::Path;

use memchr::{memchr, memchr_iter, memrchr};
use rayon::prelude::*;

use crate::error::{Error, Result, Where};
use crate::input::{self, Input};
use crate::matrix::FeatureMatrix;

mod packed;

use packed::{PackedRows, PackedTable};

/// Bytes read per block; lines of a block are parsed in parallel.
const BLOCK_BYTES: u64 = 8 << 20;

/// Options for [`read_expression`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpressionOptions {
    /// The file is observations × features (rows are cells/samples) instead of the default
    /// features × observations.
    pub transpose: bool,
    /// Fail on any value that is not a non-negative whole number (for count likelihoods).
    pub require_counts: bool,
}

/// Reads a TSV/CSV expression table (plain or gzip; `-` for stdin).
pub fn read_expression(
    path: impl AsRef<Path>,
    options: &ExpressionOptions,
) -> Result<FeatureMatrix> {
    read_expression_from(input::open(path)?, options)
}

/// Like [`read_expression`] for an already opened input.
pub fn read_expression_from(input: Input, options: &ExpressionOptions) -> Result<FeatureMatrix> {
    let name = input.name().to_string();
    let mut reader = input.into_reader();
    let (delimiter, header_names) = read_header(&mut reader, &name)?;
    let first = read_block(&mut reader, Vec::new())
        .map_err(|e| Error::from_read(Where::line(name.clone(), 2), e))?;
    let column_names = column_names(header_names, &first.0, delimiter);
    check_unique(&column_names, &name, 1, "column")?;
    let table = Table {
        name: &name,
        delimiter,
        column_names: &column_names,
        transpose: options.transpose,
    };
    let rows = table.read_rows(&mut reader, first)?;
    if rows.names.is_empty() || column_names.is_empty() {
        return Err(Error::Empty {
            at: Where::file(name),
            what: "data rows".into(),
        });
    }
    table.check_unique_rows(&rows)?;
    if let (true, Some(fraction)) = (options.require_counts, &rows.fraction) {
        return Err(table.not_whole(fraction));
    }
    into_matrix(rows, column_names, options.transpose)
}

/// The header row (a UTF-8 byte-order mark dropped): its delimiter and names.
fn read_header(reader: &mut (dyn BufRead + Send), name: &str) -> Result<(u8, Vec<String>)> {
    let mut header = Vec::new();
    reader
        .read_until(b'\n', &mut header)
        .map_err(|e| Error::from_read(Where::line(name, 1), e))?;
    trim_line_end(&mut header);
    let header = header
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(&header)
        .to_vec();
    if header.is_empty() {
        return Err(Error::Empty {
            at: Where::file(name),
            what: "header row".into(),
        });
    }
    let delimiter = if memchr(b'\t', &header).is_some() {
        b'\t'
    } else if memchr(b',', &header).is_some() {
        b','
    } else {
        return Err(Error::invalid(
            Where::line(name, 1),
            "the first row has no tab or comma, so it names no columns",
            "give a tab- or comma-separated table whose first row names the columns",
        ));
    };
    let mut names = Vec::new();
    for field in header.split(|&b| b == delimiter) {
        names.push(name_text(field).ok_or_else(|| {
            Error::invalid(
                Where::line(name, 1),
                "a column name is not UTF-8 text",
                "convert the file to UTF-8",
            )
        })?);
    }
    Ok((delimiter, names))
}

/// The value columns' names: the header minus its corner cell, unless the first data row
/// (at the start of `block`) has one field more than the header (R's `write.table`).
fn column_names(mut header_names: Vec<String>, block: &[u8], delimiter: u8) -> Vec<String> {
    let first_line_end = memchr(b'\n', block).unwrap_or(block.len());
    let first_fields = memchr_iter(delimiter, &block[..first_line_end]).count() + 1;
    if first_fields == header_names.len() + 1 {
        header_names
    } else {
        header_names.split_off(1)
    }
}

/// The data rows in file order, sparse.
struct Rows {
    names: Vec<String>,
    /// 1-based line of each row.
    lines: Vec<u64>,
    packed: PackedTable,
    /// The first value that is not a whole number, if any (else the table is counts).
    fraction: Option<Fraction>,
}

/// Where a value that is not a whole number was found.
struct Fraction {
    /// 1-based line (counted from the piece start until the piece is appended).
    line: u64,
    column: usize,
    value: f32,
}

/// What parsing and its error messages need to know of the table.
struct Table<'a> {
    name: &'a str,
    delimiter: u8,
    column_names: &'a [String],
    transpose: bool,
}

impl Table<'_> {
    /// Parses the data rows block by block, the next block read while this one is parsed
    /// in parallel; `first` is the first block as [`read_block`] returned it.
    fn read_rows(
        &self,
        reader: &mut (dyn BufRead + Send),
        first: (Vec<u8>, Vec<u8>, bool),
    ) -> Result<Rows> {
        let (mut block, mut carry, mut at_end) = first;
        let n_values = self.column_names.len();
        let mut rows = Rows {
            names: Vec::new(),
            lines: Vec::new(),
            packed: PackedTable::default(),
            fraction: None,
        };
        let mut line_base = 1u64;
        loop {
            let pieces = split_pieces(&block);
            let (parsed, next) = rayon::join(
                || {
                    pieces
                        .par_iter()
                        .map(|range| parse_piece(&block[range.clone()], self.delimiter, n_values))
                        .collect::<Vec<_>>()
                },
                || {
                    if at_end {
                        Ok((Vec::new(), Vec::new(), true))
                    } else {
                        read_block(reader, std::mem::take(&mut carry))
                    }
                },
            );
            for piece in parsed {
                let piece = piece.map_err(|(line, problem)| {
                    problem.into_error(
                        self.name,
                        line_base + line,
                        self.column_names,
                        self.transpose,
                    )
                })?;
                line_base += rows.append(piece, line_base);
            }
            if at_end {
                return Ok(rows);
            }
            (block, carry, at_end) =
                next.map_err(|e| Error::from_read(Where::line(self.name, line_base + 1), e))?;
        }
    }

    /// Row names must be unique: they name features (or observations, transposed).
    fn check_unique_rows(&self, rows: &Rows) -> Result<()> {
        let mut seen = HashSet::with_capacity(rows.names.len());
        for (row, line) in rows.names.iter().zip(&rows.lines) {
            if !seen.insert(row.as_str()) {
                return Err(Error::DuplicateName {
                    at: Where::line(self.name, *line),
                    kind: if self.transpose {
                        "observation"
                    } else {
                        "feature"
                    }
                    .into(),
                    name: row.clone(),
                });
            }
        }
        Ok(())
    }

    /// The error for counts required but a fraction found.
    fn not_whole(&self, fraction: &Fraction) -> Error {
        Error::invalid(
            Where::line(self.name, fraction.line),
            format!(
                "value {} in column '{}' is not a whole number",
                fraction.value, self.column_names[fraction.column]
            ),
            "give raw integer counts (not normalised values) for count likelihoods",
        )
    }
}

impl Rows {
    /// Appends a parsed piece whose lines are counted from `line_base`; returns its line
    /// count.
    fn append(&mut self, piece: Piece, line_base: u64) -> u64 {
        self.names.extend(piece.names);
        self.lines
            .extend(piece.lines.iter().map(|&l| line_base + l));
        self.packed.push(piece.packed);
        if self.fraction.is_none() {
            self.fraction = piece.fraction.map(|fraction| Fraction {
                line: line_base + fraction.line,
                ..fraction
            });
        }
        piece.line_count
    }
}

/// Observations × features: sparse CSR for whole numbers, dense otherwise, laid out once
/// from the packed rows (transposed unless the file is observations × features already).
fn into_matrix(rows: Rows, column_names: Vec<String>, transpose: bool) -> Result<FeatureMatrix> {
    let n_values = column_names.len();
    let packed = rows.packed;
    let (row_names, col_names) = if transpose {
        (rows.names, column_names)
    } else {
        (column_names, rows.names)
    };
    if rows.fraction.is_some() {
        let dense = packed.to_dense(n_values, !transpose);
        drop(packed);
        return FeatureMatrix::from_dense(row_names, col_names, dense);
    }
    let (indptr, indices, values) = if transpose {
        packed.into_csr()
    } else {
        let csr = packed.to_transposed_csr(n_values);
        drop(packed);
        csr
    };
    FeatureMatrix::from_csr(row_names, col_names, indptr, indices, values)
}

/// Reads about [`BLOCK_BYTES`] after `carry`; returns (whole lines, the unfinished last line, end reached).
fn read_block(
    reader: &mut (dyn BufRead + Send),
    carry: Vec<u8>,
) -> std::io::Result<(Vec<u8>, Vec<u8>, bool)> {
    // Sized once: a block grown by doubling would hold up to twice its bytes.
    let mut block = Vec::with_capacity(carry.len() + BLOCK_BYTES as usize);
    block.extend_from_slice(&carry);
    drop(carry);
    let read = reader.take(BLOCK_BYTES).read_to_end(&mut block)?;
    if read == 0 {
        return Ok((block, Vec::new(), true));
    }
    match memrchr(b'\n', &block) {
        Some(last) => {
            let carry = block[last + 1..].to_vec();
            block.truncate(last + 1);
            Ok((block, carry, false))
        }
        None => Ok((Vec::new(), block, false)),
    }
}

/// Splits a block into about two pieces per thread, each ending at a line end.
fn split_pieces(block: &[u8]) -> Vec<std::ops::Range<usize>> {
    let n_pieces = (rayon::current_num_threads() * 2).max(1);
    let target = block.len() / n_pieces + 1;
    let mut pieces = Vec::with_capacity(n_pieces);
    let mut start = 0;
    while start < block.len() {
        let guess = (start + target).min(block.len());
        let end = match memchr(b'\n', &block[guess..]) {
            Some(offset) => guess + offset + 1,
            None => block.len(),
        };
        pieces.push(start..end);
        start = end;
    }
    pieces
}

/// Rows parsed from one piece of a block.
#[derive(Default)]
struct Piece {
    names: Vec<String>,
    /// 1-based line of each row counted from the piece start.
    lines: Vec<u64>,
    packed: PackedRows,
    line_count: u64,
    fraction: Option<Fraction>,
}

/// What is wrong with a data line.
#[derive(Debug, PartialEq)]
enum Problem {
    Ragged(usize),
    NotNumber { column: usize, text: String },
    NonFinite { column: usize, text: String },
    Negative { column: usize, text: String },
    BadName,
}

impl Problem {
    fn into_error(self, file: &str, line: u64, columns: &[String], transpose: bool) -> Error {
        let at = Where::line(file, line);
        let what = if transpose {
            "observations × features"
        } else {
            "features × observations"
        };
        match self {
            Problem::Ragged(found) => Error::Ragged {
                at,
                found,
                expected: columns.len() + 1,
                unit: "fields (a name and one value per header column)".into(),
            },
            Problem::NotNumber { column, text } => Error::invalid(
                at,
                format!(
                    "value '{text}' in column '{}' is not a number",
                    columns[column]
                ),
                format!(
                    "give numbers only after the first column (read as {what}; missing values are not allowed)"
                ),
            ),
            Problem::NonFinite { column, text } => Error::invalid(
                at,
                format!(
                    "value '{text}' in column '{}' is not finite",
                    columns[column]
                ),
                "replace NaN/inf by a finite value (0 for unobserved counts)",
            ),
            Problem::Negative { column, text } => Error::invalid(
                at,
                format!("value {text} in column '{}' is negative", columns[column]),
                "give counts or non-negative expression values (not centred or scaled data)",
            ),
            Problem::BadName => Error::invalid(
                at,
                "the row name is empty or not UTF-8",
                "name every row in the first column",
            ),
        }
    }
}

/// Parses whole lines; errors carry the 1-based line number within the piece.
fn parse_piece(
    bytes: &[u8],
    delimiter: u8,
    n_values: usize,
) -> std::result::Result<Piece, (u64, Problem)> {
    let mut piece = Piece::default();
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |o| start + o);
        let mut line = &bytes[start..end];
        start = end + 1;
        piece.line_count += 1;
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        if line.is_empty() {
            continue;
        }
        let line_number = piece.line_count;
        let fail = |problem| (line_number, problem);
        let name_end = memchr(delimiter, line).unwrap_or(line.len());
        let name = name_text(&line[..name_end])
            .filter(|n| !n.is_empty())
            .ok_or_else(|| fail(Problem::BadName))?;
        let mut column = 0usize;
        // Index scan: whole numbers are parsed in the same pass that finds the delimiter;
        // anything else falls back to `parse_value` on the field.
        let mut at = name_end + 1;
        let mut more = name_end < line.len();
        while more {
            if column >= n_values {
                return Err(fail(Problem::Ragged(
                    1 + memchr_iter(delimiter, line).count(),
                )));
            }
            let field_start = at;
            let mut whole = 0u32;
            while at < line.len() && line[at].is_ascii_digit() && at - field_start < 9 {
                whole = whole * 10 + u32::from(line[at] - b'0');
                at += 1;
            }
            let value = if at > field_start && (at == line.len() || line[at] == delimiter) {
                whole as f32
            } else {
                let field_end = memchr(delimiter, &line[at..]).map_or(line.len(), |o| at + o);
                let field = &line[field_start..field_end];
                at = field_end;
                let value = parse_value(field).map_err(|problem| {
                    let text = String::from_utf8_lossy(field).into_owned();
                    fail(match problem {
                        ValueProblem::NotNumber => Problem::NotNumber { column, text },
                        ValueProblem::NonFinite => Problem::NonFinite { column, text },
                        ValueProblem::Negative => Problem::Negative { column, text },
                    })
                })?;
                if value.fract() != 0.0 && piece.fraction.is_none() {
                    piece.fraction = Some(Fraction {
                        line: line_number,
                        column,
                        value,
                    });
                }
                value
            };
            if value != 0.0 {
                piece.packed.push(column as u32, value);
            }
            column += 1;
            more = at < line.len();
            at += 1;
        }
        if column != n_values {
            return Err(fail(Problem::Ragged(1 + column)));
        }
        piece.names.push(name);
        piece.lines.push(line_number);
        piece.packed.end_row();
    }
    Ok(piece)
}

/// Why a field is not a usable value.
enum ValueProblem {
    NotNumber,
    NonFinite,
    Negative,
}

/// Whole numbers take a digit loop; anything else goes to the standard float parser.
fn parse_value(field: &[u8]) -> std::result::Result<f32, ValueProblem> {
    if !field.is_empty() && field.len() <= 9 && field.iter().all(u8::is_ascii_digit) {
        let mut value = 0u32;
        for &digit in field {
            value = value * 10 + u32::from(digit - b'0');
        }
        return Ok(value as f32);
    }
    let text = std::str::from_utf8(field).map_err(|_| ValueProblem::NotNumber)?;
    let text = text.trim_matches(|c| c == ' ' || c == '"');
    let value: f32 = text.parse().map_err(|_| ValueProblem::NotNumber)?;
    if !value.is_finite() {
        return Err(ValueProblem::NonFinite);
    }
    if value < 0.0 {
        return Err(ValueProblem::Negative);
    }
    Ok(value)
}

/// A name field as text, surrounding spaces and CSV double quotes removed.
fn name_text(field: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(field).ok()?.trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    Some(text.to_string())
}

fn trim_line_end(line: &mut Vec<u8>) {
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
}

/// Errors on the first repeated name; `line` is where all the names are.
pub(crate) fn check_unique(names: &[String], file: &str, line: u64, kind: &str) -> Result<()> {
    let mut seen = HashSet::with_capacity(names.len());
    for name in names {
        if !seen.insert(name.as_str()) {
            return Err(Error::DuplicateName {
                at: Where::line(file, line),
                kind: kind.into(),
                name: name.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
