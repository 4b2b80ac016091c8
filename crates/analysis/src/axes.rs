//! Principal axes of a wide matrix of few rows (genotypes: a few hundred samples × 10⁵
//! sites), by a randomized range finder with power iterations (Halko, Martinsson & Tropp 2011,
//! algorithm 4.4) and Rayleigh–Ritz: each pass over the rows is one f32 product by gemm, the
//! centring is subtracted from the products (no centred copy is made), and only a block of
//! rows is held at a time besides the d × w basis.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::eigen::symmetric_eigen;
use crate::matrix::RowSource;
use crate::pca::{orthonormalize_above, sign_of_largest};

/// Columns added to the basis beyond the axes asked for, so that the last of them converge.
const OVERSAMPLE: usize = 10;

/// Power iterations (each two passes over the rows); randomized SVD's usual 4 for a spectrum
/// that decays slowly, as a genotype matrix's does beyond its population structure.
const POWER_ITERATIONS: usize = 4;

/// Rows read at a time.
const BLOCK_ROWS: usize = 64;

/// The leading principal axes of some rows, centred on their column means (not scaled).
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalAxes {
    /// Column means of the rows, `d` values.
    pub mean: Vec<f32>,
    /// The axes as the columns of a `d × k` row-major matrix, unit length, in decreasing order
    /// of variance; columns beyond the rows' rank are zero.
    pub axes: Vec<f32>,
    /// The leading eigenvalues of the rows' covariance (sum of squares ÷ rows), as the
    /// Rayleigh–Ritz values of the basis: from below, exact for directions well above the
    /// noise, within a few per cent in a flat tail; `k` values, 0 beyond the rank.
    pub variances: Vec<f64>,
}

impl PrincipalAxes {
    /// Number of axes (`k`, zero columns included).
    pub fn n_axes(&self) -> usize {
        self.variances.len()
    }

    /// The scores of row-major `values` (rows of the fitted width) on the axes: rows × k.
    pub fn scores(&self, values: &[f32]) -> Vec<f32> {
        scores(values, &self.mean, &self.axes, self.n_axes())
    }
}

/// (x − mean) · axes for each row x of row-major `values`, the `axes` the columns of a
/// d × `k` row-major matrix (d = `mean.len()`): rows × k, row-major. Computed as x · axes −
/// mean · axes by gemm, each value the same sum on any number of threads.
pub fn scores(values: &[f32], mean: &[f32], axes: &[f32], k: usize) -> Vec<f32> {
    let d = mean.len();
    assert!(
        axes.len() == d * k && (d == 0 || values.len().is_multiple_of(d)),
        "scores: {} values, {} means, {} axis values for {k} axes",
        values.len(),
        d,
        axes.len()
    );
    let rows = values.len().checked_div(d).unwrap_or(0);
    let mut out = vec![0f32; rows * k];
    product(
        &mut out,
        rows,
        k,
        d,
        values,
        (1, d),
        axes,
        (1, k),
        false,
        1.0,
    );
    subtract_mean_products(&mut out, mean, axes, k);
    out
}

/// Subtracts mean · `axes` (the d × `k` row-major `axes`, d = `mean.len()`) from every row of
/// the row-major products x · axes in `out`: the products of the centred rows, without a
/// centred copy.
fn subtract_mean_products(out: &mut [f32], mean: &[f32], axes: &[f32], k: usize) {
    let d = mean.len();
    let mut shift = vec![0f32; k];
    product(&mut shift, 1, k, d, mean, (1, d), axes, (1, k), false, 1.0);
    for row in out.chunks_exact_mut(k.max(1)) {
        for (o, &s) in row.iter_mut().zip(&shift) {
            *o -= s;
        }
    }
}

/// The leading `k` principal axes of `subset` (row indices) of `rows`, from a start drawn with
/// `seed`. Axes beyond the rank of the centred rows (at most `subset.len() − 1`) are zero. The
/// products run on rayon's pool and gemm does not split their sums, so the result is the same
/// on any number of threads. Each axis's sign makes its largest-magnitude loading positive.
pub fn principal_axes(
    rows: &dyn RowSource,
    subset: &[usize],
    k: usize,
    seed: u64,
) -> PrincipalAxes {
    principal_axes_iterated(rows, subset, k, seed, POWER_ITERATIONS)
}

