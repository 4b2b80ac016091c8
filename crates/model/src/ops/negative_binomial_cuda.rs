//! The negative binomial log-likelihood of decoder logits as two CUDA kernels (forward and
//! backward, `negative_binomial_cuda.cu`), the GPU counterpart of `negative_binomial`'s fused
//! CPU op. Candle's composite form costs some 250 launches over the `[batch, genes]` values
//! per step (the softmax, three Stirling-series ln Γ and their backward); these kernels take
//! one pass each way, in double precision inside, with one block per row.

use candle_core::backend::BackendStorage;
use candle_core::cuda_backend::WrapErr;
use candle_core::cuda_backend::cudarc::driver::{CudaView, LaunchConfig, PushKernelArg};
use candle_core::{CpuStorage, CudaStorage, CustomOp3, DType, Layout, Result, Shape, Tensor, bail};

use crate::ops::cuda_kernels::{ptx, view, with_view};

const SOURCE: &str = include_str!("negative_binomial_cuda.cu");
const MODULE: &str = "vaebio_negative_binomial";
/// Threads per block: `THREADS` in the kernel source.
const THREADS: u32 = 256;

/// Log p(x | μ = softmax(logits)·library, θ) per value (`[batch, genes]`) or summed over each
/// row (`[batch]`), on CUDA f32 tensors: x and logits `[batch, genes]`, library `[batch]` or
/// `[batch, 1]`, θ `[genes]`.
pub(crate) fn log_prob(
    x: &Tensor,
    logits: &Tensor,
    library: &Tensor,
    theta: &Tensor,
    sum_rows: bool,
) -> Result<Tensor> {
    let op = Kernel {
        library: library.flatten_all()?.to_dtype(DType::F32)?.contiguous()?,
        grad: None,
        sum_rows,
    };
    x.contiguous()?
        .apply_op3(&logits.contiguous()?, &theta.contiguous()?, op)
}

/// Runs `function` with one block per row over (x, logits, θ, library, extra…) and writes
/// `out_len` f32 values.
#[allow(clippy::too_many_arguments, unsafe_code)]
fn launch(
    function: &str,
    (x, x_layout): (&CudaStorage, &Layout),
    (logits, logits_layout): (&CudaStorage, &Layout),
    (theta, theta_layout): (&CudaStorage, &Layout),
    library: &Tensor,
    grad: Option<&Tensor>,
    out_len: usize,
    sum_rows: bool,
) -> Result<CudaStorage> {
    let (rows, genes) = x_layout.shape().dims2()?;
    if logits_layout.shape().dims2()? != (rows, genes) || theta_layout.shape().dims1()? != genes {
        bail!("{MODULE}: x and logits must be [batch, genes] and theta [genes]");
    }
    let per_row_grad = if sum_rows { rows } else { rows * genes };
    if library.elem_count() != rows || grad.is_some_and(|g| g.elem_count() != per_row_grad) {
        bail!("{MODULE}: one library size per row, and a gradient shaped like the output");
    }
    let device = x.device().clone();
    let (x, logits) = (view(x, x_layout)?, view(logits, logits_layout)?);
    let theta = view(theta, theta_layout)?;
    // SAFETY: the kernel writes every one of the `out_len` values.
    let out = unsafe { device.alloc::<f32>(out_len)? };
    let (rows_arg, genes_arg, sum_arg) = (rows as i32, genes as i32, i32::from(sum_rows));
    let config = LaunchConfig {
        grid_dim: (rows as u32, 1, 1),
        block_dim: (THREADS, 1, 1),
        shared_mem_bytes: 0,
    };
    let func = device.get_or_load_custom_func(function, MODULE, &ptx(MODULE, SOURCE)?)?;
    with_view(library, |library| {
        let run = |grad: Option<&CudaView<'_, f32>>| {
            let mut builder = func.builder();
            builder.arg(&x).arg(&logits).arg(&theta).arg(library);
            if let Some(grad) = grad {
                builder.arg(grad).arg(&out).arg(&rows_arg);
            } else {
                builder.arg(&out);
            }
            builder.arg(&genes_arg).arg(&sum_arg);
            // SAFETY: the arguments follow the kernels' signatures, and every buffer covers
            // the [rows, genes] (or [rows], [genes]) values the kernel reads or writes.
            unsafe { builder.launch(config) }.w()?;
            Ok(())
        };
        match grad {
            Some(grad) => with_view(grad, |grad| run(Some(grad))),
            None => run(None),
        }
    })?;
    Ok(CudaStorage::wrap_cuda_slice(out, device))
}

/// One of the kernels as a candle op over (x, logits, θ): the forward pass, or with `grad`
/// the backward one, whose output is `[2, batch, genes]`: ∂/∂logits, then the per-value ∂/∂θ.
struct Kernel {
    library: Tensor,
    grad: Option<Tensor>,
    sum_rows: bool,
}

impl CustomOp3 for Kernel {
    fn name(&self) -> &'static str {
        if self.grad.is_some() {
            "negative-binomial-cuda-backward"
        } else {
            "negative-binomial-cuda"
        }
    }

    fn cpu_fwd(
        &self,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        bail!("{MODULE} runs on CUDA tensors only")
    }

    fn cuda_fwd(
        &self,
        x: &CudaStorage,
        x_layout: &Layout,
        logits: &CudaStorage,
        logits_layout: &Layout,
        theta: &CudaStorage,
        theta_layout: &Layout,
    ) -> Result<(CudaStorage, Shape)> {
        let (rows, genes) = x_layout.shape().dims2()?;
        let (function, out_len, shape) = match (&self.grad, self.sum_rows) {
            (Some(_), _) => (
                "nb_backward",
                2 * rows * genes,
                Shape::from((2, rows, genes)),
            ),
            (None, true) => ("nb_forward", rows, Shape::from(rows)),
            (None, false) => ("nb_forward", rows * genes, Shape::from((rows, genes))),
        };
        let out = launch(
            function,
            (x, x_layout),
            (logits, logits_layout),
            (theta, theta_layout),
            &self.library,
            self.grad.as_ref(),
            out_len,
            self.sum_rows,
        )?;
        Ok((out, shape))
    }

    fn bwd(
        &self,
        x: &Tensor,
        logits: &Tensor,
        theta: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        if self.grad.is_some() {
            bail!("{MODULE}: no second derivatives");
        }
        let backward = Kernel {
            library: self.library.clone(),
            grad: Some(grad_res.to_dtype(DType::F32)?.contiguous()?),
            sum_rows: self.sum_rows,
        };
        let grads = x.apply_op3_no_bwd(logits, theta, &backward)?;
        let d_logits = grads.get(0)?;
        let d_theta = grads.get(1)?.sum(0)?;
        Ok((None, Some(d_logits), Some(d_theta)))
    }
}
