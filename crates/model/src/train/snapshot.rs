//! Copies of the model's variables kept across epochs — the last completed epoch (to go back
//! to when a run stops mid-epoch) and the best one (which early stopping restores) — taken
//! once and then overwritten in place.
//!
//! A fresh copy at every epoch boundary allocated the whole model again: for the genotype
//! recipe on 200 samples × 63,575 SNPs (two 8 M-weight matrices) the copies, with the
//! kernel zeroing the fresh pages, were about a sixth of the training time
//! (bench/README.md, "Genotype speed and memory").

use candle_core::{Tensor, Var};
use rayon::prelude::*;

use crate::error::Result;
use crate::vae::Vae;

/// A copy of every variable, by name, in [`Vae::named_variables`] order.
pub(crate) struct Snapshot {
    values: Vec<(String, Var)>,
}

impl Snapshot {
    /// A copy of the model's current values.
    pub(crate) fn take(vae: &Vae) -> Result<Self> {
        let values = vae
            .named_variables()
            .into_iter()
            // `detach` shares the storage; `Var::from_tensor` of a non-variable copies it
            .map(|(name, var)| Ok((name, Var::from_tensor(&var.as_tensor().detach())?)))
            .collect::<Result<_>>()?;
        Ok(Self { values })
    }

    /// A copy of saved values (a resumed run's best weights).
    pub(crate) fn from_values(values: &[(String, Tensor)]) -> Result<Self> {
        let values = values
            .iter()
            .map(|(name, value)| Ok((name.clone(), Var::from_tensor(&value.detach())?)))
            .collect::<Result<_>>()?;
        Ok(Self { values })
    }

    /// Overwrite the copy with the model's current values, without allocating.
    /// The variables are copied on rayon's pool (the two large weight matrices of a
    /// genotype model on two threads: one thread's copy does not take all the bandwidth).
    pub(crate) fn refresh(&self, vae: &Vae) -> Result<()> {
        let variables = vae.named_variables();
        variables.par_iter().zip(&self.values).try_for_each(
            |((name, var), (saved_name, saved))| {
                debug_assert_eq!(name, saved_name);
                saved.set(var.as_tensor())
            },
        )?;
        Ok(())
    }

    /// The values as tensors that share this copy's storage: they change with the next
    /// [`Snapshot::refresh`].
    pub(crate) fn values(&self) -> Vec<(String, Tensor)> {
        self.values
            .iter()
            .map(|(name, var)| (name.clone(), var.as_tensor().clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Snapshot;
    use candle_core::Device;

    use crate::config::VaeConfig;
    use crate::likelihood::Likelihood;
    use crate::vae::Vae;

    fn flat(values: &[(String, candle_core::Tensor)]) -> Vec<f32> {
        values
            .iter()
            .flat_map(|(_, t)| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
            .collect()
    }

    /// The copy keeps its values while the model changes, and takes the new ones on refresh.
    #[test]
    fn refresh_copies_in_place_and_the_copy_is_independent() {
        let vae = Vae::new(VaeConfig::new(4, Likelihood::Bernoulli), &Device::Cpu).unwrap();
        let before = flat(&vae.variables_copy().unwrap());
        let snapshot = Snapshot::take(&vae).unwrap();
        for (_, var) in vae.named_variables() {
            var.set(&(var.as_tensor() + 1.0).unwrap()).unwrap();
        }
        assert_eq!(flat(&snapshot.values()), before);
        let shared = snapshot.values();
        snapshot.refresh(&vae).unwrap();
        let after = flat(&vae.variables_copy().unwrap());
        assert_ne!(after, before);
        assert_eq!(flat(&shared), after);
        assert_eq!(
            flat(&Snapshot::from_values(&shared).unwrap().values()),
            after
        );
    }
}
