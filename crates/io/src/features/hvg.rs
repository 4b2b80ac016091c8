//! Highly variable genes as scanpy's `highly_variable_genes(flavor="seurat")` picks them
//! after `normalize_total(target_sum=1e4)` and `log1p`:
//!
//! 1. each cell is scaled to `target_sum` total counts (cells with no counts stay zero);
//! 2. per gene, mean and unbiased variance (ddof 1) of the scaled counts — scanpy takes
//!    `expm1` of the log data, which is these counts again; a zero mean becomes 1e-12;
//! 3. dispersion = ln(variance / mean) (NaN where the variance is 0), mean = ln(1 + mean);
//! 4. genes fall into `n_bins` equal-width bins of the log mean (pandas `cut`: the lowest
//!    edge lowered by 0.1% of the range, intervals closed on the right);
//! 5. normalised dispersion = (dispersion − bin mean) / bin std (ddof 1, NaNs left out); a
//!    bin with one gene gets mean 0 and std = its dispersion, so that gene scores 1;
//! 6. genes with a normalised dispersion ≥ the `n_top_genes`-th highest are selected
//!    (ties may select a few more, as in scanpy).
//!
//! Computed in `f64` on the counts, so results match scanpy to about 1e-6 relative.

use crate::error::{Error, Result};
use crate::features::gene_filter::for_each_nonzero;
use crate::matrix::FeatureMatrix;

/// Options for [`highly_variable_genes`].
#[derive(Debug, Clone, PartialEq)]
pub struct HvgOptions {
    /// How many genes to select.
    pub n_top_genes: usize,
    /// Number of mean bins (scanpy default 20).
    pub n_bins: usize,
    /// Total counts per cell after normalisation (scanpy tutorials use 1e4).
    pub target_sum: f64,
}

impl Default for HvgOptions {
    fn default() -> Self {
        Self {
            n_top_genes: 2000,
            n_bins: 20,
            target_sum: 1e4,
        }
    }
}

impl HvgOptions {
    /// Checks ranges before any work.
    pub fn validate(&self) -> Result<()> {
        if self.n_top_genes == 0 {
            return Err(Error::option(
                "n_top_genes",
                "0 selects no gene",
                "give a positive number, e.g. 2000",
            ));
        }
        if self.n_bins == 0 {
            return Err(Error::option(
                "n_bins",
                "0 bins",
                "give a positive number of bins, e.g. 20",
            ));
        }
        if !(self.target_sum.is_finite() && self.target_sum > 0.0) {
            return Err(Error::option(
                "target_sum",
                format!("{} is not a positive number", self.target_sum),
                "give the counts per cell after normalisation, e.g. 10000",
            ));
        }
        Ok(())
    }
}

/// Per-gene statistics and the selection, one entry per matrix column.
#[derive(Debug, Clone, PartialEq)]
pub struct HighlyVariable {
    /// ln(1 + mean of normalised counts) (scanpy `var["means"]`).
    pub means: Vec<f64>,
    /// ln(variance / mean) (scanpy `var["dispersions"]`), NaN for constant genes.
    pub dispersions: Vec<f64>,
    /// Dispersion z-scored within its mean bin (scanpy `var["dispersions_norm"]`).
    pub dispersions_norm: Vec<f64>,
    /// Indices of the selected columns, increasing (use with `FeatureMatrix::select_cols`).
    pub selected: Vec<usize>,
}

/// Scores every gene (column) of a cells × genes count matrix and selects the top ones.
pub fn highly_variable_genes(
    matrix: &FeatureMatrix,
    options: &HvgOptions,
) -> Result<HighlyVariable> {
    options.validate()?;
    let (n_cells, n_genes) = (matrix.n_rows(), matrix.n_cols());
    if n_cells < 2 || n_genes == 0 {
        return Err(Error::option(
            "n_top_genes",
            format!(
                "gene variances need at least 2 cells and 1 gene, the matrix has {n_cells} × {n_genes}"
            ),
            "select highly variable genes on a larger matrix",
        ));
    }
    let mut library = vec![0.0f64; n_cells];
    for_each_nonzero(matrix, |row, _, value| library[row] += f64::from(value));
    let scale: Vec<f64> = library
        .iter()
        .map(|&total| options.target_sum / if total == 0.0 { 1.0 } else { total })
        .collect();
    let mut sums = vec![0.0f64; n_genes];
    for_each_nonzero(matrix, |row, col, value| {
        sums[col] += f64::from(value) * scale[row]
    });
    let mean: Vec<f64> = sums.iter().map(|s| s / n_cells as f64).collect();
    // Squared deviations: stored entries directly, implicit zeros as (count) · mean².
    let mut squares = vec![0.0f64; n_genes];
    let mut stored = vec![0usize; n_genes];
    for_each_nonzero(matrix, |row, col, value| {
        let deviation = f64::from(value) * scale[row] - mean[col];
        squares[col] += deviation * deviation;
        stored[col] += 1;
    });
    let mut means = Vec::with_capacity(n_genes);
    let mut dispersions = Vec::with_capacity(n_genes);
    for gene in 0..n_genes {
        let zeros = (n_cells - stored[gene]) as f64;
        let variance = (squares[gene] + zeros * mean[gene] * mean[gene]) / (n_cells - 1) as f64;
        let gene_mean = if mean[gene] == 0.0 { 1e-12 } else { mean[gene] };
        let dispersion = variance / gene_mean;
        dispersions.push(if dispersion == 0.0 {
            f64::NAN
        } else {
            dispersion.ln()
        });
        means.push(gene_mean.ln_1p());
    }
    let dispersions_norm = normalise_in_bins(&means, &dispersions, options.n_bins);
    let selected = top_genes(&dispersions_norm, options.n_top_genes);
    Ok(HighlyVariable {
        means,
        dispersions,
        dispersions_norm,
        selected,
    })
}

