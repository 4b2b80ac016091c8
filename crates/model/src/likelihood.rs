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

use crate::count_likelihood::{
    negative_binomial_log_prob_from_logits, negative_binomial_row_log_prob_from_logits,
    poisson_log_prob, zero_inflated_negative_binomial_log_prob_from_logits,
    zero_inflated_negative_binomial_row_log_prob_from_logits,
};
use crate::likelihood_error::LikelihoodError;
use crate::special::{lgamma, log1p, softplus};
use candle_core::{D, Tensor};
// `softmax`, not `softmax_last_dim`: the latter has no backward pass in candle-nn 0.11.1.
use candle_nn::ops::{log_softmax, sigmoid, softmax};
use serde::{Deserialize, Serialize};

/// ln(2π) / 2.
const HALF_LN_TWO_PI: f64 = 0.918_938_533_204_672_8;

/// Tolerance for a categorical block of one-hot columns summing to one.
const BLOCK_SUM_TOLERANCE: f32 = 1e-3;

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
    pub fn validate(&self, n_features: usize) -> Result<(), LikelihoodError> {
        let invalid = |problem: String, fix: String| LikelihoodError::InvalidSetting {
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

    /// The encoder's input for data `x`: ln(1 + x) for count likelihoods (as scVI), `x`
    /// otherwise.
    pub fn encoder_input(&self, x: &Tensor) -> Result<Tensor, LikelihoodError> {
        if self.is_count() {
            Ok(log1p(x)?)
        } else {
            Ok(x.clone())
        }
    }

    /// log p(x | decoder output) per observation: a `[batch]` tensor, the sum over features.
    ///
    /// `x` is `[batch, features]`. For count likelihoods `library_size` is each row's total
    /// count (`[batch]` or `[batch, 1]`); `None` uses the observed row sums of `x`, as scVI does.
    /// Other likelihoods ignore it.
    pub fn log_prob(
        &self,
        x: &Tensor,
        output: &DecoderOutput,
        library_size: Option<&Tensor>,
    ) -> Result<Tensor, LikelihoodError> {
        // the fused CPU ops of NB and ZINB sum each row themselves
        let zero_logits = match self {
            Likelihood::NegativeBinomial => None,
            Likelihood::ZeroInflatedNegativeBinomial => Some(self.zero_logits(output)?),
            _ => return Ok(self.log_prob_elements(x, output, library_size)?.sum(1)?),
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
        library_size: Option<&Tensor>,
    ) -> Result<Tensor, LikelihoodError> {
        let loc = &output.loc;
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
            Likelihood::Binomial { trials } => {
                let n = f64::from(trials);
                let ln_choose = ((lgamma(&x.ones_like()?.affine(0.0, n + 1.0)?)?
                    - lgamma(&(x + 1.0)?)?)?
                    - lgamma(&x.affine(-1.0, n + 1.0)?)?)?;
                ((x.mul(loc)? - (softplus(loc)? * n)?)? + ln_choose)?
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
    /// Gaussian: the mean. Bernoulli: σ(loc). Binomial: trials·σ(loc). Categorical: the
    /// probabilities of each block. Count likelihoods: with `library_size` (`[batch]` or
    /// `[batch, 1]`) the distribution's mean (softmax(loc) × library, times 1 − π for ZINB);
    /// without, the normalised expression softmax(loc), rows summing to one (scVI's
    /// `get_normalized_expression`, which ignores zero inflation).
    pub fn mean(
        &self,
        output: &DecoderOutput,
        library_size: Option<&Tensor>,
    ) -> Result<Tensor, LikelihoodError> {
        let loc = &output.loc;
        let mean = match *self {
            Likelihood::Gaussian { .. } => loc.clone(),
            Likelihood::Bernoulli => sigmoid(loc)?,
            Likelihood::Binomial { trials } => (sigmoid(loc)? * f64::from(trials))?,
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
    ) -> Result<(), LikelihoodError> {
        if n_cols == 0 || !values.len().is_multiple_of(n_cols) {
            return Err(LikelihoodError::RaggedRows {
                len: values.len(),
                n_cols,
            });
        }
        for (offset, row) in values.chunks_exact(n_cols).enumerate() {
            let row_index = first_row + offset;
            for (col, &value) in row.iter().enumerate() {
                if let Some((problem, fix)) = self.check_value(value) {
                    return Err(LikelihoodError::InvalidValue {
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
                        return Err(LikelihoodError::InvalidValue {
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
    fn zero_logits<'a>(&self, output: &'a DecoderOutput) -> Result<&'a Tensor, LikelihoodError> {
        self.required(output.zero_logits.as_ref(), "zero_logits", "decoder_heads")
    }

    /// `output.log_scale`, or the error naming it.
    fn log_scale<'a>(&self, output: &'a DecoderOutput) -> Result<&'a Tensor, LikelihoodError> {
        self.required(output.log_scale.as_ref(), "log_scale", "needs_log_scale")
    }

    /// `tensor`, or the error naming its `field` and the method (`hint`) that says when the
    /// decoder produces it.
    fn required<'a>(
        &self,
        tensor: Option<&'a Tensor>,
        field: &'static str,
        hint: &'static str,
    ) -> Result<&'a Tensor, LikelihoodError> {
        tensor.ok_or(LikelihoodError::MissingOutput {
            likelihood: self.name(),
            field,
            hint,
        })
    }
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
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    fn matrix(rows: &[&[f64]]) -> Tensor {
        let data: Vec<f32> = rows
            .iter()
            .flat_map(|r| r.iter().map(|&v| v as f32))
            .collect();
        Tensor::from_vec(data, (rows.len(), rows[0].len()), &Device::Cpu).expect("matrix")
    }

    fn vector(values: &[f64]) -> Tensor {
        let data: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        Tensor::new(data.as_slice(), &Device::Cpu).expect("vector")
    }

    fn output(
        loc: Tensor,
        log_scale: Option<&[f64]>,
        zero_logits: Option<Tensor>,
    ) -> DecoderOutput {
        DecoderOutput {
            loc,
            log_scale: log_scale.map(vector),
            zero_logits,
        }
    }

    /// f32 evaluation against float64 references: 1e-5 relative (1e-5 absolute near 0).
    fn assert_close(actual: &Tensor, expected: &[f64]) {
        let actual = actual
            .to_dtype(DType::F64)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f64>())
            .expect("values");
        assert_eq!(actual.len(), expected.len());
        for (a, e) in actual.iter().zip(expected) {
            assert!(
                (a - e).abs() <= 1e-5 * e.abs().max(1.0),
                "{a} vs {e}: {actual:?}"
            );
        }
    }

    // Inputs shared by the count tests; expected values from scipy 1.17.1 (pasted).
    fn counts() -> Tensor {
        matrix(&[&[0.0, 3.0, 7.0], &[1.0, 0.0, 2.0]])
    }
    fn count_logits() -> Tensor {
        matrix(&[&[0.1, 0.5, 1.0], &[-1.0, 0.0, 2.0]])
    }
    const LOG_THETA: [f64; 3] = [0.0, 1.0, -1.0];
    fn dropout_logits() -> Tensor {
        matrix(&[&[-1.0, 0.5, 2.0], &[0.0, -2.0, 1.0]])
    }

    /// scipy `norm.logpdf(x, loc, 1).sum(1)` and `norm.logpdf(x, loc, exp(log_scale))`.
    #[test]
    fn gaussian_matches_scipy() -> Result<(), LikelihoodError> {
        let x = matrix(&[&[0.5, -1.2, 3.0], &[0.0, 2.0, -0.7]]);
        let loc = matrix(&[&[0.1, -1.0, 2.0], &[0.3, 1.5, 0.0]]);
        let fixed = Likelihood::Gaussian {
            learned_variance: false,
        };
        let log_prob = fixed.log_prob(&x, &output(loc.clone(), None, None), None)?;
        assert_close(&log_prob, &[-3.356815599614018, -3.1718155996140176]);
        let learned = Likelihood::Gaussian {
            learned_variance: true,
        };
        let out = output(loc, Some(&[-0.5, 0.2, 1.0]), None);
        assert_close(
            &learned.log_prob(&x, &out, None)?,
            &[-3.755352188429761, -3.6960854320421],
        );
        Ok(())
    }

    /// Row 0 is scipy `bernoulli.logpmf(x, expit(l)).sum()`; row 1 has a fraction, checked
    /// with numpy `x·log(p) + (1−x)·log1p(−p)` (binary cross-entropy).
    #[test]
    fn bernoulli_matches_scipy() -> Result<(), LikelihoodError> {
        let x = matrix(&[&[1.0, 0.0, 1.0], &[0.0, 0.25, 1.0]]);
        let logits = matrix(&[&[2.0, -1.0, 0.0], &[-3.0, 0.5, 4.0]]);
        let log_prob = Likelihood::Bernoulli.log_prob(&x, &output(logits, None, None), None)?;
        assert_close(&log_prob, &[-1.1333368791211407, -0.9158142636716585]);
        Ok(())
    }

    /// scipy `binom.logpmf(x, 2, expit(l)).sum(1)` and mean `2·expit(l)`.
    #[test]
    fn binomial_matches_scipy() -> Result<(), LikelihoodError> {
        let x = matrix(&[&[0.0, 1.0, 2.0], &[2.0, 0.0, 1.0]]);
        let logits = matrix(&[&[2.0, -1.0, 0.0], &[-3.0, 0.5, 4.0]]);
        let diploid = Likelihood::Binomial { trials: 2 };
        let out = output(logits, None, None);
        assert_close(
            &diploid.log_prob(&x, &out, None)?,
            &[-6.573526577682334, -11.388481346783372],
        );
        let mean = [
            1.7615941559557646,
            0.5378828427399902,
            1.0,
            0.09485174635513356,
            1.2449186624037092,
            1.964027580075817,
        ];
        assert_close(&diploid.mean(&out, None)?, &mean);
        Ok(())
    }

    /// `(x · scipy.special.log_softmax(l per block of 3)).sum(1)`; mean = softmax per block.
    #[test]
    fn categorical_matches_scipy() -> Result<(), LikelihoodError> {
        let x = matrix(&[
            &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
            &[0.0, 1.0, 0.0, 0.0, 1.0, 0.0],
        ]);
        let logits = matrix(&[
            &[1.0, 2.0, 3.0, 0.0, -1.0, 0.5],
            &[0.2, 0.2, -2.0, 3.0, 1.0, 0.0],
        ]);
        let categorical = Likelihood::Categorical { n_states: 3 };
        let out = output(logits, None, None);
        assert_close(
            &categorical.log_prob(&x, &out, None)?,
            &[-3.011736569781109, -2.916914538391416],
        );
        let mean = [
            0.09003057317038046,
            0.24472847105479764,
            0.6652409557748218,
            0.33149896042409155,
            0.12195165230972886,
            0.5465493872661796,
            0.4737533180383574,
            0.4737533180383574,
            0.05249336392328524,
            0.8437947344813395,
            0.11419519938459449,
            0.04201006613406605,
        ];
        assert_close(&categorical.mean(&out, None)?, &mean);
        Ok(())
    }

    /// scipy `poisson.logpmf(x, softmax(l) × library).sum(1)`, library = observed row sums
    /// (10, 3) or given (20, 5).
    #[test]
    fn poisson_matches_scipy_with_library_scaling() -> Result<(), LikelihoodError> {
        let out = output(count_logits(), None, None);
        let observed = Likelihood::Poisson.log_prob(&counts(), &out, None)?;
        assert_close(&observed, &[-5.787829712451495, -3.9068483732244736]);
        let given = vector(&[20.0, 5.0]);
        let log_prob = Likelihood::Poisson.log_prob(&counts(), &out, Some(&given))?;
        assert_close(&log_prob, &[-8.856357906852043, -4.374371501926501]);
        Ok(())
    }

    /// scipy `nbinom.logpmf(x, n=θ, p=θ/(θ+μ)).sum(1)`, μ = softmax(l) × observed library,
    /// θ = exp(log_scale). Normalised expression = scipy.special.softmax(l, axis=1).
    #[test]
    fn negative_binomial_matches_scipy() -> Result<(), LikelihoodError> {
        let nb = Likelihood::NegativeBinomial;
        let out = output(count_logits(), Some(&LOG_THETA), None);
        assert_close(
            &nb.log_prob(&counts(), &out, None)?,
            &[-6.602456342646051, -5.042023734801709],
        );
        let normalised = [
            0.20196194685967034,
            0.30129182030897,
            0.4967462328313597,
            0.04201006613406605,
            0.11419519938459449,
            0.8437947344813395,
        ];
        assert_close(&nb.mean(&out, None)?, &normalised);
        Ok(())
    }

    /// Mixture by hand with scipy: π = expit(z); x = 0: log(π + (1−π)·nbinom.pmf(0, θ, p));
    /// x > 0: log(1−π) + nbinom.logpmf(x, θ, p). Mean = softmax(l)·library·(1−π).
    #[test]
    fn zero_inflated_negative_binomial_matches_scipy() -> Result<(), LikelihoodError> {
        let zinb = Likelihood::ZeroInflatedNegativeBinomial;
        let out = output(count_logits(), Some(&LOG_THETA), Some(dropout_logits()));
        assert_close(
            &zinb.log_prob(&counts(), &out, None)?,
            &[-9.269629509604615, -7.004041393311762],
        );
        let mean = [
            2.9529202761715836,
            2.2749983068571837,
            1.1842720491395458,
            0.10502516533516512,
            0.5029139896852625,
            1.1346567761796453,
        ];
        assert_close(&zinb.mean(&out, Some(&vector(&[20.0, 5.0])))?, &mean);
        Ok(())
    }

    #[test]
    fn missing_outputs_are_named() {
        let out = output(count_logits(), None, None);
        let error = Likelihood::NegativeBinomial.log_prob(&counts(), &out, None);
        assert!(matches!(
            error,
            Err(LikelihoodError::MissingOutput {
                field: "log_scale",
                ..
            })
        ));
        let out = output(count_logits(), Some(&LOG_THETA), None);
        let error = Likelihood::ZeroInflatedNegativeBinomial.log_prob(&counts(), &out, None);
        assert!(matches!(
            error,
            Err(LikelihoodError::MissingOutput {
                field: "zero_logits",
                ..
            })
        ));
    }

    /// Every likelihood backpropagates to every decoder output it reads, with finite,
    /// non-zero gradients (candle ops without a backward pass would fail here).
    #[test]
    fn every_likelihood_backpropagates_to_its_outputs() -> Result<(), LikelihoodError> {
        let binary = matrix(&[&[1.0, 0.0, 1.0, 0.0], &[0.0, 1.0, 1.0, 0.0]]);
        let cases = [
            (
                Likelihood::Gaussian {
                    learned_variance: true,
                },
                binary.clone(),
            ),
            (Likelihood::Bernoulli, binary.clone()),
            (
                Likelihood::Binomial { trials: 2 },
                matrix(&[&[0.0, 1.0, 2.0, 1.0], &[2.0, 2.0, 0.0, 1.0]]),
            ),
            (Likelihood::Categorical { n_states: 2 }, binary),
            (
                Likelihood::Poisson,
                matrix(&[&[0.0, 3.0, 7.0, 1.0], &[1.0, 0.0, 2.0, 5.0]]),
            ),
            (
                Likelihood::NegativeBinomial,
                matrix(&[&[0.0, 3.0, 7.0, 1.0], &[1.0, 0.0, 2.0, 5.0]]),
            ),
            (
                Likelihood::ZeroInflatedNegativeBinomial,
                matrix(&[&[0.0, 3.0, 7.0, 1.0], &[1.0, 0.0, 2.0, 5.0]]),
            ),
        ];
        for (likelihood, x) in cases {
            let loc = candle_core::Var::from_tensor(&matrix(&[
                &[0.3, -0.2, 1.0, 0.1],
                &[-1.0, 0.5, 0.0, 2.0],
            ]))?;
            let log_scale = candle_core::Var::from_tensor(&vector(&[0.1, -0.3, 0.5, 0.0]))?;
            let zero_logits = candle_core::Var::from_tensor(&matrix(&[
                &[-1.0, 0.0, 1.0, -2.0],
                &[0.5, -0.5, 0.0, 1.0],
            ]))?;
            let mut vars = vec![&loc];
            if likelihood.needs_log_scale() {
                vars.push(&log_scale);
            }
            if likelihood.decoder_heads() > 1 {
                vars.push(&zero_logits);
            }
            let out = DecoderOutput {
                loc: loc.as_tensor().clone(),
                log_scale: likelihood
                    .needs_log_scale()
                    .then(|| log_scale.as_tensor().clone()),
                zero_logits: (likelihood.decoder_heads() > 1)
                    .then(|| zero_logits.as_tensor().clone()),
            };
            let grads = likelihood.log_prob(&x, &out, None)?.sum_all()?.backward()?;
            for var in vars {
                let grad = grads
                    .get(var.as_tensor())
                    .expect("gradient")
                    .flatten_all()?
                    .to_vec1::<f32>()?;
                assert!(
                    grad.iter().all(|g| g.is_finite()) && grad.iter().any(|g| *g != 0.0),
                    "{}: {grad:?}",
                    likelihood.name()
                );
            }
        }
        Ok(())
    }

    #[test]
    fn validate_data_names_row_column_and_fix() {
        let nb = Likelihood::NegativeBinomial;
        assert!(nb.validate_data(&[0.0, 3.0, 1.0, 2.0], 2, 0).is_ok());
        let error = nb
            .validate_data(&[0.0, 3.0, 1.0, 2.5], 2, 10)
            .expect_err("fraction");
        assert!(matches!(
            error,
            LikelihoodError::InvalidValue {
                row: 11,
                col: 1,
                ..
            }
        ));
        let message = error.to_string();
        assert!(
            message.starts_with("observation 12 feature 2 (1-based): value 2.5"),
            "{message}"
        );
        assert!(message.contains("raw (unnormalised"), "{message}");
        let negative = Likelihood::Poisson.validate_data(&[-1.0], 1, 0);
        assert!(matches!(
            negative,
            Err(LikelihoodError::InvalidValue { row: 0, col: 0, .. })
        ));
        let bernoulli = Likelihood::Bernoulli;
        assert!(bernoulli.validate_data(&[0.0, 0.5, 1.0], 3, 0).is_ok());
        assert!(bernoulli.validate_data(&[0.0, 1.5, 1.0], 3, 0).is_err());
        let diploid = Likelihood::Binomial { trials: 2 };
        assert!(diploid.validate_data(&[0.0, 1.0, 2.0], 3, 0).is_ok());
        assert!(diploid.validate_data(&[3.0], 1, 0).is_err());
        assert!(diploid.validate_data(&[0.5], 1, 0).is_err());
        let gaussian = Likelihood::Gaussian {
            learned_variance: false,
        };
        assert!(gaussian.validate_data(&[-4.0, 1e6], 2, 0).is_ok());
        assert!(gaussian.validate_data(&[f32::NAN], 1, 0).is_err());
        assert!(matches!(
            gaussian.validate_data(&[1.0, 2.0, 3.0], 2, 0),
            Err(LikelihoodError::RaggedRows { len: 3, n_cols: 2 })
        ));
        let categorical = Likelihood::Categorical { n_states: 2 };
        assert!(
            categorical
                .validate_data(&[1.0, 0.0, 0.0, 1.0], 4, 0)
                .is_ok()
        );
        let block = categorical.validate_data(&[1.0, 0.0, 1.0, 1.0], 4, 0);
        assert!(matches!(
            block,
            Err(LikelihoodError::InvalidValue { row: 0, col: 2, .. })
        ));
    }

    #[test]
    fn settings_are_validated() {
        assert!(Likelihood::Binomial { trials: 0 }.validate(10).is_err());
        assert!(Likelihood::Binomial { trials: 2 }.validate(10).is_ok());
        assert!(
            Likelihood::Categorical { n_states: 1 }
                .validate(10)
                .is_err()
        );
        assert!(
            Likelihood::Categorical { n_states: 21 }
                .validate(42)
                .is_ok()
        );
        let ragged = Likelihood::Categorical { n_states: 21 }
            .validate(43)
            .expect_err("43 % 21");
        assert!(ragged.to_string().contains("43 features"), "{ragged}");
    }

    #[test]
    fn serde_uses_snake_case_kind_tags_and_aliases() -> Result<(), serde_json::Error> {
        let binomial = serde_json::to_string(&Likelihood::Binomial { trials: 2 })?;
        assert_eq!(binomial, r#"{"kind":"binomial","trials":2}"#);
        let zinb = serde_json::to_string(&Likelihood::ZeroInflatedNegativeBinomial)?;
        assert_eq!(zinb, r#"{"kind":"zero_inflated_negative_binomial"}"#);
        let nb: Likelihood = serde_json::from_str(r#"{"kind":"nb"}"#)?;
        assert_eq!(nb, Likelihood::NegativeBinomial);
        let gaussian: Likelihood =
            serde_json::from_str(r#"{"kind":"gaussian","learned_variance":true}"#)?;
        assert_eq!(
            gaussian,
            Likelihood::Gaussian {
                learned_variance: true
            }
        );
        Ok(())
    }

    #[test]
    fn counts_go_to_the_encoder_as_log1p() -> Result<(), LikelihoodError> {
        let x = vector(&[0.0, 1.0, 9.0]);
        // ln(1 + x): 0, ln 2, ln 10
        assert_close(
            &Likelihood::Poisson.encoder_input(&x)?,
            &[0.0, std::f64::consts::LN_2, std::f64::consts::LN_10],
        );
        assert_close(&Likelihood::Bernoulli.encoder_input(&x)?, &[0.0, 1.0, 9.0]);
        Ok(())
    }
}
