//! Tests of the model configuration's validation and (de)serialisation.

use super::*;

const GAUSSIAN: Likelihood = Likelihood::Gaussian {
    learned_variance: false,
};

#[test]
fn defaults_follow_scvi_and_validate() {
    let config = VaeConfig::new(100, GAUSSIAN);
    assert_eq!(config.hidden, vec![128]);
    assert_eq!(config.latent, 10);
    config.validate().unwrap();
    let train = TrainConfig::default();
    assert_eq!(train.weight_decay, 1e-6);
    assert_eq!(train.adam_eps, 0.01);
    train.validate().unwrap();
}

#[test]
fn bad_values_name_their_field() {
    let field = |config: VaeConfig| match config.validate() {
        Err(crate::Error::InvalidConfig { field, .. }) => field,
        other => panic!("expected an invalid config, got {other:?}"),
    };
    let base = VaeConfig::new(20, GAUSSIAN);
    assert_eq!(
        field(VaeConfig {
            n_features: 0,
            ..base.clone()
        }),
        "n_features"
    );
    assert_eq!(
        field(VaeConfig {
            latent: 0,
            ..base.clone()
        }),
        "latent"
    );
    assert_eq!(
        field(VaeConfig {
            hidden: vec![8, 0],
            ..base.clone()
        }),
        "hidden"
    );
    // 2,000 features × 2^20 units: ~4 billion weights
    assert_eq!(
        field(VaeConfig {
            n_features: 2000,
            hidden: vec![1 << 20],
            ..base.clone()
        }),
        "hidden"
    );
    assert_eq!(
        field(VaeConfig {
            n_features: 2000,
            latent: 1 << 30,
            ..base.clone()
        }),
        "latent"
    );
    assert_eq!(
        field(VaeConfig {
            dropout: 1.0,
            ..base.clone()
        }),
        "dropout"
    );
    for input_dropout in [1.0, -0.1, f64::NAN] {
        assert_eq!(
            field(VaeConfig {
                input_dropout,
                ..base.clone()
            }),
            "input_dropout"
        );
    }
    // out of range, and any power on a likelihood that is not for counts (base: gaussian)
    for gene_weight_power in [-0.1, 2.5, f64::NAN, f64::INFINITY, 0.5] {
        assert_eq!(
            field(VaeConfig {
                gene_weight_power,
                ..base.clone()
            }),
            "gene_weight_power"
        );
    }
    // neighbourhood weights need counts too
    assert_eq!(
        field(VaeConfig {
            gene_weight_neighbours: true,
            ..base.clone()
        }),
        "gene_weight_neighbours"
    );
    // a covariate with no category, or implausibly many
    for categories in [vec![2, 0], vec![100_001]] {
        assert_eq!(
            field(VaeConfig {
                covariate_categories: categories,
                ..base.clone()
            }),
            "covariate_categories"
        );
    }
    assert_eq!(
        field(VaeConfig {
            n_continuous: 100_001,
            ..base.clone()
        }),
        "n_continuous"
    );
    // library-size weights: in range, and for counts only (base: gaussian)
    for library_weight_power in [-0.1, 2.5, f64::NAN, f64::INFINITY, 1.0] {
        assert_eq!(
            field(VaeConfig {
                library_weight_power,
                ..base.clone()
            }),
            "library_weight_power"
        );
    }
    VaeConfig {
        gene_weight_power: 0.5,
        gene_weight_neighbours: true,
        library_weight_power: 1.0,
        ..VaeConfig::new(20, Likelihood::NegativeBinomial)
    }
    .validate()
    .unwrap();

    let train_field = |config: TrainConfig| match config.validate() {
        Err(crate::Error::InvalidConfig { field, .. }) => field,
        other => panic!("expected an invalid config, got {other:?}"),
    };
    let base = TrainConfig::default();
    assert_eq!(
        train_field(TrainConfig {
            batch_size: 0,
            ..base.clone()
        }),
        "batch_size"
    );
    assert_eq!(
        train_field(TrainConfig {
            learning_rate: f64::NAN,
            ..base.clone()
        }),
        "learning_rate"
    );
    assert_eq!(
        train_field(TrainConfig {
            validation_fraction: 1.0,
            ..base.clone()
        }),
        "validation_fraction"
    );
    assert_eq!(
        train_field(TrainConfig {
            kl_warmup: Some(KlWarmup::Steps(0)),
            ..base
        }),
        "kl_warmup"
    );
    for fraction in [0.0, 1.5, f64::NAN] {
        assert_eq!(
            train_field(TrainConfig {
                kl_warmup: Some(KlWarmup::Fraction(fraction)),
                ..TrainConfig::default()
            }),
            "kl_warmup"
        );
    }
}

#[test]
fn json_fills_defaults_and_rejects_typos() {
    let config: VaeConfig = serde_json::from_str(r#"{"n_features": 5, "latent": 2}"#).unwrap();
    assert_eq!(
        (config.n_features, config.latent, config.hidden.clone()),
        (5, 2, vec![128])
    );
    assert!(serde_json::from_str::<VaeConfig>(r#"{"n_feature": 5}"#).is_err());
    let train: TrainConfig = serde_json::from_str(r#"{"kl_warmup": {"epochs": 400}}"#).unwrap();
    assert_eq!(train.kl_warmup, Some(KlWarmup::Epochs(400)));
    let train: TrainConfig = serde_json::from_str(r#"{"kl_warmup": {"fraction": 0.5}}"#).unwrap();
    assert_eq!(train.kl_warmup, Some(KlWarmup::Fraction(0.5)));
    let train: TrainConfig = serde_json::from_str(r#"{"lr_schedule": "cosine"}"#).unwrap();
    assert_eq!(train.lr_schedule, LrSchedule::Cosine);
    assert_eq!(TrainConfig::scvi_epochs(20_000), 400);
    assert_eq!(TrainConfig::scvi_epochs(40_000), 200);
}

#[test]
fn cosine_schedule_falls_from_the_rate_towards_zero() {
    let constant = TrainConfig {
        learning_rate: 0.01,
        epochs: 4,
        ..TrainConfig::default()
    };
    assert!((0..6).all(|epoch| constant.learning_rate_at(epoch) == 0.01));
    let cosine = TrainConfig {
        lr_schedule: LrSchedule::Cosine,
        ..constant
    };
    // 0.01 · ½(1 + cos(π e / 4)) for e = 0..3, by hand: 0.01, 0.0085355, 0.005, 0.0014645;
    // a resumed run past its epochs stays at the end, 0.
    let expected = [0.01, 0.008_535_534, 0.005, 0.001_464_466, 0.0, 0.0];
    for (epoch, want) in expected.into_iter().enumerate() {
        let got = cosine.learning_rate_at(epoch);
        assert!((got - want).abs() < 1e-9, "epoch {epoch}: {got} vs {want}");
    }
}
