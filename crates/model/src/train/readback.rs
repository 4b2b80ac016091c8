//! Loss values read back from the model's device. A step's −log p(x | z) and KL are scalar
//! tensors; reading one waits for everything queued before it, so on a GPU a read per step
//! would hold the host while the device runs the step, and the device while the host
//! assembles the next minibatch. The trainer therefore reads the steps' losses in groups: on
//! the CPU every step (the values are there already), on other devices every
//! [`DEVICE_READ_STEPS`] steps and at the end of the epoch, all of a group's values in one
//! transfer. The numbers are the same either way (f32 values summed in f64 in shard order).

use candle_core::{Device, Tensor};

use crate::error::Result;
use crate::train::loss::Losses;

/// Steps whose losses a GPU trainer reads at once.
pub(crate) const DEVICE_READ_STEPS: usize = 32;

/// One step's loss terms as tensors, per shard in shard order, with what turns them into
/// [`Losses`].
pub(crate) struct StepTerms {
    /// −log p(x | z) per shard: scalars, summed over a shard's rows and divided by the
    /// minibatch's divisor.
    pub(crate) recon: Vec<Tensor>,
    /// KL per shard, likewise (before the KL weight).
    pub(crate) kl: Vec<Tensor>,
    /// The step's KL weight.
    pub(crate) kl_weight: f64,
    /// The step's regularizer, a number already.
    pub(crate) regularizer: f64,
    /// The minibatch's row count or weight sum.
    pub(crate) rows_weight: f64,
}

/// Steps whose losses have not been read yet.
pub(crate) struct PendingLosses {
    steps: Vec<StepTerms>,
    read_every: usize,
}

impl PendingLosses {
    /// Read every step on the CPU, every [`DEVICE_READ_STEPS`] elsewhere.
    pub(crate) fn new(device: &Device) -> Self {
        let read_every = if device.is_cpu() {
            1
        } else {
            DEVICE_READ_STEPS
        };
        Self {
            steps: Vec::with_capacity(read_every),
            read_every,
        }
    }

    /// Add a step; returns whether the group is due to be read (it is full, or `last`).
    pub(crate) fn push(&mut self, step: StepTerms, last: bool) -> bool {
        self.steps.push(step);
        last || self.steps.len() >= self.read_every
    }

    /// The waiting steps' [`Losses`] and row weights, in step order, in one read.
    pub(crate) fn read(&mut self) -> Result<Vec<(Losses, f64)>> {
        let tensors: Vec<&Tensor> = self
            .steps
            .iter()
            .flat_map(|step| step.recon.iter().chain(&step.kl))
            .collect();
        let mut values = read_scalars(&tensors)?.into_iter();
        let mut sum = |n: usize| values.by_ref().take(n).sum::<f64>();
        let losses = self
            .steps
            .iter()
            .map(|step| {
                let recon = sum(step.recon.len());
                let kl = sum(step.kl.len());
                let losses = Losses::new(recon, kl, step.kl_weight, step.regularizer);
                (losses, step.rows_weight)
            })
            .collect();
        self.steps.clear();
        Ok(losses)
    }
}

/// Scalar f32 tensors (of one device) as f64, in one transfer from the device.
pub(crate) fn read_scalars(values: &[&Tensor]) -> Result<Vec<f64>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let flat: Vec<Tensor> = values
        .iter()
        .map(|value| value.reshape(1))
        .collect::<candle_core::Result<_>>()?;
    let host = Tensor::cat(&flat, 0)?.to_vec1::<f32>()?;
    Ok(host.into_iter().map(f64::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two steps of two shards: each step's parts summed in f64, its total by hand.
    #[test]
    fn a_group_reads_each_steps_sums_in_order() -> Result<()> {
        let scalar = |v: f32| Tensor::new(v, &Device::Cpu).unwrap();
        let step = |r: [f32; 2], k: [f32; 2], weight: f64| StepTerms {
            recon: r.iter().map(|&v| scalar(v)).collect(),
            kl: k.iter().map(|&v| scalar(v)).collect(),
            kl_weight: weight,
            regularizer: 0.25,
            rows_weight: 64.0,
        };
        assert!(PendingLosses::new(&Device::Cpu).push(step([1.0; 2], [1.0; 2], 1.0), false));
        let mut pending = PendingLosses {
            steps: Vec::new(),
            read_every: 2,
        };
        assert!(!pending.push(step([1.5, 2.0], [0.5, 0.25], 0.5), false));
        assert!(pending.push(step([0.1, 0.2], [1.0, 3.0], 1.0), false));
        let read = pending.read()?;
        assert_eq!(read.len(), 2);
        let (first, rows) = read[0];
        assert_eq!(rows, 64.0);
        assert_eq!((first.recon, first.kl), (3.5, 0.75));
        assert_eq!(first.total, 3.5 + 0.5 * 0.75 + 0.25);
        let (second, _) = read[1];
        assert_eq!(second.recon, f64::from(0.1f32) + f64::from(0.2f32));
        assert_eq!(second.total, second.recon + 4.0 + 0.25);
        assert!(pending.read()?.is_empty());
        assert!(pending.push(step([1.0; 2], [1.0; 2], 1.0), true));
        Ok(())
    }
}
