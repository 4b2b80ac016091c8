//! Element-wise log-likelihoods of count data: Poisson, negative binomial (NB) and
//! zero-inflated NB, in scVI's (μ, θ) parameterisation. Inputs broadcast to `[batch, features]`;
//! outputs are element-wise `[batch, features]` (sum over features for per-observation values).

use crate::ops::negative_binomial::NegativeBinomialOp;
use crate::ops::special::{lgamma, softplus};
use crate::ops::zero_inflated_negative_binomial::ZeroInflatedNegativeBinomialOp;
use candle_core::{D, DType, Result, Tensor};
use candle_nn::ops::softmax;

/// The small constant scVI adds inside logarithms (`eps=1e-8` in `log_nb_positive`).
pub const LOG_EPS: f64 = 1e-8;

/// Poisson log p(x | μ) = x ln μ − μ − ln Γ(x + 1), element-wise, from ln μ (`log_rate`)
/// so that μ → 0 stays finite where x = 0.
pub fn poisson_log_prob(x: &Tensor, log_rate: &Tensor) -> Result<Tensor> {
    let ln_factorial = lgamma(&(x + 1.0)?)?;
    ((x * log_rate)? - log_rate.exp()?)? - ln_factorial
}

/// NB log p(x | μ, θ) exactly as scVI's `log_nb_positive`:
/// θ(ln(θ+ε) − ln(θ+μ+ε)) + x(ln(μ+ε) − ln(θ+μ+ε)) + ln Γ(x+θ) − ln Γ(θ) − ln Γ(x+1), ε = 1e-8.
/// `theta` (inverse dispersion) may be `[features]` and is broadcast. Candle tensor ops: any
/// device and float dtype.
pub fn negative_binomial_log_prob(x: &Tensor, mu: &Tensor, theta: &Tensor) -> Result<Tensor> {
    // ln(θ+ε) and ln Γ(θ) once per gene, not once per value (a GPU step's largest saving)
    let log_theta = (theta + LOG_EPS)?.log()?;
    let lgamma_theta = lgamma(theta)?;
    let theta = theta.broadcast_as(mu.shape())?;
    let log_theta_mu = (theta.add(mu)? + LOG_EPS)?.log()?;
    let log_mu = (mu + LOG_EPS)?.log()?;
    let dispersion_part = theta.mul(&log_theta.broadcast_sub(&log_theta_mu)?)?;
    let count_part = x.mul(&(log_mu - &log_theta_mu)?)?;
    let gamma_part =
        (lgamma(&x.add(&theta)?)?.broadcast_sub(&lgamma_theta)? - lgamma(&(x + 1.0)?)?)?;
    (dispersion_part + count_part)? + gamma_part
}

/// [`negative_binomial_log_prob`] with μ = softmax(logits) × library size (scVI's decoder):
/// x and logits `[batch, features]`, `library` `[batch]` or `[batch, 1]`, θ `[features]`.
///
/// f32 on the CPU runs the fused `NegativeBinomialOp` (one pass each way, see
/// `negative_binomial.rs`), f32 on a CUDA GPU its kernels (`negative_binomial_cuda.rs`);
/// other devices and dtypes use candle tensor ops.
pub fn negative_binomial_log_prob_from_logits(
    x: &Tensor,
    logits: &Tensor,
    library: &Tensor,
    theta: &Tensor,
) -> Result<Tensor> {
    from_logits(x, logits, library, theta, false)
}

/// [`negative_binomial_log_prob_from_logits`] summed over the features of each row:
/// log p(x | z) per observation, `[batch]`. On the CPU (f32) the fused op sums as it goes,
/// which saves the `[batch, features]` output, its sum and their backward passes.
pub fn negative_binomial_row_log_prob_from_logits(
    x: &Tensor,
    logits: &Tensor,
    library: &Tensor,
    theta: &Tensor,
) -> Result<Tensor> {
    from_logits(x, logits, library, theta, true)
}

