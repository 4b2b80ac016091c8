//! The first layer's products when its input is mostly zeros: one-hot alignment columns
//! (1 value in 21), sparse counts. A dense product spends 2 · n_in flops per row and output;
//! here only the non-zeros are visited, so x Wᵀ and ∂W = ∂yᵀ x cost the stored values times
//! the outputs. Only for data (no ∂x): the input is read once per minibatch.

/// The largest share of non-zero values at which [`SparseRows`] is used. A visited non-zero
/// costs a gathered load (forward) or a scattered add (backward) where gemm does a
/// vectorised multiply-add per value, several times cheaper; so the bound sits a little above
/// one-hot amino acids (1 in 21), where it was measured to pay (bench/README.md, "Issue 18's
/// speed points"). The break-even density itself was not measured.
pub(crate) const MAX_DENSITY: f64 = 0.07;

/// The non-zero values of a dense row-major block, row by row (compressed sparse rows).
pub(crate) struct SparseRows {
    /// Row r's values are `starts[r]..starts[r + 1]`.
    starts: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f32>,
    /// Every stored value is 1 (one-hot rows): the forward product adds the gathered weights
    /// without multiplying them by 1, which gives the same bits.
    ones: bool,
}

impl SparseRows {
    /// The non-zeros of `x` (rows of `n_cols`), or `None` when more than `max_density` of its
    /// values are non-zero (or a column index would not fit in 32 bits).
    pub(crate) fn of(x: &[f32], n_cols: usize, max_density: f64) -> Option<Self> {
        if n_cols == 0 || u32::try_from(n_cols).is_err() {
            return None;
        }
        let nonzero = x.iter().filter(|&&v| v != 0.0).count();
        if nonzero as f64 > max_density * x.len() as f64 {
            return None;
        }
        let mut starts = Vec::with_capacity(x.len() / n_cols + 1);
        let mut columns = Vec::with_capacity(nonzero);
        let mut values = Vec::with_capacity(nonzero);
        starts.push(0);
        for row in x.chunks_exact(n_cols) {
            for (column, &value) in row.iter().enumerate() {
                if value != 0.0 {
                    columns.push(column as u32);
                    values.push(value);
                }
            }
            starts.push(columns.len());
        }
        let ones = values.iter().all(|&v| v == 1.0);
        Some(Self {
            starts,
            columns,
            values,
            ones,
        })
    }

    /// Rows of the block.
    fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// Row r's column indices and values.
    fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let range = self.starts[r]..self.starts[r + 1];
        (&self.columns[range.clone()], &self.values[range])
    }

    /// x Wᵀ + b, `[rows, n_out]`, for `weight` `[n_out, n_in]` and `bias` `[n_out]`. Outputs
    /// go [`TILE`] at a time: their weight rows stay in cache while every row of x gathers from
    /// them, and each row's column indices (and values) are read once per tile.
    pub(crate) fn linear(&self, weight: &[f32], bias: &[f32], n_in: usize) -> Vec<f32> {
        let n_out = bias.len();
        let mut y = vec![0f32; self.rows() * n_out];
        let tiles = weight.chunks(n_in * TILE).zip(bias.chunks(TILE));
        for (tile, (w, b)) in tiles.enumerate() {
            let w: Vec<&[f32]> = w.chunks_exact(n_in).collect();
            // a full tile, or the last, partial one (then one output at a time)
            let full = <[&[f32]; TILE]>::try_from(w.as_slice()).ok();
            for (r, y) in y.chunks_exact_mut(n_out).enumerate() {
                let (columns, values) = self.row(r);
                let out = &mut y[tile * TILE..tile * TILE + b.len()];
                match full {
                    Some(w) if self.ones => add_dots::<TILE, true>(out, b, w, columns, values),
                    Some(w) => add_dots::<TILE, false>(out, b, w, columns, values),
                    None => {
                        for (t, &w) in w.iter().enumerate() {
                            add_dots::<1, false>(&mut out[t..=t], &b[t..=t], [w], columns, values);
                        }
                    }
                }
            }
        }
        y
    }

    /// ∂W = ∂yᵀ x, `[n_out, n_in]`, for `grad` = ∂y `[rows, n_out]`.
    pub(crate) fn weight_gradient(&self, grad: &[f32], n_out: usize, n_in: usize) -> Vec<f32> {
        let mut d_weight = vec![0f32; n_out * n_in];
        for (o, d_row) in d_weight.chunks_exact_mut(n_in).enumerate() {
            for r in 0..self.rows() {
                let g = grad[r * n_out + o];
                if g == 0.0 {
                    continue;
                }
                let (columns, values) = self.row(r);
                for (&column, &value) in columns.iter().zip(values) {
                    d_row[column as usize] += g * value;
                }
            }
        }
        d_weight
    }
}

/// Outputs whose forward products [`SparseRows::linear`] computes together.
const TILE: usize = 4;

