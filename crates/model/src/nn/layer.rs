//! The building blocks shared by encoder and decoder: an affine map with optional one-hot
//! covariates (the batch and scVI's extra categorical covariates), and a hidden layer
//! (affine → norm → activation).

use candle_core::{D, Tensor, Var};
use candle_nn::VarBuilder;
use candle_nn::init::Init;

use crate::config::{Activation, Norm};
use crate::nn::bayesian_decoder::DecoderDraw;
use crate::noise::Noise;
use crate::ops::batch_norm::batch_norm_train;
use crate::ops::linear::WeightGradients;
use crate::ops::linear::linear;

/// scVI's batch-norm momentum and ε (PyTorch defaults are 0.1 and 1e-5).
const BATCH_NORM_MOMENTUM: f64 = 0.01;
const BATCH_NORM_EPS: f64 = 1e-3;
const LAYER_NORM_EPS: f64 = 1e-5;
const LEAKY_RELU_SLOPE: f64 = 0.01;

/// The hidden layers' non-linearity applied to `y`.
pub(crate) fn activate(y: &Tensor, activation: Activation) -> candle_core::Result<Tensor> {
    match activation {
        Activation::Relu => y.relu(),
        Activation::Elu => y.elu(1.0),
        Activation::LeakyRelu => y.maximum(&(y * LEAKY_RELU_SLOPE)?),
        Activation::Gelu => y.gelu(),
    }
}

/// `h` times an inverted-dropout mask of probability `p` while training (`noise` given);
/// `h` itself otherwise or when `p` is 0.
pub(crate) fn dropped(h: Tensor, noise: Option<&mut Noise>, p: f32) -> candle_core::Result<Tensor> {
    match noise {
        Some(noise) if p > 0.0 => {
            let (rows, cols) = h.dims2()?;
            let mask = noise.dropout_mask(rows, cols, p, h.device())?;
            h * mask
        }
        _ => Ok(h),
    }
}

/// What a decoder layer is conditioned on besides its input, per row of a minibatch: scVI's
/// categorical covariates (the batch and the extra ones, each injected as a one-hot) and its
/// continuous covariates (concatenated to z at the decoder's input).
#[derive(Clone, Copy, Default)]
pub(crate) struct Covariates<'a> {
    /// The batch category of each row, u32 `[rows]`.
    pub(crate) batches: Option<&'a Tensor>,
    /// The category of each row under each extra categorical covariate, u32 `[rows]` each.
    pub(crate) categorical: &'a [Tensor],
    /// The continuous covariates, f32 `[rows, n_continuous]`.
    pub(crate) continuous: Option<&'a Tensor>,
}

/// The one-hot covariates an [`Affine`] takes: the batch's category count (0 for none) and
/// each extra categorical covariate's. A covariate with one category carries nothing and gets
/// no weights, as in scVI.
#[derive(Clone, Copy, Default)]
pub(crate) struct OneHots<'a> {
    pub(crate) n_batches: usize,
    pub(crate) categorical: &'a [usize],
}

impl OneHots<'_> {
    /// The one-hot columns a concatenated input would have: the layer's extra fan-in.
    fn width(&self) -> usize {
        std::iter::once(self.n_batches)
            .chain(self.categorical.iter().copied())
            .filter(|&n| n > 1)
            .sum()
    }
}

/// y = x Wᵀ + b (+ the row of `covariate` for the observation's batch category, + the row of
/// `categorical.{k}` for its category under the k-th extra covariate).
///
/// A one-hot vector concatenated to the input (scVI) multiplies into exactly one column of
/// the weight; storing those columns as `covariate` [n_batches, out] (and `categorical.{k}`
/// [n_categories, out]) and gathering rows gives the same layer without building or
/// multiplying the one-hot matrix.
pub(crate) struct Affine {
    weight: Tensor,
    bias: Tensor,
    covariate: Option<Tensor>,
    categorical: Vec<Option<Tensor>>,
}

