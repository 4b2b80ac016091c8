//! The binomial log-likelihood of decoder logits as one fused CPU op (f32), with its analytic
//! gradient: per value x·l − n·softplus(l) + ln C(n, x) = x ln p + (n − x) ln(1 − p) + ln C(n, x)
//! with p = σ(l), per value or summed over each row.
//!
//! The composite form (three `lgamma` passes for ln C(n, x), softplus as four tensor ops, a
//! product and two sums) was over a third of a genotype recipe's training step on 200 samples
//! × 67,000 SNPs, with one `[batch, sites]` allocation per op. Here ln C(n, x) comes from a
//! table of ln k! (dosages are whole numbers up to the ploidy; anything else takes ln Γ in
//! f64), softplus is one `exp` and one `ln_1p`, and σ(l) comes from the same e^−|l|: the
//! forward pass keeps each value's slope x − n·σ(l), so the backward pass is one product,
//! ∂/∂l = upstream · (x − n·σ(l)). x gets no gradient (it is data). With one n for all, ln C(n, x)
//! of whole dosages is looked up per dosage (`ln_choose` takes ln Γ only for other values).

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor, bail};
use rayon::prelude::*;

use crate::ops::negative_binomial::{f32_slice, sum_f64, with_f32};
use crate::ops::special::{
    exp_nonpositive_f32, lgamma, ln_gamma_f64, log1p_nonnegative_f32, softplus as softplus_tensor,
};

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
    /// Each value's x − n·σ(l) from the forward pass, for the backward one.
    slopes: Mutex<Option<Vec<f32>>>,
}

