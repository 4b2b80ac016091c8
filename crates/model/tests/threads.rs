//! Data-parallel training gives the same bits on any number of threads: minibatches of more
//! than one shard, trained on rayon pools of 1, 2 and 3 threads, end with identical weights,
//! history and latents — with batch-norm, row weights, penalties, covariates, per-value
//! binomial trials and EVE's Bayesian decoder.

use candle_core::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};
use vaebio_model::{
    BayesianDecoder, Dataset, DecoderKind, DenseView, EarlyStopping, History, KlWarmup, Likelihood,
    Norm, TrainConfig, Vae, VaeConfig,
};

/// Poisson counts, `rows` × `genes`, with two groups of rows of different means.
fn counts(rows: usize, genes: usize) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    (0..rows * genes)
        .map(|i| {
            let (row, gene) = (i / genes, i % genes);
            let mean = if (row + gene) % 2 == 0 { 4.0 } else { 0.5 };
            Poisson::new(mean).unwrap().sample(&mut rng) as f32
        })
        .collect()
}

/// What a run ends with: every variable's bits, the history, the latent means' bits and the
/// reconstruction's (which sees the covariates and trials).
type Outcome = (Vec<(String, Vec<u32>)>, History, Vec<u32>, Vec<u32>);

/// Training data: row-major values and what a dataset may carry besides.
#[derive(Default)]
struct Data {
    values: Vec<f32>,
    n_features: usize,
    batches: Option<Vec<u32>>,
    weights: Option<Vec<f32>>,
    categorical: Vec<Vec<u32>>,
    continuous: Vec<Vec<f32>>,
    trials: Option<Vec<u8>>,
}

/// Train `config` / `training` on `data` in a rayon pool of `threads` threads.
fn train(threads: usize, config: &VaeConfig, training: &TrainConfig, data: &Data) -> Outcome {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let rows = DenseView::new(&data.values, data.n_features).unwrap();
        let mut dataset = Dataset::new(&rows);
        if let Some(batches) = &data.batches {
            dataset = dataset.with_batches(batches).unwrap();
        }
        if let Some(weights) = &data.weights {
            dataset = dataset.with_weights(weights).unwrap();
        }
        if let Some(trials) = &data.trials {
            dataset = dataset.with_trials(trials).unwrap();
        }
        dataset = dataset.with_categorical(&data.categorical).unwrap();
        dataset = dataset.with_continuous(&data.continuous).unwrap();
        let mut vae = Vae::new(config.clone(), &Device::Cpu).unwrap();
        let history = vae.train(&dataset, training, |_| {}).unwrap();
        let bits = |values: Vec<f32>| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let weights = vae
            .named_variables()
            .into_iter()
            .map(|(name, var)| {
                let values = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
                (name, bits(values))
            })
            .collect();
        let latent = vae.encode(&rows).unwrap().mean.values().to_vec();
        let reconstruction = vae.reconstruct(&dataset, None).unwrap().values().to_vec();
        (weights, history, bits(latent), bits(reconstruction))
    })
}

fn assert_same_on_1_2_and_3_threads(config: &VaeConfig, training: &TrainConfig, data: &Data) {
    let one = train(1, config, training, data);
    assert!(one.1.epochs.len() >= 2, "{:?}", one.1);
    for threads in [2, 3] {
        let other = train(threads, config, training, data);
        assert!(other.0 == one.0, "weights differ on {threads} threads");
        assert_eq!(other.1, one.1, "history differs on {threads} threads");
        assert!(other.2 == one.2, "latents differ on {threads} threads");
        assert!(
            other.3 == one.3,
            "reconstructions differ on {threads} threads"
        );
    }
}

/// Negative binomial with batch-norm, dropout on the input and hidden layer, a batch
/// covariate, gene and library-size weights, KL warm-up and validation; minibatches of 150
/// rows are three shards.
#[test]
fn counts_with_batch_norm_train_identically_on_1_2_and_3_threads() {
    let genes = 12;
    let data = Data {
        values: counts(400, genes),
        n_features: genes,
        batches: Some((0..400).map(|row| u32::from(row % 3 == 0)).collect()),
        ..Data::default()
    };
    let config = VaeConfig {
        hidden: vec![16],
        latent: 3,
        input_dropout: 0.2,
        n_batches: 2,
        gene_weight_power: 0.5,
        library_weight_power: 0.5,
        ..VaeConfig::new(genes, Likelihood::NegativeBinomial)
    };
    let training = TrainConfig {
        epochs: 3,
        batch_size: 150,
        learning_rate: 1e-2,
        kl_warmup: Some(KlWarmup::Epochs(2)),
        ..TrainConfig::default()
    };
    assert_same_on_1_2_and_3_threads(&config, &training, &data);
}

