//! Batch-norm in training mode as one CPU op with the analytic backward pass:
//! y = γ·x̂ + β, x̂ = (x − m)/√(v + ε), m and v (biased) the column means and variances of
//! the minibatch.
//!
//! Spelled out in candle ops it is ~10 allocating ops forward and twice that backward,
//! three of them reductions over rows (which candle's CPU backend does with two integer
//! divisions per element). Backward, per column with N rows, s = 1/√(v + ε):
//! ∂β = Σ dy, ∂γ = Σ dy·x̂, ∂x = γs/N · (N·dy − ∂β − x̂·∂γ).

use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, CustomOp3, DType, Layout, Shape, Tensor, bail};

use crate::ops::linear::column_sums;

/// A contiguous f32 view of CPU storage.
fn f32_slice<'a>(storage: &'a CpuStorage, layout: &Layout) -> candle_core::Result<&'a [f32]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("batch norm: inputs must be contiguous")
    };
    Ok(&storage.as_slice::<f32>()?[start..end])
}

/// What the forward pass keeps: the statistics (for the running ones) and, for backward,
/// x̂ and 1/√(v + ε).
#[derive(Default)]
struct Saved {
    mean: Vec<f32>,
    variance: Vec<f32>,
    normalized: Vec<f32>,
    inverse_std: Vec<f32>,
}

/// The op over x [rows, n], γ [n], β [n] (f32, CPU).
struct BatchNormOp {
    eps: f64,
    /// Shared with the caller, who reads the statistics after the forward pass.
    saved: Arc<Mutex<Saved>>,
}

fn lock(saved: &Mutex<Saved>) -> candle_core::Result<std::sync::MutexGuard<'_, Saved>> {
    match saved.lock() {
        Ok(saved) => Ok(saved),
        Err(_) => bail!("batch norm: state poisoned by a panic"),
    }
}

