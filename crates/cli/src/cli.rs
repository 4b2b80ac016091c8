//! Command-line arguments: one clap struct per subcommand, shared groups flattened in.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod score_args;
mod values;

pub use score_args::{ScoreArgs, ShrinkageArg};
pub use values::{
    DecoderArg, GeneWeightsArg, InputTransformArg, LikelihoodArg, LrScheduleArg, MissingArg,
    MsaFormatArg, OutputInitArg, PresetArg, SamplingArg, SparsityArg, Switch, TnfWeightArg,
};

/// Train variational autoencoders on biological data and export what they learn.
#[derive(Debug, Parser)]
#[command(name = "vaebio", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Settings every subcommand shares.
    #[command(flatten)]
    pub global: GlobalArgs,
}

impl Cli {
    /// Turns `--batch-key COL` / `--labels-key COL` / `--covariate-keys COL,...` into
    /// `--batch FILE.h5ad:COL` / `--labels FILE.h5ad:COL` / `--covariates FILE.h5ad:COL,...`
    /// on the `--h5ad` input, which every command already joins onto
    /// its observations (see `InputArgs::resolve_obs_keys`).
    pub fn with_obs_keys(mut self) -> Self {
        let input = match &mut self.command {
            Command::Featurize(args) => &mut args.input,
            Command::Train(args) => &mut args.input,
            Command::Embed(args) => &mut args.input,
            Command::Bin(args) => &mut args.input,
            Command::Encode(args) => &mut args.input,
            Command::Reconstruct(args) => &mut args.input,
            _ => return self,
        };
        input.resolve_obs_keys();
        self
    }
}

/// Flags accepted by every subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Silence progress bars and summaries on stderr (errors are still printed).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// Worker threads for featurization and training; defaults to the available cores, 0
    /// means the same (at most 1,024). Training runs the shards of each minibatch on them;
    /// results do not depend on the count (docs/scale.md).
    #[arg(long, global = true, default_value_t = available_cores(), value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=MAX_THREADS as u64))]
    pub threads: usize,
}

/// The cores this process may use (1 when unknown).
fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| usize::from(n).min(MAX_THREADS))
}

/// The most worker threads `--threads` takes (100,000 spent minutes starting threads).
const MAX_THREADS: usize = 1024;

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the feature matrix of an input (no training).
    #[command(after_help = "Example:\n  vaebio featurize --fasta contigs.fa -o features.tsv")]
    Featurize(FeaturizeArgs),
    /// Train a VAE and save the model directory.
    #[command(
        after_help = "Example:\n  vaebio train --matrix counts.tsv --batch batches.tsv -o model/"
    )]
    Train(TrainArgs),
    /// Train a VAE and write the latent means of every observation.
    #[command(
        after_help = "Example:\n  vaebio embed --fasta seqs.fa -o latent.tsv --save-model model/"
    )]
    Embed(EmbedArgs),
    /// Train on contigs, embed them and cluster the latent space into genome bins (as VAMB).
    #[command(
        after_help = "Example:\n  vaebio bin --fasta contigs.fa -o bins.tsv --fasta-out bins/ --min-bin-size 200000"
    )]
    Bin(BinArgs),
    /// Encode new input with a saved model (same featurization, same features).
    #[command(
        after_help = "Example:\n  vaebio encode --model model/ --fasta more.fa -o latent.tsv"
    )]
    Encode(EncodeArgs),
    /// Decode draws from the prior of a saved model.
    #[command(after_help = "Example:\n  vaebio generate --model model/ -n 100 -o samples.tsv")]
    Generate(GenerateArgs),
    /// Denoised (for counts: normalised, optionally batch-corrected) values of the input.
    #[command(
        after_help = "Example:\n  vaebio reconstruct --model model/ --matrix counts.tsv --transform-batch A -o norm.tsv"
    )]
    Reconstruct(ReconstructArgs),
    /// Score mutations of an alignment's focus sequence by ΔELBO (mutant − wild type), as EVE.
    #[command(
        after_help = "Example:\n  vaebio train --msa family.a2m -o family_model/\n  vaebio score --model family_model/ --msa family.a2m --mutations muts.txt -o scores.tsv"
    )]
    Score(ScoreArgs),
    /// Score a latent space against known labels (kNN accuracy, ARI, NMI, silhouette, batch mixing).
    #[command(
        after_help = "Example:\n  vaebio evaluate --latent latent.tsv --labels cell_types.tsv"
    )]
    Evaluate(EvaluateArgs),
    /// Draw the latent space as a 2-D scatter plot (PNG), coloured by label.
    #[command(
        after_help = "Example:\n  vaebio plot --latent latent.tsv --labels labels.tsv -o latent.png"
    )]
    Plot(PlotArgs),
}

