//! Data-parallel training steps on the CPU: a minibatch is cut into shards whose forward and
//! backward passes run on rayon's worker threads with the shared weights, each into its own
//! gradient store; the gradients are then summed in shard order.
//!
//! The shards are fixed by the minibatch — as even as possible, at most [`SHARD_ROWS`] rows
//! each — never by the thread count, and nothing a shard computes depends on another, so a
//! step is bit-for-bit the same on one thread or many:
//!
//! - **Rows:** a shard assembles its own rows of everything the minibatch carries (inputs,
//!   library sizes, binomial trials, batch and extra covariates, row weights) on its thread:
//!   gathering rows from a sparse matrix, log1p and library sizes were a serial tenth of an
//!   epoch at 100,000 cells × 2,000 genes when the minibatch was assembled whole.
//! - **Loss:** a shard's loss is the sum over its rows divided by the whole minibatch's row
//!   count (or weight sum), so the shards' losses add up to the minibatch mean and their
//!   gradients to its gradient (up to the order of float sums).
//! - **Noise:** each shard draws its dropout masks and reparameterisation noise from its own
//!   ChaCha stream, seeded by one draw of the training stream per shard, in shard order. A
//!   Bayesian decoder's weights are drawn once for the minibatch (as EVE and DeepSequence do)
//!   from a stream seeded by the next draw, and shared by the shards ([`SharedDraw`]).
//! - **Batch-norm:** each shard normalises with its own rows' statistics (as data-parallel
//!   PyTorch does without `SyncBatchNorm`; "ghost batch-norm" of at most [`SHARD_ROWS`]
//!   rows); the running statistics used for evaluation get the whole minibatch's mean and
//!   variance, merged from the shards', once per step.
//! - Terms of the weights rather than the rows — the L1/L2 penalty and the Bayesian
//!   decoder's weight KL — are taken once per minibatch and their gradient added after the
//!   shards' (`Trainer::regularization`); gradient clipping and the optimiser see the sum.
//!
//! On other devices (a GPU) a minibatch is one shard.

use std::borrow::Cow;

use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor, Var};
use rand::RngCore;
use rayon::prelude::*;

use crate::data::Dataset;
use crate::error::Result;
use crate::minibatch::{Buffers, Minibatch};
use crate::nn::bayesian_decoder::DecoderDraw;
use crate::nn::layer::{Moments, TrainingPass};
use crate::noise::Noise;
use crate::ops::factored_gradient::FactoredGradient;
use crate::train::library_weights::library_weights;
use crate::train::loss::{kl_standard_normal, weighted_sum};
use crate::train::reduce::GradientReduce;
use crate::train::shared_draw::SharedDraw;
use crate::vae::Vae;

/// The most rows of a shard. Each shard pays for a full-size gradient of every weight
/// (candle's backward zero-fills and adds one per variable) and for the sum, so small shards
/// cost: on one thread the NB benchmark ran at 15.5k cells per CPU-second unsharded, 13.2–13.8k
/// with shards of 64 rows and 10.2k with 32 (bench/README.md, "Data-parallel training").
/// The scVI-sized minibatch of 128 gives two shards; larger minibatches give more.
pub(crate) const SHARD_ROWS: usize = 64;

/// Row ranges `[start, end)` of the shards of a minibatch of `rows` rows: one shard unless
/// `sharded`, else ⌈rows / [`SHARD_ROWS`]⌉ shards whose sizes differ by at most one row.
pub(crate) fn shard_bounds(rows: usize, sharded: bool) -> Vec<(usize, usize)> {
    let n = if sharded {
        rows.div_ceil(SHARD_ROWS).max(1)
    } else {
        1
    };
    let (base, longer) = (rows / n, rows % n);
    let mut start = 0;
    (0..n)
        .map(|i| {
            let end = start + base + usize::from(i < longer);
            let bounds = (start, end);
            start = end;
            bounds
        })
        .collect()
}