/// out[t] = b[t] + Σₖ wₜ[columns[k]] · values[k] for each of the T weight rows wₜ, each sum in
/// four interleaved partial sums (independent add chains) joined as (s₀ + s₁) + (s₂ + s₃) + the
/// remainder's sum: the same order whatever T, so a value does not depend on its tile. With
/// ONES every value is 1 and the products are the gathered weights themselves (w · 1 = w).
fn add_dots<const T: usize, const ONES: bool>(
    out: &mut [f32],
    b: &[f32],
    w: [&[f32]; T],
    columns: &[u32],
    values: &[f32],
) {
    let mut sums = [[0f32; 4]; T];
    let mut column_chunks = columns.chunks_exact(4);
    let mut value_chunks = values.chunks_exact(4);
    for (c, v) in (&mut column_chunks).zip(&mut value_chunks) {
        for (sums, w) in sums.iter_mut().zip(&w) {
            for k in 0..4 {
                let gathered = w[c[k] as usize];
                sums[k] += if ONES { gathered } else { gathered * v[k] };
            }
        }
    }
    let rest_columns = column_chunks.remainder();
    let rest_values = value_chunks.remainder();
    for (((out, &b), s), w) in out.iter_mut().zip(b).zip(sums).zip(w) {
        let mut rest = 0f32;
        for (&c, &v) in rest_columns.iter().zip(rest_values) {
            rest += w[c as usize] * v;
        }
        *out = b + ((s[0] + s[1]) + (s[2] + s[3]) + rest);
    }
}

#[cfg(test)]
mod tests {
    use super::SparseRows;

    /// Two rows of five columns (4 non-zeros of 10), W [3, 5], b [3]: x Wᵀ + b and ∂yᵀ x worked
    /// by hand.
    #[test]
    fn products_match_the_dense_ones_by_hand() {
        let x = [0.0, 1.0, 0.0, 0.0, 2.0, 3.0, 0.0, 0.0, 0.0, -1.0];
        assert!(SparseRows::of(&x, 5, 0.3).is_none(), "40% non-zero");
        let sparse = SparseRows::of(&x, 5, 0.4).expect("40% non-zero allowed");
        let weight = [
            1.0, 2.0, 3.0, 4.0, 5.0, //
            -1.0, 0.5, 0.0, 0.0, 1.0, //
            0.0, 0.0, 0.0, 0.0, 0.0,
        ];
        let bias = [0.5, 0.0, -1.0];
        // row 0: x1 + 2·x4 → 2 + 10, 0.5 + 2, 0; row 1: 3·x0 − x4 → 3 − 5, −3 − 1, 0
        assert_eq!(
            sparse.linear(&weight, &bias, 5),
            vec![12.5, 2.5, -1.0, -1.5, -4.0, -1.0]
        );
        let grad = [1.0, 2.0, 0.0, -1.0, 0.5, 3.0];
        // ∂W[o, j] = Σ_r grad[r, o] · x[r, j]
        assert_eq!(
            sparse.weight_gradient(&grad, 3, 5),
            vec![
                -3.0, 1.0, 0.0, 0.0, 3.0, //
                1.5, 2.0, 0.0, 0.0, 3.5, //
                9.0, 0.0, 0.0, 0.0, -3.0,
            ]
        );
    }

    /// Outputs in a full tile, in the last partial one and alone give the same bits, for
    /// one-hot rows (values all 1) and for other values; and they match the dense product.
    #[test]
    fn an_output_does_not_depend_on_its_tile() {
        let (n_in, n_out, rows) = (126, 7, 3);
        let weight: Vec<f32> = (0..n_in * n_out)
            .map(|i| ((i * 37) % 101) as f32 / 7.0 - 6.0)
            .collect();
        let bias: Vec<f32> = (0..n_out).map(|o| o as f32 * 0.3 - 1.0).collect();
        for scale in [1.0f32, 0.7] {
            // 1: every value 1 (the one-hot path); 0.7: the general one
            // rows of six 21-value blocks, one non-zero in each (one-hot amino acids): a chunk of
            // four and a remainder of two
            let mut x = vec![0f32; rows * n_in];
            for r in 0..rows {
                for block in 0..6 {
                    x[r * n_in + block * 21 + (5 * r + 3 * block) % 21] = scale;
                }
            }
            let sparse = SparseRows::of(&x, n_in, 0.1).expect("6 of 126 non-zero");
            let y = sparse.linear(&weight, &bias, n_in);
            for o in 0..n_out {
                let w = &weight[o * n_in..(o + 1) * n_in];
                let alone = sparse.linear(w, &bias[o..=o], n_in);
                for r in 0..rows {
                    assert_eq!(
                        y[r * n_out + o].to_bits(),
                        alone[r].to_bits(),
                        "r {r}, o {o}"
                    );
                    let dense: f32 =
                        bias[o] + (0..n_in).map(|j| w[j] * x[r * n_in + j]).sum::<f32>();
                    assert!((y[r * n_out + o] - dense).abs() < 1e-4, "r {r}, o {o}");
                }
            }
        }
    }

    /// Sums of more than four non-zeros (the interleaved chunks and their remainder).
    #[test]
    fn long_rows_sum_every_value() {
        let x: Vec<f32> = (0..40)
            .map(|i| if i % 4 == 0 { i as f32 } else { 0.0 })
            .collect();
        let sparse = SparseRows::of(&x, 40, 0.25).expect("a quarter non-zero");
        let weight: Vec<f32> = (0..40).map(|j| (j % 3) as f32).collect();
        let expected: f32 = (0..40).map(|j| x[j] * weight[j]).sum();
        assert_eq!(sparse.linear(&weight, &[0.0], 40), vec![expected]);
    }
}
