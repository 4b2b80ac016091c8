//! Per-gene reconstruction weights for count data ([`VaeConfig::gene_weight_power`] and
//! [`VaeConfig::gene_weight_neighbours`]), fitted on the training rows.
//!
//! A negative binomial likelihood lets the most expressed genes dominate the loss, where
//! PCA's per-gene scaling gives every gene the same say. Weighing each gene by its mean count
//! to a negative power lifts the weakly expressed ones; multiplying by the gene's
//! neighbourhood autocorrelation (how much a cell's value agrees with that of its nearest
//! neighbours, a Moran's-I-like score as Hotspot and `scanpy.metrics.morans_i` use) keeps
//! that lift for weak genes that vary with cell identity and takes it from weak genes that
//! are noise.
//!
//! [`VaeConfig::gene_weight_power`]: crate::VaeConfig::gene_weight_power
//! [`VaeConfig::gene_weight_neighbours`]: crate::VaeConfig::gene_weight_neighbours

use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

use crate::data::{DenseView, RowSource};
use crate::vae::column_moments;
use vaebio_analysis::{log_normalise, nearest_neighbours, pca_scores_approximate};

/// Added to a feature's mean before [`gene_weights_from_means`] raises it to a negative
/// power, so that a gene absent from every training row still gets a finite weight.
const GENE_WEIGHT_OFFSET: f64 = 0.01;

/// Added to each gene's (non-negative) autocorrelation in
/// [`gene_weights_with_autocorrelation`]. On PBMC (README, "Recipes") the 6% of genes whose
/// autocorrelation is 0 were otherwise left unfitted: their `reconstruct` output correlated
/// −0.11 with scVI's, 0.41 with the floor (0.43 unweighted).
pub const AUTOCORRELATION_FLOOR: f64 = 0.05;

/// At most this many rows (a seeded random subset) go into [`neighbour_autocorrelation`]...
pub const AUTOCORRELATION_MAX_ROWS: usize = 10_000;

/// ...and at most this many values (rows × genes), so that the fit's working memory (the
/// PCA's f64 copy, 8 bytes per value) stays under 100 MB at any input size (issue 19): all
/// 10,000 rows of 1,000 genes, 6,000 of 2,000, 600 of 20,000. It was 50 million (1.2 GB at
/// 24 bytes per value) before the fit stopped copying; docs/scale.md.
pub const AUTOCORRELATION_MAX_VALUES: usize = 12_000_000;

/// Neighbours per cell in [`neighbour_autocorrelation`] (as the evaluation's 15-NN).
const NEIGHBOURS: usize = 15;

/// Principal components of the neighbour graph in [`neighbour_autocorrelation`].
const COMPONENTS: usize = 10;

/// Subspace iterations of the PCA: a neighbour graph needs the leading subspace, not the
/// exact components. Randomized SVD's usual 7 was too few for PBMC's flat spectrum (its
/// weights correlated 0.989 with those of the converged PCA; 0.997 after 20), and the
/// converged iteration (up to 200) costs ten times as much.
const PCA_ITERATIONS: usize = 20;

/// scanpy's `scale(max_value=10)`: z-scores are clipped above at 10.
const MAX_Z: f32 = 10.0;

/// Reconstruction weights for [`VaeConfig::gene_weight_power`]: (mean + 0.01)^−power per
/// feature, scaled so that they average 1 (so the loss keeps its size against the KL term).
///
/// [`VaeConfig::gene_weight_power`]: crate::VaeConfig::gene_weight_power
pub fn gene_weights_from_means(means: &[f32], power: f64) -> Vec<f32> {
    let raw: Vec<f64> = means
        .iter()
        .map(|&m| (f64::from(m) + GENE_WEIGHT_OFFSET).powf(-power))
        .collect();
    scale_to_mean_one(&raw)
}

/// [`gene_weights_from_means`] times (`autocorrelation` clipped below at 0, plus
/// [`AUTOCORRELATION_FLOOR`]) per gene, again averaging 1. The floor keeps every gene in the
/// loss, so a gene with no neighbourhood signal is still fitted (`reconstruct` needs it);
/// if every autocorrelation is 0 (too few rows to tell) the mean weights come back.
pub fn gene_weights_with_autocorrelation(
    means: &[f32],
    power: f64,
    autocorrelation: &[f32],
) -> Vec<f32> {
    let raw: Vec<f64> = gene_weights_from_means(means, power)
        .iter()
        .zip(autocorrelation)
        .map(|(&w, &r)| f64::from(w) * (f64::from(r.max(0.0)) + AUTOCORRELATION_FLOOR))
        .collect();
    scale_to_mean_one(&raw)
}

