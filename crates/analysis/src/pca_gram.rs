//! PCA through the smaller of a matrix's two Gram matrices, for [`crate::pca_scores`]:
//!
//! - **wide** (no more rows than columns: genotypes, a few hundred to a few thousand samples ×
//!   10⁴–10⁶ sites): G = X_c X_cᵀ (n × n) by gemm a pair of row blocks at a time, two
//!   blocks held; the scores of row r on component j are σ_j·u_rj (u_j the eigenvectors of G, σ_j²
//!   their eigenvalues);
//! - **tall** (more rows than columns, a few thousand columns at most: cells × genes): the
//!   covariance C = X_cᵀ X_c (d × d) is summed a block of rows at a time (each block's
//!   products by gemm about its own means, the blocks merged in order with Chan et al.'s
//!   update), and the scores are the centred rows times C's eigenvectors, a block at a time.
//!
//! The subspace iteration of [`crate::pca_scores`] then runs on the small matrix, whose products
//! cost its side squared per basis column instead of n·d, followed by Rayleigh–Ritz. Each
//! component's sign makes its largest-magnitude loading positive, as [`crate::pca_scores`] fixes
//! it; every product sums in an order that does not depend on the number of threads.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::axes::{column_means, product};
use crate::eigen::symmetric_eigen;
use crate::matrix::RowSource;
use crate::pca::{COVARIANCE_BLOCK, Moments, orthonormalize, sign_of_largest};

/// Values per row block of the wide route (128 MB of f32; two blocks are held at a time).
const GRAM_BLOCK_VALUES: usize = 1 << 25;

/// Principal-component scores of every row of `rows` (n ≤ d), `n_components` per row,
/// row-major, by subspace iteration on the centred Gram matrix from a start drawn with
/// `seed`, at most `max_iterations` (stops once the basis settles).
pub(crate) fn gram_scores(
    rows: &dyn RowSource,
    n_components: usize,
    seed: u64,
    max_iterations: usize,
) -> Vec<f32> {
    let block_rows = (GRAM_BLOCK_VALUES / rows.n_cols().max(1)).clamp(1, COVARIANCE_BLOCK);
    gram_scores_in_blocks(rows, n_components, seed, max_iterations, block_rows)
}

/// [`gram_scores`] reading `block_rows` rows at a time.
fn gram_scores_in_blocks(
    rows: &dyn RowSource,
    n_components: usize,
    seed: u64,
    max_iterations: usize,
    block_rows: usize,
) -> Vec<f32> {
    let (n, d) = (rows.n_rows(), rows.n_cols());
    // at least one component: pca_scores answers the empty case
    let k = n_components.min(d).min(n);
    let mut out = vec![0f32; n * n_components];
    let all: Vec<usize> = (0..n).collect();
    let mean = column_means(rows, &all, block_rows);
    let blocks: Vec<(usize, usize)> = (0..n)
        .step_by(block_rows)
        .map(|first| (first, n.min(first + block_rows)))
        .collect();
    let read = |(first, end): (usize, usize), out: &mut Vec<f32>| {
        let chunk: Vec<usize> = (first..end).collect();
        out.resize(chunk.len() * d, 0.0);
        rows.fill_rows(&chunk, out);
        for row in out.chunks_exact_mut(d) {
            for (v, &m) in row.iter_mut().zip(&mean) {
                *v -= m;
            }
        }
    };
    // G = X_c X_cᵀ a pair of row blocks at a time (I ≥ J), so only two blocks are held:
    // G[I, J] = B_I B_Jᵀ, the rhs B_Jᵀ read in place (column stride d)
    let mut gram32 = vec![0f32; n * n];
    let (mut outer, mut inner) = (Vec::new(), Vec::new());
    let mut tile = Vec::new();
    for (i, &(i0, i1)) in blocks.iter().enumerate() {
        read((i0, i1), &mut outer);
        for &(j0, j1) in &blocks[..=i] {
            let other = if j0 == i0 {
                &outer
            } else {
                read((j0, j1), &mut inner);
                &inner
            };
            let (h, w) = (i1 - i0, j1 - j0);
            tile.resize(h * w, 0.0);
            product(
                &mut tile,
                h,
                w,
                d,
                &outer,
                (1, d),
                other,
                (d, 1),
                false,
                1.0,
            );
            for (r, row) in tile.chunks_exact(w).enumerate() {
                for (c, &v) in row.iter().enumerate() {
                    gram32[(i0 + r) * n + j0 + c] = v;
                    gram32[(j0 + c) * n + i0 + r] = v;
                }
            }
        }
    }
    let mut gram: Vec<f64> = gram32.iter().map(|&v| f64::from(v)).collect();
    symmetrize(&mut gram, n);
    let (values, ritz) = leading_eigenvectors(&gram, n, k, seed, max_iterations);
    let width = values.len();
    // loadings' directions X_cᵀ u (d × w) for the signs, summed over the row blocks in order
    let ritz32: Vec<f32> = ritz.iter().map(|&v| v as f32).collect();
    let mut loadings = vec![0f32; d * width];
    for (b, &(first, end)) in blocks.iter().enumerate() {
        read((first, end), &mut outer);
        let u = &ritz32[first * width..end * width];
        product(
            &mut loadings,
            d,
            width,
            end - first,
            &outer,
            (d, 1),
            u,
            (1, width),
            b > 0,
            1.0,
        );
    }
    for (c, &value) in values.iter().enumerate().take(k) {
        let sigma = value.max(0.0).sqrt();
        let sign = sign_of_largest(&loadings, d, width, c);
        for r in 0..n {
            out[r * n_components + c] = (sign * sigma * ritz[r * width + c]) as f32;
        }
    }
    out
}

