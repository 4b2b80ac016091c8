//! Principal component analysis: the linear baseline a VAE's latent space is compared with
//! (popvae writes it with `--pca`) and the 2-D projection used to plot wide latent spaces.

use rayon::prelude::*;

use crate::matrix::RowSource;

/// Principal-component scores of every row of `rows` (centred, not scaled), `n_components`
/// per row, row-major. Component signs are fixed so the largest-magnitude loading of each
/// component is positive, which makes the output independent of the iteration's start.
///
/// Computed through the smaller of the two Gram matrices when that side is at most 4,096
/// (X_c X_cᵀ for a wide matrix, the covariance for a tall one, each summed
/// by gemm a block of rows at a time), by subspace iteration on it from a seeded start, in f64,
/// then Rayleigh–Ritz; when both sides are larger, by a randomized range finder with 20 power
/// iterations over blocks of rows ([`crate::axes::principal_axes_iterated`]). Only blocks of
/// rows are held, never a copy of the matrix.
pub fn pca_scores(rows: &dyn RowSource, n_components: usize, seed: u64) -> Vec<f32> {
    subspace_scores(rows, n_components, seed, MAX_ITERATIONS)
}

/// Exact principal-component scores of every row of `rows`, as [`pca_scores`] writes them
/// (centred, not scaled; the largest-magnitude loading of each component positive), through
/// the `d × d` covariance: one pass for the covariance (each block of rows centred on its own
/// means, its cross-products in f64, the blocks merged in order with Chan et al.'s update: the
/// same on any thread count), its eigenvectors ([`crate::eigen::symmetric_eigen`]), and one
/// pass to project. Each block is read twice, nothing else is held but d² values per block
/// and the output, and no iteration has to converge: for many rows of few columns (a few
/// hundred at most: the covariance holds d² values and its eigen-decomposition costs d³ per
/// sweep). `rows` may compute its rows when read (`vaebio-model`'s denoised components
/// decode them).
pub fn pca_scores_few_columns(rows: &dyn RowSource, n_components: usize) -> Vec<f32> {
    let (n, d) = (rows.n_rows(), rows.n_cols());
    let k = n_components.min(d).min(n);
    let mut out = vec![0.0f32; n * n_components];
    if k == 0 {
        return out;
    }
    let blocks: Vec<(usize, usize)> = (0..n)
        .step_by(COVARIANCE_BLOCK)
        .map(|first| (first, n.min(first + COVARIANCE_BLOCK)))
        .collect();
    let read = |(first, end): (usize, usize)| {
        let chunk: Vec<usize> = (first..end).collect();
        let mut values = vec![0.0f32; chunk.len() * d];
        rows.fill_rows(&chunk, &mut values);
        values
    };
    let moments: Vec<Moments> = blocks
        .par_iter()
        .map(|&block| Moments::of_block(&read(block), d))
        .collect();
    let (mean, covariance) = moments
        .into_iter()
        .reduce(Moments::merge)
        .expect("n > 0 rows make a block")
        .into_covariance();
    let (values, vectors) = crate::eigen::symmetric_eigen(&covariance, d);
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let loadings: Vec<Vec<f64>> = order[..k]
        .iter()
        .map(|&c| {
            let sign = sign_of_largest(&vectors, d, d, c);
            (0..d).map(|j| sign * vectors[j * d + c]).collect()
        })
        .collect();
    out.par_chunks_mut(COVARIANCE_BLOCK * n_components)
        .zip(&blocks)
        .for_each(|(out_block, &block)| {
            for (row, scores) in read(block)
                .chunks_exact(d)
                .zip(out_block.chunks_exact_mut(n_components))
            {
                for (score, loading) in scores.iter_mut().zip(&loadings) {
                    let value: f64 = row
                        .iter()
                        .zip(&mean)
                        .zip(loading)
                        .map(|((&v, m), l)| (f64::from(v) - m) * l)
                        .sum();
                    *score = value as f32;
                }
            }
        });
    out
}

/// Column means and centred cross-products (lower triangle of a d × d row-major matrix) of
/// some rows, in f64.
pub(crate) struct Moments {
    pub(crate) rows: usize,
    pub(crate) mean: Vec<f64>,
    pub(crate) products: Vec<f64>,
}

