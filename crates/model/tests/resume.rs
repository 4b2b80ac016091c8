//! Interrupting, diverging and resuming training: a run stopped at an epoch boundary, saved
//! with its state and resumed ends with bit-for-bit the weights of a run that never stopped.

use std::sync::atomic::{AtomicBool, Ordering};

use candle_core::Device;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use vaebio_model::{
    Activation, Dataset, DenseView, EarlyStopping, Error, InputTransform, KlWarmup, Likelihood,
    LrSchedule, Norm, OutputInit, Progress, RowSampling, TrainConfig, TrainEnd, TrainState,
    Training, Vae, VaeConfig,
};

/// 60 rows × 6 features of N(row % 3, 1) noise.
fn data() -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let noise = Normal::new(0.0f32, 1.0).unwrap();
    (0..60 * 6)
        .map(|i| ((i / 6) % 3) as f32 + noise.sample(&mut rng))
        .collect()
}

/// Every source of state in play: input and hidden dropout and batch-norm (RNG, running
/// statistics), a validation split, a step-based KL warm-up, early stopping bookkeeping.
fn model() -> Vae {
    let config = VaeConfig {
        hidden: vec![8],
        latent: 2,
        dropout: 0.2,
        input_dropout: 0.1,
        norm: Norm::Batch,
        standardize: true,
        ..VaeConfig::new(
            6,
            Likelihood::Gaussian {
                learned_variance: true,
            },
        )
    };
    Vae::new(config, &Device::Cpu).unwrap()
}

fn training(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        learning_rate: 1e-2,
        validation_fraction: 0.2,
        kl_warmup: Some(KlWarmup::Steps(7)),
        early_stopping: Some(EarlyStopping {
            patience: 100,
            min_delta: 0.0,
            restore_best: false,
        }),
        ..TrainConfig::default()
    }
}

fn weights(vae: &Vae) -> Vec<(String, Vec<f32>)> {
    vae.named_variables()
        .into_iter()
        .map(|(name, var)| {
            let values = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
            (name, values)
        })
        .collect()
}

/// Save `vae` with its training `state`, load both back and train on to the end of `config`.
fn save_load_and_finish(
    vae: &Vae,
    state: &TrainState,
    data: &Dataset,
    config: &TrainConfig,
) -> Vae {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    vae.save_with_state(&path, state).unwrap();
    let mut resumed = Vae::load(&path, &Device::Cpu).unwrap();
    let state = TrainState::load(&path, &resumed).unwrap();
    resumed
        .train_resumable(data, config, Some(state), None, |_| {})
        .unwrap();
    resumed
}

