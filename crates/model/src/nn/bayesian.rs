//! Variational (Bayesian) weights as EVE and DeepSequence keep them: each parameter has a
//! Gaussian posterior N(mean, exp(log_var)), drawn by reparameterisation (mean + σ·ε) when
//! noise is given and read as its mean otherwise.

use candle_core::{Shape, Tensor};
use candle_nn::VarBuilder;
use candle_nn::init::Init;

use crate::noise::Noise;
use crate::ops::variational::{draw, kl_sum};

/// EVE's initial log-variance of every variational parameter (`logvar_init`; DeepSequence's
/// log σ of −5 is the same).
pub(crate) const LOG_VAR_INIT: f64 = -10.0;
/// EVE's initial mean of every bias (`mu_bias_init`).
pub(crate) const BIAS_MEAN_INIT: f64 = 0.1;

/// One variational tensor: `{name}_mean` and `{name}_log_var` in the checkpoint.
pub(crate) struct GaussianParam {
    mean: Tensor,
    log_var: Tensor,
}

impl GaussianParam {
    /// `{name}_mean` initialised by `mean_init`, `{name}_log_var` at [`LOG_VAR_INIT`].
    pub(crate) fn new<S: Into<Shape> + Copy>(
        shape: S,
        name: &str,
        mean_init: Init,
        vb: &VarBuilder,
    ) -> candle_core::Result<Self> {
        Ok(Self {
            mean: vb.get_with_hints(shape, &format!("{name}_mean"), mean_init)?,
            log_var: vb.get_with_hints(
                shape,
                &format!("{name}_log_var"),
                Init::Const(LOG_VAR_INIT),
            )?,
        })
    }

    /// A draw mean + exp(½ log_var)·ε with ε from `noise`; the mean without noise.
    pub(crate) fn draw(&self, noise: Option<&mut Noise>) -> candle_core::Result<Tensor> {
        let Some(noise) = noise else {
            return Ok(self.mean.clone());
        };
        let epsilon = noise.standard_normal_blocks(self.mean.dims(), self.mean.device())?;
        draw(&self.mean, &self.log_var, &epsilon)
    }

    /// KL(q ‖ N(0, 1)) summed over the tensor's elements (a scalar).
    pub(crate) fn kl(&self) -> candle_core::Result<Tensor> {
        kl_sum(&self.mean, &self.log_var, 0.0, 1.0)
    }

    /// KL(q ‖ N(prior_mean, prior_sigma²)) summed over the tensor's elements (a scalar).
    pub(crate) fn kl_to(&self, prior_mean: f64, prior_sigma: f64) -> candle_core::Result<Tensor> {
        kl_sum(&self.mean, &self.log_var, prior_mean, prior_sigma)
    }

    /// The posterior means, for an L1/L2 penalty.
    pub(crate) fn mean(&self) -> &Tensor {
        &self.mean
    }
}

/// A layer y = x Wᵀ + b with variational W `[out, in]` and b `[out]` (drawn here, applied by
/// the decoder to a draw shared by a minibatch), initialised as EVE's `nn.Linear` means
/// (U(±1/√in) weights, biases 0.1). Names `weight_mean`, `weight_log_var`,
/// `bias_mean`, `bias_log_var` under `vb`.
pub(crate) struct BayesianLinear {
    weight: GaussianParam,
    bias: GaussianParam,
}

impl BayesianLinear {
    /// A layer from `n_in` to `n_out` units named under `vb`.
    pub(crate) fn new(n_in: usize, n_out: usize, vb: &VarBuilder) -> candle_core::Result<Self> {
        let bound = 1.0 / (n_in as f64).sqrt();
        let uniform = Init::Uniform {
            lo: -bound,
            up: bound,
        };
        Ok(Self {
            weight: GaussianParam::new((n_out, n_in), "weight", uniform, vb)?,
            bias: GaussianParam::new(n_out, "bias", Init::Const(BIAS_MEAN_INIT), vb)?,
        })
    }

    /// Weight `[out, in]` and bias `[out]` drawn from `noise` (in that order), or the means
    /// without it.
    pub(crate) fn draw(
        &self,
        mut noise: Option<&mut Noise>,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let weight = self.weight.draw(noise.as_deref_mut())?;
        let bias = self.bias.draw(noise)?;
        Ok((weight, bias))
    }

    /// KL of weight and bias to N(0, 1).
    pub(crate) fn kl(&self) -> candle_core::Result<Tensor> {
        self.weight.kl()? + self.bias.kl()?
    }

    /// The weight means, for an L1/L2 penalty.
    pub(crate) fn push_penalised(&self, out: &mut Vec<Tensor>) {
        out.push(self.weight.mean().clone());
    }
}
