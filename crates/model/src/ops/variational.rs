//! A variational parameter's two per-step costs, each one fused CPU pass (f32) with its
//! analytic gradient: the reparameterised draw w = μ + e^{½ log σ²}·ε and the KL of
//! N(μ, σ²) to a Gaussian prior summed over the tensor.
//!
//! As candle tensor expressions the draw was four passes and four fresh tensors the size of
//! the weights, and the KL five plus a sum, each with as many again in the backward pass; an
//! EVE decoder on 214 columns has 19 M variational weights, and those passes and page
//! faults took most of a Bayesian training step (perf: candle's element-wise kernels and
//! `expf` 50%, the matrix products 15%). Here the draw is one pass forward and one back
//! (∂w/∂μ = 1, ∂w/∂log σ² = ½ e^{½ log σ²} ε), and the KL one pass each way
//! (∂/∂μ = (μ − μₚ)/σₚ², ∂/∂log σ² = ½(σ²/σₚ² − 1)), its sum accumulated in f64 over
//! fixed chunks in order, so the result does not depend on the thread count. Other devices
//! and dtypes take the tensor expressions.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, DType, Layout, Shape, Tensor, bail};
use rayon::prelude::*;

use crate::ops::negative_binomial::{f32_slice, with_f32};

/// Elements per parallel task (and per partial sum of the KL).
const CHUNK: usize = 1 << 15;

/// μ + e^{½ log σ²}·ε, element by element; ε gets no gradient.
pub(crate) fn draw(
    mean: &Tensor,
    log_var: &Tensor,
    epsilon: &Tensor,
) -> candle_core::Result<Tensor> {
    if fused(&[mean, log_var, epsilon]) {
        return mean.apply_op3(log_var, epsilon, DrawOp);
    }
    mean + (log_var * 0.5)?.exp()?.mul(epsilon)?
}

/// KL(N(μ, e^{log σ²}) ‖ N(prior_mean, prior_sigma²)) summed over every element: a scalar.
/// Each element is ½((σ² + (μ − μₚ)²) / σₚ² + ln σₚ² − 1 − log σ²).
pub(crate) fn kl_sum(
    mean: &Tensor,
    log_var: &Tensor,
    prior_mean: f64,
    prior_sigma: f64,
) -> candle_core::Result<Tensor> {
    let prior = Prior::new(prior_mean, prior_sigma);
    if fused(&[mean, log_var]) {
        return mean.apply_op2(log_var, KlOp { prior });
    }
    let spread = (log_var.exp()? + mean.affine(1.0, -prior_mean)?.sqr()?)?;
    (spread.affine(1.0 / prior.var, prior.var.ln() - 1.0)? - log_var)?
        .affine(0.5, 0.0)?
        .sum_all()
}

fn fused(tensors: &[&Tensor]) -> bool {
    let first = tensors[0];
    tensors
        .iter()
        .all(|t| t.device().is_cpu() && t.dtype() == DType::F32 && t.dims() == first.dims())
}

fn same_lengths(lengths: &[usize]) -> candle_core::Result<usize> {
    if lengths.iter().any(|&n| n != lengths[0]) {
        bail!("variational op: inputs differ in size")
    }
    Ok(lengths[0])
}

/// `f(i)` for every index below `n`, into a new vector, in parallel chunks.
fn map_indexed(n: usize, f: impl Fn(usize) -> f32 + Sync) -> Vec<f32> {
    let mut out = vec![0f32; n];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(chunk, values)| {
            let start = chunk * CHUNK;
            for (offset, value) in values.iter_mut().enumerate() {
                *value = f(start + offset);
            }
        });
    out
}

struct DrawOp;

