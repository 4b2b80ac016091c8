//! Genotypes seen by the encoder through the training rows' principal axes
//! ([`crate::config::InputTransform::PrincipalAxes`]): each row's dosages centred on the
//! training rows' site means, each site scaled as `smartpca` scales it (Patterson, Price &
//! Reich 2006: by 1 / √(n·p·(1 − p)), p its allele frequency over the training rows, 0 at a
//! monomorphic site) and projected onto the leading principal axes of the rows so scaled, all
//! scaled by one constant so that the inputs have unit variance on average over the training
//! rows (the axes keep PCA's proportions: population structure stays larger than noise).
//!
//! Why: whatever the encoder's first layer learns from its gradients lies in the span of the
//! training rows (a few hundred samples), yet it costs sites × width weights, two products
//! and an optimiser pass over them per step; and Adam moves the weight of a site carried by
//! one or two samples as far as a common site's. The axes give that span (up to the chosen
//! number of axes) for the price of one fit before training. The binomial likelihood and its
//! targets keep every site.

use vaebio_analysis::axes::{PrincipalAxes, principal_axes, scores};
use vaebio_analysis::patterson_scale;

use crate::allele_frequency::{AlleleCounts, AlleleFrequencies};
use crate::data::{RowSource, ScaledColumns};
use crate::error::{Error, Result};
use crate::vae::chunk_rows;

/// Tensor name of the site means in `model.safetensors`.
pub(crate) const MEAN_TENSOR: &str = "encoder.input_axes.mean";
/// Tensor name of the scaled axes ([n_features, k], row-major) in `model.safetensors`.
pub(crate) const AXES_TENSOR: &str = "encoder.input_axes.axes";

/// What the fit of [`InputAxes`] found besides the projection, for starting the network at
/// PCA ([`crate::train::pca_start`]).
pub(crate) struct AxesFit {
    /// The principal axes of the scaled, centred training rows (unit length) and their
    /// variances.
    pub(crate) pca: PrincipalAxes,
    /// Each site's Patterson scale (0 at a monomorphic site).
    pub(crate) site_scales: Vec<f32>,
    /// The allele counts of the training rows the frequencies came from.
    pub(crate) counts: AlleleCounts,
    /// The one constant the projections are multiplied by.
    pub(crate) input_scale: f64,
}

/// The fitted projection: site means and scaled axes, saved with the model so that `encode`
/// projects new samples as training did.
#[derive(Debug, Clone, PartialEq)]
pub struct InputAxes {
    mean: Vec<f32>,
    axes: Vec<f32>,
    k: usize,
}

impl InputAxes {
    /// Fit `k` axes on `rows` of `values` (missing calls already filled, as the data
    /// arrive; each value of `trials` alleles where per-value trials are given, else
    /// `ploidy`), from a start drawn with `seed`; with the fit itself.
    pub(crate) fn fit(
        values: &dyn RowSource,
        rows: &[usize],
        trials: Option<&[u8]>,
        ploidy: u32,
        k: usize,
        seed: u64,
    ) -> (Self, AxesFit) {
        let counts = AlleleCounts::fit(values, rows, trials, ploidy);
        let frequencies = AlleleFrequencies::from_counts(&counts);
        let site_scales: Vec<f32> = frequencies
            .frequency
            .iter()
            .map(|&p| patterson_scale(f64::from(p), f64::from(ploidy)))
            .collect();
        let scaled = ScaledColumns {
            values,
            scales: &site_scales,
        };
        let fitted = principal_axes(&scaled, rows, k, seed);
        let total: f64 = fitted.variances.iter().sum();
        let scale = if total > 0.0 {
            (k as f64 / total).sqrt()
        } else {
            1.0
        };
        // ((x − mean) ∘ s) · A = (x − mean) · (diag(s) A): the site scales go into the axes,
        // and the mean of the scaled values is the scaled mean
        let axes = fitted
            .axes
            .chunks_exact(k.max(1))
            .zip(&site_scales)
            .flat_map(|(row, &s)| {
                row.iter()
                    .map(move |&a| (f64::from(a) * f64::from(s) * scale) as f32)
            })
            .collect();
        let mean = (fitted
            .mean
            .iter()
            .zip(&site_scales)
            .zip(&frequencies.frequency))
        .map(|((&m, &s), &p)| if s > 0.0 { m / s } else { p * ploidy as f32 })
        .collect();
        let fit = AxesFit {
            pca: fitted,
            site_scales,
            counts,
            input_scale: scale,
        };
        (Self { mean, axes, k }, fit)
    }

