//! The zero-inflated negative binomial (ZINB) log-likelihood of decoder logits as one fused
//! CPU op (f32), with analytic gradients: μ = softmax(logits) × library size, then scVI's
//! `log_zinb_positive` with dropout logits π, per value or summed over each row.
//!
//! The NB part is `negative_binomial_op`'s row passes, unchanged: they give d = NB log p(0)
//! = −θ·ln1p(μ/(θ+ε)) for zero counts and NB log p(x) (f64 for non-zero counts). One more
//! f32 pass over the row mixes in π:
//! - x = 0: softplus(d − π) − softplus(−π), computed as logaddexp(π, d) − softplus(π)
//!   = max(π, d) + ln1p(e^{−|d−π|}) − max(π, 0) − ln1p(e^{−|π|}), which does not cancel
//!   for large |π| as the difference of two softplus terms does;
//! - x > 0: NB log p(x) − softplus(π) (scVI's −softplus(−π) − π + NB log p(x)).
//!
//! Backward, with g upstream: ∂/∂(NB log p) is σ(d − π) for zero counts and 1 otherwise, so
//! the NB op's backward runs on the upstream gradient times that weight (its ∂/∂θ and
//! ∂/∂logits are per value in the NB log-probability); ∂/∂π is σ(−π) − σ(d − π) for zero
//! counts (written σ(π − d) − σ(π) when π < 0, so neither form subtracts two numbers near 1)
//! and −σ(π) otherwise. The forward pass keeps both per value, so the backward pass calls no
//! `exp`.
//!
//! A row with an infinite or NaN dropout logit is mixed in f64 instead, giving the limits
//! (π = +∞: log p(0) = 0; π = −∞: the NB value) and no gradient.

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Tensor, bail};

use crate::ops::negative_binomial::{
    Dispersions, Gradients, Saved, check_shape, f32_slice, sum_f64, with_f32,
};
use crate::ops::special::log1p_nonnegative_f32;

/// What the forward pass keeps for the backward one.
struct MixtureSaved {
    /// The NB passes' own.
    negative_binomial: Saved,
    /// ∂ log p / ∂(NB log p) per value: σ(d − π) for zero counts, 1 otherwise.
    negative_binomial_weights: Vec<f32>,
    /// ∂ log p / ∂π per value.
    d_zero_logits: Vec<f32>,
}

/// log p(x | softmax(logits) × library, θ, π) on the CPU, per value [batch, genes] or summed
/// over each row [batch]: inputs logits [batch, genes], θ [genes] and dropout logits π
/// [batch, genes], all f32; the counts x and the library sizes (constants) live in the op.
pub(crate) struct ZeroInflatedNegativeBinomialOp {
    /// x, [batch, genes] f32, contiguous.
    counts: Tensor,
    /// Library size of each row.
    library: Vec<f32>,
    /// Whether the output is the sum over genes of each row.
    sum_rows: bool,
    /// From the forward pass, for the backward one.
    saved: Mutex<Option<MixtureSaved>>,
}

impl ZeroInflatedNegativeBinomialOp {
    /// The op for these counts (f32, [batch, genes]) and library sizes (one per row);
    /// `sum_rows` sums each row's values.
    pub(crate) fn new(
        counts: &Tensor,
        library: Vec<f32>,
        sum_rows: bool,
    ) -> candle_core::Result<Self> {
        Ok(Self {
            counts: counts.contiguous()?,
            library,
            sum_rows,
            saved: Mutex::new(None),
        })
    }
}

/// (σ(t), σ(−t)) from e = e^{−|t|}, branch-free.
#[inline]
fn sigmoids(t: f32, e: f32) -> (f32, f32) {
    let r = 1.0 / (1.0 + e);
    if t >= 0.0 { (r, e * r) } else { (e * r, r) }
}