impl CustomOp3 for DrawOp {
    fn name(&self) -> &'static str {
        "variational-draw"
    }

    fn cpu_fwd(
        &self,
        mean: &CpuStorage,
        mean_layout: &Layout,
        log_var: &CpuStorage,
        log_var_layout: &Layout,
        epsilon: &CpuStorage,
        epsilon_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let mean = f32_slice(mean, mean_layout)?;
        let log_var = f32_slice(log_var, log_var_layout)?;
        let epsilon = f32_slice(epsilon, epsilon_layout)?;
        let n = same_lengths(&[mean.len(), log_var.len(), epsilon.len()])?;
        let out = map_indexed(n, |i| mean[i] + (log_var[i] * 0.5).exp() * epsilon[i]);
        Ok((CpuStorage::F32(out), mean_layout.shape().clone()))
    }

    fn bwd(
        &self,
        _mean: &Tensor,
        log_var: &Tensor,
        epsilon: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let d_log_var = with_f32(log_var, |log_var| {
            with_f32(epsilon, |epsilon| {
                with_f32(grad_res, |grad| {
                    let n = same_lengths(&[log_var.len(), epsilon.len(), grad.len()])?;
                    Ok(map_indexed(n, |i| {
                        grad[i] * epsilon[i] * (log_var[i] * 0.5).exp() * 0.5
                    }))
                })
            })
        })?;
        let d_log_var = Tensor::from_vec(d_log_var, log_var.shape(), log_var.device())?;
        Ok((Some(grad_res.clone()), Some(d_log_var), None))
    }
}

/// A Gaussian prior N(mean, var).
#[derive(Clone, Copy)]
struct Prior {
    mean: f64,
    var: f64,
}

impl Prior {
    fn new(mean: f64, sigma: f64) -> Self {
        Self {
            mean,
            var: sigma * sigma,
        }
    }
}

struct KlOp {
    prior: Prior,
}