impl BinomialOp {
    /// The op for these trials; `sum_rows` sums each row's values.
    pub(crate) fn new(trials: Trials, sum_rows: bool) -> Self {
        Self {
            trials,
            sum_rows,
            slopes: Mutex::new(None),
        }
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

/// Whether `v` is a whole number in [0, `TABLE_TRIALS`) (by casts: `fract` is a libm call
/// on baseline x86-64).
fn whole(v: f32) -> bool {
    v >= 0.0 && v < TABLE_TRIALS as f32 && (v as usize) as f32 == v
}

/// ln C(n, x): from the table for whole 0 ≤ x ≤ n < 256, else
/// ln Γ(n + 1) − ln Γ(x + 1) − ln Γ(n − x + 1) in f64.
fn ln_choose(n: f32, x: f32) -> f32 {
    if whole(n) && whole(x) && x <= n {
        let table = ln_factorials();
        let (n, x) = (n as usize, x as usize);
        (table[n] - table[x] - table[n - x]) as f32
    } else {
        let (n, x) = (f64::from(n), f64::from(x));
        (ln_gamma_f64(n + 1.0) - ln_gamma_f64(x + 1.0) - ln_gamma_f64(n - x + 1.0)) as f32
    }
}

/// ln C(n, x) for x = 0..=n when one whole n < 256 holds for all values.
fn ln_choose_row(n: f32) -> Option<Vec<f32>> {
    whole(n).then(|| (0..=n as usize).map(|x| ln_choose(n, x as f32)).collect())
}

/// One value's x·l − n·softplus(l) (without ln C(n, x)) and its slope x − n·σ(l), both from
/// one e^−|l|: softplus(l) = max(l, 0) + ln1p(e^−|l|) and σ(l) = 1 / (1 + e^−l) for l ≥ 0,
/// eˡ / (1 + eˡ) below, without overflow for large |l|. Branch-free (the f32 exp and log1p
/// of `special`, relative errors below 2e-7 and 3e-7), so row loops vectorise; a NaN logit
/// gives NaN.
#[inline(always)]
fn log_prob_and_slope(x: f32, l: f32, n: f32) -> (f32, f32) {
    let e = exp_nonpositive_f32(-l.abs());
    let softplus = l.max(0.0) + log1p_nonnegative_f32(e);
    let sigmoid = if l >= 0.0 { 1.0 } else { e } / (1.0 + e);
    (x * l - n * softplus, x - n * sigmoid)
}

/// One row's values without ln C(n, x), and slopes, as a pulp operation: compiled once per
/// instruction set and chosen at run time (AVX2 where the CPU has it); the same bits on each.
struct BinomialRow<'a> {
    x: &'a [f32],
    logits: &'a [f32],
    /// The row's trials: one n for all, or one per value.
    trials: Result<f32, &'a [f32]>,
    out: &'a mut [f32],
    slopes: &'a mut [f32],
}

impl pulp::WithSimd for BinomialRow<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let values = self.x.iter().zip(self.logits);
        let outputs = self.out.iter_mut().zip(self.slopes.iter_mut());
        match self.trials {
            Ok(n) => {
                for ((&x, &l), (out, slope)) in values.zip(outputs) {
                    (*out, *slope) = log_prob_and_slope(x, l, n);
                }
            }
            Err(trials) => {
                for (((&x, &l), &n), (out, slope)) in values.zip(trials).zip(outputs) {
                    (*out, *slope) = log_prob_and_slope(x, l, n);
                }
            }
        }
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
        let table = match self.trials {
            Trials::All(n) => ln_choose_row(n),
            Trials::Each(_) => None,
        };
        // Rows in parallel on the rayon pool (a genotype minibatch of 32 rows is one shard, so
        // this is where the second core helps); each row is computed as on one thread, so the
        // bits do not depend on the thread count.
        let fill =
            |row: usize, x_row: &[f32], l_row: &[f32], out: &mut [f32], slopes: &mut [f32]| {
                let start = row * n_features;
                let trials = match &self.trials {
                    Trials::All(n) => Ok(*n),
                    Trials::Each(n) => Err(&n[start..start + n_features]),
                };
                pulp::Arch::new().dispatch(BinomialRow {
                    x: x_row,
                    logits: l_row,
                    trials,
                    out: &mut *out,
                    slopes,
                });
                // then + ln C(n, x): a lookup per value, apart so the loop above vectorises
                match (&self.trials, &table) {
                    // one n: whole dosages index the row's table directly (the saturating
                    // cast maps NaN and negatives to 0, which the equality then rejects)
                    (Trials::All(n), Some(table)) => {
                        for (&x, out) in x_row.iter().zip(out.iter_mut()) {
                            let k = x as usize;
                            *out += if k < table.len() && k as f32 == x {
                                table[k]
                            } else {
                                ln_choose(*n, x)
                            };
                        }
                    }
                    _ => {
                        for (j, (&x, out)) in x_row.iter().zip(out.iter_mut()).enumerate() {
                            *out += ln_choose(self.trials.get(start + j), x);
                        }
                    }
                }
            };
        let mut slopes = vec![0f32; x.len()];
        let rows = x
            .par_chunks_exact(n_features)
            .zip(logits.par_chunks_exact(n_features))
            .zip(slopes.par_chunks_exact_mut(n_features))
            .enumerate();
        let output = if self.sum_rows {
            let sums: Vec<f32> = rows
                .map_init(
                    || vec![0f32; n_features],
                    |scratch, (row, ((x_row, l_row), slope_row))| {
                        fill(row, x_row, l_row, scratch, slope_row);
                        sum_f64(scratch) as f32
                    },
                )
                .collect();
            let n_rows = sums.len();
            (CpuStorage::F32(sums), Shape::from(n_rows))
        } else {
            let mut values = vec![0f32; x.len()];
            rows.zip(values.par_chunks_exact_mut(n_features)).for_each(
                |((row, ((x_row, l_row), slope_row)), out)| {
                    fill(row, x_row, l_row, out, slope_row);
                },
            );
            (CpuStorage::F32(values), shape.clone())
        };
        if let Ok(mut slot) = self.slopes.lock() {
            *slot = Some(slopes);
        }
        Ok(output)
    }

    fn bwd(
        &self,
        _x: &Tensor,
        logits: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let n_features = logits.dims().last().copied().unwrap_or(0);
        let Some(slopes) = self.slopes.lock().ok().and_then(|mut slot| slot.take()) else {
            bail!(
                "binomial op: no slopes saved (the forward pass did not run on the CPU, or an earlier backward pass used them)"
            )
        };
        let d_logits = with_f32(grad_res, |grad| {
            let expected = if self.sum_rows {
                slopes.len() / n_features.max(1)
            } else {
                slopes.len()
            };
            if grad.len() != expected {
                bail!("binomial op: upstream gradient of the wrong size")
            }
            let mut d_logits = slopes;
            if self.sum_rows {
                d_logits
                    .par_chunks_exact_mut(n_features)
                    .zip(grad)
                    .for_each(|(row, &upstream)| row.iter_mut().for_each(|s| *s *= upstream));
            } else {
                d_logits
                    .par_chunks_mut(n_features)
                    .zip(grad.par_chunks(n_features))
                    .for_each(|(row, upstream)| {
                        row.iter_mut().zip(upstream).for_each(|(s, &u)| *s *= u);
                    });
            }
            Ok(d_logits)
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
    use crate::ops::test_support::assert_same_gradient;
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
            assert_same_gradient(&fused, &reference, &weights, &var)?;
        }
        Ok(())
    }

    /// A value of 0 trials with x = 0 (a masked call: `Vae::assemble` zeroes its target) is
    /// certain: by hand 0·l − 0·softplus(l) + ln C(0, 0) = 0, slope 0 − 0·σ(l) = 0, whatever
    /// the logit.
    #[test]
    fn zero_trials_add_nothing_and_pass_no_gradient() -> candle_core::Result<()> {
        let device = Device::Cpu;
        let x = Tensor::new(&[[0f32, 1.0, 0.0]], &device)?;
        let logits = Var::from_tensor(&Tensor::new(&[[3.0f32, -0.5, -40.0]], &device)?)?;
        let op = BinomialOp::new(Trials::Each(vec![0.0, 2.0, 0.0]), false);
        let values = x.apply_op2(logits.as_tensor(), op)?;
        let row = values.flatten_all()?.to_vec1::<f32>()?;
        assert_eq!((row[0], row[2]), (0.0, 0.0));
        // the observed value: 1·(−0.5) − 2·ln(1 + e^−0.5) + ln 2
        let expected = -0.5 - 2.0 * (1.0 + (-0.5f64).exp()).ln() + 2f64.ln();
        assert!((f64::from(row[1]) - expected).abs() < 1e-6, "{row:?}");
        let grads = values.sum_all()?.backward()?;
        let slope = grads
            .get(logits.as_tensor())
            .unwrap()
            .flatten_all()?
            .to_vec1::<f32>()?;
        assert_eq!((slope[0], slope[2]), (0.0, 0.0));
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