impl Moments {
    /// Of one block of rows (row-major, `d` columns), centred on the block's own means.
    fn of_block(values: &[f32], d: usize) -> Self {
        let rows = values.len() / d;
        let mut mean = vec![0.0; d];
        for row in values.chunks_exact(d) {
            mean.iter_mut()
                .zip(row)
                .for_each(|(s, &v)| *s += f64::from(v));
        }
        mean.iter_mut().for_each(|m| *m /= rows as f64);
        let mut products = vec![0.0; d * d];
        let mut centred = vec![0.0; d];
        for row in values.chunks_exact(d) {
            centred
                .iter_mut()
                .zip(row.iter().zip(&mean))
                .for_each(|(c, (&v, m))| *c = f64::from(v) - m);
            for (i, &ci) in centred.iter().enumerate() {
                for (p, &cj) in products[i * d..i * d + i + 1].iter_mut().zip(&centred) {
                    *p += ci * cj;
                }
            }
        }
        Self {
            rows,
            mean,
            products,
        }
    }

    /// The means and the full d × d matrix of centred cross-products (the lower triangle
    /// mirrored into the upper one).
    pub(crate) fn into_covariance(self) -> (Vec<f64>, Vec<f64>) {
        let d = self.mean.len();
        let mut products = self.products;
        for i in 0..d {
            for j in 0..i {
                products[j * d + i] = products[i * d + j];
            }
        }
        (self.mean, products)
    }

    /// Both sets of rows as one (Chan, Golub & LeVeque's pairwise update): products
    /// `A + B + δδᵀ·n_a·n_b / n`, δ the difference of the means.
    pub(crate) fn merge(self, other: Self) -> Self {
        let rows = self.rows + other.rows;
        let d = self.mean.len();
        let delta: Vec<f64> = other
            .mean
            .iter()
            .zip(&self.mean)
            .map(|(b, a)| b - a)
            .collect();
        let share = other.rows as f64 / rows as f64;
        let weight = self.rows as f64 * share;
        let mut products = self.products;
        for i in 0..d {
            for j in 0..=i {
                products[i * d + j] += other.products[i * d + j] + delta[i] * delta[j] * weight;
            }
        }
        let mean = self
            .mean
            .iter()
            .zip(&delta)
            .map(|(a, dl)| a + dl * share)
            .collect();
        Self {
            rows,
            mean,
            products,
        }
    }
}

/// Rows per block of the passes through the covariance ([`pca_scores_few_columns`],
/// [`crate::pca_gram`]'s tall route).
pub(crate) const COVARIANCE_BLOCK: usize = 4096;

/// Rows read at a time for the scores of the randomized route.
const READ_BLOCK: usize = 256;

/// The side up to which a matrix goes through its smaller Gram matrix ([`crate::pca_gram`]):
/// rows of a wide matrix (n × n), columns of a tall one (d × d); 128 MB of f64 at most.
const GRAM_SIDE: usize = 4096;

/// Power iterations of [`pca_scores`] at most when both sides exceed [`GRAM_SIDE`].
const RANDOMIZED_ITERATIONS: usize = 20;

/// Iterations of [`pca_scores`] at most (it stops earlier once the basis settles).
const MAX_ITERATIONS: usize = 200;

/// [`pca_scores`] after a fixed `iterations` of the subspace iteration, as randomized SVD
/// does (sklearn's `randomized_svd` uses 7 for few components): the leading components
/// to within a few per cent, at a fraction of the cost, for uses that need the subspace
/// roughly (a neighbour graph) rather than the exact components.
pub fn pca_scores_approximate(
    rows: &dyn RowSource,
    n_components: usize,
    seed: u64,
    iterations: usize,
) -> Vec<f32> {
    subspace_scores(rows, n_components, seed, iterations)
}

fn subspace_scores(
    rows: &dyn RowSource,
    n_components: usize,
    seed: u64,
    max_iterations: usize,
) -> Vec<f32> {
    let n = rows.n_rows();
    let d = rows.n_cols();
    let k = n_components.min(d).min(n);
    if k == 0 {
        return vec![0.0; n * n_components];
    }
    if n <= d && n <= GRAM_SIDE {
        return crate::pca_gram::gram_scores(rows, n_components, seed, max_iterations);
    }
    if d < n && d <= GRAM_SIDE {
        return crate::pca_gram::covariance_scores(rows, n_components, seed, max_iterations);
    }
    // Both sides large: a randomized range finder over the rows a block at a time (no copy),
    // then the scores of each block on its axes.
    randomized_scores(
        rows,
        n_components,
        seed,
        max_iterations.min(RANDOMIZED_ITERATIONS),
    )
}