impl Affine {
    /// PyTorch's `nn.Linear` initialisation: U(±1/√fan_in), fan_in counting the one-hots.
    pub(crate) fn new(
        n_in: usize,
        n_out: usize,
        one_hots: OneHots,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let bound = 1.0 / ((n_in + one_hots.width()) as f64).sqrt();
        let init = Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let weight = vb.get_with_hints((n_out, n_in), "weight", init)?;
        let bias = vb.get_with_hints(n_out, "bias", init)?;
        let covariate = if one_hots.n_batches > 1 {
            Some(vb.get_with_hints((one_hots.n_batches, n_out), "covariate", init)?)
        } else {
            None
        };
        let categorical_vb = vb.pp("categorical");
        let categorical = one_hots
            .categorical
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                (n > 1)
                    .then(|| categorical_vb.get_with_hints((n, n_out), &k.to_string(), init))
                    .transpose()
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Self {
            weight,
            bias,
            covariate,
            categorical,
        })
    }

    /// Apply to `x` [rows, n_in], adding the rows of the covariates the layer has; in a
    /// training `pass` the weight's gradient will be left there.
    pub(crate) fn forward(
        &self,
        x: &Tensor,
        covariates: &Covariates,
        pass: Option<&mut TrainingPass>,
    ) -> candle_core::Result<Tensor> {
        let gradients = pass.map(|pass| &mut pass.weight_gradients);
        let mut y = linear(x, &self.weight, &self.bias, gradients)?;
        if let (Some(covariate), Some(batches)) = (&self.covariate, covariates.batches) {
            y = (y + covariate.index_select(batches, 0)?)?;
        }
        if !self.categorical.is_empty() && covariates.categorical.len() != self.categorical.len() {
            return Err(candle_core::Error::Msg(format!(
                "{} categorical covariates given, the model has {}",
                covariates.categorical.len(),
                self.categorical.len()
            )));
        }
        for (table, codes) in self.categorical.iter().zip(covariates.categorical) {
            if let Some(table) = table {
                y = (y + table.index_select(codes, 0)?)?;
            }
        }
        Ok(y)
    }

    /// The weight matrices that L1/L2 penalties act on.
    pub(crate) fn push_penalised(&self, out: &mut Vec<Tensor>) {
        out.push(self.weight.clone());
        out.extend(self.covariate.iter().cloned());
        out.extend(self.categorical.iter().flatten().cloned());
    }
}

/// What a training pass leaves besides its output: the batch-norm statistics of its rows
/// ([`Moments`], in forward order) and its weights' gradients ([`WeightGradients`], filled by
/// the backward pass); and what it is given: a Bayesian decoder's weights drawn once for the
/// whole minibatch ([`DecoderDraw`]), when the decoder has them.
#[derive(Default)]
pub(crate) struct TrainingPass {
    pub(crate) moments: Vec<Moments>,
    pub(crate) weight_gradients: WeightGradients,
    pub(crate) decoder_draw: Option<DecoderDraw>,
}

/// The column statistics of one training pass of a batch-norm layer: mean and biased
/// variance over `rows` rows, each `[features]`. A training pass leaves them (in forward
/// order) instead of updating the running statistics, so that the shards of a minibatch can
/// run at the same time; the trainer merges them and updates the running statistics once
/// per minibatch ([`crate::train::shards`]).
pub(crate) struct Moments {
    pub(crate) mean: Tensor,
    pub(crate) variance: Tensor,
    pub(crate) rows: usize,
}

/// Batch-norm over the rows of a minibatch, with running statistics for evaluation.
struct BatchNorm {
    weight: Tensor,
    bias: Tensor,
    running_mean: Var,
    running_var: Var,
}

impl BatchNorm {
    fn new(size: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        let weight = vb.get_with_hints(size, "weight", Init::Const(1.0))?;
        let bias = vb.get_with_hints(size, "bias", Init::Const(0.0))?;
        let running_mean = vb.get_with_hints(size, "running_mean", Init::Const(0.0))?;
        let running_var = vb.get_with_hints(size, "running_var", Init::Const(1.0))?;
        Ok(Self {
            weight,
            bias,
            running_mean: Var::from_tensor(&running_mean)?,
            running_var: Var::from_tensor(&running_var)?,
        })
    }

    /// Normalise with the running statistics, or (a training `pass`) with the rows' own,
    /// whose statistics are pushed to the pass's moments.
    fn forward(&self, x: &Tensor, pass: Option<&mut TrainingPass>) -> candle_core::Result<Tensor> {
        let Some(TrainingPass { moments, .. }) = pass else {
            // (x − m)/√(v + ε)·w + b folded into one scale and one shift.
            let scale = self
                .weight
                .div(&(self.running_var.as_detached_tensor() + BATCH_NORM_EPS)?.sqrt()?)?;
            let shift = (&self.bias - self.running_mean.as_detached_tensor().mul(&scale)?)?;
            return x.broadcast_mul(&scale)?.broadcast_add(&shift);
        };
        let rows = x.dim(0)?;
        if let Some(normed) = batch_norm_train(x, &self.weight, &self.bias, BATCH_NORM_EPS)? {
            let n = normed.mean.len();
            moments.push(Moments {
                mean: Tensor::from_vec(normed.mean, n, x.device())?,
                variance: Tensor::from_vec(normed.variance, n, x.device())?,
                rows,
            });
            return Ok(normed.output);
        }
        let mean = x.mean_keepdim(0)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(0)?;
        let scale = self
            .weight
            .unsqueeze(0)?
            .div(&(&var + BATCH_NORM_EPS)?.sqrt()?)?;
        moments.push(Moments {
            mean: mean.detach().squeeze(0)?,
            variance: var.detach().squeeze(0)?,
            rows,
        });
        centred.broadcast_mul(&scale)?.broadcast_add(&self.bias)
    }

