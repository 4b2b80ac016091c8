//! Every likelihood and architecture option trains on small data of the right kind and gives
//! finite losses and outputs of the right shape and support.

use candle_core::Device;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vaebio_model::{
    Activation, Dataset, DenseView, FeatureGroup, InputTransform, KlWarmup, Likelihood, Norm,
    Progress, TrainConfig, Vae, VaeConfig,
};

const ROWS: usize = 48;

fn training() -> TrainConfig {
    TrainConfig {
        epochs: 3,
        batch_size: 16,
        learning_rate: 5e-3,
        ..TrainConfig::default()
    }
}

/// Values of the kind `likelihood` models, `ROWS` × `cols`.
fn data_for(likelihood: Likelihood, cols: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..ROWS * cols)
        .map(|i| match likelihood {
            Likelihood::Gaussian { .. } => rng.random_range(-1.0..1.0),
            Likelihood::Bernoulli => f32::from(rng.random_bool(0.3)),
            Likelihood::Binomial { trials } => rng.random_range(0..=trials) as f32,
            Likelihood::Categorical { n_states } => {
                // One-hot: the state of position i / n_states is chosen by the row.
                let row = i / cols;
                f32::from((i % cols) % n_states == row % n_states)
            }
            _ => rng.random_range(0..20) as f32,
        })
        .collect()
}

fn train_and_check(config: VaeConfig, values: &[f32], weights: Option<&[f32]>) -> Vae {
    let cols = config.n_features;
    let view = DenseView::new(values, cols).unwrap();
    let mut data = Dataset::new(&view);
    if let Some(weights) = weights {
        data = data.with_weights(weights).unwrap();
    }
    let mut vae = Vae::new(config, &Device::Cpu).unwrap();
    let history = vae.train(&data, &training(), |_| {}).unwrap();
    for record in &history.epochs {
        assert!(record.train.total.is_finite(), "{record:?}");
        assert!(record.validation.unwrap().total.is_finite(), "{record:?}");
    }
    let reconstruction = vae.reconstruct(&data, None).unwrap();
    assert_eq!(reconstruction.values().len(), ROWS * cols);
    assert!(reconstruction.values().iter().all(|v| v.is_finite()));
    let elbo = vae.elbo(&data, 2, 0).unwrap();
    assert_eq!(elbo.len(), ROWS);
    assert!(elbo.iter().all(|v| v.is_finite()));
    vae
}

