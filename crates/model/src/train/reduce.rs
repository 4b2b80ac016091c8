//! The gradient reduction of a training step: how the gradients of a minibatch's parts become
//! the one gradient the optimiser applies. The trainer goes through [`GradientReduce`] only,
//! so the reduction is one seam:
//!
//! - [`OrderedSum`] (CPU, today): the shards of one process are added in shard order, so the
//!   sum, and every weight after it, is the same on one thread or many.
//! - An NCCL all-reduce (multi-GPU data-parallel training, one process per GPU; not built:
//!   docs/scale.md, "Beyond one machine") would add its local shards the same way and then sum
//!   every variable's gradient across the processes in [`GradientReduce::finish`].

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use rayon::prelude::*;

use crate::error::Result;

/// Reduces the gradients of a step's parts (shards, then processes) to the step's gradient.
/// Each part's loss is already divided by the whole minibatch's row count (or weight sum),
/// so the reduction is a plain sum.
pub(crate) trait GradientReduce: Send + Sync {
    /// Add the next part's gradients of `vars` to `total`, parts in a fixed order (shard
    /// order), so that float rounding does not depend on the threads.
    fn accumulate(&self, total: &mut GradStore, part: &GradStore, vars: &[Var]) -> Result<()>;

    /// Turn this process's sum into the whole step's gradient: nothing on one process; an
    /// all-reduce (sum) of every variable's gradient across processes, the same on every
    /// process, where there are several.
    fn finish(&self, total: &mut GradStore, vars: &[Var]) -> Result<()>;
}

/// One process: the parts summed in the order they are given, nothing across processes.
pub(crate) struct OrderedSum;

impl GradientReduce for OrderedSum {
    fn accumulate(&self, total: &mut GradStore, part: &GradStore, vars: &[Var]) -> Result<()> {
        add_gradients(total, part, vars)
    }

    fn finish(&self, _total: &mut GradStore, _vars: &[Var]) -> Result<()> {
        Ok(())
    }
}

/// Add `other`'s gradients of `vars` to `total`'s (`total + other`, in that order); a
/// variable `other` has no gradient for is left as it is. The variables' sums are
/// independent, so they are taken on rayon's pool (the large weight matrices of the encoder's
/// first and the decoder's last layer on different threads), inserted in `vars` order.
pub(crate) fn add_gradients(total: &mut GradStore, other: &GradStore, vars: &[Var]) -> Result<()> {
    let shared = &*total;
    let sums: Vec<Option<Tensor>> = vars
        .par_iter()
        .map(|var| {
            let Some(grad) = other.get(var) else {
                return Ok(None);
            };
            Ok(Some(match shared.get(var) {
                Some(previous) => (previous + grad)?,
                None => grad.clone(),
            }))
        })
        .collect::<Result<_>>()?;
    for (var, sum) in vars.iter().zip(sums) {
        if let Some(sum) = sum {
            total.insert(var, sum);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::*;

    /// A gradient store holding `values` as the gradient of each of `vars` (the gradient of
    /// Σ var · values is `values`, exactly), or none for a `None`.
    fn store(vars: &[Var], values: &[Option<[f32; 2]>]) -> Result<GradStore> {
        let mut loss: Option<Tensor> = None;
        for (var, values) in vars.iter().zip(values) {
            let Some(values) = values else { continue };
            let term = (var.as_tensor() * Tensor::new(values, &Device::Cpu)?)?.sum_all()?;
            loss = Some(match loss {
                Some(loss) => (loss + term)?,
                None => term,
            });
        }
        Ok(loss.expect("a gradient").backward()?)
    }

    fn gradient(store: &GradStore, var: &Var) -> Result<Vec<f32>> {
        Ok(store.get(var).expect("a gradient").to_vec1()?)
    }

    /// Three parts summed by hand: 1 + 2 + 4 = 7 and 10 − 3 + 0.5 = 7.5 per element; a
    /// variable missing from a part keeps its sum.
    #[test]
    fn ordered_sum_adds_every_part() -> Result<()> {
        let vars = [
            Var::zeros(2, candle_core::DType::F32, &Device::Cpu)?,
            Var::ones(2, candle_core::DType::F32, &Device::Cpu)?,
        ];
        let parts = [
            store(&vars, &[Some([1.0, 10.0]), Some([3.0, 3.0])])?,
            store(&vars, &[Some([2.0, -3.0]), None])?,
            store(&vars, &[Some([4.0, 0.5]), Some([-1.0, 0.25])])?,
        ];
        let mut total = store(&vars, &[Some([0.0, 0.0]), Some([0.0, 0.0])])?;
        for part in &parts {
            OrderedSum.accumulate(&mut total, part, &vars)?;
        }
        OrderedSum.finish(&mut total, &vars)?;
        assert_eq!(gradient(&total, &vars[0])?, vec![7.0, 7.5]);
        assert_eq!(gradient(&total, &vars[1])?, vec![2.0, 3.25]);
        Ok(())
    }

    /// The parts are added in the order given: in f32, (10⁸ − 10⁸) + 1 = 1 but
    /// (1 − 10⁸) + 10⁸ = 0 (1 − 10⁸ rounds to −10⁸), so the order shows in the result.
    #[test]
    fn ordered_sum_keeps_the_order() -> Result<()> {
        let vars = [Var::zeros(2, candle_core::DType::F32, &Device::Cpu)?];
        let sum = |order: [f32; 3]| -> Result<Vec<f32>> {
            let mut total = store(&vars, &[Some([order[0]; 2])])?;
            for &value in &order[1..] {
                OrderedSum.accumulate(&mut total, &store(&vars, &[Some([value; 2])])?, &vars)?;
            }
            gradient(&total, &vars[0])
        };
        assert_eq!(sum([1e8, -1e8, 1.0])?, vec![1.0, 1.0]);
        assert_eq!(sum([1.0, -1e8, 1e8])?, vec![0.0, 0.0]);
        Ok(())
    }
}
