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
//! Lines are parsed in parallel, block by block, while the next block is read.
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
    if options.require_counts && !rows.integral {
        return Err(table.not_whole(&rows));
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
    sparse: SparseLines,
    /// Every value is a non-negative whole number.
    integral: bool,
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
            sparse: SparseLines {
                row_ends: vec![0],
                indices: Vec::new(),
                values: Vec::new(),
            },
            integral: true,
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

    /// The error for counts required but a fraction found, naming the first one.
    fn not_whole(&self, rows: &Rows) -> Error {
        let sparse = &rows.sparse;
        let at = sparse
            .values
            .iter()
            .position(|v| v.fract() != 0.0)
            .unwrap_or(0);
        let row = sparse.row_ends.partition_point(|&end| end <= at) - 1;
        Error::invalid(
            Where::line(self.name, rows.lines[row]),
            format!(
                "value {} in column '{}' is not a whole number",
                sparse.values[at], self.column_names[sparse.indices[at] as usize]
            ),
            "give raw integer counts (not normalised values) for count likelihoods",
        )
    }
}

impl Rows {
    /// Appends a parsed piece whose lines are counted from `line_base`; returns its line
    /// count.
    fn append(&mut self, piece: Piece, line_base: u64) -> u64 {
        let sparse = &mut self.sparse;
        let offset = sparse.indices.len();
        self.names.extend(piece.names);
        self.lines
            .extend(piece.lines.iter().map(|&l| line_base + l));
        sparse
            .row_ends
            .extend(piece.row_ends.iter().map(|&end| offset + end));
        sparse.indices.extend_from_slice(&piece.indices);
        sparse.values.extend_from_slice(&piece.values);
        self.integral &= piece.integral;
        piece.line_count
    }
}

/// Observations × features: sparse CSR for whole numbers, dense otherwise.
fn into_matrix(rows: Rows, column_names: Vec<String>, transpose: bool) -> Result<FeatureMatrix> {
    let n_values = column_names.len();
    let (row_names, col_names, sparse) = if transpose {
        (rows.names, column_names, rows.sparse)
    } else {
        (column_names, rows.names, rows.sparse.transpose(n_values))
    };
    if rows.integral {
        FeatureMatrix::from_csr(
            row_names,
            col_names,
            sparse.row_ends,
            sparse.indices,
            sparse.values,
        )
    } else {
        let n_cols = col_names.len();
        let mut dense = vec![0.0f32; row_names.len() * n_cols];
        for (row, bounds) in sparse.row_ends.windows(2).enumerate() {
            for at in bounds[0]..bounds[1] {
                dense[row * n_cols + sparse.indices[at] as usize] = sparse.values[at];
            }
        }
        FeatureMatrix::from_dense(row_names, col_names, dense)
    }
}

/// Nonzeros of consecutive lines: line `r` holds `indices/values[row_ends[r]..row_ends[r+1]]`.
struct SparseLines {
    row_ends: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl SparseLines {
    /// Swaps the axes (counting sort; column order within rows stays increasing).
    fn transpose(self, n_cols: usize) -> SparseLines {
        let mut counts = vec![0usize; n_cols + 1];
        for &col in &self.indices {
            counts[col as usize + 1] += 1;
        }
        for col in 0..n_cols {
            counts[col + 1] += counts[col];
        }
        let row_ends = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.indices.len()];
        let mut values = vec![0f32; self.values.len()];
        for (row, bounds) in self.row_ends.windows(2).enumerate() {
            for at in bounds[0]..bounds[1] {
                let col = self.indices[at] as usize;
                indices[next[col]] = row as u32;
                values[next[col]] = self.values[at];
                next[col] += 1;
            }
        }
        SparseLines {
            row_ends,
            indices,
            values,
        }
    }
}