#[test]
fn every_likelihood_trains() {
    let likelihoods = [
        Likelihood::Gaussian {
            learned_variance: true,
        },
        Likelihood::Bernoulli,
        Likelihood::Binomial { trials: 2 },
        Likelihood::Categorical { n_states: 3 },
        Likelihood::Poisson,
        Likelihood::NegativeBinomial,
        Likelihood::ZeroInflatedNegativeBinomial,
    ];
    for likelihood in likelihoods {
        let values = data_for(likelihood, 12, 1);
        let config = VaeConfig {
            hidden: vec![8],
            latent: 2,
            ..VaeConfig::new(12, likelihood)
        };
        let vae = train_and_check(config, &values, None);
        let view = DenseView::new(&values, 12).unwrap();
        let reconstruction = vae.reconstruct(&Dataset::new(&view), None).unwrap();
        match likelihood {
            Likelihood::Bernoulli => {
                assert!(
                    reconstruction
                        .values()
                        .iter()
                        .all(|p| (0.0..=1.0).contains(p))
                );
            }
            Likelihood::Categorical { n_states } => {
                for block in reconstruction.values().chunks(n_states) {
                    assert!((block.iter().sum::<f32>() - 1.0).abs() < 1e-4);
                }
            }
            Likelihood::Poisson
            | Likelihood::NegativeBinomial
            | Likelihood::ZeroInflatedNegativeBinomial => {
                // Normalised expression: each row sums to one.
                for row in reconstruction.values().chunks(12) {
                    assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn architecture_options_train() {
    let values = data_for(
        Likelihood::Gaussian {
            learned_variance: false,
        },
        10,
        2,
    );
    let weights: Vec<f32> = (0..ROWS).map(|r| 0.5 + (r % 3) as f32).collect();
    let activations = [
        Activation::Relu,
        Activation::Elu,
        Activation::LeakyRelu,
        Activation::Gelu,
    ];
    let norms = [Norm::None, Norm::Batch, Norm::Layer];
    for (i, activation) in activations.into_iter().enumerate() {
        let config = VaeConfig {
            hidden: vec![12, 8],
            decoder_hidden: Some(vec![6]),
            latent: 3,
            activation,
            norm: norms[i % norms.len()],
            dropout: 0.2,
            standardize: i % 2 == 0,
            ..VaeConfig::new(
                10,
                Likelihood::Gaussian {
                    learned_variance: false,
                },
            )
        };
        train_and_check(config, &values, Some(&weights));
    }
    // No hidden layers at all: a linear VAE.
    let config = VaeConfig {
        hidden: vec![],
        latent: 2,
        ..VaeConfig::new(
            10,
            Likelihood::Gaussian {
                learned_variance: false,
            },
        )
    };
    train_and_check(config, &values, None);
}

#[test]
fn penalties_clipping_and_warmup_enter_the_losses() {
    let values = data_for(Likelihood::Bernoulli, 10, 3);
    let view = DenseView::new(&values, 10).unwrap();
    let config = VaeConfig {
        hidden: vec![8],
        latent: 2,
        ..VaeConfig::new(10, Likelihood::Bernoulli)
    };
    let mut vae = Vae::new(config, &Device::Cpu).unwrap();
    let train = TrainConfig {
        l1: 1e-3,
        l2: 1e-2,
        grad_clip: Some(0.5),
        kl_warmup: Some(KlWarmup::Steps(4)),
        ..training()
    };
    let mut first_step = None;
    let history = vae
        .train(&Dataset::new(&view), &train, |p| {
            if let Progress::Step { losses, .. } = p {
                first_step.get_or_insert(**losses);
            }
        })
        .unwrap();
    let first = first_step.unwrap();
    assert!(first.regularizer > 0.0);
    // KL weight 0 at the first step: total = recon + regulariser.
    assert!((first.total - first.recon - first.regularizer).abs() < 1e-3 * first.total.abs());
    assert_eq!(history.epochs[0].kl_weight, 0.0);
    assert_eq!(history.epochs[2].kl_weight, 1.0);
}

/// An L2 penalty alone has its gradient added by the CPU optimiser; with gradient clipping
/// (here a bound never reached) autograd differentiates it in the loss. Both paths give the
/// same weights and histories bit for bit, and the penalty is in both losses.
#[test]
fn an_l2_penalty_in_the_optimiser_equals_autograd_of_the_penalty() {
    let values = data_for(Likelihood::NegativeBinomial, 10, 4);
    let view = DenseView::new(&values, 10).unwrap();
    let run = |grad_clip: Option<f64>| {
        let config = VaeConfig {
            hidden: vec![8],
            latent: 2,
            ..VaeConfig::new(10, Likelihood::NegativeBinomial)
        };
        let mut vae = Vae::new(config, &Device::Cpu).unwrap();
        let train = TrainConfig {
            l2: 0.05,
            grad_clip,
            ..training()
        };
        let history = vae.train(&Dataset::new(&view), &train, |_| {}).unwrap();
        let weights: Vec<Vec<f32>> = vae
            .named_variables()
            .iter()
            .map(|(_, var)| var.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
            .collect();
        (history, weights)
    };
    let (fused_history, fused_weights) = run(None);
    let (autograd_history, autograd_weights) = run(Some(1e30));
    assert!(fused_history.epochs[0].train.regularizer > 0.0);
    assert_eq!(fused_history, autograd_history);
    assert_eq!(fused_weights, autograd_weights);
}

#[test]
fn feature_groups_scale_the_reconstruction_term() {
    let gaussian = Likelihood::Gaussian {
        learned_variance: false,
    };
    let values = data_for(gaussian, 6, 4);
    let view = DenseView::new(&values, 6).unwrap();
    let first_recon = |groups: Vec<FeatureGroup>| {
        let config = VaeConfig {
            hidden: vec![8],
            latent: 2,
            feature_groups: groups,
            ..VaeConfig::new(6, gaussian)
        };
        let mut vae = Vae::new(config, &Device::Cpu).unwrap();
        let mut first = None;
        vae.train(&Dataset::new(&view), &training(), |p| {
            if let Progress::Step { losses, .. } = p {
                first.get_or_insert(losses.recon);
            }
        })
        .unwrap();
        first.unwrap()
    };
    let plain = first_recon(vec![]);
    let doubled = first_recon(vec![FeatureGroup {
        n_features: 6,
        weight: 2.0,
    }]);
    assert!(
        (doubled - 2.0 * plain).abs() < 1e-4 * plain.abs(),
        "{plain} {doubled}"
    );
    let ignored = first_recon(vec![FeatureGroup {
        n_features: 6,
        weight: 0.0,
    }]);
    assert_eq!(ignored, 0.0);
}

/// A negative-binomial model (hidden [8], latent 2) over `cols` columns, `adjust`ed, trained
/// on every row of `values`; the model and each epoch's training loss.
fn small_nb(values: &[f32], cols: usize, adjust: impl FnOnce(&mut VaeConfig)) -> (Vae, Vec<f64>) {
    let mut config = VaeConfig {
        hidden: vec![8],
        latent: 2,
        ..VaeConfig::new(cols, Likelihood::NegativeBinomial)
    };
    adjust(&mut config);
    let train = TrainConfig {
        validation_fraction: 0.0,
        ..training()
    };
    let view = DenseView::new(values, cols).unwrap();
    let mut vae = Vae::new(config, &Device::Cpu).unwrap();
    let history = vae.train(&Dataset::new(&view), &train, |_| {}).unwrap();
    let totals = history.epochs.iter().map(|r| r.train.total).collect();
    (vae, totals)
}

/// Gene weights come from the training rows' means, enter the loss, and travel with the
/// checkpoint; genes of equal mean weigh exactly 1, so training is then the unweighted one
/// (to rounding: the weighted loss sums per-gene terms, the plain one runs the fused kernel).
#[test]
fn gene_weights_are_fitted_used_and_saved() {
    let cols = 4;
    let run = |values: &[f32], power: f64| {
        small_nb(values, cols, |config| config.gene_weight_power = power)
    };
    // Every column holds 0, 1, 2, 3 twelve times each: equal means, weights 1.
    let even: Vec<f32> = (0..ROWS * cols)
        .map(|i| ((i / cols + i % cols) % 4) as f32)
        .collect();
    let (weighted, weighted_totals) = run(&even, 0.5);
    assert_eq!(weighted.gene_weights().unwrap(), [1.0; 4]);
    for (w, p) in weighted_totals.iter().zip(run(&even, 0.0).1) {
        assert!((w - p).abs() < 1e-6 * p.abs(), "{w} {p}");
    }

    // Column j is j·(row mod 3) + 1: means 1, 2, 3, 4 (rows 0..48 hold 16 of each residue).
    let uneven: Vec<f32> = (0..ROWS * cols)
        .map(|i| ((i % cols) * ((i / cols) % 3) + 1) as f32)
        .collect();
    let (vae, totals) = run(&uneven, 0.5);
    let raw: Vec<f64> = [1.0f64, 2.0, 3.0, 4.0]
        .iter()
        .map(|m| (m + 0.01).powf(-0.5))
        .collect();
    let average = raw.iter().sum::<f64>() / 4.0;
    for (w, r) in vae.gene_weights().unwrap().iter().zip(&raw) {
        assert!((f64::from(*w) - r / average).abs() < 1e-6, "{w} {r}");
    }
    let plain = run(&uneven, 0.0).1;
    assert!(
        (totals[0] - plain[0]).abs() > 1e-3 * plain[0].abs(),
        "{totals:?} {plain:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    vae.save(dir.path()).unwrap();
    let loaded = Vae::load(dir.path(), &Device::Cpu).unwrap();
    assert_eq!(loaded.gene_weights(), vae.gene_weights());
    // A config.json with too few weights, or a negative one, is refused with a reason.
    let path = dir.path().join("config.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let bad = [
        (serde_json::json!([1.0, 1.0]), 2),
        (serde_json::json!([1.0, -1.0, 1.0, 1.0]), 4),
    ];
    for (weights, count) in bad {
        json["gene_weights"] = weights;
        std::fs::write(&path, json.to_string()).unwrap();
        let error = load_error(dir.path());
        assert!(
            error.contains(&format!("gene_weights has {count} weights for 4 features")),
            "{error}"
        );
    }
}

/// With `gene_weight_neighbours` the fitted weights are the mean weights times each gene's
/// neighbourhood autocorrelation on the training rows (here every row), with the training
/// seed. Genes 0–3 follow the rows' groups (row mod 3), genes 4–5 alternate with the row's
/// parity (noise), so the groups' genes score higher.
#[test]
fn neighbourhood_gene_weights_are_fitted_on_the_training_rows() {
    let cols = 6;
    let train = TrainConfig {
        validation_fraction: 0.0,
        ..training()
    };
    let values: Vec<f32> = (0..ROWS)
        .flat_map(|row| {
            let (group, even) = ((row % 3) as f32, (row % 2) as f32);
            [
                1.0,
                group + 1.0,
                2.0 * group + 1.0,
                3.0 * group + 1.0,
                3.0 * even,
                3.0 - 3.0 * even,
            ]
        })
        .collect();
    let view = DenseView::new(&values, cols).unwrap();
    let config = VaeConfig {
        hidden: vec![8],
        latent: 2,
        gene_weight_power: 0.5,
        gene_weight_neighbours: true,
        ..VaeConfig::new(cols, Likelihood::NegativeBinomial)
    };
    let mut vae = Vae::new(config, &Device::Cpu).unwrap();
    vae.train(&Dataset::new(&view), &train, |_| {}).unwrap();
    let autocorrelation = vaebio_model::neighbour_autocorrelation(&view, train.seed);
    let weakest_marker = autocorrelation[..4].iter().copied().fold(1.0, f32::min);
    let noise = autocorrelation[4].max(autocorrelation[5]);
    assert!(weakest_marker > noise, "{autocorrelation:?}");
    let means = [1.0, 2.0, 3.0, 4.0, 1.5, 1.5];
    let expected = vaebio_model::gene_weights_with_autocorrelation(&means, 0.5, &autocorrelation);
    for (w, e) in vae.gene_weights().unwrap().iter().zip(&expected) {
        assert!(
            (w - e).abs() < 1e-6,
            "{:?} {expected:?}",
            vae.gene_weights()
        );
    }
}

/// Library-size weights: the training rows' scale is fitted, cells of equal library weigh
/// exactly 1 (training is then the unweighted one), and unequal libraries change the loss.
#[test]
fn library_weights_are_fitted_and_used() {
    let cols = 4;
    let run = |values: &[f32], power: f64| {
        let (vae, totals) = small_nb(values, cols, |config| config.library_weight_power = power);
        // The scale a new training session fits on the same rows.
        let mut fresh = Vae::new(vae.config().clone(), &Device::Cpu).unwrap();
        let view = DenseView::new(values, cols).unwrap();
        let train = TrainConfig {
            validation_fraction: 0.0,
            ..training()
        };
        let scale = vaebio_model::Trainer::new(&mut fresh, Dataset::new(&view), &train)
            .unwrap()
            .library_weight_scales();
        (scale, totals)
    };
    // Every row holds 0, 1, 2, 3 in some order: library 6 everywhere, weights 1.
    let even: Vec<f32> = (0..ROWS * cols)
        .map(|i| ((i / cols + i % cols) % 4) as f32)
        .collect();
    let (scale, weighted) = run(&even, 1.0);
    assert!(
        (f64::from(scale.as_ref().unwrap()[0]) - 1.0 / 6.0).abs() < 1e-7,
        "{scale:?}"
    );
    let (none, plain) = run(&even, 0.0);
    assert_eq!(none, None);
    for (w, p) in weighted.iter().zip(&plain) {
        assert!((w - p).abs() < 1e-6 * p.abs(), "{w} {p}");
    }
    // Row r holds (r mod 3) + 1 in every column: libraries 4, 8, 12, a third of rows each.
    let uneven: Vec<f32> = (0..ROWS * cols)
        .map(|i| ((i / cols) % 3 + 1) as f32)
        .collect();
    let (scale, weighted) = run(&uneven, 1.0);
    let expected = (1.0 / 4.0 + 1.0 / 8.0 + 1.0 / 12.0) / 3.0;
    assert!(
        (f64::from(scale.as_ref().unwrap()[0]) - expected).abs() < 1e-7,
        "{scale:?}"
    );
    let plain = run(&uneven, 0.0).1;
    assert!(
        (weighted[0] - plain[0]).abs() > 1e-3 * plain[0].abs(),
        "{weighted:?} {plain:?}"
    );

    // With a batch covariate each batch gets its own scale: even rows (batch 0) have
    // library 4, odd rows (batch 1) library 12.
    let by_batch: Vec<f32> = (0..ROWS * cols)
        .map(|i| if (i / cols) % 2 == 0 { 1.0 } else { 3.0 })
        .collect();
    let batches: Vec<u32> = (0..ROWS as u32).map(|r| r % 2).collect();
    let view = DenseView::new(&by_batch, cols).unwrap();
    let config = VaeConfig {
        hidden: vec![8],
        latent: 2,
        n_batches: 2,
        library_weight_power: 1.0,
        ..VaeConfig::new(cols, Likelihood::NegativeBinomial)
    };
    let mut vae = Vae::new(config, &Device::Cpu).unwrap();
    let data = Dataset::new(&view).with_batches(&batches).unwrap();
    let train = TrainConfig {
        validation_fraction: 0.0,
        ..training()
    };
    let scales = vaebio_model::Trainer::new(&mut vae, data, &train)
        .unwrap()
        .library_weight_scales()
        .unwrap();
    assert!((scales[0] - 0.25).abs() < 1e-7 && (scales[1] - 1.0 / 12.0).abs() < 1e-7);
}

#[test]
fn posterior_variance_floor_adds_to_the_variance() {
    // scVI's q(z|x) variance is exp(encoder output) + var_eps: with the same seed (so the
    // same weights) the floored model's σ² is the plain model's σ² plus the floor.
    let nb = Likelihood::NegativeBinomial;
    let values = data_for(nb, 5, 6);
    let view = DenseView::new(&values, 5).unwrap();
    let variances = |floor: f64| {
        let config = VaeConfig {
            hidden: vec![8],
            latent: 3,
            posterior_variance_floor: floor,
            ..VaeConfig::new(5, nb)
        };
        let vae = Vae::new(config, &Device::Cpu).unwrap();
        let posterior = vae.encode(Dataset::new(&view).rows()).unwrap();
        let variances: Vec<f64> = posterior
            .log_var
            .values()
            .iter()
            .map(|&v| f64::from(v).exp())
            .collect();
        (posterior.mean.values().to_vec(), variances)
    };
    let (plain_mean, plain) = variances(0.0);
    let (floored_mean, floored) = variances(0.5);
    assert_eq!(plain_mean, floored_mean);
    for (p, f) in plain.iter().zip(&floored) {
        assert!((f - (p + 0.5)).abs() < 1e-5 * f, "{p} + 0.5 vs {f}");
    }
    let bad = VaeConfig {
        posterior_variance_floor: -1e-4,
        ..VaeConfig::new(5, nb)
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("posterior_variance_floor")
    );
}

/// `InputTransform::AlleleFrequency`: p is fitted on the training rows (here every row) as
/// the column sum over 2 × rows, travels with the checkpoint, and a config.json whose
/// frequencies do not fit the model is refused with a reason.
#[test]
fn allele_frequencies_are_fitted_saved_and_checked_on_load() {
    let cols = 3;
    let likelihood = Likelihood::Binomial { trials: 2 };
    let values = data_for(likelihood, cols, 9);
    let config = VaeConfig {
        hidden: vec![8],
        latent: 2,
        input_transform: InputTransform::AlleleFrequency,
        ..VaeConfig::new(cols, likelihood)
    };
    let train = TrainConfig {
        validation_fraction: 0.0,
        ..training()
    };
    let view = DenseView::new(&values, cols).unwrap();
    let mut vae = Vae::new(config, &Device::Cpu).unwrap();
    vae.train(&Dataset::new(&view), &train, |_| {}).unwrap();
    let fitted = vae.allele_frequencies().unwrap().frequency.clone();
    for (col, p) in fitted.iter().enumerate() {
        let sum: f32 = values.iter().skip(col).step_by(cols).sum();
        assert!((p - sum / (2.0 * ROWS as f32)).abs() < 1e-6, "{p} {sum}");
    }

    let dir = tempfile::tempdir().unwrap();
    vae.save(dir.path()).unwrap();
    let loaded = Vae::load(dir.path(), &Device::Cpu).unwrap();
    assert_eq!(loaded.allele_frequencies(), vae.allele_frequencies());
    assert_eq!(
        loaded.encode(&view).unwrap().mean.values(),
        vae.encode(&view).unwrap().mean.values()
    );
    let path = dir.path().join("config.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (frequency, count) in [
        (serde_json::json!([0.5, 0.5]), 2),
        (serde_json::json!([0.5, 1.5, 0.5]), 3),
    ] {
        json["allele_frequencies"]["frequency"] = frequency;
        std::fs::write(&path, json.to_string()).unwrap();
        let error = load_error(dir.path());
        assert!(
            error.contains(&format!(
                "allele_frequencies has {count} frequencies for 3 features"
            )),
            "{error}"
        );
    }
}

/// The message with which `Vae::load` refuses the model in `dir`.
fn load_error(dir: &std::path::Path) -> String {
    Vae::load(dir, &Device::Cpu).err().unwrap().to_string()
}

#[test]
fn learning_rate_warm_up_shrinks_the_first_steps() {
    // Adam's first step moves a weight with a gradient well above ε by the learning rate
    // (m̂ / √v̂ = ±1), so with a warm-up over 4 steps the first step moves it by a quarter.
    let values = data_for(Likelihood::Binomial { trials: 2 }, 12, 3);
    let view = DenseView::new(&values, 12).unwrap();
    let data = Dataset::new(&view);
    let config = VaeConfig {
        hidden: vec![8],
        latent: 2,
        // batch-norm running statistics are variables the optimiser does not move
        norm: Norm::None,
        ..VaeConfig::new(12, Likelihood::Binomial { trials: 2 })
    };
    let one_step = |warmup: usize| {
        let mut vae = Vae::new(config.clone(), &Device::Cpu).unwrap();
        // copies: the variables are updated in place
        let before: Vec<_> = (vae.named_variables().into_iter())
            .map(|(_, var)| var.as_tensor().copy().unwrap())
            .collect();
        let train = TrainConfig {
            epochs: 1,
            batch_size: ROWS,
            validation_fraction: 0.0,
            adam_eps: 1e-12,
            weight_decay: 0.0,
            lr_warmup_steps: warmup,
            ..training()
        };
        vae.train(&data, &train, |_| {}).unwrap();
        // the largest move of any weight
        let moves = vae
            .named_variables()
            .into_iter()
            .zip(&before)
            .map(|((_, var), old)| {
                let moved = (var.as_tensor() - old).unwrap().abs().unwrap();
                moved
                    .flatten_all()
                    .unwrap()
                    .max(0)
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap()
            });
        moves.fold(0.0f32, f32::max)
    };
    let (plain, warmed) = (one_step(0), one_step(4));
    let lr = training().learning_rate as f32;
    assert!(
        (plain - lr).abs() < 1e-3 * lr,
        "no warm-up moved {plain}, lr {lr}"
    );
    assert!(
        (warmed - lr / 4.0).abs() < 1e-3 * lr,
        "warm-up moved {warmed}"
    );
}

/// `site_mixture` trains a categorical model through the columns' predictive shrunk toward
/// the training rows' site model: the losses move away from the plain model's (same seeds),
/// the setting is saved with the model, and any other likelihood refuses it.
#[test]
fn site_mixture_trains_categorical_models_only() {
    let likelihood = Likelihood::Categorical { n_states: 3 };
    let values = data_for(likelihood, 12, 1);
    let config = |site_mixture| VaeConfig {
        hidden: vec![8],
        latent: 2,
        site_mixture,
        ..VaeConfig::new(12, likelihood)
    };
    let weights: Vec<f32> = (0..ROWS).map(|r| 1.0 / (1 + r % 3) as f32).collect();
    let view = DenseView::new(&values, 12).unwrap();
    let data = Dataset::new(&view).with_weights(&weights).unwrap();
    let losses = |site_mixture| {
        let mut vae = Vae::new(config(site_mixture), &Device::Cpu).unwrap();
        let history = vae.train(&data, &training(), |_| {}).unwrap();
        let recon: Vec<f64> = history.epochs.iter().map(|e| e.train.recon).collect();
        (vae, recon)
    };
    let (plain, plain_recon) = losses(false);
    let (mixed, mixed_recon) = losses(true);
    assert!(mixed_recon.iter().all(|v| v.is_finite()));
    assert!(
        plain_recon
            .iter()
            .zip(&mixed_recon)
            .all(|(a, b)| (a - b).abs() > 1e-6),
        "{plain_recon:?} vs {mixed_recon:?}"
    );
    assert!(!plain.config().site_mixture);
    let dir = tempfile::tempdir().unwrap();
    mixed.save(dir.path()).unwrap();
    let loaded = Vae::load(dir.path(), &Device::Cpu).unwrap();
    assert!(loaded.config().site_mixture);
    let gaussian = VaeConfig {
        site_mixture: true,
        ..VaeConfig::new(
            12,
            Likelihood::Gaussian {
                learned_variance: false,
            },
        )
    };
    let error = gaussian.validate().unwrap_err().to_string();
    assert!(error.contains("site_mixture"), "{error}");
}
