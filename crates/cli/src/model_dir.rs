//! Opening a model directory written by `train` or `embed --save-model`.

use std::path::Path;

use anyhow::{Context, Result};
use vaebio_io::Featurization;
use vaebio_model::Vae;

use crate::commands::BadInput;

/// Loads the model and the featurization it was trained with.
pub fn open_model(dir: &Path, device: &str) -> Result<(Vae, Featurization)> {
    if dir.join(crate::ensemble::ENSEMBLE_FILE).is_file() {
        return Err(BadInput(format!(
            "{}: an ensemble of models (vaebio train --ensemble) — `score` averages them; for this command give one member, e.g. {}",
            dir.display(),
            dir.join("member_1").display()
        ))
        .into());
    }
    let device = vaebio_model::device(device)?;
    let vae = Vae::load(dir, &device)?;
    let featurization = serde_json::from_value(vae.metadata().featurization.clone())
        .map_err(|e| {
            BadInput(format!(
                "{}: the featurization settings are unreadable ({e}) — was it written by vaebio train?",
                dir.join("config.json").display()
            ))
        })
        .with_context(|| format!("opening the model in {}", dir.display()))?;
    Ok((vae, featurization))
}