/// The loss of some rows of a minibatch: their sums divided by the minibatch's divisor.
pub(crate) struct Terms {
    /// Reconstruction plus weighted KL, for backward.
    pub(crate) objective: Tensor,
    /// −log p(x | z), summed over the rows and divided: a scalar on the model's device, read
    /// with others (`readback`).
    pub(crate) recon: Tensor,
    /// KL(q(z | x) ‖ N(0, I)), summed over the rows and divided (before the KL weight).
    pub(crate) kl: Tensor,
}

/// What one minibatch's forward and backward passes give.
pub(crate) struct Step {
    /// Gradients of the trainable variables, reduced over the shards in shard order.
    pub(crate) grads: GradStore,
    /// Weight gradients left as their factors instead of in `grads` (a minibatch of one
    /// shard, when asked for): the optimiser forms them where it updates the weights.
    pub(crate) factored: Vec<FactoredGradient>,
    /// The shards' parts of the minibatch mean of −log p(x | z), in shard order.
    pub(crate) recon: Vec<Tensor>,
    /// The shards' parts of the minibatch mean of the KL term.
    pub(crate) kl: Vec<Tensor>,
    /// What the minibatch's loss was divided by: its row count or weight sum.
    pub(crate) divisor: f64,
}

/// The settings of a loss evaluation that do not change within a step.
pub(crate) struct LossSettings<'a> {
    /// The divisors of the library-size weights per batch, when cells are weighted.
    pub(crate) library_scales: Option<&'a Tensor>,
    /// The weight of the KL term.
    pub(crate) kl_weight: f64,
    /// Whether a training step may leave weight gradients factored ([`Step::factored`]):
    /// not when they are clipped or added to.
    pub(crate) factored_gradients: bool,
    /// Every row's encoder input, projected once before training
    /// ([`crate::input_axes::InputAxes::project_rows`]), when the model reads principal axes.
    pub(crate) encoder_inputs: Option<&'a [f32]>,
}

/// The loss of `batch`'s rows divided by `divisor`. With `pass` it is a training pass
/// (dropout; batch statistics left in the pass, as the backward pass will leave the weights'
/// gradients); `noise` gives the dropout masks and the reparameterisation draws.
pub(crate) fn terms(
    vae: &Vae,
    batch: &Minibatch,
    settings: &LossSettings,
    divisor: f64,
    noise: &mut Noise,
    mut pass: Option<&mut TrainingPass>,
) -> Result<Terms> {
    let dropout_noise = pass.is_some().then_some(&mut *noise);
    let (mean, log_var) = vae
        .encoder
        .forward(&batch.input, dropout_noise, pass.as_deref_mut())?;
    let (rows, latent) = mean.dims2()?;
    let epsilon = noise.standard_normal(rows, latent, &vae.device)?;
    let z = (&mean + (&log_var * 0.5)?.exp()?.mul(&epsilon)?)?;
    let output = vae
        .decoder
        .forward(&z, &batch.covariates(), pass, Some(noise))?;
    let log_px = vae.weighted_log_prob(batch, &output)?;
    let log_px = match (settings.library_scales, batch.library.as_ref()) {
        (Some(scales), Some(library)) => {
            let power = vae.config.library_weight_power;
            let groups = batch.batches.as_ref();
            log_px.mul(&library_weights(library, power, scales, groups)?)?
        }
        _ => log_px,
    };
    let kl = kl_standard_normal(&mean, &log_var)?;
    let weights = batch.weights.as_ref().map(|(weights, _)| weights);
    let divisor = divisor.max(f64::MIN_POSITIVE);
    let recon = (weighted_sum(&log_px.neg()?, weights)? / divisor)?;
    let kl = (weighted_sum(&kl, batch.kl_weights())? / divisor)?;
    let objective = (&recon + (&kl * settings.kl_weight)?)?;
    Ok(Terms {
        objective,
        recon: recon.detach(),
        kl: kl.detach(),
    })
}

/// One shard's contribution to a step.
struct ShardStep {
    grads: GradStore,
    factored: Vec<FactoredGradient>,
    recon: Tensor,
    kl: Tensor,
    moments: Vec<Moments>,
}

