//! Turns the input flags into a feature matrix, remembering how, so a saved model can
//! featurize new input the same way.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use indicatif::ProgressBar;
use vaebio_io::features::abundance::append_abundance;
use vaebio_io::features::composition::{Alphabet, SequenceFeatures, SequenceOptions};
use vaebio_io::features::gene_filter::{CountFilter, filter_counts};
use vaebio_io::features::hvg::{HvgOptions, highly_variable_genes};
use vaebio_io::features::length_weights::{LENGTH_WEIGHT_CAP_BP, length_weights};
use vaebio_io::formats::h5ad::H5adOptions;
use vaebio_io::formats::mtx::{GENE_EXPRESSION, MtxOptions};
use vaebio_io::formats::table::ExpressionOptions;
use vaebio_io::formats::tenx_h5::TenxH5Options;
use vaebio_io::formats::vcf::{MissingPolicy, ModelSites, VcfOptions};
use vaebio_io::{AbundanceTransform, FeatureMatrix, Featurization};
use vaebio_model::{Dataset, WeightScope};

use crate::cli::{FeatureOptions, InputArgs, MissingArg, TnfWeightArg};
use crate::commands::BadInput;
use crate::depths::DepthSource;
use crate::extra_covariates::ExtraCovariates;
use crate::input::InputSource;
use crate::progress::open_input;

pub use vaebio_model::recipes::DataKind;

mod align;
mod msa;
pub use align::align_features;
pub use msa::read_msa;
use msa::{MsaSettings, load_msa};

/// A featurized input.
pub struct Loaded {
    /// Observations × features.
    pub matrix: FeatureMatrix,
    /// What the values are.
    pub kind: DataKind,
    /// Per-observation loss weights (alignment sequence weights on the ELBO, contig length
    /// weights on the reconstruction) and what they scale.
    pub weights: Option<(Vec<f32>, WeightScope)>,
    /// One-hot states per alignment column.
    pub n_states: Option<usize>,
    /// Alleles per genotype (VCF), the largest when they differ.
    pub ploidy: Option<u8>,
    /// Each genotype's ploidy, row-major like the matrix, when not every one is `ploidy`
    /// (haploid chrX calls of males beside diploid ones): the binomial's n per genotype.
    pub ploidies: Option<Vec<u8>>,
    /// Trailing `--abundance` columns (0 when none).
    pub abundance_columns: usize,
    /// How to featurize new input the same way.
    pub featurization: Featurization,
    /// What was read and skipped, for the closing summary.
    pub summary: Vec<String>,
}

impl Loaded {
    /// The rows as the model reads them: with the batch codes (`--batch`, when given), the
    /// extra covariates (`--covariates`), the sequence weights and each genotype's ploidy as
    /// its binomial trials.
    pub fn dataset<'a>(
        &'a self,
        batch_codes: Option<&'a [u32]>,
        covariates: Option<&'a ExtraCovariates>,
    ) -> Result<Dataset<'a>> {
        let mut data = Dataset::new(&self.matrix);
        if let Some(codes) = batch_codes {
            data = data.with_batches(codes)?;
        }
        if let Some(covariates) = covariates {
            data = data
                .with_categorical(&covariates.categorical)?
                .with_continuous(&covariates.continuous)?;
        }
        if let Some((weights, scope)) = &self.weights {
            data = data.with_scoped_weights(weights, *scope)?;
        }
        if let Some(ploidies) = &self.ploidies {
            data = data.with_trials(ploidies)?;
        }
        Ok(data)
    }
}

