//! How good is a latent space? Label and batch metrics on points in memory.
//!
//! The definitions follow scikit-learn (`adjusted_rand_score`, `normalized_mutual_info_score`
//! with arithmetic normalisation, `silhouette_score` on Euclidean distance), so figures are
//! comparable with scanpy/scib reports; the tests check values computed with scikit-learn 1.9.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::matrix::{DenseView, RowSource, squared_distance};

/// Fails unless there is one label per point.
fn check_len(points: &DenseView<'_>, what: &'static str, got: usize) -> Result<()> {
    if got == points.n_rows() {
        Ok(())
    } else {
        Err(Error::Length {
            what,
            got,
            expected: points.n_rows(),
        })
    }
}

/// The `k` nearest neighbours of every point (Euclidean, the point itself excluded), nearest
/// first; ties are broken by index so the result is deterministic.
pub fn nearest_neighbours(points: DenseView<'_>, k: usize) -> Result<Vec<Vec<usize>>> {
    let n = points.n_rows();
    if k == 0 || k >= n {
        return Err(Error::TooFew {
            what: "k nearest neighbours",
            needed: k,
            got: n,
        });
    }
    Ok((0..n)
        .into_par_iter()
        .map(|i| {
            let mut dist: Vec<(f64, usize)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (squared_distance(points.row(i), points.row(j)), j))
                .collect();
            dist.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let nearest = &mut dist[..k];
            nearest.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            // A fresh k-long list: collecting `dist.into_iter()` would reuse (and keep) its
            // n-long allocation for every point, n² × 16 bytes in all (1.6 GB at 10,000).
            nearest.iter().map(|&(_, j)| j).collect()
        })
        .collect())
}

/// Leave-one-out kNN classification accuracy: each point gets the majority label of its `k`
/// nearest neighbours (ties go to the label of the nearest neighbour among the tied labels).
pub fn knn_accuracy(neighbours: &[Vec<usize>], labels: &[usize]) -> Result<f64> {
    if neighbours.len() != labels.len() {
        return Err(Error::Length {
            what: "labels",
            got: labels.len(),
            expected: neighbours.len(),
        });
    }
    let n_labels = labels.iter().max().map_or(0, |m| m + 1);
    let correct = neighbours
        .iter()
        .zip(labels)
        .filter(|(nbrs, label)| {
            let mut votes = vec![0usize; n_labels];
            for &j in nbrs.iter() {
                votes[labels[j]] += 1;
            }
            let best = votes.iter().copied().max().unwrap_or(0);
            // Nearest neighbour whose label has the top vote count.
            let winner = nbrs.iter().map(|&j| labels[j]).find(|&l| votes[l] == best);
            winner == Some(**label)
        })
        .count();
    Ok(correct as f64 / labels.len() as f64)
}

/// Mean over points of the entropy of batch labels among each point's neighbours, divided by
/// the log of the number of batches: 1 is perfect mixing, 0 is none.
pub fn batch_mixing_entropy(neighbours: &[Vec<usize>], batches: &[usize]) -> Result<f64> {
    if neighbours.len() != batches.len() {
        return Err(Error::Length {
            what: "batches",
            got: batches.len(),
            expected: neighbours.len(),
        });
    }
    let n_batches = batches.iter().max().map_or(0, |m| m + 1);
    if n_batches < 2 {
        return Ok(0.0);
    }
    let total: f64 = neighbours
        .iter()
        .map(|nbrs| {
            let mut counts = vec![0usize; n_batches];
            for &j in nbrs {
                counts[batches[j]] += 1;
            }
            entropy(&counts, nbrs.len())
        })
        .sum();
    Ok(total / neighbours.len() as f64 / (n_batches as f64).ln())
}

fn entropy(counts: &[usize], total: usize) -> f64 {
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total as f64;
            -p * p.ln()
        })
        .sum()
}

