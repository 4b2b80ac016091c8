//! Hyper-parameters: the model's shape ([`VaeConfig`]) and how it is trained ([`TrainConfig`]).
//!
//! Both are plain serde structs (missing fields take their defaults, unknown fields are an
//! error) whose `validate()` returns a typed error before any work starts.

use serde::{Deserialize, Serialize};

use crate::error::{Result, invalid};
use crate::likelihood::Likelihood;

mod decoder;
mod train;

pub use decoder::{BayesianDecoder, DecoderKind, LogitSparsity, OutputInit, Sparsity};
pub use train::{EarlyStopping, KlWarmup, LrSchedule, RowSampling, TrainConfig};

/// The most categories a batch or covariate may have, and the most continuous covariates.
const MAX_CATEGORIES: usize = 100_000;

/// The most weights a network may hold: 2^31, 8 GB of f32 a copy, where the largest recipe
/// (EVE's, on a long protein family) holds tens of millions.
const MAX_WEIGHTS: usize = 1 << 31;

/// [`VaeConfig::input_components`] by default: every axis of a cohort of up to 257 samples.
pub const DEFAULT_INPUT_COMPONENTS: usize = 256;

/// [`VaeConfig::input_components`] at most: each axis is a column of n_features values saved
/// with the model.
const MAX_INPUT_COMPONENTS: usize = 4096;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Non-linearity after each hidden layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// max(0, x) — scVI's choice.
    #[default]
    Relu,
    /// exp(x) − 1 below zero — popvae's choice.
    Elu,
    /// Slope 0.01 below zero — VAMB's choice.
    LeakyRelu,
    /// Gaussian error linear unit (tanh approximation).
    Gelu,
}

/// Normalisation of each hidden layer's pre-activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Norm {
    /// None.
    None,
    /// Batch-norm (scVI's momentum 0.01 and ε 1e-3); running statistics are saved.
    #[default]
    Batch,
    /// Layer-norm over the features of each row.
    Layer,
}

/// What the encoder sees of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputTransform {
    /// `log1p` for count likelihoods (poisson, nb, zinb), the values as they are otherwise.
    #[default]
    Auto,
    /// The values as they are.
    Identity,
    /// log(1 + x), as scVI does for counts.
    Log1p,
    /// Binomial (genotypes) only: each dosage g of n alleles as (g − n·p) / √(n·p·(1 − p)),
    /// p the site's allele frequency on the training rows (saved with the model), as PCA of
    /// genotypes scales it ([`crate::allele_frequency`]).
    AlleleFrequency,
    /// Binomial (genotypes) only: the dosages centred on the training rows' site means and
    /// projected onto their leading [`VaeConfig::input_components`] principal axes, scaled by
    /// one constant (saved with the model; [`crate::input_axes`]). The encoder learns from
    /// there instead of from every site.
    PrincipalAxes,
}

