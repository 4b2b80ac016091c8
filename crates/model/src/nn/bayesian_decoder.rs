//! EVE's Bayesian decoder (`EVE/VAE_decoder.py`, `VAE_Bayesian_MLP_decoder`): variational
//! hidden layers, a variational last layer whose per-column channels a shared dictionary maps
//! to the alphabet, and a variational inverse temperature on the logits. The decoder's
//! output is the logits of the categorical likelihood, which takes the log-softmax per column.
//!
//! Where this differs from EVE's code: EVE applies the dictionary after reinterpreting its
//! `[L·C, H]` weight as `[L·H, C]` (a `view`, not a transpose), which mixes columns and
//! hidden units; here the dictionary maps each column's own C channels, as DeepSequence's
//! `model.py` does. Group sparsity (DeepSequence's `sparsity`, EVE's `include_sparsity`) is
//! an option ([`LogitSparsity`]), off in EVE's default.

use candle_core::Tensor;
use candle_nn::VarBuilder;
use candle_nn::init::Init;

use crate::config::{Activation, BayesianDecoder, LogitSparsity, Sparsity, VaeConfig};
use crate::likelihood::Likelihood;
use crate::nn::bayesian::{BIAS_MEAN_INIT, BayesianLinear, GaussianParam};
use crate::nn::layer::{activate, dropped};
use crate::noise::Noise;
use crate::ops::group_scale::scale_groups;
use crate::ops::linear::linear;

/// The variational decoder. Tensor names: `decoder.layers.{i}.{weight,bias}_{mean,log_var}`,
/// `decoder.out.{weight,bias}_{mean,log_var}`, `decoder.out.dictionary_{mean,log_var}`,
/// `decoder.out.sparsity_{mean,log_var}`, `decoder.temperature_{mean,log_var}`.
pub(crate) struct BayesianMlp {
    layers: Vec<BayesianLinear>,
    activation: Activation,
    dropout: f32,
    /// `[columns · channels, last hidden]`.
    out_weight: GaussianParam,
    /// `[columns · states]`.
    out_bias: GaussianParam,
    /// `[channels, states]`, when the last layer has its own channels.
    dictionary: Option<GaussianParam>,
    /// DeepSequence's group-sparse scales of the last layer's weights.
    sparsity: Option<GroupSparsity>,
    /// `[1]`: the logits are multiplied by softplus(temperature).
    temperature: Option<GaussianParam>,
    n_states: usize,
}

/// Logit scales `[hidden / tiles, columns]` with their prior ([`LogitSparsity`]).
struct GroupSparsity {
    scales: GaussianParam,
    settings: LogitSparsity,
}

/// One draw of the decoder's variational tensors ([`BayesianMlp::draw`]): what a forward
/// pass multiplies by. A training step draws once for its whole minibatch and hands its
/// shards the draw ([`crate::train::shards`]).
#[derive(Clone)]
pub(crate) struct DecoderDraw {
    /// Each hidden layer's weight `[out, in]` and bias `[out]`.
    layers: Vec<(Tensor, Tensor)>,
    /// `[columns · channels, last hidden]`, group-sparse scales applied.
    out_weight: Tensor,
    /// `[columns · states]`.
    out_bias: Tensor,
    /// `[channels, states]`.
    dictionary: Option<Tensor>,
    /// softplus(temperature) `[1]`.
    scale: Option<Tensor>,
}

impl DecoderDraw {
    /// Every tensor of the draw, in a fixed order.
    pub(crate) fn tensors(&self) -> Vec<&Tensor> {
        let mut all: Vec<&Tensor> = Vec::new();
        for (weight, bias) in &self.layers {
            all.extend([weight, bias]);
        }
        all.extend([&self.out_weight, &self.out_bias]);
        all.extend(self.dictionary.iter().chain(&self.scale));
        all
    }

    /// The same draw with its tensors replaced, in [`DecoderDraw::tensors`]' order.
    pub(crate) fn with_tensors(&self, mut tensors: impl Iterator<Item = Tensor>) -> Self {
        let mut next = || tensors.next().expect("one tensor per tensor of the draw");
        let layers = self.layers.iter().map(|_| (next(), next())).collect();
        let (out_weight, out_bias) = (next(), next());
        let dictionary = self.dictionary.as_ref().map(|_| next());
        let scale = self.scale.as_ref().map(|_| next());
        Self {
            layers,
            out_weight,
            out_bias,
            dictionary,
            scale,
        }
    }
}