/// [`principal_axes`] with `power_iterations` (at least 1) instead of 4: more for a more exact
/// tail where the spectrum is flat.
pub fn principal_axes_iterated(
    rows: &dyn RowSource,
    subset: &[usize],
    k: usize,
    seed: u64,
    power_iterations: usize,
) -> PrincipalAxes {
    let d = rows.n_cols();
    let n = subset.len();
    let mean = column_means(rows, subset, BLOCK_ROWS);
    let width = (k + OVERSAMPLE).min(n).min(d);
    let mut variances = vec![0.0; k];
    let mut axes = vec![0f32; d * k];
    if width == 0 {
        return PrincipalAxes {
            mean,
            axes,
            variances,
        };
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut basis: Vec<f32> = (0..d * width)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    // with as many columns as rows the first pass already spans the rows' whole row space
    let iterations = if width >= n {
        1
    } else {
        power_iterations.max(1)
    };
    for _ in 0..iterations {
        let mut scores = times_right(rows, subset, &mean, &basis, width); // n × width
        // a column past the rows' rank is set to zero
        orthonormalize_above(&mut scores, n, width, 1e-6);
        basis = times_left(rows, subset, &mean, &scores, width); // d × width
    }
    // Rayleigh–Ritz: the basis B = X_cᵀ Q (Q orthonormal, n × w) holds X_c's row space; BᵀB
    // = Qᵀ X_c X_cᵀ Q, whose eigenvectors U and eigenvalues λ give the axes B U / √λ with
    // scores' sum of squares λ.
    let basis: Vec<f64> = basis.iter().map(|&v| f64::from(v)).collect();
    let mut gram = vec![0f64; width * width];
    product(
        &mut gram,
        width,
        width,
        d,
        &basis,
        (width, 1),
        &basis,
        (1, width),
        false,
        1.0,
    );
    let (values, vectors) = symmetric_eigen(&gram, width);
    let mut rotated = vec![0f64; d * width];
    product(
        &mut rotated,
        d,
        width,
        width,
        &basis,
        (1, width),
        &vectors,
        (1, width),
        false,
        1.0,
    );
    let mut order: Vec<usize> = (0..width).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let largest = values[order[0]].max(0.0);
    for (slot, &c) in order.iter().take(k).enumerate() {
        let value = values[c];
        // beyond the rank: numerical noise, left at zero
        if !(value > largest * 1e-9 && value > 0.0) {
            continue;
        }
        let (norm, sign) = (value.sqrt(), sign_of_largest(&rotated, d, width, c));
        for j in 0..d {
            axes[j * k + slot] = (rotated[j * width + c] / norm * sign) as f32;
        }
        variances[slot] = value / n as f64;
    }
    PrincipalAxes {
        mean,
        axes,
        variances,
    }
}

/// Column means of `subset` of `rows`, summed in f64 in row order, `block_rows` rows read at a
/// time.
pub(crate) fn column_means(rows: &dyn RowSource, subset: &[usize], block_rows: usize) -> Vec<f32> {
    let d = rows.n_cols();
    let mut sums = vec![0f64; d];
    let mut block = Vec::new();
    for chunk in subset.chunks(block_rows) {
        block.resize(chunk.len() * d, 0.0);
        rows.fill_rows(chunk, &mut block);
        for row in block.chunks_exact(d) {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += f64::from(v);
            }
        }
    }
    let n = subset.len().max(1) as f64;
    sums.into_iter().map(|s| (s / n) as f32).collect()
}

/// (X − 1·meanᵀ) · basis for the rows of `subset`: n × w, row-major, in f64.
fn times_right(
    rows: &dyn RowSource,
    subset: &[usize],
    mean: &[f32],
    basis: &[f32],
    w: usize,
) -> Vec<f64> {
    let d = rows.n_cols();
    let mut out = vec![0f32; subset.len() * w];
    let mut block = Vec::new();
    for (chunk, out_block) in subset
        .chunks(BLOCK_ROWS)
        .zip(out.chunks_mut(BLOCK_ROWS * w))
    {
        block.resize(chunk.len() * d, 0.0);
        rows.fill_rows(chunk, &mut block);
        product(
            out_block,
            chunk.len(),
            w,
            d,
            &block,
            (1, d),
            basis,
            (1, w),
            false,
            1.0,
        );
    }
    subtract_mean_products(&mut out, mean, basis, w);
    out.iter().map(|&v| f64::from(v)).collect()
}