/// softplus in f64: max(t, 0) + ln1p(e^{−|t|}).
fn softplus_f64(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// Turns one row's NB log p (`values`) into ZINB log p with dropout logits `zero_logits`,
/// writing ∂ZINB/∂(NB log p) to `weights` and ∂ZINB/∂π to `d_zero_logits`.
fn mix_row(
    x: &[f32],
    zero_logits: &[f32],
    values: &mut [f32],
    weights: &mut [f32],
    d_zero_logits: &mut [f32],
) {
    if !zero_logits.iter().all(|pi| pi.is_finite()) {
        // infinite or NaN dropout logits, in f64: for zero counts scVI's softplus form when
        // π ≥ 0 (π = +∞: log p(0) = 0) and logaddexp(π, d) − softplus(π) when π < 0
        // (π = −∞: the NB value), each form avoiding its ∞ − ∞; the row passes no gradient
        for ((value, &x), &pi) in values.iter_mut().zip(x).zip(zero_logits) {
            let (nb, pi) = (f64::from(*value), f64::from(pi));
            let mixed = if x != 0.0 {
                nb - softplus_f64(pi)
            } else if pi >= 0.0 {
                softplus_f64(nb - pi) - softplus_f64(-pi)
            } else {
                pi.max(nb) + (-(nb - pi).abs()).exp().ln_1p() - softplus_f64(pi)
            };
            *value = mixed as f32;
        }
        return;
    }
    let outputs = values.iter_mut().zip(weights.iter_mut()).zip(d_zero_logits);
    for (((value, weight), d_zero_logit), (&x, &pi)) in outputs.zip(x.iter().zip(zero_logits)) {
        let nb = *value;
        let zero = x == 0.0;
        let e_pi = (-pi.abs()).exp();
        let softplus_pi = pi.max(0.0) + log1p_nonnegative_f32(e_pi);
        let (sigmoid_pi, sigmoid_neg_pi) = sigmoids(pi, e_pi);
        // zero counts: ln(σ(π) + σ(−π)·e^d) = logaddexp(π, d) − softplus(π), d = nb
        let a = nb - pi;
        let e_a = (-a.abs()).exp();
        let log_add_exp = pi.max(nb) + log1p_nonnegative_f32(e_a);
        let (sigmoid_a, sigmoid_neg_a) = sigmoids(a, e_a);
        let d_zero = if pi >= 0.0 {
            sigmoid_neg_pi - sigmoid_a
        } else {
            sigmoid_neg_a - sigmoid_pi
        };
        *value = if zero { log_add_exp } else { nb } - softplus_pi;
        *weight = if zero { sigmoid_a } else { 1.0 };
        *d_zero_logit = if zero { d_zero } else { -sigmoid_pi };
    }
}

impl CustomOp3 for ZeroInflatedNegativeBinomialOp {
    fn name(&self) -> &'static str {
        "zero-inflated-negative-binomial-log-prob"
    }

    fn cpu_fwd(
        &self,
        logits: &CpuStorage,
        logits_layout: &Layout,
        theta: &CpuStorage,
        theta_layout: &Layout,
        zero_logits: &CpuStorage,
        zero_logits_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let logits = f32_slice(logits, logits_layout)?;
        let zero_logits = f32_slice(zero_logits, zero_logits_layout)?;
        let theta = f32_slice(theta, theta_layout)?;
        let n = theta.len();
        check_shape(&self.library, logits.len(), n)?;
        let (saved, output) = with_f32(&self.counts, |x| {
            if x.len() != logits.len() || zero_logits.len() != logits.len() {
                bail!("zero-inflated negative binomial op: x, logits and π differ in shape")
            }
            let dispersions = Dispersions::for_forward(theta, x);
            let rows = self.library.len();
            let mut saved = MixtureSaved {
                negative_binomial: Saved::new(x.len(), rows),
                negative_binomial_weights: vec![0f32; x.len()],
                d_zero_logits: vec![0f32; x.len()],
            };
            let mut values = vec![0f32; if self.sum_rows { n } else { x.len() }];
            let mut sums = Vec::with_capacity(if self.sum_rows { rows } else { 0 });
            for (row, &library) in self.library.iter().enumerate() {
                let range = row * n..(row + 1) * n;
                let values = if self.sum_rows {
                    &mut values[..]
                } else {
                    &mut values[range.clone()]
                };
                let nb = &mut saved.negative_binomial;
                dispersions.row_log_prob(x, logits, library, row, nb, values);
                mix_row(
                    &x[range.clone()],
                    &zero_logits[range.clone()],
                    values,
                    &mut saved.negative_binomial_weights[range.clone()],
                    &mut saved.d_zero_logits[range],
                );
                if self.sum_rows {
                    sums.push(sum_f64(values) as f32);
                }
            }
            let output = if self.sum_rows {
                (CpuStorage::F32(sums), Shape::from(rows))
            } else {
                (CpuStorage::F32(values), logits_layout.shape().clone())
            };
            Ok((saved, output))
        })?;
        if let Ok(mut slot) = self.saved.lock() {
            *slot = Some(saved);
        }
        Ok(output)
    }

    fn bwd(
        &self,
        logits: &Tensor,
        theta: &Tensor,
        zero_logits: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let saved = self.saved.lock().ok().and_then(|mut saved| saved.take());
        let Some(saved) = saved else {
            bail!("zero-inflated negative binomial op: backward pass without a forward pass")
        };
        let (gradients, d_zero_logits) = with_f32(theta, |theta| {
            with_f32(&self.counts, |x| {
                with_f32(grad_res, |grad| self.gradients(x, theta, grad, &saved))
            })
        })?;
        let d_theta = Tensor::from_vec(gradients.theta(), theta.shape(), theta.device())?;
        let d_logits = Tensor::from_vec(gradients.logits, logits.shape(), logits.device())?;
        let d_zero_logits =
            Tensor::from_vec(d_zero_logits, zero_logits.shape(), zero_logits.device())?;
        Ok((Some(d_logits), Some(d_theta), Some(d_zero_logits)))
    }
}

