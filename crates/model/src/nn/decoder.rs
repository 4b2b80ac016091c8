//! p(x | z): hidden layers with the batch and the extra categorical covariates injected into
//! each as one-hots (scVI's `deeply_inject_covariates`), the continuous covariates
//! concatenated to z at the input (scVI's `n_latent + n_continuous_cov`), then the
//! likelihood's heads and per-feature parameters; or EVE's Bayesian decoder.

use candle_core::Tensor;
use candle_nn::VarBuilder;
use candle_nn::init::Init;

use crate::config::{DecoderKind, VaeConfig};
use crate::likelihood::{DecoderOutput, Likelihood};
use crate::nn::bayesian_decoder::BayesianMlp;
use crate::nn::layer::{Affine, Covariates, Hidden, OneHots, TrainingPass};
use crate::noise::Noise;

/// The generative network, as [`VaeConfig::decoder`] says.
pub(crate) enum Decoder {
    /// Point-estimate weights.
    Standard(MlpDecoder),
    /// EVE's variational weights.
    Bayesian(BayesianMlp),
}

impl Decoder {
    /// Build from a validated config under `vb` (normally `root.pp("decoder")`).
    pub(crate) fn new(config: &VaeConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(match config.decoder {
            DecoderKind::Standard => Decoder::Standard(MlpDecoder::new(config, vb)?),
            DecoderKind::Bayesian(settings) => {
                Decoder::Bayesian(BayesianMlp::new(config, settings, vb)?)
            }
        })
    }

    /// Decode `z` `[rows, latent]` under each row's `covariates` (those the model has; the
    /// Bayesian decoder has none). In a training `pass` batch-norm uses the rows' own
    /// statistics and leaves them there, as the backward pass will the weights' gradients
    /// (standard), or dropout is applied (Bayesian). `noise`
    /// draws the Bayesian decoder's weights (without it they are their means); the standard
    /// decoder takes nothing from it.
    pub(crate) fn forward(
        &self,
        z: &Tensor,
        covariates: &Covariates,
        pass: Option<&mut TrainingPass>,
        noise: Option<&mut Noise>,
    ) -> candle_core::Result<DecoderOutput> {
        match self {
            Decoder::Standard(decoder) => decoder.forward(z, covariates, pass),
            Decoder::Bayesian(decoder) => {
                let train = pass.is_some();
                // a training step's shards share the minibatch's draw
                let loc = match pass.and_then(|pass| pass.decoder_draw.as_ref()) {
                    Some(draw) => decoder.forward_drawn(z, draw, noise, train)?,
                    None => decoder.forward(z, noise, train)?,
                };
                Ok(DecoderOutput {
                    loc,
                    log_scale: None,
                    zero_logits: None,
                })
            }
        }
    }

    /// The variational decoder, if the weights are variational.
    pub(crate) fn bayesian(&self) -> Option<&BayesianMlp> {
        match self {
            Decoder::Standard(_) => None,
            Decoder::Bayesian(decoder) => Some(decoder),
        }
    }

    /// The hidden layers with batch-norm statistics, in forward order (none for the
    /// Bayesian decoder).
    pub(crate) fn layers(&self) -> &[Hidden] {
        match self {
            Decoder::Standard(decoder) => &decoder.layers,
            Decoder::Bayesian(_) => &[],
        }
    }

    /// KL(q(weights) ‖ N(0, 1)) of a Bayesian decoder (a scalar); `None` for point weights.
    pub(crate) fn weight_kl(&self) -> candle_core::Result<Option<Tensor>> {
        match self {
            Decoder::Standard(_) => Ok(None),
            Decoder::Bayesian(decoder) => decoder.kl().map(Some),
        }
    }

    /// The weight matrices (Bayesian: their means) that L1/L2 penalties act on.
    pub(crate) fn push_penalised(&self, out: &mut Vec<Tensor>) {
        match self {
            Decoder::Standard(decoder) => decoder.push_penalised(out),
            Decoder::Bayesian(decoder) => decoder.push_penalised(out),
        }
    }
}