/// (X − 1·meanᵀ)ᵀ · q for the rows of `subset` and q (n × w, f64): d × w, row-major.
fn times_left(
    rows: &dyn RowSource,
    subset: &[usize],
    mean: &[f32],
    q: &[f64],
    w: usize,
) -> Vec<f32> {
    let d = rows.n_cols();
    let q32: Vec<f32> = q.iter().map(|&v| v as f32).collect();
    let mut out = vec![0f32; d * w];
    let mut block = Vec::new();
    for (b, chunk) in subset.chunks(BLOCK_ROWS).enumerate() {
        block.resize(chunk.len() * d, 0.0);
        rows.fill_rows(chunk, &mut block);
        let q_block = &q32[b * BLOCK_ROWS * w..(b * BLOCK_ROWS + chunk.len()) * w];
        // Xᵀ (d × rows) read in place from the row-major block: column stride d, row stride 1
        product(
            &mut out,
            d,
            w,
            chunk.len(),
            &block,
            (d, 1),
            q_block,
            (1, w),
            b > 0,
            1.0,
        );
    }
    let column_sums: Vec<f32> = (0..w)
        .map(|c| (0..subset.len()).map(|r| q[r * w + c]).sum::<f64>() as f32)
        .collect();
    for (row, &m) in out.chunks_exact_mut(w).zip(mean) {
        for (o, &s) in row.iter_mut().zip(&column_sums) {
            *o -= m * s;
        }
    }
    out
}