impl ZeroInflatedNegativeBinomialOp {
    /// ∂/∂logits and ∂/∂θ (as [`Gradients`]) and ∂/∂π of Σ upstream · log p.
    fn gradients(
        &self,
        x: &[f32],
        theta: &[f32],
        grad: &[f32],
        saved: &MixtureSaved,
    ) -> candle_core::Result<(Gradients, Vec<f32>)> {
        check_shape(&self.library, x.len(), theta.len())?;
        let dispersions = Dispersions::for_gradients(theta, x);
        let n = dispersions.len();
        let rows = self.library.len();
        if grad.len() != if self.sum_rows { rows } else { x.len() } {
            bail!("zero-inflated negative binomial op: upstream gradient of the wrong size")
        }
        let mut gradients = Gradients::new(x.len(), n);
        let mut d_zero_logits = vec![0f32; x.len()];
        let mut upstream = vec![0f32; n];
        for (row, &library) in self.library.iter().enumerate() {
            let range = row * n..(row + 1) * n;
            if self.sum_rows {
                upstream.fill(grad[row]);
            } else {
                upstream.copy_from_slice(&grad[range.clone()]);
            }
            let per_value = saved.d_zero_logits[range.clone()]
                .iter()
                .zip(&saved.negative_binomial_weights[range.clone()]);
            let outputs = d_zero_logits[range].iter_mut().zip(upstream.iter_mut());
            for ((d_zero_logit, g), (&d_zero, &weight)) in outputs.zip(per_value) {
                *d_zero_logit = *g * d_zero;
                *g *= weight;
            }
            let nb = &saved.negative_binomial;
            dispersions.row_gradients(x, nb, row, library, &upstream, &mut gradients);
        }
        Ok((gradients, d_zero_logits))
    }
}

#[cfg(test)]
mod tests {
    use crate::likelihood::count::tests::{
        COUNTS, MU, THETA as DISPERSIONS, ZERO_LOGITS, ZINB_SCIPY,
    };
    use crate::likelihood::count::{
        negative_binomial_log_prob, zero_inflated_negative_binomial_log_prob,
        zero_inflated_negative_binomial_log_prob_from_logits,
        zero_inflated_negative_binomial_row_log_prob_from_logits,
    };
    use candle_core::{D, DType, Device, Result, Tensor, Var};
    use candle_nn::ops::softmax;

    const ROWS: usize = 6;
    const GENES: usize = 12;

    /// θ from 1e-3 to 1e5 across the genes.
    const THETA: [f64; GENES] = [
        1e-3, 0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0, 1e3, 1e4, 1e5,
    ];

