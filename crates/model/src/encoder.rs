//! q(z | x): hidden layers, then separate heads for the posterior mean and log-variance.

use candle_core::Tensor;
use candle_nn::VarBuilder;

use crate::config::VaeConfig;
use crate::layer::{Affine, Hidden};
use crate::noise::Noise;

/// The inference network. Tensor names: `encoder.layers.{i}.…`, `encoder.mean.…`,
/// `encoder.log_var.…`.
pub(crate) struct Encoder {
    layers: Vec<Hidden>,
    mean: Affine,
    log_var: Affine,
    dropout: f32,
    variance_floor: f64,
}

impl Encoder {
    /// Build from a validated config under `vb` (normally `root.pp("encoder")`).
    pub(crate) fn new(config: &VaeConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let mut layers = Vec::with_capacity(config.hidden.len());
        let mut n_in = config.n_features;
        let layers_vb = vb.pp("layers");
        for (i, &n_out) in config.hidden.iter().enumerate() {
            layers.push(Hidden::new(
                n_in,
                n_out,
                0,
                config.norm,
                config.activation,
                layers_vb.pp(i),
            )?);
            n_in = n_out;
        }
        Ok(Self {
            layers,
            mean: Affine::new(n_in, config.latent, 0, vb.pp("mean"))?,
            log_var: Affine::new(n_in, config.latent, 0, vb.pp("log_var"))?,
            dropout: config.dropout as f32,
            variance_floor: config.posterior_variance_floor,
        })
    }

    /// Posterior mean and log-variance, each [rows, latent]. With `noise` (training), dropout
    /// is applied after each hidden layer and batch-norm uses minibatch statistics.
    pub(crate) fn forward(
        &self,
        x: &Tensor,
        mut noise: Option<&mut Noise>,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let train = noise.is_some();
        let mut h = x.clone();
        for layer in &self.layers {
            h = layer.forward(&h, None, train)?;
            if let Some(noise) = noise.as_deref_mut()
                && self.dropout > 0.0
            {
                let (rows, cols) = h.dims2()?;
                h = (h * noise.dropout_mask(rows, cols, self.dropout, x.device())?)?;
            }
        }
        let log_var = self.log_var.forward(&h, None)?;
        let log_var = if self.variance_floor > 0.0 {
            (log_var.exp()? + self.variance_floor)?.log()?
        } else {
            log_var
        };
        Ok((self.mean.forward(&h, None)?, log_var))
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
