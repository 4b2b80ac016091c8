//! Using a trained model: posterior parameters, posterior and prior samples, reconstructions
//! (batch-corrected with `transform_batch`) and per-row ELBO (for ΔELBO mutation scores).
//!
//! All of these run in evaluation mode (no dropout, batch-norm running statistics) in chunks
//! of rows, so memory stays flat on large inputs.

use candle_core::{DType, Tensor};

use crate::data::{Dataset, DenseMatrix, RowSource};
use crate::error::{Error, Result};
use crate::likelihood::{DecoderOutput, Exposure, Likelihood};
use crate::minibatch::{Buffers, Minibatch};
use crate::nn::bayesian_decoder::BayesianMlp;
use crate::nn::layer::Covariates;
use crate::noise::Noise;
use crate::shrinkage::SiteShrinkage;
use crate::train::loss::kl_standard_normal;
use crate::vae::{Vae, chunk_rows, for_chunks, for_chunks_of, map_chunks_of};

/// The approximate posterior q(z | x) = N(mean, exp(log_var)) of each row.
#[derive(Debug, Clone, PartialEq)]
pub struct Posterior {
    /// Posterior means, rows × latent: the embedding.
    pub mean: DenseMatrix,
    /// Posterior log-variances, rows × latent.
    pub log_var: DenseMatrix,
}

impl Posterior {
    /// The means with each latent dimension divided by its root-mean-square posterior
    /// standard deviation over the rows, √(mean of exp(log_var)): distances in units of the
    /// posterior's uncertainty.
    ///
    /// Why: with β = 1 a VAE learns a roughly whitened latent (as probabilistic PCA does,
    /// each used dimension gets about unit variance whatever the share of the data's variance
    /// behind it), so a direction that only separates contigs of one genome weighs as much as
    /// one that separates genomes. The posterior variance undoes that: in probabilistic PCA it
    /// is σ²/λ for a component of variance λ, so dividing by its root puts the components
    /// back in proportion to √λ, as PCA scores are. Unused dimensions (posterior variance
    /// about 1, means about 0) stay about 0.
    pub fn precision_scaled_mean(&self) -> Result<DenseMatrix> {
        let (n_rows, latent) = (self.mean.n_rows(), self.mean.n_cols());
        let mut variance = vec![0f64; latent];
        for row in 0..n_rows {
            for (sum, &log_var) in variance.iter_mut().zip(self.log_var.row(row)) {
                *sum += f64::from(log_var).exp();
            }
        }
        let scale: Vec<f32> = variance
            .iter()
            .map(|&sum| (sum / n_rows.max(1) as f64).sqrt().recip() as f32)
            .collect();
        let values = (0..n_rows)
            .flat_map(|row| self.mean.row(row).iter().zip(&scale).map(|(m, s)| m * s))
            .collect();
        Ok(DenseMatrix::new(values, n_rows, latent)?)
    }
}

impl Vae {
    /// Posterior mean and log-variance of every row.
    pub fn encode(&self, rows: &dyn RowSource) -> Result<Posterior> {
        self.check_columns(rows.n_cols())?;
        let data = Dataset::new(rows);
        let latent = self.config.latent;
        // Chunks on the pool, in order: the posterior of a row depends on that row only.
        let size = chunk_rows(rows.n_cols());
        let chunks =
            map_chunks_of::<_, Error>(rows.n_rows(), size, self.device.is_cpu(), |chunk| {
                let batch = self.assemble(&data, chunk, &mut Buffers::default())?;
                let (mean, log_var) = self.encoder.forward(&batch.input, None, None)?;
                Ok((Vae::host(&mean)?, Vae::host(&log_var)?))
            })?;
        let mut means = Vec::with_capacity(rows.n_rows() * latent);
        let mut log_vars = Vec::with_capacity(rows.n_rows() * latent);
        for (mean, log_var) in chunks {
            means.extend(mean);
            log_vars.extend(log_var);
        }
        Ok(Posterior {
            mean: DenseMatrix::new(means, rows.n_rows(), latent)?,
            log_var: DenseMatrix::new(log_vars, rows.n_rows(), latent)?,
        })
    }