    /// From saved parts: `mean` (one per feature) and `axes` (features × `k`, row-major).
    pub(crate) fn from_parts(mean: Vec<f32>, axes: Vec<f32>, k: usize) -> Result<Self> {
        if axes.len() != mean.len() * k || !mean.iter().chain(&axes).all(|v| v.is_finite()) {
            return Err(Error::Data(format!(
                "input axes: {} values for {} sites × {k} axes, or one not finite — save the model again",
                axes.len(),
                mean.len()
            )));
        }
        Ok(Self { mean, axes, k })
    }

    /// Number of axes (the encoder's input width).
    pub fn n_components(&self) -> usize {
        self.k
    }

    /// Site means of the training rows.
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// Scaled axes, sites × axes, row-major.
    pub fn axes(&self) -> &[f32] {
        &self.axes
    }

    /// The encoder input of every row of `source`, rows × k, read a chunk at a time.
    pub(crate) fn project_rows(&self, source: &dyn RowSource) -> Result<Vec<f32>> {
        let n_cols = source.n_cols();
        let mut out = Vec::with_capacity(source.n_rows() * self.k);
        let (mut buffer, mut projected) = (Vec::new(), Vec::new());
        let rows: Vec<usize> = (0..source.n_rows()).collect();
        for chunk in rows.chunks(chunk_rows(n_cols)) {
            buffer.resize(chunk.len() * n_cols, 0.0);
            source
                .try_fill_rows(chunk, &mut buffer)
                .map_err(Error::ReadRows)?;
            self.project(&buffer, &mut projected);
            out.extend_from_slice(&projected);
        }
        Ok(out)
    }

    /// The encoder input of row-major dosages `values`: rows × k into `out`.
    pub(crate) fn project(&self, values: &[f32], out: &mut Vec<f32>) {
        *out = scores(values, &self.mean, &self.axes, self.k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vaebio_analysis::DenseView;

    /// Two samples far apart and two close to each other: the first axis separates the pairs,
    /// the scores have mean 0 over the training rows, and their mean square over the k axes is
    /// 1 (the one scale); a sample equal to the site means projects to 0.
    #[test]
    fn projections_are_centred_and_scaled_to_unit_mean_variance() {
        let values = [
            0.0, 0.0, 2.0, 1.0, //
            0.0, 1.0, 2.0, 1.0, //
            2.0, 2.0, 0.0, 0.0, //
            2.0, 1.0, 0.0, 1.0, //
        ];
        let view = DenseView::new(&values, 4).unwrap();
        let k = 3;
        let (fitted, _) = InputAxes::fit(&view, &[0, 1, 2, 3], None, 2, k, 5);
        let mut out = Vec::new();
        fitted.project(&values, &mut out);
        let mean_square: f64 = out.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / 4.0;
        assert!((mean_square / k as f64 - 1.0).abs() < 1e-5, "{mean_square}");
        for c in 0..k {
            let sum: f32 = out.iter().skip(c).step_by(k).sum();
            assert!(sum.abs() < 1e-5);
        }
        assert!(out[0] * out[2 * k] < 0.0 && out[0] * out[k] > 0.0);
        fitted.project(fitted.mean(), &mut out);
        assert!(out.iter().all(|v| v.abs() < 1e-6));
        let parts = InputAxes::from_parts(fitted.mean.clone(), fitted.axes.clone(), k).unwrap();
        assert_eq!(parts, fitted);
        assert!(InputAxes::from_parts(vec![0.0; 4], vec![0.0; 11], k).is_err());
        assert!(InputAxes::from_parts(vec![f32::NAN; 4], vec![0.0; 12], k).is_err());
    }
}
