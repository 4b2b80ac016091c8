//! Weights averaged over epochs ([`crate::TrainConfig::weight_averaging`]): an exponential
//! moving average of the weights at the epochs' ends (Polyak averaging). The model holds the
//! average at every epoch boundary (it is validated, kept by early stopping and saved as
//! such) and the weights being trained during an epoch, so the optimiser follows the same
//! path as without averaging.

use candle_core::{CpuStorage, InplaceOp2, Layout, Tensor, Var};
use rayon::prelude::*;

use crate::error::{Error, Result};

/// The average and the trained weights of the optimised variables, in the trainer's order.
pub(crate) struct WeightAverage {
    /// a: the share of the previous average in the next.
    decay: f64,
    /// The average so far (from the first epoch's end).
    average: Option<Vec<Tensor>>,
    /// The weights trained up to the last epoch's end (the model holding their average at
    /// that boundary); a resumable run's state at that boundary shares them.
    trained: Option<Vec<Var>>,
    /// The copy before `trained`, written over at the next epoch's end: two copies used in
    /// turn, so that the one a saved state shares stays as it was until that state is
    /// replaced, and no epoch allocates (fresh pages, which the kernel zeroes) for it. Only
    /// a resumable run keeps it (no state shares the copy of another).
    spare: Option<Vec<Var>>,
}

impl WeightAverage {
    /// Averaging with `decay` a, or `None` when a is 0 (off).
    pub(crate) fn new(decay: f64) -> Option<Self> {
        (decay > 0.0).then_some(Self {
            decay,
            average: None,
            trained: None,
            spare: None,
        })
    }

    /// Before an epoch's steps: the model takes back the weights trained.
    pub(crate) fn begin_epoch(&mut self, vars: &[Var]) -> Result<()> {
        if let Some(trained) = &self.trained {
            copy_into(vars, trained)?;
        }
        Ok(())
    }

    /// After an epoch's steps: the average takes in the weights trained, a · average +
    /// (1 − a) · trained (the trained weights themselves at the first epoch), and the model
    /// holds it. The variables are copied and blended on rayon's pool (a genotype model's two
    /// large weight matrices on two threads: one thread's copy does not take all the
    /// bandwidth). Unless the run is `resumable` (a saved state may share the previous
    /// copy), the trained weights are written over the previous copy, and no spare is kept.
    pub(crate) fn end_epoch(&mut self, vars: &[Var], resumable: bool) -> Result<()> {
        let reused = if resumable {
            self.spare.take()
        } else {
            self.trained.take()
        };
        let trained = match reused {
            Some(copy) => {
                copy_into(&copy, vars)?;
                copy
            }
            None => vars
                .iter()
                // `detach` shares the storage; `Var::from_tensor` of a non-variable copies it
                .map(|var| Var::from_tensor(&var.as_tensor().detach()))
                .collect::<candle_core::Result<_>>()?,
        };
        let average = match self.average.take() {
            // a copy of its own: the average is then updated in place
            None => values(vars)?,
            Some(mut average) => {
                vars.par_iter()
                    .zip(&mut average)
                    .zip(&trained)
                    .try_for_each(|((var, average), trained)| -> Result<()> {
                        blend(average, trained.as_tensor(), self.decay)?;
                        var.set(average)?;
                        Ok(())
                    })?;
                average
            }
        };
        self.average = Some(average);
        self.spare = self.trained.replace(trained);
        Ok(())
    }

    /// [`WeightAverage::trained`] paired with the variables' `names`, for a saved state: at an
    /// epoch boundary (once an epoch has ended), the weights a resumed run goes on training from.
    pub(crate) fn named_trained(&self, names: &[String]) -> Option<Vec<(String, Tensor)>> {
        self.trained.as_ref().map(|trained| {
            let values = trained.iter().map(|var| var.as_tensor().clone());
            names.iter().cloned().zip(values).collect()
        })
    }
}