/// Reads and featurizes the input as the flags say, showing bytes read on `bar`.
pub fn load(input: &InputArgs, seed: u64, bar: &ProgressBar) -> Result<Loaded> {
    let options = &input.options;
    check_backed(input)?;
    match &input.source() {
        InputSource::Fasta(path) => load_fasta(
            Source { path, bar },
            sequence_options(options)?,
            DepthSource::from_options(options),
            options.tnf_weight,
        ),
        InputSource::Msa(path) => load_msa(
            Source { path, bar },
            MsaSettings {
                max_gap_frac: options.max_gap_frac,
                theta: options.theta,
                format: options.msa_format.map(Into::into),
            },
        ),
        InputSource::Vcf(path) => load_vcf(Source { path, bar }, &vcf_options(options, seed)),
        InputSource::Matrix(path) => {
            load_matrix(Source { path, bar }, options.transpose, Some(options))
        }
        InputSource::Mtx(path) => load_mtx(path, training_feature_type(options), Some(options)),
        InputSource::H5ad(path) => load_h5ad(path, h5ad_options(options), Some(options)),
        InputSource::TenxH5(path) => {
            let tenx = tenx_h5_options(training_feature_type(options), options.genome.clone());
            load_tenx_h5(path, tenx, Some(options))
        }
    }
}

/// The input file and the bar that counts its bytes.
#[derive(Clone, Copy)]
struct Source<'a> {
    path: &'a Path,
    bar: &'a ProgressBar,
}

impl Source<'_> {
    fn open(&self) -> Result<vaebio_io::Input> {
        open_input(self.path, self.bar)
    }
}

/// Reads new input with the featurization a model was trained with.
pub fn load_like(
    input: &InputArgs,
    saved: &Featurization,
    feature_names: &[String],
    seed: u64,
    bar: &ProgressBar,
) -> Result<Loaded> {
    check_backed(input)?;
    match (&input.source(), saved) {
        (
            InputSource::Fasta(path),
            Featurization::Fasta {
                features,
                alphabet,
                min_length,
                abundance,
            },
        ) => {
            let depths = DepthSource::from_options(&input.options);
            check_abundance(path, *abundance, depths)?;
            let options = SequenceOptions {
                features: *features,
                alphabet: Some(*alphabet),
                min_length: Some(input.options.min_length.unwrap_or(*min_length)),
            };
            load_fasta(
                Source { path, bar },
                options,
                depths,
                input.options.tnf_weight,
            )
        }
        (
            InputSource::Msa(path),
            Featurization::Msa {
                max_gap_frac,
                theta,
                format,
            },
        ) => load_msa(
            Source { path, bar },
            MsaSettings {
                max_gap_frac: *max_gap_frac,
                theta: *theta,
                // A format given now is for this file; else the one given in training.
                format: input.options.msa_format.map(Into::into).or(*format),
            },
        ),
        (
            InputSource::Vcf(path),
            Featurization::Vcf {
                missing,
                min_maf,
                ploidy,
                site_alleles,
            },
        ) => {
            let mut options = vcf_options(&input.options, seed);
            // kept as the model's setting (the model's sites are read whatever their MAF here)
            options.min_maf = *min_maf;
            // a model trained with masked calls read the site mean for them: so does encoding
            if *missing == MissingPolicy::Mask {
                options.missing = MissingPolicy::Mask;
            }
            // the model's sites, whatever their frequencies in this file
            let sites = ModelSites::new(feature_names, site_alleles.clone(), *ploidy)
                .map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
            options.model_sites = Some(Arc::new(sites));
            load_vcf(Source { path, bar }, &options)
        }
        (InputSource::Matrix(path), Featurization::Matrix { transpose }) => {
            load_matrix(Source { path, bar }, *transpose, None)
        }
        // The 10x formats hold the same matrices: a model trained on one reads the other, with
        // the feature type it was trained on (unless --feature-type says otherwise).
        (
            InputSource::Mtx(path),
            Featurization::Mtx { feature_type } | Featurization::TenxH5 { feature_type, .. },
        ) => {
            let given = input.options.feature_type.clone();
            load_mtx(path, given.or_else(|| feature_type.clone()), None)
        }
        (InputSource::TenxH5(path), Featurization::Mtx { feature_type }) => {
            let given = &input.options;
            let feature_type = given.feature_type.clone().or(feature_type.clone());
            let options = tenx_h5_options(feature_type, given.genome.clone());
            load_tenx_h5(path, options, None)
        }
        (
            InputSource::TenxH5(path),
            Featurization::TenxH5 {
                feature_type,
                genome,
            },
        ) => {
            let given = &input.options;
            let options = tenx_h5_options(
                given.feature_type.clone().or(feature_type.clone()),
                given.genome.clone().or(genome.clone()),
            );
            load_tenx_h5(path, options, None)
        }
        // The saved layer unless --layer says otherwise; the genes a --var-mask chose are the
        // model's features, which `align_features` selects by name, so the mask column need
        // not exist in new files.
        (InputSource::H5ad(path), Featurization::H5ad { layer, .. }) => {
            let mut options = h5ad_options(&input.options);
            options.layer = options.layer.or_else(|| layer.clone());
            load_h5ad(path, options, None)
        }
        (source, saved) => Err(BadInput(format!(
            "{}: the model was trained on {} input — give the same kind of input",
            source.path().display(),
            saved_flag(saved)
        ))
        .into()),
    }
}