/// The shape of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VaeConfig {
    /// Number of input features (columns).
    pub n_features: usize,
    /// Encoder hidden layer sizes, input side first.
    pub hidden: Vec<usize>,
    /// Decoder hidden layer sizes, latent side first; `None` mirrors `hidden`.
    pub decoder_hidden: Option<Vec<usize>>,
    /// Latent dimensions.
    pub latent: usize,
    /// Hidden-layer non-linearity.
    pub activation: Activation,
    /// Dropout probability after each encoder hidden layer (the decoder has none, as in scVI).
    pub dropout: f64,
    /// Dropout probability on the encoder's input while training (a denoising encoder,
    /// Vincent et al. 2008): each value the encoder sees is zeroed with this probability and
    /// the rest scaled by 1 / (1 − p); the reconstruction target stays whole. 0 for none.
    pub input_dropout: f64,
    /// Hidden-layer normalisation (the Bayesian decoder has none, as EVE's).
    pub norm: Norm,
    /// Point-estimate or Bayesian decoder weights (absent in older config.json: standard).
    pub decoder: DecoderKind,
    /// Where the standard decoder's output layer starts (absent in older config.json, and
    /// left out while random).
    #[serde(skip_serializing_if = "OutputInit::is_random")]
    pub output_init: OutputInit,
    /// Categorical (alignments): train through the columns' predictive shrunk toward the
    /// training rows' site model, (1 − ε)·softmax + ε·s ([`crate::SiteShrinkage`]), the
    /// distribution `vaebio score` scores with (absent in older config.json, and left out
    /// while off).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub site_mixture: bool,
    /// The distribution p(x | z).
    pub likelihood: Likelihood,
    /// Number of batch categories; with more than one, a one-hot batch vector joins the input
    /// of every decoder hidden layer (scVI). 0 or 1: no batch covariate.
    pub n_batches: usize,
    /// Category counts of the extra categorical covariates (scVI's
    /// `categorical_covariate_keys`), one per covariate: each one-hot joins the input of every
    /// decoder hidden layer as the batch does (a count of 1 adds nothing). Empty: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub covariate_categories: Vec<usize>,
    /// Number of continuous covariates (scVI's `continuous_covariate_keys`), concatenated to
    /// z at the decoder's input, unscaled, as scVI does. 0: none.
    #[serde(skip_serializing_if = "is_zero")]
    pub n_continuous: usize,
    /// What the encoder sees of a row.
    pub input_transform: InputTransform,
    /// Principal axes the encoder reads with [`InputTransform::PrincipalAxes`] (axes beyond
    /// the training rows' rank read 0); unused otherwise.
    pub input_components: usize,
    /// z-score every feature (mean and population standard deviation fitted on the training
    /// rows, saved in the checkpoint) before encoding and reconstructing; gaussian only.
    pub standardize: bool,
    /// Weights of consecutive groups of features in the reconstruction loss, in column order
    /// (VAMB weighs abundance against TNF this way); empty: every feature weighs 1.
    pub feature_groups: Vec<FeatureGroup>,
    /// Floor added to the posterior variance, σ² = exp(encoder output) + floor (scVI's
    /// `var_eps`, 1e-4); 0 leaves σ² = exp(output).
    pub posterior_variance_floor: f64,
    /// Count likelihoods only: weigh each feature's reconstruction log-likelihood by
    /// (its mean over the training rows + 0.01)^−power, the weights scaled to average 1
    /// ([`crate::gene_weights_from_means`]), so weakly expressed genes count for more, as a
    /// per-gene scaling does for PCA. 0 (the default) weighs every gene 1. On its own it helps
    /// where weak genes carry signal and hurts where they are noise (README, "Recipes");
    /// [`Self::gene_weight_neighbours`] tells the two apart.
    pub gene_weight_power: f64,
    /// Count likelihoods only: also multiply each gene's weight by its neighbourhood
    /// autocorrelation on the training rows plus 0.05 ([`crate::neighbour_autocorrelation`]:
    /// how well a cell's log-normalised expression agrees with its 15 nearest neighbours' in
    /// a PCA; [`crate::gene_weights_with_autocorrelation`]), so genes that vary with cell
    /// identity count and genes whose variation is noise count little. The weights again
    /// average 1. `false` (the default) leaves the mean weights alone.
    pub gene_weight_neighbours: bool,
    /// Count likelihoods only: weigh each cell's reconstruction log-likelihood by its library
    /// size (total count, at least 1) to the power −`library_weight_power`, the weights scaled
    /// to average 1 over the training rows ([`crate::train::library_weights`]), so deeply and
    /// shallowly sequenced cells pull alike on the model, as PCA's per-cell normalisation
    /// lets them. 0 (the default) weighs every cell 1.
    pub library_weight_power: f64,
    /// Seed for the weight initialisation.
    pub seed: u64,
}

/// A run of consecutive features sharing one weight in the reconstruction loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureGroup {
    /// Number of consecutive features in the group.
    pub n_features: usize,
    /// Factor on each of these features' log-likelihood.
    pub weight: f64,
}

impl Default for VaeConfig {
    fn default() -> Self {
        Self {
            n_features: 0,
            hidden: vec![128],
            decoder_hidden: None,
            latent: 10,
            activation: Activation::Relu,
            dropout: 0.1,
            input_dropout: 0.0,
            norm: Norm::Batch,
            decoder: DecoderKind::Standard,
            output_init: OutputInit::Random,
            site_mixture: false,
            likelihood: Likelihood::Gaussian {
                learned_variance: false,
            },
            n_batches: 0,
            covariate_categories: Vec::new(),
            n_continuous: 0,
            input_transform: InputTransform::Auto,
            input_components: DEFAULT_INPUT_COMPONENTS,
            standardize: false,
            feature_groups: Vec::new(),
            posterior_variance_floor: 0.0,
            gene_weight_power: 0.0,
            gene_weight_neighbours: false,
            library_weight_power: 0.0,
            seed: 0,
        }
    }
}