/// Scores by [`crate::axes::principal_axes_iterated`] with `iterations`, a block of rows at a
/// time.
fn randomized_scores(
    rows: &dyn RowSource,
    n_components: usize,
    seed: u64,
    iterations: usize,
) -> Vec<f32> {
    let (n, d) = (rows.n_rows(), rows.n_cols());
    let k = n_components.min(d).min(n);
    let all: Vec<usize> = (0..n).collect();
    let fitted = crate::axes::principal_axes_iterated(rows, &all, k, seed, iterations);
    let mut out = vec![0.0f32; n * n_components];
    let mut block = Vec::new();
    for first in (0..n).step_by(READ_BLOCK) {
        let chunk: Vec<usize> = (first..n.min(first + READ_BLOCK)).collect();
        block.resize(chunk.len() * d, 0.0f32);
        rows.fill_rows(&chunk, &mut block);
        let scores = fitted.scores(&block);
        for (r, row) in scores.chunks_exact(k).enumerate() {
            let at = (first + r) * n_components;
            out[at..at + k].copy_from_slice(row);
        }
    }
    out
}

/// Modified Gram–Schmidt on the `w` columns of a d × w row-major matrix.
pub(crate) fn orthonormalize(m: &mut [f64], d: usize, w: usize) {
    orthonormalize_above(m, d, w, 0.0);
}

/// [`orthonormalize`], setting to zero every column whose norm after the projections is at most
/// `floor` times the largest column norm before them (a column past the matrix's rank).
pub(crate) fn orthonormalize_above(m: &mut [f64], d: usize, w: usize, floor: f64) {
    let limit = if floor > 0.0 {
        floor
            * (0..w)
                .map(|c| (0..d).map(|j| m[j * w + c].powi(2)).sum::<f64>())
                .fold(0.0, f64::max)
                .sqrt()
    } else {
        0.0
    };
    for c in 0..w {
        for prev in 0..c {
            let dot: f64 = (0..d).map(|j| m[j * w + c] * m[j * w + prev]).sum();
            for j in 0..d {
                m[j * w + c] -= dot * m[j * w + prev];
            }
        }
        let norm = (0..d).map(|j| m[j * w + c].powi(2)).sum::<f64>().sqrt();
        let keep = norm > limit && norm > 0.0;
        for j in 0..d {
            m[j * w + c] = if keep { m[j * w + c] / norm } else { 0.0 };
        }
    }
}