fn scale_to_mean_one(raw: &[f64]) -> Vec<f32> {
    let average = raw.iter().sum::<f64>() / raw.len().max(1) as f64;
    raw.iter().map(|&w| (w / average) as f32).collect()
}

/// Each gene's neighbourhood autocorrelation in count rows (cells × genes), clipped below at 0:
/// the Pearson correlation, across cells, between the gene's log-normalised expression
/// (ln(1 + count / cell total × 10⁴)) and its mean over the cell's 15 nearest neighbours in
/// the first 10 principal components of the z-scored log-normalised matrix (scanpy's
/// `normalize_total`, `log1p`, `scale(max_value=10)`, `pca`). A gene that marks a group of
/// similar cells scores near 1; one whose variation is noise scores near 0. Rows beyond
/// [`AUTOCORRELATION_MAX_ROWS`] (or [`AUTOCORRELATION_MAX_VALUES`] / genes) are subsampled
/// with `seed`. With fewer than 17 rows every gene scores 0.
pub fn neighbour_autocorrelation(rows: &dyn RowSource, seed: u64) -> Vec<f32> {
    let n_genes = rows.n_cols();
    let max_rows = AUTOCORRELATION_MAX_ROWS.min(AUTOCORRELATION_MAX_VALUES / n_genes.max(1));
    let mut chosen: Vec<usize> = if rows.n_rows() > max_rows {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        sample(&mut rng, rows.n_rows(), max_rows).into_vec()
    } else {
        (0..rows.n_rows()).collect()
    };
    chosen.sort_unstable();
    let n = chosen.len();
    if n <= NEIGHBOURS + 1 || n_genes == 0 {
        return vec![0.0; n_genes];
    }
    // The PCA reads its z-scores through `Normalised`, row blocks at a time: no copy of the
    // chosen rows besides the PCA's own f64 one (8 bytes per value, the fit's peak).
    let log_normalised = Normalised {
        rows,
        chosen: &chosen,
        z_scores: None,
    };
    let (mean, std) = column_moments(&log_normalised);
    let z_scored = Normalised {
        z_scores: Some((&mean, &std)),
        ..log_normalised
    };
    let components = COMPONENTS.min(n_genes);
    let scores = pca_scores_approximate(&z_scored, components, seed, PCA_ITERATIONS);
    let Ok(neighbours) =
        DenseView::new(&scores, components).and_then(|p| nearest_neighbours(p, NEIGHBOURS))
    else {
        return vec![0.0; n_genes];
    };
    let mut expression = vec![0.0f32; n * n_genes];
    log_normalised.fill_rows(&(0..n).collect::<Vec<_>>(), &mut expression);
    neighbour_correlations(&expression, &neighbours, n_genes)
        .into_iter()
        .map(|r| r.max(0.0) as f32)
        .collect()
}

/// The chosen rows of a count matrix, log-normalised and, with `z_scores` (column mean and
/// population standard deviation of the log-normalised rows), z-scored: computed as read.
#[derive(Clone, Copy)]
struct Normalised<'a> {
    rows: &'a dyn RowSource,
    chosen: &'a [usize],
    z_scores: Option<(&'a [f64], &'a [f64])>,
}

impl RowSource for Normalised<'_> {
    fn n_rows(&self) -> usize {
        self.chosen.len()
    }

    fn n_cols(&self) -> usize {
        self.rows.n_cols()
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        let mapped: Vec<usize> = rows.iter().map(|&r| self.chosen[r]).collect();
        self.rows.fill_rows(&mapped, out);
        log_normalise(out, self.n_cols());
        if let Some((mean, std)) = self.z_scores {
            z_score(out, mean, std);
        }
    }
}

