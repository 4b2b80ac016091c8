//! The binomial log-likelihood of decoder logits as one fused CPU op (f32), with its analytic
//! gradient: per value x·l − n·softplus(l) + ln C(n, x) = x ln p + (n − x) ln(1 − p) + ln C(n, x)
//! with p = σ(l), per value or summed over each row.
//!
//! The composite form (three `lgamma` passes for ln C(n, x), softplus as four tensor ops, a
//! product and two sums) was over a third of a genotype recipe's training step on 200 samples
//! × 67,000 SNPs, with one `[batch, sites]` allocation per op. Here ln C(n, x) comes from a
//! table of ln k! (dosages are whole numbers up to the ploidy; anything else takes ln Γ in
//! f64), softplus is one `exp` and one `ln_1p`, and nothing is kept for the backward pass,
//! which recomputes σ(l): ∂/∂l = upstream · (x − n·σ(l)). x gets no gradient (it is data).

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor, bail};

use crate::ops::negative_binomial::{f32_slice, sum_f64, with_f32};
use crate::ops::special::{lgamma, ln_gamma_f64, softplus as softplus_tensor};

/// Trials up to this take ln C(n, x) from the table of ln k!.
const TABLE_TRIALS: usize = 256;

/// The number of trials of each value.
#[derive(Clone, Debug)]
pub(crate) enum Trials {
    /// The same n for every value.
    All(f32),
    /// One n per value, row-major like x.
    Each(Vec<f32>),
}

impl Trials {
    fn get(&self, at: usize) -> f32 {
        match self {
            Trials::All(n) => *n,
            Trials::Each(n) => n[at],
        }
    }
}

/// The fused binomial log-likelihood: inputs x and logits, `[rows, features]`.
pub(crate) struct BinomialOp {
    trials: Trials,
    /// Whether the output is the sum over features of each row.
    sum_rows: bool,
}

impl BinomialOp {
    /// The op for these trials; `sum_rows` sums each row's values.
    pub(crate) fn new(trials: Trials, sum_rows: bool) -> Self {
        Self { trials, sum_rows }
    }
}

/// ln k! for k < `TABLE_TRIALS`.
fn ln_factorials() -> &'static [f64; TABLE_TRIALS] {
    static TABLE: std::sync::OnceLock<[f64; TABLE_TRIALS]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0f64; TABLE_TRIALS];
        for k in 1..TABLE_TRIALS {
            table[k] = table[k - 1] + (k as f64).ln();
        }
        table
    })
}

/// ln C(n, x): from the table for whole 0 ≤ x ≤ n < 256, else
/// ln Γ(n + 1) − ln Γ(x + 1) − ln Γ(n − x + 1) in f64.
fn ln_choose(n: f32, x: f32) -> f32 {
    let whole = |v: f32| v.fract() == 0.0 && v >= 0.0 && (v as usize) < TABLE_TRIALS;
    if whole(n) && whole(x) && x <= n {
        let table = ln_factorials();
        let (n, x) = (n as usize, x as usize);
        (table[n] - table[x] - table[n - x]) as f32
    } else {
        let (n, x) = (f64::from(n), f64::from(x));
        (ln_gamma_f64(n + 1.0) - ln_gamma_f64(x + 1.0) - ln_gamma_f64(n - x + 1.0)) as f32
    }
}

/// softplus(l) = ln(1 + eˡ) = max(l, 0) + ln1p(e^−|l|), stable for large |l|.
fn softplus(l: f32) -> f32 {
    l.max(0.0) + (-l.abs()).exp().ln_1p()
}

/// σ(l) = 1 / (1 + e^−l), without overflow for large |l|.
fn sigmoid(l: f32) -> f32 {
    if l >= 0.0 {
        1.0 / (1.0 + (-l).exp())
    } else {
        let e = l.exp();
        e / (1.0 + e)
    }
}

impl BinomialOp {
    fn check(&self, x: &[f32], logits: &[f32], n_features: usize) -> candle_core::Result<()> {
        if x.len() != logits.len() || n_features == 0 || !x.len().is_multiple_of(n_features) {
            bail!("binomial op: x and logits differ in shape or are not rows of features")
        }
        if let Trials::Each(n) = &self.trials
            && n.len() != x.len()
        {
            bail!("binomial op: {} trials for {} values", n.len(), x.len())
        }
        Ok(())
    }
}

