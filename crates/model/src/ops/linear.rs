//! y = x Wᵀ + b as one CPU op with its own backward pass.
//!
//! candle's `matmul` backward always computes the gradient of both operands, so the first
//! encoder layer paid a [batch, genes] product (and a zero-filled buffer to add it to) for
//! the gradient of the data itself; and with W used through `W.t()`, W's gradient came back
//! transposed and was added through candle's strided path. Here ∂W = (∂y)ᵀ x comes out
//! contiguous, ∂b is a contiguous column sum (candle's `broadcast_add` backward reduces over
//! dimension 0 with two integer divisions per element: ~7% of an NB step for the
//! [batch, genes] head) and ∂x is computed only where the input needs it. The products are
//! candle's own CPU matmul (gemm), except where x is data with at most one non-zero in 16
//! (a one-hot alignment): then x Wᵀ and ∂W = (∂y)ᵀ x run over x's non-zeros only
//! ([`SparseRows`]).

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp3, DType, Layout, Shape, Tensor, bail};

use crate::ops::negative_binomial::{f32_slice, with_f32};
use crate::ops::sparse_rows::SparseRows;

/// Σ over rows of the row-major `values` with rows of `n`: the column sums, in one
/// contiguous pass (candle's dim-0 reduce does two integer divisions per element).
pub(crate) fn column_sums(values: &[f32], n: usize) -> Vec<f32> {
    let mut sums = vec![0f32; n];
    for row in values.chunks_exact(n) {
        for (sum, &v) in sums.iter_mut().zip(row) {
            *sum += v;
        }
    }
    sums
}

/// x [rows, n_in] · weight [n_out, n_in]ᵀ + bias [n_out] (f32, CPU).
struct Linear {
    /// Whether backward returns ∂x (false when x is data, not a function of variables).
    input_gradient: bool,
}

impl Linear {
    /// x's non-zeros when x is data (no gradient) and sparse enough for [`SparseRows`].
    fn sparse_input(
        &self,
        x: &CpuStorage,
        layout: &Layout,
        n_in: usize,
    ) -> candle_core::Result<Option<SparseRows>> {
        if self.input_gradient || !matches!(x, CpuStorage::F32(_)) {
            return Ok(None);
        }
        Ok(SparseRows::of(f32_slice(x, layout)?, n_in))
    }
}

impl CustomOp3 for Linear {
    fn name(&self) -> &'static str {
        "linear"
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
        let (rows, n_in) = x_layout.shape().dims2()?;
        let (n_out, weight_in) = weight_layout.shape().dims2()?;
        if weight_in != n_in || bias_layout.shape().elem_count() != n_out {
            bail!("linear: x [{rows}, {n_in}], weight [{n_out}, {weight_in}] and bias differ")
        }
        if let Some(sparse) = self.sparse_input(x, x_layout, n_in)? {
            let weight = f32_slice(weight, weight_layout)?;
            let bias = f32_slice(bias, bias_layout)?;
            let out = sparse.times_transposed(weight, bias);
            return Ok((CpuStorage::F32(out), Shape::from((rows, n_out))));
        }
        let product = x.matmul(
            weight,
            (1, rows, n_out, n_in),
            x_layout,
            &weight_layout.transpose(0, 1)?,
        )?;
        let Some((b0, b1)) = bias_layout.contiguous_offsets() else {
            bail!("linear: bias must be contiguous")
        };
        let bias = &bias.as_slice::<f32>()?[b0..b1];
        let mut out = match product {
            CpuStorage::F32(values) => values,
            _ => bail!("linear: f32 only"),
        };
        for row in out.chunks_exact_mut(n_out) {
            for (v, &b) in row.iter_mut().zip(bias) {
                *v += b;
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((rows, n_out))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        bias: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad_res.contiguous()?;
        let n_out = bias.elem_count();
        let d_weight = if self.input_gradient {
            None
        } else {
            let n_in = weight.dims().last().copied().unwrap_or(0);
            with_f32(x, |x| Ok(SparseRows::of(x, n_in)))?
                .map(|sparse| {
                    let product = with_f32(&grad, |grad| Ok(sparse.gradient_product(grad, n_out)))?;
                    Tensor::from_vec(product, weight.shape(), weight.device())
                })
                .transpose()?
        };
        let d_weight = match d_weight {
            Some(d_weight) => d_weight,
            None => grad.t()?.matmul(x)?,
        };
        let sums = column_sums(&grad.flatten_all()?.to_vec1::<f32>()?, n_out);
        let d_bias = Tensor::from_vec(sums, bias.shape(), bias.device())?;
        let d_x = if self.input_gradient {
            Some(grad.matmul(weight)?)
        } else {
            None
        };
        Ok((d_x, Some(d_weight), Some(d_bias)))
    }
}

/// x Wᵀ + b for x [rows, n_in], W [n_out, n_in], b [n_out]: the fused op for f32 on the
/// CPU, candle ops elsewhere. ∂x is computed only when x depends on variables.
pub(crate) fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
    let fused = x.device().is_cpu()
        && [x.dtype(), weight.dtype(), bias.dtype()] == [DType::F32; 3]
        && x.rank() == 2
        && weight.rank() == 2
        && bias.rank() == 1;
    if fused {
        x.contiguous()?.apply_op3(
            &weight.contiguous()?,
            &bias.contiguous()?,
            Linear {
                input_gradient: x.track_op(),
            },
        )
    } else {
        x.matmul(&weight.t()?)?.broadcast_add(bias)
    }
}