/// `--backed` reads an `.h5ad` matrix on demand; every other input is read whole.
fn check_backed(input: &InputArgs) -> Result<()> {
    let source = input.source();
    if !input.options.backed || matches!(source, InputSource::H5ad(_)) {
        return Ok(());
    }
    Err(BadInput(format!(
        "{}: --backed reads an AnnData file (--h5ad) on demand; {} input is read whole — leave out --backed",
        source.path().display(),
        source.flag()
    ))
    .into())
}

/// A model trained with depths (`--abundance`, `--bam` or `--aemb`) needs depths for new
/// contigs, from any of the three, and one trained without refuses them.
fn check_abundance(
    path: &Path,
    saved: Option<AbundanceTransform>,
    depths: Option<DepthSource<'_>>,
) -> Result<()> {
    let message = match (saved, depths) {
        (Some(AbundanceTransform::RawDepths), _) => format!(
            "{}: the model was trained on raw depths by an older vaebio, which no longer feeds depths that way — train it again with this version",
            path.display()
        ),
        (Some(AbundanceTransform::Vamb), None) => format!(
            "{}: the model was trained with contig depths — give them for these contigs (--abundance, --bam or --aemb)",
            path.display()
        ),
        (None, Some(depths)) => format!(
            "{}: the model was trained on composition alone — leave it out",
            depths.flag()
        ),
        (Some(AbundanceTransform::Vamb), Some(_)) | (None, None) => return Ok(()),
    };
    Err(BadInput(message).into())
}

/// The flag of the input a model was trained on.
fn saved_flag(saved: &Featurization) -> &'static str {
    match saved {
        Featurization::Fasta { .. } => "--fasta",
        Featurization::Msa { .. } => "--msa",
        Featurization::Vcf { .. } => "--vcf",
        Featurization::Matrix { .. } => "--matrix",
        Featurization::Mtx { .. } => "--mtx",
        Featurization::H5ad { .. } => "--h5ad",
        Featurization::TenxH5 { .. } => "--10x-h5",
    }
}

/// Parses `--features`: `auto`, `tnf`, `kmer:K`, `kmer:K:canonical`, `aa:K`.
fn parse_features(text: &str) -> Result<SequenceFeatures> {
    text.parse().map_err(|error| match error {
        vaebio_io::Error::InvalidOption { what, fix, .. } => {
            BadInput(format!("--features {text}: {what} — {fix}")).into()
        }
        other => other.into(),
    })
}

fn sequence_options(options: &FeatureOptions) -> Result<SequenceOptions> {
    let features = parse_features(&options.features)?;
    Ok(SequenceOptions {
        features,
        alphabet: None,
        min_length: options.min_length,
    })
}