/// Which file to read, and how to featurize it. Exactly one input flag is required;
/// `InputArgs::source` gives it as one [`InputSource`](crate::input::InputSource).
#[derive(Debug, Args, Clone)]
#[group(id = "input", required = true, multiple = false)]
pub struct InputArgs {
    /// FASTA/FASTQ sequences (plain or gzip; `-` for stdin) -> k-mer or TNF profiles.
    #[arg(long, value_name = "FILE", group = "input")]
    pub fasta: Option<PathBuf>,
    /// Aligned family (aligned FASTA / A2M / A3M / Stockholm; format from the content, or
    /// `--msa-format`) -> one-hot focus columns + sequence weights.
    #[arg(long, value_name = "FILE", group = "input")]
    pub msa: Option<PathBuf>,
    /// Variants (VCF/BCF, plain, gzip or bgzip; `-` for stdin) -> alternate-allele dosages.
    #[arg(long, value_name = "FILE", group = "input")]
    pub vcf: Option<PathBuf>,
    /// Expression matrix (TSV/CSV, gzip fine): features in rows, observations in columns.
    #[arg(long, value_name = "FILE", group = "input")]
    pub matrix: Option<PathBuf>,
    /// 10x Matrix Market directory (matrix.mtx[.gz], features.tsv[.gz], barcodes.tsv[.gz]).
    #[arg(long, value_name = "DIR", group = "input")]
    pub mtx: Option<PathBuf>,
    /// AnnData file (scanpy, scvi-tools, CELLxGENE): X or `--layer`, cells × genes.
    #[arg(long, value_name = "FILE", group = "input")]
    pub h5ad: Option<PathBuf>,
    /// 10x Genomics HDF5 matrix (Cell Ranger's filtered_feature_bc_matrix.h5; Cell Ranger 2
    /// files too).
    #[arg(long = "10x-h5", value_name = "FILE", group = "input")]
    pub tenx_h5: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub options: FeatureOptions,
}

/// The inputs the AnnData flags refuse. (`requires = "h5ad"` would not do: clap waives a
/// requirement on an argument that conflicts with one given, as the input group's members do.)
const NOT_H5AD: [&str; 6] = ["fasta", "msa", "vcf", "matrix", "mtx", "tenx_h5"];

/// The inputs the 10x flags refuse (all but `--mtx` and `--10x-h5`).
const NOT_10X: [&str; 5] = ["fasta", "msa", "vcf", "matrix", "h5ad"];

