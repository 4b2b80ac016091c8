//! `vaebio bin`: train on contigs, then cluster them into bins on cosine distance with
//! VAMB's iterative medoid clustering; optionally one FASTA per bin. What is clustered is
//! `--latent-scale`: by default the first principal components of the decoder's
//! reconstructions (`Vae::denoised_pca`), else the latent means, scaled or not.
//!
//! The FASTA is read twice (features, then lengths and bin sequences), so it must be a file.
//! With `--latent`, an existing latent table (e.g. PCA scores) is clustered instead of
//! training, and the FASTA only gives lengths and sequences.

use std::collections::HashMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use vaebio_analysis::{DenseView, MedoidParams, assignments, iterative_medoids};
use vaebio_fs::StagedDir;
use vaebio_io::{SequenceReader, SequenceRecord};
use vaebio_model::recipes::BIN_DENOISED_COMPONENTS;
use vaebio_model::{Dataset, DenseMatrix, Posterior, RowSource};

use crate::cli::{BinArgs, LatentScaleArg};
use crate::commands::BadInput;
use crate::fit::{Conditions, fit};
use crate::input::InputSource;
use crate::latent::LatentTable;
use crate::load::DataKind;
use crate::output::{check_pca_components, latent_names, write_pca, write_table};
use crate::pipeline::read;
use crate::progress::summarize;

/// Bin FASTA files written per pass over the contigs (keeps open files bounded).
const FILES_PER_PASS: usize = 256;

/// Runs `vaebio bin`.
pub fn run(mut args: BinArgs, quiet: bool) -> Result<()> {
    let fasta = match args.input.source() {
        InputSource::Fasta(path) if path != Path::new("-") => path,
        InputSource::Fasta(_) => {
            return Err(BadInput(
                "--fasta -: vaebio bin reads the contigs twice (features, then lengths and bins) — give a file, not stdin".into(),
            )
            .into());
        }
        other => {
            return Err(BadInput(format!(
                "{}: vaebio bin clusters contigs — give them with --fasta FILE",
                other.flag()
            ))
            .into());
        }
    };
    if let Some(dir) = &args.fasta_out {
        check_new_dir(dir)?;
    }
    // `means`: the posterior means when trained here (for --latent-out), whatever is clustered;
    // `prepared`: what was clustered and the seconds spent encoding and preparing it.
    let (contigs, latent, means, prepared) = match &args.latent {
        Some(path) if matches!(args.latent_scale, Some(scale) if scale != LatentScaleArg::None) => {
            return Err(BadInput(format!(
                "{}: --latent-scale posterior and denoised need a model trained here — drop --latent (or --latent-scale)",
                path.display()
            ))
            .into());
        }
        Some(path) => {
            let table = LatentTable::read(path)?;
            let latent = DenseMatrix::new(table.values, table.ids.len(), table.n_dims)?;
            (table.ids, latent, None, None)
        }
        None => {
            let scale = args.latent_scale.unwrap_or(LatentScaleArg::Denoised);
            let (contigs, posterior, clustered, seconds) =
                train_and_embed(&mut args, scale, &fasta, quiet)?;
            (
                contigs,
                clustered,
                Some(posterior.mean),
                Some((scale, seconds)),
            )
        }
    };
    let n_dims = latent.n_cols();
    let lengths = contig_lengths(&fasta, &contigs)?;

    let params = MedoidParams {
        seed: args.model.seed,
        ..MedoidParams::default()
    };
    let start = Instant::now();
    let clusters = iterative_medoids(DenseView::new(latent.values(), n_dims)?, &lengths, &params)?;
    let clustering = start.elapsed().as_secs_f64();
    let bin_of = assignments(&clusters, contigs.len());
    write_bins(&args.output, &contigs, &bin_of)?;

    let mut bin_sizes = vec![0u64; clusters.len()];
    for (contig, &bin) in bin_of.iter().enumerate() {
        bin_sizes[bin] += lengths[contig] as u64;
    }
    let mut lines = vec![format!(
        "{} contigs in {} bins ({} of at least {} bp)",
        contigs.len(),
        clusters.len(),
        bin_sizes
            .iter()
            .filter(|&&s| s >= args.min_bin_size)
            .count(),
        args.min_bin_size
    )];
    let timing = match prepared {
        Some((scale, seconds)) => format!("encoding and {} {seconds:.1} s, ", scale_name(scale)),
        None => String::new(),
    };
    lines.push(format!("{timing}clustering {clustering:.1} s"));
    if let Some(dir) = &args.fasta_out {
        let written = write_bin_fastas(
            &fasta,
            dir,
            &contigs,
            &bin_of,
            &bin_sizes,
            args.min_bin_size,
        )?;
        lines.push(format!(
            "wrote {written} bin FASTA files to {}",
            dir.display()
        ));
    }
    if let Some(path) = &args.clustered_out {
        write_table(path, contigs.clone(), latent_names(n_dims), latent)?;
    }
    if let (Some(path), Some(means)) = (&args.latent_out, means) {
        let n_latent = means.n_cols();
        write_table(path, contigs, latent_names(n_latent), means)?;
    }
    summarize(&lines, quiet);
    Ok(())
}