fn load_fasta(
    source: Source<'_>,
    options: SequenceOptions,
    depths: Option<DepthSource<'_>>,
    tnf_weight: TnfWeightArg,
) -> Result<Loaded> {
    let path = source.path;
    options.validate()?;
    let early = match &depths {
        Some(depths) => depths.read_early()?,
        None => None,
    };
    let input = source.open()?;
    let reader = vaebio_io::SequenceReader::new(input.name().to_string(), input);
    let (mut matrix, report) =
        vaebio_io::features::composition::featurize_sequences(reader, &options)?;
    let protein = report.alphabet == Alphabet::Protein;
    let mut summary = vec![format!(
        "{}: {} records, {} residues; {} featurized as {}",
        path.display(),
        report.records,
        report.residues,
        report.kept,
        report.features
    )];
    if report.skipped_short > 0 {
        summary.push(format!(
            "skipped {} records shorter than {} (--min-length)",
            report.skipped_short, report.min_length
        ));
    }
    if report.skipped_no_kmers > 0 {
        summary.push(format!(
            "skipped {} records without a countable k-mer (shorter than k, or only N or ambiguity codes)",
            report.skipped_no_kmers
        ));
    }
    let mut abundance_columns = 0;
    if let Some(source) = depths {
        let (depths, notes) = source.read(early, &matrix, &report.kept_lengths, path)?;
        summary.extend(notes);
        let n_composition = matrix.n_cols();
        matrix = append_abundance(&matrix, &depths, &source.label())?;
        abundance_columns = matrix.n_cols() - n_composition;
        summary.push(format!(
            "{}: {} samples → {abundance_columns} abundance columns appended (VAMB-style: \
             depth profile across samples + log total depth)",
            source.label(),
            depths.n_cols()
        ));
    }
    Ok(Loaded {
        matrix,
        abundance_columns,
        kind: if protein {
            DataKind::Protein
        } else {
            DataKind::Dna
        },
        weights: match tnf_weight {
            TnfWeightArg::None => None,
            TnfWeightArg::Length => Some((
                length_weights(&report.kept_lengths, LENGTH_WEIGHT_CAP_BP),
                WeightScope::Reconstruction,
            )),
        },
        n_states: None,
        ploidy: None,
        ploidies: None,
        featurization: Featurization::Fasta {
            features: report.features,
            alphabet: report.alphabet,
            min_length: report.min_length,
            abundance: (abundance_columns > 0).then_some(AbundanceTransform::Vamb),
        },
        summary,
    })
}

fn vcf_options(options: &FeatureOptions, seed: u64) -> VcfOptions {
    VcfOptions {
        missing: match options.missing {
            MissingArg::Mean => MissingPolicy::Mean,
            MissingArg::Binomial => MissingPolicy::Binomial,
            MissingArg::DropSites => MissingPolicy::DropSites,
            MissingArg::Mask => MissingPolicy::Mask,
        },
        seed,
        min_maf: options.min_maf,
        max_sites: options.max_sites,
        ..VcfOptions::default()
    }
}

fn load_vcf(source: Source<'_>, options: &VcfOptions) -> Result<Loaded> {
    let path = source.path;
    options.validate()?;
    let genotypes = vaebio_io::formats::vcf::read_genotypes_from(source.open()?, options)?;
    let report = &genotypes.report;
    let mut summary = vec![format!(
        "{}: {} samples, {} records, {} sites kept",
        path.display(),
        genotypes.matrix.n_rows(),
        report.records,
        report.kept
    )];
    let skipped = [
        (report.multiallelic, "multi-allelic"),
        (report.not_snp, "indel/symbolic"),
        (report.no_genotype, "without GT"),
        (report.monomorphic, "monomorphic"),
        (report.all_missing, "all-missing"),
        (
            report.dropped_missing,
            "with missing genotypes (--missing drop-sites)",
        ),
        (report.duplicate_position, "duplicate-position"),
        (report.low_maf, "below --min-maf"),
        (report.thinned, "thinned by --max-sites"),
        (report.not_in_model, "not among the model's sites"),
    ];
    let skipped: Vec<String> = skipped
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if !skipped.is_empty() {
        summary.push(format!("skipped sites: {}", skipped.join(", ")));
    }
    if report.imputed > 0 && options.missing == MissingPolicy::Mask {
        summary.push(format!(
            "{} missing genotypes left out of the likelihood (the encoder reads the site mean)",
            report.imputed
        ));
    } else if report.imputed > 0 {
        summary.push(format!("imputed {} missing genotypes", report.imputed));
    }
    if report.renamed_contig > 0 {
        summary.push(format!(
            "{} sites matched the model's with the chromosome named the other way ('chr1' for '1' or the reverse)",
            report.renamed_contig
        ));
    }
    if report.absent > 0 {
        summary.push(format!(
            "{} of the model's sites are not in {}: their calls are imputed at the training allele frequency",
            report.absent,
            path.display()
        ));
    }
    if report.lower_ploidy > 0 {
        summary.push(format!(
            "{} genotypes have ploidy below {} (e.g. haploid chrX calls): each counts its own \
             alleles, with the binomial's n its own ploidy",
            report.lower_ploidy, genotypes.ploidy
        ));
    }
    Ok(Loaded {
        kind: DataKind::Genotypes,
        weights: None,
        n_states: None,
        ploidy: Some(genotypes.ploidy),
        ploidies: genotypes.ploidies,
        abundance_columns: 0,
        featurization: Featurization::Vcf {
            missing: options.missing,
            min_maf: options.min_maf,
            ploidy: genotypes.ploidy,
            site_alleles: genotypes.allele_counts,
        },
        summary,
        matrix: genotypes.matrix,
    })
}