/// Featurization options for every input kind (each applies to its own kind only).
#[derive(Debug, Args, Clone)]
pub struct FeatureOptions {
    /// Sequences: `auto` (DNA -> tnf, protein -> aa:2), `tnf`, `kmer:K`, `kmer:K:canonical`, `aa:K`.
    #[arg(
        long,
        default_value = "auto",
        value_name = "KIND",
        help_heading = "Sequences"
    )]
    pub features: String,
    /// Sequences: skip records shorter than this many residues.
    #[arg(long, value_name = "N", help_heading = "Sequences")]
    pub min_length: Option<usize>,
    /// Sequences: contig depths to add to TNF (jgi_summarize_bam_contig_depths output, or a
    /// TSV of contig × sample), fed as VAMB does (samples scaled to equal totals, each
    /// contig's profile across samples, ln total depth); composition keeps 0.85 of the loss.
    #[arg(long, value_name = "FILE", help_heading = "Sequences")]
    pub abundance: Option<PathBuf>,
    /// Sequences: BAM files, one per sample (sorted or not; sample = file name stem): contig
    /// depths computed as jgi_summarize_bam_contig_depths does (docs/formats/bam.md), then
    /// fed as --abundance. Every featurized contig must be in each BAM header.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "abundance", help_heading = "Sequences")]
    pub bam: Vec<PathBuf>,
    /// Sequences: `strobealign --aemb` tables (contig, mean depth), one per sample (sample =
    /// file name stem), fed as --abundance.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["abundance", "bam"], help_heading = "Sequences")]
    pub aemb: Vec<PathBuf>,
    /// Sequences: per-contig weights on the reconstruction in training: `none`, or `length`
    /// (proportional to the contig's length, capped at 20 kb, averaging 1: a longer contig's
    /// 4-mer frequencies are less noisy). See docs/recipes/contigs.md.
    #[arg(long, value_enum, default_value_t = TnfWeightArg::None, value_name = "WEIGHT", help_heading = "Sequences")]
    pub tnf_weight: TnfWeightArg,
    /// Alignments: drop focus columns with more than this fraction of gaps.
    #[arg(
        long,
        default_value_t = 0.3,
        value_name = "F",
        help_heading = "Alignments"
    )]
    pub max_gap_frac: f64,
    /// Alignments: sequence-weight threshold; neighbours share identity >= 1 - theta.
    #[arg(
        long,
        default_value_t = 0.2,
        value_name = "F",
        help_heading = "Alignments"
    )]
    pub theta: f64,
    /// Alignments: the file's format, instead of deciding from the content (`# STOCKHOLM`
    /// header -> sto; rows of equal length without '.' -> afa, every column aligned whatever
    /// the case; else a2m/a3m, lower case and '.' are insertions). Saved with the model.
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Alignments")]
    pub msa_format: Option<MsaFormatArg>,
    /// Variants: missing-genotype policy.
    #[arg(long, value_enum, default_value_t = MissingArg::Binomial, help_heading = "Variants")]
    pub missing: MissingArg,
    /// Variants: drop sites whose minor-allele frequency is below this.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "F",
        help_heading = "Variants"
    )]
    pub min_maf: f64,
    /// Variants: keep at most this many sites (evenly thinned).
    #[arg(long, value_name = "N", help_heading = "Variants")]
    pub max_sites: Option<usize>,
    /// Matrices: the file has observations in rows and features in columns.
    #[arg(long, help_heading = "Matrices")]
    pub transpose: bool,
    /// Matrices: keep the N most highly variable genes.
    #[arg(long, value_name = "N", help_heading = "Matrices")]
    pub n_top_genes: Option<usize>,
    /// Matrices: drop features detected in fewer than N observations.
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Matrices")]
    pub min_cells: usize,
    /// Matrices: drop observations with fewer than N detected features.
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Matrices")]
    pub min_genes: usize,
    /// 10x: keep only features of this type [default: "Gene Expression"; others are e.g.
    /// "Antibody Capture", "Peaks"]. A model replays the type it was trained with.
    #[arg(long, value_name = "TYPE", conflicts_with_all = NOT_10X, help_heading = "10x")]
    pub feature_type: Option<String>,
    /// 10x: the genome group of a Cell Ranger 2 .h5 holding several (e.g. GRCh38, mm10).
    #[arg(long, value_name = "NAME", conflicts_with_all = NOT_10X, conflicts_with = "mtx", help_heading = "10x")]
    pub genome: Option<String>,
    /// AnnData: leave the matrix in the file and read the cells of each minibatch from it
    /// (anndata's backed mode): memory holds 8 bytes per cell, not the counts; the results
    /// are the same. CSR matrices only (X or `--layer`).
    #[arg(long, help_heading = "AnnData")]
    pub backed: bool,
    /// AnnData: read this layer instead of X (scanpy keeps raw counts in `counts`).
    #[arg(long, value_name = "NAME", conflicts_with_all = NOT_H5AD, help_heading = "AnnData")]
    pub layer: Option<String>,
    /// AnnData: train on the genes where this boolean var column is true (`highly_variable`).
    #[arg(long, value_name = "COL", conflicts_with_all = NOT_H5AD, help_heading = "AnnData")]
    pub var_mask: Option<String>,
    /// AnnData: the batch covariate from this obs column (as `--batch FILE.h5ad:COL`).
    #[arg(long, value_name = "COL", conflicts_with_all = NOT_H5AD, conflicts_with = "batch", help_heading = "AnnData")]
    pub batch_key: Option<String>,
    /// AnnData: scVI's extra covariates from these obs columns (as `--covariates
    /// FILE.h5ad:COL,...`): numeric columns continuous, the others categorical.
    #[arg(long, value_name = "COL,...", conflicts_with_all = NOT_H5AD, conflicts_with = "covariates", help_heading = "AnnData")]
    pub covariate_keys: Option<String>,
    /// AnnData: the labels from this obs column (as `--labels FILE.h5ad:COL`).
    #[arg(long, value_name = "COL", conflicts_with_all = NOT_H5AD, conflicts_with = "labels", help_heading = "AnnData")]
    pub labels_key: Option<String>,
    /// Labels table (`id<TAB>label`, header line) joined by id; checked before training, and
    /// `train`/`embed` report how well the latent space separates the labels.
    #[arg(long, value_name = "FILE[:COLUMN]")]
    pub labels: Option<PathBuf>,
    /// Batch covariate table, `FILE[:COLUMN]` (`id<TAB>batch...`, header line), joined by id;
    /// injected into every decoder layer.
    #[arg(long, value_name = "FILE[:COLUMN]")]
    pub batch: Option<String>,
    /// Extra covariates (scVI's categorical and continuous covariate keys), `FILE[:COL,...]`
    /// (`id<TAB>...`, header line; every column when none are named), joined by id: numeric
    /// columns are concatenated to the decoder's input, the others injected like the batch.
    #[arg(long, value_name = "FILE[:COL,...]")]
    pub covariates: Option<String>,
}