/// Scores of every row of `rows` (d < n, d ≤ a few thousand) through the d × d covariance,
/// `n_components` per row, row-major, from a start drawn with `seed`.
pub(crate) fn covariance_scores(
    rows: &dyn RowSource,
    n_components: usize,
    seed: u64,
    max_iterations: usize,
) -> Vec<f32> {
    let (n, d) = (rows.n_rows(), rows.n_cols());
    // at least one component: pca_scores answers the empty case
    let k = n_components.min(d).min(n);
    let mut out = vec![0f32; n * n_components];
    let mut total: Option<Moments> = None;
    for_blocks(rows, COVARIANCE_BLOCK, |_, block| {
        let moments = block_moments(block, d);
        total = Some(match total.take() {
            Some(sum) => sum.merge(moments),
            None => moments,
        });
    });
    let (mean, covariance) = total.expect("n > 0 rows make a block").into_covariance();
    let (values, vectors) = leading_eigenvectors(&covariance, d, k, seed, max_iterations);
    let width = values.len();
    // loadings d × k, f32, each sign fixed
    let mut loadings = vec![0f32; d * k];
    for c in 0..k {
        let sign = sign_of_largest(&vectors, d, width, c);
        for j in 0..d {
            loadings[j * k + c] = (sign * vectors[j * width + c]) as f32;
        }
    }
    let mean32: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    let mut scores = Vec::new();
    for_blocks(rows, COVARIANCE_BLOCK, |first, block| {
        let block_rows = block.len() / d;
        let mut centred = block.to_vec();
        for row in centred.chunks_exact_mut(d) {
            for (v, &m) in row.iter_mut().zip(&mean32) {
                *v -= m;
            }
        }
        scores.resize(block_rows * k, 0.0);
        product(
            &mut scores,
            block_rows,
            k,
            d,
            &centred,
            (1, d),
            &loadings,
            (1, k),
            false,
            1.0,
        );
        for (r, row) in scores.chunks_exact(k).enumerate() {
            out[(first + r) * n_components..(first + r) * n_components + k].copy_from_slice(row);
        }
    });
    out
}

/// `f(first row, values)` on consecutive blocks of `block_rows` rows, in order.
fn for_blocks(rows: &dyn RowSource, block_rows: usize, mut f: impl FnMut(usize, &[f32])) {
    let (n, d) = (rows.n_rows(), rows.n_cols());
    let mut block = Vec::new();
    for first in (0..n).step_by(block_rows) {
        let chunk: Vec<usize> = (first..n.min(first + block_rows)).collect();
        block.resize(chunk.len() * d, 0.0);
        rows.fill_rows(&chunk, &mut block);
        f(first, &block);
    }
}

/// Means and centred cross-products (d × d, full) of one block of rows: the products by an
/// f32 gemm about the block's own means (at most [`COVARIANCE_BLOCK`] terms a sum), kept in f64.
fn block_moments(values: &[f32], d: usize) -> Moments {
    let rows = values.len() / d;
    let mut mean = vec![0f64; d];
    for row in values.chunks_exact(d) {
        for (s, &v) in mean.iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows as f64);
    let mut centred = values.to_vec();
    for row in centred.chunks_exact_mut(d) {
        for (v, &m) in row.iter_mut().zip(&mean) {
            *v = (f64::from(*v) - m) as f32;
        }
    }
    let mut products32 = vec![0f32; d * d];
    // Bᵀ B: lhs Bᵀ read in place (column stride d), rhs B
    product(
        &mut products32,
        d,
        d,
        rows,
        &centred,
        (d, 1),
        &centred,
        (1, d),
        false,
        1.0,
    );
    Moments {
        rows,
        mean,
        products: products32.iter().map(|&v| f64::from(v)).collect(),
    }
}

