//! A given gradient fed into a backward pass: [`seeded`]`(x, g)` is a scalar whose gradient
//! with respect to `x` is `g`, so that `seeded(x, g).backward()` carries `g` back through
//! whatever made `x`. Candle starts every backward pass from a scalar; as ⟨x, g⟩ =
//! Σ x·g that costs a product and a sum forward and, backward, a tensor of ones and another
//! product, four passes over `x`, where the fused CPU op makes none: its value is 0 (only its
//! gradient means anything) and its backward hands `g` on as it is. Other devices and dtypes
//! take ⟨x, g⟩.

use candle_core::{CpuStorage, CustomOp2, DType, Layout, Shape, Tensor};

/// A scalar whose gradient with respect to `x` is `g` (same shape; `g` gets none). Its value
/// is 0 on the CPU in f32, ⟨x, g⟩ elsewhere: use it for its gradient only.
pub(crate) fn seeded(x: &Tensor, g: &Tensor) -> candle_core::Result<Tensor> {
    let g = g.detach();
    if x.device().is_cpu() && x.dtype() == DType::F32 && x.dims() == g.dims() {
        return x.apply_op2(&g, SeedOp);
    }
    x.mul(&g)?.sum_all()
}

struct SeedOp;

impl CustomOp2 for SeedOp {
    fn name(&self) -> &'static str {
        "gradient-seed"
    }

    fn cpu_fwd(
        &self,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        Ok((CpuStorage::F32(vec![0.0]), Shape::from(())))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        g: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        // the backward pass starts from 1: g itself, without a pass over it
        let grad = if grad_res.to_dtype(DType::F32)?.to_scalar::<f32>()? == 1.0 {
            g.clone()
        } else {
            g.broadcast_mul(grad_res)?
        };
        Ok((Some(grad), None))
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};

    use super::seeded;

    /// The gradient of seeded(f(v), g) with respect to v is J_fᵀ g: for f(v) = 3·v², 6·v·g,
    /// by hand; and a sum of two seeds adds their gradients.
    #[test]
    fn the_seed_is_the_gradient() -> candle_core::Result<()> {
        let v = Var::new(&[1.0f32, -2.0, 0.5], &Device::Cpu)?;
        let f = (v.as_tensor().sqr()? * 3.0)?;
        let g = candle_core::Tensor::new(&[0.5f32, 1.0, -4.0], &Device::Cpu)?;
        let grads = seeded(&f, &g)?.backward()?;
        let got = grads.get(&v).expect("a gradient").to_vec1::<f32>()?;
        assert_eq!(got, vec![3.0, -12.0, -12.0]);
        let twice = (seeded(&f, &g)? + seeded(&f, &g)?)?.backward()?;
        let got = twice.get(&v).expect("a gradient").to_vec1::<f32>()?;
        assert_eq!(got, vec![6.0, -24.0, -24.0]);
        Ok(())
    }
}
