//! y = x + b with b broadcast over the rows, as a CPU op whose backward sums the upstream
//! gradient over rows in one contiguous pass.
//!
//! candle's `broadcast_add` backward reduces over dimension 0, which its CPU backend does with
//! two integer divisions per element; for the decoder's [batch, genes] output head that
//! alone was ~7% of an NB training step.

use candle_core::{CpuStorage, CustomOp2, DType, Layout, Shape, Tensor, bail};

/// x [rows, n] + bias [n] (f32, CPU).
struct BiasAdd;

/// A contiguous f32 view of CPU storage.
fn f32_slice<'a>(storage: &'a CpuStorage, layout: &Layout) -> candle_core::Result<&'a [f32]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("bias add: inputs must be contiguous")
    };
    Ok(&storage.as_slice::<f32>()?[start..end])
}

/// Σ over rows of the row-major `values` with rows of `n`: the column sums.
pub(crate) fn column_sums(values: &[f32], n: usize) -> Vec<f32> {
    let mut sums = vec![0f32; n];
    for row in values.chunks_exact(n) {
        for (sum, &v) in sums.iter_mut().zip(row) {
            *sum += v;
        }
    }
    sums
}

impl CustomOp2 for BiasAdd {
    fn name(&self) -> &'static str {
        "bias-add"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        bias: &CpuStorage,
        bias_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, bias) = (f32_slice(x, x_layout)?, f32_slice(bias, bias_layout)?);
        if bias.is_empty() || x.len() % bias.len() != 0 {
            bail!("bias add: {} values for a bias of {}", x.len(), bias.len())
        }
        let mut out = Vec::with_capacity(x.len());
        for row in x.chunks_exact(bias.len()) {
            out.extend(row.iter().zip(bias).map(|(&v, &b)| v + b));
        }
        Ok((CpuStorage::F32(out), x_layout.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        bias: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let n = bias.elem_count();
        let grad = grad_res.flatten_all()?.to_vec1::<f32>()?;
        let d_bias = Tensor::from_vec(column_sums(&grad, n), bias.shape(), bias.device())?;
        Ok((Some(grad_res.clone()), Some(d_bias)))
    }
}

/// x [rows, n] + bias [n], broadcast over rows: the fused op for f32 on the CPU,
/// `broadcast_add` elsewhere.
pub(crate) fn add_bias(x: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
    let fused = x.device().is_cpu()
        && x.dtype() == DType::F32
        && bias.dtype() == DType::F32
        && x.rank() == 2
        && bias.rank() == 1
        && x.dim(1)? == bias.dim(0)?;
    if fused {
        x.contiguous()?.apply_op2(&bias.contiguous()?, BiasAdd)
    } else {
        x.broadcast_add(bias)
    }
}

#[cfg(test)]
mod tests {
    use super::add_bias;
    use candle_core::{Device, Tensor, Var};

    /// Values and gradients equal candle's `broadcast_add` under a non-uniform upstream
    /// gradient (bias gradient = column sums of upstream, by hand: [1 + 3, 2 + 4]).
    #[test]
    fn matches_broadcast_add_and_its_gradients() -> candle_core::Result<()> {
        let device = Device::Cpu;
        let x = Var::new(&[[1f32, 2.0], [3.0, 4.0]], &device)?;
        let bias = Var::new(&[0.5f32, -1.0], &device)?;
        let upstream = Tensor::new(&[[1f32, 2.0], [3.0, 4.0]], &device)?;
        let y = add_bias(x.as_tensor(), bias.as_tensor())?;
        let expected = x.as_tensor().broadcast_add(bias.as_tensor())?;
        assert_eq!(y.to_vec2::<f32>()?, expected.to_vec2::<f32>()?);
        let grads = (y * &upstream)?.sum_all()?.backward()?;
        let d_bias = grads.get(bias.as_tensor()).expect("bias gradient");
        assert_eq!(d_bias.to_vec1::<f32>()?, [4.0, 6.0]);
        let d_x = grads.get(x.as_tensor()).expect("x gradient");
        assert_eq!(d_x.to_vec2::<f32>()?, upstream.to_vec2::<f32>()?);
        Ok(())
    }
}