    /// Blend a minibatch's statistics into the running ones as PyTorch does: momentum-
    /// weighted, the variance unbiased.
    fn update_running(&self, moments: &Moments) -> candle_core::Result<()> {
        let rows = moments.rows;
        let unbiased = if rows > 1 {
            rows as f64 / (rows - 1) as f64
        } else {
            1.0
        };
        let m = BATCH_NORM_MOMENTUM;
        let next_mean = ((self.running_mean.as_tensor() * (1.0 - m))? + (&moments.mean * m)?)?;
        let next_var =
            ((self.running_var.as_tensor() * (1.0 - m))? + (&moments.variance * (m * unbiased))?)?;
        self.running_mean.set(&next_mean)?;
        self.running_var.set(&next_var)
    }
}

/// Layer-norm over the features of each row.
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    fn new(size: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            weight: vb.get_with_hints(size, "weight", Init::Const(1.0))?,
            bias: vb.get_with_hints(size, "bias", Init::Const(0.0))?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        // candle_nn's fused layer-norm has no backward pass, so spell it out.
        let centred = x.broadcast_sub(&x.mean_keepdim(D::Minus1)?)?;
        let std = (centred.sqr()?.mean_keepdim(D::Minus1)? + LAYER_NORM_EPS)?.sqrt()?;
        centred
            .broadcast_div(&std)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

enum NormLayer {
    None,
    Batch(BatchNorm),
    Layer(LayerNorm),
}

/// affine → norm → activation.
pub(crate) struct Hidden {
    affine: Affine,
    norm: NormLayer,
    activation: Activation,
}

impl Hidden {
    /// A hidden layer of `n_out` units named under `vb` (`…weight`, `…norm.weight`, …).
    pub(crate) fn new(
        n_in: usize,
        n_out: usize,
        one_hots: OneHots,
        norm: Norm,
        activation: Activation,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let affine = Affine::new(n_in, n_out, one_hots, vb.clone())?;
        let norm = match norm {
            Norm::None => NormLayer::None,
            Norm::Batch => NormLayer::Batch(BatchNorm::new(n_out, vb.pp("norm"))?),
            Norm::Layer => NormLayer::Layer(LayerNorm::new(n_out, vb.pp("norm"))?),
        };
        Ok(Self {
            affine,
            norm,
            activation,
        })
    }

    /// Apply to `x`; in a training `pass` batch-norm uses the rows' own statistics and
    /// pushes them there, and the weight's gradient will be left there.
    pub(crate) fn forward(
        &self,
        x: &Tensor,
        covariates: &Covariates,
        mut pass: Option<&mut TrainingPass>,
    ) -> candle_core::Result<Tensor> {
        let y = self.affine.forward(x, covariates, pass.as_deref_mut())?;
        let y = match &self.norm {
            NormLayer::None => y,
            NormLayer::Batch(norm) => norm.forward(&y, pass)?,
            NormLayer::Layer(norm) => norm.forward(&y)?,
        };
        activate(&y, self.activation)
    }

    /// The weight matrices that L1/L2 penalties act on.
    pub(crate) fn push_penalised(&self, out: &mut Vec<Tensor>) {
        self.affine.push_penalised(out);
    }

    /// Whether the layer batch-normalises (and so leaves [`Moments`] in a training pass).
    pub(crate) fn has_batch_norm(&self) -> bool {
        matches!(self.norm, NormLayer::Batch(_))
    }

    /// Blend a minibatch's `moments` into the running statistics (batch-norm layers only).
    pub(crate) fn update_running(&self, moments: &Moments) -> candle_core::Result<()> {
        match &self.norm {
            NormLayer::Batch(norm) => norm.update_running(moments),
            _ => Ok(()),
        }
    }
}