impl BayesianMlp {
    /// Build from a validated config with a categorical likelihood under `vb`.
    pub(crate) fn new(
        config: &VaeConfig,
        settings: BayesianDecoder,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let Likelihood::Categorical { n_states } = config.likelihood else {
            candle_core::bail!("the Bayesian decoder needs the categorical likelihood");
        };
        let n_columns = config.n_features / n_states;
        let mut layers = Vec::new();
        let mut n_in = config.latent;
        let layers_vb = vb.pp("layers");
        for (i, n_out) in config.decoder_layers().into_iter().enumerate() {
            layers.push(BayesianLinear::new(n_in, n_out, &layers_vb.pp(i))?);
            n_in = n_out;
        }
        let channels = match settings.dictionary {
            0 => n_states,
            depth => depth,
        };
        let out_vb = vb.pp("out");
        let n_out = n_columns * channels;
        // EVE: xavier_normal_ on the [L·C, H] weight, std √(2 / (fan_in + fan_out)).
        let xavier = Init::Randn {
            mean: 0.0,
            stdev: (2.0 / (n_in + n_out) as f64).sqrt(),
        };
        let out_weight = GaussianParam::new((n_out, n_in), "weight", xavier, &out_vb)?;
        let out_bias = GaussianParam::new(
            n_columns * n_states,
            "bias",
            Init::Const(BIAS_MEAN_INIT),
            &out_vb,
        )?;
        let dictionary = if settings.dictionary > 0 {
            // PyTorch's Conv1d init (kernel 1): U(±1/√in_channels).
            let bound = 1.0 / (channels as f64).sqrt();
            let init = Init::Uniform {
                lo: -bound,
                up: bound,
            };
            Some(GaussianParam::new(
                (channels, n_states),
                "dictionary",
                init,
                &out_vb,
            )?)
        } else {
            None
        };
        let sparsity = match settings.sparsity {
            Sparsity::None => None,
            // DeepSequence and EVE: means 0 (every scale at sigmoid(0) = ½), log-variance −10.
            Sparsity::Logit(logit) => Some(GroupSparsity {
                scales: GaussianParam::new(
                    (n_in / logit.tiles, n_columns),
                    "sparsity",
                    Init::Const(0.0),
                    &out_vb,
                )?,
                settings: logit,
            }),
        };
        let temperature = if settings.temperature {
            Some(GaussianParam::new(1, "temperature", Init::Const(1.0), &vb)?)
        } else {
            None
        };
        Ok(Self {
            layers,
            activation: config.activation,
            dropout: settings.dropout as f32,
            out_weight,
            out_bias,
            dictionary,
            sparsity,
            temperature,
            n_states,
        })
    }

    /// Logits `[rows, columns · states]` for `z` `[rows, latent]`. With `noise` every
    /// variational tensor is drawn from it (scoring and validation, as EVE does), and while
    /// `train` dropout is applied too; without noise the means decode deterministically.
    pub(crate) fn forward(
        &self,
        z: &Tensor,
        mut noise: Option<&mut Noise>,
        train: bool,
    ) -> candle_core::Result<Tensor> {
        let draw = self.draw(noise.as_deref_mut())?;
        self.forward_drawn(z, &draw, noise, train)
    }

    /// Every variational tensor drawn from `noise` in EVE's order (each hidden layer's weight
    /// and bias, then the last layer's weight, bias, dictionary, sparsity scales and
    /// temperature), or their means without it; the group-sparse scales are applied to the
    /// last layer's weight and the temperature is taken through softplus here.
    pub(crate) fn draw(&self, mut noise: Option<&mut Noise>) -> candle_core::Result<DecoderDraw> {
        let layers = self
            .layers
            .iter()
            .map(|layer| layer.draw(noise.as_deref_mut()))
            .collect::<candle_core::Result<_>>()?;
        let mut out_weight = self.out_weight.draw(noise.as_deref_mut())?;
        let out_bias = self.out_bias.draw(noise.as_deref_mut())?;
        let dictionary = match &self.dictionary {
            Some(dictionary) => Some(dictionary.draw(noise.as_deref_mut())?),
            None => None,
        };
        if let Some(sparsity) = &self.sparsity {
            // A scale per (hidden unit, column) commutes with the dictionary, which mixes
            // each column's channels only: scaling W before it equals scaling W·D.
            out_weight = sparsity.apply(&out_weight, noise.as_deref_mut())?;
        }
        let scale = match &self.temperature {
            // softplus(t) = ln(1 + eᵗ), as EVE's log(1 + exp(t)).
            Some(temperature) => Some(temperature.draw(noise)?.exp()?.affine(1.0, 1.0)?.log()?),
            None => None,
        };
        Ok(DecoderDraw {
            layers,
            out_weight,
            out_bias,
            dictionary,
            scale,
        })
    }