#[cfg(test)]
mod tests {
    use super::linear;
    use candle_core::{Device, Tensor, Var};

    /// Output and gradients equal candle autograd of x.matmul(W.t()) + b (within 1e-5),
    /// with ∂x for a variable input and without for a data input.
    #[test]
    fn matches_autograd_of_matmul_plus_bias() -> candle_core::Result<()> {
        let device = Device::Cpu;
        let x = Var::new(&[[1f32, -2.0, 0.5], [3.0, 4.0, 0.25]], &device)?;
        let weight = Var::new(&[[0.5f32, -1.0, 2.0], [1.5, 0.25, -0.75]], &device)?;
        let bias = Var::new(&[0.1f32, -0.2], &device)?;
        let upstream = Tensor::new(&[[1f32, -2.0], [0.5, 3.0]], &device)?;
        let reference = x
            .as_tensor()
            .matmul(&weight.as_tensor().t()?)?
            .broadcast_add(bias.as_tensor())?;
        let reference_grads = (&reference * &upstream)?.sum_all()?.backward()?;
        let values = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        let close = |a: &[f32], b: &[f32]| {
            assert_eq!(a.len(), b.len());
            for (a, b) in a.iter().zip(b) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b}");
            }
        };
        for input_gradient in [true, false] {
            let input = if input_gradient {
                x.as_tensor().clone()
            } else {
                x.as_tensor().detach()
            };
            let y = linear(&input, weight.as_tensor(), bias.as_tensor())?;
            close(&values(&y)?, &values(&reference)?);
            let grads = (y * &upstream)?.sum_all()?.backward()?;
            for var in [&weight, &bias] {
                let got = grads.get(var.as_tensor()).expect("gradient");
                let expected = reference_grads.get(var.as_tensor()).expect("gradient");
                close(&values(got)?, &values(expected)?);
            }
            let d_x = grads.get(x.as_tensor());
            assert_eq!(d_x.is_some(), input_gradient);
            if let Some(d_x) = d_x {
                let expected = reference_grads.get(x.as_tensor()).expect("gradient");
                close(&values(d_x)?, &values(expected)?);
            }
        }
        Ok(())
    }

    /// A one-hot data input takes the sparse path: output and ∂W, ∂b equal autograd's
    /// dense products (within 1e-5).
    #[test]
    fn sparse_data_input_matches_autograd() -> candle_core::Result<()> {
        let device = Device::Cpu;
        let mut one_hot = vec![0f32; 4 * 32];
        for (row, col) in [(0, 3), (1, 17), (2, 3), (3, 31)] {
            one_hot[row * 32 + col] = 1.0;
        }
        let x = Tensor::from_vec(one_hot, (4, 32), &device)?;
        let values: Vec<f32> = (0..96).map(|i| ((i * 13) % 7) as f32 * 0.3 - 0.9).collect();
        let weight = Var::from_tensor(&Tensor::from_vec(values, (3, 32), &device)?)?;
        let bias = Var::new(&[0.1f32, -0.2, 0.3], &device)?;
        let upstream =
            Tensor::from_vec((0..12).map(|i| i as f32 - 5.5).collect(), (4, 3), &device)?;
        let reference = x
            .matmul(&weight.as_tensor().t()?)?
            .broadcast_add(bias.as_tensor())?;
        let reference_grads = (&reference * &upstream)?.sum_all()?.backward()?;
        let y = linear(&x, weight.as_tensor(), bias.as_tensor())?;
        let grads = (&y * &upstream)?.sum_all()?.backward()?;
        let pairs = [
            (y.clone(), reference.clone()),
            (
                grads.get(weight.as_tensor()).expect("∂W").clone(),
                reference_grads.get(weight.as_tensor()).expect("∂W").clone(),
            ),
            (
                grads.get(bias.as_tensor()).expect("∂b").clone(),
                reference_grads.get(bias.as_tensor()).expect("∂b").clone(),
            ),
        ];
        for (got, expected) in pairs {
            let (got, expected) = (
                got.flatten_all()?.to_vec1::<f32>()?,
                expected.flatten_all()?.to_vec1::<f32>()?,
            );
            assert_eq!(got.len(), expected.len());
            for (a, b) in got.iter().zip(&expected) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b}");
            }
        }
        Ok(())
    }
}