    /// One draw z ~ q(z | x) per row, from `seed`.
    pub fn sample_posterior(&self, rows: &dyn RowSource, seed: u64) -> Result<DenseMatrix> {
        self.check_columns(rows.n_cols())?;
        let data = Dataset::new(rows);
        let latent = self.config.latent;
        let mut noise = Noise::new(seed);
        let mut samples = Vec::with_capacity(rows.n_rows() * latent);
        let mut buffers = Buffers::default();
        for_chunks_of::<Error>(rows.n_rows(), chunk_rows(rows.n_cols()), |chunk| {
            let batch = self.assemble(&data, chunk, &mut buffers)?;
            let (mean, log_var) = self.encoder.forward(&batch.input, None, None)?;
            let (rows, latent) = mean.dims2()?;
            let epsilon = noise.standard_normal(rows, latent, &self.device)?;
            let z = reparameterise(&mean, &log_var, &epsilon)?;
            samples.extend(Vae::host(&z)?);
            Ok(())
        })?;
        Ok(DenseMatrix::new(samples, rows.n_rows(), latent)?)
    }

    /// `n` rows decoded from z ~ N(0, I) drawn from `seed`: expected values in input units
    /// (normalised expression — rows summing to 1 — for count likelihoods). `batch` picks the
    /// batch category to decode as (default 0) when the model has a batch covariate; extra
    /// categorical covariates are decoded as category 0 and continuous ones as 0.
    pub fn generate(&self, n: usize, seed: u64, batch: Option<u32>) -> Result<DenseMatrix> {
        let mut noise = Noise::new(seed);
        let n_features = self.config.n_features;
        let mut values = Vec::new();
        let fits = n
            .checked_mul(n_features)
            .is_some_and(|count| values.try_reserve_exact(count).is_ok());
        if !fits {
            return Err(Error::Data(format!(
                "{n} samples × {n_features} features ({:.1} GB) do not fit in memory — ask for fewer, and for more run again with another seed",
                n as f64 * n_features as f64 * 4e-9
            )));
        }
        for_chunks::<Error>(n, |chunk| {
            let rows = chunk.len();
            let z = noise.standard_normal(rows, self.config.latent, &self.device)?;
            let batches = self.constant_batch(rows, batch.unwrap_or(0))?;
            let categorical = (0..self.config.covariate_categories.len())
                .map(|_| Tensor::zeros(rows, DType::U32, &self.device))
                .collect::<candle_core::Result<Vec<_>>>()?;
            let continuous = match self.config.n_continuous {
                0 => None,
                k => Some(Tensor::zeros((rows, k), DType::F32, &self.device)?),
            };
            let covariates = Covariates {
                batches: batches.as_ref(),
                categorical: &categorical,
                continuous: continuous.as_ref(),
            };
            values.extend(self.decode_mean(&z, &covariates, None)?);
            Ok(())
        })?;
        self.destandardize(&mut values);
        Ok(DenseMatrix::new(values, n, n_features)?)
    }

    /// Decode each row's posterior mean: the expected value in input units (normalised
    /// expression for count likelihoods, as scVI's `get_normalized_expression`). With
    /// `transform_batch`, every row is decoded as if from that batch category: batch-corrected
    /// values. Extra covariates are each row's own.
    pub fn reconstruct(&self, data: &Dataset, transform_batch: Option<u32>) -> Result<DenseMatrix> {
        self.check_columns(data.n_cols())?;
        self.check_covariates(data)?;
        let n_features = self.config.n_features;
        let size = chunk_rows(data.n_cols());
        let chunks =
            map_chunks_of::<_, Error>(data.n_rows(), size, self.device.is_cpu(), |chunk| {
                self.reconstruct_rows(data, chunk, transform_batch)
            })?;
        let mut values = Vec::with_capacity(data.n_rows() * n_features);
        chunks.into_iter().for_each(|chunk| values.extend(chunk));
        self.destandardize(&mut values);
        Ok(DenseMatrix::new(values, data.n_rows(), n_features)?)
    }