fn load_matrix(
    source: Source<'_>,
    transpose: bool,
    filters: Option<&FeatureOptions>,
) -> Result<Loaded> {
    let path = source.path;
    let expression = ExpressionOptions {
        transpose,
        ..ExpressionOptions::default()
    };
    let matrix = vaebio_io::formats::table::read_expression_from(source.open()?, &expression)?;
    expression_loaded(path, matrix, Featurization::Matrix { transpose }, filters)
}

/// `--feature-type` when training: the one given, else gene expression.
fn training_feature_type(options: &FeatureOptions) -> Option<String> {
    Some(
        options
            .feature_type
            .clone()
            .unwrap_or_else(|| GENE_EXPRESSION.to_string()),
    )
}

/// The features a 10x matrix keeps: `None` keeps all of them (models saved before
/// `--feature-type` read every feature).
fn mtx_options(feature_type: Option<String>) -> MtxOptions {
    MtxOptions {
        feature_type,
        ..MtxOptions::default()
    }
}

fn load_mtx(
    path: &Path,
    feature_type: Option<String>,
    filters: Option<&FeatureOptions>,
) -> Result<Loaded> {
    let matrix = vaebio_io::formats::mtx::read_10x_mtx(path, &mtx_options(feature_type.clone()))?;
    let note = feature_type_note(feature_type.as_deref());
    let mut loaded = expression_loaded(path, matrix, Featurization::Mtx { feature_type }, filters)?;
    loaded.summary.insert(1, note);
    Ok(loaded)
}

/// The summary line saying which 10x features were read.
fn feature_type_note(feature_type: Option<&str>) -> String {
    match feature_type {
        Some(kind) => format!("read the features of type '{kind}' (--feature-type)"),
        None => "read every feature type".to_string(),
    }
}

/// What to read from a 10x `.h5`: the features of `feature_type` (all when `None`), from
/// `genome` (Cell Ranger 2).
fn tenx_h5_options(feature_type: Option<String>, genome: Option<String>) -> TenxH5Options {
    TenxH5Options {
        features: mtx_options(feature_type),
        genome,
    }
}

fn load_tenx_h5(
    path: &Path,
    options: TenxH5Options,
    filters: Option<&FeatureOptions>,
) -> Result<Loaded> {
    let matrix = vaebio_io::formats::tenx_h5::read_10x_h5(path, &options)?;
    let note = feature_type_note(options.features.feature_type.as_deref());
    let featurization = Featurization::TenxH5 {
        feature_type: options.features.feature_type,
        genome: options.genome,
    };
    let mut loaded = expression_loaded(path, matrix, featurization, filters)?;
    loaded.summary.insert(1, note);
    Ok(loaded)
}

fn h5ad_options(options: &FeatureOptions) -> H5adOptions {
    H5adOptions {
        layer: options.layer.clone(),
        var_mask: options.var_mask.clone(),
        backed: options.backed,
    }
}

