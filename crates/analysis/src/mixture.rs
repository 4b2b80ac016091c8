//! A two-component Gaussian mixture on one variable, fitted by expectation–maximisation as
//! scikit-learn's `GaussianMixture(n_components=2, covariance_type="full")` fits it (the same
//! E and M steps, `reg_covar` added to each variance, convergence when the mean
//! log-likelihood changes by less than `tol`, the best of several starts). EVE fits one on the
//! evolutionary indices of all single mutants of a protein and calls the component with the
//! higher mean pathogenic.
//!
//! scikit-learn starts from random k-means partitions; here the starts are deterministic: the
//! points split at the 10th, 20th, …, 90th percentile (lower part one component, upper part the
//! other), so the same data always give the same fit.
//!
//! ```
//! use vaebio_analysis::mixture::{MixtureOptions, TwoGaussians};
//!
//! let values = [-2.1, -1.9, -2.0, -2.2, 3.0, 3.2, 2.9, 3.1];
//! let fit = TwoGaussians::fit(&values, &MixtureOptions::default())?;
//! assert!((fit.means[1] - 3.05).abs() < 1e-6); // components ordered by mean
//! assert!(fit.posterior_high(3.0) > 0.99);
//! # Ok::<(), vaebio_analysis::Error>(())
//! ```

use crate::error::{Error, Result, invalid};

/// ln(2π).
const LN_TWO_PI: f64 = 1.837_877_066_409_345_5;

/// EM settings; the defaults are EVE's (`max_iter=1000`, `tol=1e-4`) and scikit-learn's
/// `reg_covar=1e-6`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixtureOptions {
    /// Most EM iterations per start.
    pub max_iter: usize,
    /// Stop when the mean log-likelihood per point changes by less than this.
    pub tol: f64,
    /// Added to each component's variance, keeping it positive.
    pub reg_covar: f64,
}

impl Default for MixtureOptions {
    fn default() -> Self {
        Self {
            max_iter: 1000,
            tol: 1e-4,
            reg_covar: 1e-6,
        }
    }
}

impl MixtureOptions {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if self.max_iter == 0 {
            return Err(invalid("max_iter", "must be at least 1 (EVE: 1000)"));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(invalid("tol", "must be positive (EVE: 1e-4)"));
        }
        if !(self.reg_covar.is_finite() && self.reg_covar >= 0.0) {
            return Err(invalid("reg_covar", "must be ≥ 0 (scikit-learn: 1e-6)"));
        }
        Ok(())
    }
}

/// A fitted two-component mixture, components ordered by mean (index 1 the higher).
#[derive(Debug, Clone, PartialEq)]
pub struct TwoGaussians {
    /// Mixing weights, summing to 1.
    pub weights: [f64; 2],
    /// Component means, `means[0] ≤ means[1]`.
    pub means: [f64; 2],
    /// Component variances (with `reg_covar`).
    pub variances: [f64; 2],
    /// Mean log-likelihood per point at the end of EM.
    pub log_likelihood: f64,
    /// Whether the best start converged within `max_iter`.
    pub converged: bool,
}