fn from_logits(
    x: &Tensor,
    logits: &Tensor,
    library: &Tensor,
    theta: &Tensor,
    sum_rows: bool,
) -> Result<Tensor> {
    #[cfg(feature = "cuda")]
    if logits.device().is_cuda() && fused_shapes(x, logits, theta, None) {
        return crate::ops::negative_binomial_cuda::log_prob(x, logits, library, theta, sum_rows);
    }
    if fused_applies(x, logits, theta, None) {
        let op = NegativeBinomialOp::new(host_library(library)?, sum_rows);
        x.contiguous()?
            .apply_op3(&logits.contiguous()?, &theta.contiguous()?, op)
    } else {
        let mu = mean_from_logits(logits, library)?;
        summed(negative_binomial_log_prob(x, &mu, theta)?, sum_rows)
    }
}

/// Whether the fused CPU ops apply: f32 tensors on the CPU, logits `[batch, features]` shaped
/// like x (and like `zero_logits`, for ZINB), θ `[features]`.
fn fused_applies(
    x: &Tensor,
    logits: &Tensor,
    theta: &Tensor,
    zero_logits: Option<&Tensor>,
) -> bool {
    logits.device().is_cpu() && fused_shapes(x, logits, theta, zero_logits)
}

/// The shapes and dtypes the fused ops (CPU or CUDA) take.
fn fused_shapes(x: &Tensor, logits: &Tensor, theta: &Tensor, zero_logits: Option<&Tensor>) -> bool {
    [x.dtype(), logits.dtype(), theta.dtype()] == [DType::F32; 3]
        && logits.rank() == 2
        && theta.rank() == 1
        && x.dims() == logits.dims()
        && zero_logits.is_none_or(|z| z.dtype() == DType::F32 && z.dims() == logits.dims())
}

/// The library sizes, `[batch]` or `[batch, 1]`, on the host as the fused ops take them.
fn host_library(library: &Tensor) -> Result<Vec<f32>> {
    library
        .flatten_all()?
        .to_dtype(DType::F32)?
        .to_vec1::<f32>()
}

/// μ = softmax(logits) × library size, the mean of the composite (tensor-op) path.
fn mean_from_logits(logits: &Tensor, library: &Tensor) -> Result<Tensor> {
    let rows = logits.dim(0)?;
    softmax(logits, D::Minus1)?.broadcast_mul(&library.reshape((rows, 1))?)
}

/// Per-value log-likelihoods, or their sums over each row.
fn summed(values: Tensor, sum_rows: bool) -> Result<Tensor> {
    if sum_rows { values.sum(1) } else { Ok(values) }
}

/// ZINB log p(x | μ, θ, π) exactly as scVI's `log_zinb_positive`, with `zero_logits` the
/// logit of the dropout probability π:
/// x = 0: softplus(−π + θ(ln(θ+ε) − ln(θ+μ+ε))) − softplus(−π);
/// x > 0: −softplus(−π) − π + θ(ln(θ+ε) − ln(θ+μ+ε)) + x(ln(μ+ε) − ln(θ+μ+ε))
///        + ln Γ(x+θ) − ln Γ(θ) − ln Γ(x+1).
/// (scVI selects the branches with x < ε and x > ε; counts are integers, so x = 0 and x > 0.)
pub fn zero_inflated_negative_binomial_log_prob(
    x: &Tensor,
    mu: &Tensor,
    theta: &Tensor,
    zero_logits: &Tensor,
) -> Result<Tensor> {
    let log_theta = (theta + LOG_EPS)?.log()?;
    let lgamma_theta = lgamma(theta)?;
    let theta = theta.broadcast_as(mu.shape())?;
    let softplus_neg_pi = softplus(&zero_logits.neg()?)?;
    let log_theta_mu = (theta.add(mu)? + LOG_EPS)?.log()?;
    let pi_theta_log = (theta.mul(&log_theta.broadcast_sub(&log_theta_mu)?)? - zero_logits)?;
    let case_zero = (softplus(&pi_theta_log)? - &softplus_neg_pi)?;
    let log_mu = (mu + LOG_EPS)?.log()?;
    let gamma_part =
        (lgamma(&x.add(&theta)?)?.broadcast_sub(&lgamma_theta)? - lgamma(&(x + 1.0)?)?)?;
    let case_non_zero =
        (((pi_theta_log - softplus_neg_pi)? + x.mul(&(log_mu - log_theta_mu)?)?)? + gamma_part)?;
    let is_zero = x.lt(LOG_EPS)?;
    is_zero.where_cond(&case_zero, &case_non_zero)
}

