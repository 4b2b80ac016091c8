//! Aligned protein families: reading an alignment (`--msa`, and `score`'s family) into the
//! one-hot matrix and sequence weights training uses.

use std::path::Path;

use anyhow::Result;
use indicatif::ProgressBar;
use vaebio_io::Featurization;
use vaebio_io::formats::alignment::{Alignment, AlignmentOptions, MsaFormat, alignment_from_input};
use vaebio_model::WeightScope;

use super::{DataKind, Loaded, Source};
use crate::progress::open_input;

/// How an aligned family is read: column and weight thresholds, and the format (`None`
/// decides it from the content).
#[derive(Clone, Copy)]
pub(super) struct MsaSettings {
    pub(super) max_gap_frac: f64,
    pub(super) theta: f64,
    pub(super) format: Option<MsaFormat>,
}

/// Reads an aligned family with the given column and weight thresholds, in `format` (or the
/// one its content shows).
pub fn read_msa(
    path: &Path,
    max_gap_frac: f64,
    theta: f64,
    format: Option<MsaFormat>,
) -> Result<Alignment> {
    let settings = MsaSettings {
        max_gap_frac,
        theta,
        format,
    };
    read_alignment(open_input(path, &ProgressBar::hidden())?, settings)
}

fn read_alignment(input: vaebio_io::Input, settings: MsaSettings) -> Result<Alignment> {
    let options = AlignmentOptions {
        max_gap_frac: settings.max_gap_frac,
        theta: settings.theta,
        format: settings.format,
        ..AlignmentOptions::default()
    };
    options.validate()?;
    Ok(alignment_from_input(
        input.name().to_string(),
        input,
        &options,
    )?)
}

pub(super) fn load_msa(source: Source<'_>, settings: MsaSettings) -> Result<Loaded> {
    let path = source.path;
    let MsaSettings {
        max_gap_frac,
        theta,
        format,
    } = settings;
    let alignment = read_alignment(source.open()?, settings)?;
    let report = &alignment.report;
    let mut summary = vec![format!(
        "{} ({}): {} sequences, focus {} with {} of {} aligned columns kept; effective sequences {:.1} (theta {theta})",
        path.display(),
        alignment.format,
        report.sequences_read,
        alignment.focus_name,
        alignment.positions.len(),
        report.aligned_columns,
        report.effective_sequences
    )];
    if report.dropped_fragments + report.dropped_ambiguous > 0 {
        summary.push(format!(
            "dropped {} fragment and {} ambiguous sequences",
            report.dropped_fragments, report.dropped_ambiguous
        ));
    }
    if report.dropped_columns > 0 {
        summary.push(format!(
            "dropped {} focus columns with more than {max_gap_frac} gaps (--max-gap-frac)",
            report.dropped_columns
        ));
    }
    Ok(Loaded {
        kind: DataKind::Alignment,
        weights: Some((alignment.weights, WeightScope::Elbo)),
        n_states: Some(alignment.n_states),
        ploidy: None,
        ploidies: None,
        abundance_columns: 0,
        featurization: Featurization::Msa {
            max_gap_frac,
            theta,
            format,
        },
        summary,
        matrix: alignment.matrix,
    })
}
