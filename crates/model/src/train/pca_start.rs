//! Starting a genotype model at PCA ([`crate::OutputInit::Pca`]): before the first step the
//! encoder maps each sample to its leading principal-component scores and the decoder maps a
//! latent point back to PCA's reconstruction, linearised into the binomial's logits. Training
//! then moves away from PCA only as far as the likelihood and early stopping on the validation
//! rows let it, instead of finding the samples' structure again from random weights (what a
//! PCA start does for t-SNE and UMAP: Kobak & Linderman 2021, Nat. Biotechnol. 39:156).
//!
//! The encoder reads the samples' projections on the principal axes
//! ([`crate::InputTransform::PrincipalAxes`]), so its first-layer weights are of order 1 and
//! Adam's first steps, which move every weight by about the learning rate, do not wash the
//! start out (on raw dosages those weights would be ~10⁻⁴).
//!
//! With t_k a sample's score on axis k of the Patterson-scaled dosages (variance λ_k over the
//! training rows), K latent dimensions and c = √(K / Σ_{k<K} λ_k) (the scores keep PCA's
//! proportions, the latent unit variance on average):
//! - hidden unit k < K of the encoder is c·t_k + o_k, o_k = 1 + 4·c·√λ_k, inside the
//!   activation's linear range (ELU, ReLU and leaky ReLU are the identity above 0); the
//!   encoder's mean μ_k = unit k − o_k = c·t_k; its log-variance is ln(c²·σ²), the posterior
//!   variance of probabilistic PCA (Tipping & Bishop 1999) in these units, σ² the mean of the
//!   fitted eigenvalues past K (the noise), clamped to [10⁻⁴, 1];
//! - decoder hidden unit k < K is z_k + o_k, and the logit of site j is
//!   logit(p̃_j) + Σ_k a_jk·z_k / (c·s_j·n·p̃_j(1 − p̃_j)): PCA's reconstruction of the dosage,
//!   Σ_k a_jk·t_k / s_j (a_jk the unit axis, s_j the site's Patterson scale), divided by the
//!   binomial's slope n·p̃(1 − p̃) at the site model p̃ ([`super::site_init::site_logits`]).
//!
//! The other hidden units keep their random weights in, and their weights out are scaled to 1%
//! (as the site start scales the output layer), so they start near silent but learn from the
//! first step.

use std::collections::HashMap;

use candle_core::{Tensor, Var};

use crate::error::Result;
use crate::input_axes::AxesFit;
use crate::vae::Vae;

/// Factor on the random weights out of the hidden units that PCA does not use: the site
/// start's ([`super::site_init::WEIGHT_SCALE`]), for the same reason.
const WEIGHT_SCALE: f32 = super::site_init::WEIGHT_SCALE as f32;

/// Bounds of the starting posterior variance (the prior's is 1).
const POSTERIOR_VARIANCE: (f64, f64) = (1e-4, 1.0);

/// What the start is computed from.
pub(crate) struct PcaStart<'a> {
    /// The fit of the encoder's input axes.
    pub(crate) fit: &'a AxesFit,
    /// Each site's allele-frequency logit under the site model.
    pub(crate) site_logits: &'a [f32],
    /// Alleles per genotype, n.
    pub(crate) ploidy: u32,
}

/// The start's numbers, computed from a [`PcaStart`] for `latent` dimensions.
struct Plan {
    /// c.
    scale: f64,
    /// o_k, one per latent dimension.
    offsets: Vec<f32>,
    /// ln of the starting posterior variance.
    log_variance: f32,
}

impl PcaStart<'_> {
    fn plan(&self, latent: usize) -> Plan {
        let variances = &self.fit.pca.variances;
        let leading: f64 = variances.iter().take(latent).sum();
        let scale = if leading > 0.0 {
            (latent as f64 / leading).sqrt()
        } else {
            1.0
        };
        let offsets = (0..latent)
            .map(|k| {
                let sd = variances.get(k).copied().unwrap_or(0.0).max(0.0).sqrt();
                (1.0 + 4.0 * scale * sd) as f32
            })
            .collect();
        let tail: Vec<f64> = variances
            .iter()
            .skip(latent)
            .copied()
            .filter(|&v| v > 0.0)
            .collect();
        let noise = if tail.is_empty() {
            0.0
        } else {
            tail.iter().sum::<f64>() / tail.len() as f64
        };
        let (low, high) = POSTERIOR_VARIANCE;
        let log_variance = (scale * scale * noise).clamp(low, high).ln() as f32;
        Plan {
            scale,
            offsets,
            log_variance,
        }
    }
}

