//! vaebio's own CUDA kernels (`*.cu` beside this file) as candle sees them: CUDA C compiled by
//! NVRTC the first time a process launches one (a fraction of a second; the `cuda` build needs
//! no compiler beyond candle's), and views of candle's CUDA storage to pass them.

use std::collections::HashMap;
use std::sync::Mutex;

use candle_core::cuda_backend::cudarc::driver::CudaView;
use candle_core::cuda_backend::cudarc::nvrtc::compile_ptx;
use candle_core::{CudaStorage, Layout, Result, Storage, Tensor, bail};

/// The PTX of the CUDA C `source` of `module`, compiled once per process.
pub(crate) fn ptx(module: &'static str, source: &'static str) -> Result<String> {
    static PTX: Mutex<Option<HashMap<&'static str, String>>> = Mutex::new(None);
    let mut compiled = PTX.lock().unwrap_or_else(|e| e.into_inner());
    let compiled = compiled.get_or_insert_with(HashMap::new);
    if let Some(ptx) = compiled.get(module) {
        return Ok(ptx.clone());
    }
    let ptx = compile_ptx(source)
        .map_err(|e| candle_core::Error::Msg(format!("NVRTC could not compile {module}: {e}")))?
        .to_src();
    compiled.insert(module, ptx.clone());
    Ok(ptx)
}

/// A contiguous f32 CUDA storage's values under `layout`.
pub(crate) fn view<'a>(storage: &'a CudaStorage, layout: &Layout) -> Result<CudaView<'a, f32>> {
    if !layout.is_contiguous() {
        bail!("vaebio's CUDA kernels take contiguous tensors");
    }
    let start = layout.start_offset();
    let slice = storage.as_cuda_slice::<f32>()?;
    Ok(slice.slice(start..start + layout.shape().elem_count()))
}

/// Runs `launch` with a view of `tensor`'s values, which must be a contiguous f32 CUDA tensor.
pub(crate) fn with_view<R>(
    tensor: &Tensor,
    launch: impl FnOnce(&CudaView<'_, f32>) -> Result<R>,
) -> Result<R> {
    let (storage, layout) = tensor.storage_and_layout();
    let Storage::Cuda(storage) = &*storage else {
        bail!("vaebio's CUDA kernels take CUDA tensors");
    };
    launch(&view(storage, layout)?)
}
