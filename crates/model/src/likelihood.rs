//! The observation model p(x | z): which distribution the decoder parameterises, what it
//! needs from the decoder, log p(x | decoder output) per observation, expected values, and
//! checks that input data lie in the distribution's support.
//!
//! Every likelihood reads `DecoderOutput::loc`, one value per feature:
//!
//! | likelihood | `loc` is | `log_scale` (`[features]`) | `zero_logits` |
//! |---|---|---|---|
//! | gaussian | mean | ln σ if `learned_variance` (σ = 1 otherwise) | – |
//! | bernoulli | logit of p | – | – |
//! | binomial | logit of p per trial | – | – |
//! | categorical | logits, softmax within each block of `n_states` columns | – | – |
//! | poisson | logits: rate μ = softmax(loc) × library size | – | – |
//! | negative_binomial | as poisson, NB mean μ | ln θ (inverse dispersion) | – |
//! | zero_inflated_negative_binomial | as poisson | ln θ | logit of dropout, `[batch, features]` |

pub mod count;

use crate::error::Error;
use crate::likelihood::count::{
    negative_binomial_log_prob_from_logits, negative_binomial_row_log_prob_from_logits,
    poisson_log_prob, zero_inflated_negative_binomial_log_prob_from_logits,
    zero_inflated_negative_binomial_row_log_prob_from_logits,
};
use crate::ops::binomial::{BinomialOp, Trials, composite_log_prob};
use crate::ops::categorical::CategoricalOp;
use crate::ops::special::{log1p, softplus};
use candle_core::{D, DType, Tensor};
// `softmax`, not `softmax_last_dim`: the latter has no backward pass in candle-nn 0.11.1.
use candle_nn::ops::{log_softmax, sigmoid, softmax};
use serde::{Deserialize, Serialize};

/// ln(2π) / 2.
const HALF_LN_TWO_PI: f64 = 0.918_938_533_204_672_8;

/// Tolerance for a categorical block of one-hot columns summing to one.
const BLOCK_SUM_TOLERANCE: f32 = 1e-3;

/// What is known of each observation besides its values: the library size of a count row and
/// the number of binomial trials of each value. `Exposure::default()` knows neither: count
/// likelihoods then use the observed row sums (in [`Likelihood::mean`], the normalised
/// expression), the binomial its configured `trials` for every value.
#[derive(Clone, Copy, Debug, Default)]
pub struct Exposure<'a> {
    /// Each row's total count, `[batch]` or `[batch, 1]`; count likelihoods only.
    pub library_size: Option<&'a Tensor>,
    /// The trials of each value, `[batch, features]` (e.g. each genotype's own ploidy where
    /// haploid and diploid calls mix); binomial only.
    pub trials: Option<&'a Tensor>,
}

impl<'a> Exposure<'a> {
    /// Only the library sizes.
    pub fn library(library_size: Option<&'a Tensor>) -> Self {
        Self {
            library_size,
            trials: None,
        }
    }
}

/// The distribution of each feature given the latent code. Serialised with a `kind` tag in
/// snake_case, e.g. `{"kind":"binomial","trials":2}`; `nb` and `zinb` are accepted aliases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Likelihood {
    /// Normal with the decoder's mean; σ = 1 (squared error up to constants) unless
    /// `learned_variance`, then one learned σ per feature.
    Gaussian {
        /// Learn ln σ per feature (`DecoderOutput::log_scale`).
        learned_variance: bool,
    },
    /// Bernoulli on values in [0, 1] (fractions allowed, as binary cross-entropy).
    Bernoulli,
    /// Binomial with `trials` draws per feature, e.g. genotype dosages with trials = ploidy.
    Binomial {
        /// Number of trials n ≥ 1.
        trials: u32,
    },
    /// One categorical variable per block of `n_states` consecutive one-hot columns
    /// (alignment columns: 21 states = 20 amino acids + gap).
    Categorical {
        /// Columns per block, ≥ 2.
        n_states: usize,
    },
    /// Poisson counts with rate softmax(loc) × library size.
    Poisson,
    /// Negative binomial counts (scVI): mean softmax(loc) × library size, θ per feature.
    #[serde(alias = "nb")]
    NegativeBinomial,
    /// Zero-inflated negative binomial (scVI): NB plus a dropout logit per value.
    #[serde(alias = "zinb")]
    ZeroInflatedNegativeBinomial,
}