impl VaeConfig {
    /// Defaults (hidden `[128]`, latent 10, ReLU, dropout 0.1, batch-norm) for `n_features`.
    /// (`VaeConfig::default()` has 0 features and a unit-variance gaussian likelihood.)
    pub fn new(n_features: usize, likelihood: Likelihood) -> Self {
        Self {
            n_features,
            likelihood,
            ..Self::default()
        }
    }

    /// Decoder hidden sizes, latent side first.
    pub fn decoder_layers(&self) -> Vec<usize> {
        match &self.decoder_hidden {
            Some(layers) => layers.clone(),
            None => self.hidden.iter().rev().copied().collect(),
        }
    }

    /// Whether the encoder input is `log1p` of the row.
    pub fn encoder_log1p(&self) -> bool {
        match self.input_transform {
            InputTransform::Auto => self.likelihood.is_count(),
            InputTransform::Identity
            | InputTransform::AlleleFrequency
            | InputTransform::PrincipalAxes => false,
            InputTransform::Log1p => true,
        }
    }

    /// Width of the encoder's input: the principal axes read with
    /// [`InputTransform::PrincipalAxes`], else every feature.
    pub fn encoder_inputs(&self) -> usize {
        if self.input_transform == InputTransform::PrincipalAxes {
            self.input_components
        } else {
            self.n_features
        }
    }

    /// Whether a batch covariate is used.
    pub fn uses_batches(&self) -> bool {
        self.n_batches > 1
    }

    /// Whether the decoder takes covariates besides the batch (categorical or continuous).
    pub fn uses_covariates(&self) -> bool {
        !self.covariate_categories.is_empty() || self.n_continuous > 0
    }

    /// Check every field; the error names the field and the fix. A network of more than
    /// [`MAX_WEIGHTS`] weights is refused (no data set needs one; it would abort the process
    /// for want of memory instead).
    pub fn validate(&self) -> Result<()> {
        self.validate_shape()?;
        self.validate_regularisation()?;
        self.validate_weights()?;
        self.validate_input()?;
        self.validate_decoder()?;
        self.likelihood
            .validate(self.n_features)
            .map_err(|e| invalid("likelihood", e.to_string()))
    }

    /// Whether the PCA start ([`OutputInit::Pca`]) fits this network: genotypes read through
    /// their principal axes, one hidden layer on each side at least as wide as the latent, the
    /// standard decoder without normalisation, an activation that is the identity above 0, no
    /// covariates. The error says what does not fit.
    pub fn validate_pca_start(&self) -> Result<()> {
        let fail = |why: &str| Err(invalid("output_init", format!("the PCA start {why}")));
        if !matches!(self.likelihood, Likelihood::Binomial { .. }) {
            return fail("is for genotypes (binomial) — use random");
        }
        if self.input_transform != InputTransform::PrincipalAxes {
            return fail("needs the principal-axes input — add input_transform principal-axes");
        }
        if self.input_components < self.latent {
            return fail("needs at least as many input axes as latent dimensions");
        }
        let one_layer = |layers: &[usize]| layers.len() == 1 && layers[0] >= self.latent;
        if !one_layer(&self.hidden) || !one_layer(&self.decoder_layers()) {
            return fail(
                "needs one hidden layer on each side, at least as wide as the latent — set hidden to one layer",
            );
        }
        if self.decoder != DecoderKind::Standard || self.norm != Norm::None {
            return fail("needs the standard decoder without normalisation");
        }
        if self.activation == Activation::Gelu || self.uses_batches() || self.uses_covariates() {
            return fail(
                "needs an activation that is the identity above 0 (ELU, ReLU, leaky ReLU) and no covariates",
            );
        }
        Ok(())
    }

