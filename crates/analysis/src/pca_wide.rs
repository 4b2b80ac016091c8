//! PCA of a wide matrix (fewer rows than columns: genotypes, a few hundred to a few thousand
//! samples × 10⁴–10⁶ sites) through its rows' Gram matrix: the centred rows are held once in
//! f32, G = X_c X_cᵀ (n × n) is one gemm, and the subspace iteration of [`crate::pca_scores`]
//! runs on G, whose products cost n² per basis column instead of n·d. The scores of row r on
//! component j are σ_j·u_rj (u_j the eigenvectors of G, σ_j² their eigenvalues); each
//! component's sign makes its largest-magnitude loading (X_cᵀ u_j / σ_j) positive, as
//! [`crate::pca_scores`] fixes it.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::axes::product;
use crate::eigen::symmetric_eigen;
use crate::matrix::RowSource;
use crate::pca::orthonormalize;

/// Rows read at a time into the centred copy.
const READ_BLOCK: usize = 256;

/// Principal-component scores of every row of `rows` (n ≤ d), `n_components` per row,
/// row-major, by subspace iteration on the centred Gram matrix from a start drawn with
/// `seed`, at most `max_iterations` (stops once the basis settles).
pub(crate) fn gram_scores(
    rows: &dyn RowSource,
    n_components: usize,
    seed: u64,
    max_iterations: usize,
) -> Vec<f32> {
    let (n, d) = (rows.n_rows(), rows.n_cols());
    let k = n_components.min(d).min(n);
    let mut out = vec![0f32; n * n_components];
    if k == 0 {
        return out;
    }
    let centred = centred_rows(rows);
    // G = X_c X_cᵀ: lhs X_c (n × d, row-major), rhs X_cᵀ read in place (column stride d)
    let mut gram32 = vec![0f32; n * n];
    product(
        &mut gram32,
        n,
        n,
        d,
        &centred,
        (1, d),
        &centred,
        (d, 1),
        false,
        1.0,
    );
    // symmetric by construction up to rounding: average the triangles
    let mut gram: Vec<f64> = gram32.iter().map(|&v| f64::from(v)).collect();
    for i in 0..n {
        for j in 0..i {
            let mean = 0.5 * (gram[i * n + j] + gram[j * n + i]);
            gram[i * n + j] = mean;
            gram[j * n + i] = mean;
        }
    }
    let width = (k + 5).min(n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut basis: Vec<f64> = (0..n * width)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    orthonormalize(&mut basis, n, width);
    for _ in 0..max_iterations {
        let mut next = vec![0f64; n * width];
        product(
            &mut next,
            n,
            width,
            n,
            &gram,
            (1, n),
            &basis,
            (1, width),
            false,
            1.0,
        );
        orthonormalize(&mut next, n, width);
        let change = basis
            .iter()
            .zip(&next)
            .map(|(a, b)| (a.abs() - b.abs()).abs())
            .fold(0.0, f64::max);
        basis = next;
        if change < 1e-12 {
            break;
        }
    }
    // Rayleigh–Ritz: T = Bᵀ G B (w × w), its eigenvectors R; the Ritz vectors B R
    let mut g_basis = vec![0f64; n * width];
    product(
        &mut g_basis,
        n,
        width,
        n,
        &gram,
        (1, n),
        &basis,
        (1, width),
        false,
        1.0,
    );
    let mut small = vec![0f64; width * width];
    product(
        &mut small,
        width,
        width,
        n,
        &basis,
        (width, 1),
        &g_basis,
        (1, width),
        false,
        1.0,
    );
    for i in 0..width {
        for j in 0..i {
            let mean = 0.5 * (small[i * width + j] + small[j * width + i]);
            small[i * width + j] = mean;
            small[j * width + i] = mean;
        }
    }
    let (values, vectors) = symmetric_eigen(&small, width);
    let mut order: Vec<usize> = (0..width).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let mut ritz = vec![0f64; n * width];
    product(
        &mut ritz,
        n,
        width,
        width,
        &basis,
        (1, width),
        &vectors,
        (1, width),
        false,
        1.0,
    );
    // loadings' directions X_cᵀ u (d × w) for the signs
    let ritz32: Vec<f32> = ritz.iter().map(|&v| v as f32).collect();
    let mut loadings = vec![0f32; d * width];
    product(
        &mut loadings,
        d,
        width,
        n,
        &centred,
        (d, 1),
        &ritz32,
        (1, width),
        false,
        1.0,
    );
    for (slot, &c) in order.iter().take(k).enumerate() {
        let sigma = values[c].max(0.0).sqrt();
        let largest = (0..d)
            .map(|j| loadings[j * width + c])
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(1.0);
        let sign = if largest < 0.0 { -1.0 } else { 1.0 };
        for r in 0..n {
            out[r * n_components + slot] = (sign * sigma * ritz[r * width + c]) as f32;
        }
    }
    out
}

/// Every row of `rows`, centred on the column means (summed in f64), row-major f32.
fn centred_rows(rows: &dyn RowSource) -> Vec<f32> {
    let (n, d) = (rows.n_rows(), rows.n_cols());
    let mut values = vec![0f32; n * d];
    for (first, block) in (0..n)
        .step_by(READ_BLOCK)
        .zip(values.chunks_mut(READ_BLOCK * d))
    {
        let chunk: Vec<usize> = (first..n.min(first + READ_BLOCK)).collect();
        rows.fill_rows(&chunk, block);
    }
    let mut sums = vec![0f64; d];
    for row in values.chunks_exact(d) {
        for (s, &v) in sums.iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    let means: Vec<f32> = sums.iter().map(|&s| (s / n as f64) as f32).collect();
    for row in values.chunks_exact_mut(d) {
        for (v, &m) in row.iter_mut().zip(&means) {
            *v -= m;
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::DenseView;
    use crate::{pca_scores, pca_scores_few_columns};

    /// A wide matrix (12 rows × 40 columns, components of distinct spread) goes through the
    /// Gram matrix and gives the exact covariance route's scores (itself checked against
    /// numpy's SVD), signs included, and the same bits on one thread and on three.
    #[test]
    fn gram_scores_match_the_covariance_route() {
        let (n, d) = (12, 40);
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let values: Vec<f32> = (0..n * d)
            .map(|i| {
                let x: f32 = StandardNormal.sample(&mut rng);
                x * (1.0 + (i % d) as f32 / 4.0) + 2.0
            })
            .collect();
        let view = DenseView::new(&values, d).unwrap();
        let exact = pca_scores_few_columns(&view, 4);
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| pca_scores(&view, 4, 5))
        };
        let gram = on(1);
        let scale = exact.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (a, e) in gram.iter().zip(&exact) {
            assert!((a - e).abs() < 1e-4 * scale, "{a} vs {e}");
        }
        assert_eq!(gram, on(3));
        // more components than rows: the ones past the rank of the centred rows are 0
        let many = pca_scores(&view, 14, 5);
        assert!(
            many.chunks_exact(14)
                .all(|row| row[12] == 0.0 && row[13] == 0.0)
        );
    }
}