/// Gaussian with row weights, L1 and L2 penalties, gradient clipping and early stopping with
/// the best epoch restored; minibatches of 200 rows are four shards.
#[test]
fn weighted_penalised_clipped_training_is_identical_on_1_2_and_3_threads() {
    let dims = 6;
    let values: Vec<f32> = (0..300 * dims)
        .map(|i| ((i * 7919) % 101) as f32 / 25.0 - 2.0)
        .collect();
    let data = Data {
        values,
        n_features: dims,
        weights: Some((0..300).map(|row| 0.5 + (row % 4) as f32 * 0.25).collect()),
        ..Data::default()
    };
    let config = VaeConfig {
        hidden: vec![8, 8],
        latent: 2,
        ..VaeConfig::new(
            dims,
            Likelihood::Gaussian {
                learned_variance: true,
            },
        )
    };
    let training = TrainConfig {
        epochs: 4,
        batch_size: 200,
        l1: 1e-4,
        l2: 1e-3,
        grad_clip: Some(5.0),
        validation_fraction: 0.0,
        early_stopping: Some(EarlyStopping {
            patience: 10,
            ..EarlyStopping::default()
        }),
        ..TrainConfig::default()
    };
    assert_same_on_1_2_and_3_threads(&config, &training, &data);
    // With L2 only (no L1, no clipping) the optimiser takes over the penalty's gradient.
    let fused = TrainConfig {
        l1: 0.0,
        grad_clip: None,
        ..training
    };
    assert_same_on_1_2_and_3_threads(&config, &fused, &data);
}

/// Binomial genotypes of mixed ploidy (per-value trials 1 or 2) with a categorical and a
/// continuous covariate and batch-norm; minibatches of 150 rows are three shards, each of
/// which must see its own rows' trials and covariates.
#[test]
fn covariates_and_trials_train_identically_on_1_2_and_3_threads() {
    let (rows, sites) = (360, 10);
    let trials: Vec<u8> = (0..rows * sites)
        .map(|i| 1 + u8::from(i / sites % 4 != 0))
        .collect();
    let values = trials
        .iter()
        .enumerate()
        .map(|(i, &n)| ((i * 7 + i / sites) % (usize::from(n) + 1)) as f32)
        .collect();
    let data = Data {
        values,
        n_features: sites,
        categorical: vec![(0..rows).map(|row| (row % 3) as u32).collect()],
        continuous: vec![(0..rows).map(|row| (row % 5) as f32 / 2.0 - 1.0).collect()],
        trials: Some(trials),
        ..Data::default()
    };
    let config = VaeConfig {
        hidden: vec![12],
        latent: 2,
        norm: Norm::Batch,
        covariate_categories: vec![3],
        n_continuous: 1,
        ..VaeConfig::new(sites, Likelihood::Binomial { trials: 2 })
    };
    let training = TrainConfig {
        epochs: 3,
        batch_size: 150,
        learning_rate: 1e-2,
        ..TrainConfig::default()
    };
    assert_same_on_1_2_and_3_threads(&config, &training, &data);
}

/// EVE's Bayesian decoder on a weighted one-hot family: its weights are drawn once per
/// minibatch and shared by the shards, its weight KL is added once per minibatch; minibatches
/// of 130 rows are three shards.
#[test]
fn bayesian_decoder_trains_identically_on_1_2_and_3_threads() {
    let (rows, columns, states) = (300, 5, 4);
    let mut values = vec![0f32; rows * columns * states];
    for r in 0..rows {
        for c in 0..columns {
            let state = (r + c * (r / 75)) % states;
            values[(r * columns + c) * states + state] = 1.0;
        }
    }
    let data = Data {
        values,
        n_features: columns * states,
        weights: Some((0..rows).map(|r| 0.5 + (r % 3) as f32 * 0.25).collect()),
        ..Data::default()
    };
    let config = VaeConfig {
        hidden: vec![16, 8],
        latent: 3,
        norm: Norm::None,
        decoder: DecoderKind::Bayesian(BayesianDecoder {
            dictionary: 3,
            ..BayesianDecoder::default()
        }),
        ..VaeConfig::new(
            columns * states,
            Likelihood::Categorical { n_states: states },
        )
    };
    let training = TrainConfig {
        epochs: 3,
        batch_size: 130,
        learning_rate: 1e-2,
        ..TrainConfig::default()
    };
    assert_same_on_1_2_and_3_threads(&config, &training, &data);
}

/// The validation pass and inference run their chunks on the pool: 575 validation rows are
/// three chunks of at most 256 (each with its own noise), and encoding and reconstructing
/// 2,300 rows are three chunks of at most 1,024; the history (validation losses included),
/// latents and reconstructions are the same bits on 1, 2 and 3 threads.
#[test]
fn validation_and_inference_chunks_are_identical_on_1_2_and_3_threads() {
    let genes = 8;
    let data = Data {
        values: counts(2300, genes),
        n_features: genes,
        ..Data::default()
    };
    let config = VaeConfig {
        hidden: vec![8],
        latent: 2,
        ..VaeConfig::new(genes, Likelihood::NegativeBinomial)
    };
    let training = TrainConfig {
        epochs: 2,
        batch_size: 256,
        learning_rate: 1e-2,
        validation_fraction: 0.25,
        ..TrainConfig::default()
    };
    assert_same_on_1_2_and_3_threads(&config, &training, &data);
}
