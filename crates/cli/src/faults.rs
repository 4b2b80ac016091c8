//! Training under faults: Ctrl-C, a diverging loss, `train --resume`, and data values a
//! likelihood cannot model.
//!
//! The first Ctrl-C (SIGINT) asks training to stop after the current step; the model goes
//! back to the last completed epoch and, when training to a model directory, is saved there
//! with its training state (`train_state.safetensors`), so `vaebio train --resume DIR` ends
//! with the weights an uninterrupted run would have. A second Ctrl-C exits at once. A
//! non-finite loss also keeps the last good epoch in the model directory.

use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use vaebio_model::{Dataset, History, Progress, TrainConfig, TrainEnd, TrainState, Vae, VaeConfig};

use crate::cli::TrainArgs;
use crate::commands::BadInput;
use crate::covariate::Covariate;
use crate::extra_covariates::ExtraCovariates;
use crate::fit::{save, write_history};
use crate::load::Loaded;
use crate::model_dir::open_model;
use crate::pipeline::read_for_model;
use crate::progress::{TrainingBar, summarize};

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED_EXIT: u8 = 130;

static STOP: AtomicBool = AtomicBool::new(false);

/// Training was stopped by Ctrl-C; the message says what was kept and where.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Interrupted(pub String);

/// Training stopped early (Ctrl-C or divergence) with a model worth keeping.
#[derive(thiserror::Error)]
#[error("{message}")]
pub struct Stopped {
    /// The model, back at the last completed epoch.
    pub vae: Box<Vae>,
    /// Its training state (epochs done, optimiser, RNG).
    pub state: Box<TrainState>,
    /// Whether Ctrl-C (rather than divergence) stopped it.
    pub interrupted: bool,
    /// What happened.
    pub message: String,
}

impl std::fmt::Debug for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stopped")
            .field("epochs_done", &self.state.epochs_done())
            .field("interrupted", &self.interrupted)
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

/// Observations with no counts at all, given to a count likelihood.
#[derive(Debug, thiserror::Error)]
#[error("{count} observations have no counts (all zero), e.g. {examples}")]
pub struct EmptyObservations {
    /// How many.
    pub count: usize,
    /// The first few names, quoted.
    pub examples: String,
}

/// Refuses all-zero observations under a count likelihood: they carry no information, and
/// a library size of 0 usually means an empty droplet or a wrong orientation.
pub fn check_observations(loaded: &Loaded, config: &VaeConfig) -> Result<()> {
    if !config.likelihood.is_count() {
        return Ok(());
    }
    let rows = &loaded.matrix;
    let n_cols = rows.n_cols();
    let mut empty = Vec::new();
    let mut buffer = Vec::new();
    for start in (0..rows.n_rows()).step_by(1024) {
        let chunk: Vec<usize> = (start..(start + 1024).min(rows.n_rows())).collect();
        buffer.resize(chunk.len() * n_cols, 0.0);
        rows.fill_rows(&chunk, &mut buffer);
        for (row, values) in chunk.iter().zip(buffer.chunks_exact(n_cols.max(1))) {
            if values.iter().all(|&v| v == 0.0) {
                empty.push(*row);
            }
        }
    }
    if empty.is_empty() {
        return Ok(());
    }
    let names = loaded.matrix.row_names();
    let examples: Vec<String> = empty
        .iter()
        .take(3)
        .map(|&r| format!("'{}'", names[r]))
        .collect();
    Err(EmptyObservations {
        count: empty.len(),
        examples: examples.join(", "),
    }
    .into())
}

/// The flag the first Ctrl-C raises (the handler is installed on first use).
fn stop_flag() -> &'static AtomicBool {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Without a handler (e.g. one is already set) Ctrl-C keeps its default: exit at once.
        let _ = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(INTERRUPTED_EXIT));
            }
            eprintln!("\nstopping after the current step (Ctrl-C again to quit at once)");
        });
    });
    &STOP
}

/// Trains `vae` (from `resume` if given), stopping cleanly on Ctrl-C or divergence: then the
/// error is a [`Stopped`] holding the model at the last completed epoch (or, before the
/// first epoch completed, an [`Interrupted`] / the divergence itself). A fresh run keeps a
/// state that can be saved and resumed only when `resumable` (a model directory will keep
/// it); otherwise its epochs skip copying the optimiser's moments.
pub fn train(
    mut vae: Vae,
    data: &Dataset,
    config: &TrainConfig,
    resume: Option<TrainState>,
    resumable: bool,
    bar: &TrainingBar,
) -> Result<(Vae, History)> {
    let stop = Some(stop_flag());
    let update = |p: &Progress| bar.update(p);
    let training = if resumable || resume.is_some() {
        vae.train_resumable(data, config, resume, stop, update)?
    } else {
        vae.train_stoppable(data, config, stop, update)?
    };
    let done = training.state.epochs_done();
    let (interrupted, message) = match training.end {
        TrainEnd::Finished => return Ok((vae, training.history)),
        TrainEnd::Interrupted if done == 0 => {
            return Err(Interrupted("interrupted during epoch 1; nothing was saved".into()).into());
        }
        TrainEnd::Interrupted => (true, format!("interrupted after epoch {done}")),
        TrainEnd::Diverged(error) if done == 0 => return Err(error.into()),
        TrainEnd::Diverged(error) => (false, error.to_string()),
    };
    Err(Stopped {
        vae: Box::new(vae),
        state: Box::new(training.state),
        interrupted,
        message,
    }
    .into())
}

