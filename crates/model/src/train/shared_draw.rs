//! One draw of a Bayesian decoder's weights for a whole training minibatch, as EVE and
//! DeepSequence draw them once per minibatch. The shards of a step read the draw as variables
//! of their own; the gradients the shards leave on them, summed, are carried back through the
//! draw to the weights' means and log-variances once per step. Drawn in every shard, the
//! draw, the group-sparse scaling and their backward passes — each over every weight of the
//! decoder — were repeated once per shard.

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::error::Result;
use crate::nn::bayesian_decoder::{BayesianMlp, DecoderDraw};
use crate::noise::Noise;
use crate::ops::gradient_seed::seeded;
use crate::train::reduce::add_gradients;

/// A minibatch's draw of the decoder: `tracked` in the graph of the variational parameters,
/// `leaves` the same values as the variables `vars`, which the shards differentiate.
pub(crate) struct SharedDraw {
    tracked: DecoderDraw,
    pub(crate) leaves: DecoderDraw,
    pub(crate) vars: Vec<Var>,
}

impl SharedDraw {
    /// Draw `decoder`'s tensors from `noise`.
    pub(crate) fn new(decoder: &BayesianMlp, noise: &mut Noise) -> Result<Self> {
        let tracked = decoder.draw(Some(noise))?;
        let vars: Vec<Var> = tracked
            .tensors()
            .into_iter()
            .map(|tensor| Var::from_tensor(&tensor.detach()))
            .collect::<candle_core::Result<_>>()?;
        let leaves = tracked.with_tensors(vars.iter().map(|var| var.as_tensor().clone()));
        Ok(Self {
            tracked,
            leaves,
            vars,
        })
    }

    /// Carry the gradients of the leaves in `grads` back through the draw: the gradients of
    /// `trainable` (the variational parameters among them) get the draw's share, and the
    /// leaves' gradients leave `grads`. By the chain rule the parameters' gradient is that of
    /// Σᵢ ⟨drawnᵢ, gᵢ⟩ with gᵢ, the summed gradient of leaf i, held fixed ([`seeded`]).
    pub(crate) fn backward(&self, grads: &mut GradStore, trainable: &[Var]) -> Result<()> {
        let mut surrogate: Option<Tensor> = None;
        for (tracked, var) in self.tracked.tensors().into_iter().zip(&self.vars) {
            let Some(grad) = grads.remove(var.as_tensor()) else {
                continue;
            };
            let term = seeded(tracked, &grad)?;
            surrogate = Some(match surrogate {
                Some(sum) => (sum + term)?,
                None => term,
            });
        }
        if let Some(surrogate) = surrogate {
            add_gradients(grads, &surrogate.backward()?, trainable)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};
    use rand::RngCore;

    use super::*;
    use crate::config::{BayesianDecoder, DecoderKind, LogitSparsity, Sparsity, VaeConfig};
    use crate::data::{Dataset, DenseView};
    use crate::likelihood::Likelihood;
    use crate::minibatch::Buffers;
    use crate::nn::layer::TrainingPass;
    use crate::train::reduce::OrderedSum;
    use crate::train::shards::{self, LossSettings, shard_bounds, terms};
    use crate::vae::Vae;

    /// A step of 100 weighted rows (two shards) with the shared draw has the gradient of the
    /// minibatch's loss with that one draw inside the graph: both shards' losses built on the
    /// tracked draw (dropout and z noise from the same shard streams), summed and
    /// differentiated at once. Every part of the decoder is drawn: hidden and last layers,
    /// dictionary, group-sparse scales, temperature.
    #[test]
    fn shared_draw_gradients_equal_one_draw_in_the_graph() -> Result<()> {
        let (columns, states) = (4, 5);
        let values: Vec<f32> = (0..100 * columns * states)
            .map(|i| {
                let (row, column, state) = (i / 20, (i / 5) % 4, i % 5);
                f32::from(u8::from((row * 7 + column * 3) % states == state))
            })
            .collect();
        let weights: Vec<f32> = (0..100).map(|i| 0.25 + (i % 4) as f32 * 0.25).collect();
        let view = DenseView::new(&values, columns * states)?;
        let data = Dataset::new(&view).with_weights(&weights)?;
        let config = VaeConfig {
            hidden: vec![8],
            latent: 2,
            decoder: DecoderKind::Bayesian(BayesianDecoder {
                dropout: 0.2,
                dictionary: 3,
                temperature: true,
                sparsity: Sparsity::Logit(LogitSparsity {
                    tiles: 2,
                    ..LogitSparsity::default()
                }),
            }),
            ..VaeConfig::new(
                columns * states,
                Likelihood::Categorical { n_states: states },
            )
        };
        let vae = Vae::new(config, &Device::Cpu)?;
        let named: Vec<(String, Var)> = vae
            .named_variables()
            .into_iter()
            .filter(|(name, _)| crate::train::resume::is_trainable(name))
            .collect();
        let vars: Vec<Var> = named.iter().map(|(_, v)| v.clone()).collect();
        let settings = LossSettings {
            library_scales: None,
            kl_weight: 1.0,
            factored_gradients: false,
            encoder_inputs: None,
        };
        let rows: Vec<usize> = (0..100).collect();
        let step = shards::step(
            &vae,
            &data,
            &rows,
            &settings,
            &mut Noise::new(5),
            &vars,
            &OrderedSum,
        )?;

        // the same streams: one seed per shard, then the draw's
        let mut noise = Noise::new(5);
        let bounds = shard_bounds(rows.len(), true);
        assert_eq!(bounds.len(), 2);
        let seeds: Vec<u64> = bounds.iter().map(|_| noise.rng().next_u64()).collect();
        let decoder = vae.decoder.bayesian().expect("a Bayesian decoder");
        let tracked = decoder.draw(Some(&mut Noise::new(noise.rng().next_u64())))?;
        let divisor = data.divisor(&rows);
        let mut objective: Option<Tensor> = None;
        let mut passes = Vec::new();
        for (&(start, end), &seed) in bounds.iter().zip(&seeds) {
            let batch = vae.assemble(&data, &rows[start..end], &mut Buffers::default())?;
            let mut pass = TrainingPass {
                decoder_draw: Some(tracked.clone()),
                ..TrainingPass::default()
            };
            let shard = terms(
                &vae,
                &batch,
                &settings,
                divisor,
                &mut Noise::new(seed),
                Some(&mut pass),
            )?
            .objective;
            objective = Some(match objective {
                Some(sum) => (sum + shard)?,
                None => shard,
            });
            passes.push(pass);
        }
        let mut direct = objective.expect("two shards").backward()?;
        // the gradients of the layers that leave them to their pass
        for pass in passes {
            pass.weight_gradients.deliver(&mut direct, false)?;
        }
        for (name, var) in &named {
            let expected = direct.get(var);
            let got = step.grads.get(var);
            let (Some(expected), Some(got)) = (expected, got) else {
                panic!("{name}: {:?} vs {:?}", expected.is_some(), got.is_some());
            };
            let (expected, got) = (
                expected.flatten_all()?.to_vec1::<f32>()?,
                got.flatten_all()?.to_vec1::<f32>()?,
            );
            let scale = expected.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
            for (e, g) in expected.iter().zip(&got) {
                assert!((e - g).abs() <= 1e-4 * scale, "{e} vs {g} (scale {scale})");
            }
        }
        Ok(())
    }
}