/// pandas `cut(values, bins=n_bins)` codes.
fn bin_codes(values: &[f64], n_bins: usize) -> Vec<usize> {
    let (mut low, mut high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let mut edges: Vec<f64>;
    if low == high {
        low -= if low != 0.0 { 0.001 * low.abs() } else { 0.001 };
        high += if high != 0.0 {
            0.001 * high.abs()
        } else {
            0.001
        };
        edges = linspace(low, high, n_bins + 1);
    } else {
        edges = linspace(low, high, n_bins + 1);
        edges[0] -= (high - low) * 0.001;
    }
    values
        .iter()
        .map(|&v| {
            let above = edges.partition_point(|&edge| edge < v);
            above.saturating_sub(1).min(n_bins - 1)
        })
        .collect()
}

/// numpy `linspace` with the end point (start + k·step, the last edge exactly `stop`).
fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    let step = (stop - start) / (n - 1) as f64;
    let mut edges: Vec<f64> = (0..n).map(|k| k as f64 * step + start).collect();
    edges[n - 1] = stop;
    edges
}

fn normalise_in_bins(means: &[f64], dispersions: &[f64], n_bins: usize) -> Vec<f64> {
    let codes = bin_codes(means, n_bins);
    let mut count = vec![0usize; n_bins];
    let mut sum = vec![0.0f64; n_bins];
    for (&code, &d) in codes.iter().zip(dispersions) {
        if !d.is_nan() {
            count[code] += 1;
            sum[code] += d;
        }
    }
    let average: Vec<f64> = sum.iter().zip(&count).map(|(s, &n)| s / n as f64).collect();
    let mut squares = vec![0.0f64; n_bins];
    for (&code, &d) in codes.iter().zip(dispersions) {
        if !d.is_nan() {
            squares[code] += (d - average[code]).powi(2);
        }
    }
    let (average, deviation): (Vec<f64>, Vec<f64>) = (0..n_bins)
        .map(|bin| {
            if count[bin] >= 2 {
                (
                    average[bin],
                    (squares[bin] / (count[bin] - 1) as f64).sqrt(),
                )
            } else {
                // scanpy: std is NaN, so dev takes the bin mean and the mean becomes 0.
                (0.0, average[bin])
            }
        })
        .unzip();
    codes
        .iter()
        .zip(dispersions)
        .map(|(&code, &d)| (d - average[code]) / deviation[code])
        .collect()
}