/// Sets the encoder and decoder of a fresh standard genotype model (one hidden layer on each
/// side, at least as wide as the latent; validated with the config) to the PCA start.
pub(crate) fn start_at_pca(vae: &Vae, start: &PcaStart) -> Result<()> {
    let latent = vae.config.latent;
    let plan = start.plan(latent);
    let vars = vae.varmap.data().lock().unwrap_or_else(|e| e.into_inner());
    let n_axes = start.fit.pca.n_axes();
    // encoder layer 0: unit k reads input k (= input_scale·t_k) times c / input_scale
    let gain = (plan.scale / start.fit.input_scale) as f32;
    edit(&vars, "encoder.layers.0.weight", |w, width| {
        for (k, row) in w.chunks_exact_mut(width).take(latent).enumerate() {
            row.fill(0.0);
            row[k] = gain;
        }
    })?;
    debug_assert_eq!(n_axes, vae.config.input_components);
    edit(&vars, "encoder.layers.0.bias", |b, _| {
        b[..latent].copy_from_slice(&plan.offsets);
    })?;
    edit(&vars, "encoder.mean.weight", |w, width| {
        for (k, row) in w.chunks_exact_mut(width).enumerate() {
            row.iter_mut().for_each(|v| *v *= WEIGHT_SCALE);
            row[..latent].fill(0.0);
            row[k] = 1.0;
        }
    })?;
    edit(&vars, "encoder.mean.bias", |b, _| {
        for (b, &o) in b.iter_mut().zip(&plan.offsets) {
            *b = -o;
        }
    })?;
    edit(&vars, "encoder.log_var.weight", |w, _| {
        w.iter_mut().for_each(|v| *v *= WEIGHT_SCALE);
    })?;
    edit(&vars, "encoder.log_var.bias", |b, _| {
        b.fill(plan.log_variance)
    })?;
    // decoder layer 0: unit k is z_k + o_k
    edit(&vars, "decoder.layers.0.weight", |w, width| {
        for (k, row) in w.chunks_exact_mut(width).take(latent).enumerate() {
            row.fill(0.0);
            row[k] = 1.0;
        }
    })?;
    edit(&vars, "decoder.layers.0.bias", |b, _| {
        b[..latent].copy_from_slice(&plan.offsets);
    })?;
    // output: PCA's reconstruction through the binomial's slope at the site model
    let ploidy = f64::from(start.ploidy);
    let mut bias = vec![0f32; start.site_logits.len()];
    edit(&vars, "decoder.loc.weight", |w, width| {
        let sites = w
            .chunks_exact_mut(width)
            .zip(start.fit.pca.axes.chunks_exact(n_axes));
        let sites = sites.zip(&start.fit.site_scales).zip(start.site_logits);
        for ((((row, axes), &s), &logit), bias) in sites.zip(&mut bias) {
            row.iter_mut().for_each(|v| *v *= WEIGHT_SCALE);
            let p = 1.0 / (1.0 + (-f64::from(logit)).exp());
            let slope = ploidy * p * (1.0 - p);
            let mut shift = f64::from(logit);
            for k in 0..latent {
                let weight = if s > 0.0 {
                    f64::from(axes[k]) / (plan.scale * f64::from(s) * slope)
                } else {
                    0.0
                };
                row[k] = weight as f32;
                shift -= weight * f64::from(plan.offsets[k]);
            }
            *bias = shift as f32;
        }
    })?;
    edit(&vars, "decoder.loc.bias", |b, _| b.copy_from_slice(&bias))?;
    Ok(())
}

