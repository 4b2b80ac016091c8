//! How the decoder holds its weights: point estimates, or the Bayesian decoder of EVE and
//! DeepSequence with its options (output dictionary, temperature, group sparsity).

use serde::{Deserialize, Serialize};

use super::{positive_finite, share_below_one};
use crate::error::{Result, invalid};

/// How the decoder holds its weights.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum DecoderKind {
    /// One value per weight (point estimates), trained by the optimiser alone.
    #[default]
    Standard,
    /// EVE's Bayesian decoder (`VAE_Bayesian_MLP_decoder`, one-hot alignments only): every
    /// weight and bias has a Gaussian posterior N(mean, exp(log_var)), drawn afresh at every
    /// training step and every scoring sample, with KL(q ‖ N(0, 1)) / N_eff in the loss.
    Bayesian(BayesianDecoder),
}

/// Where the decoder's output layer starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputInit {
    /// Random weights and bias, as every layer (`nn.Linear`'s U(±1/√fan_in)).
    #[default]
    Random,
    /// The standard decoder at the site-independent model: for one-hot alignments the bias at
    /// each column's log-frequencies over the weighted training rows (pseudocount 0.5 per
    /// state, the panel's site-independent model), for genotypes at each site's
    /// allele-frequency logit (0.5 per allele); the weights at 1% of their random start, so
    /// training starts from the site model (`crate::train::site_init`).
    Site,
    /// Genotypes read through their principal axes (binomial likelihood, one hidden layer on
    /// each side): the whole network, encoder included, starts at PCA: the encoder's means at
    /// the leading principal-component scores, the decoder at PCA's reconstruction
    /// (`crate::train::pca_start`).
    Pca,
}

impl OutputInit {
    /// Whether the output layer starts at random (the default, left out of config.json).
    pub fn is_random(&self) -> bool {
        *self == OutputInit::Random
    }
}

/// The settings of EVE's Bayesian decoder; the defaults are EVE's
/// (`default_model_params.json`, `decoder_parameters`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BayesianDecoder {
    /// Dropout on the latent draw and after each hidden layer while training (EVE 0.1).
    pub dropout: f64,
    /// Channels per alignment column of the last layer, mapped to the alphabet by a shared
    /// (Bayesian) dictionary matrix — EVE's `convolve_output` with
    /// `convolution_output_depth` 40; 0 maps the last hidden layer straight to the alphabet.
    pub dictionary: usize,
    /// A learned (Bayesian) inverse temperature softplus(t) on the logits (EVE's
    /// `include_temperature_scaler`, on by default; DeepSequence's `final_pwm_scale`).
    pub temperature: bool,
    /// Group sparsity on the last layer's weights (DeepSequence's `sparsity`, EVE's
    /// `include_sparsity`, off in EVE's default). Absent in config.json files written before
    /// it existed, and left out of new ones while off, so those read as before.
    #[serde(skip_serializing_if = "Sparsity::is_none")]
    pub sparsity: Sparsity,
}

impl Default for BayesianDecoder {
    fn default() -> Self {
        Self {
            dropout: 0.1,
            dictionary: 40,
            temperature: true,
            sparsity: Sparsity::None,
        }
    }
}

impl BayesianDecoder {
    /// Check the settings for a decoder whose last hidden layer has `last_hidden` units.
    pub(super) fn validate(&self, last_hidden: usize) -> Result<()> {
        share_below_one("decoder.dropout", self.dropout, "0.1")?;
        match self.sparsity {
            Sparsity::None => Ok(()),
            Sparsity::Logit(logit) => logit.validate(last_hidden),
        }
    }
}

/// Group sparsity on the last layer's weights.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Sparsity {
    /// Every weight as drawn (EVE's default).
    #[default]
    None,
    /// DeepSequence's logit scales (`sparsity="logit"`, its default).
    Logit(LogitSparsity),
}

impl Sparsity {
    /// Whether there is no sparsity.
    pub fn is_none(&self) -> bool {
        *self == Sparsity::None
    }
}

/// DeepSequence's logit group sparsity (`model.py`, `decoder_sparse`): scales S
/// `[last hidden / tiles, columns]`, variational like the weights, repeated `tiles` times over
/// the hidden units (unit h takes row h mod (hidden / tiles)); the last layer's weight from
/// hidden unit h to every state of column l is multiplied by sigmoid(S[h, l]). Each S has a
/// Gaussian prior N(prior_mean, prior_sigma²) on the logit scale, a continuous relaxation of
/// a spike and slab that pulls most scales towards 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogitSparsity {
    /// How many times the scales repeat over the hidden units (DeepSequence's `n_patterns`,
    /// EVE's `num_tiles_sparsity`; 4). Must divide the last decoder layer's size.
    pub tiles: usize,
    /// Prior mean of each scale's logit: `prior_sigma` · Φ⁻¹(p) for DeepSequence's prior
    /// probability `logit_p` of a scale being on (0.001 in its published runs,
    /// `examples/run_svi.py`; 4 · Φ⁻¹(0.001) = −12.3609).
    pub prior_mean: f64,
    /// Prior standard deviation of each scale's logit (DeepSequence's `logit_sigma`, 4).
    pub prior_sigma: f64,
}

/// 4 · Φ⁻¹(0.001), from Python's `statistics.NormalDist().inv_cdf(0.001)`.
const DEEPSEQUENCE_PRIOR_MEAN: f64 = -12.360_929_224_671_253;

impl Default for LogitSparsity {
    fn default() -> Self {
        Self {
            tiles: 4,
            prior_mean: DEEPSEQUENCE_PRIOR_MEAN,
            prior_sigma: 4.0,
        }
    }
}

impl LogitSparsity {
    fn validate(&self, last_hidden: usize) -> Result<()> {
        if self.tiles == 0 || !last_hidden.is_multiple_of(self.tiles) {
            return Err(invalid(
                "decoder.sparsity.tiles",
                format!(
                    "{} does not divide the last decoder layer's {last_hidden} units — use a divisor such as 4 (DeepSequence), or resize the layer",
                    self.tiles
                ),
            ));
        }
        if !self.prior_mean.is_finite() {
            return Err(invalid(
                "decoder.sparsity.prior_mean",
                format!(
                    "{} is not a finite number — use {DEEPSEQUENCE_PRIOR_MEAN} (DeepSequence)",
                    self.prior_mean
                ),
            ));
        }
        positive_finite("decoder.sparsity.prior_sigma", self.prior_sigma, "4")
    }
}