/// What every shard of a step shares: the minibatch's loss divisor, the loss settings,
/// whether weight gradients may stay factored, and the Bayesian decoder's draw.
struct StepShared<'a> {
    divisor: f64,
    settings: &'a LossSettings<'a>,
    keep_factored: bool,
    decoder_draw: Option<&'a DecoderDraw>,
}

/// Forward and backward of one shard: `rows` (a part of the minibatch) assembled on this
/// thread, their loss divided by the minibatch's divisor, noise from `seed`; weight
/// gradients kept factored where allowed ([`WeightGradients::deliver`]).
///
/// [`WeightGradients::deliver`]: crate::ops::linear::WeightGradients::deliver
fn shard_step(
    vae: &Vae,
    data: &Dataset,
    rows: &[usize],
    shared: &StepShared,
    seed: u64,
) -> Result<ShardStep> {
    let StepShared {
        divisor,
        settings,
        keep_factored,
        decoder_draw,
    } = *shared;
    let shard = vae.assemble_from(data, rows, &mut Buffers::default(), settings.encoder_inputs)?;
    let mut noise = Noise::new(seed);
    let mut pass = TrainingPass {
        decoder_draw: decoder_draw.cloned(),
        ..TrainingPass::default()
    };
    let terms = terms(vae, &shard, settings, divisor, &mut noise, Some(&mut pass))?;
    let mut grads = terms.objective.backward()?;
    let factored = pass.weight_gradients.deliver(&mut grads, keep_factored)?;
    Ok(ShardStep {
        grads,
        factored,
        recon: terms.recon,
        kl: terms.kl,
        moments: pass.moments,
    })
}

/// Forward and backward of the training minibatch `rows` of `data` in shards on rayon's
/// pool (one shard on a GPU), each shard assembling its own rows, the gradients of
/// `trainable` reduced by `reduce` in shard order, and the batch-norm running statistics
/// updated with the whole minibatch's. `noise` (the training stream) seeds the shards' noise.
/// With [`LossSettings::factored_gradients`] a minibatch of one shard leaves the gradients of
/// its dense-input weight matrices as their factors ([`Step::factored`]), outside `reduce`;
/// shards' gradients are always multiplied out to be summed.
pub(crate) fn step(
    vae: &Vae,
    data: &Dataset,
    rows: &[usize],
    settings: &LossSettings,
    noise: &mut Noise,
    trainable: &[Var],
    reduce: &dyn GradientReduce,
) -> Result<Step> {
    let bounds = shard_bounds(rows.len(), vae.device.is_cpu());
    let keep_factored = settings.factored_gradients && bounds.len() == 1;
    let seeds: Vec<u64> = bounds.iter().map(|_| noise.rng().next_u64()).collect();
    let shared = match vae.decoder.bayesian() {
        Some(decoder) => Some(SharedDraw::new(
            decoder,
            &mut Noise::new(noise.rng().next_u64()),
        )?),
        None => None,
    };
    // the shards' gradients to sum: the trainable variables' and the shared draw's
    let summed: Cow<[Var]> = match &shared {
        Some(shared) => Cow::Owned(trainable.iter().chain(&shared.vars).cloned().collect()),
        None => Cow::Borrowed(trainable),
    };
    let divisor = data.divisor(rows);
    let step_shared = StepShared {
        divisor,
        settings,
        keep_factored,
        decoder_draw: shared.as_ref().map(|shared| &shared.leaves),
    };
    let run = |(&(start, end), &seed): (&(usize, usize), &u64)| {
        shard_step(vae, data, &rows[start..end], &step_shared, seed)
    };
    let mut total: Option<Step> = None;
    let mut moments = Vec::with_capacity(bounds.len());
    // Waves of one shard per thread: at most that many gradient stores are held at once.
    let wave = rayon::current_num_threads().max(1);
    for (bounds, seeds) in bounds.chunks(wave).zip(seeds.chunks(wave)) {
        let shards: Vec<Result<ShardStep>> = if bounds.len() == 1 {
            // on the calling thread, where candle's ops may use the pool themselves
            vec![run((&bounds[0], &seeds[0]))]
        } else {
            bounds.par_iter().zip(seeds).map(run).collect()
        };
        for shard in shards {
            let shard = shard?;
            moments.push(shard.moments);
            total = Some(match total {
                None => Step {
                    grads: shard.grads,
                    factored: shard.factored,
                    recon: vec![shard.recon],
                    kl: vec![shard.kl],
                    divisor,
                },
                Some(mut total) => {
                    reduce.accumulate(&mut total.grads, &shard.grads, &summed)?;
                    total.recon.push(shard.recon);
                    total.kl.push(shard.kl);
                    total
                }
            });
        }
    }
    vae.update_batch_norm(&merge_moments(moments, &vae.device)?)?;
    let mut total =
        total.ok_or_else(|| crate::error::Error::Data("an empty minibatch".to_string()))?;
    reduce.finish(&mut total.grads, &summed)?;
    if let Some(shared) = shared {
        shared.backward(&mut total.grads, trainable)?;
    }
    Ok(total)
}