/// Model and optimisation settings for `train` and `embed`.
#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// Named defaults to start from; explicit flags below override them.
    #[arg(long, value_enum, default_value_t = PresetArg::Default, help_heading = "Model")]
    pub preset: PresetArg,
    /// Observation model p(x|z).
    #[arg(long, value_enum, default_value_t = LikelihoodArg::Auto, help_heading = "Model")]
    pub likelihood: LikelihoodArg,
    /// Latent dimensions (default per data kind; see README recipes).
    #[arg(long, value_name = "K", help_heading = "Model")]
    pub latent_dim: Option<usize>,
    /// Hidden layer sizes, comma-separated, input side first; the decoder mirrors them
    /// (default per data kind).
    #[arg(
        long,
        value_name = "N,N,..",
        value_delimiter = ',',
        help_heading = "Model"
    )]
    pub hidden: Option<Vec<usize>>,
    /// Alignments: how the decoder holds its weights (default standard; `--preset eve` and
    /// `--preset deepsequence`: bayesian). Saved in the model's config.json.
    #[arg(long, value_enum, help_heading = "Model")]
    pub decoder: Option<DecoderArg>,
    /// Bayesian decoder: group sparsity on the last layer's weights (default none;
    /// `--preset deepsequence`: logit). See docs/recipes/proteins.md.
    #[arg(long, value_enum, help_heading = "Model")]
    pub sparsity: Option<SparsityArg>,
    /// Bayesian decoder: a learned inverse temperature on the output (default on).
    #[arg(long, value_enum, value_name = "on|off", help_heading = "Model")]
    pub temperature: Option<Switch>,
    /// Alignments and genotypes, standard decoder: where the output layer starts (`site`: at
    /// the site-independent model of the (weighted) training rows, see
    /// docs/recipes/proteins.md and genotypes.md; `pca`: genotypes, the whole network at PCA,
    /// their default; `random` otherwise). Saved in the model's config.json.
    #[arg(long, value_enum, help_heading = "Model")]
    pub init_output: Option<OutputInitArg>,
    /// Alignments: train through the distribution `vaebio score` scores with, each column's
    /// softmax mixed with the training rows' site model (docs/recipes/proteins.md,
    /// "Scoring"); saved in config.json. Off by default.
    #[arg(long, help_heading = "Model")]
    pub site_mixture: bool,
    /// Dropout on the encoder's input while training, a denoising encoder (counts: 0.2 by
    /// default; 0 for none).
    #[arg(long, value_name = "P", help_heading = "Model")]
    pub input_dropout: Option<f64>,
    /// What the encoder sees of each row (default auto; see docs/recipes/genotypes.md for
    /// `allele-frequency`). The likelihood's targets stay the values as given.
    #[arg(long, value_enum, value_name = "KIND", help_heading = "Model")]
    pub input_transform: Option<InputTransformArg>,
    /// Counts: how each gene's log-likelihood is weighted in training (default `none`, every
    /// gene 1, as scVI). The weights average 1 and are saved with the model.
    #[arg(long, value_name = "KIND", help_heading = "Model")]
    pub gene_weights: Option<GeneWeightsArg>,
    /// Counts: the P of `--gene-weights` `mean` and `neighbours`, (mean count + 0.01)^−P
    /// (0 to 2; default 0.5); given alone, it turns on `neighbours`.
    #[arg(long, value_name = "P", help_heading = "Model")]
    pub gene_weight_power: Option<f64>,
    /// Counts: weigh each cell's log-likelihood by (library size)^−P, scaled to average 1, so
    /// deep and shallow cells pull alike (0 to 2; default 0, every cell 1, as scVI).
    #[arg(long, value_name = "P", help_heading = "Model")]
    pub library_weight: Option<f64>,
    /// Training epochs (default per data kind).
    #[arg(long, value_name = "N", help_heading = "Training")]
    pub epochs: Option<usize>,
    /// Minibatch size (default per data kind).
    #[arg(long, value_name = "N", help_heading = "Training")]
    pub batch_size: Option<usize>,
    /// Adam learning rate (the peak, under a schedule).
    #[arg(long, value_name = "F", help_heading = "Training")]
    pub lr: Option<f64>,
    /// Learning-rate schedule over the epochs (counts: cosine by default).
    #[arg(long, value_enum, help_heading = "Training")]
    pub lr_schedule: Option<LrScheduleArg>,
    /// Optimiser steps over which the learning rate rises linearly to its value (0: none,
    /// the default).
    #[arg(long, value_name = "STEPS", help_heading = "Training")]
    pub lr_warmup: Option<usize>,
    /// Weight of the KL term.
    #[arg(long, value_name = "F", help_heading = "Training")]
    pub beta: Option<f64>,
    /// Epochs over which the KL weight rises linearly from 0 to beta (counts: the first half
    /// of training by default; 0 for no warm-up).
    #[arg(long, value_name = "EPOCHS", help_heading = "Training")]
    pub kl_warmup: Option<usize>,
    /// L1 penalty on weights.
    #[arg(long, value_name = "F", help_heading = "Training")]
    pub l1: Option<f64>,
    /// L2 penalty on weights.
    #[arg(long, value_name = "F", help_heading = "Training")]
    pub l2: Option<f64>,
    /// Fraction of observations held out for validation.
    #[arg(long, value_name = "F", help_heading = "Training")]
    pub val_frac: Option<f64>,
    /// Stop after this many epochs without validation improvement (0: never).
    #[arg(long, value_name = "N", help_heading = "Training")]
    pub patience: Option<usize>,
    /// Average the weights over epochs: at each epoch's end the model becomes A × its previous
    /// average + (1 − A) × the weights trained, and is validated and kept as such (genotypes:
    /// 0.8 by default, other kinds 0, none; docs/recipes/genotypes.md, "Weights averaged over
    /// epochs").
    #[arg(long, value_name = "A", help_heading = "Training")]
    pub weight_averaging: Option<f64>,
    /// Alignments: how minibatches take the sequences. `uniform`: each once an epoch, its
    /// weight scaling its loss; `weighted`: drawn with replacement in proportion to their
    /// weights, each draw counting once, as EVE and DeepSequence do (docs/recipes/proteins.md)
    #[arg(long, value_enum, help_heading = "Training")]
    pub sampling: Option<SamplingArg>,
    /// Seed for weights, shuffling, sampling and imputation.
    #[arg(long, default_value_t = 42, help_heading = "Training")]
    pub seed: u64,
    /// Compute device.
    #[arg(
        long,
        default_value = "cpu",
        value_name = "cpu|cuda|metal",
        help_heading = "Training"
    )]
    pub device: String,
    /// Also write principal-component scores of the same (centred) features to this table,
    /// `id PC1..PCk`, for comparison with the latent space (popvae's `--PCA`). Each kind of data
    /// is read as its field's PCA reads it: counts with each cell scaled to 10,000, log1p, each
    /// gene z-scored and clipped at ±10 (scanpy's normalize_total, log1p, scale); genotype
    /// dosages with each site scaled by 1/√(n·p·(1 − p)) (smartpca's Patterson scaling).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub pca: Option<PathBuf>,
    /// Components in the `--pca` table (default: the latent size, at most the input's rows or
    /// features; 1 to that bound).
    #[arg(long, value_name = "K", requires = "pca", help_heading = "Output")]
    pub pca_components: Option<usize>,
}