fn load_h5ad(
    path: &Path,
    options: H5adOptions,
    filters: Option<&FeatureOptions>,
) -> Result<Loaded> {
    let file = vaebio_io::AnnData::open(path)?;
    let matrix = file.matrix(&options)?;
    let mut note = format!("read {}", options.element());
    if options.backed {
        note.push_str(" on demand (--backed)");
    }
    if let Some(column) = &options.var_mask {
        note.push_str(&format!(
            ", the {} genes where var '{column}' is true (--var-mask)",
            matrix.n_cols()
        ));
    }
    let layers = file.layers();
    if !matrix.is_integer_counts() && options.layer.is_none() && !layers.is_empty() {
        note.push_str(&format!(
            "; X holds real values, and the file has layers {} — give --layer NAME for counts",
            layers.join(", ")
        ));
    }
    let featurization = Featurization::H5ad {
        layer: options.layer,
        var_mask: options.var_mask,
    };
    let mut loaded = expression_loaded(path, matrix, featurization, filters)?;
    loaded.summary.insert(1, note);
    Ok(loaded)
}

/// The input as errors about its values name it: for an AnnData file, with the matrix read
/// and the layers there are (a scanpy-processed file keeps counts in a layer).
pub fn values_source(path: &Path, featurization: &Featurization) -> String {
    let Featurization::H5ad { layer, .. } = featurization else {
        return path.display().to_string();
    };
    let element = layer
        .as_deref()
        .map_or("X".to_string(), |l| format!("layer '{l}'"));
    let layers = vaebio_io::AnnData::open(path)
        .map(|file| file.layers())
        .unwrap_or_default();
    let has = if layers.is_empty() {
        "no layers".to_string()
    } else {
        format!("layers: {}", layers.join(", "))
    };
    format!("{} ({element}; the file has {has})", path.display())
}

fn expression_loaded(
    path: &Path,
    matrix: FeatureMatrix,
    featurization: Featurization,
    filters: Option<&FeatureOptions>,
) -> Result<Loaded> {
    let counts = matrix.is_integer_counts();
    let mut summary = vec![format!(
        "{}: {} observations x {} features ({})",
        path.display(),
        matrix.n_rows(),
        matrix.n_cols(),
        if counts {
            "integer counts"
        } else {
            "real values"
        }
    )];
    let matrix = match filters {
        Some(options) => filter_expression(matrix, options, &mut summary)?,
        None => matrix,
    };
    Ok(Loaded {
        matrix,
        kind: if counts {
            DataKind::Counts
        } else {
            DataKind::Values
        },
        weights: None,
        n_states: None,
        ploidy: None,
        ploidies: None,
        abundance_columns: 0,
        featurization,
        summary,
    })
}

/// `--min-genes`, then `--min-cells` (as scanpy's filter_cells / filter_genes), then
/// `--n-top-genes` highly variable genes (scanpy's 'seurat' flavour).
fn filter_expression(
    matrix: FeatureMatrix,
    options: &FeatureOptions,
    summary: &mut Vec<String>,
) -> Result<FeatureMatrix> {
    let filter = CountFilter {
        min_cells: options.min_cells,
        min_genes: options.min_genes,
    };
    let mut matrix = if filter == CountFilter::default() {
        matrix
    } else {
        let (filtered, report) = filter_counts(&matrix, &filter)?;
        summary.push(format!(
            "filtered {} observations (--min-genes {}) and {} features (--min-cells {})",
            report.observations_removed,
            filter.min_genes,
            report.features_removed,
            filter.min_cells
        ));
        filtered
    };
    if let Some(n_top_genes) = options.n_top_genes {
        if n_top_genes < matrix.n_cols() {
            let hvg = highly_variable_genes(
                &matrix,
                &HvgOptions {
                    n_top_genes,
                    ..HvgOptions::default()
                },
            )?;
            matrix = matrix.select_cols(&hvg.selected)?;
            summary.push(format!(
                "kept the {} most highly variable features (--n-top-genes)",
                matrix.n_cols()
            ));
        } else {
            summary.push(format!(
                "--n-top-genes {n_top_genes} keeps all {} features",
                matrix.n_cols()
            ));
        }
    }
    Ok(matrix)
}