/// Contingency table of two labelings (rows: `a`, columns: `b`).
fn contingency(a: &[usize], b: &[usize]) -> (Vec<Vec<usize>>, Vec<usize>, Vec<usize>) {
    let na = a.iter().max().map_or(0, |m| m + 1);
    let nb = b.iter().max().map_or(0, |m| m + 1);
    let mut table = vec![vec![0usize; nb]; na];
    for (&x, &y) in a.iter().zip(b) {
        table[x][y] += 1;
    }
    let row_sums = table.iter().map(|r| r.iter().sum()).collect();
    let col_sums = (0..nb).map(|j| table.iter().map(|r| r[j]).sum()).collect();
    (table, row_sums, col_sums)
}

fn check_pair(a: &[usize], b: &[usize]) -> Result<()> {
    if a.len() != b.len() || a.is_empty() {
        return Err(Error::Length {
            what: "second labeling",
            got: b.len(),
            expected: a.len(),
        });
    }
    Ok(())
}

/// Adjusted Rand index between two labelings (1: identical partitions, ~0: chance).
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> Result<f64> {
    check_pair(a, b)?;
    let pairs = |x: usize| (x as f64) * (x as f64 - 1.0) / 2.0;
    let (table, rows, cols) = contingency(a, b);
    let index: f64 = table.iter().flatten().map(|&c| pairs(c)).sum();
    let sum_rows: f64 = rows.iter().map(|&c| pairs(c)).sum();
    let sum_cols: f64 = cols.iter().map(|&c| pairs(c)).sum();
    let expected = sum_rows * sum_cols / pairs(a.len());
    let max = (sum_rows + sum_cols) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return Ok(1.0);
    }
    Ok((index - expected) / (max - expected))
}

/// Normalised mutual information with arithmetic-mean normalisation (scikit-learn's default).
pub fn normalized_mutual_information(a: &[usize], b: &[usize]) -> Result<f64> {
    check_pair(a, b)?;
    let n = a.len() as f64;
    let (table, rows, cols) = contingency(a, b);
    let mut mi = 0.0;
    for (i, row) in table.iter().enumerate() {
        for (j, &c) in row.iter().enumerate() {
            if c > 0 {
                let c = c as f64;
                mi += c / n * (c * n / (rows[i] as f64 * cols[j] as f64)).ln();
            }
        }
    }
    let ha = entropy(&rows, a.len());
    let hb = entropy(&cols, b.len());
    if ha == 0.0 && hb == 0.0 {
        return Ok(1.0);
    }
    let norm = (ha + hb) / 2.0;
    Ok(if norm > 0.0 { mi / norm } else { 0.0 })
}