    /// A deterministic value in [0, 1) for (row, gene, stream).
    fn uniform(row: usize, gene: usize, stream: u64) -> f64 {
        let mut h = (row as u64 * 1_000_003 + gene as u64 * 7_919 + stream * 104_729)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 29;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 32;
        (h >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Random inputs as f64 (x, logits, library, π): half the counts zero, the rest from
    /// 1 to 16 (the NB op's short path), up to 300 and one 5,000; logits in (−4, 4); dropout
    /// logits in (−30, 30), with ±30 and 0 in the first row.
    fn random_inputs() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut x = Vec::new();
        let mut logits = Vec::new();
        let mut zero_logits = Vec::new();
        for row in 0..ROWS {
            for gene in 0..GENES {
                let u = uniform(row, gene, 0);
                let count = if u < 0.5 {
                    0.0
                } else if u < 0.8 {
                    (1.0 + 16.0 * uniform(row, gene, 1)).floor()
                } else {
                    (17.0 + 283.0 * uniform(row, gene, 1)).floor()
                };
                x.push(count);
                logits.push(8.0 * uniform(row, gene, 2) - 4.0);
                zero_logits.push(60.0 * uniform(row, gene, 3) - 30.0);
            }
        }
        x[GENES + 3] = 5000.0;
        zero_logits[..3].copy_from_slice(&[30.0, -30.0, 0.0]);
        let library = x
            .chunks(GENES)
            .map(|row| row.iter().sum::<f64>().max(1.0))
            .collect();
        (x, logits, library, zero_logits)
    }

    fn tensor(values: &[f64], rows: usize, dtype: DType) -> Tensor {
        let shape = if rows == 0 {
            vec![values.len()]
        } else {
            vec![rows, values.len() / rows]
        };
        Tensor::from_vec(values.to_vec(), shape, &Device::Cpu)
            .and_then(|t| t.to_dtype(dtype))
            .expect("tensor")
    }

    fn to_f64(t: &Tensor) -> Vec<f64> {
        t.to_dtype(DType::F64)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f64>())
            .expect("values")
    }

    /// `count_likelihood`'s scipy 1.17.1 mixture values (`ZINB_SCIPY`) as one row: logits ln μ
    /// and library Σμ, so μ is exact up to f32 rounding; 1e-5 relative.
    #[test]
    fn fused_forward_matches_scipy_mixture() -> candle_core::Result<()> {
        let (x, mu, theta, zero_logits) = (COUNTS, MU, DISPERSIONS, ZERO_LOGITS);
        let logits = tensor(&mu, 1, DType::F32).log()?;
        let library = tensor(&[mu.iter().sum()], 0, DType::F32);
        let fused = zero_inflated_negative_binomial_log_prob_from_logits(
            &tensor(&x, 1, DType::F32),
            &logits,
            &library,
            &tensor(&theta, 0, DType::F32),
            &tensor(&zero_logits, 1, DType::F32),
        )?;
        for (v, e) in to_f64(&fused).iter().zip(ZINB_SCIPY) {
            assert!((v - e).abs() <= 1e-5 * e.abs(), "{v} vs scipy {e}");
        }
        Ok(())
    }