/// `vaebio featurize`.
#[derive(Debug, Args)]
pub struct FeaturizeArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    /// Output: `.tsv` (header `id` + feature names) or `.npy`; `-` for stdout.
    #[arg(long, short = 'o', default_value = "-", value_name = "FILE")]
    pub output: PathBuf,
}

/// `vaebio train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelArgs,
    /// Model directory to write (model.safetensors, config.json, history.tsv).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: PathBuf,
    /// Continue the run interrupted (Ctrl-C) in this model directory, on the same input:
    /// its saved settings are used (`--epochs` may raise the total) and the result equals an
    /// uninterrupted run's.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Aligned families: train N models with seeds --seed, --seed + 1, … into DIR/member_1 …
    /// DIR/member_N; `vaebio score --model DIR` averages their ΔELBO (DeepSequence's and EVE's
    /// ensembles).
    #[arg(long, default_value_t = 1, value_name = "N", conflicts_with = "resume")]
    pub ensemble: usize,
}

/// `vaebio embed`.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelArgs,
    /// Latent means: `.tsv`, `.npy`, or `.h5ad` (AnnData: the means as X and
    /// obsm["X_vaebio"], an --h5ad input's obs columns, settings in uns["vaebio"]); `-` for stdout.
    #[arg(long, short = 'o', default_value = "-", value_name = "FILE")]
    pub output: PathBuf,
    /// Also save the trained model to this directory.
    #[arg(long, value_name = "DIR")]
    pub save_model: Option<PathBuf>,
}

