//! EVE's Bayesian decoder end to end in the library: trains and scores a small weighted
//! family without NaN, repeats with its seed, saves and loads, and old config.json files
//! still load with the standard decoder; the same for DeepSequence's group sparsity.

use candle_core::Device;
use vaebio_model::{
    BayesianDecoder, Dataset, DecoderKind, DenseView, EarlyStopping, Likelihood, LogitSparsity,
    Losses, Norm, Sparsity, TrainConfig, Vae, VaeConfig,
};

const ROWS: usize = 40;
const COLUMNS: usize = 6;
const STATES: usize = 4;

/// A one-hot family: column c of row r holds state (r + c·(r / 10)) mod 4, so rows fall in
/// four groups of ten with their own column patterns.
fn family() -> Vec<f32> {
    let mut values = vec![0f32; ROWS * COLUMNS * STATES];
    for r in 0..ROWS {
        for c in 0..COLUMNS {
            let state = (r + c * (r / 10)) % STATES;
            values[(r * COLUMNS + c) * STATES + state] = 1.0;
        }
    }
    values
}

fn weights() -> Vec<f32> {
    (0..ROWS).map(|r| 0.5 + (r % 3) as f32 * 0.25).collect()
}

fn config(seed: u64) -> VaeConfig {
    VaeConfig {
        hidden: vec![16, 8],
        latent: 3,
        dropout: 0.0,
        norm: Norm::None,
        decoder: DecoderKind::Bayesian(BayesianDecoder {
            dictionary: 3,
            ..BayesianDecoder::default()
        }),
        seed,
        ..VaeConfig::new(
            COLUMNS * STATES,
            Likelihood::Categorical { n_states: STATES },
        )
    }
}

fn training(seed: u64) -> TrainConfig {
    TrainConfig {
        epochs: 4,
        batch_size: 8,
        learning_rate: 1e-2,
        validation_fraction: 0.0,
        seed,
        ..TrainConfig::default()
    }
}

fn trained(seed: u64) -> Vae {
    trained_with(config(seed))
}

/// [`config`] with DeepSequence's logit sparsity over 4 tiles of the last 16 hidden units.
fn sparse_config(seed: u64) -> VaeConfig {
    VaeConfig {
        decoder: DecoderKind::Bayesian(BayesianDecoder {
            dictionary: 3,
            sparsity: Sparsity::Logit(LogitSparsity::default()),
            ..BayesianDecoder::default()
        }),
        ..config(seed)
    }
}

fn trained_with(config: VaeConfig) -> Vae {
    let seed = config.seed;
    let values = family();
    let view = DenseView::new(&values, COLUMNS * STATES).unwrap();
    let weights = weights();
    let data = Dataset::new(&view).with_weights(&weights).unwrap();
    let mut vae = Vae::new(config, &Device::Cpu).unwrap();
    let history = vae.train(&data, &training(seed), |_| {}).unwrap();
    for record in &history.epochs {
        assert!(record.train.total.is_finite(), "{record:?}");
        // The weights' KL / N_eff is part of the regulariser.
        assert!(record.train.regularizer > 0.0, "{record:?}");
    }
    vae
}

fn elbo(vae: &Vae, samples: usize, seed: u64) -> Vec<f32> {
    let values = family();
    let view = DenseView::new(&values, COLUMNS * STATES).unwrap();
    vae.elbo(&Dataset::new(&view), samples, seed).unwrap()
}

