//! The nonzeros of a table's rows packed at about two bytes each while the file is read,
//! then laid out once as the final CSR (or dense) matrix.
//!
//! A table is features × observations by default, so its rows are the result's columns:
//! holding them as plain `u32`/`f32` arrays and transposing would cost 16 bytes per stored
//! value at the peak. Packed, the parse costs about 2 bytes per value and the finished CSR
//! 8 more, allocated once at its exact size (issue 19: at most 12 bytes per stored value).
//!
//! Each piece is kept in an allocation of its exact size, not appended into one growing
//! buffer: with freed memory kept for reuse (the binary's allocator setting), a growing
//! buffer's old copies and spare capacity stay resident, about as much again as the data.
//!
//! Each stored value is two codes: the number of zeros skipped since the previous value
//! of the row, and the value. A code below [`ESCAPE`] is a byte (a gap of up to 254
//! columns; a whole value 1–254); [`ESCAPE`] is followed by four little-endian bytes (the
//! gap as `u32`, the value's `f32` bits), so every value comes back bit for bit.

/// The byte that announces a four-byte code.
const ESCAPE: u8 = u8::MAX;

/// Rows of nonzeros (one parsed piece of a table), in the order they were pushed.
#[derive(Default)]
pub(super) struct PackedRows {
    bytes: Vec<u8>,
    /// Byte offset of each row's end.
    row_ends: Vec<usize>,
    /// Values stored, all rows.
    n_stored: usize,
    /// Column of the next value in the current row (one past the last pushed).
    next_col: u32,
}

impl PackedRows {
    /// Adds a nonzero `value` at `col` of the current row; columns increase within a row.
    pub(super) fn push(&mut self, col: u32, value: f32) {
        let gap = col - self.next_col;
        match u8::try_from(gap) {
            Ok(gap) if gap < ESCAPE => self.bytes.push(gap),
            _ => self.push_escaped(gap.to_le_bytes()),
        }
        // Whole values below the escape byte (almost every count) take one byte.
        if value.fract() == 0.0 && value > 0.0 && value < f32::from(ESCAPE) {
            self.bytes.push(value as u8);
        } else {
            self.push_escaped(value.to_bits().to_le_bytes());
        }
        self.next_col = col + 1;
        self.n_stored += 1;
    }

    fn push_escaped(&mut self, code: [u8; 4]) {
        self.bytes.push(ESCAPE);
        self.bytes.extend_from_slice(&code);
    }

    /// Ends the current row; the next value starts a new one.
    pub(super) fn end_row(&mut self) {
        self.row_ends.push(self.bytes.len());
        self.next_col = 0;
    }

    /// Number of finished rows.
    fn n_rows(&self) -> usize {
        self.row_ends.len()
    }

    /// The (column, value) pairs of row `row`, columns increasing.
    fn row(&self, row: usize) -> RowValues<'_> {
        let start = if row == 0 { 0 } else { self.row_ends[row - 1] };
        RowValues {
            bytes: &self.bytes[start..self.row_ends[row]],
            next_col: 0,
        }
    }
}

/// A whole table's rows: its pieces in file order.
#[derive(Default)]
pub(super) struct PackedTable {
    pieces: Vec<PackedRows>,
    n_rows: usize,
    n_stored: usize,
}

impl PackedTable {
    /// Adds the rows of the next piece, copied to an exact-size allocation (its parse
    /// buffer, freed, is reused by the next piece's).
    pub(super) fn push(&mut self, mut piece: PackedRows) {
        piece.bytes = piece.bytes.as_slice().to_vec();
        self.n_rows += piece.n_rows();
        self.n_stored += piece.n_stored;
        self.pieces.push(piece);
    }

    /// Every row in order.
    fn rows(&self) -> impl Iterator<Item = RowValues<'_>> {
        self.pieces
            .iter()
            .flat_map(|piece| (0..piece.n_rows()).map(|row| piece.row(row)))
    }

    /// The rows as CSR: row pointers, column indices, values. Each piece is freed once
    /// read, so the packed rows give way to the CSR as it grows.
    pub(super) fn into_csr(self) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
        let mut indptr = Vec::with_capacity(self.n_rows + 1);
        let mut indices = Vec::with_capacity(self.n_stored);
        let mut values = Vec::with_capacity(self.n_stored);
        indptr.push(0);
        for piece in self.pieces {
            for row in 0..piece.n_rows() {
                for (col, value) in piece.row(row) {
                    indices.push(col);
                    values.push(value);
                }
                indptr.push(indices.len());
            }
        }
        (indptr, indices, values)
    }

    /// The transpose as CSR (rows are the `n_cols` columns): a counting pass sizes each
    /// row, then one pass fills the arrays, allocated once; columns come out increasing.
    pub(super) fn to_transposed_csr(&self, n_cols: usize) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
        let mut indptr = vec![0usize; n_cols + 1];
        for row in self.rows() {
            for (col, _) in row {
                indptr[col as usize + 1] += 1;
            }
        }
        for col in 0..n_cols {
            indptr[col + 1] += indptr[col];
        }
        let mut next = indptr[..n_cols].to_vec();
        let mut indices = vec![0u32; self.n_stored];
        let mut values = vec![0f32; self.n_stored];
        for (row, row_values) in self.rows().enumerate() {
            for (col, value) in row_values {
                let slot = &mut next[col as usize];
                indices[*slot] = row as u32;
                values[*slot] = value;
                *slot += 1;
            }
        }
        (indptr, indices, values)
    }

    /// Dense row-major values, `n_cols` per row; `transposed` lays row `r` out as column
    /// `r` of an `n_cols` × `n_rows` matrix instead.
    pub(super) fn to_dense(&self, n_cols: usize, transposed: bool) -> Vec<f32> {
        let n_rows = self.n_rows;
        let mut dense = vec![0f32; n_rows * n_cols];
        for (row, row_values) in self.rows().enumerate() {
            for (col, value) in row_values {
                let at = if transposed {
                    col as usize * n_rows + row
                } else {
                    row * n_cols + col as usize
                };
                dense[at] = value;
            }
        }
        dense
    }
}