/// [`zero_inflated_negative_binomial_log_prob`] with μ = softmax(logits) × library size
/// (scVI's decoder): x, logits and `zero_logits` `[batch, features]`, `library` `[batch]` or
/// `[batch, 1]`, θ `[features]`.
///
/// f32 on the CPU runs the fused `ZeroInflatedNegativeBinomialOp` (the NB op's passes plus
/// one mixing pass, see `zero_inflated_negative_binomial_op.rs`); other devices and dtypes
/// use candle tensor ops.
pub fn zero_inflated_negative_binomial_log_prob_from_logits(
    x: &Tensor,
    logits: &Tensor,
    library: &Tensor,
    theta: &Tensor,
    zero_logits: &Tensor,
) -> Result<Tensor> {
    zero_inflated_from_logits(x, logits, library, theta, zero_logits, false)
}

/// [`zero_inflated_negative_binomial_log_prob_from_logits`] summed over the features of each
/// row: log p(x | z) per observation, `[batch]`; the fused CPU op sums as it goes.
pub fn zero_inflated_negative_binomial_row_log_prob_from_logits(
    x: &Tensor,
    logits: &Tensor,
    library: &Tensor,
    theta: &Tensor,
    zero_logits: &Tensor,
) -> Result<Tensor> {
    zero_inflated_from_logits(x, logits, library, theta, zero_logits, true)
}