fn top_genes(scores: &[f64], n_top: usize) -> Vec<usize> {
    let mut finite: Vec<f64> = scores.iter().copied().filter(|s| !s.is_nan()).collect();
    if finite.is_empty() {
        return Vec::new();
    }
    finite.sort_unstable_by(|a, b| b.total_cmp(a));
    let cutoff = finite[n_top.min(finite.len()) - 1];
    scores
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_nan() && **s >= cutoff)
        .map(|(gene, _)| gene)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::formats::table::{ExpressionOptions, read_expression};

    const NAN: f64 = f64::NAN;

    // Reference: scanpy 1.11.5 (pandas 2.3.3, numpy 2.4.6) on testdata/counts.tsv:
    //   a = AnnData(counts.T.astype(float32)); sc.pp.normalize_total(a, target_sum=1e4)
    //   sc.pp.log1p(a); sc.pp.highly_variable_genes(a, flavor="seurat", n_top_genes=10)
    // printed with 9 significant digits (a.var.means, .dispersions, .dispersions_norm).
    const MEANS: [f64; 60] = [
        4.93518849, 5.48281503, 4.76030244, 2.20436758, 6.05017865, 4.56082467, 3.82655976,
        5.8624438, 4.84729395, 4.72698572, 4.55439797, 5.18670174, 2.55759647, 3.31046454, 1e-12,
        5.20254953, 3.79267967, 3.57119557, 3.54067366, 4.12496879, 4.08609645, 4.64148036,
        6.37416474, 5.78612488, 2.55759647, 2.17617117, 4.58762889, 3.76214928, 5.12028642,
        5.56227216, 7.31157216, 3.93146706, 4.41091481, 7.29377253, 5.21454582, 5.62542588,
        4.18927489, 1e-12, 4.26350221, 4.84828788, 2.20436758, 3.53177289, 4.38682367, 2.20436758,
        3.91450278, 4.92645319, 4.62743882, 4.39434505, 5.40744596, 5.51736651, 4.90015754, 1e-12,
        5.82865871, 3.49947918, 5.70820274, 2.75403541, 5.70813467, 4.30366332, 3.05874214,
        3.41980619,
    ];
    const DISPERSIONS: [f64; 60] = [
        6.17974151, 6.13945608, 6.29288558, 5.77635327, 6.35209395, 5.78107572, 5.80743051,
        6.9637831, 6.32256166, 5.83073018, 6.25608765, 5.8927878, 6.165818, 5.82108713, NAN,
        6.5533985, 5.80966073, 6.1566368, 6.16610948, 6.04130192, 6.31687456, 6.11599308,
        6.66401683, 6.24422055, 6.165818, 5.74460447, 6.15456042, 5.75954179, 6.16238151,
        6.39626185, 6.52384417, 6.70686271, 5.75981132, 7.12741746, 6.09031684, 6.39394118,
        6.75815509, NAN, 6.09988768, 6.67041176, 5.77635327, 6.14206869, 6.17854134, 5.77635327,
        6.01860986, 6.34870725, 5.73916789, 6.26035749, 6.50118404, 6.47934342, 6.0964837, NAN,
        6.41297598, 5.71480023, 6.23123025, 6.37712717, 5.84117581, 6.36538713, 6.06880268,
        6.03111068,
    ];
    const NORMALISED: [f64; 60] = [
        -0.704313695,
        -0.329266936,
        -0.129870415,
        -0.730296731,
        -0.707106769,
        -0.894592881,
        -0.537091732,
        0.707106769,
        0.0207978748,
        -0.679113269,
        1.16676033,
        -1.29849851,
        1.09544516,
        -0.953934491,
        NAN,
        1.29723334,
        -0.531467855,
        0.783667386,
        0.832720518,
        -0.972438037,
        0.0907276198,
        0.558808446,
        1.0,
        -0.191541195,
        1.09544516,
        1.0,
        0.726174593,
        -0.657851219,
        -0.239186242,
        0.512366056,
        -0.707106769,
        1.73097813,
        -0.986871481,
        0.707106769,
        -0.522349298,
        0.501622021,
        1.79319811,
        NAN,
        -0.746412814,
        1.78686619,
        -0.730296731,
        0.70822829,
        -0.44296518,
        -0.730296731,
        -0.00456739543,
        0.153541565,
        -1.07645535,
        1.18528962,
        1.0920676,
        0.897009671,
        -1.12702155,
        NAN,
        0.589747608,
        -1.50432789,
        -0.25168252,
        1.0,
        -2.05752182,
        0.277890235,
        1.0,
        0.133646145,
    ];
    const SELECTED: [usize; 13] = [10, 12, 15, 22, 24, 25, 31, 36, 39, 47, 48, 55, 58];

    fn close(got: &[f64], want: &[f64], what: &str) {
        for (gene, (g, w)) in got.iter().zip(want).enumerate() {
            if w.is_nan() {
                assert!(g.is_nan(), "{what}[{gene}]: {g} vs NaN");
            } else {
                assert!(
                    (g - w).abs() <= 1e-6 * w.abs().max(1.0),
                    "{what}[{gene}]: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn matches_scanpy_seurat_flavour() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/counts.tsv");
        let counts = read_expression(path, &ExpressionOptions::default()).unwrap();
        let options = HvgOptions {
            n_top_genes: 10,
            ..HvgOptions::default()
        };
        let hvg = highly_variable_genes(&counts, &options).unwrap();
        close(&hvg.means, &MEANS, "means");
        close(&hvg.dispersions, &DISPERSIONS, "dispersions");
        close(&hvg.dispersions_norm, &NORMALISED, "dispersions_norm");
        assert_eq!(hvg.selected, SELECTED);
        // Dense storage gives the same answer as sparse.
        let dense = FeatureMatrix::from_dense(
            counts.row_names().to_vec(),
            counts.col_names().to_vec(),
            counts.to_dense(),
        )
        .unwrap();
        assert_eq!(
            highly_variable_genes(&dense, &options).unwrap().selected,
            SELECTED
        );
    }

    #[test]
    fn pandas_cut_edges() {
        // pandas.cut([0, 1, 2, 3, 4], 4, labels=False) → [0, 0, 1, 2, 3]
        assert_eq!(bin_codes(&[0.0, 1.0, 2.0, 3.0, 4.0], 4), [0, 0, 1, 2, 3]);
        // pandas.cut([5, 5], 3, labels=False) → [1, 1]
        assert_eq!(bin_codes(&[5.0, 5.0], 3), [1, 1]);
    }

    #[test]
    fn options_and_tiny_matrices_are_checked() {
        let bad = HvgOptions {
            n_top_genes: 0,
            ..HvgOptions::default()
        };
        assert!(bad.validate().is_err());
        let one_cell =
            FeatureMatrix::from_dense(vec!["c".into()], vec!["g".into()], vec![1.0]).unwrap();
        assert!(highly_variable_genes(&one_cell, &HvgOptions::default()).is_err());
    }
}
