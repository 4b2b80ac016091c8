//! Weights averaged over epochs (`TrainConfig::weight_averaging`): the averaged model is the
//! exponential moving average of the weights a run without averaging passes through, and an
//! averaged run saved and resumed (after an epoch's end, or stopped inside an epoch) ends where
//! an uninterrupted one does.

use std::sync::atomic::{AtomicBool, Ordering};

use candle_core::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use vaebio_model::{
    Dataset, DenseView, Error, Likelihood, Norm, Progress, TrainConfig, TrainEnd, TrainState, Vae,
    VaeConfig,
};

/// 48 rows × 5 features of N(row % 2, 1) noise.
fn data() -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let noise = Normal::new(0.0f32, 1.0).unwrap();
    (0..48 * 5)
        .map(|i| ((i / 5) % 2) as f32 + noise.sample(&mut rng))
        .collect()
}

/// Hidden dropout and batch-norm, so the run draws random numbers and keeps running
/// statistics (neither of which averaging may disturb).
fn model() -> Vae {
    let config = VaeConfig {
        hidden: vec![6],
        latent: 2,
        dropout: 0.2,
        norm: Norm::Batch,
        ..VaeConfig::new(
            5,
            Likelihood::Gaussian {
                learned_variance: false,
            },
        )
    };
    Vae::new(config, &Device::Cpu).unwrap()
}

fn training(epochs: usize, weight_averaging: f64) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        learning_rate: 1e-2,
        validation_fraction: 0.25,
        weight_averaging,
        ..TrainConfig::default()
    }
}

/// The optimised variables (not batch-norm's running statistics), by name.
fn trained_weights(vae: &Vae) -> Vec<(String, Vec<f64>)> {
    vae.named_variables()
        .into_iter()
        .filter(|(name, _)| !name.ends_with("running_mean") && !name.ends_with("running_var"))
        .map(|(name, var)| {
            let values: Vec<f32> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
            (name, values.into_iter().map(f64::from).collect())
        })
        .collect()
}

fn trained_for(epochs: usize, weight_averaging: f64) -> Vae {
    let values = data();
    let view = DenseView::new(&values, 5).unwrap();
    let mut vae = model();
    vae.train(
        &Dataset::new(&view),
        &training(epochs, weight_averaging),
        |_| {},
    )
    .unwrap();
    vae
}

/// Save `model` with `state`, load both back and train on, averaging, to `epochs` in all:
/// the resumed model and the directory it was saved in (removed when dropped).
fn save_and_resume(
    model: &Vae,
    state: &TrainState,
    data: &Dataset,
    epochs: usize,
) -> (Vae, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    model.save_with_state(&path, state).unwrap();
    let mut resumed = Vae::load(&path, &Device::Cpu).unwrap();
    let state = TrainState::load(&path, &resumed).unwrap();
    resumed
        .train_resumable(data, &training(epochs, 0.8), Some(state), None, |_| {})
        .unwrap();
    (resumed, dir)
}

/// Plain runs of 1, 2 and 3 epochs give the weights w1, w2, w3 of one path (training is
/// deterministic); with a = 0.8 the model after 3 epochs must be the moving average worked
/// here in f64: e1 = w1, e2 = 0.8·e1 + 0.2·w2, e3 = 0.8·e2 + 0.2·w3.
#[test]
fn averaged_model_is_the_moving_average_of_the_plain_path() {
    let path: Vec<_> = (1..=3)
        .map(|e| trained_weights(&trained_for(e, 0.0)))
        .collect();
    let averaged = trained_weights(&trained_for(3, 0.8));
    let mut moved = 0.0f64;
    for (k, (name, got)) in averaged.iter().enumerate() {
        let w = |epoch: usize| &path[epoch][k].1;
        for (i, &got) in got.iter().enumerate() {
            let e2 = 0.8 * w(0)[i] + 0.2 * w(1)[i];
            let want = 0.8 * e2 + 0.2 * w(2)[i];
            assert!(
                (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                "{name}[{i}]: {got} vs {want}"
            );
            moved = moved.max((want - w(2)[i]).abs());
        }
    }
    // the average differs from the last weights, or the test could not tell them apart
    assert!(moved > 1e-3, "averaging moved no weight ({moved})");
}

#[test]
fn averaged_run_saved_and_resumed_equals_an_uninterrupted_one() {
    let values = data();
    let view = DenseView::new(&values, 5).unwrap();
    let data = Dataset::new(&view);
    let straight = trained_for(5, 0.8);

    let mut first = model();
    let part = first
        .train_resumable(&data, &training(2, 0.8), None, None, |_| {})
        .unwrap();
    let (resumed, dir) = save_and_resume(&first, &part.state, &data, 5);
    assert_eq!(trained_weights(&resumed), trained_weights(&straight));

    // the same state resumed without averaging is refused, naming the flag
    let path = dir.path().join("model");
    let mut plain = Vae::load(&path, &Device::Cpu).unwrap();
    let state = TrainState::load(&path, &plain).unwrap();
    let error = plain
        .train_resumable(&data, &training(5, 0.0), Some(state), None, |_| {})
        .unwrap_err();
    assert!(
        matches!(&error, Error::Data(m) if m.contains("--weight-averaging")),
        "{error}"
    );
}

/// A progress callback raising `stop` at the fifth epoch's first step, as Ctrl-C would.
fn stop_in_epoch_5(stop: &AtomicBool) -> impl FnMut(&Progress) + Send + '_ {
    move |progress| {
        if let Progress::Step { epoch: 5, .. } = progress {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

/// A run stopped inside its fifth epoch (both copies of the trained weights in use, each
/// written over in turn) returns the state of the fourth epoch's end, and resuming that state
/// ends where an uninterrupted run (`Vae::train`, which keeps no resumable state) does.
#[test]
fn averaged_run_stopped_mid_epoch_resumes_from_the_last_epoch_end() {
    let values = data();
    let view = DenseView::new(&values, 5).unwrap();
    let data = Dataset::new(&view);
    let straight = trained_for(7, 0.8);

    let stop = AtomicBool::new(false);
    let mut first = model();
    let part = first
        .train_resumable(
            &data,
            &training(7, 0.8),
            None,
            Some(&stop),
            stop_in_epoch_5(&stop),
        )
        .unwrap();
    assert!(matches!(part.end, TrainEnd::Interrupted));
    assert_eq!(part.state.info().epochs_done, 4);

    // a run that keeps no resumable state (one copy of the trained weights, written over at
    // every epoch's end) goes back to the same model
    stop.store(false, Ordering::Relaxed);
    let mut stoppable = model();
    let rolled_back = stoppable
        .train_stoppable(
            &data,
            &training(7, 0.8),
            Some(&stop),
            stop_in_epoch_5(&stop),
        )
        .unwrap();
    assert!(matches!(rolled_back.end, TrainEnd::Interrupted));
    assert_eq!(trained_weights(&stoppable), trained_weights(&first));

    let (resumed, _dir) = save_and_resume(&first, &part.state, &data, 7);
    assert_eq!(trained_weights(&resumed), trained_weights(&straight));
}

#[test]
fn averaging_weight_outside_zero_to_one_is_refused() {
    for bad in [1.0, -0.1, f64::NAN] {
        let error = training(3, bad).validate().unwrap_err().to_string();
        assert!(error.contains("weight_averaging"), "{bad}: {error}");
    }
}
