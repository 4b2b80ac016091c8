//! The AdamW step of one variable as one CUDA kernel (`adamw_cuda.cu`), in place: the host
//! optimiser's arithmetic, with one launch per variable instead of some fifteen tensor ops and
//! three copies.

use candle_core::cuda_backend::WrapErr;
use candle_core::cuda_backend::cudarc::driver::{LaunchConfig, PushKernelArg};
use candle_core::{DType, Device, Result, Tensor, Var};

use crate::ops::cuda_kernels::{ptx, with_view};

const SOURCE: &str = include_str!("adamw_cuda.cu");
const MODULE: &str = "vaebio_adamw";

/// The scalars of a step: β₁, β₂, the bias corrections 1/(1 − βᵗ) of m and v, the decay
/// factor 1 − lr·weight decay, lr and ε.
pub(crate) struct Step {
    pub(crate) beta1: f32,
    pub(crate) beta2: f32,
    pub(crate) scale_m: f32,
    pub(crate) scale_v: f32,
    pub(crate) decay: f32,
    pub(crate) lr: f32,
    pub(crate) eps: f32,
}

/// Whether the kernel takes this variable: f32 on a CUDA GPU, contiguous, its moments alike.
pub(crate) fn applies(theta: &Var, m: &Var, v: &Var, grad: &Tensor) -> bool {
    let tensors = [theta.as_tensor(), m.as_tensor(), v.as_tensor(), grad];
    matches!(theta.device(), Device::Cuda(_))
        && tensors
            .iter()
            .all(|t| t.dtype() == DType::F32 && t.is_contiguous() && t.shape() == theta.shape())
}

/// θ, m and v updated in place from `grad` (see [`applies`]).
#[allow(unsafe_code)]
pub(crate) fn step(theta: &Var, m: &Var, v: &Var, grad: &Tensor, s: &Step) -> Result<()> {
    let Device::Cuda(device) = theta.device() else {
        candle_core::bail!("{MODULE} runs on CUDA tensors only");
    };
    let n = theta.elem_count();
    let func = device.get_or_load_custom_func("adamw_step", MODULE, &ptx(MODULE, SOURCE)?)?;
    let n_arg = n as i64;
    with_view(theta.as_tensor(), |theta| {
        with_view(m.as_tensor(), |m| {
            with_view(v.as_tensor(), |v| {
                with_view(grad, |grad| {
                    let mut builder = func.builder();
                    builder.arg(theta).arg(m).arg(v).arg(grad).arg(&n_arg);
                    builder
                        .arg(&s.beta1)
                        .arg(&s.beta2)
                        .arg(&s.scale_m)
                        .arg(&s.scale_v);
                    builder.arg(&s.decay).arg(&s.lr).arg(&s.eps);
                    // SAFETY: the arguments follow the kernel's signature and each buffer
                    // holds the n values of its variable. The kernel writes θ, m and v
                    // through views of the optimiser's own variables: stream order keeps
                    // their other uses (the step's forward pass, the next one) apart.
                    unsafe { builder.launch(LaunchConfig::for_num_elems(n as u32)) }.w()?;
                    Ok(())
                })
            })
        })
    })
}