/// Per gene, the Pearson correlation across rows between the gene's value in `expression`
/// (row-major, `n_genes` wide) and its mean over the row's `neighbours`; 0 when either is
/// constant. The neighbour means are recomputed a row at a time (two passes) rather than
/// kept.
fn neighbour_correlations(
    expression: &[f32],
    neighbours: &[Vec<usize>],
    n_genes: usize,
) -> Vec<f64> {
    let row = |i: usize| &expression[i * n_genes..(i + 1) * n_genes];
    let mut smoothed = vec![0.0f32; n_genes];
    let smooth = |near: &[usize], smoothed: &mut [f32]| {
        smoothed.fill(0.0);
        for &j in near {
            for (s, &v) in smoothed.iter_mut().zip(row(j)) {
                *s += v;
            }
        }
        for s in smoothed.iter_mut() {
            *s /= NEIGHBOURS as f32;
        }
    };
    let (mut sum_x, mut sum_y) = (vec![0.0f64; n_genes], vec![0.0f64; n_genes]);
    for (i, near) in neighbours.iter().enumerate() {
        smooth(near, &mut smoothed);
        for ((sx, sy), (&x, &y)) in sum_x
            .iter_mut()
            .zip(sum_y.iter_mut())
            .zip(row(i).iter().zip(&smoothed))
        {
            *sx += f64::from(x);
            *sy += f64::from(y);
        }
    }
    let n = neighbours.len() as f64;
    let mean_x: Vec<f64> = sum_x.iter().map(|s| s / n).collect();
    let mean_y: Vec<f64> = sum_y.iter().map(|s| s / n).collect();
    let (mut sxy, mut sxx, mut syy) = (
        vec![0.0f64; n_genes],
        vec![0.0f64; n_genes],
        vec![0.0f64; n_genes],
    );
    for (i, near) in neighbours.iter().enumerate() {
        smooth(near, &mut smoothed);
        for (g, (&x, &y)) in row(i).iter().zip(&smoothed).enumerate() {
            let (dx, dy) = (f64::from(x) - mean_x[g], f64::from(y) - mean_y[g]);
            sxy[g] += dx * dy;
            sxx[g] += dx * dx;
            syy[g] += dy * dy;
        }
    }
    (0..n_genes)
        .map(|g| {
            if sxx[g] > 0.0 && syy[g] > 0.0 {
                sxy[g] / (sxx[g] * syy[g]).sqrt()
            } else {
                0.0
            }
        })
        .collect()
}