/// Turns a training error into the one-line report: a [`Stopped`] model is saved to
/// `save_to` (when there is one) and the message says where and how to go on; a value the
/// likelihood cannot model is named by observation, feature and input file.
pub fn explain(
    error: anyhow::Error,
    loaded: &Loaded,
    input: &Path,
    save_to: Option<&Path>,
) -> anyhow::Error {
    let error = match error.downcast::<Stopped>() {
        Ok(stopped) => return keep(stopped, save_to),
        Err(error) => error,
    };
    let invalid = error.chain().find_map(|cause| match cause.downcast_ref::<vaebio_model::Error>() {
        Some(vaebio_model::Error::OutsideSupport {
            row,
            col,
            problem,
            likelihood,
            fix,
            ..
        }) => Some(format!(
            "{}: observation '{}', feature '{}': {problem} for the {likelihood} likelihood — {fix}",
            crate::load::values_source(input, &loaded.featurization),
            loaded.matrix.row_names().get(*row).map_or("?", String::as_str),
            loaded.matrix.col_names().get(*col).map_or("?", String::as_str),
        )),
        _ => None,
    });
    if let Some(empty) = error.downcast_ref::<EmptyObservations>() {
        return BadInput(format!(
            "{}: {empty} — remove them, or drop them with --min-genes 1",
            input.display()
        ))
        .into();
    }
    match invalid {
        Some(message) => BadInput(message).into(),
        None => error,
    }
}

fn keep(stopped: Stopped, save_to: Option<&Path>) -> anyhow::Error {
    let done = stopped.state.epochs_done();
    let Some(dir) = save_to else {
        let message = format!(
            "{}; nothing was saved (train with `vaebio train -o DIR` or `embed --save-model DIR` to keep a resumable model)",
            stopped.message
        );
        return if stopped.interrupted {
            Interrupted(message).into()
        } else {
            anyhow::anyhow!(message)
        };
    };
    if let Err(error) = stopped.vae.save_with_state(dir, &stopped.state) {
        return anyhow::Error::new(error)
            .context(format!("{}; saving the model failed", stopped.message));
    }
    if let Err(error) = write_history(stopped.state.history(), dir) {
        return error;
    }
    if stopped.interrupted {
        Interrupted(format!(
            "{}: the model after epoch {done} is saved in {} — continue with `vaebio train --resume {} <the same input> -o {}`",
            stopped.message,
            dir.display(),
            dir.display(),
            dir.display()
        ))
        .into()
    } else {
        anyhow::anyhow!(
            "{}; the last good model (after epoch {done}) is saved in {}",
            stopped.message,
            dir.display()
        )
    }
}

/// `vaebio train --resume DIR`: continue the run saved in DIR on the same input, with the
/// saved settings (only `--epochs` may raise the total), and save to `-o`.
pub fn resume(args: &TrainArgs, dir: &Path, quiet: bool) -> Result<()> {
    let (vae, featurization) = open_model(dir, &args.model.device)?;
    let state = TrainState::load(dir, &vae)?;
    let mut config = vae
        .train_config()
        .cloned()
        .with_context(|| format!("{}: the model holds no training settings", dir.display()))?;
    if let Some(epochs) = args.model.epochs {
        config.epochs = epochs;
    }
    let source = args.input.source();
    let input = source.path();
    let loaded = read_for_model(&args.input, &vae, &featurization, quiet)?;
    let batch = Covariate::from_args(args.input.options.batch.as_deref(), &loaded.matrix)?;
    let batch_names = batch.as_ref().map(|b| b.names.clone()).unwrap_or_default();
    if batch_names != vae.metadata().batch_names {
        return Err(BadInput(format!(
            "{}: the batch categories ({}) differ from the interrupted run's ({}) — give the same --batch table",
            input.display(),
            batch_names.join(", "),
            vae.metadata().batch_names.join(", ")
        ))
        .into());
    }
    let covariates = ExtraCovariates::for_model(
        args.input.options.covariates.as_deref(),
        loaded.matrix.row_names(),
        vae.metadata(),
    )?;
    let data = loaded.dataset(
        batch.as_ref().map(|b| b.codes.as_slice()),
        covariates.as_ref(),
    )?;
    summarize(
        &[format!(
            "resuming {} after epoch {} of {}",
            dir.display(),
            state.epochs_done(),
            config.epochs
        )],
        quiet,
    );
    let bar = TrainingBar::new(config.epochs, quiet);
    let trained = train(vae, &data, &config, Some(state), true, &bar);
    bar.finish();
    let (vae, history) = trained.map_err(|e| explain(e, &loaded, input, Some(&args.output)))?;
    save(&vae, &history, &args.output)?;
    summarize(
        &[format!("model written to {}", args.output.display())],
        quiet,
    );
    Ok(())
}
