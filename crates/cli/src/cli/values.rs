//! The values of the command line's enumerated flags (`--preset`, `--likelihood`,
//! `--decoder`, ...), as clap parses them; [`crate::recipe`] turns them into the libraries'
//! settings.

use clap::ValueEnum;

/// Per-contig reconstruction weights for `--tnf-weight`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TnfWeightArg {
    /// Every contig weighs 1.
    None,
    /// In proportion to the contig's length (capped), averaging 1.
    Length,
}

/// Missing-genotype policies.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MissingArg {
    /// Replace with the site's mean dosage, a fraction: for a likelihood of real values
    /// (`--likelihood gaussian`); the default binomial refuses it where a call is missing.
    Mean,
    /// Draw Binomial(ploidy, allele frequency) with the seed, as popvae does.
    Binomial,
    /// Drop every site with a missing genotype.
    DropSites,
    /// The encoder reads the site's mean dosage; the binomial likelihood leaves the call out.
    Mask,
}

/// Alignment formats for `--msa-format`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MsaFormatArg {
    /// Aligned FASTA (FAMSA, MAFFT, Clustal Omega): every column aligned, case ignored.
    Afa,
    /// A2M: upper case and '-' aligned; lower case and '.' insertions.
    A2m,
    /// A3M: as A2M, insertions without '.' padding.
    A3m,
    /// Stockholm: `#=GC RF` marks the aligned columns (every column without it).
    Sto,
}

impl From<MsaFormatArg> for vaebio_io::MsaFormat {
    fn from(format: MsaFormatArg) -> Self {
        match format {
            MsaFormatArg::Afa => Self::Afa,
            MsaFormatArg::A2m => Self::A2m,
            MsaFormatArg::A3m => Self::A3m,
            MsaFormatArg::Sto => Self::Sto,
        }
    }
}

/// Likelihood choices for `--likelihood`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LikelihoodArg {
    /// Counts -> nb, VCF -> binomial, alignment -> categorical, k-mers/TNF -> gaussian.
    Auto,
    /// Gaussian on standardised features.
    Gaussian,
    /// Bernoulli on values in [0, 1].
    Bernoulli,
    /// Binomial with n = ploidy (genotype dosages).
    Binomial,
    /// Categorical per one-hot alignment column.
    Categorical,
    /// Poisson counts.
    Poisson,
    /// Negative binomial counts with per-feature dispersion (scVI).
    Nb,
    /// Zero-inflated negative binomial.
    Zinb,
}

/// Named sets of defaults.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PresetArg {
    /// vaebio's defaults per data kind (README "Recipes"): the reference tool's recipe,
    /// changed where measurements showed it falls behind PCA.
    Default,
    /// popvae's exact settings (genotypes).
    Popvae,
    /// VAMB 5's exact settings (contigs).
    Vamb,
    /// scvi-tools 1.4 `SCVI`'s exact settings (counts): ZINB, batch-norm, KL warm-up over 400
    /// epochs.
    Scvi,
    /// EVE's model and schedule (protein alignments, --msa): Bayesian decoder with its
    /// dictionary and temperature, lr 1e-4, batch 256, 400,000 steps (docs/recipes/proteins.md).
    Eve,
    /// DeepSequence's model and schedule (protein alignments, --msa): Bayesian decoder
    /// [100, 2000] with logit group sparsity (4 tiles), dictionary and temperature, lr 1e-3,
    /// batch 100, 300,000 steps (docs/recipes/proteins.md).
    Deepsequence,
}

/// Decoder choices for `--decoder`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DecoderArg {
    /// Point-estimate weights (every recipe's default).
    Standard,
    /// EVE/DeepSequence's variational weights (protein alignments only): EVE's settings
    /// (dropout 0.1, 40-channel dictionary, temperature), changed by `--sparsity` and
    /// `--temperature`.
    Bayesian,
}

/// Where the decoder's output layer starts, for `--init-output`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputInitArg {
    /// Random weights and bias, as every other layer.
    Random,
    /// The bias at the weighted alignment's per-column log-frequencies, or at each genotype
    /// site's allele-frequency logit (the site-independent model, pseudocount 0.5), and the
    /// weights at 1% of their random start.
    Site,
    /// Genotypes with `--input-transform principal-axes`: the whole network starts at PCA
    /// (docs/recipes/genotypes.md).
    Pca,
}

/// Group sparsity choices for `--sparsity`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SparsityArg {
    /// None (EVE's default).
    None,
    /// DeepSequence's logit scales per (hidden unit, column), 4 tiles, prior logit_p 0.001,
    /// σ 4.
    Logit,
}

/// A setting turned on or off.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// How genes are weighted in the reconstruction loss (count data).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GeneWeightsArg {
    /// (mean count + 0.01)^−P times (0.05 + the gene's neighbourhood autocorrelation: how well
    /// a cell's expression agrees with its 15 nearest neighbours' in a PCA): weak genes that
    /// mark cell types count for more, noise genes for less.
    Neighbours,
    /// (mean count + 0.01)^−P alone: every weakly expressed gene counts for more.
    Mean,
    /// Every gene weighs 1 (scVI).
    None,
}

/// What the encoder sees of each row.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum InputTransformArg {
    /// log(1 + x) for counts, the values as they are otherwise.
    Auto,
    /// The values as they are.
    Identity,
    /// log(1 + x).
    Log1p,
    /// Genotypes: each dosage as (g − n·p) / √(n·p·(1 − p)), p the site's allele frequency in
    /// training, as PCA scales it (saved with the model).
    AlleleFrequency,
    /// Genotypes: the dosages projected onto the training samples' 256 leading principal axes
    /// (saved with the model); the likelihood keeps every site.
    PrincipalAxes,
}

/// How the learning rate moves over training.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LrScheduleArg {
    /// The same rate throughout (scVI).
    Constant,
    /// Half a cosine from the rate at the first epoch towards 0 after the last.
    Cosine,
}

/// How minibatches take the training rows (`--sampling`).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SamplingArg {
    /// Every row once an epoch; its weight scales its loss.
    Uniform,
    /// Drawn with replacement in proportion to the row weights (EVE, DeepSequence).
    Weighted,
}