    /// The decoder's means of `rows`' posterior means, row-major, in the model's own units
    /// (z-scored where the model standardises; [`Vae::reconstruct`] undoes that). The caller
    /// checks `data`'s columns and covariates.
    pub(crate) fn reconstruct_rows(
        &self,
        data: &Dataset,
        rows: &[usize],
        transform_batch: Option<u32>,
    ) -> Result<Vec<f32>> {
        let batch = self.assemble(data, rows, &mut Buffers::default())?;
        let (mean, _) = self.encoder.forward(&batch.input, None, None)?;
        self.decode_rows(data, rows, &batch, &mean, transform_batch)
    }

    /// [`Vae::reconstruct_rows`] from the rows' posterior `means` (row-major, as
    /// [`Vae::encode`] gives them) instead of encoding the rows again.
    pub(crate) fn reconstruct_rows_from_means(
        &self,
        data: &Dataset,
        rows: &[usize],
        means: &[f32],
    ) -> Result<Vec<f32>> {
        let batch = self.assemble(data, rows, &mut Buffers::default())?;
        let mean = Tensor::from_slice(means, (rows.len(), self.config.latent), &self.device)?;
        self.decode_rows(data, rows, &batch, &mean, None)
    }

    /// The decoder's means of `mean`, the posterior means of `rows` (assembled as `batch`).
    fn decode_rows(
        &self,
        data: &Dataset,
        rows: &[usize],
        batch: &Minibatch,
        mean: &Tensor,
        transform_batch: Option<u32>,
    ) -> Result<Vec<f32>> {
        let batches = self.batch_tensor(data, rows, transform_batch)?;
        let covariates = Covariates {
            batches: batches.as_ref(),
            ..batch.covariates()
        };
        // a call of 0 trials (masked, not observed) is reconstructed at the largest
        // ploidy: its expected dosage, as for any other call
        let trials = match (&batch.trials, self.config.likelihood.trials()) {
            (Some(trials), Some(most)) => {
                let unobserved = trials.eq(0.0)?.to_dtype(trials.dtype())?;
                Some((trials + (unobserved * f64::from(most))?)?)
            }
            (trials, _) => trials.clone(),
        };
        self.decode_mean(mean, &covariates, trials.as_ref())
    }

    /// Per-row evidence lower bound E_q[log p(x | z)] − KL(q(z | x) ‖ p(z)), the expectation
    /// averaged over `n_samples` posterior draws from `seed`, the same standard-normal draws
    /// for every row (β = 1, weights ignored) — and,
    /// with a Bayesian decoder, over as many draws of its weights, as EVE's
    /// `compute_evol_indices` does (the weights' own KL is left out, like EVE's). With
    /// standardisation the likelihood is that of the z-scored row. ΔELBO between a mutant and
    /// the wild type scores a mutation (EVE).
    pub fn elbo(&self, data: &Dataset, n_samples: usize, seed: u64) -> Result<Vec<f32>> {
        self.elbo_with(data, n_samples, seed, None)
    }

    /// [`Vae::elbo`] with the likelihood of a categorical model's columns replaced by the
    /// predictive shrunk toward the family's site model, (1 − ε)·p + ε·s
    /// ([`SiteShrinkage`]): what `vaebio score --shrinkage site` ranks mutants by.
    pub fn elbo_shrunk(
        &self,
        data: &Dataset,
        n_samples: usize,
        seed: u64,
        shrinkage: &SiteShrinkage,
    ) -> Result<Vec<f32>> {
        let fits = matches!(
            self.config.likelihood,
            Likelihood::Categorical { n_states } if n_states == shrinkage.n_states()
        ) && shrinkage.n_features() == self.config.n_features;
        if !fits {
            return Err(Error::Data(format!(
                "site shrinkage of {} features in blocks of {} does not fit this model ({} features, {} likelihood) — compute it from the alignment the model was trained on",
                shrinkage.n_features(),
                shrinkage.n_states(),
                self.config.n_features,
                self.config.likelihood.name()
            )));
        }
        self.elbo_with(data, n_samples, seed, Some(shrinkage))
    }

