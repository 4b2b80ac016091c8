//! DeepSequence's group-sparse scaling of the last decoder layer as one fused CPU op:
//! w'[l·C + c, h] = w[l·C + c, h] · s[l, h], every channel c of column l scaled by the
//! column's scale for hidden unit h. As candle's broadcast product over the middle axis it took
//! a quarter of a `--preset deepsequence` step on two cores (perf: the broadcast kernel, forward
//! and backward, over the ~20 M weights, and the zero-filled gradient buffers); here it is one
//! pass forward and one back, parallel over the columns. Other devices and dtypes take the
//! broadcast product.

use candle_core::{CpuStorage, CustomOp2, DType, Layout, Shape, Tensor, bail};
use rayon::prelude::*;

use crate::ops::negative_binomial::{f32_slice, with_f32};

/// `weight` `[columns · channels, hidden]` with row l·C + c multiplied by `scales[l]`
/// (`scales` `[columns, hidden]`).
pub(crate) fn scale_groups(weight: &Tensor, scales: &Tensor) -> candle_core::Result<Tensor> {
    let (n_out, hidden) = weight.dims2()?;
    let (columns, scale_hidden) = scales.dims2()?;
    if scale_hidden != hidden || columns == 0 || n_out % columns != 0 {
        bail!(
            "group scaling: weight {n_out} x {hidden} does not fit scales {columns} x {scale_hidden}"
        )
    }
    let fused = [weight, scales]
        .iter()
        .all(|t| t.device().is_cpu() && t.dtype() == DType::F32);
    if fused {
        return weight
            .contiguous()?
            .apply_op2(&scales.contiguous()?, GroupScaleOp);
    }
    weight
        .reshape((columns, n_out / columns, hidden))?
        .broadcast_mul(&scales.unsqueeze(1)?)?
        .reshape((n_out, hidden))
}

/// `values` `[columns · channels, hidden]` times `scales` `[columns, hidden]` row-group by
/// row-group, in parallel over the columns.
fn scaled(values: &[f32], scales: &[f32], hidden: usize) -> Vec<f32> {
    let group = values.len() / (scales.len() / hidden);
    let mut out = vec![0f32; values.len()];
    out.par_chunks_mut(group)
        .zip(values.par_chunks(group))
        .zip(scales.par_chunks(hidden))
        .for_each(|((out, values), scale)| {
            for (out, values) in out.chunks_mut(hidden).zip(values.chunks(hidden)) {
                for ((o, &v), &s) in out.iter_mut().zip(values).zip(scale) {
                    *o = v * s;
                }
            }
        });
    out
}

struct GroupScaleOp;

impl CustomOp2 for GroupScaleOp {
    fn name(&self) -> &'static str {
        "group-scale"
    }

    fn cpu_fwd(
        &self,
        weight: &CpuStorage,
        weight_layout: &Layout,
        scales: &CpuStorage,
        scales_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let hidden = scales_layout.dims()[1];
        let weight = f32_slice(weight, weight_layout)?;
        let scales = f32_slice(scales, scales_layout)?;
        Ok((
            CpuStorage::F32(scaled(weight, scales, hidden)),
            weight_layout.shape().clone(),
        ))
    }

    /// ∂/∂w = g·s, ∂/∂s[l, h] = Σ_c g[l·C + c, h]·w[l·C + c, h].
    fn bwd(
        &self,
        weight: &Tensor,
        scales: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let hidden = scales.dim(1)?;
        let (d_weight, d_scales) = with_f32(grad_res, |grad| {
            with_f32(scales, |scales| {
                with_f32(weight, |weight| {
                    let group = weight.len() / (scales.len() / hidden);
                    let mut d_scales = vec![0f32; scales.len()];
                    d_scales
                        .par_chunks_mut(hidden)
                        .zip(grad.par_chunks(group))
                        .zip(weight.par_chunks(group))
                        .for_each(|((d, grad), weight)| {
                            for (grad, weight) in grad.chunks(hidden).zip(weight.chunks(hidden)) {
                                for ((d, &g), &w) in d.iter_mut().zip(grad).zip(weight) {
                                    *d += g * w;
                                }
                            }
                        });
                    Ok((scaled(grad, scales, hidden), d_scales))
                })
            })
        })?;
        Ok((
            Some(Tensor::from_vec(d_weight, weight.shape(), weight.device())?),
            Some(Tensor::from_vec(d_scales, scales.shape(), scales.device())?),
        ))
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor, Var};

    use super::scale_groups;
    use crate::ops::test_support::assert_same_gradient;

    /// Values and both gradients equal the broadcast product's: 3 columns × 4 channels × 5
    /// hidden units, and the transposed (non-contiguous) scales the decoder passes.
    #[test]
    fn fused_scaling_equals_the_broadcast_product() -> candle_core::Result<()> {
        let device = Device::Cpu;
        let (columns, channels, hidden) = (3, 4, 5);
        let n_out = columns * channels;
        let weight = Var::from_tensor(
            &Tensor::arange(0f32, (n_out * hidden) as f32, &device)?
                .affine(0.1, -2.0)?
                .sin()?
                .reshape((n_out, hidden))?,
        )?;
        // [hidden, columns], passed transposed as the decoder does
        let scales = Var::from_tensor(
            &Tensor::arange(0f32, (hidden * columns) as f32, &device)?
                .affine(0.3, 0.5)?
                .cos()?
                .reshape((hidden, columns))?,
        )?;
        let fused = scale_groups(weight.as_tensor(), &scales.as_tensor().t()?)?;
        let reference = weight
            .as_tensor()
            .reshape((columns, channels, hidden))?
            .broadcast_mul(&scales.as_tensor().t()?.unsqueeze(1)?)?
            .reshape((n_out, hidden))?;
        let (a, b) = (
            fused.flatten_all()?.to_vec1::<f32>()?,
            reference.flatten_all()?.to_vec1::<f32>()?,
        );
        assert_eq!(a, b);
        let weights = Tensor::arange(0f32, (n_out * hidden) as f32, &device)?
            .affine(0.7, 0.0)?
            .cos()?
            .reshape((n_out, hidden))?;
        assert_same_gradient(&fused, &reference, &weights, &weight)?;
        assert_same_gradient(&fused, &reference, &weights, &scales)?;
        assert!(scale_groups(weight.as_tensor(), scales.as_tensor()).is_err());
        Ok(())
    }
}