    /// The Bayesian decoder is EVE's: one-hot alignments (categorical), no covariates. The
    /// site start is for one-hot alignments and genotypes (binomial) with the standard decoder;
    /// the PCA start as [`Self::validate_pca_start`] says.
    fn validate_decoder(&self) -> Result<()> {
        if self.site_mixture && !matches!(self.likelihood, Likelihood::Categorical { .. }) {
            return Err(invalid(
                "site_mixture",
                format!(
                    "the site mixture is for one-hot alignments (categorical), not {} — leave it off",
                    self.likelihood.name()
                ),
            ));
        }
        if self.output_init == OutputInit::Site {
            if !matches!(
                self.likelihood,
                Likelihood::Categorical { .. } | Likelihood::Binomial { .. }
            ) {
                return Err(invalid(
                    "output_init",
                    format!(
                        "the site-model start is for one-hot alignments (categorical) and genotypes (binomial), not {} — use random",
                        self.likelihood.name()
                    ),
                ));
            }
            if self.decoder != DecoderKind::Standard {
                return Err(invalid(
                    "output_init",
                    "the site-model start needs the standard decoder — use random with the Bayesian decoder",
                ));
            }
        }
        if self.output_init == OutputInit::Pca {
            self.validate_pca_start()?;
        }
        let DecoderKind::Bayesian(bayesian) = self.decoder else {
            return Ok(());
        };
        if !matches!(self.likelihood, Likelihood::Categorical { .. }) {
            return Err(invalid(
                "decoder",
                format!(
                    "the Bayesian decoder is EVE's, for one-hot alignments (categorical likelihood), not {} — use the standard decoder",
                    self.likelihood.name()
                ),
            ));
        }
        if self.uses_batches() || !self.covariate_categories.is_empty() || self.n_continuous > 0 {
            return Err(invalid(
                "decoder",
                "the Bayesian decoder takes no batch or other covariates — drop them or use the standard decoder",
            ));
        }
        let last_hidden = self.decoder_layers().last().copied().unwrap_or(self.latent);
        bayesian.validate(last_hidden)
    }

    /// Layer sizes: input, hidden and latent.
    fn validate_shape(&self) -> Result<()> {
        if self.n_features == 0 {
            return Err(invalid(
                "n_features",
                "must be at least 1 — set it to the number of input columns",
            ));
        }
        if self.hidden.contains(&0) {
            return Err(invalid(
                "hidden",
                format!(
                    "{:?} has a layer of size 0 — every layer needs ≥ 1 unit",
                    self.hidden
                ),
            ));
        }
        if let Some(layers) = &self.decoder_hidden
            && layers.contains(&0)
        {
            return Err(invalid(
                "decoder_hidden",
                format!("{layers:?} has a layer of size 0 — every layer needs ≥ 1 unit"),
            ));
        }
        if self.latent == 0 {
            return Err(invalid("latent", "must be at least 1 (e.g. 10)"));
        }
        let weights = self.weight_count();
        if weights > MAX_WEIGHTS {
            let decoder = self.decoder_hidden.iter().flatten();
            let widest = self.hidden.iter().chain(decoder).max();
            let field = if widest.is_some_and(|&w| w >= self.latent) {
                "hidden"
            } else {
                "latent"
            };
            return Err(invalid(
                field,
                format!(
                    "hidden {:?} and latent {} make about {weights} weights ({:.0} GB a copy; training keeps about ten) — narrow the layers or select fewer features",
                    self.hidden,
                    self.latent,
                    weights as f64 * 4e-9
                ),
            ));
        }
        Ok(())
    }

    /// About how many weights the encoder and decoder hold (their matrices, not the biases),
    /// saturating rather than overflowing.
    fn weight_count(&self) -> usize {
        let chain = |sizes: &[usize]| {
            sizes.windows(2).fold(0usize, |sum, pair| {
                sum.saturating_add(pair[0].saturating_mul(pair[1]))
            })
        };
        let encoder = [&[self.n_features][..], &self.hidden, &[2 * self.latent]].concat();
        let decoder_hidden = match &self.decoder_hidden {
            Some(layers) => layers.clone(),
            None => self.hidden.iter().rev().copied().collect(),
        };
        let decoder = [&[self.latent][..], &decoder_hidden, &[self.n_features]].concat();
        chain(&encoder).saturating_add(chain(&decoder))
    }

    /// Dropout and the posterior variance floor.
    fn validate_regularisation(&self) -> Result<()> {
        share_below_one("dropout", self.dropout, "0.1")?;
        share_below_one("input_dropout", self.input_dropout, "0.2")?;
        if !(self.posterior_variance_floor.is_finite() && self.posterior_variance_floor >= 0.0) {
            return Err(invalid(
                "posterior_variance_floor",
                format!(
                    "{} is not a finite number ≥ 0 — use 1e-4 (scVI) or 0 for none",
                    self.posterior_variance_floor
                ),
            ));
        }
        Ok(())
    }