/// `dst` (m × n, row-major) = lhs (m × depth) · rhs (depth × n), `+=` when `accumulate`; lhs
/// and rhs given with their (column, row) strides.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product<T: Copy + Default + 'static>(
    dst: &mut [T],
    m: usize,
    n: usize,
    depth: usize,
    lhs: &[T],
    lhs_strides: (usize, usize),
    rhs: &[T],
    rhs_strides: (usize, usize),
    accumulate: bool,
    one: T,
) {
    let last = |rows: usize, cols: usize, (cs, rs): (usize, usize)| {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs + 1
        }
    };
    assert!(dst.len() >= m * n);
    assert!(lhs.len() >= last(m, depth, lhs_strides) && rhs.len() >= last(depth, n, rhs_strides));
    if m == 0 || n == 0 {
        return;
    }
    if depth == 0 {
        if !accumulate {
            dst[..m * n].fill(T::default());
        }
        return;
    }
    #[allow(unsafe_code)]
    // SAFETY: the asserts above bound every element gemm reads: lhs (i, t) at i·rs + t·cs and
    // rhs (t, j) likewise, i < m, t < depth, j < n; dst (i, j) at i·n + j < m·n. dst is borrowed
    // mutably and aliases neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            depth,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_strides.0 as isize,
            lhs_strides.1 as isize,
            rhs.as_ptr(),
            rhs_strides.0 as isize,
            rhs_strides.1 as isize,
            one,
            one,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(0),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::DenseView;
    use crate::test_support::on_threads;

    /// Rows on a known plane: x = a·u + b·v + mean with u, v orthonormal; the axes must be ±u
    /// and ±v (by variance), the third zero, variances those of a and b.
    #[test]
    fn axes_of_rows_on_a_plane_are_the_plane_and_its_variances() {
        let d = 5;
        let u = [0.6f64, 0.8, 0.0, 0.0, 0.0];
        let v = [0.0f64, 0.0, 1.0, 0.0, 0.0];
        let a = [3.0, -1.0, -2.0, 0.0];
        let b = [0.5, 0.5, 0.5, -1.5];
        let mean = [1.0, 2.0, 0.0, -1.0, 0.5];
        let values: Vec<f32> = (0..4)
            .flat_map(|r| (0..d).map(move |j| (a[r] * u[j] + b[r] * v[j] + mean[j]) as f32))
            .collect();
        let view = DenseView::new(&values, d).unwrap();
        let fitted = principal_axes(&view, &[0, 1, 2, 3], 3, 7);
        for (j, &m) in mean.iter().enumerate() {
            assert!((f64::from(fitted.mean[j]) - m).abs() < 1e-6);
        }
        // a and b have mean 0 and are orthogonal over the rows; Σa² / 4 = 14 / 4, Σb² / 4 = 3 / 4
        assert!(
            (fitted.variances[0] - 3.5).abs() < 1e-4,
            "{:?}",
            fitted.variances
        );
        assert!((fitted.variances[1] - 0.75).abs() < 1e-4);
        assert_eq!(fitted.variances[2], 0.0);
        for j in 0..d {
            assert!((f64::from(fitted.axes[j * 3]) - u[j]).abs() < 1e-5);
            assert!((f64::from(fitted.axes[j * 3 + 1]) - v[j]).abs() < 1e-5);
            assert_eq!(fitted.axes[j * 3 + 2], 0.0);
        }
    }

    /// Against an exact decomposition: the leading variances of a random wide matrix agree with
    /// the eigenvalues of its (small) row Gram matrix, and only the chosen rows count.
    #[test]
    fn leading_variances_match_the_exact_ones_of_the_chosen_rows() {
        let (n, d) = (30, 400);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let values: Vec<f32> = (0..(n + 5) * d)
            .map(|i| {
                let z: f32 = StandardNormal.sample(&mut rng);
                // a few strong directions, then noise
                z * if i % d < 3 { 5.0 } else { 1.0 }
            })
            .collect();
        let view = DenseView::new(&values, d).unwrap();
        let subset: Vec<usize> = (5..n + 5).collect();
        let fitted = principal_axes(&view, &subset, 4, 1);
        // exact: eigenvalues of the centred n × n Gram matrix, divided by n
        let means: Vec<f64> = (0..d)
            .map(|j| {
                subset
                    .iter()
                    .map(|&r| f64::from(values[r * d + j]))
                    .sum::<f64>()
                    / n as f64
            })
            .collect();
        let centred = |r: usize, j: usize| f64::from(values[r * d + j]) - means[j];
        let mut g = vec![0.0; n * n];
        for (a, &ra) in subset.iter().enumerate() {
            for (b, &rb) in subset.iter().enumerate() {
                g[a * n + b] = (0..d).map(|j| centred(ra, j) * centred(rb, j)).sum();
            }
        }
        let (mut exact, _) = symmetric_eigen(&g, n);
        exact.sort_by(|a, b| b.total_cmp(a));
        // the three strong directions to 0.1%; the fourth, in a flat noise spectrum, from below
        // (Rayleigh–Ritz values never exceed the exact ones) within 5%
        for (c, exact) in exact.iter().take(4).enumerate() {
            let expected = exact / n as f64;
            let tolerance = if c < 3 { 1e-3 } else { 5e-2 };
            assert!(
                fitted.variances[c] <= expected * (1.0 + 1e-6)
                    && (fitted.variances[c] - expected).abs() < tolerance * expected,
                "axis {c}: {} against {expected}",
                fitted.variances[c]
            );
        }
        // the scores of the chosen rows have mean 0 and (nearly) the fitted variances
        let chosen: Vec<f32> = subset
            .iter()
            .flat_map(|&r| values[r * d..(r + 1) * d].iter().copied())
            .collect();
        let scores = fitted.scores(&chosen);
        for c in 0..4 {
            let column = || scores.iter().skip(c).step_by(4).map(|&v| f64::from(v));
            let mean = column().sum::<f64>() / n as f64;
            let variance = column().map(|v| v * v).sum::<f64>() / n as f64;
            let tolerance = if c < 3 { 1e-3 } else { 5e-2 };
            assert!(mean.abs() < 1e-3, "axis {c}: mean {mean}");
            assert!((variance - fitted.variances[c]).abs() < tolerance * variance);
        }
        // the same on one thread
        let again = on_threads(1, || principal_axes(&view, &subset, 4, 1));
        assert_eq!(again, fitted);
    }
}