/// Rewrites the values of the variable `name` (row-major; `f` gets them and the row width).
fn edit(vars: &HashMap<String, Var>, name: &str, f: impl FnOnce(&mut [f32], usize)) -> Result<()> {
    let Some(var) = vars.get(name) else {
        // Config validation admits the PCA start only for the standard one-hidden-layer model.
        unreachable!("the standard one-hidden-layer model has {name}");
    };
    let tensor = var.as_tensor();
    let dims = tensor.dims().to_vec();
    let width = dims.last().copied().unwrap_or(1);
    let mut values = tensor.flatten_all()?.to_vec1::<f32>()?;
    f(&mut values, width);
    var.set(&Tensor::from_vec(values, dims, tensor.device())?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use candle_core::Device;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use crate::config::{Activation, InputTransform, Norm, OutputInit, TrainConfig, VaeConfig};
    use crate::data::{Dataset, DenseMatrix};
    use crate::likelihood::Likelihood;
    use crate::train::Trainer;
    use crate::vae::Vae;

    const SAMPLES: usize = 42;
    const SITES: usize = 60;

    /// Diploid dosages of three populations of 14, drawn as two Bernoulli alleles each: the
    /// first two differ at every site (0.2–0.8 against its mirror), the third alternates 0.1
    /// and 0.9, so two principal axes stand above the noise.
    fn dosages() -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut values = Vec::with_capacity(SAMPLES * SITES);
        for sample in 0..SAMPLES {
            for site in 0..SITES {
                let p = 0.2 + 0.6 * (site % 5) as f64 / 4.0;
                let p = match sample / 14 {
                    0 => p,
                    1 => 1.0 - p,
                    _ => [0.1, 0.9][site % 2],
                };
                let alleles = (0..2).filter(|_| rng.random::<f64>() < p).count();
                values.push(alleles as f32);
            }
        }
        values
    }

    fn config() -> VaeConfig {
        VaeConfig {
            hidden: vec![16],
            latent: 2,
            activation: Activation::Elu,
            norm: Norm::None,
            dropout: 0.0,
            input_transform: InputTransform::PrincipalAxes,
            input_components: 8,
            output_init: OutputInit::Pca,
            seed: 3,
            ..VaeConfig::new(SITES, Likelihood::Binomial { trials: 2 })
        }
    }

    /// A site's mean dosage over the samples and its allele frequency (half of it).
    fn site_mean(values: &[f32], site: usize) -> (f64, f64) {
        let sum: f64 = (0..SAMPLES)
            .map(|r| f64::from(values[r * SITES + site]))
            .sum();
        let mean = sum / SAMPLES as f64;
        (mean, mean / 2.0)
    }

    /// The Patterson-scaled, centred dosages (f64, rows × sites) and their two leading
    /// eigenpairs of X Xᵀ / n by power iteration with deflation: computed here from the
    /// definition, not through `vaebio_analysis`.
    fn reference_pca(values: &[f32]) -> (Vec<f64>, [Vec<f64>; 2], [f64; 2]) {
        let mut scaled = vec![0f64; SAMPLES * SITES];
        for site in 0..SITES {
            let (mean, p) = site_mean(values, site);
            let scale = 1.0 / (2.0 * p * (1.0 - p)).sqrt();
            for r in 0..SAMPLES {
                scaled[r * SITES + site] = (f64::from(values[r * SITES + site]) - mean) * scale;
            }
        }
        let mut gram = vec![0f64; SAMPLES * SAMPLES];
        for a in 0..SAMPLES {
            for b in 0..SAMPLES {
                let row = |r: usize| &scaled[r * SITES..(r + 1) * SITES];
                let dot: f64 = row(a).iter().zip(row(b)).map(|(x, y)| x * y).sum();
                gram[a * SAMPLES + b] = dot / SAMPLES as f64;
            }
        }
        let mut vectors = [vec![0f64; SAMPLES], vec![0f64; SAMPLES]];
        let mut eigenvalues = [0f64; 2];
        for k in 0..2 {
            let mut v: Vec<f64> = (0..SAMPLES)
                .map(|i| 1.0 + (i as f64 * 0.37).sin())
                .collect();
            for _ in 0..2000 {
                let mut next: Vec<f64> = (0..SAMPLES)
                    .map(|a| (0..SAMPLES).map(|b| gram[a * SAMPLES + b] * v[b]).sum())
                    .collect();
                for earlier in &vectors[..k] {
                    let along: f64 = next.iter().zip(earlier).map(|(x, y)| x * y).sum();
                    next.iter_mut()
                        .zip(earlier)
                        .for_each(|(x, y)| *x -= along * y);
                }
                let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
                eigenvalues[k] = norm;
                v = next.into_iter().map(|x| x / norm).collect();
            }
            vectors[k] = v;
        }
        (scaled, vectors, eigenvalues)
    }

    fn started_model(values: &[f32]) -> Vae {
        let mut vae = Vae::new(config(), &Device::Cpu).unwrap();
        let rows = DenseMatrix::new(values.to_vec(), SAMPLES, SITES).unwrap();
        let train = TrainConfig {
            validation_fraction: 0.0,
            ..TrainConfig::default()
        };
        Trainer::new(&mut vae, Dataset::new(&rows), &train).unwrap();
        vae
    }

    /// Before any step the posterior means are the two leading principal-component scores
    /// (the Gram eigenvectors times √(n·λ), up to sign), scaled by c = √(2 / (λ₁ + λ₂)): PCA's
    /// proportions, unit variance on average; the posterior variance is one value in (0, 1].
    #[test]
    fn an_untrained_model_encodes_to_the_pca_scores() {
        let values = dosages();
        let vae = started_model(&values);
        let rows = DenseMatrix::new(values.clone(), SAMPLES, SITES).unwrap();
        let posterior = vae.encode(&rows).unwrap();
        let (_, vectors, eigen) = reference_pca(&values);
        let c = (2.0 / (eigen[0] + eigen[1])).sqrt();
        for k in 0..2 {
            let want: Vec<f64> = vectors[k]
                .iter()
                .map(|v| v * (SAMPLES as f64 * eigen[k]).sqrt() * c)
                .collect();
            let got: Vec<f64> = (0..SAMPLES)
                .map(|r| f64::from(posterior.mean.row(r)[k]))
                .collect();
            let sign = if got.iter().zip(&want).map(|(a, b)| a * b).sum::<f64>() < 0.0 {
                -1.0
            } else {
                1.0
            };
            for (g, w) in got.iter().zip(&want) {
                // within 1%: the axes come from a randomized range finder in f32
                let tolerance = 0.01 * w.abs().max(1.0);
                assert!(
                    (g - sign * w).abs() < tolerance,
                    "dimension {k}: {g} vs {}",
                    sign * w
                );
            }
        }
        let log_var = posterior.log_var.row(0)[0];
        assert!(
            log_var <= 0.0 && log_var > (1e-4f32).ln() - 1e-3,
            "{log_var}"
        );
        for r in 0..SAMPLES {
            for &v in posterior.log_var.row(r) {
                assert!((v - log_var).abs() < 0.05, "{v} vs {log_var}");
            }
        }
    }

    /// Decoded at those means, the expected dosages follow PCA's rank-2 reconstruction: the
    /// squared error against the data is within 15% of PCA's own (the logits are PCA
    /// linearised at the site model) and far below the site means'.
    #[test]
    fn the_untrained_decoder_reconstructs_as_pca() {
        let values = dosages();
        let vae = started_model(&values);
        let rows = DenseMatrix::new(values.clone(), SAMPLES, SITES).unwrap();
        let decoded = vae.reconstruct(&Dataset::new(&rows), None).unwrap();
        let (scaled, vectors, _) = reference_pca(&values);
        let mut model_error = 0f64;
        let mut pca_error = 0f64;
        let mut site_error = 0f64;
        for site in 0..SITES {
            let (mean, p) = site_mean(&values, site);
            let unscale = (2.0 * p * (1.0 - p)).sqrt();
            // the column's projection on the two sample-space eigenvectors
            let loadings: Vec<f64> = vectors
                .iter()
                .map(|v| (0..SAMPLES).map(|r| v[r] * scaled[r * SITES + site]).sum())
                .collect();
            for r in 0..SAMPLES {
                let x = f64::from(values[r * SITES + site]);
                let pca: f64 =
                    mean + unscale * (0..2).map(|k| vectors[k][r] * loadings[k]).sum::<f64>();
                pca_error += (x - pca).powi(2);
                site_error += (x - mean).powi(2);
                model_error += (x - f64::from(decoded.row(r)[site])).powi(2);
            }
        }
        assert!(
            model_error < 1.15 * pca_error,
            "{model_error} vs PCA {pca_error}"
        );
        assert!(
            model_error < 0.7 * site_error,
            "{model_error} vs sites {site_error}"
        );
    }

    #[test]
    fn the_pca_start_is_for_genotypes_read_through_their_axes() {
        config().validate().unwrap();
        let gaussian = VaeConfig {
            likelihood: Likelihood::Gaussian {
                learned_variance: false,
            },
            input_transform: InputTransform::Identity,
            ..config()
        };
        let error = gaussian.validate().unwrap_err().to_string();
        assert!(error.contains("genotypes"), "{error}");
        let raw = VaeConfig {
            input_transform: InputTransform::Identity,
            ..config()
        };
        let error = raw.validate().unwrap_err().to_string();
        assert!(error.contains("principal-axes"), "{error}");
        let deep = VaeConfig {
            hidden: vec![16, 16],
            ..config()
        };
        let error = deep.validate().unwrap_err().to_string();
        assert!(error.contains("one hidden layer"), "{error}");
        let narrow = VaeConfig {
            hidden: vec![1],
            ..config()
        };
        assert!(narrow.validate().is_err());
    }
}