    /// Gene and library-size weights (count likelihoods only).
    fn validate_weights(&self) -> Result<()> {
        if !(self.gene_weight_power.is_finite() && (0.0..=2.0).contains(&self.gene_weight_power)) {
            return Err(invalid(
                "gene_weight_power",
                format!(
                    "{} is not a number from 0 to 2 — use 0.5, or 0 to weigh every gene 1",
                    self.gene_weight_power
                ),
            ));
        }
        if self.gene_weight_power > 0.0 && !self.likelihood.is_count() {
            return Err(invalid(
                "gene_weight_power",
                "gene weights from mean counts need a count likelihood (nb, zinb, poisson) — set it to 0",
            ));
        }
        if self.gene_weight_neighbours && !self.likelihood.is_count() {
            return Err(invalid(
                "gene_weight_neighbours",
                "neighbourhood gene weights need a count likelihood (nb, zinb, poisson) — set it to false",
            ));
        }
        if !(self.library_weight_power.is_finite()
            && (0.0..=2.0).contains(&self.library_weight_power))
        {
            return Err(invalid(
                "library_weight_power",
                format!(
                    "{} is not a number from 0 to 2 — use 1, or 0 to weigh every cell 1",
                    self.library_weight_power
                ),
            ));
        }
        if self.library_weight_power > 0.0 && !self.likelihood.is_count() {
            return Err(invalid(
                "library_weight_power",
                "library-size weights need a count likelihood (nb, zinb, poisson) — set it to 0",
            ));
        }
        Ok(())
    }

    /// Batches, covariates, z-scoring and feature groups.
    fn validate_input(&self) -> Result<()> {
        if self.n_batches > MAX_CATEGORIES {
            return Err(invalid(
                "n_batches",
                format!(
                    "{} batch categories is implausible — is a per-row id being used as batch?",
                    self.n_batches
                ),
            ));
        }
        if let Some(&count) = self
            .covariate_categories
            .iter()
            .find(|&&n| n == 0 || n > MAX_CATEGORIES)
        {
            return Err(invalid(
                "covariate_categories",
                format!(
                    "a covariate with {count} categories — give 1 to {MAX_CATEGORIES} (is a per-row id being used as a covariate?)"
                ),
            ));
        }
        if self.n_continuous > MAX_CATEGORIES {
            return Err(invalid(
                "n_continuous",
                format!(
                    "{} continuous covariates is implausible — give at most {MAX_CATEGORIES}",
                    self.n_continuous
                ),
            ));
        }
        let genotype_only = match self.input_transform {
            InputTransform::AlleleFrequency => Some(("allele-frequency scaling", "is")),
            InputTransform::PrincipalAxes => Some(("principal axes", "are")),
            _ => None,
        };
        if let Some((what, verb)) = genotype_only
            && !matches!(self.likelihood, Likelihood::Binomial { .. })
        {
            return Err(invalid(
                "input_transform",
                format!(
                    "{what} {verb} for genotype dosages (binomial likelihood), not {} — use auto",
                    self.likelihood.name()
                ),
            ));
        }
        if self.input_transform == InputTransform::PrincipalAxes
            && !(1..=MAX_INPUT_COMPONENTS).contains(&self.input_components)
        {
            return Err(invalid(
                "input_components",
                format!(
                    "{} principal axes — give 1 to {MAX_INPUT_COMPONENTS}",
                    self.input_components
                ),
            ));
        }
        if self.standardize && !matches!(self.likelihood, Likelihood::Gaussian { .. }) {
            return Err(invalid(
                "standardize",
                "z-scoring only suits the gaussian likelihood — turn it off or use gaussian",
            ));
        }
        if !self.feature_groups.is_empty() {
            let covered: usize = self.feature_groups.iter().map(|g| g.n_features).sum();
            if covered != self.n_features {
                return Err(invalid(
                    "feature_groups",
                    format!(
                        "the groups cover {covered} features, the input has {} — make the group sizes add up",
                        self.n_features
                    ),
                ));
            }
            if let Some(group) = self
                .feature_groups
                .iter()
                .find(|g| g.n_features == 0 || !g.weight.is_finite() || g.weight < 0.0)
            {
                return Err(invalid(
                    "feature_groups",
                    format!(
                        "group of {} features with weight {}: groups need ≥ 1 feature and a weight ≥ 0",
                        group.n_features, group.weight
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A share in [0, 1), 0 meaning none (a dropout probability, the weight average's decay).
fn share_below_one(field: &'static str, value: f64, example: &str) -> Result<()> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{value} is outside [0, 1) — use e.g. {example}, or 0 for none"),
        ))
    }
}

fn positive_finite(field: &'static str, value: f64, example: &str) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{value} must be a positive number ({example})"),
        ))
    }
}

fn non_negative(field: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{value} must be a finite number ≥ 0"),
        ))
    }
}

#[cfg(test)]
mod tests;