    fn elbo_with(
        &self,
        data: &Dataset,
        n_samples: usize,
        seed: u64,
        shrinkage: Option<&SiteShrinkage>,
    ) -> Result<Vec<f32>> {
        if n_samples == 0 {
            return Err(Error::Data(
                "0 posterior samples — use at least 1 (EVE uses many, e.g. 200)".to_string(),
            ));
        }
        self.check_data(data)?;
        if let Some(decoder) = self.decoder.bayesian() {
            return self.elbo_weight_draws(decoder, data, n_samples, seed, shrinkage);
        }
        let mut elbo = Vec::with_capacity(data.n_rows());
        let mut buffers = Buffers::default();
        for_chunks_of::<Error>(data.n_rows(), chunk_rows(data.n_cols()), |chunk| {
            // Common random numbers: every row, in every chunk, gets the same draws (the k-th
            // sample's ε and decoder weights), so a difference of two rows' ELBO (a mutant's
            // against the wild type's) carries little of the Monte Carlo noise of either.
            let mut noise = Noise::new(seed);
            let batch = self.assemble(data, chunk, &mut buffers)?;
            let (mean, log_var) = self.encoder.forward(&batch.input, None, None)?;
            // the rows' one-hot values on the host, once per chunk, for the shrunk likelihood
            let target = shrinkage.map(|_| Vae::host(&batch.target)).transpose()?;
            let mut log_px_sum: Option<Tensor> = None;
            for _ in 0..n_samples {
                let (rows, latent) = mean.dims2()?;
                let epsilon = noise
                    .standard_normal(1, latent, &self.device)?
                    .broadcast_as((rows, latent))?;
                let z = reparameterise(&mean, &log_var, &epsilon)?;
                // a point decoder (a Bayesian one took `elbo_weight_draws`): no noise
                let output = self.decoder.forward(&z, &batch.covariates(), None, None)?;
                let log_px = self.sample_log_px(&batch, &output, shrinkage, target.as_deref())?;
                log_px_sum = Some(match log_px_sum {
                    None => log_px,
                    Some(sum) => (sum + log_px)?,
                });
            }
            let kl = kl_standard_normal(&mean, &log_var)?;
            if let Some(sum) = log_px_sum {
                let row_elbo = ((sum / n_samples as f64)? - kl)?;
                elbo.extend(Vae::host(&row_elbo)?);
            }
            Ok(())
        })?;
        Ok(elbo)
    }

    /// [`Vae::elbo_with`] for a Bayesian decoder, the samples outside and the chunks inside:
    /// each sample's weights are drawn once for all rows, not once per chunk of rows (an
    /// EVE decoder has ~20 M weights; 4,807 BLAT_ECOLX mutants are 7 chunks). The draws (each
    /// sample's ε, then its weights, from one stream of `seed`), their use and the order of
    /// the sums are those of the chunk-by-chunk loop, so the ELBO is the same to the bit.
    fn elbo_weight_draws(
        &self,
        decoder: &BayesianMlp,
        data: &Dataset,
        n_samples: usize,
        seed: u64,
        shrinkage: Option<&SiteShrinkage>,
    ) -> Result<Vec<f32>> {
        let mut buffers = Buffers::default();
        // every chunk's rows and posterior, once; the rows are assembled again per sample,
        // so that memory stays that of one chunk
        let mut chunks: Vec<(Vec<usize>, Tensor, Tensor, Option<Tensor>)> = Vec::new();
        for_chunks_of::<Error>(data.n_rows(), chunk_rows(data.n_cols()), |rows| {
            let batch = self.assemble(data, rows, &mut buffers)?;
            let (mean, log_var) = self.encoder.forward(&batch.input, None, None)?;
            chunks.push((rows.to_vec(), mean, log_var, None));
            Ok(())
        })?;
        let mut noise = Noise::new(seed);
        for _ in 0..n_samples {
            let epsilon = noise.standard_normal(1, self.config.latent, &self.device)?;
            let draw = decoder.draw(Some(&mut noise))?;
            for (rows, mean, log_var, sum) in &mut chunks {
                let batch = self.assemble(data, rows, &mut buffers)?;
                let z = reparameterise(mean, log_var, &epsilon.broadcast_as(mean.shape())?)?;
                let output = DecoderOutput {
                    loc: decoder.forward_drawn(&z, &draw, None, false)?,
                    log_scale: None,
                    zero_logits: None,
                };
                let target = shrinkage.map(|_| Vae::host(&batch.target)).transpose()?;
                let log_px = self.sample_log_px(&batch, &output, shrinkage, target.as_deref())?;
                *sum = Some(match sum.take() {
                    None => log_px,
                    Some(previous) => (previous + log_px)?,
                });
            }
        }
        let mut elbo = Vec::with_capacity(data.n_rows());
        for (_, mean, log_var, sum) in chunks {
            let kl = kl_standard_normal(&mean, &log_var)?;
            if let Some(sum) = sum {
                elbo.extend(Vae::host(&((sum / n_samples as f64)? - kl)?)?);
            }
        }
        Ok(elbo)
    }