/// The point-estimate network. Tensor names: `decoder.layers.{i}.…` (with `….covariate` for
/// the batch and `….categorical.{k}` for the k-th extra covariate), `decoder.loc.…`,
/// `decoder.zero_logits.…` (ZINB), `decoder.log_scale` (learned σ or NB θ, per feature).
pub(crate) struct MlpDecoder {
    layers: Vec<Hidden>,
    loc: Affine,
    zero_logits: Option<Affine>,
    log_scale: Option<Tensor>,
}

impl MlpDecoder {
    /// Build from a validated config under `vb` (normally `root.pp("decoder")`).
    fn new(config: &VaeConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let one_hots = OneHots {
            n_batches: if config.uses_batches() {
                config.n_batches
            } else {
                0
            },
            categorical: &config.covariate_categories,
        };
        let hidden = config.decoder_layers();
        let mut layers = Vec::with_capacity(hidden.len());
        let mut n_in = config.latent + config.n_continuous;
        let layers_vb = vb.pp("layers");
        for (i, &n_out) in hidden.iter().enumerate() {
            layers.push(Hidden::new(
                n_in,
                n_out,
                one_hots,
                config.norm,
                config.activation,
                layers_vb.pp(i),
            )?);
            n_in = n_out;
        }
        // As in scVI the output heads read the last hidden layer only; with no hidden layer
        // the one-hot covariates go into the heads so they still reach the decoder.
        let head_one_hots = if layers.is_empty() {
            one_hots
        } else {
            OneHots::default()
        };
        let n_features = config.n_features;
        let loc = Affine::new(n_in, n_features, head_one_hots, vb.pp("loc"))?;
        let zero_logits = if config.likelihood.decoder_heads() > 1 {
            Some(Affine::new(
                n_in,
                n_features,
                head_one_hots,
                vb.pp("zero_logits"),
            )?)
        } else {
            None
        };
        let log_scale = if config.likelihood.needs_log_scale() {
            // scVI draws px_r from N(0, 1); a learned gaussian σ starts at 1.
            let init = match config.likelihood {
                Likelihood::Gaussian { .. } => Init::Const(0.0),
                _ => Init::Randn {
                    mean: 0.0,
                    stdev: 1.0,
                },
            };
            Some(vb.get_with_hints(n_features, "log_scale", init)?)
        } else {
            None
        };
        Ok(Self {
            layers,
            loc,
            zero_logits,
            log_scale,
        })
    }

    /// Decode `z` `[rows, latent]` under each row's `covariates` (those the model has).
    /// In a training `pass` batch-norm uses the rows' own statistics and leaves them there,
    /// as the backward pass will the weights' gradients.
    fn forward(
        &self,
        z: &Tensor,
        covariates: &Covariates,
        mut pass: Option<&mut TrainingPass>,
    ) -> candle_core::Result<DecoderOutput> {
        let mut h = match covariates.continuous {
            Some(continuous) => Tensor::cat(&[z, continuous], 1)?,
            None => z.clone(),
        };
        for layer in &self.layers {
            h = layer.forward(&h, covariates, pass.as_deref_mut())?;
        }
        Ok(DecoderOutput {
            loc: self.loc.forward(&h, covariates, pass.as_deref_mut())?,
            log_scale: self.log_scale.clone(),
            zero_logits: match &self.zero_logits {
                Some(head) => Some(head.forward(&h, covariates, pass)?),
                None => None,
            },
        })
    }

    /// The weight matrices that L1/L2 penalties act on.
    fn push_penalised(&self, out: &mut Vec<Tensor>) {
        for layer in &self.layers {
            layer.push_penalised(out);
        }
        self.loc.push_penalised(out);
        if let Some(head) = &self.zero_logits {
            head.push_penalised(out);
        }
    }
}