impl TwoGaussians {
    /// Fits the mixture to `values` (finite, at least two distinct).
    pub fn fit(values: &[f64], options: &MixtureOptions) -> Result<Self> {
        options.validate()?;
        if let Some(at) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::Data(format!(
                "value {} (point {}) is not finite — a mixture needs finite values",
                values[at],
                at + 1
            )));
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        if sorted.len() < 2 {
            return Err(Error::TooFew {
                what: "a two-component mixture",
                needed: 1,
                got: sorted.len(),
            });
        }
        if sorted[0] == sorted[sorted.len() - 1] {
            return Err(Error::Data(format!(
                "all {} values are {} — a two-component mixture needs at least two distinct values",
                sorted.len(),
                sorted[0]
            )));
        }
        let mut best: Option<TwoGaussians> = None;
        for decile in 1..10 {
            let split = sorted[(sorted.len() * decile / 10).min(sorted.len() - 1)];
            let Some(start) = Self::from_split(values, split, options.reg_covar) else {
                continue;
            };
            let fit = start.em(values, options);
            if best
                .as_ref()
                .is_none_or(|b| fit.log_likelihood > b.log_likelihood)
            {
                best = Some(fit);
            }
        }
        best.map(Self::ordered).ok_or_else(|| {
            Error::Data("no split of the values gave two non-empty components".into())
        })
    }

    /// The M step of a hard split: values below `split` in one component, the rest in the
    /// other; `None` when a side is empty.
    fn from_split(values: &[f64], split: f64, reg_covar: f64) -> Option<Self> {
        let responsibilities: Vec<[f64; 2]> = values
            .iter()
            .map(|&v| if v < split { [1.0, 0.0] } else { [0.0, 1.0] })
            .collect();
        let low = responsibilities.iter().filter(|r| r[0] == 1.0).count();
        (low > 0 && low < values.len())
            .then(|| Self::maximise(values, &responsibilities, reg_covar))
    }

    /// M step: weights, means and variances from the responsibilities.
    fn maximise(values: &[f64], responsibilities: &[[f64; 2]], reg_covar: f64) -> Self {
        let mut fit = TwoGaussians {
            weights: [0.0; 2],
            means: [0.0; 2],
            variances: [0.0; 2],
            log_likelihood: f64::NEG_INFINITY,
            converged: false,
        };
        for k in 0..2 {
            // scikit-learn adds 10·ε to each component's total responsibility
            let total: f64 =
                responsibilities.iter().map(|r| r[k]).sum::<f64>() + 10.0 * f64::EPSILON;
            let mean = values
                .iter()
                .zip(responsibilities)
                .map(|(v, r)| r[k] * v)
                .sum::<f64>()
                / total;
            let variance = values
                .iter()
                .zip(responsibilities)
                .map(|(v, r)| r[k] * (v - mean) * (v - mean))
                .sum::<f64>()
                / total;
            fit.weights[k] = total / values.len() as f64;
            fit.means[k] = mean;
            fit.variances[k] = variance + reg_covar;
        }
        fit
    }

    /// ln(weight_k · N(v | mean_k, variance_k)) of both components.
    fn weighted_log_densities(&self, v: f64) -> [f64; 2] {
        std::array::from_fn(|k| {
            let d = v - self.means[k];
            self.weights[k].ln()
                - 0.5 * (LN_TWO_PI + self.variances[k].ln() + d * d / self.variances[k])
        })
    }

    /// EM from this start until the mean log-likelihood settles or `max_iter`.
    fn em(mut self, values: &[f64], options: &MixtureOptions) -> Self {
        let mut previous = f64::NEG_INFINITY;
        let mut responsibilities = vec![[0.0; 2]; values.len()];
        for _ in 0..options.max_iter {
            let mut total = 0.0;
            for (r, &v) in responsibilities.iter_mut().zip(values) {
                let [a, b] = self.weighted_log_densities(v);
                let norm = log_add_exp(a, b);
                total += norm;
                *r = [(a - norm).exp(), (b - norm).exp()];
            }
            let log_likelihood = total / values.len() as f64;
            self = Self::maximise(values, &responsibilities, options.reg_covar);
            self.log_likelihood = log_likelihood;
            if (log_likelihood - previous).abs() < options.tol {
                self.converged = true;
                break;
            }
            previous = log_likelihood;
        }
        self
    }

    /// Components swapped if needed so that `means[0] ≤ means[1]`.
    fn ordered(mut self) -> Self {
        if self.means[0] > self.means[1] {
            self.weights.swap(0, 1);
            self.means.swap(0, 1);
            self.variances.swap(0, 1);
        }
        self
    }

    /// Posterior probability that `v` came from the component with the higher mean
    /// (scikit-learn's `predict_proba(v)[:, argmax(means)]`; EVE's score).
    pub fn posterior_high(&self, v: f64) -> f64 {
        let [a, b] = self.weighted_log_densities(v);
        (b - log_add_exp(a, b)).exp()
    }
}

/// ln(eᵃ + eᵇ) without overflow.
fn log_add_exp(a: f64, b: f64) -> f64 {
    let max = a.max(b);
    if max == f64::NEG_INFINITY {
        max
    } else {
        max + ((a - max).exp() + (b - max).exp()).ln()
    }
}

