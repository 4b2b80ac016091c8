//! Pick the compute device by name, with a clear error when this build lacks it.

use candle_core::Device;

use crate::error::{Error, Result};

/// Open a device by name: `cpu`, `cuda`, `cuda:N`, `metal` or `metal:N`.
///
/// CUDA and Metal are only compiled in with the crate features `cuda` and `metal`; asking for
/// one the build lacks is an [`Error::DeviceUnavailable`] that says which feature to enable.
///
/// ```
/// let cpu = vaebio_model::device("cpu").unwrap();
/// assert!(cpu.is_cpu());
/// # #[cfg(not(feature = "cuda"))]
/// assert!(vaebio_model::device("cuda").is_err());
/// ```
pub fn device(name: &str) -> Result<Device> {
    let trimmed = name.trim().to_ascii_lowercase();
    let (kind, ordinal) = match trimmed.split_once(':') {
        Some((kind, ordinal)) => {
            let ordinal = ordinal
                .parse::<usize>()
                .map_err(|_| Error::DeviceUnavailable {
                    name: name.to_string(),
                    reason: format!(
                        "`{ordinal}` is not a device number — write e.g. `cuda:0` or `cpu`"
                    ),
                })?;
            (kind.to_string(), ordinal)
        }
        None => (trimmed, 0),
    };
    match kind.as_str() {
        "cpu" => Ok(Device::Cpu),
        "cuda" | "gpu" => open_cuda(name, ordinal),
        "metal" => open_metal(name, ordinal),
        _ => Err(Error::DeviceUnavailable {
            name: name.to_string(),
            reason: "unknown device kind — use `cpu`, `cuda`, `cuda:N`, `metal` or `metal:N`"
                .to_string(),
        }),
    }
}

#[cfg(feature = "cuda")]
fn open_cuda(name: &str, ordinal: usize) -> Result<Device> {
    let device = Device::new_cuda(ordinal).map_err(|e| Error::DeviceUnavailable {
        name: name.to_string(),
        reason: format!(
            "CUDA could not open GPU {ordinal} ({}) — check the driver and `nvidia-smi`",
            without_backtrace(e)
        ),
    })?;
    Ok(without_event_tracking(device))
}

/// The device with candle's per-tensor CUDA events turned off: they order uses of a tensor
/// across streams, host work on every op, and every kernel, copy and cuBLAS call of a vaebio
/// device runs on its one stream, whose order alone keeps uses apart.
#[cfg(feature = "cuda")]
#[allow(unsafe_code)]
fn without_event_tracking(device: Device) -> Device {
    if let Device::Cuda(cuda) = &device {
        // SAFETY: one stream (above): no tensor is shared between streams.
        unsafe { cuda.disable_event_tracking() };
    }
    device
}

#[cfg(not(feature = "cuda"))]
fn open_cuda(name: &str, _ordinal: usize) -> Result<Device> {
    Err(Error::DeviceUnavailable {
        name: name.to_string(),
        reason: "this build has no CUDA support — rebuild with `--features cuda`, or use `cpu`"
            .to_string(),
    })
}

#[cfg(feature = "metal")]
fn open_metal(name: &str, ordinal: usize) -> Result<Device> {
    Device::new_metal(ordinal).map_err(|e| Error::DeviceUnavailable {
        name: name.to_string(),
        reason: format!(
            "Metal could not open GPU {ordinal} ({})",
            without_backtrace(e)
        ),
    })
}

#[cfg(not(feature = "metal"))]
fn open_metal(name: &str, _ordinal: usize) -> Result<Device> {
    Err(Error::DeviceUnavailable {
        name: name.to_string(),
        reason: "this build has no Metal support — rebuild with `--features metal`, or use `cpu`"
            .to_string(),
    })
}

/// candle's error without the backtrace it attaches when `RUST_BACKTRACE` is set, so the
/// message stays one line.
#[cfg(any(feature = "cuda", feature = "metal"))]
fn without_backtrace(error: candle_core::Error) -> candle_core::Error {
    match error {
        candle_core::Error::WithBacktrace { inner, .. } => *inner,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_opens_and_unknown_names_fail() {
        assert!(device("cpu").unwrap().is_cpu());
        assert!(device(" CPU ").unwrap().is_cpu());
        let err = device("tpu").unwrap_err().to_string();
        assert!(err.contains("unknown device kind"), "{err}");
        let err = device("cuda:x").unwrap_err().to_string();
        assert!(err.contains("not a device number"), "{err}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_feature_names_the_feature() {
        let err = device("cuda:0").unwrap_err().to_string();
        assert!(err.contains("--features cuda"), "{err}");
    }
}