    /// One posterior sample's log p(x | z) of each row of `batch` from the decoder's `output`:
    /// the likelihood's, or with `shrinkage` the shrunk predictive's (`target`, the rows'
    /// values on the host). Detached: a running sum would otherwise hold every sample's
    /// decoder graph (activations of all layers) alive until the chunk ends.
    fn sample_log_px(
        &self,
        batch: &Minibatch,
        output: &DecoderOutput,
        shrinkage: Option<&SiteShrinkage>,
        target: Option<&[f32]>,
    ) -> Result<Tensor> {
        Ok(match (shrinkage, target) {
            (Some(shrinkage), Some(target)) => {
                let values = shrinkage.row_log_probs(target, &Vae::host(&output.loc)?);
                Tensor::from_vec(values, batch.rows, &self.device)?
            }
            _ => self
                .config
                .likelihood
                .log_prob(&batch.target, output, batch.exposure())?
                .detach(),
        })
    }

    /// Decode `z` in evaluation mode to the likelihood's expected value (with each value's
    /// own binomial `trials` when given), on the host.
    fn decode_mean(
        &self,
        z: &Tensor,
        covariates: &Covariates,
        trials: Option<&Tensor>,
    ) -> Result<Vec<f32>> {
        let output = self.decoder.forward(z, covariates, None, None)?;
        let exposure = Exposure {
            library_size: None,
            trials,
        };
        let mean = self.config.likelihood.mean(&output, exposure)?;
        Vae::host(&mean)
    }

    fn constant_batch(&self, rows: usize, batch: u32) -> Result<Option<Tensor>> {
        if !self.config.uses_batches() {
            return Ok(None);
        }
        if batch as usize >= self.config.n_batches {
            return Err(Error::Data(format!(
                "batch {batch} is not below the model's {} batch categories",
                self.config.n_batches
            )));
        }
        Ok(Some(Tensor::from_vec(
            vec![batch; rows],
            rows,
            &self.device,
        )?))
    }

    pub(crate) fn check_columns(&self, n_cols: usize) -> Result<()> {
        if n_cols == self.config.n_features {
            Ok(())
        } else {
            Err(Error::Data(format!(
                "{n_cols} features per row, the model has {} — select the same features as at training",
                self.config.n_features
            )))
        }
    }
}