/// The `k` leading eigenvalues (in decreasing order) and eigenvectors (the columns of an m × w
/// row-major matrix, w = min(k + 5, m), the first k in the same order) of the symmetric m × m
/// `matrix`: subspace iteration from a start drawn with `seed`, at most `max_iterations`
/// (stopping once the basis settles), then Rayleigh–Ritz.
fn leading_eigenvectors(
    matrix: &[f64],
    m: usize,
    k: usize,
    seed: u64,
    max_iterations: usize,
) -> (Vec<f64>, Vec<f64>) {
    let width = (k + 5).min(m);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut basis: Vec<f64> = (0..m * width)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    orthonormalize(&mut basis, m, width);
    let times = |b: &[f64]| {
        let mut next = vec![0f64; m * width];
        product(
            &mut next,
            m,
            width,
            m,
            matrix,
            (1, m),
            b,
            (1, width),
            false,
            1.0,
        );
        next
    };
    for _ in 0..max_iterations {
        let mut next = times(&basis);
        orthonormalize(&mut next, m, width);
        let scale = next.iter().fold(0f64, |a, v| a.max(v.abs()));
        let change = basis
            .iter()
            .zip(&next)
            .map(|(a, b)| (a.abs() - b.abs()).abs())
            .fold(0.0, f64::max);
        basis = next;
        if change < 1e-12 * scale {
            break;
        }
    }
    // Rayleigh–Ritz: T = Bᵀ M B (w × w), its eigenvectors R; the Ritz vectors B R
    let m_basis = times(&basis);
    let mut small = vec![0f64; width * width];
    product(
        &mut small,
        width,
        width,
        m,
        &basis,
        (width, 1),
        &m_basis,
        (1, width),
        false,
        1.0,
    );
    symmetrize(&mut small, width);
    let (values, vectors) = symmetric_eigen(&small, width);
    let mut order: Vec<usize> = (0..width).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let mut sorted = vec![0f64; width * width];
    for (slot, &c) in order.iter().enumerate() {
        for i in 0..width {
            sorted[i * width + slot] = vectors[i * width + c];
        }
    }
    let mut ritz = vec![0f64; m * width];
    product(
        &mut ritz,
        m,
        width,
        width,
        &basis,
        (1, width),
        &sorted,
        (1, width),
        false,
        1.0,
    );
    (order.iter().map(|&c| values[c]).collect(), ritz)
}

/// Both triangles of the symmetric n × n row-major `m` set to their mean (equal up to the
/// rounding of the products that made them).
fn symmetrize(m: &mut [f64], n: usize) {
    for i in 0..n {
        for j in 0..i {
            let mean = 0.5 * (m[i * n + j] + m[j * n + i]);
            m[i * n + j] = mean;
            m[j * n + i] = mean;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::DenseView;
    use crate::test_support::{assert_close, drawn, on_threads};
    use crate::{pca_scores, pca_scores_few_columns};

    /// A wide matrix (12 rows × 40 columns, components of distinct spread) goes through the
    /// Gram matrix and gives the exact covariance route's scores (itself checked against
    /// numpy's SVD), signs included, and the same bits on one thread and on three.
    #[test]
    fn gram_scores_match_the_covariance_route() {
        let (n, d) = (12, 40);
        let values = drawn(n, d, 8, |i, x| x * (1.0 + (i % d) as f32 / 4.0) + 2.0);
        let view = DenseView::new(&values, d).unwrap();
        let gram = on_threads(1, || pca_scores(&view, 4, 5));
        assert_close(&gram, &pca_scores_few_columns(&view, 4), 1e-4);
        assert_eq!(gram, on_threads(3, || pca_scores(&view, 4, 5)));
        // read in uneven blocks of 5 rows (pairs of different blocks, a short last one): the
        // same scores to rounding
        assert_close(&gram_scores_in_blocks(&view, 4, 5, 200, 5), &gram, 1e-5);
        // more components than rows: the ones past the rank of the centred rows are 0
        let many = pca_scores(&view, 14, 5);
        assert!(
            many.chunks_exact(14)
                .all(|row| row[12] == 0.0 && row[13] == 0.0)
        );
    }

    /// A tall matrix of more rows than one block (5,000 × 30, the means drifting down the
    /// rows, so the blocks' merge has to account for them) goes through the covariance and
    /// gives the exact covariance route's scores (Jacobi on the f64 cross-products, itself
    /// checked against numpy), and the same bits on one thread and on three.
    #[test]
    fn covariance_scores_match_the_exact_route_across_blocks() {
        let (n, d) = (5_000, 30);
        let values = drawn(n, d, 9, |i, x| {
            x * (1.0 + (i % d) as f32 / 3.0) + 5.0 * (i / d) as f32 / n as f32
        });
        let view = DenseView::new(&values, d).unwrap();
        let covariance = on_threads(1, || pca_scores(&view, 5, 2));
        assert_close(&covariance, &pca_scores_few_columns(&view, 5), 1e-3);
        assert_eq!(covariance, on_threads(3, || pca_scores(&view, 5, 2)));
    }
}