    /// Logits for `z` with the decoder's tensors `draw`; while `train`, dropout masks from
    /// `noise`.
    pub(crate) fn forward_drawn(
        &self,
        z: &Tensor,
        draw: &DecoderDraw,
        mut noise: Option<&mut Noise>,
        train: bool,
    ) -> candle_core::Result<Tensor> {
        let p = if train { self.dropout } else { 0.0 };
        let mut h = dropped(z.clone(), noise.as_deref_mut(), p)?;
        for (weight, bias) in &draw.layers {
            h = activate(&linear(&h, weight, bias, None)?, self.activation)?;
            h = dropped(h, noise.as_deref_mut(), p)?;
        }
        let rows = h.dim(0)?;
        // h Wᵀ then the dictionary per column equals h (W·D)ᵀ without forming W·D.
        let mut logits = h.matmul(&draw.out_weight.t()?)?;
        if let Some(dictionary) = &draw.dictionary {
            let channels = dictionary.dim(0)?;
            let columns = logits.dim(1)? / channels;
            logits = logits
                .reshape((rows * columns, channels))?
                .matmul(dictionary)?
                .reshape((rows, columns * self.n_states))?;
        }
        logits = logits.broadcast_add(&draw.out_bias)?;
        if let Some(scale) = &draw.scale {
            logits = logits.broadcast_mul(scale)?;
        }
        Ok(logits)
    }

    /// KL(q ‖ N(0, 1)) of every variational tensor, summed (a scalar).
    pub(crate) fn kl(&self) -> candle_core::Result<Tensor> {
        let mut total = (self.out_weight.kl()? + self.out_bias.kl()?)?;
        for layer in &self.layers {
            total = (total + layer.kl()?)?;
        }
        for param in [&self.dictionary, &self.temperature].into_iter().flatten() {
            total = (total + param.kl()?)?;
        }
        if let Some(sparsity) = &self.sparsity {
            let LogitSparsity {
                prior_mean,
                prior_sigma,
                ..
            } = sparsity.settings;
            total = (total + sparsity.scales.kl_to(prior_mean, prior_sigma)?)?;
        }
        Ok(total)
    }

    /// The weight means that L1/L2 penalties act on.
    pub(crate) fn push_penalised(&self, out: &mut Vec<Tensor>) {
        for layer in &self.layers {
            layer.push_penalised(out);
        }
        out.push(self.out_weight.mean().clone());
        if let Some(dictionary) = &self.dictionary {
            out.push(dictionary.mean().clone());
        }
    }
}

impl GroupSparsity {
    /// `weight` `[columns · channels, hidden]` with the weights from hidden unit h to column
    /// l multiplied by sigmoid(S[h mod (hidden / tiles), l]), S drawn from `noise`.
    fn apply(&self, weight: &Tensor, noise: Option<&mut Noise>) -> candle_core::Result<Tensor> {
        let scales = candle_nn::ops::sigmoid(&self.scales.draw(noise)?)?;
        // Repeated over the hidden units as DeepSequence's `T.tile(S, (n_patterns, 1))`.
        let tiled = Tensor::cat(&vec![&scales; self.settings.tiles], 0)?;
        scale_groups(weight, &tiled.t()?)
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};
    use candle_nn::VarMap;

    use super::BayesianMlp;
    use crate::config::{BayesianDecoder, DecoderKind, LogitSparsity, Sparsity, VaeConfig};
    use crate::likelihood::Likelihood;
    use crate::nn::init::SeededVarMap;
    use crate::noise::Noise;

    fn decoder(settings: BayesianDecoder) -> (VarMap, BayesianMlp) {
        let config = VaeConfig {
            hidden: vec![6],
            latent: 3,
            decoder: DecoderKind::Bayesian(settings),
            ..VaeConfig::new(4 * 5, Likelihood::Categorical { n_states: 5 })
        };
        let varmap = VarMap::new();
        let vb = SeededVarMap::builder(&varmap, 7, &Device::Cpu);
        let decoder = BayesianMlp::new(&config, settings, vb.pp("decoder")).unwrap();
        (varmap, decoder)
    }

