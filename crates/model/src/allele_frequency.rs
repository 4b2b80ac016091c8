//! Genotypes seen by the encoder as PCA of genotypes sees them (Patterson, Price & Reich 2006,
//! `smartpca`): each dosage g of n alleles becomes (g − n·p) / √(n·p·(1 − p)), p the site's
//! alternate-allele frequency over the training rows, so that a rare variant moves the
//! encoder as much as a common one. The binomial likelihood and its targets keep the raw
//! dosages. [`crate::config::InputTransform::AlleleFrequency`] turns it on.

use serde::{Deserialize, Serialize};

use crate::data::RowSource;
use crate::vae::chunk_rows;

/// Alternate-allele frequency per site, fitted on the training rows and saved with the model
/// (config.json) so that `encode` scales new samples as training did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlleleFrequencies {
    /// p per site: the sum of dosages over the sum of alleles (trials) of the training rows.
    pub frequency: Vec<f32>,
}

/// Alternate alleles and alleles called per site, summed over some rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlleleCounts {
    /// Σ dosage per site.
    pub alternate: Vec<f64>,
    /// Σ trials (alleles) per site.
    pub alleles: Vec<f64>,
}

impl AlleleCounts {
    /// Sum `rows` of `values`, each value of `trials` alleles where per-value trials are
    /// given, else `ploidy`.
    pub fn fit(values: &dyn RowSource, rows: &[usize], trials: Option<&[u8]>, ploidy: u32) -> Self {
        let n_cols = values.n_cols();
        let mut alternate = vec![0f64; n_cols];
        let mut alleles = vec![0f64; n_cols];
        let mut buffer = Vec::new();
        for chunk in rows.chunks(chunk_rows(n_cols)) {
            buffer.resize(chunk.len() * n_cols, 0.0);
            values.fill_rows(chunk, &mut buffer);
            for (&row, row_values) in chunk.iter().zip(buffer.chunks_exact(n_cols)) {
                for (col, &g) in row_values.iter().enumerate() {
                    let n = match trials {
                        Some(trials) => u32::from(trials[row * n_cols + col]),
                        None => ploidy,
                    };
                    // a call of 0 trials was not observed (its value is a fill): left out
                    if n > 0 {
                        alternate[col] += f64::from(g);
                        alleles[col] += f64::from(n);
                    }
                }
            }
        }
        Self { alternate, alleles }
    }
}

impl AlleleFrequencies {
    /// Fit p on `rows` of `values` (missing calls already imputed, as the data arrive), each
    /// value of `trials` alleles where per-value trials are given, else `ploidy`.
    pub fn fit(values: &dyn RowSource, rows: &[usize], trials: Option<&[u8]>, ploidy: u32) -> Self {
        Self::from_counts(&AlleleCounts::fit(values, rows, trials, ploidy))
    }

    /// p from summed allele counts (0 at a site with no allele called).
    pub(crate) fn from_counts(counts: &AlleleCounts) -> Self {
        let frequency = counts
            .alternate
            .iter()
            .zip(&counts.alleles)
            .map(|(&d, &n)| if n > 0.0 { (d / n) as f32 } else { 0.0 })
            .collect();
        Self { frequency }
    }

    /// Scale row-major dosages `values` into `out`: (g − n·p) / √(n·p·(1 − p)), n from
    /// `trials` (one per value) or `ploidy`. A site monomorphic in training (p = 0 or 1) gives
    /// 0, as `smartpca` drops it: it taught the encoder nothing.
    pub fn scale(&self, values: &[f32], trials: Option<&[f32]>, ploidy: u32, out: &mut Vec<f32>) {
        let n_cols = self.frequency.len();
        out.clear();
        out.reserve(values.len());
        let ploidy = ploidy as f32;
        for (i, &g) in values.iter().enumerate() {
            let p = self.frequency[i % n_cols];
            let n = trials.map_or(ploidy, |trials| trials[i]);
            let variance = n * p * (1.0 - p);
            out.push(if variance > 0.0 {
                (g - n * p) / variance.sqrt()
            } else {
                0.0
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::f32::consts::{FRAC_1_SQRT_2, SQRT_2};

    use super::*;
    use crate::data::DenseView;

    /// Three diploid samples × three sites: site 0 has dosages 0, 1, 2 (p = 3/6 = 0.5), site 1
    /// 2, 2, 1 (p = 5/6), site 2 is monomorphic (all 0).
    const DOSAGES: [f32; 9] = [0.0, 2.0, 0.0, 1.0, 2.0, 0.0, 2.0, 1.0, 0.0];

    #[test]
    fn frequencies_and_scaling_match_a_hand_computation() {
        let view = DenseView::new(&DOSAGES, 3).unwrap();
        let fitted = AlleleFrequencies::fit(&view, &[0, 1, 2], None, 2);
        assert_eq!(fitted.frequency, vec![0.5, 5.0 / 6.0, 0.0]);
        let mut out = Vec::new();
        fitted.scale(&DOSAGES, None, 2, &mut out);
        // Site 0: n·p = 1, √(2·0.5·0.5) = √0.5, so (g − 1) / √0.5 = −√2, 0, √2.
        // Site 1: n·p = 5/3, √(2·5/6·1/6) = √(5/18) = 0.52705, so 2 → (1/3) / 0.52705 =
        // 0.63246 and 1 → (−2/3) / 0.52705 = −1.26491. Site 2: monomorphic, 0.
        let expected = [
            -SQRT_2, 0.63246, 0.0, 0.0, 0.63246, 0.0, SQRT_2, -1.26491, 0.0,
        ];
        for (got, want) in out.iter().zip(expected) {
            assert!((got - want).abs() < 1e-4, "{out:?}");
        }
    }

    #[test]
    fn per_value_trials_count_a_haploid_call_as_one_allele() {
        // Two samples at one site: a diploid 1 and a haploid 1, so p = 2 / 3.
        let values = [1.0, 1.0];
        let trials = [2u8, 1];
        let view = DenseView::new(&values, 1).unwrap();
        let fitted = AlleleFrequencies::fit(&view, &[0, 1], Some(&trials), 2);
        assert!((fitted.frequency[0] - 2.0 / 3.0).abs() < 1e-6);
        let mut out = Vec::new();
        fitted.scale(&values, Some(&[2.0, 1.0]), 2, &mut out);
        // Diploid: (1 − 4/3) / √(2·2/9) = −0.5; haploid: (1 − 2/3) / √(2/9) = 1/√2.
        assert!(
            (out[0] + 0.5).abs() < 1e-5 && (out[1] - FRAC_1_SQRT_2).abs() < 1e-5,
            "{out:?}"
        );
    }

    #[test]
    fn only_the_training_rows_set_the_frequencies() {
        let view = DenseView::new(&DOSAGES, 3).unwrap();
        let fitted = AlleleFrequencies::fit(&view, &[2], None, 2);
        assert_eq!(fitted.frequency, vec![1.0, 0.5, 0.0]);
    }
}
