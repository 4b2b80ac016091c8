//! The two products of an affine layer that involve its data input, x Wᵀ and (∂y)ᵀ x, when
//! most of x is zero: a protein alignment's one-hot encoding has one non-zero in 21, so the
//! dense products of the first encoder layer (an 8,000 × 250 family: 5,250 inputs × 2,000
//! outputs, a third of a training step's multiply-adds) were 95% multiplications by zero.
//!
//! Each output element is one sum over the non-zeros in ascending order, computed by one
//! task: the result does not depend on the thread count.

use rayon::prelude::*;

/// Output rows of W (or ∂W) per parallel task.
const OUTPUTS_PER_TASK: usize = 32;

/// Sums computed side by side (∂W: outputs; x Wᵀ: interleaved partial sums of one output):
/// independent additions overlap, where one running sum waited on every addition.
const LANES: usize = 8;

/// At most this fraction of non-zeros (as 1 / value) takes the sparse path.
const MAX_DENSITY_INVERSE: usize = 16;

/// The non-zeros of a row-major [rows, cols] matrix, row by row.
pub(crate) struct SparseRows {
    rows: usize,
    cols: usize,
    /// Where each row's entries start in `cols_of`/`values` (one more entry than rows).
    starts: Vec<usize>,
    /// Each non-zero's column.
    cols_of: Vec<u32>,
    /// Each non-zero's value.
    values: Vec<f32>,
}

impl SparseRows {
    /// The non-zeros of `values` ([rows, cols], row-major), or None when more than one in
    /// `MAX_DENSITY_INVERSE` is non-zero (dense products are faster there).
    pub(crate) fn of(values: &[f32], cols: usize) -> Option<Self> {
        if cols == 0 || cols > u32::MAX as usize || !values.len().is_multiple_of(cols) {
            return None;
        }
        let non_zeros = values.iter().filter(|v| **v != 0.0).count();
        if non_zeros * MAX_DENSITY_INVERSE > values.len() {
            return None;
        }
        let rows = values.len() / cols;
        let mut sparse = Self {
            rows,
            cols,
            starts: Vec::with_capacity(rows + 1),
            cols_of: Vec::with_capacity(non_zeros),
            values: Vec::with_capacity(non_zeros),
        };
        sparse.starts.push(0);
        for row in values.chunks_exact(cols) {
            for (col, &v) in row.iter().enumerate().filter(|(_, v)| **v != 0.0) {
                sparse.cols_of.push(col as u32);
                sparse.values.push(v);
            }
            sparse.starts.push(sparse.values.len());
        }
        Some(sparse)
    }

    /// x Wᵀ + b, [rows, n_out], for `weight` [n_out, cols] and `bias` [n_out].
    pub(crate) fn times_transposed(&self, weight: &[f32], bias: &[f32]) -> Vec<f32> {
        let n_out = bias.len();
        debug_assert_eq!(weight.len(), n_out * self.cols);
        // Output-major first: each task reads its rows of W once, while they are in cache.
        let mut transposed = vec![0f32; n_out * self.rows];
        transposed
            .par_chunks_mut(self.rows * OUTPUTS_PER_TASK)
            .zip(weight.par_chunks(self.cols * OUTPUTS_PER_TASK))
            .for_each(|(out, weight)| {
                // One row of W (5,250 floats: in L1) against every row of x.
                for (out, w) in out
                    .chunks_exact_mut(self.rows)
                    .zip(weight.chunks_exact(self.cols))
                {
                    for (row, o) in out.iter_mut().enumerate() {
                        *o = self.dot(row, w);
                    }
                }
            });
        let mut out = vec![0f32; self.rows * n_out];
        for (row, out) in out.chunks_exact_mut(n_out).enumerate() {
            for ((o, &b), column) in out
                .iter_mut()
                .zip(bias)
                .zip(transposed.chunks_exact(self.rows))
            {
                *o = column[row] + b;
            }
        }
        out
    }

    /// (∂y)ᵀ x, [n_out, cols], for `grad` [rows, n_out].
    pub(crate) fn gradient_product(&self, grad: &[f32], n_out: usize) -> Vec<f32> {
        debug_assert_eq!(grad.len(), self.rows * n_out);
        let mut grad_t = vec![0f32; n_out * self.rows];
        for (row, g) in grad.chunks_exact(n_out).enumerate() {
            for (o, &g) in g.iter().enumerate() {
                grad_t[o * self.rows + row] = g;
            }
        }
        let by_col = self.by_column();
        let mut out = vec![0f32; n_out * self.cols];
        out.par_chunks_mut(self.cols * OUTPUTS_PER_TASK)
            .zip(grad_t.par_chunks(self.rows * OUTPUTS_PER_TASK))
            .for_each(|(out, grad_t)| {
                let cols = out.chunks_mut(self.cols * LANES);
                for (out, grad_t) in cols.zip(grad_t.chunks(self.rows * LANES)) {
                    sums_over_entries(&by_col, grad_t, self.rows, out);
                }
            });
        out
    }