/// Featurizes, trains with the contigs recipe and returns the contig names, their
/// posteriors, what `scale` clusters and the seconds spent on those two after training;
/// writes `--pca` scores of the same features when asked.
fn train_and_embed(
    args: &mut BinArgs,
    scale: LatentScaleArg,
    fasta: &Path,
    quiet: bool,
) -> Result<(Vec<String>, Posterior, DenseMatrix, f64)> {
    // Checked first, so an unavailable device fails before any work.
    let device = vaebio_model::device(&args.model.device)?;
    args.input
        .options
        .min_length
        // VAMB's minimum contig length (`-m`), whatever the features.
        .get_or_insert(vaebio_io::features::composition::TNF_MIN_LENGTH);
    let loaded = read(&args.input, args.model.seed, quiet)?;
    if loaded.kind != DataKind::Dna {
        return Err(BadInput(format!(
            "{}: these are not DNA sequences — vaebio bin clusters contigs",
            fasta.display()
        ))
        .into());
    }
    check_pca_components(&args.model, &loaded.matrix)?;
    let (vae, _history) = fit(
        &loaded,
        Conditions::default(),
        &args.model,
        &device,
        false,
        quiet,
    )?;
    let config = vae.config();
    write_pca(
        &args.model,
        &loaded.matrix,
        config.latent,
        config.likelihood,
    )?;
    let start = Instant::now();
    let posterior = vae.encode(&loaded.matrix)?;
    let clustered = match scale {
        LatentScaleArg::None => posterior.mean.clone(),
        LatentScaleArg::Posterior => posterior.precision_scaled_mean()?,
        LatentScaleArg::Denoised => vae.denoised_pca_from_means(
            &Dataset::new(&loaded.matrix),
            &posterior.mean,
            BIN_DENOISED_COMPONENTS,
        )?,
    };
    let seconds = start.elapsed().as_secs_f64();
    Ok((
        loaded.matrix.row_names().to_vec(),
        posterior,
        clustered,
        seconds,
    ))
}

/// What `scale` clusters, in words for the summary.
fn scale_name(scale: LatentScaleArg) -> &'static str {
    match scale {
        LatentScaleArg::None => "the latent means",
        LatentScaleArg::Posterior => "posterior scaling",
        LatentScaleArg::Denoised => "denoised PCA",
    }
}

/// Bin names as written: `bin_1`, `bin_2`, ... in the order the clusters were found.
fn bin_name(bin: usize) -> String {
    format!("bin_{}", bin + 1)
}

/// Length in bp of each of `contigs` (by id), read from the FASTA.
fn contig_lengths(fasta: &Path, contigs: &[String]) -> Result<Vec<f64>> {
    let index: HashMap<&str, usize> = contigs
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut lengths = vec![0.0; contigs.len()];
    let mut reader = SequenceReader::open(fasta)?;
    let mut record = SequenceRecord::default();
    while reader.read_record(&mut record)? {
        if let Some(&i) = index.get(record.id.as_str()) {
            lengths[i] = record.sequence.len() as f64;
        }
    }
    if let Some(missing) = lengths.iter().position(|&l| l == 0.0) {
        return Err(BadInput(format!(
            "{}: contig '{}' of the latent table is not in this FASTA (or is empty) — give the FASTA the latent table was made from",
            fasta.display(),
            contigs[missing]
        ))
        .into());
    }
    Ok(lengths)
}

/// `contig<TAB>bin` with a header line, atomically; `-` is stdout.
fn write_bins(path: &Path, contigs: &[String], bin_of: &[usize]) -> Result<()> {
    vaebio_fs::write_atomic(path, |out| {
        writeln!(out, "contig\tbin")?;
        for (contig, &bin) in contigs.iter().zip(bin_of) {
            writeln!(out, "{contig}\t{}", bin_name(bin))?;
        }
        Ok(())
    })
    .with_context(|| format!("{}: cannot write", path.display()))
}

/// Fails early, before training, if `dir` exists and is not empty.
fn check_new_dir(dir: &Path) -> Result<()> {
    if let Ok(mut entries) = fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(BadInput(format!(
            "{}: --fasta-out directory exists and is not empty — give a new or empty directory",
            dir.display()
        ))
        .into());
    }
    Ok(())
}

/// One `bin_N.fna` per bin of at least `min_bin_size` bp, in contig order. The files are
/// written into a temporary directory beside `dir` that is renamed to `dir` at the end, so
/// a failed run leaves no partial bins. Returns the number of files.
fn write_bin_fastas(
    fasta: &Path,
    dir: &Path,
    contigs: &[String],
    bin_of: &[usize],
    bin_sizes: &[u64],
    min_bin_size: u64,
) -> Result<usize> {
    // A non-empty `dir` was refused before training; an empty one is replaced.
    let staging = StagedDir::create(dir)
        .with_context(|| format!("{}: cannot create a directory beside it", dir.display()))?;
    let bin_by_contig: HashMap<&str, usize> = contigs
        .iter()
        .zip(bin_of)
        .map(|(id, &bin)| (id.as_str(), bin))
        .collect();
    let kept: Vec<usize> = (0..bin_sizes.len())
        .filter(|&bin| bin_sizes[bin] >= min_bin_size)
        .collect();
    for pass in kept.chunks(FILES_PER_PASS) {
        let mut files: HashMap<usize, (PathBuf, BufWriter<fs::File>)> = HashMap::new();
        for &bin in pass {
            let path = staging.path().join(format!("{}.fna", bin_name(bin)));
            let file = fs::File::create(&path)
                .with_context(|| format!("{}: cannot create", path.display()))?;
            files.insert(bin, (path, BufWriter::new(file)));
        }
        let mut reader = SequenceReader::open(fasta)?;
        let mut record = SequenceRecord::default();
        while reader.read_record(&mut record)? {
            let Some(bin) = bin_by_contig.get(record.id.as_str()) else {
                continue;
            };
            if let Some((path, out)) = files.get_mut(bin) {
                vaebio_io::formats::fasta::write_fasta(out, &record, 80)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
            }
        }
        for (_, (path, mut out)) in files {
            out.flush()
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
    }
    staging
        .commit()
        .with_context(|| format!("{}: cannot create", dir.display()))?;
    Ok(kept.len())
}