/// +1 or −1: the sign of the largest-magnitude value of column `c` of the d × w row-major `m`
/// (the last of equal magnitudes), the sign convention of every PCA route.
pub(crate) fn sign_of_largest<T: Copy + Into<f64>>(m: &[T], d: usize, w: usize, c: usize) -> f64 {
    let largest = (0..d)
        .map(|j| m[j * w + c].into())
        .max_by(|a, b| a.abs().total_cmp(&b.abs()))
        .unwrap_or(1.0);
    if largest < 0.0 { -1.0 } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    use super::*;
    use crate::matrix::DenseView;
    use crate::test_support::{assert_close, drawn, on_threads};

    #[test]
    fn scores_match_numpy_svd() {
        // 6 × 4 matrix; expected scores from numpy 2 (U·S of the centred matrix via
        // np.linalg.svd, each component's sign set so its largest-|loading| is positive).
        let view = DenseView::new(&SMALL, 4).unwrap();
        let scores = pca_scores(&view, 2, 3);
        for (got, want) in scores.iter().zip(NUMPY_SCORES) {
            assert!((f64::from(*got) - want).abs() < 1e-4, "{got} vs {want}");
        }
    }

    #[test]
    fn asks_for_more_components_than_columns() {
        let x = [1.0f32, 2.0, 3.0, 5.0];
        let view = DenseView::new(&x, 1).unwrap();
        let scores = pca_scores(&view, 2, 0);
        assert_eq!(scores.len(), 8);
        assert_eq!(scores[1], 0.0);
        assert!((scores[0] + 1.75).abs() < 1e-6);
    }

    /// A 6 × 4 matrix, row-major, whose PCA scores numpy gave ([`NUMPY_SCORES`]).
    const SMALL: [f32; 24] = [
        2.0, 0.5, 1.0, 3.0, //
        1.0, 1.5, 0.0, 2.0, //
        4.0, 0.0, 2.5, 5.0, //
        0.0, 2.0, 0.5, 1.0, //
        3.0, 1.0, 1.5, 4.5, //
        1.5, 2.5, 0.0, 1.0, //
    ];

    const NUMPY_SCORES: [f64; 12] = [
        0.4950449187777471,
        -0.48201419674064744,
        -1.423732945983155,
        -0.1898191753029623,
        3.6523453499276166,
        0.021222676977511665,
        -2.632798628866899,
        -0.5498714127370349,
        2.0734809186904113,
        0.24574060900708963,
        -2.1643396125457204,
        0.9547414987960426,
    ];

    /// Rank-3 signal plus small noise: after seven iterations the three leading components
    /// span the converged ones' subspace, so distances between rows (what a neighbour graph
    /// uses) agree to 1e-3 of their scale; the components themselves may still be rotated
    /// within it.
    #[test]
    fn approximate_scores_keep_the_converged_distances() {
        let (n, d) = (200, 30);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut draw = || -> f32 { StandardNormal.sample(&mut rng) };
        let directions: Vec<Vec<f32>> = (0..3).map(|_| (0..d).map(|_| draw()).collect()).collect();
        let mut values = vec![0.0f32; n * d];
        for row in values.chunks_exact_mut(d) {
            let factors = [10.0 * draw(), 7.0 * draw(), 4.0 * draw()];
            for (j, v) in row.iter_mut().enumerate() {
                *v = (0..3).map(|c| factors[c] * directions[c][j]).sum::<f32>() + 0.01 * draw();
            }
        }
        let view = DenseView::new(&values, d).unwrap();
        let distances = |scores: &[f32]| -> Vec<f32> {
            let row = |i: usize| &scores[i * 3..i * 3 + 3];
            (1..n)
                .map(|i| {
                    row(0)
                        .iter()
                        .zip(row(i))
                        .map(|(a, b)| (a - b).powi(2))
                        .sum::<f32>()
                        .sqrt()
                })
                .collect()
        };
        let exact = distances(&pca_scores(&view, 3, 0));
        let approximate = distances(&pca_scores_approximate(&view, 3, 0, 7));
        let scale = exact.iter().fold(0.0f32, |m, v| m.max(*v));
        for (a, e) in approximate.iter().zip(&exact) {
            assert!((a - e).abs() < 1e-3 * scale, "{a} {e}");
        }
    }

    /// The covariance route gives the subspace iteration's scores (rows of distinct spread
    /// per component, so each component is defined up to its sign, which both fix alike), and
    /// the same bits on one thread and on three (more rows than one block, blocks of different
    /// means).
    #[test]
    fn covariance_scores_match_the_subspace_iteration() {
        let view = DenseView::new(&SMALL, 4).unwrap();
        for (got, want) in pca_scores_few_columns(&view, 2).iter().zip(NUMPY_SCORES) {
            assert!((f64::from(*got) - want).abs() < 1e-5, "{got} vs {want}");
        }
        let (n, d) = (9_000, 7);
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let values: Vec<f32> = (0..n * d)
            .map(|i| {
                let x: f32 = StandardNormal.sample(&mut rng);
                // a drift down the rows: each block of rows has its own means, which the
                // merge of the blocks' moments has to account for
                x * (1 + i % d) as f32 + 3.0 + 4.0 * (i / d) as f32 / n as f32
            })
            .collect();
        let view = DenseView::new(&values, d).unwrap();
        let iterated = pca_scores(&view, 3, 0);
        let on = |threads: usize| on_threads(threads, || pca_scores_few_columns(&view, 3));
        let one = on(1);
        for (a, b) in one.iter().zip(&iterated) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
        assert_eq!(bits(&one), bits(&on(3)));
        // More components than columns: the rest are 0.
        let wide = pca_scores_few_columns(&view, 9);
        assert_eq!(wide.len(), n * 9);
        assert!(
            wide.chunks_exact(9)
                .all(|row| row[7] == 0.0 && row[8] == 0.0)
        );
    }

    /// The route for matrices large on both sides (randomized range finder, blocks of rows)
    /// gives the exact covariance route's scores on rows of distinct spread per component, signs
    /// included, and the same bits on one thread and on three.
    #[test]
    fn randomized_scores_match_the_exact_route() {
        let (n, d) = (600, 40);
        let values = drawn(n, d, 12, |i, x| x * (1.0 + (i % d) as f32 / 2.0) + 1.0);
        let view = DenseView::new(&values, d).unwrap();
        let run = || randomized_scores(&view, 4, 3, RANDOMIZED_ITERATIONS);
        let randomized = on_threads(1, run);
        assert_close(&randomized, &pca_scores_few_columns(&view, 4), 1e-3);
        assert_eq!(randomized, on_threads(3, run));
    }

    /// The products run on rayon's pool, each value summed in the serial order: the scores
    /// are bit-identical on one thread and on three (150 × 200: the Gram route, whose products
    /// gemm runs on the pool).
    #[test]
    fn scores_are_the_same_on_any_number_of_threads() {
        let (n, d) = (150, 200);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let values: Vec<f32> = (0..n * d)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let view = DenseView::new(&values, d).unwrap();
        let on = |threads: usize| on_threads(threads, || pca_scores_approximate(&view, 4, 9, 5));
        let one: Vec<u32> = on(1).iter().map(|v| v.to_bits()).collect();
        let three: Vec<u32> = on(3).iter().map(|v| v.to_bits()).collect();
        assert_eq!(one, three);
    }
}