/// Mean silhouette coefficient on Euclidean distance; needs at least two labels.
pub fn silhouette(points: DenseView<'_>, labels: &[usize]) -> Result<f64> {
    check_len(&points, "labels", labels.len())?;
    let n = points.n_rows();
    let n_labels = labels.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; n_labels];
    for &l in labels {
        sizes[l] += 1;
    }
    if sizes.iter().filter(|&&s| s > 0).count() < 2 {
        return Err(Error::TooFew {
            what: "silhouette (labels)",
            needed: 1,
            got: sizes.iter().filter(|&&s| s > 0).count(),
        });
    }
    let total: f64 = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut sums = vec![0.0f64; n_labels];
            for j in 0..n {
                if j != i {
                    sums[labels[j]] += squared_distance(points.row(i), points.row(j)).sqrt();
                }
            }
            let own = labels[i];
            if sizes[own] <= 1 {
                return 0.0;
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..n_labels)
                .filter(|&l| l != own && sizes[l] > 0)
                .map(|l| sums[l] / sizes[l] as f64)
                .fold(f64::INFINITY, f64::min);
            (b - a) / a.max(b)
        })
        .sum();
    Ok(total / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Twelve 2-D points in three loose groups, with two labelings; expected values from
    // scikit-learn 1.9.1: adjusted_rand_score, normalized_mutual_info_score,
    // silhouette_score(X, labels), and a hand count for the kNN accuracy.
    const X: [f32; 24] = [
        0.0, 0.1, 0.2, -0.1, -0.1, 0.0, 0.1, 0.2, // group 0
        3.0, 3.1, 3.2, 2.9, 2.8, 3.0, 3.1, 3.3, // group 1
        -3.0, 3.0, -3.1, 2.9, -2.9, 3.2, -3.2, 3.1, // group 2
    ];
    const TRUTH: [usize; 12] = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
    const NOISY: [usize; 12] = [0, 0, 1, 0, 1, 1, 1, 2, 2, 2, 0, 2];

    #[test]
    fn ari_matches_sklearn() {
        let ari = adjusted_rand_index(&TRUTH, &NOISY).unwrap();
        assert!((ari - SKLEARN_ARI).abs() < 1e-9, "{ari}");
        assert_eq!(adjusted_rand_index(&TRUTH, &TRUTH).unwrap(), 1.0);
    }

    #[test]
    fn nmi_matches_sklearn() {
        let nmi = normalized_mutual_information(&TRUTH, &NOISY).unwrap();
        assert!((nmi - SKLEARN_NMI).abs() < 1e-9, "{nmi}");
    }

    #[test]
    fn silhouette_matches_sklearn() {
        let points = DenseView::new(&X, 2).unwrap();
        let s = silhouette(points, &TRUTH).unwrap();
        assert!((s - SKLEARN_SILHOUETTE).abs() < 1e-6, "{s}");
        let s = silhouette(points, &NOISY).unwrap();
        assert!((s - SKLEARN_SILHOUETTE_NOISY).abs() < 1e-6, "{s}");
    }

    #[test]
    fn knn_accuracy_counts_majority_votes() {
        let points = DenseView::new(&X, 2).unwrap();
        let nbrs = nearest_neighbours(points, 3).unwrap();
        // Groups are far apart: the 3 nearest neighbours of every point share its group.
        assert_eq!(knn_accuracy(&nbrs, &TRUTH).unwrap(), 1.0);
        // Against NOISY, by hand: the points whose label is the majority of their group
        // (indices 0, 1, 3, 4, 5, 6, 8, 9, 11) are predicted correctly, the three others not.
        assert!((knn_accuracy(&nbrs, &NOISY).unwrap() - 9.0 / 12.0).abs() < 1e-12);
    }

    #[test]
    fn batch_mixing_is_zero_for_separated_and_high_for_mixed_batches() {
        let points = DenseView::new(&X, 2).unwrap();
        let nbrs = nearest_neighbours(points, 3).unwrap();
        assert_eq!(batch_mixing_entropy(&nbrs, &TRUTH).unwrap(), 0.0);
        let alternating: Vec<usize> = (0..12).map(|i| i % 2).collect();
        let mixed = batch_mixing_entropy(&nbrs, &alternating).unwrap();
        assert!(mixed > 0.8, "{mixed}");
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(DenseView::new(&X[..5], 2).is_err());
        let empty = DenseView::new(&[], 2).unwrap();
        assert!(nearest_neighbours(empty, 1).is_err());
        assert!(silhouette(empty, &[]).is_err());
        let points = DenseView::new(&X, 2).unwrap();
        assert!(nearest_neighbours(points, 12).is_err());
        assert!(silhouette(points, &TRUTH[..3]).is_err());
        assert!(adjusted_rand_index(&TRUTH, &NOISY[..4]).is_err());
    }

    const SKLEARN_ARI: f64 = 0.3125;
    const SKLEARN_NMI: f64 = 0.48814049285708533;
    const SKLEARN_SILHOUETTE: f64 = 0.93539630058694;
    const SKLEARN_SILHOUETTE_NOISY: f64 = 0.1938408036157269;
}
