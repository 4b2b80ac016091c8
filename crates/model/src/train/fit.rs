//! What is fitted on the training rows before the first epoch: the training/validation split,
//! the z-scoring of Gaussian input, allele frequencies, per-gene likelihood weights, the
//! site-model or PCA start and the site mixture of an alignment model and the library-size weights.

use candle_core::Tensor;
use rand::seq::SliceRandom;

use crate::allele_frequency::{AlleleCounts, AlleleFrequencies};
use crate::config::{InputTransform, OutputInit, TrainConfig};
use crate::data::Dataset;
use crate::error::Result;
use crate::input_axes::InputAxes;
use crate::likelihood::Likelihood;
use crate::noise::Noise;
use crate::shrinkage::SiteShrinkage;
use crate::train::gene_weights::{
    gene_weights_from_means, gene_weights_with_autocorrelation, neighbour_autocorrelation,
};
use crate::train::library_weights::library_weight_scales;
use crate::train::pca_start::{PcaStart, start_at_pca};
use crate::train::site_init::{site_log_frequencies, site_logits, start_at_site_model};
use crate::vae::{Standardization, Vae};

/// The training rows of a data set, as a row source (for fitting the standardisation).
pub(crate) struct SelectedRows<'a> {
    pub(crate) data: &'a Dataset<'a>,
    pub(crate) rows: &'a [usize],
}

impl crate::data::RowSource for SelectedRows<'_> {
    fn n_rows(&self) -> usize {
        self.rows.len()
    }

    fn n_cols(&self) -> usize {
        self.data.n_cols()
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        let mapped: Vec<usize> = rows.iter().map(|&r| self.rows[r]).collect();
        self.data.rows().fill_rows(&mapped, out);
    }
}

impl SelectedRows<'_> {
    /// The data set's row weights (e.g. sequence weights) of the selected rows, if it has any.
    fn weights(&self) -> Option<Vec<f32>> {
        let weights = self.data.weights()?;
        Some(self.rows.iter().map(|&r| weights[r]).collect())
    }
}

/// The seeded split of `0..n_rows` into training and validation rows (at least one row
/// trains).
pub(crate) fn split_rows(
    n_rows: usize,
    config: &TrainConfig,
    noise: &mut Noise,
) -> (Vec<usize>, Vec<usize>) {
    let mut rows: Vec<usize> = (0..n_rows).collect();
    rows.shuffle(noise.rng());
    let n_validation = ((n_rows as f64) * config.validation_fraction).floor() as usize;
    let n_validation = n_validation.min(n_rows - 1);
    let train_rows = rows.split_off(n_validation);
    (train_rows, rows)
}

/// Fits what the model asks for on the training rows, unless a loaded checkpoint brought it:
/// the z-scoring of Gaussian input, the per-gene likelihood weights of count data, the
/// site-model start of an alignment model's output layer and its site mixture.
pub(crate) fn fit_input_scaling(vae: &mut Vae, training: &SelectedRows, seed: u64) -> Result<()> {
    if vae.config.output_init == OutputInit::Site && vae.train_config.is_none() {
        let bias = match vae.config.likelihood {
            Likelihood::Categorical { n_states } => {
                site_log_frequencies(training, training.weights().as_deref(), n_states)
            }
            Likelihood::Binomial { trials } => site_logits(&AlleleCounts::fit(
                training.data.rows(),
                training.rows,
                training.data.trials(),
                trials,
            )),
            _ => unreachable!(
                "config validation admits the site start for categorical and binomial only"
            ),
        };
        start_at_site_model(vae, &bias)?;
    }
    if vae.config.site_mixture
        && vae.site_mixture.is_none()
        && let Likelihood::Categorical { n_states } = vae.config.likelihood
    {
        vae.site_mixture = Some(SiteShrinkage::site_model(
            training,
            training.weights().as_deref(),
            n_states,
        )?);
    }
    if vae.config.standardize && vae.standardization.is_none() {
        vae.standardization = Some(Standardization::fit(training));
    }
    if vae.config.input_transform == InputTransform::AlleleFrequency
        && vae.allele_frequencies.is_none()
    {
        vae.allele_frequencies = Some(AlleleFrequencies::fit(
            training.data.rows(),
            training.rows,
            training.data.trials(),
            vae.config.likelihood.trials().unwrap_or(2),
        ));
    }
    if vae.config.input_transform == InputTransform::PrincipalAxes && vae.input_axes.is_none() {
        let ploidy = vae.config.likelihood.trials().unwrap_or(2);
        let (axes, fit) = InputAxes::fit(
            training.data.rows(),
            training.rows,
            training.data.trials(),
            ploidy,
            vae.config.input_components,
            vae.config.seed,
        );
        vae.input_axes = Some(axes);
        if vae.config.output_init == OutputInit::Pca && vae.train_config.is_none() {
            let start = PcaStart {
                fit: &fit,
                site_logits: &site_logits(&fit.counts),
                ploidy,
            };
            start_at_pca(vae, &start)?;
        }
    }
    let weighted = vae.config.gene_weight_power > 0.0 || vae.config.gene_weight_neighbours;
    if weighted && vae.gene_weights.is_none() {
        let means = Standardization::fit(training).mean;
        let power = vae.config.gene_weight_power;
        let weights = if vae.config.gene_weight_neighbours {
            let autocorrelation = neighbour_autocorrelation(training, seed);
            gene_weights_with_autocorrelation(&means, power, &autocorrelation)
        } else {
            gene_weights_from_means(&means, power)
        };
        vae.set_gene_weights(weights)?;
    }
    Ok(())
}

/// The per-batch divisors of the library-size weights, fitted on the training rows; `None`
/// when the model does not weight cells by library size.
pub(crate) fn library_scales(
    vae: &Vae,
    data: &Dataset,
    training: &SelectedRows,
    train_rows: &[usize],
) -> Result<Option<Tensor>> {
    if vae.config.library_weight_power <= 0.0 {
        return Ok(None);
    }
    let groups: Vec<u32> = match data.batches() {
        Some(batches) if vae.config.uses_batches() => {
            train_rows.iter().map(|&r| batches[r]).collect()
        }
        _ => Vec::new(),
    };
    let n_groups = vae.config.n_batches.max(1);
    let power = vae.config.library_weight_power;
    let scales: Vec<f32> = library_weight_scales(training, &groups, n_groups, power)
        .into_iter()
        .map(|s| s as f32)
        .collect();
    Ok(Some(Tensor::new(scales.as_slice(), &vae.device)?))
}