/// Reads about [`BLOCK_BYTES`] after `carry`; returns (whole lines, the unfinished last line, end reached).
fn read_block(
    reader: &mut (dyn BufRead + Send),
    carry: Vec<u8>,
) -> std::io::Result<(Vec<u8>, Vec<u8>, bool)> {
    let mut block = carry;
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
    row_ends: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
    line_count: u64,
    integral: bool,
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
    let mut piece = Piece {
        integral: true,
        ..Piece::default()
    };
    piece.row_ends.reserve(bytes.len() / (n_values * 2 + 8) + 1);
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
                piece.integral &= value.fract() == 0.0;
                value
            };
            if value != 0.0 {
                piece.indices.push(column as u32);
                piece.values.push(value);
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
        piece.row_ends.push(piece.indices.len());
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
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::matrix::Storage;
    use crate::testdata::testdata;

    fn read(text: &str, options: &ExpressionOptions) -> Result<FeatureMatrix> {
        let input = input::from_reader("t.tsv", Cursor::new(text.as_bytes().to_vec()))?;
        read_expression_from(input, options)
    }

    #[test]
    fn genes_by_cells_tsv_becomes_sparse_cells_by_genes() {
        let matrix = read(
            "gene\tc1\tc2\tc3\ng1\t0\t5\t0\ng2\t2\t0\t1\r\n",
            &ExpressionOptions::default(),
        )
        .unwrap();
        assert_eq!(matrix.row_names(), ["c1", "c2", "c3"]);
        assert_eq!(matrix.col_names(), ["g1", "g2"]);
        assert_eq!(matrix.to_dense(), [0.0, 2.0, 5.0, 0.0, 0.0, 1.0]);
        assert!(matches!(matrix.storage(), Storage::Sparse(_)));
    }

    #[test]
    fn transpose_csv_with_floats_is_dense() {
        let options = ExpressionOptions {
            transpose: true,
            ..ExpressionOptions::default()
        };
        let matrix = read("\"\",\"g1\",\"g2\"\n\"c1\",0.5,2\nc2,1e1,0\n", &options).unwrap();
        assert_eq!(matrix.row_names(), ["c1", "c2"]);
        assert_eq!(matrix.col_names(), ["g1", "g2"]);
        assert_eq!(matrix.to_dense(), [0.5, 2.0, 10.0, 0.0]);
        assert!(matches!(matrix.storage(), Storage::Dense(_)));
    }

    #[test]
    fn header_without_corner_cell() {
        let matrix = read("c1\tc2\ng1\t1\t2\n", &ExpressionOptions::default()).unwrap();
        assert_eq!(matrix.row_names(), ["c1", "c2"]);
        assert_eq!(matrix.to_dense(), [1.0, 2.0]);
    }

    #[test]
    fn committed_tsv_and_csv_agree() {
        let options = ExpressionOptions::default();
        let tsv = read_expression(testdata("counts.tsv"), &options).unwrap();
        let csv = read_expression(testdata("counts.csv.gz"), &options).unwrap();
        assert_eq!(tsv, csv);
        assert!(tsv.is_integer_counts());
    }

    #[test]
    fn many_blocks_and_pieces_keep_row_order_and_line_numbers() {
        let mut text = String::from("gene\ta\tb\n");
        for gene in 0..5000 {
            text.push_str(&format!("g{gene}\t{gene}\t0\n"));
        }
        let matrix = read(&text, &ExpressionOptions::default()).unwrap();
        assert_eq!(matrix.n_cols(), 5000);
        assert_eq!(matrix.col_names()[4321], "g4321");
        assert_eq!(matrix.to_dense()[4321], 4321.0);
        text.push_str("g5000\t1\tx\n");
        let error = read(&text, &ExpressionOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("t.tsv:line 5002: value 'x' in column 'b'"),
            "{error}"
        );
    }

    #[test]
    fn ragged_row_names_the_line() {
        let error = read(
            "gene\tc1\tc2\ng1\t1\t2\ng2\t1\n",
            &ExpressionOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(
                error,
                Error::Ragged {
                    found: 2,
                    expected: 3,
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().starts_with("t.tsv:line 3:"), "{error}");
        let error = read(
            "gene\tc1\tc2\ng1\t1\t2\ng2\t1\t2\t3\n",
            &ExpressionOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(error, Error::Ragged { found: 4, .. }), "{error}");
    }

    #[test]
    fn non_numeric_value_names_line_and_column() {
        let error = read("gene\tc1\tc2\ng1\t1\tNA\n", &ExpressionOptions::default()).unwrap_err();
        assert_eq!(
            error.to_string().split(" — ").next().unwrap(),
            "t.tsv:line 2: value 'NA' in column 'c2' is not a number"
        );
    }

    #[test]
    fn nan_and_infinity_are_errors() {
        for bad in ["nan", "inf", "-inf"] {
            let error = read(
                &format!("gene\tc1\ng1\t{bad}\n"),
                &ExpressionOptions::default(),
            )
            .unwrap_err();
            assert!(error.to_string().contains("is not finite"), "{error}");
        }
    }

    #[test]
    fn negative_values_are_errors() {
        let error = read("gene\tc1\ng1\t-3\n", &ExpressionOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("value -3 in column 'c1' is negative"),
            "{error}"
        );
    }

    #[test]
    fn non_counts_fail_when_counts_are_required() {
        let options = ExpressionOptions {
            require_counts: true,
            ..ExpressionOptions::default()
        };
        let error = read("gene\tc1\tc2\ng1\t1\t0.25\n", &options).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("t.tsv:line 2: value 0.25 in column 'c2'"),
            "{error}"
        );
    }

    #[test]
    fn duplicate_names_are_errors() {
        let error = read("gene\tc1\tc1\ng1\t1\t2\n", &ExpressionOptions::default()).unwrap_err();
        assert!(matches!(error, Error::DuplicateName { .. }), "{error}");
        let error = read("gene\tc1\ng1\t1\ng1\t2\n", &ExpressionOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("t.tsv:line 3: duplicate feature name 'g1'"),
            "{error}"
        );
    }

    #[test]
    fn empty_inputs_are_errors() {
        assert!(matches!(
            read("", &ExpressionOptions::default()),
            Err(Error::Empty { .. })
        ));
        assert!(matches!(
            read("gene\tc1\n", &ExpressionOptions::default()),
            Err(Error::Empty { .. })
        ));
        let error = read("just_one_column\nx\n", &ExpressionOptions::default()).unwrap_err();
        assert!(error.to_string().contains("no tab or comma"), "{error}");
    }
}