/// z = μ + σ ε.
fn reparameterise(mean: &Tensor, log_var: &Tensor, epsilon: &Tensor) -> Result<Tensor> {
    Ok((mean + (log_var * 0.5)?.exp()?.mul(epsilon)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_scaled_mean_divides_by_the_rms_posterior_sd() {
        // By hand: dimension 1 has posterior variances 4 and 4 (RMS sd 2), so 1 → 0.5 and
        // 3 → 1.5; dimension 2 has 1 and 0.25 (mean 0.625, sd √0.625 = 0.790569), so
        // 2 → 2.529822 and −4 → −5.059644.
        let posterior = Posterior {
            mean: DenseMatrix::new(vec![1.0, 2.0, 3.0, -4.0], 2, 2).unwrap(),
            log_var: DenseMatrix::new(vec![4f32.ln(), 0.0, 4f32.ln(), 0.25f32.ln()], 2, 2).unwrap(),
        };
        let scaled = posterior.precision_scaled_mean().unwrap();
        let expected = [0.5, 2.529822, 1.5, -5.059644];
        for (got, want) in scaled.values().iter().zip(expected) {
            assert!((got - want).abs() < 1e-5, "{:?}", scaled.values());
        }
    }

    /// More samples than memory can hold is an error, not an aborted process.
    #[test]
    fn generating_more_than_memory_holds_is_an_error() {
        let config = crate::VaeConfig::new(4, Likelihood::Bernoulli);
        let vae = Vae::new(config, &candle_core::Device::Cpu).unwrap();
        assert_eq!(vae.generate(3, 1, None).unwrap().n_rows(), 3);
        for n in [usize::MAX / 2, 1 << 50] {
            let error = vae.generate(n, 1, None).err().unwrap().to_string();
            assert!(error.contains("do not fit in memory"), "{error}");
        }
    }

    #[test]
    fn elbo_draws_the_same_noise_for_every_row_and_chunk() {
        use crate::config::VaeConfig;
        use crate::likelihood::Likelihood;
        use crate::vae::CHUNK_ROWS;
        use candle_core::Device;
        // Two columns of three states; rows 0, 2 and 1,030 (the second chunk) are the same.
        let config = VaeConfig {
            hidden: vec![8],
            latent: 2,
            seed: 5,
            ..VaeConfig::new(6, Likelihood::Categorical { n_states: 3 })
        };
        let vae = Vae::new(config, &Device::Cpu).unwrap();
        let (same, other) = ([1., 0., 0., 0., 0., 1.], [0., 1., 0., 1., 0., 0.]);
        let mut values = Vec::new();
        for row in 0..CHUNK_ROWS + 10 {
            values.extend(if row % 2 == 0 { same } else { other });
        }
        let rows = DenseMatrix::new(values, CHUNK_ROWS + 10, 6).unwrap();
        let elbo = vae.elbo(&Dataset::new(&rows), 3, 9).unwrap();
        // A no-op "mutant" scores exactly 0, wherever it sits.
        assert_eq!(elbo[0], elbo[2]);
        assert_eq!(elbo[0], elbo[CHUNK_ROWS + 6]);
        assert_ne!(elbo[0], elbo[1]);
    }

    /// The shrunk ELBO takes the same posterior draws: with ε = 0 it is the plain ELBO (to
    /// float rounding: a sum in f64 against the fused op's), and with the rows' own site model
    /// (ε = 1.5 / 5.5 for four rows of two columns of three states) it moves every row.
    #[test]
    fn shrunk_elbo_uses_the_same_draws_and_checks_the_model() {
        use crate::config::VaeConfig;
        use crate::likelihood::Likelihood;
        use candle_core::Device;
        let small = |likelihood| {
            let config = VaeConfig {
                hidden: vec![8],
                latent: 2,
                seed: 3,
                ..VaeConfig::new(6, likelihood)
            };
            Vae::new(config, &Device::Cpu).unwrap()
        };
        let vae = small(Likelihood::Categorical { n_states: 3 });
        let values = vec![
            1., 0., 0., 0., 0., 1., //
            0., 1., 0., 1., 0., 0., //
            1., 0., 0., 1., 0., 0., //
            0., 0., 1., 0., 1., 0.,
        ];
        let rows = DenseMatrix::new(values, 4, 6).unwrap();
        let data = Dataset::new(&rows);
        let plain = vae.elbo(&data, 4, 11).unwrap();
        let site = SiteShrinkage::site_model(&rows, None, 3).unwrap();
        assert!((site.weight() - 1.5 / 5.5).abs() < 1e-12);
        let none = site.with_weight(0.0);
        let same = vae.elbo_shrunk(&data, 4, 11, &none).unwrap();
        for (a, b) in plain.iter().zip(&same) {
            assert!(
                (a - b).abs() < 1e-4 * a.abs().max(1.0),
                "{plain:?} vs {same:?}"
            );
        }
        let shrunk = vae.elbo_shrunk(&data, 4, 11, &site).unwrap();
        assert!(plain.iter().zip(&shrunk).all(|(a, b)| (a - b).abs() > 1e-3));
        // a shrinkage of other blocks, or a model that is not categorical, is an error
        let wrong = SiteShrinkage::site_model(&rows, None, 2).unwrap();
        assert!(vae.elbo_shrunk(&data, 4, 11, &wrong).is_err());
        let gaussian = small(Likelihood::Gaussian {
            learned_variance: false,
        });
        let error = gaussian.elbo_shrunk(&data, 4, 11, &site).unwrap_err();
        assert!(
            error.to_string().contains("does not fit this model"),
            "{error}"
        );
    }

    /// With a Bayesian decoder the samples run outside the chunks (each sample's weights
    /// drawn once): the ELBO, plain and shrunk, equals to the bit the chunk-by-chunk loop's,
    /// which draws every sample's ε and weights afresh in each of the two chunks.
    #[test]
    fn bayesian_elbo_draws_each_samples_weights_once_with_the_same_values() -> Result<()> {
        use crate::config::{BayesianDecoder, DecoderKind, LogitSparsity, Sparsity, VaeConfig};
        use crate::vae::CHUNK_ROWS;
        use candle_core::Device;
        let config = VaeConfig {
            hidden: vec![8],
            latent: 2,
            seed: 4,
            decoder: DecoderKind::Bayesian(BayesianDecoder {
                dictionary: 2,
                sparsity: Sparsity::Logit(LogitSparsity {
                    tiles: 2,
                    ..LogitSparsity::default()
                }),
                ..BayesianDecoder::default()
            }),
            ..VaeConfig::new(6, Likelihood::Categorical { n_states: 3 })
        };
        let vae = Vae::new(config, &Device::Cpu)?;
        let n = CHUNK_ROWS + 10;
        let values: Vec<f32> = (0..n * 6)
            .map(|i| f32::from(u8::from((i / 6 * 5 + (i % 6) / 3) % 3 == i % 3)))
            .collect();
        let rows = DenseMatrix::new(values, n, 6)?;
        let data = Dataset::new(&rows);
        let site = SiteShrinkage::site_model(&rows, None, 3)?;
        let by_chunk = |shrinkage: Option<&SiteShrinkage>| -> Result<Vec<f32>> {
            let mut elbo = Vec::new();
            for start in [0, CHUNK_ROWS] {
                let chunk: Vec<usize> = (start..n.min(start + CHUNK_ROWS)).collect();
                let batch = vae.assemble(&data, &chunk, &mut Buffers::default())?;
                let (mean, log_var) = vae.encoder.forward(&batch.input, None, None)?;
                let target = shrinkage.map(|_| Vae::host(&batch.target)).transpose()?;
                let mut noise = Noise::new(9);
                let mut sum: Option<Tensor> = None;
                for _ in 0..3 {
                    let epsilon = noise.standard_normal(1, 2, &Device::Cpu)?;
                    let z = reparameterise(&mean, &log_var, &epsilon.broadcast_as(mean.shape())?)?;
                    let output =
                        vae.decoder
                            .forward(&z, &batch.covariates(), None, Some(&mut noise))?;
                    let log_px =
                        vae.sample_log_px(&batch, &output, shrinkage, target.as_deref())?;
                    sum = Some(match sum {
                        None => log_px,
                        Some(previous) => (previous + log_px)?,
                    });
                }
                let kl = kl_standard_normal(&mean, &log_var)?;
                elbo.extend(Vae::host(&((sum.unwrap() / 3.0)? - kl)?)?);
            }
            Ok(elbo)
        };
        assert_eq!(vae.elbo(&data, 3, 9)?, by_chunk(None)?);
        assert_eq!(vae.elbo_shrunk(&data, 3, 9, &site)?, by_chunk(Some(&site))?);
        Ok(())
    }
}