/// `vaebio bin`.
#[derive(Debug, Args)]
pub struct BinArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelArgs,
    /// Bin table to write (`contig<TAB>bin`, header line); `-` for stdout. Contigs shorter
    /// than `--min-length` (default 2000 here, as VAMB) are not binned.
    #[arg(long, short = 'o', default_value = "-", value_name = "FILE")]
    pub output: PathBuf,
    /// Also write one FASTA per bin (`bin_N.fna`) of at least `--min-bin-size` bp into this
    /// new (or empty) directory.
    #[arg(long, value_name = "DIR")]
    pub fasta_out: Option<PathBuf>,
    /// Smallest bin, in bp, that `--fasta-out` writes.
    #[arg(long, default_value_t = 200_000, value_name = "BP")]
    pub min_bin_size: u64,
    /// Also write the posterior means of the contigs (`.tsv` or `.npy`), unscaled, as `embed`
    /// writes them; `--latent-scale` changes only what is clustered.
    #[arg(long, value_name = "FILE")]
    pub latent_out: Option<PathBuf>,
    /// Cluster this latent table (`id`, `z1..zK`, ids = contig names) instead of training;
    /// `--fasta` still gives the contig lengths and the bin sequences.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["latent_out", "clustered_out"])]
    pub latent: Option<PathBuf>,
    /// Also write the table as clustered (after `--latent-scale`; `.tsv` or `.npy`):
    /// `--latent FILE` clusters it into the same bins without training.
    #[arg(long, value_name = "FILE")]
    pub clustered_out: Option<PathBuf>,
    /// What is clustered: the first 10 principal components of the decoder's reconstructions
    /// of the contigs (`denoised`, the default when training here), each latent dimension
    /// divided by its RMS posterior standard deviation (`posterior`), or the latent means as
    /// they are (`none`; always so for a `--latent` table) (docs/recipes/contigs.md,
    /// "Binning").
    #[arg(long, value_enum, value_name = "SCALE")]
    pub latent_scale: Option<LatentScaleArg>,
}