    /// Per value and summed per row, the fused f32 op equals the composite formula in f64
    /// (`zero_inflated_negative_binomial_log_prob`, itself checked against scipy) on the
    /// random inputs, within 1e-5 relative (absolute below 1).
    #[test]
    fn fused_forward_matches_the_composite_formula() -> candle_core::Result<()> {
        let (x, logits, library, zero_logits) = random_inputs();
        let f32s = |v: &[f64], rows| tensor(v, rows, DType::F32);
        let (x32, logits32, library32) = (f32s(&x, ROWS), f32s(&logits, ROWS), f32s(&library, 0));
        let (theta32, zero_logits32) = (f32s(&THETA, 0), f32s(&zero_logits, ROWS));
        type FromLogits = fn(&Tensor, &Tensor, &Tensor, &Tensor, &Tensor) -> Result<Tensor>;
        let fused_with = |f: FromLogits| f(&x32, &logits32, &library32, &theta32, &zero_logits32);
        let fused = fused_with(zero_inflated_negative_binomial_log_prob_from_logits)?;
        let sums = fused_with(zero_inflated_negative_binomial_row_log_prob_from_logits)?;
        let mu = softmax(&tensor(&logits, ROWS, DType::F64), D::Minus1)?
            .broadcast_mul(&tensor(&library, 0, DType::F64).unsqueeze(1)?)?;
        let composite = zero_inflated_negative_binomial_log_prob(
            &tensor(&x, ROWS, DType::F64),
            &mu,
            &tensor(&THETA, 0, DType::F64),
            &tensor(&zero_logits, ROWS, DType::F64),
        )?;
        let pairs = to_f64(&fused).into_iter().zip(to_f64(&composite));
        let row_pairs = to_f64(&sums).into_iter().zip(to_f64(&composite.sum(1)?));
        for (a, b) in pairs.chain(row_pairs) {
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "fused {a} vs composite {b}"
            );
        }
        Ok(())
    }

    /// Infinite dropout logits give the limits: π = +∞ log p(0) = 0 and log p(x > 0) = −∞ (as
    /// the composite formula); π = −∞ the NB values, from the composite NB formula in f64
    /// (itself checked against scipy; scVI's ZINB formula gives ∞ − ∞ there), 1e-6 relative.
    #[test]
    fn infinite_dropout_logits_give_the_limits() -> candle_core::Result<()> {
        let x = [0.0, 3.0, 0.0, 3.0];
        let logits = [0.5, -0.2, 1.0, 0.3];
        let theta = [2.0, 0.5, 10.0, 1.0];
        let (inf, library) = (f64::INFINITY, [10.0]);
        let fused = zero_inflated_negative_binomial_log_prob_from_logits(
            &tensor(&x, 1, DType::F32),
            &tensor(&logits, 1, DType::F32),
            &tensor(&library, 0, DType::F32),
            &tensor(&theta, 0, DType::F32),
            &tensor(&[inf, inf, -inf, -inf], 1, DType::F32),
        )?;
        let fused = to_f64(&fused);
        assert_eq!((fused[0], fused[1]), (0.0, -inf));
        let mu = softmax(&tensor(&logits, 1, DType::F64), D::Minus1)?.affine(library[0], 0.0)?;
        let nb = to_f64(&negative_binomial_log_prob(
            &tensor(&x, 1, DType::F64),
            &mu,
            &tensor(&theta, 0, DType::F64),
        )?);
        for (a, b) in fused[2..].iter().zip(&nb[2..]) {
            assert!((a - b).abs() <= 1e-6 * b.abs(), "fused {a} vs NB {b}");
        }
        Ok(())
    }

    /// ∂/∂logits, ∂/∂θ and ∂/∂π of the fused op equal candle autograd through softmax ×
    /// library and the composite formula in f64 (whose lgamma backward is digamma, checked
    /// against scipy), within 1e-4 relative (absolute below 1), per value under a
    /// non-uniform upstream gradient and summed per row.
    #[test]
    fn fused_gradients_match_autograd_of_the_composite_formula() -> candle_core::Result<()> {
        let (x, logits, library, zero_logits) = random_inputs();
        let value_weights: Vec<f64> = (0..ROWS * GENES)
            .map(|i| 2.0 * uniform(i, 0, 4) - 0.5)
            .collect();
        let row_weights = [1.5, -0.5, 1.0, 0.25, 2.0, 1.0];
        let grads_of = |fused: bool, rows: bool| -> candle_core::Result<Vec<Vec<f64>>> {
            let dtype = if fused { DType::F32 } else { DType::F64 };
            let logits = Var::from_tensor(&tensor(&logits, ROWS, dtype))?;
            let theta = Var::from_tensor(&tensor(&THETA, 0, dtype))?;
            let zero_logits = Var::from_tensor(&tensor(&zero_logits, ROWS, dtype))?;
            let (x, library) = (tensor(&x, ROWS, dtype), tensor(&library, 0, dtype));
            let (value_weights, row_weights) = (
                tensor(&value_weights, ROWS, dtype),
                tensor(&row_weights, 0, dtype),
            );
            let args = (
                logits.as_tensor(),
                theta.as_tensor(),
                zero_logits.as_tensor(),
            );
            let objective = match (fused, rows) {
                (true, true) => zero_inflated_negative_binomial_row_log_prob_from_logits(
                    &x, args.0, &library, args.1, args.2,
                )?
                .mul(&row_weights)?,
                (true, false) => zero_inflated_negative_binomial_log_prob_from_logits(
                    &x, args.0, &library, args.1, args.2,
                )?
                .mul(&value_weights)?,
                (false, _) => {
                    let mu = softmax(args.0, D::Minus1)?.broadcast_mul(&library.unsqueeze(1)?)?;
                    let values = zero_inflated_negative_binomial_log_prob(&x, &mu, args.1, args.2)?;
                    if rows {
                        values.sum(1)?.mul(&row_weights)?
                    } else {
                        values.mul(&value_weights)?
                    }
                }
            };
            let grads = objective.sum_all()?.backward()?;
            [&logits, &theta, &zero_logits]
                .iter()
                .map(|v| Ok(to_f64(grads.get(v.as_tensor()).expect("gradient"))))
                .collect()
        };
        for rows in [false, true] {
            let fused = grads_of(true, rows)?;
            let composite = grads_of(false, rows)?;
            for (name, (fused, composite)) in ["logits", "θ", "π"]
                .iter()
                .zip(fused.iter().zip(&composite))
            {
                for (a, b) in fused.iter().zip(composite) {
                    assert!(
                        (a - b).abs() <= 1e-4 * b.abs().max(1.0),
                        "∂/∂{name}: fused {a} vs autograd {b} (summed rows: {rows})"
                    );
                }
            }
        }
        Ok(())
    }
}