/// The whole minibatch's batch-norm statistics from its shards' (each a list over layers):
/// N = Σ nₛ, mean = Σ nₛ·mₛ / N, biased variance = Σ nₛ·(vₛ + (mₛ − mean)²) / N, in f64.
fn merge_moments(mut shards: Vec<Vec<Moments>>, device: &Device) -> Result<Vec<Moments>> {
    if shards.len() <= 1 {
        return Ok(shards.pop().unwrap_or_default());
    }
    let n_layers = shards[0].len();
    (0..n_layers)
        .map(|layer| {
            let parts: Vec<(f64, Vec<f32>, Vec<f32>)> = shards
                .iter()
                .map(|shard| {
                    let moments = &shard[layer];
                    Ok((
                        moments.rows as f64,
                        moments.mean.to_vec1::<f32>()?,
                        moments.variance.to_vec1::<f32>()?,
                    ))
                })
                .collect::<Result<_>>()?;
            merge_layer(&parts, device)
        })
        .collect()
}

/// One layer's merged statistics from (rows, mean, variance) per shard.
fn merge_layer(parts: &[(f64, Vec<f32>, Vec<f32>)], device: &Device) -> Result<Moments> {
    let total: f64 = parts.iter().map(|(rows, _, _)| rows).sum();
    let width = parts[0].1.len();
    let mut mean = vec![0f64; width];
    for (rows, shard_mean, _) in parts {
        for (m, &s) in mean.iter_mut().zip(shard_mean) {
            *m += rows * f64::from(s) / total;
        }
    }
    let mut variance = vec![0f64; width];
    for (rows, shard_mean, shard_variance) in parts {
        let columns = shard_mean.iter().zip(shard_variance).zip(&mean);
        for (v, ((&m, &var), &overall)) in variance.iter_mut().zip(columns) {
            let offset = f64::from(m) - overall;
            *v += rows * (f64::from(var) + offset * offset) / total;
        }
    }
    let to_tensor = |values: Vec<f64>| {
        let values: Vec<f32> = values.into_iter().map(|v| v as f32).collect();
        Tensor::from_vec(values, width, device)
    };
    Ok(Moments {
        mean: to_tensor(mean)?,
        variance: to_tensor(variance)?,
        rows: total as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row weights by hand, on one evaluation pass (same noise each time) of 4 rows with
    /// per-row −log p(x | z) r_i and KL k_i: unweighted, recon = Σr/4 and KL = Σk/4; weights 2
    /// on the reconstruction only double the recon and keep the KL; weights 2 on the whole
    /// ELBO give Σ2r/8 and Σ2k/8, the unweighted values.
    #[test]
    fn row_weights_scale_what_their_scope_says() -> Result<()> {
        use crate::VaeConfig;
        use crate::data::{Dataset, DenseView, WeightScope};
        use crate::likelihood::Likelihood;
        use crate::minibatch::Buffers;
        use crate::vae::Vae;
        let values: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
        let view = DenseView::new(&values, 3)?;
        let config = VaeConfig {
            hidden: vec![4],
            latent: 2,
            ..VaeConfig::new(
                3,
                Likelihood::Gaussian {
                    learned_variance: false,
                },
            )
        };
        let vae = Vae::new(config, &Device::Cpu)?;
        let settings = LossSettings {
            library_scales: None,
            kl_weight: 1.0,
            factored_gradients: false,
            encoder_inputs: None,
        };
        let twos = [2.0f32; 4];
        let run = |data: Dataset| -> Result<(f64, f64)> {
            let batch = vae.assemble(&data, &[0, 1, 2, 3], &mut Buffers::default())?;
            let t = terms(
                &vae,
                &batch,
                &settings,
                batch.divisor(),
                &mut Noise::new(7),
                None,
            )?;
            let read = |v: &Tensor| v.to_scalar::<f32>().map(f64::from);
            Ok((read(&t.recon)?, read(&t.kl)?))
        };
        let (recon, kl) = run(Dataset::new(&view))?;
        let (scoped_recon, scoped_kl) =
            run(Dataset::new(&view).with_scoped_weights(&twos, WeightScope::Reconstruction)?)?;
        let (elbo_recon, elbo_kl) = run(Dataset::new(&view).with_weights(&twos)?)?;
        assert!(kl > 0.0 && recon > 0.0);
        assert!(
            (scoped_recon - 2.0 * recon).abs() < 1e-5 * recon,
            "{scoped_recon} {recon}"
        );
        assert!((scoped_kl - kl).abs() < 1e-6 * kl);
        assert!((elbo_recon - recon).abs() < 1e-6 * recon);
        assert!((elbo_kl - kl).abs() < 1e-6 * kl);
        Ok(())
    }

    #[test]
    fn shards_are_even_and_fixed_by_the_rows() {
        assert_eq!(shard_bounds(128, true), vec![(0, 64), (64, 128)]);
        assert_eq!(shard_bounds(130, true), vec![(0, 44), (44, 87), (87, 130)]);
        assert_eq!(shard_bounds(64, true), vec![(0, 64)]);
        assert_eq!(shard_bounds(5, true), vec![(0, 5)]);
        assert_eq!(shard_bounds(500, false), vec![(0, 500)]);
    }

    /// The merged statistics of three shards equal the statistics of all their rows (two-pass
    /// mean and biased variance in f64, by hand), within f32 rounding.
    #[test]
    fn merged_moments_are_the_whole_minibatch_moments() -> Result<()> {
        let device = Device::Cpu;
        let rows: Vec<[f32; 2]> = (0..7)
            .map(|i| [i as f32 * 0.5 - 1.0, ((i * 3) % 5) as f32])
            .collect();
        let moments = |part: &[[f32; 2]]| -> Result<Moments> {
            let n = part.len() as f64;
            let column = |j: usize| part.iter().map(move |row| f64::from(row[j]));
            let mean: Vec<f64> = (0..2).map(|j| column(j).sum::<f64>() / n).collect();
            let variance: Vec<f32> = (0..2)
                .map(|j| (column(j).map(|v| (v - mean[j]).powi(2)).sum::<f64>() / n) as f32)
                .collect();
            let mean: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
            Ok(Moments {
                mean: Tensor::new(mean.as_slice(), &device)?,
                variance: Tensor::new(variance.as_slice(), &device)?,
                rows: part.len(),
            })
        };
        let shards = vec![
            vec![moments(&rows[..2])?],
            vec![moments(&rows[2..5])?],
            vec![moments(&rows[5..])?],
        ];
        let merged = merge_moments(shards, &device)?;
        let whole = moments(&rows)?;
        assert_eq!(merged[0].rows, 7);
        for (a, b) in [
            (&merged[0].mean, &whole.mean),
            (&merged[0].variance, &whole.variance),
        ] {
            let (a, b) = (a.to_vec1::<f32>()?, b.to_vec1::<f32>()?);
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 1e-6, "{a:?} vs {b:?}");
            }
        }
        Ok(())
    }
}