/// Take up a saved state's trained weights (`trained`, by name in the trainer's order) after
/// `epochs_done` epochs, `vars` holding their average (the saved model); a state saved with
/// averaging resumed without it, or the other way round, is an error naming the flag.
pub(crate) fn resume_averaging(
    averaging: &mut Option<WeightAverage>,
    vars: &[Var],
    trained: Option<&[(String, Tensor)]>,
    epochs_done: usize,
) -> Result<()> {
    match (averaging, trained) {
        (Some(averaging), Some(trained)) => {
            averaging.average = Some(values(vars)?);
            averaging.trained = Some(
                trained
                    .iter()
                    // a copy (of a non-variable), written over by the next epochs, not the
                    // caller's tensors
                    .map(|(_, t)| Var::from_tensor(&t.detach()))
                    .collect::<candle_core::Result<_>>()?,
            );
            Ok(())
        }
        (None, None) => Ok(()),
        (Some(_), None) if epochs_done == 0 => Ok(()),
        (averaging, _) => Err(Error::Data(format!(
            "the interrupted run {} weights over epochs — resume with its --weight-averaging",
            if averaging.is_some() {
                "did not average"
            } else {
                "averaged"
            }
        ))),
    }
}

/// average ← a · average + (1 − a) · trained: in place on the CPU (no temporaries), as new
/// tensors elsewhere.
fn blend(average: &mut Tensor, trained: &Tensor, decay: f64) -> Result<()> {
    if average.device().is_cpu() {
        average.inplace_op2(trained, &Blend { decay })?;
    } else {
        *average = (average.affine(decay, 0.0)? + trained.affine(1.0 - decay, 0.0)?)?;
    }
    Ok(())
}

/// [`blend`] on CPU storage, with the f32 operations of candle's `affine` and `add` in the
/// same order, so that it gives the device path's values bit for bit.
struct Blend {
    decay: f64,
}

impl InplaceOp2 for Blend {
    fn name(&self) -> &'static str {
        "weight-average"
    }

    fn cpu_fwd(
        &self,
        average: &mut CpuStorage,
        average_layout: &Layout,
        trained: &CpuStorage,
        trained_layout: &Layout,
    ) -> candle_core::Result<()> {
        let (Some((a0, a1)), Some((t0, t1))) = (
            average_layout.contiguous_offsets(),
            trained_layout.contiguous_offsets(),
        ) else {
            candle_core::bail!("weight average: tensors must be contiguous")
        };
        let average = match average {
            CpuStorage::F32(values) => &mut values[a0..a1],
            _ => candle_core::bail!("weight average: f32 weights only"),
        };
        let trained = &trained.as_slice::<f32>()?[t0..t1];
        if average.len() != trained.len() {
            candle_core::bail!("weight average: the average and the weights differ in size")
        }
        let (keep, take) = (self.decay as f32, (1.0 - self.decay) as f32);
        for (average, &trained) in average.iter_mut().zip(trained) {
            *average = (*average * keep + 0.0) + (trained * take + 0.0);
        }
        Ok(())
    }
}

/// Each of `to` takes the value of its partner in `from`, in place, on rayon's pool (the
/// genotype model's two large weight matrices on two threads).
fn copy_into(to: &[Var], from: &[Var]) -> Result<()> {
    to.par_iter()
        .zip(from)
        .try_for_each(|(to, from)| to.set(from.as_tensor()))?;
    Ok(())
}

/// A detached copy of each variable's value.
fn values(vars: &[Var]) -> Result<Vec<Tensor>> {
    Ok(vars
        .iter()
        .map(|var| var.as_tensor().detach().copy())
        .collect::<candle_core::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::blend;

    /// The in-place CPU blend gives candle's tensor expression bit for bit (what keeps models
    /// trained before it the same), and changes the average it is given.
    #[test]
    fn in_place_blend_equals_the_tensor_expression() {
        let n = 1000;
        let mut average: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1013) as f32 / 97.0 - 5.0)
            .collect();
        let mut trained: Vec<f32> = (0..n)
            .map(|i| ((i * 104_729) % 2003) as f32 / 311.0 - 3.0)
            .collect();
        (average[0], trained[0], average[1], trained[1]) = (-0.0, -0.0, 1e-30, -1e30);
        let average = Tensor::from_vec(average, n, &Device::Cpu).unwrap();
        let trained = Tensor::from_vec(trained, n, &Device::Cpu).unwrap();
        for decay in [0.8, 0.5, 0.1, 0.999] {
            let expected = (average.affine(decay, 0.0).unwrap()
                + trained.affine(1.0 - decay, 0.0).unwrap())
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
            let mut blended = average.copy().unwrap();
            blend(&mut blended, &trained, decay).unwrap();
            let blended = blended.to_vec1::<f32>().unwrap();
            assert!(
                expected
                    .iter()
                    .zip(&blended)
                    .all(|(e, b)| e.to_bits() == b.to_bits()),
                "decay {decay}"
            );
            assert_ne!(blended, average.to_vec1::<f32>().unwrap());
        }
    }
}