/// A progress callback raising `stop` in the middle of epoch 4, as Ctrl-C would.
fn stop_in_epoch_4(stop: &AtomicBool) -> impl FnMut(&Progress) + Send + '_ {
    move |progress| {
        if let Progress::Step {
            epoch: 4, step: 2, ..
        } = progress
        {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

/// Train `vae` on `config`, asking it to stop in the middle of epoch 4.
fn stopped_in_epoch_4(vae: &mut Vae, data: &Dataset, config: &TrainConfig) -> Training {
    let stop = AtomicBool::new(false);
    vae.train_resumable(data, config, None, Some(&stop), stop_in_epoch_4(&stop))
        .unwrap()
}

#[test]
fn three_epochs_saved_and_resumed_for_three_more_equal_six_uninterrupted() {
    let values = data();
    let view = DenseView::new(&values, 6).unwrap();
    let data = Dataset::new(&view);
    let mut straight = model();
    let history = straight.train(&data, &training(6), |_| {}).unwrap();

    let mut first = model();
    let training3 = first
        .train_resumable(&data, &training(3), None, None, |_| {})
        .unwrap();
    assert!(matches!(training3.end, TrainEnd::Finished));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    first.save_with_state(&path, &training3.state).unwrap();
    assert!(path.join("train_state.safetensors").is_file());

    let mut resumed = Vae::load(&path, &Device::Cpu).unwrap();
    let state = TrainState::load(&path, &resumed).unwrap();
    assert_eq!(state.epochs_done(), 3);
    let rest = resumed
        .train_resumable(&data, &training(6), Some(state), None, |_| {})
        .unwrap();
    assert!(matches!(rest.end, TrainEnd::Finished));
    assert_eq!(weights(&resumed), weights(&straight));
    assert_eq!(rest.history, history);
}

/// Also with the best epoch's weights kept for restoring, where epoch 3, a new best, leaves
/// its state sharing the best copy instead of a second copy of the weights.
#[test]
fn a_stop_request_keeps_the_last_completed_epoch_and_resumes_exactly() {
    let values = data();
    let view = DenseView::new(&values, 6).unwrap();
    let data = Dataset::new(&view);
    // three epochs run to their end: the weights a stop in epoch 4 goes back to, whether or
    // not the best epoch's are kept (epoch 3 is the best one)
    let mut three = model();
    three.train(&data, &training(3), |_| {}).unwrap();
    for restore_best in [false, true] {
        let config = |epochs: usize| {
            let mut config = training(epochs);
            if let Some(stopping) = config.early_stopping.as_mut() {
                stopping.restore_best = restore_best;
            }
            config
        };
        let mut straight = model();
        straight.train(&data, &config(6), |_| {}).unwrap();

        let mut interrupted = model();
        let training = stopped_in_epoch_4(&mut interrupted, &data, &config(6));
        assert!(matches!(training.end, TrainEnd::Interrupted));
        assert_eq!(training.state.epochs_done(), 3);
        assert_eq!(training.history.epochs.len(), 3);
        assert_eq!(training.history.best_epoch, Some(3));
        assert_eq!(weights(&interrupted), weights(&three));

        let resumed = save_load_and_finish(&interrupted, &training.state, &data, &config(6));
        assert_eq!(
            weights(&resumed),
            weights(&straight),
            "restore_best {restore_best}"
        );
    }
}

/// A run that will not be resumed (`train_stoppable`, what `embed` without a model directory
/// runs) takes the same steps, goes back to the same epoch when stopped, and its state, which
/// holds no optimiser moments, cannot be saved.
#[test]
fn a_stoppable_run_trains_and_stops_as_a_resumable_one_and_saves_no_state() {
    let values = data();
    let view = DenseView::new(&values, 6).unwrap();
    let data = Dataset::new(&view);
    let mut resumable = model();
    let kept = stopped_in_epoch_4(&mut resumable, &data, &training(6));

    let mut stoppable = model();
    let stop = AtomicBool::new(false);
    let training = stoppable
        .train_stoppable(&data, &training(6), Some(&stop), stop_in_epoch_4(&stop))
        .unwrap();
    assert!(matches!(training.end, TrainEnd::Interrupted));
    assert_eq!(training.state.epochs_done(), 3);
    assert_eq!(training.history, kept.history);
    assert_eq!(weights(&stoppable), weights(&resumable));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    let error = stoppable
        .save_with_state(&path, &training.state)
        .unwrap_err();
    assert!(
        matches!(&error, Error::Checkpoint { message, .. } if message.contains("no optimiser moments")),
        "{error}"
    );
    assert!(!path.exists(), "nothing is written");
    // the resumable run's state saves and resumes as before
    resumable.save_with_state(&path, &kept.state).unwrap();
}

/// The cosine learning rate is a function of the epoch, so a run stopped in epoch 4 and
/// resumed still follows the uninterrupted run's schedule.
#[test]
fn a_cosine_schedule_resumes_exactly() {
    let values = data();
    let view = DenseView::new(&values, 6).unwrap();
    let data = Dataset::new(&view);
    let cosine = TrainConfig {
        lr_schedule: LrSchedule::Cosine,
        ..training(6)
    };
    assert_resumes_exactly_unlike_the_default(&data, &cosine);
}

/// A run of `config` stopped in epoch 4 and resumed ends with the weights of an uninterrupted
/// one, which differ from the weights of [`training`]'s settings (so `config` acts).
fn assert_resumes_exactly_unlike_the_default(data: &Dataset, config: &TrainConfig) {
    let mut straight = model();
    straight.train(data, config, |_| {}).unwrap();
    let mut default = model();
    default.train(data, &training(6), |_| {}).unwrap();
    assert_ne!(weights(&straight), weights(&default));

    let mut interrupted = model();
    let training = stopped_in_epoch_4(&mut interrupted, data, config);
    assert_eq!(training.state.epochs_done(), 3);
    let resumed = save_load_and_finish(&interrupted, &training.state, data, config);
    assert_eq!(weights(&resumed), weights(&straight));
}

/// Rows drawn by weight come from the seeded noise, so a run stopped in epoch 4 and resumed
/// draws what the uninterrupted run drew; the draws are not the uniform order's, and they
/// need row weights.
#[test]
fn rows_drawn_by_weight_resume_exactly() {
    let values = data();
    let view = DenseView::new(&values, 6).unwrap();
    // one row of weight 0, the others 0.2 to 1
    let row_weights: Vec<f32> = (0..60)
        .map(|i| (i % 5) as f32 / 4.0 + 0.2 * f32::from(i > 0))
        .collect();
    let data = Dataset::new(&view).with_weights(&row_weights).unwrap();
    let drawn = TrainConfig {
        sampling: RowSampling::Weighted,
        ..training(6)
    };
    assert_resumes_exactly_unlike_the_default(&data, &drawn);

    let zeros = vec![0.0f32; 60];
    let weightless = Dataset::new(&view).with_weights(&zeros).unwrap();
    let refused = model().train(&weightless, &drawn, |_| {}).unwrap_err();
    assert!(
        refused.to_string().contains("every training row weighs 0"),
        "{refused}"
    );
    let unweighted = Dataset::new(&view);
    let refused = model().train(&unweighted, &drawn, |_| {}).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("rows drawn by weight need row weights"),
        "{refused}"
    );
}

#[test]
fn divergence_puts_back_the_last_good_epoch() {
    let values = data();
    let view = DenseView::new(&values, 6).unwrap();
    let data = Dataset::new(&view);
    let mut good = model();
    good.train(&data, &training(2), |_| {}).unwrap();
    let mut vae = model();
    // Poison the weights during epoch 3 (as an overflow would), after two good epochs.
    let poisoned = vae.named_variables();
    let training = vae
        .train_resumable(&data, &training(5), None, None, |progress| {
            if let Progress::Step {
                epoch: 3, step: 1, ..
            } = progress
            {
                for (_, var) in &poisoned {
                    let nan = (var.as_tensor() * f64::NAN).unwrap();
                    var.set(&nan).unwrap();
                }
            }
        })
        .unwrap();
    match &training.end {
        TrainEnd::Diverged(Error::NonFiniteLoss { epoch, step, .. }) => {
            assert_eq!((*epoch, *step), (3, 2));
        }
        other => panic!("expected a divergence, got {other:?}"),
    }
    assert_eq!(training.state.epochs_done(), 2);
    assert_eq!(weights(&vae), weights(&good));
}

#[test]
fn resuming_needs_a_saved_state_and_the_same_data() {
    let values = data();
    let view = DenseView::new(&values, 6).unwrap();
    let mut vae = model();
    let training = vae
        .train_resumable(&Dataset::new(&view), &training(1), None, None, |_| {})
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    vae.save(&plain).unwrap();
    let loaded = Vae::load(&plain, &Device::Cpu).unwrap();
    let error = TrainState::load(&plain, &loaded).unwrap_err().to_string();
    assert!(error.contains("holds no training state"), "{error}");

    let with_state = dir.path().join("state");
    vae.save_with_state(&with_state, &training.state).unwrap();
    let mut loaded = Vae::load(&with_state, &Device::Cpu).unwrap();
    let state = TrainState::load(&with_state, &loaded).unwrap();
    let fewer = DenseView::new(&values[..50 * 6], 6).unwrap();
    let error = loaded
        .train_resumable(
            &Dataset::new(&fewer),
            &self::training(2),
            Some(state),
            None,
            |_| {},
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("50 rows, the interrupted run trained on 60"),
        "{error}"
    );
}

/// A genotype model started at PCA (the genotype default's start): the start is made once,
/// before the first epoch; a resumed run, which loads the saved input axes, does not make it
/// again, and ends where an uninterrupted run does.
#[test]
fn a_pca_start_is_made_once_and_resumes_exactly() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (rows, sites) = (40, 24);
    let values: Vec<f32> = (0..rows * sites)
        .map(|i| {
            let p = if (i / sites) % 2 == 0 { 0.2 } else { 0.7 };
            (0..2).filter(|_| rng.random_bool(p)).count() as f32
        })
        .collect();
    let view = DenseView::new(&values, sites).unwrap();
    let data = Dataset::new(&view);
    let model = || {
        let config = VaeConfig {
            hidden: vec![8],
            latent: 2,
            activation: Activation::Elu,
            norm: Norm::None,
            dropout: 0.0,
            input_transform: InputTransform::PrincipalAxes,
            input_components: 6,
            output_init: OutputInit::Pca,
            ..VaeConfig::new(sites, Likelihood::Binomial { trials: 2 })
        };
        Vae::new(config, &Device::Cpu).unwrap()
    };
    let config = |epochs| TrainConfig {
        epochs,
        batch_size: 8,
        ..TrainConfig::default()
    };
    let mut straight = model();
    straight.train(&data, &config(6), |_| {}).unwrap();
    let mut first = model();
    let three = first
        .train_resumable(&data, &config(3), None, None, |_| {})
        .unwrap();
    let resumed = save_load_and_finish(&first, &three.state, &data, &config(6));
    assert_eq!(weights(&resumed), weights(&straight));
    assert_ne!(weights(&first), weights(&straight));
}
