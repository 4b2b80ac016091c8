//! Ensembles of models of one aligned family (`train --ensemble N`): N seeds trained on the
//! same featurized input into `DIR/member_1` … `DIR/member_N`, listed in `DIR/ensemble.json`;
//! `score` averages the members' ΔELBO, as DeepSequence's and EVE's ensembles do.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use vaebio_fs::StagedDir;

use crate::cli::{ModelArgs, TrainArgs};
use crate::commands::BadInput;
use crate::fit::{Conditions, fit, save};
use crate::input::InputSource;
use crate::pipeline::read;
use crate::progress::summarize;

/// The file that marks a directory as an ensemble.
pub const ENSEMBLE_FILE: &str = "ensemble.json";

/// Most members an ensemble may have: DeepSequence and EVE use 5–10.
const MAX_MEMBERS: usize = 100;

/// What `ensemble.json` holds.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// Member directories, relative to the ensemble's.
    members: Vec<String>,
    /// The seed each member was trained with.
    seeds: Vec<u64>,
}

/// `train --ensemble N`: read the alignment once, train N seeds, write them in one go.
pub fn train(args: &TrainArgs, quiet: bool) -> Result<()> {
    let n = args.ensemble;
    if !(2..=MAX_MEMBERS).contains(&n) {
        return Err(BadInput(format!(
            "--ensemble {n}: give 2 to {MAX_MEMBERS} members (DeepSequence and EVE use 5–10), or leave it out for one model"
        ))
        .into());
    }
    if !matches!(args.input.source(), InputSource::Msa(_)) {
        return Err(BadInput(
            "--ensemble averages mutation scores of aligned families — use it with --msa".into(),
        )
        .into());
    }
    let device = vaebio_model::device(&args.model.device)?;
    let loaded = read(&args.input, args.model.seed, quiet)?;
    let staged = StagedDir::create(&args.output)
        .with_context(|| format!("{}: cannot create the directory", args.output.display()))?;
    let mut manifest = Manifest {
        members: Vec::with_capacity(n),
        seeds: Vec::with_capacity(n),
    };
    for i in 1..=n {
        let seed = args.model.seed.wrapping_add(i as u64 - 1);
        let model = ModelArgs {
            seed,
            ..args.model.clone()
        };
        summarize(
            &[format!("ensemble member {i} of {n} (seed {seed})")],
            quiet,
        );
        let (vae, history) = fit(
            &loaded,
            Conditions::default(),
            &model,
            &device,
            false,
            quiet,
        )
        .map_err(|e| crate::faults::explain(e, &loaded, args.input.source().path(), None))?;
        let name = format!("member_{i}");
        save(&vae, &history, &staged.path().join(&name))?;
        manifest.members.push(name);
        manifest.seeds.push(seed);
    }
    let json = serde_json::to_string_pretty(&manifest)?;
    std::fs::write(staged.path().join(ENSEMBLE_FILE), json + "\n")
        .with_context(|| format!("{}: cannot write {ENSEMBLE_FILE}", args.output.display()))?;
    staged.commit().with_context(|| {
        format!(
            "{}: cannot move the ensemble into place",
            args.output.display()
        )
    })?;
    summarize(
        &[format!(
            "ensemble of {n} models written to {}",
            args.output.display()
        )],
        quiet,
    );
    Ok(())
}

/// The member directories when `dir` is an ensemble; `None` for a single model.
pub fn members(dir: &Path) -> Result<Option<Vec<PathBuf>>> {
    let path = dir.join(ENSEMBLE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        BadInput(format!(
            "{}: not an ensemble manifest ({e}) — was it written by vaebio train --ensemble?",
            path.display()
        ))
    })?;
    if manifest.members.is_empty()
        || manifest
            .members
            .iter()
            .any(|m| m.is_empty() || Path::new(m).components().count() != 1)
    {
        return Err(BadInput(format!(
            "{}: members must be directory names inside the ensemble — rewrite it with vaebio train --ensemble",
            path.display()
        ))
        .into());
    }
    Ok(Some(manifest.members.iter().map(|m| dir.join(m)).collect()))
}