/// What `vaebio bin` clusters when it trains: the latent means, scaled or not, or the
/// denoised principal components.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LatentScaleArg {
    /// The means as they are.
    None,
    /// Each dimension divided by its RMS posterior standard deviation over the contigs
    /// (needs training here, not `--latent`).
    Posterior,
    /// PCA (10 components) of the decoder's means of the contigs, z-scored as the features,
    /// each column times √ its loss weight (depth against TNF with `--abundance`): PCA's
    /// geometry without the noise the model removes (needs training here).
    Denoised,
}

/// `vaebio encode`.
#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// Model directory written by `train` or `embed --save-model`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    /// Latent means: `.tsv`, `.npy`, or `.h5ad` (AnnData: the means as X and
    /// obsm["X_vaebio"], an --h5ad input's obs columns, settings in uns["vaebio"]); `-` for stdout.
    #[arg(long, short = 'o', default_value = "-", value_name = "FILE")]
    pub output: PathBuf,
    /// Device to run on.
    #[arg(long, default_value = "cpu", value_name = "cpu|cuda|metal")]
    pub device: String,
}

/// `vaebio generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Model directory written by `train` or `embed --save-model`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Number of samples to draw.
    #[arg(
        short = 'n',
        long = "n-samples",
        default_value_t = 100,
        value_name = "N"
    )]
    pub n_samples: usize,
    /// Seed for the prior draws.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output table: `.tsv` or `.npy`; `-` for stdout.
    #[arg(long, short = 'o', default_value = "-", value_name = "FILE")]
    pub output: PathBuf,
}

/// `vaebio reconstruct`.
#[derive(Debug, Args)]
pub struct ReconstructArgs {
    /// Model directory written by `train` or `embed --save-model`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    /// Decode every observation as if it came from this batch category (batch correction).
    #[arg(long, value_name = "NAME")]
    pub transform_batch: Option<String>,
    /// Decode every observation with this value of an extra covariate, `NAME=CATEGORY` or
    /// `NAME=NUMBER` (repeatable); the covariates must still be given.
    #[arg(long, value_name = "NAME=VALUE")]
    pub transform_covariate: Vec<String>,
    /// Output: `.tsv`, `.npy`, or `.h5ad` (AnnData: the values as X, an --h5ad input's obs
    /// columns, settings in uns["vaebio"]); `-` for stdout.
    #[arg(long, short = 'o', default_value = "-", value_name = "FILE")]
    pub output: PathBuf,
}

/// `vaebio evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Latent table (`id`, `z1..zK`) as written by `embed` or `encode`.
    #[arg(long, value_name = "FILE")]
    pub latent: PathBuf,
    /// Labels table (`id<TAB>label`, header line) joined by id.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// Batch table `FILE[:COLUMN]` for the batch-mixing entropy.
    #[arg(long, value_name = "FILE[:COLUMN]")]
    pub batch: Option<String>,
    /// Neighbours for kNN accuracy and batch mixing.
    #[arg(long, default_value_t = 15)]
    pub k: usize,
    /// Seed for k-means (the best of 50 greedy k-means++ starts, as scikit-learn runs it).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `vaebio plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Latent table (`id`, `z1..zK`).
    #[arg(long, value_name = "FILE")]
    pub latent: PathBuf,
    /// Labels table to colour points by.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// PNG file to write.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Image width and height in pixels (100 to 10,000).
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u32).range(100..=10_000))]
    pub size: u32,
}