fn zero_inflated_from_logits(
    x: &Tensor,
    logits: &Tensor,
    library: &Tensor,
    theta: &Tensor,
    zero_logits: &Tensor,
    sum_rows: bool,
) -> Result<Tensor> {
    if fused_applies(x, logits, theta, Some(zero_logits)) {
        let op = ZeroInflatedNegativeBinomialOp::new(x, host_library(library)?, sum_rows)?;
        logits
            .contiguous()?
            .apply_op3(&theta.contiguous()?, &zero_logits.contiguous()?, op)
    } else {
        let mu = mean_from_logits(logits, library)?;
        summed(
            zero_inflated_negative_binomial_log_prob(x, &mu, theta, zero_logits)?,
            sum_rows,
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use candle_core::{DType, Device};

    fn tensor(values: &[f64]) -> Tensor {
        Tensor::new(values, &Device::Cpu).expect("cpu tensor")
    }

    fn assert_close(actual: &Tensor, expected: &[f64], rel: f64) {
        let actual = actual
            .to_dtype(DType::F64)
            .and_then(|t| t.to_vec1::<f64>())
            .expect("f64");
        for (a, e) in actual.iter().zip(expected) {
            assert!(
                (a - e).abs() <= rel * e.abs().max(1.0),
                "{a} vs expected {e} (all: {actual:?})"
            );
        }
    }

    pub(crate) const COUNTS: [f64; 6] = [0.0, 0.0, 1.0, 3.0, 17.0, 250.0];
    pub(crate) const MU: [f64; 6] = [0.2, 5.0, 0.7, 3.0, 12.5, 300.0];
    pub(crate) const THETA: [f64; 6] = [0.5, 2.0, 10.0, 0.05, 3.0, 40.0];
    pub(crate) const ZERO_LOGITS: [f64; 6] = [-1.0, 0.5, 2.0, -3.0, 0.0, 1.5];

    /// ZINB log p of the values above, a mixture by hand with scipy 1.17.1: π = expit(logit);
    /// x = 0: log(π + (1−π)·nbinom.pmf(0, θ, θ/(θ+μ))); x > 0: log(1−π) +
    /// nbinom.logpmf(x, θ, θ/(θ+μ)); float64, pasted.
    pub(crate) const ZINB_SCIPY: [f64; 6] = [
        -0.12013727896443123,
        -0.42575101638522195,
        -3.227848088193666,
        -4.324580736098337,
        -4.135060283316634,
        -6.922084515558332,
    ];

    /// scipy 1.17.1 `poisson.logpmf(x, mu)`, float64, pasted.
    #[test]
    fn poisson_matches_scipy() -> Result<()> {
        let expected = [
            -0.2,
            -5.0,
            -1.0566749439387324,
            -1.4959226032237258,
            -3.067686496896542,
            -8.099613126802751,
        ];
        let log_rate = tensor(&MU).log()?;
        assert_close(
            &poisson_log_prob(&tensor(&COUNTS), &log_rate)?,
            &expected,
            1e-10,
        );
        // f32, the training dtype: 1e-5 relative
        let x32 = tensor(&COUNTS).to_dtype(DType::F32)?;
        let log_rate32 = log_rate.to_dtype(DType::F32)?;
        assert_close(&poisson_log_prob(&x32, &log_rate32)?, &expected, 1e-5);
        Ok(())
    }

    /// scipy 1.17.1 `nbinom.logpmf(x, n=θ, p=θ/(θ+μ))`, float64, pasted. scVI's ε = 1e-8
    /// shifts values by at most ~1e-7 relative here, inside the 1e-6 tolerance.
    #[test]
    fn negative_binomial_matches_scipy() -> Result<()> {
        let expected = [
            -0.16823611831060645,
            -2.505525936990736,
            -1.1009200771506946,
            -4.275993384524595,
            -3.441913102756689,
            -5.22067123757558,
        ];
        let log_prob = negative_binomial_log_prob(&tensor(&COUNTS), &tensor(&MU), &tensor(&THETA))?;
        assert_close(&log_prob, &expected, 1e-6);
        let f32s = |v: &[f64]| tensor(v).to_dtype(DType::F32);
        let log_prob = negative_binomial_log_prob(&f32s(&COUNTS)?, &f32s(&MU)?, &f32s(&THETA)?)?;
        assert_close(&log_prob, &expected, 1e-5);
        Ok(())
    }

    /// [`ZINB_SCIPY`], the scipy mixture.
    #[test]
    fn zero_inflated_negative_binomial_matches_scipy_mixture() -> Result<()> {
        let log_prob = zero_inflated_negative_binomial_log_prob(
            &tensor(&COUNTS),
            &tensor(&MU),
            &tensor(&THETA),
            &tensor(&ZERO_LOGITS),
        )?;
        assert_close(&log_prob, &ZINB_SCIPY, 1e-6);
        Ok(())
    }

    /// θ given per feature (`[features]`) broadcasts over the batch.
    #[test]
    fn dispersion_broadcasts_over_rows() -> Result<()> {
        let x = Tensor::new(&[[0f32, 4.0], [2.0, 1.0]], &Device::Cpu)?;
        let mu = Tensor::new(&[[1f32, 3.0], [2.0, 0.5]], &Device::Cpu)?;
        let theta = Tensor::new(&[2f32, 0.7], &Device::Cpu)?;
        let full = theta.unsqueeze(0)?.broadcast_as((2, 2))?.contiguous()?;
        let a = negative_binomial_log_prob(&x, &mu, &theta)?.flatten_all()?;
        let b = negative_binomial_log_prob(&x, &mu, &full)?.flatten_all()?;
        let diff = (a - b)?.abs()?.max(0)?.to_scalar::<f32>()?;
        assert!(diff < 1e-6);
        Ok(())
    }
}