    /// Σ over row `row`'s entries of value · dense[column], in `LANES` interleaved partial
    /// sums (entry i into sum i mod `LANES`) added in order at the end.
    fn dot(&self, row: usize, dense: &[f32]) -> f32 {
        let range = self.starts[row]..self.starts[row + 1];
        let (cols, values) = (&self.cols_of[range.clone()], &self.values[range]);
        let mut sums = [0f32; LANES];
        let whole = cols.len() / LANES * LANES;
        for (cols, values) in cols[..whole]
            .chunks_exact(LANES)
            .zip(values[..whole].chunks_exact(LANES))
        {
            for ((sum, &col), &v) in sums.iter_mut().zip(cols).zip(values) {
                *sum += v * dense[col as usize];
            }
        }
        for ((sum, &col), &v) in sums.iter_mut().zip(&cols[whole..]).zip(&values[whole..]) {
            *sum += v * dense[col as usize];
        }
        sums.iter().sum()
    }

    /// The transpose (columns as rows), entries of each column in ascending row order.
    fn by_column(&self) -> Self {
        let mut starts = vec![0usize; self.cols + 1];
        for &col in &self.cols_of {
            starts[col as usize + 1] += 1;
        }
        for col in 0..self.cols {
            starts[col + 1] += starts[col];
        }
        let mut next = starts.clone();
        let mut rows_of = vec![0u32; self.values.len()];
        let mut values = vec![0f32; self.values.len()];
        for row in 0..self.rows {
            for entry in self.starts[row]..self.starts[row + 1] {
                let slot = &mut next[self.cols_of[entry] as usize];
                rows_of[*slot] = row as u32;
                values[*slot] = self.values[entry];
                *slot += 1;
            }
        }
        Self {
            rows: self.cols,
            cols: self.rows,
            starts,
            cols_of: rows_of,
            values,
        }
    }
}

/// For each of up to `LANES` dense rows of `dense` (rows of `width`) and each row of `sparse`:
/// Σ over that sparse row's entries (ascending) of value · dense[entry's column], into `out`
/// (one row of `sparse.rows` sums per dense row).
fn sums_over_entries(sparse: &SparseRows, dense: &[f32], width: usize, out: &mut [f32]) {
    let n_dense = dense.len() / width;
    // Missing lanes repeat the first row: computed, never written.
    let lanes: [&[f32]; LANES] = std::array::from_fn(|lane| {
        let lane = if lane < n_dense { lane } else { 0 };
        &dense[lane * width..(lane + 1) * width]
    });
    for row in 0..sparse.rows {
        let range = sparse.starts[row]..sparse.starts[row + 1];
        let mut sums = [0f32; LANES];
        for (&col, &v) in sparse.cols_of[range.clone()]
            .iter()
            .zip(&sparse.values[range])
        {
            for (sum, lane) in sums.iter_mut().zip(lanes) {
                *sum += v * lane[col as usize];
            }
        }
        for (lane, sum) in sums.iter().take(n_dense).enumerate() {
            out[lane * sparse.rows + row] = *sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SparseRows;

    /// x [3, 40] with 5 non-zeros (one with a fractional value), W [2, 40], b, ∂y [3, 2].
    fn inputs() -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let mut x = vec![0f32; 3 * 40];
        for (i, v) in [
            (0, 1.0),
            (7, 1.0),
            (40 + 7, 0.5),
            (40 + 39, 1.0),
            (80 + 20, -2.0),
        ] {
            x[i] = v;
        }
        let weight: Vec<f32> = (0..80)
            .map(|i| ((i * 37) % 11) as f32 * 0.25 - 1.0)
            .collect();
        (
            x,
            weight,
            vec![0.5, -1.5],
            vec![1.0, -2.0, 0.25, 3.0, -0.5, 4.0],
        )
    }

    /// Both products equal the dense definitions computed in f64 here (exact: every term
    /// and partial sum is a multiple of 1/8 well within f32's precision).
    #[test]
    fn products_equal_the_dense_definitions() {
        let (x, weight, bias, grad) = inputs();
        let sparse = SparseRows::of(&x, 40).expect("sparse enough");
        let y = sparse.times_transposed(&weight, &bias);
        for r in 0..3 {
            for o in 0..2 {
                let dense: f64 = (0..40)
                    .map(|k| f64::from(x[r * 40 + k]) * f64::from(weight[o * 40 + k]))
                    .sum::<f64>()
                    + f64::from(bias[o]);
                assert_eq!(f64::from(y[r * 2 + o]), dense, "y[{r}, {o}]");
            }
        }
        let d_weight = sparse.gradient_product(&grad, 2);
        for o in 0..2 {
            for k in 0..40 {
                let dense: f64 = (0..3)
                    .map(|r| f64::from(grad[r * 2 + o]) * f64::from(x[r * 40 + k]))
                    .sum();
                assert_eq!(f64::from(d_weight[o * 40 + k]), dense, "dW[{o}, {k}]");
            }
        }
    }

    #[test]
    fn dense_or_ragged_inputs_take_the_dense_path() {
        assert!(SparseRows::of(&[1.0; 40], 40).is_none());
        assert!(SparseRows::of(&[0.0; 41], 40).is_none());
        assert!(SparseRows::of(&[], 0).is_none());
    }
}