/// EVE's default uncertainty cut-offs (`utils/default_uncertainty_threshold.json`): a variant
/// whose [`binary_entropy`] exceeds the cut-off for `retained_percent` is "Uncertain", which
/// keeps about that share of variants classified. Deciles 10–90, quartiles 25 and 75; 100 keeps
/// all. `None` for any other share.
pub fn eve_uncertainty_cutoff(retained_percent: u8) -> Option<f64> {
    Some(match retained_percent {
        10 => 0.2197550519787074,
        20 => 0.3073271315004903,
        25 => 0.3443212858392093,
        30 => 0.380894592583295,
        40 => 0.452448591753785,
        50 => 0.5199203860577154,
        60 => 0.5610673789803645,
        70 => 0.6028917246467301,
        75 => 0.6272364669515783,
        80 => 0.6483370062758973,
        90 => 0.678595588420331,
        100 => f64::INFINITY,
        _ => return None,
    })
}

/// Binary predictive entropy −p ln p − (1 − p) ln(1 − p), with p moved 1e-8 off 0 and 1 as
/// EVE's `predictive_entropy_binary_classifier` does: 0 when certain, ln 2 at p = ½.
pub fn binary_entropy(p: f64) -> f64 {
    let p = if p == 1.0 {
        p - 1e-8
    } else if p == 0.0 {
        p + 1e-8
    } else {
        p
    };
    -(p * p.ln() + (1.0 - p) * (1.0 - p).ln())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scikit-learn 1.9.1, `GaussianMixture(n_components=2, covariance_type="full",
    /// max_iter=1000, n_init=30, tol=1e-4, random_state=0)` on the same 60 values (pasted;
    /// `predict_proba` of the higher-mean component). EM stops within tol = 1e-4 of the mean
    /// log-likelihood, so parameters agree to about 1e-3, not to the last digit.
    #[test]
    fn fit_matches_scikit_learn() {
        let values: Vec<f64> = (0..60)
            .map(|i| {
                let i = f64::from(i);
                if i < 40.0 {
                    -2.0 + 0.8 * (1.3 * i).sin()
                } else {
                    3.0 + 1.5 * (0.7 * i).cos()
                }
            })
            .collect();
        let fit = TwoGaussians::fit(&values, &MixtureOptions::default()).unwrap();
        let close = |a: f64, b: f64, tol: f64| assert!((a - b).abs() < tol, "{a} vs {b}");
        close(fit.weights[0], 0.66657319, 1e-3);
        close(fit.weights[1], 0.33342681, 1e-3);
        close(fit.means[0], -1.99466491, 1e-3);
        close(fit.means[1], 2.85574908, 1e-3);
        close(fit.variances[0], 0.31251338, 1e-3);
        close(fit.variances[1], 1.1940726, 1e-3);
        close(fit.log_likelihood, -1.696615136517447, 1e-3);
        assert!(fit.converged);
        for (x, p) in [
            (-2.0, 1.3190780815046582e-05),
            (0.0, 0.8302996053221741),
            (0.5, 0.9981116854592758),
            (1.0, 0.999990298372282),
        ] {
            close(fit.posterior_high(x), p, 2e-3 * p.max(1e-3));
        }
    }

    #[test]
    fn bad_input_is_refused() {
        let options = MixtureOptions::default();
        assert!(TwoGaussians::fit(&[1.0, f64::NAN, 2.0], &options).is_err());
        assert!(TwoGaussians::fit(&[1.0, 1.0, 1.0], &options).is_err());
        assert!(TwoGaussians::fit(&[], &options).is_err());
        let zero = MixtureOptions {
            max_iter: 0,
            ..options
        };
        assert!(TwoGaussians::fit(&[1.0, 2.0], &zero).is_err());
    }

    #[test]
    fn entropy_is_ln_two_at_a_half_and_near_zero_when_certain() {
        assert!((binary_entropy(0.5) - std::f64::consts::LN_2).abs() < 1e-15);
        assert!(binary_entropy(1.0) < 1e-6 && binary_entropy(0.0) < 1e-6);
        assert!(binary_entropy(1.0).is_finite());
    }
}