    fn values(t: &Tensor) -> Vec<f32> {
        t.flatten_all().unwrap().to_vec1().unwrap()
    }

    fn z() -> Tensor {
        let values: Vec<f32> = (0..6).map(|v| v as f32 / 3.0 - 1.0).collect();
        Tensor::from_vec(values, (2, 3), &Device::Cpu).unwrap()
    }

    /// The hidden layer at the variational means, by hand: relu(z W₀ᵀ + b₀).
    fn hidden_by_hand(vars: &std::collections::HashMap<String, candle_core::Var>) -> Tensor {
        let var = |name: &str| vars[name].as_tensor().clone();
        z().matmul(&var("decoder.layers.0.weight_mean").t().unwrap())
            .unwrap()
            .broadcast_add(&var("decoder.layers.0.bias_mean"))
            .unwrap()
            .relu()
            .unwrap()
    }

    /// Without noise the decoder is deterministic and is the network of the means: with
    /// no dictionary or temperature, relu(z W₀ᵀ + b₀) Wᵀ + b from the `_mean` tensors.
    #[test]
    fn evaluation_uses_the_means() {
        let settings = BayesianDecoder {
            dropout: 0.5,
            dictionary: 0,
            temperature: false,
            sparsity: Sparsity::None,
        };
        let (varmap, decoder) = decoder(settings);
        let first = values(&decoder.forward(&z(), None, false).unwrap());
        assert_eq!(first, values(&decoder.forward(&z(), None, false).unwrap()));
        let vars = varmap.data().lock().unwrap();
        let var = |name: &str| vars[name].as_tensor().clone();
        let hidden = hidden_by_hand(&vars);
        let by_hand = hidden
            .matmul(&var("decoder.out.weight_mean").t().unwrap())
            .unwrap()
            .broadcast_add(&var("decoder.out.bias_mean"))
            .unwrap();
        for (a, b) in first.iter().zip(values(&by_hand)) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    /// With noise the weights are drawn: two steps of one stream differ, one seed repeats,
    /// and draws stay near the means (σ = e^−5 at initialisation).
    #[test]
    fn training_draws_new_weights_each_step() {
        let (_, decoder) = decoder(BayesianDecoder::default());
        let means = values(&decoder.forward(&z(), None, false).unwrap());
        let mut noise = Noise::new(1);
        let step1 = values(&decoder.forward(&z(), Some(&mut noise), false).unwrap());
        let step2 = values(&decoder.forward(&z(), Some(&mut noise), false).unwrap());
        assert_ne!(step1, step2);
        let again = values(
            &decoder
                .forward(&z(), Some(&mut Noise::new(1)), false)
                .unwrap(),
        );
        assert_eq!(step1, again);
        for (drawn, mean) in step1.iter().zip(&means) {
            assert!((drawn - mean).abs() < 0.1, "{drawn} vs {mean}");
        }
        assert_eq!(step1.len(), 2 * 20);
    }

    /// The initial KL is EVE's: every log-variance −10, so each element adds
    /// ½(μ² + e^−10 + 10 − 1); here it is summed by hand over the `_mean` tensors.
    #[test]
    fn weight_kl_sums_every_variational_tensor() {
        let (varmap, decoder) = decoder(BayesianDecoder::default());
        let kl = f64::from(decoder.kl().unwrap().to_scalar::<f32>().unwrap());
        let mut by_hand = 0.0;
        let mut n_means = 0;
        for (name, var) in varmap.data().lock().unwrap().iter() {
            if name.ends_with("_mean") {
                n_means += 1;
                for m in values(var.as_tensor()) {
                    let m = f64::from(m);
                    by_hand += 0.5 * (m * m + (-10f64).exp() + 10.0 - 1.0);
                }
            }
        }
        // Layer 0 (weight, bias), out (weight, bias, dictionary), temperature.
        assert_eq!(n_means, 6);
        assert!((kl - by_hand).abs() < 1e-3 * by_hand, "{kl} vs {by_hand}");
    }
    fn logit_sparsity(tiles: usize) -> Sparsity {
        Sparsity::Logit(LogitSparsity {
            tiles,
            ..LogitSparsity::default()
        })
    }

    fn sigmoid(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    /// A known S gives known weights: with 6 hidden units in 2 tiles, S is `[3, 4 columns]`
    /// and the weight from unit h to column l is scaled by sigmoid(S[h mod 3, l]), summed by
    /// hand here in f64 over the `_mean` tensors. Column 3's scales are −40 (sigmoid ≈ 4e−18):
    /// its logits are its biases alone.
    #[test]
    fn sparsity_scales_each_hidden_unit_per_column() {
        let settings = BayesianDecoder {
            dictionary: 0,
            temperature: false,
            sparsity: logit_sparsity(2),
            ..BayesianDecoder::default()
        };
        let (varmap, decoder) = decoder(settings);
        let vars = varmap.data().lock().unwrap();
        let var = |name: &str| vars[name].as_tensor().clone();
        assert_eq!(var("decoder.out.sparsity_mean").dims(), [3, 4]);
        let scales: Vec<f32> = (0..12)
            .map(|i| {
                if i % 4 == 3 {
                    -40.0
                } else {
                    i as f32 / 4.0 - 1.5
                }
            })
            .collect();
        vars["decoder.out.sparsity_mean"]
            .set(&Tensor::from_vec(scales.clone(), (3, 4), &Device::Cpu).unwrap())
            .unwrap();
        let logits = values(&decoder.forward(&z(), None, false).unwrap());
        let hidden = hidden_by_hand(&vars).to_vec2::<f32>().unwrap();
        let weight = var("decoder.out.weight_mean").to_vec2::<f32>().unwrap();
        let bias = values(&var("decoder.out.bias_mean"));
        for (row, h) in hidden.iter().enumerate() {
            for out in 0..20 {
                let column = out / 5;
                let by_hand: f64 = f64::from(bias[out])
                    + (0..6)
                        .map(|unit| {
                            let scale = f64::from(scales[(unit % 3) * 4 + column]);
                            f64::from(h[unit]) * f64::from(weight[out][unit]) * sigmoid(scale)
                        })
                        .sum::<f64>();
                let got = f64::from(logits[row * 20 + out]);
                assert!(
                    (got - by_hand).abs() < 1e-5,
                    "{row} {out}: {got} vs {by_hand}"
                );
                if column == 3 {
                    assert!((got - f64::from(bias[out])).abs() < 1e-6);
                }
            }
        }
    }

    /// The sparsity scales' KL is to DeepSequence's logit prior N(4·Φ⁻¹(0.001), 4²), every
    /// other tensor's to N(0, 1); summed by hand in f64 from the closed form
    /// ½((σ² + (μ − μₚ)²) / σₚ² + ln σₚ² − 1 − ln σ²) after moving the scales off their
    /// initial values (means 0.5·i, log-variances −2).
    #[test]
    fn sparsity_kl_is_to_the_logit_prior() {
        let settings = BayesianDecoder {
            sparsity: logit_sparsity(3),
            ..BayesianDecoder::default()
        };
        let (varmap, decoder) = decoder(settings);
        let vars = varmap.data().lock().unwrap();
        let means: Vec<f32> = (0..8).map(|i| 0.5 * i as f32).collect();
        vars["decoder.out.sparsity_mean"]
            .set(&Tensor::from_vec(means, (2, 4), &Device::Cpu).unwrap())
            .unwrap();
        vars["decoder.out.sparsity_log_var"]
            .set(&Tensor::full(-2f32, (2, 4), &Device::Cpu).unwrap())
            .unwrap();
        let kl = f64::from(decoder.kl().unwrap().to_scalar::<f32>().unwrap());
        let (prior_mean, prior_var) = (-12.360_929_224_671_253, 16.0f64);
        let mut by_hand = 0.0;
        for (name, var) in vars.iter() {
            let Some(stem) = name.strip_suffix("_mean") else {
                continue;
            };
            let log_vars = values(vars[&format!("{stem}_log_var")].as_tensor());
            for (m, lv) in values(var.as_tensor()).into_iter().zip(log_vars) {
                let (m, lv) = (f64::from(m), f64::from(lv));
                by_hand += if stem.ends_with("sparsity") {
                    0.5 * ((lv.exp() + (m - prior_mean).powi(2)) / prior_var + prior_var.ln()
                        - 1.0
                        - lv)
                } else {
                    0.5 * (m * m + lv.exp() - lv - 1.0)
                };
            }
        }
        assert!((kl - by_hand).abs() < 1e-4 * by_hand, "{kl} vs {by_hand}");
    }
}