#[test]
fn trains_and_scores_without_nan() {
    let vae = trained(3);
    let scores = elbo(&vae, 20, 1);
    assert_eq!(scores.len(), ROWS);
    assert!(
        scores.iter().all(|v| v.is_finite() && *v < 0.0),
        "{scores:?}"
    );
    // Scoring draws the decoder's weights too: another seed gives other values.
    assert_ne!(scores, elbo(&vae, 20, 2));
    // Reconstruction decodes with the means: the same twice, a distribution per column.
    let values = family();
    let view = DenseView::new(&values, COLUMNS * STATES).unwrap();
    let once = vae.reconstruct(&Dataset::new(&view), None).unwrap();
    let twice = vae.reconstruct(&Dataset::new(&view), None).unwrap();
    assert_eq!(once, twice);
    for block in once.values().chunks(STATES) {
        assert!((block.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
}

#[test]
fn the_same_seed_gives_the_same_model_and_scores() {
    let (a, b) = (trained(5), trained(5));
    for ((name, x), (_, y)) in a.named_variables().iter().zip(b.named_variables()) {
        let x = x
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let y = y
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(x, y, "{name}");
    }
    assert_eq!(elbo(&a, 5, 9), elbo(&b, 5, 9));
    assert_ne!(elbo(&a, 5, 9), elbo(&trained(6), 5, 9));
}

#[test]
fn checkpoint_round_trips_with_named_variational_tensors() {
    let vae = trained(4);
    let names: Vec<String> = vae.named_variables().into_iter().map(|(n, _)| n).collect();
    for expected in [
        "decoder.layers.0.weight_mean",
        "decoder.layers.1.bias_log_var",
        "decoder.out.weight_log_var",
        "decoder.out.bias_mean",
        "decoder.out.dictionary_mean",
        "decoder.temperature_log_var",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    // Training moved the variances too (they start at exactly −10).
    for name in [
        "decoder.layers.0.weight_log_var",
        "decoder.out.dictionary_log_var",
    ] {
        let (_, var) = vae
            .named_variables()
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap();
        let values = var
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(values.iter().any(|&v| v != -10.0), "{name}");
    }
    let dir = tempfile::tempdir().unwrap();
    vae.save(dir.path()).unwrap();
    let loaded = Vae::load(dir.path(), &Device::Cpu).unwrap();
    assert_eq!(loaded.config(), vae.config());
    assert_eq!(elbo(&loaded, 7, 3), elbo(&vae, 7, 3));
}

#[test]
fn config_files_without_a_decoder_field_load_as_standard() {
    let old = r#"{"n_features": 12, "likelihood": {"kind": "categorical", "n_states": 3}}"#;
    let old: VaeConfig = serde_json::from_str(old).unwrap();
    assert_eq!(old.decoder, DecoderKind::Standard);
    let bayesian = config(1);
    let json = serde_json::to_string(&bayesian).unwrap();
    assert!(
        json.contains(
            r#""decoder":{"kind":"bayesian","dropout":0.1,"dictionary":3,"temperature":true}"#
        ),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<VaeConfig>(&json).unwrap(), bayesian);
    let partial = r#"{"kind": "bayesian", "dictionary": 0}"#;
    let decoder: DecoderKind = serde_json::from_str(partial).unwrap();
    assert_eq!(
        decoder,
        DecoderKind::Bayesian(BayesianDecoder {
            dictionary: 0,
            ..BayesianDecoder::default()
        })
    );
}

#[test]
fn the_bayesian_decoder_is_for_alignments_only() {
    let gaussian = VaeConfig {
        decoder: DecoderKind::Bayesian(BayesianDecoder::default()),
        ..VaeConfig::new(
            4,
            Likelihood::Gaussian {
                learned_variance: false,
            },
        )
    };
    let error = gaussian.validate().unwrap_err().to_string();
    assert!(
        error.contains("invalid setting `decoder`") && error.contains("categorical"),
        "{error}"
    );
    let bad_dropout = VaeConfig {
        decoder: DecoderKind::Bayesian(BayesianDecoder {
            dropout: 1.0,
            ..BayesianDecoder::default()
        }),
        ..config(0)
    };
    assert!(bad_dropout.validate().is_err());
}

fn variable(vae: &Vae, name: &str) -> (Vec<usize>, Vec<f32>) {
    let (_, var) = vae
        .named_variables()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name}"));
    let tensor = var.as_tensor();
    (
        tensor.dims().to_vec(),
        tensor.flatten_all().unwrap().to_vec1().unwrap(),
    )
}

/// DeepSequence's sparsity: scales `[16 / 4 tiles, 6 columns]` saved under their names,
/// trained (their variances move off −10), byte-identical at a seed, and the same scores after
/// a save and load.
#[test]
fn group_sparsity_trains_repeats_and_round_trips() {
    let (a, b) = (
        trained_with(sparse_config(5)),
        trained_with(sparse_config(5)),
    );
    for ((name, x), (_, y)) in a.named_variables().iter().zip(b.named_variables()) {
        let x: Vec<f32> = x.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        let y: Vec<f32> = y.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(x, y, "{name}");
    }
    let (shape, means) = variable(&a, "decoder.out.sparsity_mean");
    assert_eq!(shape, [4, COLUMNS]);
    assert!(means.iter().all(|m| m.is_finite()));
    let (_, log_vars) = variable(&a, "decoder.out.sparsity_log_var");
    assert!(log_vars.iter().any(|&v| v != -10.0));
    assert_eq!(elbo(&a, 5, 9), elbo(&b, 5, 9));
    // The scales change the model: the same seed without them trains another one.
    assert_ne!(elbo(&a, 5, 9), elbo(&trained(5), 5, 9));
    let dir = tempfile::tempdir().unwrap();
    a.save(dir.path()).unwrap();
    let loaded = Vae::load(dir.path(), &Device::Cpu).unwrap();
    assert_eq!(loaded.config(), a.config());
    assert_eq!(elbo(&loaded, 7, 3), elbo(&a, 7, 3));
}

#[test]
fn sparsity_settings_serialise_and_validate() {
    let json = serde_json::to_string(&sparse_config(1)).unwrap();
    assert!(
        json.contains(r#""sparsity":{"kind":"logit","tiles":4,"prior_mean":-12.360929224671253,"prior_sigma":4.0}"#),
        "{json}"
    );
    assert_eq!(
        serde_json::from_str::<VaeConfig>(&json).unwrap(),
        sparse_config(1)
    );
    // Fields left out take DeepSequence's defaults.
    let partial = r#"{"kind": "bayesian", "sparsity": {"kind": "logit", "tiles": 2}}"#;
    let DecoderKind::Bayesian(decoder) = serde_json::from_str(partial).unwrap() else {
        panic!("not bayesian");
    };
    assert_eq!(
        decoder.sparsity,
        Sparsity::Logit(LogitSparsity {
            tiles: 2,
            ..LogitSparsity::default()
        })
    );
    let with = |sparsity: LogitSparsity| VaeConfig {
        decoder: DecoderKind::Bayesian(BayesianDecoder {
            sparsity: Sparsity::Logit(sparsity),
            ..BayesianDecoder::default()
        }),
        ..config(0)
    };
    // The last decoder layer has 16 units: 3 tiles do not divide it, 0 tiles are none.
    for tiles in [0, 3] {
        let error = with(LogitSparsity {
            tiles,
            ..LogitSparsity::default()
        })
        .validate()
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("decoder.sparsity.tiles") && error.contains("16 units"),
            "{error}"
        );
    }
    let bad_sigma = with(LogitSparsity {
        prior_sigma: 0.0,
        ..LogitSparsity::default()
    });
    assert!(bad_sigma.validate().is_err());
    with(LogitSparsity::default()).validate().unwrap();
}

/// Early stopping watches the held-out rows' negative ELBO, not the total with the weights'
/// KL / N_eff: that term shrinks every epoch as the log-variances grow, so with it the
/// "best" epoch was nearly always the last one and training never stopped early.
#[test]
fn early_stopping_ignores_the_weight_kl() {
    let values = family();
    let view = DenseView::new(&values, COLUMNS * STATES).unwrap();
    let weights = weights();
    let data = Dataset::new(&view).with_weights(&weights).unwrap();
    let mut vae = Vae::new(config(3), &Device::Cpu).unwrap();
    let train = TrainConfig {
        epochs: 80,
        validation_fraction: 0.25,
        early_stopping: Some(EarlyStopping {
            patience: 5,
            ..EarlyStopping::default()
        }),
        ..training(3)
    };
    let history = vae.train(&data, &train, |_| {}).unwrap();
    let held_out = |pick: fn(&Losses) -> f64| {
        let records = &history.epochs;
        let best = records
            .iter()
            .min_by(|a, b| {
                let (a, b) = (a.validation.as_ref(), b.validation.as_ref());
                pick(a.unwrap()).total_cmp(&pick(b.unwrap()))
            })
            .unwrap();
        best.epoch
    };
    let by_data = held_out(Losses::data);
    let by_total = held_out(|losses| losses.total);
    // the run discriminates: the weight KL moves the minimum of the total
    assert_ne!(by_data, by_total, "{history:?}");
    assert_eq!(history.best_epoch, Some(by_data));
    assert!(history.stopped_early, "{history:?}");
    // data() is recon + KL weight · KL (β = 1 here), the regulariser left out
    let last = history.epochs.last().unwrap().validation.unwrap();
    assert!(last.regularizer > 0.0);
    assert!((last.data() - (last.recon + last.kl)).abs() < 1e-9 * last.total.abs().max(1.0));
}