impl CustomOp3 for BatchNormOp {
    fn name(&self) -> &'static str {
        "batch-norm-train"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        weight: &CpuStorage,
        weight_layout: &Layout,
        bias: &CpuStorage,
        bias_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = f32_slice(x, x_layout)?;
        let weight = f32_slice(weight, weight_layout)?;
        let bias = f32_slice(bias, bias_layout)?;
        let n = weight.len();
        if n == 0 || bias.len() != n || x.len() % n != 0 || x.is_empty() {
            bail!("batch norm: {} values for {n} features", x.len())
        }
        let rows = (x.len() / n) as f64;
        // two passes in f64 (mean, then centred squares), as the tensor-op form
        let mut sums = vec![0f64; n];
        for row in x.chunks_exact(n) {
            for (sum, &v) in sums.iter_mut().zip(row) {
                *sum += f64::from(v);
            }
        }
        let mean: Vec<f32> = sums.iter().map(|s| (s / rows) as f32).collect();
        sums.fill(0.0);
        for row in x.chunks_exact(n) {
            for ((sum, &v), &m) in sums.iter_mut().zip(row).zip(&mean) {
                let centred = f64::from(v - m);
                *sum += centred * centred;
            }
        }
        let variance: Vec<f32> = sums.iter().map(|s| (s / rows) as f32).collect();
        let inverse_std: Vec<f32> = variance
            .iter()
            .map(|&v| (1.0 / (f64::from(v) + self.eps).sqrt()) as f32)
            .collect();
        let mut normalized = Vec::with_capacity(x.len());
        let mut out = Vec::with_capacity(x.len());
        for row in x.chunks_exact(n) {
            let start = normalized.len();
            normalized.extend(
                row.iter()
                    .zip(&mean)
                    .zip(&inverse_std)
                    .map(|((&v, &m), &s)| (v - m) * s),
            );
            out.extend(
                normalized[start..]
                    .iter()
                    .zip(weight)
                    .zip(bias)
                    .map(|((&h, &w), &b)| h * w + b),
            );
        }
        *lock(&self.saved)? = Saved {
            mean,
            variance,
            normalized,
            inverse_std,
        };
        Ok((CpuStorage::F32(out), x_layout.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        bias: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let saved = std::mem::take(&mut *lock(&self.saved)?);
        let n = weight.elem_count();
        let grad = grad_res.flatten_all()?.to_vec1::<f32>()?;
        let gamma = weight.to_vec1::<f32>()?;
        if n == 0 || grad.len() != saved.normalized.len() || grad.len() % n != 0 {
            bail!("batch norm: backward pass without a matching forward pass")
        }
        let rows = (grad.len() / n) as f32;
        let d_bias = column_sums(&grad, n);
        let mut d_weight = vec![0f32; n];
        for (dy, h) in grad.chunks_exact(n).zip(saved.normalized.chunks_exact(n)) {
            for ((d, &dy), &h) in d_weight.iter_mut().zip(dy).zip(h) {
                *d += dy * h;
            }
        }
        // ∂x = γs/N · (N·dy − ∂β − x̂·∂γ)
        let factor: Vec<f32> = gamma
            .iter()
            .zip(&saved.inverse_std)
            .map(|(&g, &s)| g * s / rows)
            .collect();
        let mut d_x = Vec::with_capacity(grad.len());
        for (dy, h) in grad.chunks_exact(n).zip(saved.normalized.chunks_exact(n)) {
            let columns = factor.iter().zip(&d_bias).zip(&d_weight);
            d_x.extend(
                dy.iter()
                    .zip(h)
                    .zip(columns)
                    .map(|((&dy, &h), ((&f, &db), &dw))| f * (rows * dy - db - h * dw)),
            );
        }
        let d_x = Tensor::from_vec(d_x, x.shape(), x.device())?;
        let d_weight = Tensor::from_vec(d_weight, weight.shape(), weight.device())?;
        let d_bias = Tensor::from_vec(d_bias, bias.shape(), bias.device())?;
        Ok((Some(d_x), Some(d_weight), Some(d_bias)))
    }
}

/// The result of [`batch_norm_train`].
pub(crate) struct BatchNormed {
    /// y, [rows, n].
    pub(crate) output: Tensor,
    /// Column means of the minibatch, for the running statistics.
    pub(crate) mean: Vec<f32>,
    /// Biased column variances of the minibatch.
    pub(crate) variance: Vec<f32>,
}

/// Batch-norm of x [rows, n] with minibatch statistics and scale γ, shift β ([n] each),
/// fused on the CPU (f32); `None` where the caller must use tensor ops (other devices and
/// dtypes).
pub(crate) fn batch_norm_train(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    eps: f64,
) -> candle_core::Result<Option<BatchNormed>> {
    let fused = x.device().is_cpu()
        && [x.dtype(), weight.dtype(), bias.dtype()] == [DType::F32; 3]
        && x.rank() == 2
        && weight.rank() == 1
        && x.dim(1)? == weight.dim(0)?;
    if !fused {
        return Ok(None);
    }
    let saved = Arc::new(Mutex::default());
    let op = BatchNormOp {
        eps,
        saved: saved.clone(),
    };
    let y = x
        .contiguous()?
        .apply_op3(&weight.contiguous()?, &bias.contiguous()?, op)?;
    let saved = lock(&saved)?;
    Ok(Some(BatchNormed {
        output: y,
        mean: saved.mean.clone(),
        variance: saved.variance.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::batch_norm_train;
    use candle_core::{Device, Tensor, Var};

    /// Output, statistics and all three gradients equal candle autograd through the
    /// tensor-op formula (within 1e-5 absolute), under a non-uniform upstream gradient.
    #[test]
    fn matches_autograd_of_the_tensor_formula() -> candle_core::Result<()> {
        let device = Device::Cpu;
        let eps = 1e-3;
        let x = Var::new(
            &[
                [1f32, -2.0, 0.5],
                [3.0, 4.0, 0.25],
                [-1.0, 0.0, 2.0],
                [2.0, 1.0, -3.0],
            ],
            &device,
        )?;
        let weight = Var::new(&[1.5f32, -0.5, 2.0], &device)?;
        let bias = Var::new(&[0.1f32, 0.2, -0.3], &device)?;
        let upstream = Tensor::new(
            &[
                [1f32, 2.0, -1.0],
                [0.5, 0.0, 3.0],
                [-2.0, 1.0, 1.0],
                [1.0, -1.0, 0.5],
            ],
            &device,
        )?;
        let super::BatchNormed {
            output: fused,
            mean,
            variance,
        } = batch_norm_train(x.as_tensor(), weight.as_tensor(), bias.as_tensor(), eps)?
            .expect("fused on the CPU");
        let m = x.as_tensor().mean_keepdim(0)?;
        let centred = x.as_tensor().broadcast_sub(&m)?;
        let v = centred.sqr()?.mean_keepdim(0)?;
        let reference = centred
            .broadcast_div(&(&v + eps)?.sqrt()?)?
            .broadcast_mul(weight.as_tensor())?
            .broadcast_add(bias.as_tensor())?;
        let close = |a: &[f32], b: &[f32]| {
            for (a, b) in a.iter().zip(b) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b}");
            }
        };
        close(&mean, &m.flatten_all()?.to_vec1::<f32>()?);
        close(&variance, &v.flatten_all()?.to_vec1::<f32>()?);
        let value = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        close(&value(&fused)?, &value(&reference)?);
        let grads_fused = (fused * &upstream)?.sum_all()?.backward()?;
        let grads_reference = (reference * &upstream)?.sum_all()?.backward()?;
        for var in [&x, &weight, &bias] {
            let get = |grads: &candle_core::backprop::GradStore| {
                grads
                    .get(var.as_tensor())
                    .expect("gradient")
                    .flatten_all()?
                    .to_vec1::<f32>()
            };
            close(&get(&grads_fused)?, &get(&grads_reference)?);
        }
        Ok(())
    }
}