/// Per-column z-scores in place (population standard deviation `std`; a constant column
/// becomes 0), clipped above at [`MAX_Z`].
fn z_score(values: &mut [f32], mean: &[f64], std: &[f64]) {
    for row in values.chunks_exact_mut(mean.len()) {
        for ((v, m), s) in row.iter_mut().zip(mean).zip(std) {
            *v = if *s > 0.0 {
                (((f64::from(*v) - m) / s) as f32).min(MAX_Z)
            } else {
                0.0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DenseMatrix;

    /// Worked by hand: means 0.99, 3.99, 0 plus 0.01 are 1, 4, 0.01; to the power −½ they
    /// are 1, 0.5, 10, averaging 11.5 / 3, so the weights are 3/11.5, 1.5/11.5, 30/11.5.
    #[test]
    fn gene_weights_by_hand() {
        let weights = gene_weights_from_means(&[0.99, 3.99, 0.0], 0.5);
        let expected = [3.0 / 11.5, 1.5 / 11.5, 30.0 / 11.5];
        for (w, e) in weights.iter().zip(expected) {
            assert!((f64::from(*w) - e).abs() < 1e-5, "{weights:?}");
        }
        assert_eq!(gene_weights_from_means(&[0.5, 7.0], 0.0), [1.0, 1.0]);
    }

    /// By hand: the mean weights 3/11.5, 1.5/11.5, 30/11.5 times autocorrelations 1, 0.5, 0
    /// plus the floor 0.05 are 3.15, 0.825, 1.5 (over 11.5), averaging 1.825 (over 11.5):
    /// 3.15/1.825, 0.825/1.825, 1.5/1.825. A negative autocorrelation counts as 0; all zeros
    /// leave the mean weights.
    #[test]
    fn autocorrelation_weights_by_hand() {
        let means = [0.99, 3.99, 0.0];
        let weights = gene_weights_with_autocorrelation(&means, 0.5, &[1.0, 0.5, -0.3]);
        for (w, e) in weights
            .iter()
            .zip([3.15 / 1.825, 0.825 / 1.825, 1.5 / 1.825])
        {
            assert!((f64::from(*w) - e).abs() < 1e-5, "{weights:?}");
        }
        let unchanged = gene_weights_with_autocorrelation(&means, 0.5, &[0.0, -1.0, 0.0]);
        for (w, e) in unchanged.iter().zip(gene_weights_from_means(&means, 0.5)) {
            assert!((w - e).abs() < 1e-6, "{unchanged:?}");
        }
    }

    /// Worked by hand on two groups of 16 cells, so that each cell's 15 neighbours are exactly
    /// the rest of its group. Genes 0–5 mark the groups (30 counts in one, 0 in the other,
    /// in pairs so every cell's total is the same); genes 6–7 alternate cell by cell (noise,
    /// 3 counts on even or odd cells, again paired); gene 8 is 5 everywhere. Group distances
    /// (6 marker genes at z = ±1) exceed within-group ones (2 noise genes), so the neighbour
    /// mean of a marker is the cell's own value: correlation 1. A noise gene's neighbour mean
    /// is (7 × own + 8 × other) / 15, which runs against the cell's own value: correlation −1,
    /// clipped to 0. The constant gene has no variance: 0.
    #[test]
    fn a_marker_gene_is_autocorrelated_and_noise_is_not() {
        let n = 32;
        let mut values = Vec::new();
        for cell in 0..n {
            let (a, b) = if cell < n / 2 {
                (30.0, 0.0)
            } else {
                (0.0, 30.0)
            };
            let (even, odd) = if cell % 2 == 0 {
                (3.0, 0.0)
            } else {
                (0.0, 3.0)
            };
            values.extend([a, b, a, b, a, b, even, odd, 5.0]);
        }
        let matrix = DenseMatrix::new(values, n, 9).unwrap();
        let r = neighbour_autocorrelation(&matrix, 0);
        for marker in &r[..6] {
            assert!((marker - 1.0).abs() < 1e-5, "{r:?}");
        }
        assert_eq!(&r[6..], [0.0; 3], "{r:?}");
    }

    /// Against numpy (2.x, float64): for 6 genes the 6 components span every direction, so the
    /// neighbours are those of the clipped z-scores themselves. Reference:
    /// `L = log1p(C / C.sum(1) * 1e4)`; `Z = min((L - L.mean(0)) / L.std(0), 10)`; the 15
    /// nearest rows of `Z` (Euclidean, self excluded; no near-ties: the 15th and 16th squared
    /// distances differ by at least 0.02); `r_g = corrcoef(L[:, g], L[idx].mean(1)[:, g])`.
    #[test]
    fn autocorrelation_matches_numpy() {
        let (n, d) = (30, 6);
        let values: Vec<f32> = (0..n * d)
            .map(|k| {
                let (i, j) = (k / d, k % d);
                let base = (i * 7 + j * 13 + i * j) % 11;
                (base + if i % 3 == j % 3 { 6 } else { 0 }) as f32
            })
            .collect();
        let matrix = DenseMatrix::new(values, n, d).unwrap();
        let r = neighbour_autocorrelation(&matrix, 0);
        let numpy = [0.878444, 0.585065, 0.819595, 0.850017, 0.864343, 0.845144];
        for (got, want) in r.iter().zip(numpy) {
            assert!((got - want).abs() < 1e-4, "{r:?}");
        }
    }

    /// Too few rows for 15 neighbours: every gene scores 0 (and the mean weights stand).
    #[test]
    fn too_few_rows_score_zero() {
        let matrix = DenseMatrix::new(vec![1.0; 16 * 3], 16, 3).unwrap();
        assert_eq!(neighbour_autocorrelation(&matrix, 0), [0.0; 3]);
    }

    /// The same seed and rows give the same scores; beyond the row cap a seeded subset is
    /// used, so it stays deterministic.
    #[test]
    fn deterministic() {
        let values: Vec<f32> = (0..60 * 5).map(|i| ((i * 7919) % 13) as f32).collect();
        let matrix = DenseMatrix::new(values, 60, 5).unwrap();
        assert_eq!(
            neighbour_autocorrelation(&matrix, 3),
            neighbour_autocorrelation(&matrix, 3)
        );
    }
}
