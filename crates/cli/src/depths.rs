//! Contig depths for `--fasta` input, from whichever of `--abundance` (a depth table),
//! `--bam` (one BAM per sample) or `--aemb` (one `strobealign --aemb` table per sample) was
//! given; clap lets at most one through.

use std::path::{Path, PathBuf};

use anyhow::Result;
use vaebio_io::FeatureMatrix;
use vaebio_io::formats::aemb::aemb_matrix;
use vaebio_io::formats::bam_depth::{BamDepthOptions, bam_depth_matrix};
use vaebio_io::formats::depth::read_depths;

use crate::cli::FeatureOptions;

/// Where the contig depths come from.
#[derive(Debug, Clone, Copy)]
pub enum DepthSource<'a> {
    /// `--abundance`: jgi output or a contig × sample TSV.
    Table(&'a Path),
    /// `--bam`: one BAM per sample.
    Bam(&'a [PathBuf]),
    /// `--aemb`: one `strobealign --aemb` table per sample.
    Aemb(&'a [PathBuf]),
}

impl<'a> DepthSource<'a> {
    /// The depth flag given, if any.
    pub fn from_options(options: &'a FeatureOptions) -> Option<Self> {
        if let Some(path) = &options.abundance {
            Some(Self::Table(path))
        } else if !options.bam.is_empty() {
            Some(Self::Bam(&options.bam))
        } else if !options.aemb.is_empty() {
            Some(Self::Aemb(&options.aemb))
        } else {
            None
        }
    }

    /// The flag, for messages.
    pub fn flag(&self) -> &'static str {
        match self {
            Self::Table(_) => "--abundance",
            Self::Bam(_) => "--bam",
            Self::Aemb(_) => "--aemb",
        }
    }

    /// The files, as errors about the depths name them.
    pub fn label(&self) -> String {
        let files: &[PathBuf] = match self {
            Self::Table(path) => return path.display().to_string(),
            Self::Bam(files) | Self::Aemb(files) => files,
        };
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        names.join(", ")
    }

    /// Reads a depth table now (it is small, and a bad one should fail before the long
    /// composition pass); BAM and aemb files need the contigs first, so they wait.
    pub fn read_early(&self) -> Result<Option<FeatureMatrix>> {
        match self {
            Self::Table(path) => Ok(Some(read_depths(path)?)),
            Self::Bam(_) | Self::Aemb(_) => Ok(None),
        }
    }

    /// The depths of the featurized contigs (`composition`'s rows, of `lengths` bases, read
    /// from `fasta`), with summary lines on what was read. `early` is [`Self::read_early`]'s.
    pub fn read(
        &self,
        early: Option<FeatureMatrix>,
        composition: &FeatureMatrix,
        lengths: &[u64],
        fasta: &Path,
    ) -> Result<(FeatureMatrix, Vec<String>)> {
        if let Some(table) = early {
            return Ok((table, Vec::new()));
        }
        let contigs = composition.row_names();
        match self {
            Self::Table(path) => Ok((read_depths(path)?, Vec::new())),
            Self::Bam(files) => {
                let contigs: Vec<(String, u64)> = contigs
                    .iter()
                    .cloned()
                    .zip(lengths.iter().copied())
                    .collect();
                let options = BamDepthOptions::default();
                let depths =
                    bam_depth_matrix(files, &contigs, &fasta.display().to_string(), &options)?;
                let notes = depths
                    .reports
                    .iter()
                    .map(|(file, report, extra)| {
                        format!(
                            "{file}: {} records, {} alignments counted ({} below {}% identity; {} unmapped, secondary, duplicate or QC-fail); {}",
                            report.records,
                            report.counted,
                            report.low_identity,
                            options.min_identity,
                            report.skipped,
                            not_binned(*extra)
                        )
                    })
                    .collect();
                Ok((depths.matrix, notes))
            }
            Self::Aemb(files) => {
                let depths = aemb_matrix(files, contigs)?;
                let notes = depths
                    .extra
                    .iter()
                    .filter(|(_, extra)| *extra > 0)
                    .map(|(file, extra)| format!("{file}: {}", not_binned(*extra)))
                    .collect();
                Ok((depths.matrix, notes))
            }
        }
    }
}

/// The summary's note on contigs with depths but no features (filtered by length, say).
fn not_binned(extra: usize) -> String {
    format!("{extra} contigs not among the featurized ones ignored")
}