impl CustomOp2 for BinomialOp {
    fn name(&self) -> &'static str {
        "binomial-log-prob"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        logits: &CpuStorage,
        logits_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, logits) = (f32_slice(x, x_layout)?, f32_slice(logits, logits_layout)?);
        let shape = logits_layout.shape();
        let n_features = shape.dims().last().copied().unwrap_or(0);
        self.check(x, logits, n_features)?;
        let mut values: Vec<f32> = x
            .iter()
            .zip(logits)
            .enumerate()
            .map(|(at, (&x, &l))| {
                let n = self.trials.get(at);
                x * l - n * softplus(l) + ln_choose(n, x)
            })
            .collect();
        if self.sum_rows {
            let sums: Vec<f32> = values
                .chunks_exact(n_features)
                .map(|row| sum_f64(row) as f32)
                .collect();
            let rows = sums.len();
            values = sums;
            Ok((CpuStorage::F32(values), Shape::from(rows)))
        } else {
            Ok((CpuStorage::F32(values), shape.clone()))
        }
    }

    fn bwd(
        &self,
        x: &Tensor,
        logits: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let n_features = logits.dims().last().copied().unwrap_or(0);
        let d_logits = with_f32(x, |x| {
            with_f32(logits, |logits| {
                with_f32(grad_res, |grad| {
                    self.check(x, logits, n_features)?;
                    let expected = if self.sum_rows {
                        x.len() / n_features
                    } else {
                        x.len()
                    };
                    if grad.len() != expected {
                        bail!("binomial op: upstream gradient of the wrong size")
                    }
                    Ok(x.iter()
                        .zip(logits)
                        .enumerate()
                        .map(|(at, (&x, &l))| {
                            let upstream = if self.sum_rows {
                                grad[at / n_features]
                            } else {
                                grad[at]
                            };
                            upstream * (x - self.trials.get(at) * sigmoid(l))
                        })
                        .collect::<Vec<f32>>())
                })
            })
        })?;
        let d_logits = Tensor::from_vec(d_logits, logits.shape(), logits.device())?;
        Ok((None, Some(d_logits)))
    }
}

/// The same per-value log-likelihood with candle tensor ops, for devices and dtypes the fused
/// op does not take: `n` holds each value's trials, shaped like x.
pub(crate) fn composite_log_prob(
    x: &Tensor,
    logits: &Tensor,
    n: &Tensor,
) -> candle_core::Result<Tensor> {
    let ln_choose =
        ((lgamma(&(n + 1.0)?)? - lgamma(&(x + 1.0)?)?)? - lgamma(&(n - x)?.affine(1.0, 1.0)?)?)?;
    (x.mul(logits)? - softplus_tensor(logits)?.mul(n)?)? + ln_choose
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor, Var};

    use super::{BinomialOp, Trials, composite_log_prob as composite};

    fn inputs() -> (Tensor, Tensor, Vec<f32>) {
        let device = Device::Cpu;
        let x = Tensor::new(&[[0f32, 1.0, 2.0, 1.0], [2.0, 0.0, 1.0, 0.5]], &device).unwrap();
        // large logits of both signs, where a naive softplus or σ overflows
        let logits = Tensor::new(
            &[[2.0f32, -1.0, 0.0, 60.0], [-3.0, 0.5, -90.0, 0.25]],
            &device,
        )
        .unwrap();
        // haploid, diploid and one non-whole dosage (ln Γ path)
        (x, logits, vec![2.0, 1.0, 2.0, 1.0, 2.0, 2.0, 2.0, 1.0])
    }

    #[test]
    fn fused_forward_and_gradient_match_the_composite_formula() -> candle_core::Result<()> {
        let (x, logits, trials) = inputs();
        let n = Tensor::from_vec(trials.clone(), x.shape(), x.device())?;
        let var = Var::from_tensor(&logits)?;
        let expected = composite(&x, var.as_tensor(), &n)?;
        for sum_rows in [false, true] {
            let op = BinomialOp::new(Trials::Each(trials.clone()), sum_rows);
            let fused = x.apply_op2(var.as_tensor(), op)?;
            let reference = if sum_rows {
                expected.sum(1)?
            } else {
                expected.clone()
            };
            let (a, b) = (
                fused.flatten_all()?.to_vec1::<f32>()?,
                reference.flatten_all()?.to_vec1::<f32>()?,
            );
            for (a, b) in a.iter().zip(&b) {
                assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
            }
            // weights make every value's upstream gradient differ
            let weights = Tensor::new(
                if sum_rows {
                    &[0.5f32, 2.0][..]
                } else {
                    &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0][..]
                },
                x.device(),
            )?
            .reshape(reference.shape())?;
            let grad_fused = fused.mul(&weights)?.sum_all()?.backward()?;
            let grad_composite = reference.mul(&weights)?.sum_all()?.backward()?;
            let (a, b) = (
                grad_fused
                    .get(&var)
                    .unwrap()
                    .flatten_all()?
                    .to_vec1::<f32>()?,
                grad_composite
                    .get(&var)
                    .unwrap()
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            );
            for (a, b) in a.iter().zip(&b) {
                assert!(
                    (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                    "gradient {a} vs {b}"
                );
            }
        }
        Ok(())
    }

    /// One n for all equals the same n given per value.
    #[test]
    fn one_trial_count_for_all_equals_it_per_value() -> candle_core::Result<()> {
        let (x, logits, _) = inputs();
        let all = x.apply_op2(&logits, BinomialOp::new(Trials::All(2.0), true))?;
        let each = x.apply_op2(&logits, BinomialOp::new(Trials::Each(vec![2.0; 8]), true))?;
        assert_eq!(all.to_vec1::<f32>()?, each.to_vec1::<f32>()?);
        Ok(())
    }
}