/// Iterator over one packed row.
pub(super) struct RowValues<'a> {
    bytes: &'a [u8],
    next_col: u32,
}

impl RowValues<'_> {
    /// The next code: one byte, or four after an [`ESCAPE`].
    fn code(&mut self) -> Code {
        let (&first, rest) = self
            .bytes
            .split_first()
            .expect("a packed row ends after whole (gap, value) pairs");
        if first < ESCAPE {
            self.bytes = rest;
            return Code::Byte(first);
        }
        let (word, rest) = rest
            .split_first_chunk::<4>()
            .expect("an escape byte is followed by four bytes");
        self.bytes = rest;
        Code::Word(u32::from_le_bytes(*word))
    }
}

/// One decoded code.
enum Code {
    Byte(u8),
    Word(u32),
}

impl Iterator for RowValues<'_> {
    type Item = (u32, f32);

    fn next(&mut self) -> Option<(u32, f32)> {
        if self.bytes.is_empty() {
            return None;
        }
        let col = self.next_col
            + match self.code() {
                Code::Byte(gap) => u32::from(gap),
                Code::Word(gap) => gap,
            };
        let value = match self.code() {
            Code::Byte(whole) => f32::from(whole),
            Code::Word(bits) => f32::from_bits(bits),
        };
        self.next_col = col + 1;
        Some((col, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows chosen to hit every code: short and long gaps (254, 255 and more zeros), whole
    /// values below and at the escape byte, fractions, whole values past f32's exact range.
    fn rows() -> Vec<Vec<(u32, f32)>> {
        vec![
            vec![(0, 1.0), (1, 254.0), (255, 255.0), (256, 0.5), (511, 1e9)],
            vec![],
            vec![(254, 3.0), (100_000, 123_456_792.0), (100_001, 7.25)],
            vec![(3, f32::MIN_POSITIVE), (4, 2.0)],
        ]
    }

    fn piece(rows: &[Vec<(u32, f32)>]) -> PackedRows {
        let mut packed = PackedRows::default();
        for row in rows {
            for &(col, value) in row {
                packed.push(col, value);
            }
            packed.end_row();
        }
        packed
    }

    fn table(pieces: &[&[Vec<(u32, f32)>]]) -> PackedTable {
        let mut table = PackedTable::default();
        for rows in pieces {
            table.push(piece(rows));
        }
        table
    }

    #[test]
    fn rows_come_back_bit_for_bit_in_every_layout() {
        let rows = rows();
        // In two pieces, as the parallel parse makes them.
        let all = table(&[&rows[..1], &rows[1..]]);
        assert_eq!(all.n_rows, 4);
        let back: Vec<Vec<_>> = all.rows().map(Iterator::collect).collect();
        assert_eq!(back, rows);

        let n_cols = 100_002;
        let (indptr, indices, values) = all.to_transposed_csr(n_cols);
        assert_eq!(indptr[n_cols], 10);
        assert_eq!(indptr.len(), n_cols + 1);
        let column = |col: usize| {
            let span = indptr[col]..indptr[col + 1];
            (indices[span.clone()].to_vec(), values[span].to_vec())
        };
        assert_eq!(column(254), (vec![2], vec![3.0]));
        assert_eq!(column(4), (vec![3], vec![2.0]));
        assert_eq!(column(100_000), (vec![2], vec![123_456_792.0]));
        assert_eq!(column(7), (vec![], vec![]));

        let (indptr, indices, values) = all.into_csr();
        assert_eq!(indptr, [0, 5, 5, 8, 10]);
        assert_eq!(indices[5..8], [254, 100_000, 100_001]);
        assert_eq!(values[..5], [1.0, 254.0, 255.0, 0.5, 1e9]);

        let small = table(&[&[vec![(0, 1.0), (2, 2.5)]], &[vec![(1, 3.0)]]]);
        assert_eq!(small.to_dense(3, false), [1.0, 0.0, 2.5, 0.0, 3.0, 0.0]);
        assert_eq!(small.to_dense(3, true), [1.0, 0.0, 0.0, 3.0, 2.5, 0.0]);
    }

    #[test]
    fn small_counts_take_two_bytes() {
        let packed = piece(&[vec![(0, 1.0), (3, 17.0), (200, 254.0)]]);
        assert_eq!(packed.bytes.len(), 6);
    }
}
