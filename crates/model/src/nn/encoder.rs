//! q(z | x): hidden layers, then separate heads for the posterior mean and log-variance.
//! Covariates do not reach the encoder (scVI's `encode_covariates` is off by default).

use candle_core::Tensor;
use candle_nn::VarBuilder;

use crate::config::VaeConfig;
use crate::nn::layer::{Affine, Covariates, Hidden, OneHots, TrainingPass, dropped};
use crate::noise::Noise;

/// The inference network. Tensor names: `encoder.layers.{i}.…`, `encoder.mean.…`,
/// `encoder.log_var.…`.
pub(crate) struct Encoder {
    layers: Vec<Hidden>,
    mean: Affine,
    log_var: Affine,
    dropout: f32,
    input_dropout: f32,
    variance_floor: f64,
}

impl Encoder {
    /// Build from a validated config under `vb` (normally `root.pp("encoder")`).
    pub(crate) fn new(config: &VaeConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let mut layers = Vec::with_capacity(config.hidden.len());
        let mut n_in = config.encoder_inputs();
        let layers_vb = vb.pp("layers");
        for (i, &n_out) in config.hidden.iter().enumerate() {
            layers.push(Hidden::new(
                n_in,
                n_out,
                OneHots::default(),
                config.norm,
                config.activation,
                layers_vb.pp(i),
            )?);
            n_in = n_out;
        }
        Ok(Self {
            layers,
            mean: Affine::new(n_in, config.latent, OneHots::default(), vb.pp("mean"))?,
            log_var: Affine::new(n_in, config.latent, OneHots::default(), vb.pp("log_var"))?,
            dropout: config.dropout as f32,
            input_dropout: config.input_dropout as f32,
            variance_floor: config.posterior_variance_floor,
        })
    }

    /// Posterior mean and log-variance, each `[rows, latent]`. With `noise` (training),
    /// dropout is applied to the input (if configured) and after each hidden layer; with
    /// a training `pass` batch-norm uses the rows' own statistics and leaves them there, as the
    /// backward pass will the weights' gradients.
    pub(crate) fn forward(
        &self,
        x: &Tensor,
        mut noise: Option<&mut Noise>,
        mut pass: Option<&mut TrainingPass>,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let mut h = dropped(x.clone(), noise.as_deref_mut(), self.input_dropout)?;
        for layer in &self.layers {
            h = layer.forward(&h, &Covariates::default(), pass.as_deref_mut())?;
            h = dropped(h, noise.as_deref_mut(), self.dropout)?;
        }
        let log_var = self
            .log_var
            .forward(&h, &Covariates::default(), pass.as_deref_mut())?;
        let log_var = if self.variance_floor > 0.0 {
            (log_var.exp()? + self.variance_floor)?.log()?
        } else {
            log_var
        };
        let mean = self.mean.forward(&h, &Covariates::default(), pass)?;
        Ok((mean, log_var))
    }

    /// The hidden layers, in forward order.
    pub(crate) fn layers(&self) -> &[Hidden] {
        &self.layers
    }

    /// The weight matrices that L1/L2 penalties act on.
    pub(crate) fn push_penalised(&self, out: &mut Vec<Tensor>) {
        for layer in &self.layers {
            layer.push_penalised(out);
        }
        self.mean.push_penalised(out);
        self.log_var.push_penalised(out);
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};
    use candle_nn::VarMap;

    use super::Encoder;
    use crate::config::VaeConfig;
    use crate::likelihood::Likelihood;
    use crate::nn::init::SeededVarMap;
    use crate::noise::Noise;

    /// Input dropout while training equals encoding the input times the seed's dropout mask;
    /// at inference the input is whole.
    #[test]
    fn input_dropout_masks_the_input_while_training_only() {
        let config = VaeConfig {
            hidden: vec![],
            latent: 2,
            input_dropout: 0.5,
            ..VaeConfig::new(6, Likelihood::Poisson)
        };
        let varmap = VarMap::new();
        let vb = SeededVarMap::builder(&varmap, 3, &Device::Cpu);
        let encoder = Encoder::new(&config, vb.pp("encoder")).unwrap();
        let values: Vec<f32> = (1..=24).map(|v| v as f32 / 4.0).collect();
        let x = Tensor::from_vec(values, (4, 6), &Device::Cpu).unwrap();
        let mean = |input: &Tensor, noise: Option<&mut Noise>| {
            let (mean, _) = encoder.forward(input, noise, None).unwrap();
            mean.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        };

        let trained = mean(&x, Some(&mut Noise::new(11)));
        let mask = Noise::new(11)
            .dropout_mask(4, 6, 0.5, &Device::Cpu)
            .unwrap();
        let mask_values = mask.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(mask_values.iter().all(|&m| m == 0.0 || m == 2.0));
        assert!(mask_values.contains(&0.0) && mask_values.contains(&2.0));
        let by_hand = mean(&(&x * &mask).unwrap(), None);
        for (a, b) in trained.iter().zip(&by_hand) {
            assert!((a - b).abs() < 1e-5, "{trained:?} vs {by_hand:?}");
        }

        let inferred = mean(&x, None);
        assert_eq!(inferred, mean(&x, None));
        assert!(
            inferred
                .iter()
                .zip(&trained)
                .any(|(a, b)| (a - b).abs() > 1e-3)
        );
    }
}
