//! Collects Matrix Market entries straight into CSR arrays (rows = barcodes), without a
//! triplet copy.
//!
//! Cell Ranger writes its entries sorted by barcode, features ascending within: then every
//! entry is appended where it belongs and reading takes 8 bytes per stored value. Any other
//! order also records each entry's row (4 bytes more) and is put in CSR order in place at
//! the end, so the peak stays at 12 bytes per stored value.

/// A (row, column) pair given twice; `row` and `col` are 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Repeat {
    pub row: u32,
    pub col: u32,
}

/// Entries of an `n_rows`-row sparse matrix, pushed in any order.
pub(super) struct Entries {
    /// Entries per row, at `row + 1` (the row pointers once summed).
    row_counts: Vec<usize>,
    cols: Vec<u32>,
    values: Vec<f32>,
    /// Each entry's row; filled only once an entry arrives out of CSR order.
    rows: Vec<u32>,
    in_order: bool,
    last: Option<(u32, u32)>,
}

/// Row pointers, column indices and values of a CSR matrix.
pub(super) type CsrParts = (Vec<usize>, Vec<u32>, Vec<f32>);

impl Entries {
    /// Room for `expected` entries is reserved when the allocator grants it (a file's size
    /// line is only a promise; the reservation is address space, touched as entries come).
    pub fn new(n_rows: usize, expected: usize) -> Self {
        let mut cols = Vec::new();
        let mut values = Vec::new();
        if cols.try_reserve_exact(expected).is_err() || values.try_reserve_exact(expected).is_err()
        {
            cols = Vec::new();
            values = Vec::new();
        }
        Self {
            row_counts: vec![0; n_rows + 1],
            cols,
            values,
            rows: Vec::new(),
            in_order: true,
            last: None,
        }
    }

    /// Adds one entry; the same (row, column) as the entry just before is a [`Repeat`].
    /// `row` must be below `n_rows`.
    pub fn push(&mut self, row: u32, col: u32, value: f32) -> Result<(), Repeat> {
        match self.last {
            Some(last) if last == (row, col) => return Err(Repeat { row, col }),
            Some((last_row, last_col)) if self.in_order && (row, col) < (last_row, last_col) => {
                self.leave_order();
            }
            _ => {}
        }
        if !self.in_order {
            self.rows.push(row);
        }
        self.last = Some((row, col));
        self.row_counts[row as usize + 1] += 1;
        self.cols.push(col);
        self.values.push(value);
        Ok(())
    }

    /// The entries so far were in CSR order: write down their rows.
    fn leave_order(&mut self) {
        self.in_order = false;
        if self.rows.try_reserve_exact(self.cols.capacity()).is_err() {
            self.rows.reserve(self.cols.len());
        }
        for (row, &count) in self.row_counts[1..].iter().enumerate() {
            self.rows.extend(std::iter::repeat_n(row as u32, count));
        }
    }

    /// CSR arrays, columns increasing within each row; a (row, column) pair stored twice is
    /// a [`Repeat`] (the first such pair in row order).
    pub fn finish(mut self) -> Result<CsrParts, Repeat> {
        let mut indptr = self.row_counts;
        for row in 1..indptr.len() {
            indptr[row] += indptr[row - 1];
        }
        if self.in_order {
            return Ok((indptr, self.cols, self.values));
        }
        // In-place bucket permutation by row (American flag sort): each swap moves one
        // entry to its row's next free slot for good.
        let mut next = indptr[..indptr.len() - 1].to_vec();
        for row in 0..next.len() {
            while next[row] < indptr[row + 1] {
                let at = next[row];
                let home = self.rows[at] as usize;
                let slot = next[home];
                next[home] += 1;
                if slot != at {
                    self.rows.swap(at, slot);
                    self.cols.swap(at, slot);
                    self.values.swap(at, slot);
                }
            }
        }
        drop(self.rows);
        let mut pairs = Vec::new();
        for (row, bounds) in indptr.windows(2).enumerate() {
            let span = bounds[0]..bounds[1];
            pairs.clear();
            pairs.extend(
                self.cols[span.clone()]
                    .iter()
                    .copied()
                    .zip(self.values[span.clone()].iter().copied()),
            );
            pairs.sort_unstable_by_key(|pair| pair.0);
            if let Some(pair) = pairs.windows(2).find(|pair| pair[0].0 == pair[1].0) {
                return Err(Repeat {
                    row: row as u32,
                    col: pair[0].0,
                });
            }
            for ((col, value), (c, v)) in self.cols[span.clone()]
                .iter_mut()
                .zip(&mut self.values[span])
                .zip(&pairs)
            {
                *col = *c;
                *value = *v;
            }
        }
        Ok((indptr, self.cols, self.values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(n_rows: usize, entries: &[(u32, u32, f32)]) -> Result<CsrParts, Repeat> {
        let mut collected = Entries::new(n_rows, entries.len());
        for &(row, col, value) in entries {
            collected.push(row, col, value)?;
        }
        collected.finish()
    }

    #[test]
    fn sorted_entries_become_csr_as_they_come() {
        let (indptr, cols, values) = collect(3, &[(0, 1, 1.0), (0, 4, 2.0), (2, 0, 3.0)]).unwrap();
        assert_eq!(indptr, [0, 2, 2, 3]);
        assert_eq!(cols, [1, 4, 0]);
        assert_eq!(values, [1.0, 2.0, 3.0]);
    }

    #[test]
    fn any_order_gives_the_same_csr() {
        // Sorted by column (feature-major), and shuffled: both give the sorted result.
        let sorted = [
            (0, 1, 1.0),
            (0, 4, 2.0),
            (1, 2, 5.0),
            (2, 0, 3.0),
            (2, 4, 4.0),
        ];
        let by_col = [
            (2, 0, 3.0),
            (0, 1, 1.0),
            (1, 2, 5.0),
            (0, 4, 2.0),
            (2, 4, 4.0),
        ];
        let shuffled = [
            (2, 4, 4.0),
            (0, 4, 2.0),
            (2, 0, 3.0),
            (1, 2, 5.0),
            (0, 1, 1.0),
        ];
        let expected = collect(3, &sorted).unwrap();
        assert_eq!(collect(3, &by_col).unwrap(), expected);
        assert_eq!(collect(3, &shuffled).unwrap(), expected);
    }

    #[test]
    fn repeats_are_found_next_to_each_other_and_after_sorting() {
        let next_to = collect(2, &[(0, 1, 1.0), (0, 1, 2.0)]).unwrap_err();
        assert_eq!(next_to, Repeat { row: 0, col: 1 });
        let apart = collect(2, &[(1, 3, 1.0), (0, 1, 2.0), (1, 3, 2.0)]).unwrap_err();
        assert_eq!(apart, Repeat { row: 1, col: 3 });
    }

    #[test]
    fn an_impossible_reservation_is_skipped() {
        let mut entries = Entries::new(1, usize::MAX);
        entries.push(0, 0, 1.0).unwrap();
        assert_eq!(entries.finish().unwrap().1, [0]);
    }
}