impl CustomOp2 for KlOp {
    fn name(&self) -> &'static str {
        "variational-kl"
    }

    fn cpu_fwd(
        &self,
        mean: &CpuStorage,
        mean_layout: &Layout,
        log_var: &CpuStorage,
        log_var_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let mean = f32_slice(mean, mean_layout)?;
        let log_var = f32_slice(log_var, log_var_layout)?;
        same_lengths(&[mean.len(), log_var.len()])?;
        let Prior { mean: mu_p, var } = self.prior;
        let constant = var.ln() - 1.0;
        let partial: Vec<f64> = mean
            .par_chunks(CHUNK)
            .zip(log_var.par_chunks(CHUNK))
            .map(|(m, lv)| {
                m.iter()
                    .zip(lv)
                    .map(|(&m, &lv)| {
                        let (m, lv) = (f64::from(m), f64::from(lv));
                        ((lv.exp() + (m - mu_p) * (m - mu_p)) / var + constant - lv) * 0.5
                    })
                    .sum()
            })
            .collect();
        let total: f64 = partial.iter().sum();
        Ok((CpuStorage::F32(vec![total as f32]), Shape::from(())))
    }

    fn bwd(
        &self,
        mean: &Tensor,
        log_var: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let upstream = grad_res.to_dtype(DType::F32)?.to_scalar::<f32>()?;
        let Prior { mean: mu_p, var } = self.prior;
        let (mu_p, inv_var) = (mu_p as f32, (1.0 / var) as f32);
        let d_mean = with_f32(mean, |mean| {
            Ok(map_indexed(mean.len(), |i| {
                upstream * (mean[i] - mu_p) * inv_var
            }))
        })?;
        let d_log_var = with_f32(log_var, |log_var| {
            Ok(map_indexed(log_var.len(), |i| {
                upstream * 0.5 * (log_var[i].exp() * inv_var - 1.0)
            }))
        })?;
        let d_mean = Tensor::from_vec(d_mean, mean.shape(), mean.device())?;
        let d_log_var = Tensor::from_vec(d_log_var, log_var.shape(), log_var.device())?;
        Ok((Some(d_mean), Some(d_log_var)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn vars() -> (Var, Var, Tensor) {
        let device = Device::Cpu;
        let mean = Var::new(&[[0.5f32, -1.0, 2.0], [0.0, 0.25, -0.75]], &device).unwrap();
        let log_var = Var::new(&[[-1.0f32, 0.0, 0.5], [-10.0, 1.0, -2.0]], &device).unwrap();
        let epsilon = Tensor::new(&[[1.0f32, -0.5, 2.0], [0.3, 0.0, -1.5]], &device).unwrap();
        (mean, log_var, epsilon)
    }

    fn flat(t: &Tensor) -> Vec<f32> {
        t.flatten_all().unwrap().to_vec1().unwrap()
    }

    /// The fused ops against the tensor expressions they replace (the f64 tensors take the
    /// composite path), values and gradients.
    fn against_composite(op: impl Fn(&Tensor, &Tensor, &Tensor) -> Tensor) {
        let (mean, log_var, epsilon) = vars();
        let weights = Tensor::new(&[[1.0f32, 2.0, -1.0], [0.5, -3.0, 1.5]], &Device::Cpu).unwrap();
        let fused = op(mean.as_tensor(), log_var.as_tensor(), &epsilon);
        let grads = (fused.broadcast_mul(&weights).unwrap().sum_all().unwrap())
            .backward()
            .unwrap();
        let f64_of = |t: &Tensor| t.to_dtype(DType::F64).unwrap();
        let (mean64, log_var64) = (
            Var::from_tensor(&f64_of(mean.as_tensor())).unwrap(),
            Var::from_tensor(&f64_of(log_var.as_tensor())).unwrap(),
        );
        let composite = op(mean64.as_tensor(), log_var64.as_tensor(), &f64_of(&epsilon));
        let composite_grads = (composite.broadcast_mul(&f64_of(&weights)).unwrap())
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let close = |a: &Tensor, b: &Tensor| {
            let (a, b) = (flat(a), flat(&b.to_dtype(DType::F32).unwrap()));
            assert_eq!(a.len(), b.len());
            for (a, b) in a.iter().zip(&b) {
                assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} against {b}");
            }
        };
        close(&fused, &composite);
        for (var, var64) in [(&mean, &mean64), (&log_var, &log_var64)] {
            close(grads.get(var).unwrap(), composite_grads.get(var64).unwrap());
        }
    }

    #[test]
    fn the_draw_matches_its_expression_and_gradient() {
        against_composite(|m, lv, e| draw(m, lv, e).unwrap());
        // by hand: 0.5 + e^{-0.5}·1 = 1.106531, and its log-variance gradient ½e^{-0.5}·1
        let (mean, log_var, epsilon) = vars();
        let w = draw(mean.as_tensor(), log_var.as_tensor(), &epsilon).unwrap();
        assert!((flat(&w)[0] - 1.106_531).abs() < 1e-6);
        let grads = w.sum_all().unwrap().backward().unwrap();
        assert!((flat(grads.get(&log_var).unwrap())[0] - 0.303_265_3).abs() < 1e-6);
        assert_eq!(flat(grads.get(&mean).unwrap()), vec![1.0; 6]);
    }

    #[test]
    fn the_kl_matches_its_expression_and_gradient() {
        against_composite(|m, lv, _| kl_sum(m, lv, 0.0, 1.0).unwrap());
        against_composite(|m, lv, _| kl_sum(m, lv, -12.36, 4.0).unwrap());
        // Elements (μ, log σ²): (0, 0) → 0; (1, 0) → ½; (0.5, −10) →
        // ½(0.25 + e^−10 + 10 − 1) = 4.625022699964881 (by hand, e^−10 = 4.539992976e−5);
        // (−2, ln 3) → ½(4 + 3 − ln 3 − 1) = 2.4506939; total 7.5757166. Fused (f32) and
        // as tensor expressions (f64).
        let by_hand = 0.5 + 4.625_022_7 + 0.5 * (6.0 - 3f64.ln());
        for dtype in [DType::F32, DType::F64] {
            let mean = Tensor::new(&[[0f32, 1.0], [0.5, -2.0]], &Device::Cpu).unwrap();
            let log_var = Tensor::new(&[[0f32, 0.0], [-10.0, 3f32.ln()]], &Device::Cpu).unwrap();
            let (mean, log_var) = (
                mean.to_dtype(dtype).unwrap(),
                log_var.to_dtype(dtype).unwrap(),
            );
            let kl = kl_sum(&mean, &log_var, 0.0, 1.0).unwrap();
            let kl = kl.to_dtype(DType::F64).unwrap().to_scalar::<f64>().unwrap();
            assert!((kl - by_hand).abs() < 1e-5, "{kl} vs {by_hand}");
        }
    }
}