/// What the decoder produced for a minibatch; which fields are read depends on the likelihood
/// (see the table in the module docs).
#[derive(Clone, Debug)]
pub struct DecoderOutput {
    /// [batch, features]: mean (gaussian) or logits (all others).
    pub loc: Tensor,
    /// Per-feature log scale, `[features]` or `[batch, features]`: ln σ (gaussian with learned
    /// variance) or ln θ (negative binomial, zero-inflated NB). `None` otherwise.
    pub log_scale: Option<Tensor>,
    /// `[batch, features]` logit of the zero-inflation (dropout) probability; ZINB only.
    pub zero_logits: Option<Tensor>,
}

impl Likelihood {
    /// The name used in configs and messages (the serde tag), e.g. `negative_binomial`.
    pub fn name(&self) -> &'static str {
        match self {
            Likelihood::Gaussian { .. } => "gaussian",
            Likelihood::Bernoulli => "bernoulli",
            Likelihood::Binomial { .. } => "binomial",
            Likelihood::Categorical { .. } => "categorical",
            Likelihood::Poisson => "poisson",
            Likelihood::NegativeBinomial => "negative_binomial",
            Likelihood::ZeroInflatedNegativeBinomial => "zero_inflated_negative_binomial",
        }
    }

    /// Checks the settings against the number of features: trials ≥ 1, n_states ≥ 2 and
    /// dividing the number of columns.
    pub fn validate(&self, n_features: usize) -> Result<(), Error> {
        let invalid = |problem: String, fix: String| Error::LikelihoodSetting {
            likelihood: self.name(),
            problem,
            fix,
        };
        match *self {
            Likelihood::Binomial { trials: 0 } => Err(invalid(
                "trials is 0".into(),
                "set trials to the number of draws per feature, e.g. the ploidy (2)".into(),
            )),
            Likelihood::Categorical { n_states } if n_states < 2 => Err(invalid(
                format!("n_states is {n_states}"),
                "set n_states to the one-hot columns per position (21 for protein + gap)".into(),
            )),
            Likelihood::Categorical { n_states } if !n_features.is_multiple_of(n_states) => {
                Err(invalid(
                    format!("{n_features} features are not whole blocks of {n_states} states"),
                    "pass one-hot columns grouped per position, n_states columns each".into(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Decoder heads of shape [batch, features]: 1 (`loc`), or 2 for ZINB (`loc`,
    /// `zero_logits`).
    pub fn decoder_heads(&self) -> usize {
        match self {
            Likelihood::ZeroInflatedNegativeBinomial => 2,
            _ => 1,
        }
    }

    /// Whether the model keeps a learned per-feature log-scale vector (`log_scale`):
    /// ln σ for a gaussian with learned variance, ln θ for NB and ZINB.
    pub fn needs_log_scale(&self) -> bool {
        matches!(
            self,
            Likelihood::Gaussian {
                learned_variance: true
            } | Likelihood::NegativeBinomial
                | Likelihood::ZeroInflatedNegativeBinomial
        )
    }

    /// Count likelihoods (poisson, NB, ZINB): the encoder sees ln(1 + x) (see
    /// [`Likelihood::encoder_input`]) and the decoder's softmax is scaled by library size.
    pub fn is_count(&self) -> bool {
        matches!(
            self,
            Likelihood::Poisson
                | Likelihood::NegativeBinomial
                | Likelihood::ZeroInflatedNegativeBinomial
        )
    }

    /// The binomial's trials (the largest ploidy, for genotypes); `None` for the others.
    pub fn trials(&self) -> Option<u32> {
        match self {
            Likelihood::Binomial { trials } => Some(*trials),
            _ => None,
        }
    }

    /// The encoder's input for data `x`: ln(1 + x) for count likelihoods (as scVI), `x`
    /// otherwise.
    pub fn encoder_input(&self, x: &Tensor) -> Result<Tensor, Error> {
        if self.is_count() {
            Ok(log1p(x)?)
        } else {
            Ok(x.clone())
        }
    }

    /// log p(x | decoder output) per observation: a `[batch]` tensor, the sum over features.
    ///
    /// `x` is `[batch, features]`. For count likelihoods `exposure.library_size` is each row's
    /// total count (`[batch]` or `[batch, 1]`); `None` uses the observed row sums of `x`, as
    /// scVI does. For the binomial `exposure.trials` gives each value's own n.
    pub fn log_prob(
        &self,
        x: &Tensor,
        output: &DecoderOutput,
        exposure: Exposure<'_>,
    ) -> Result<Tensor, Error> {
        let library_size = exposure.library_size;
        // the fused CPU ops of NB and ZINB sum each row themselves
        let zero_logits = match *self {
            Likelihood::NegativeBinomial => None,
            Likelihood::ZeroInflatedNegativeBinomial => Some(self.zero_logits(output)?),
            Likelihood::Binomial { trials } => {
                return binomial_log_prob(x, &output.loc, trials, exposure.trials, true);
            }
            Likelihood::Categorical { n_states } if fused_cpu_op_takes(x, &output.loc) => {
                let op = CategoricalOp::new(n_states);
                return Ok(x.contiguous()?.apply_op2(&output.loc.contiguous()?, op)?);
            }
            _ => return Ok(self.log_prob_elements(x, output, exposure)?.sum(1)?),
        };
        let (loc, theta) = (&output.loc, self.log_scale(output)?.exp()?);
        let library = library(x, library_size)?;
        Ok(match zero_logits {
            None => negative_binomial_row_log_prob_from_logits(x, loc, &library, &theta)?,
            Some(zero_logits) => zero_inflated_negative_binomial_row_log_prob_from_logits(
                x,
                loc,
                &library,
                &theta,
                zero_logits,
            )?,
        })
    }

    /// log p(x | decoder output) per value, `[batch, features]` (for categorical, the one-hot
    /// weighted log-probabilities, whose sum per block is the block's log-probability).
    pub fn log_prob_elements(
        &self,
        x: &Tensor,
        output: &DecoderOutput,
        exposure: Exposure<'_>,
    ) -> Result<Tensor, Error> {
        let loc = &output.loc;
        let library_size = exposure.library_size;
        let elements = match *self {
            Likelihood::Gaussian { learned_variance } => {
                let residual = x.sub(loc)?;
                if learned_variance {
                    let log_sigma = self.log_scale(output)?.broadcast_as(loc.shape())?;
                    let standardised = residual.mul(&log_sigma.neg()?.exp()?)?;
                    ((standardised.sqr()? * -0.5)? - log_sigma)?.affine(1.0, -HALF_LN_TWO_PI)?
                } else {
                    residual.sqr()?.affine(-0.5, -HALF_LN_TWO_PI)?
                }
            }
            // x·l − softplus(l) = x ln p + (1 − x) ln(1 − p) with p = σ(l)
            Likelihood::Bernoulli => (x.mul(loc)? - softplus(loc)?)?,
            // x·l − n·softplus(l) + ln C(n, x) = x ln p + (n − x) ln(1 − p) + ln C(n, x)
            Likelihood::Binomial { trials } => {
                binomial_log_prob(x, loc, trials, exposure.trials, false)?
            }
            Likelihood::Categorical { n_states } => {
                let (batch, features) = loc.dims2()?;
                let blocks = features / n_states;
                let log_p = log_softmax(&loc.reshape((batch, blocks, n_states))?, D::Minus1)?;
                log_p.reshape((batch, features))?.mul(x)?
            }
            Likelihood::Poisson => {
                let log_rate = (log_softmax(loc, D::Minus1)?
                    .broadcast_add(&library(x, library_size)?.log()?))?;
                poisson_log_prob(x, &log_rate)?
            }
            Likelihood::NegativeBinomial => {
                let theta = self.log_scale(output)?.exp()?;
                negative_binomial_log_prob_from_logits(x, loc, &library(x, library_size)?, &theta)?
            }
            Likelihood::ZeroInflatedNegativeBinomial => {
                let theta = self.log_scale(output)?.exp()?;
                zero_inflated_negative_binomial_log_prob_from_logits(
                    x,
                    loc,
                    &library(x, library_size)?,
                    &theta,
                    self.zero_logits(output)?,
                )?
            }
        };
        Ok(elements)
    }

    /// Expected value of x given the decoder output, `[batch, features]`.
    ///
    /// Gaussian: the mean. Bernoulli: σ(loc). Binomial: n·σ(loc), n each value's
    /// `exposure.trials` or else `trials`. Categorical: the probabilities of each block. Count
    /// likelihoods: with `exposure.library_size` (`[batch]` or `[batch, 1]`) the
    /// distribution's mean (softmax(loc) × library, times 1 − π for ZINB); without, the
    /// normalised expression softmax(loc), rows summing to one (scVI's
    /// `get_normalized_expression`, which ignores zero inflation).
    pub fn mean(&self, output: &DecoderOutput, exposure: Exposure<'_>) -> Result<Tensor, Error> {
        let loc = &output.loc;
        let library_size = exposure.library_size;
        let mean = match *self {
            Likelihood::Gaussian { .. } => loc.clone(),
            Likelihood::Bernoulli => sigmoid(loc)?,
            Likelihood::Binomial { trials } => match exposure.trials {
                Some(n) => sigmoid(loc)?.mul(n)?,
                None => (sigmoid(loc)? * f64::from(trials))?,
            },
            Likelihood::Categorical { n_states } => {
                let (batch, features) = loc.dims2()?;
                softmax(
                    &loc.reshape((batch, features / n_states, n_states))?,
                    D::Minus1,
                )?
                .reshape((batch, features))?
            }
            Likelihood::Poisson
            | Likelihood::NegativeBinomial
            | Likelihood::ZeroInflatedNegativeBinomial => {
                let scale = softmax(loc, D::Minus1)?;
                match library_size {
                    None => scale,
                    Some(size) => {
                        let (batch, _) = loc.dims2()?;
                        let mu = scale.broadcast_mul(&size.reshape((batch, 1))?)?;
                        match self {
                            Likelihood::ZeroInflatedNegativeBinomial => {
                                // 1 − σ(l) = σ(−l)
                                mu.mul(&sigmoid(&self.zero_logits(output)?.neg()?)?)?
                            }
                            _ => mu,
                        }
                    }
                }
            }
        };
        Ok(mean)
    }

    /// Checks that every value lies in the likelihood's support: finite everywhere; counts
    /// non-negative integers; bernoulli in [0, 1]; binomial integers in [0, trials];
    /// categorical blocks non-negative and summing to one.
    ///
    /// `values` are row-major rows of `n_cols`; `first_row` is the index of the first row in
    /// the whole matrix, so errors name the right observation when checking in chunks.
    pub fn validate_data(
        &self,
        values: &[f32],
        n_cols: usize,
        first_row: usize,
    ) -> Result<(), Error> {
        if n_cols == 0 || !values.len().is_multiple_of(n_cols) {
            return Err(Error::RaggedRows {
                len: values.len(),
                n_cols,
            });
        }
        for (offset, row) in values.chunks_exact(n_cols).enumerate() {
            let row_index = first_row + offset;
            for (col, &value) in row.iter().enumerate() {
                if let Some((problem, fix)) = self.check_value(value) {
                    return Err(Error::OutsideSupport {
                        row: row_index,
                        col,
                        value,
                        likelihood: self.name(),
                        problem,
                        fix,
                    });
                }
            }
            if let Likelihood::Categorical { n_states } = *self {
                for (block, states) in row.chunks_exact(n_states).enumerate() {
                    let total: f32 = states.iter().sum();
                    if (total - 1.0).abs() > BLOCK_SUM_TOLERANCE {
                        return Err(Error::OutsideSupport {
                            row: row_index,
                            col: block * n_states,
                            value: total,
                            likelihood: self.name(),
                            problem: format!(
                                "the block of {n_states} columns starting here sums to {total}, not 1"
                            ),
                            fix: "pass one-hot columns grouped per position, or check n_states",
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks that no value exceeds its own binomial trials (`trials`, like `values`); a
    /// haploid genotype holds at most one allele.
    pub fn validate_trials(
        &self,
        values: &[f32],
        trials: &[u8],
        n_cols: usize,
        first_row: usize,
    ) -> Result<(), Error> {
        if n_cols == 0 || values.len() != trials.len() || !values.len().is_multiple_of(n_cols) {
            return Err(Error::RaggedRows {
                len: trials.len(),
                n_cols,
            });
        }
        match values
            .iter()
            .zip(trials)
            // 0 trials: not observed (a masked missing call); its value is the encoder's fill
            .position(|(&value, &n)| n > 0 && value > f32::from(n))
        {
            None => Ok(()),
            Some(at) => Err(Error::OutsideSupport {
                row: first_row + at / n_cols,
                col: at % n_cols,
                value: values[at],
                likelihood: self.name(),
                problem: format!("value {} exceeds its own {} trials", values[at], trials[at]),
                fix: "give each value's trials as its ploidy (a haploid call holds at most 1 allele)",
            }),
        }
    }

    /// Why `value` is outside the support, with the fix; `None` when it is fine.
    fn check_value(&self, value: f32) -> Option<(String, &'static str)> {
        if !value.is_finite() {
            return Some((
                format!("value {value} is not finite"),
                "remove or impute missing and infinite values before training",
            ));
        }
        match *self {
            Likelihood::Gaussian { .. } => None,
            Likelihood::Bernoulli => (!(0.0..=1.0).contains(&value)).then(|| {
                (
                    format!("value {value} is outside [0, 1]"),
                    "scale the data to [0, 1] (e.g. dosage / ploidy) or use the gaussian likelihood",
                )
            }),
            Likelihood::Binomial { trials } => {
                (value < 0.0 || value > trials as f32 || value.fract() != 0.0).then(|| {
                    (
                        format!("value {value} is not an integer in [0, {trials}]"),
                        "pass integer dosages (alt allele counts) and set trials to the ploidy",
                    )
                })
            }
            Likelihood::Categorical { .. } => (value < 0.0).then(|| {
                (
                    format!("value {value} is negative"),
                    "pass one-hot (0/1) columns grouped per position",
                )
            }),
            Likelihood::Poisson
            | Likelihood::NegativeBinomial
            | Likelihood::ZeroInflatedNegativeBinomial => {
                (value < 0.0 || value.fract() != 0.0).then(|| {
                    (
                        format!("value {value} is not a non-negative integer count"),
                        "pass raw (unnormalised, untransformed) counts, or use the gaussian likelihood for normalised data",
                    )
                })
            }
        }
    }

    /// `output.zero_logits`, or the error naming it.
    fn zero_logits<'a>(&self, output: &'a DecoderOutput) -> Result<&'a Tensor, Error> {
        self.required(output.zero_logits.as_ref(), "zero_logits", "decoder_heads")
    }

    /// `output.log_scale`, or the error naming it.
    fn log_scale<'a>(&self, output: &'a DecoderOutput) -> Result<&'a Tensor, Error> {
        self.required(output.log_scale.as_ref(), "log_scale", "needs_log_scale")
    }

    /// `tensor`, or the error naming its `field` and the method (`hint`) that says when the
    /// decoder produces it.
    fn required<'a>(
        &self,
        tensor: Option<&'a Tensor>,
        field: &'static str,
        hint: &'static str,
    ) -> Result<&'a Tensor, Error> {
        tensor.ok_or(Error::MissingDecoderOutput {
            likelihood: self.name(),
            field,
            hint,
        })
    }
}

/// Binomial log p(x | logits) per value (or summed per row): the fused op on the CPU (f32),
/// else tensor ops. `each` gives every value's own number of trials, else all have `trials`.
fn binomial_log_prob(
    x: &Tensor,
    logits: &Tensor,
    trials: u32,
    each: Option<&Tensor>,
    sum_rows: bool,
) -> Result<Tensor, Error> {
    if fused_cpu_op_takes(x, logits) && each.is_none_or(|n| n.dims() == logits.dims()) {
        let trials = match each {
            Some(n) => Trials::Each(n.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?),
            None => Trials::All(trials as f32),
        };
        let op = BinomialOp::new(trials, sum_rows);
        return Ok(x.contiguous()?.apply_op2(&logits.contiguous()?, op)?);
    }
    let n = match each {
        Some(n) => n.clone(),
        None => x.ones_like()?.affine(0.0, f64::from(trials))?,
    };
    let values = composite_log_prob(x, logits, &n)?;
    Ok(if sum_rows { values.sum(1)? } else { values })
}

/// Whether the fused CPU ops take `x` and `logits`: f32 matrices of one shape on the CPU.
fn fused_cpu_op_takes(x: &Tensor, logits: &Tensor) -> bool {
    logits.device().is_cpu()
        && x.dtype() == DType::F32
        && logits.dtype() == DType::F32
        && logits.rank() == 2
        && x.dims() == logits.dims()
}

/// Library sizes as a `[batch, 1]` column: the given ones, or the row sums of `x`.
fn library(x: &Tensor, library_size: Option<&Tensor>) -> candle_core::Result<Tensor> {
    let (batch, _) = x.dims2()?;
    match library_size {
        Some(size) => size.reshape((batch, 1)),
        None => x.sum_keepdim(1),
    }
}

#[cfg(test)]
mod tests;
