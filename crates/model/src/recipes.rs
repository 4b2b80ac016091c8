//! Per-kind defaults: the settings `vaebio embed` and `vaebio train` start from, for library
//! users to start from too.
//!
//! Each kind of data starts from its field's reference tool (scVI for counts, VAMB for
//! contigs, popvae for genotypes, EVE for protein families) and the [`Preset`] of that tool
//! gives its settings unchanged; vaebio's default departs from it only where a measurement
//! said so (docs/recipes/, bench/README.md). The recipe knows the data only through
//! [`DataDescription`], never a file format.
//!
//! ```
//! use vaebio_model::recipes::{DataDescription, DataKind, Preset, Recipe};
//!
//! // 3,000 cells × 2,000 genes of integer counts in two batches.
//! let data = DataDescription {
//!     n_batches: 2,
//!     ..DataDescription::new(DataKind::Counts, 3_000, 2_000)
//! };
//! let recipe = Recipe::new(&data, Preset::Default, None)?;
//! assert_eq!(recipe.vae.latent, 10);
//! assert_eq!(recipe.train.epochs, 400); // scVI's rule: min(20000 / cells × 400, 400)
//! recipe.validate()?;
//! # Ok::<(), vaebio_model::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::config::{
    Activation, BayesianDecoder, DecoderKind, EarlyStopping, FeatureGroup, InputTransform,
    KlWarmup, LogitSparsity, LrSchedule, Norm, OutputInit, RowSampling, Sparsity, TrainConfig,
    VaeConfig,
};
use crate::error::{Result, invalid};
use crate::likelihood::Likelihood;

/// What kind of data the matrix holds; picks the likelihood and the recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataKind {
    /// DNA composition (TNF or k-mer frequencies).
    Dna,
    /// Amino-acid composition.
    Protein,
    /// One-hot aligned family.
    Alignment,
    /// Alternate-allele dosages.
    Genotypes,
    /// Non-negative integer counts (expression).
    Counts,
    /// Any other real values.
    Values,
}

/// A reference tool whose settings a recipe can copy unchanged instead of vaebio's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// vaebio's default for the kind of data.
    #[default]
    Default,
    /// scvi-tools 1.4 `SCVI` (counts only).
    Scvi,
    /// VAMB 5.0.4 (DNA composition only).
    Vamb,
    /// popvae (genotypes only).
    Popvae,
    /// EVE (`default_model_params.json`; protein family alignments only): the Bayesian
    /// decoder and EVE's schedule.
    Eve,
    /// DeepSequence (`DeepSequence/model.py`, `examples/run_svi.py`; protein family
    /// alignments only): the Bayesian decoder with group sparsity and DeepSequence's schedule.
    #[serde(rename = "deepsequence")]
    DeepSequence,
}

impl Preset {
    /// The kind of data the preset's tool models; `None` for [`Preset::Default`], which fits
    /// every kind.
    pub fn kind(self) -> Option<DataKind> {
        match self {
            Preset::Default => None,
            Preset::Scvi => Some(DataKind::Counts),
            Preset::Vamb => Some(DataKind::Dna),
            Preset::Popvae => Some(DataKind::Genotypes),
            Preset::Eve | Preset::DeepSequence => Some(DataKind::Alignment),
        }
    }

    /// Whether the preset applies to `kind`.
    pub fn fits(self, kind: DataKind) -> bool {
        self.kind().is_none_or(|own| own == kind)
    }
}

/// What a recipe needs to know of the data: its kind and shape, nothing of its file.
#[derive(Debug, Clone, PartialEq)]
pub struct DataDescription {
    /// What the values are.
    pub kind: DataKind,
    /// Observations.
    pub n_rows: usize,
    /// Features per observation.
    pub n_features: usize,
    /// Trailing abundance (depth) columns after the composition features (0 when none).
    pub abundance_columns: usize,
    /// Alleles per genotype, for genotypes (2 when unknown).
    pub ploidy: Option<u8>,
    /// One-hot states per alignment column, for alignments (21 when unknown).
    pub n_states: Option<usize>,
    /// Batch categories injected into the decoder (0 for none).
    pub n_batches: usize,
}

impl DataDescription {
    /// `n_rows` × `n_features` of `kind`, with no abundance columns and no batches.
    pub fn new(kind: DataKind, n_rows: usize, n_features: usize) -> Self {
        Self {
            kind,
            n_rows,
            n_features,
            abundance_columns: 0,
            ploidy: None,
            n_states: None,
            n_batches: 0,
        }
    }

    /// The likelihood a recipe picks for this data under `preset`: negative binomial for
    /// counts (zero-inflated under scVI's preset, as scVI's default), binomial with the ploidy
    /// as trials for genotypes, categorical for alignments, Gaussian otherwise.
    pub fn default_likelihood(&self, preset: Preset) -> Likelihood {
        match self.kind {
            DataKind::Counts if preset == Preset::Scvi => Likelihood::ZeroInflatedNegativeBinomial,
            DataKind::Counts => Likelihood::NegativeBinomial,
            DataKind::Genotypes => Likelihood::Binomial {
                trials: u32::from(self.ploidy.unwrap_or(2)),
            },
            DataKind::Alignment => Likelihood::Categorical {
                n_states: self.n_states.unwrap_or(21),
            },
            DataKind::Dna | DataKind::Protein | DataKind::Values => Likelihood::Gaussian {
                learned_variance: false,
            },
        }
    }
}

/// A model and training configuration for one data set, before the user's overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    /// The model's shape and likelihood.
    pub vae: VaeConfig,
    /// How it is trained.
    pub train: TrainConfig,
}

impl Recipe {
    /// The recipe for `data` under `preset`, with `likelihood` instead of the recipe's own
    /// choice ([`DataDescription::default_likelihood`]) when given. Fails when the preset's
    /// tool does not model this kind of data.
    pub fn new(
        data: &DataDescription,
        preset: Preset,
        likelihood: Option<Likelihood>,
    ) -> Result<Self> {
        if let Some(own) = preset.kind().filter(|&own| own != data.kind) {
            return Err(invalid(
                "preset",
                format!(
                    "{preset:?} is for {own:?} data, not {:?} — use Preset::Default for it",
                    data.kind
                ),
            ));
        }
        let likelihood = likelihood.unwrap_or_else(|| data.default_likelihood(preset));
        let mut vae = VaeConfig::new(data.n_features, likelihood);
        let mut train = TrainConfig::default();
        let n_rows = data.n_rows;
        match (data.kind, preset) {
            (DataKind::Counts, Preset::Scvi) => scvi(&mut vae, &mut train, n_rows),
            (DataKind::Counts, _) => singlecell(&mut vae, &mut train, n_rows),
            (DataKind::Dna, Preset::Vamb) => vamb(&mut vae, &mut train),
            (DataKind::Dna, _) => contigs(&mut vae, &mut train),
            (DataKind::Genotypes, Preset::Popvae) => popvae(&mut vae, &mut train),
            (DataKind::Genotypes, _) => genotypes(&mut vae, &mut train),
            (DataKind::Alignment, Preset::Eve) => eve_bayesian(&mut vae, &mut train, n_rows),
            (DataKind::Alignment, Preset::DeepSequence) => {
                deepsequence(&mut vae, &mut train, n_rows)
            }
            (DataKind::Alignment, _) => eve(&mut vae, &mut train),
            (DataKind::Protein | DataKind::Values, _) => generic(&mut vae, &mut train),
        }
        if data.abundance_columns > 0 {
            vae.feature_groups = abundance_feature_groups(data.n_features, data.abundance_columns);
        }
        vae.standardize = matches!(likelihood, Likelihood::Gaussian { .. });
        vae.n_batches = data.n_batches;
        Ok(Self { vae, train })
    }

    /// The same recipe with `seed` for the weights and for training.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.vae.seed = seed;
        self.train.seed = seed;
        self
    }

    /// Holds no validation split back when there are too few observations (under 10) to
    /// spare any; called last, after any overrides.
    pub fn fit_to_rows(&mut self, n_rows: usize) {
        if n_rows < 10 {
            self.train.validation_fraction = 0.0;
        }
    }

    /// Checks both configurations.
    pub fn validate(&self) -> Result<()> {
        self.vae.validate()?;
        self.train.validate()
    }
}

/// scvi-tools 1.4 `SCVI` defaults: 128 hidden, 10 latent, dropout 0.1, batch-norm, ReLU,
/// posterior variance exp(·) + 1e-4 (`var_eps`); Adam lr 1e-3, eps 0.01, weight decay 1e-6;
/// batch 128; KL warm-up over 400 epochs; epochs from data size; no early stopping. (Its
/// default likelihood, ZINB, is chosen in `likelihood`.)
fn scvi(vae: &mut VaeConfig, train: &mut TrainConfig, n_rows: usize) {
    vae.hidden = vec![128];
    vae.latent = 10;
    vae.posterior_variance_floor = 1e-4;
    train.epochs = TrainConfig::scvi_epochs(n_rows);
    train.kl_warmup = Some(KlWarmup::Epochs(400));
}

/// vaebio's default for counts: scVI's recipe with a negative-binomial likelihood, the KL
/// warm-up over the first half of training, no batch-norm, dropout mostly moved from the
/// hidden layer to the input, and a cosine learning rate. Measured on the two-batch
/// simulation and PBMC (bench/README.md, "Recipes: single-cell counts"):
/// - scVI's ramp spans 400 epochs whatever the epoch count, so its KL weight reaches 1 only at
///   the last of 400 epochs (and never with fewer); the second half at the full ELBO mixes
///   the batches better (0.895 against 0.869 with the 400-epoch ramp, scVI 0.869; 12 seeds)
///   and keeps cell types as separate.
/// - Without batch-norm every metric rises on both data sets: simulation mixing 0.903 vs
///   0.895, kNN 0.993 vs 0.991, ARI 0.985 vs 0.977 (12 seeds, each difference's bootstrap
///   interval above 0); PBMC (12 seeds) kNN 0.812 vs 0.807, ARI 0.480 vs 0.470.
/// - Input dropout 0.2 (a denoising encoder) with hidden dropout 0.05 instead of 0.1, and the
///   learning rate annealed along a cosine, lift PBMC's k-means ARI from 0.480 to 0.498 (12
///   seeds) and its kNN from 0.810 to 0.813 (PCA 0.817), and separate the simulated cell
///   types further (kNN 0.998, ARI 0.995); the simulated batches mix less (0.884, was 0.903)
///   but still more than scVI's (0.869).
/// - Every gene weighs 1 in the likelihood, as in scVI. Weights of (mean count + 0.01)^−½
///   times (neighbourhood autocorrelation + 0.05) (`--gene-weights neighbours`,
///   [`crate::gene_weights_with_autocorrelation`]), chosen on PBMC alone (kNN 0.813 → 0.821),
///   were the default until the single-cell panel (bench/singlecell/panel.tsv): where cell
///   types differ weakly, PCA's neighbourhoods cannot tell markers from noise, the mean term
///   lifts weakly expressed noise genes, and the latent lost to PCA (15-NN 0.28 against 0.46).
///   On the panel's tuning half (22 set × seed cells) unweighted genes gained 15-NN +0.039
///   (95% +0.012 to +0.071) and k-means ARI +0.036 (+0.015 to +0.061), at a cost in batch
///   mixing (−0.033) and on PBMC (bench/README.md, "Single-cell panel").
/// - Every cell weighs 1, as in scVI. Weights of library size^−1 on each cell's
///   reconstruction (`--library-weight 1`, [`vaebio_model::train::library_weights`]), chosen on PBMC
///   alone (ARI 0.505 → 0.511), were the default until the single-cell panel: the KL is not
///   weighted, so a deep cell's effective β grows with its depth, and where depths vary widely
///   (log-normal sd 0.8) the deepest cells collapse toward the prior (15-NN 0.62 against PCA's
///   0.70). Without them, tuning half: 15-NN +0.034 (95% +0.013 to +0.060), k-means ARI +0.068
///   (+0.024 to +0.119), batch mixing +0.025; PBMC's ARI falls (bench/README.md, "Single-cell
///   panel").
fn singlecell(vae: &mut VaeConfig, train: &mut TrainConfig, n_rows: usize) {
    scvi(vae, train, n_rows);
    vae.norm = Norm::None;
    vae.dropout = 0.05;
    vae.input_dropout = 0.2;
    train.lr_schedule = LrSchedule::Cosine;
    train.kl_warmup = Some(KlWarmup::Fraction(0.5));
}

/// The power of the mean in count data's gene weights, when `--gene-weights` turns them on.
pub const DEFAULT_GENE_WEIGHT_POWER: f64 = 0.5;

/// VAMB 5.0.4 on TNF (`vamb/encode.py`, `vamb/__main__.py`): two layers of 512, latent 32,
/// dropout 0.2, batch-norm, leaky ReLU, batch 256, 300 epochs, z-scored features, every
/// contig trained on (no validation split), Adam without weight decay and ε 1e-8
/// (VAMB's `DAdaptAdam` defaults; D-Adaptation's own step size is replaced by lr 1e-3).
///
/// VAMB minimises α/103·SSE + ½Σμ²/(latent·200) per contig (α = 0.15, the TNF share of its
/// loss); ours is ½·SSE + β·KL, so the same balance is β = 103 / (2·α·latent·200) ≈ 0.054.
/// What this build cannot copy: VAMB fixes the posterior σ at 1 (ours is learned), orders
/// each layer Linear → LeakyReLU → dropout → batch-norm (ours: Linear → batch-norm →
/// activation → dropout, encoder only), doubles the batch size at epochs 25, 75, 150 and
/// 225, and weighs contigs by log(length).
fn vamb(vae: &mut VaeConfig, train: &mut TrainConfig) {
    const ALPHA: f64 = 0.15;
    const VAMB_BETA: f64 = 200.0;
    const N_TNF: f64 = 103.0;
    vae.hidden = vec![512, 512];
    vae.latent = 32;
    vae.dropout = 0.2;
    vae.activation = Activation::LeakyRelu;
    vae.norm = Norm::Batch;
    train.batch_size = 256;
    train.epochs = 300;
    train.beta = N_TNF / (2.0 * ALPHA * vae.latent as f64 * VAMB_BETA);
    train.validation_fraction = 0.0;
    train.learning_rate = 1e-3;
    train.adam_eps = 1e-8;
    train.weight_decay = 0.0;
}

/// vaebio's default for DNA composition (TNF-only contigs): VAMB's recipe with VAMB's own
/// single-sample network width (two layers of 256), latent 16 and twice the KL (β = 2).
/// VAMB's balance (β ≈ 0.054 here) leaves every latent dimension in use, so contigs of one
/// genome spread in angle and its cosine clustering finds only singletons. With unit
/// Gaussian noise on z-scored features, ½·SSE + β·KL is the ELBO of noise variance β, and a
/// latent direction is used (and whitened) only where the data vary more than that: at β = 1
/// the within-genome composition of a genome holding most contigs (11–17 directions of
/// variance above 1) took latent dimensions and split it; β = 2 drops those between 1 and 2
/// (issue 17's contig panel, tuning half: k-means ARI +0.024, bin ARI +0.048, both intervals
/// above zero; docs/recipes/contigs.md, "Why β = 2").
fn contigs(vae: &mut VaeConfig, train: &mut TrainConfig) {
    vamb(vae, train);
    vae.hidden = vec![256, 256];
    vae.latent = 16;
    train.beta = 2.0;
}

/// The weights kept by the genotype default are their average over epochs, each epoch's end
/// adding a fifth ([`TrainConfig::weight_averaging`]; Polyak averaging against the noise of
/// one SGD path). Chosen on the genotype panel's tuning half (15-NN +0.003, 95% +0.001 to
/// +0.006) and confirmed on its confirmation half (+0.004, +0.001 to +0.007; 16 of 16 cells).
/// Not for contigs: their tuning half gained (k-means ARI +0.010, +0.001 to +0.021), their
/// confirmation half lost (−0.005, −0.010 to −0.000); bench/notes/bench-history-2026-12.md,
/// "Weights averaged over epochs".
pub const WEIGHT_AVERAGING: f64 = 0.8;

/// Principal components of the reconstructions that `vaebio bin` clusters by default
/// ([`crate::Vae::denoised_pca`]): as many as the PCA scores the contig panel's baseline bins
/// are made from (PCA-10, bench/README.md "Recipes: contigs"); not tuned. Chosen over the
/// posterior-scaled latent on the panel's tuning half (docs/recipes/contigs.md, "Binning").
pub const BIN_DENOISED_COMPONENTS: usize = 10;

/// Share of the reconstruction loss given to composition (TNF) when `--abundance` adds depth
/// features; the abundance columns share the rest. This is vaebio's own balance, found by
/// measurement, not VAMB's α = 0.15: VAMB's α is defined on its own loss scale (a softmax
/// cross-entropy over the depth profile), which does not carry over to vaebio's z-scored,
/// squared-error features. On simulated coverage over seven settings (bench/notes/log-2026-11.md,
/// "Recipes: contigs", "With abundance (simulated coverage)"), 0.85 with VAMB-style depths
/// gives a mean bin ARI of 0.78 (96 of 105 genomes recovered) where 0.15 gave 0.63 (0.66 with
/// raw depths) and TNF alone 0.71.
const COMPOSITION_SHARE: f64 = 0.85;

/// Per-feature weights so that composition carries [`COMPOSITION_SHARE`] and abundance the
/// rest of the reconstruction loss, each split evenly over its columns, keeping the mean
/// weight per feature at 1.
fn abundance_feature_groups(n_features: usize, n_abundance: usize) -> Vec<FeatureGroup> {
    let n_composition = n_features - n_abundance;
    let total = n_features as f64;
    vec![
        FeatureGroup {
            n_features: n_composition,
            weight: COMPOSITION_SHARE * total / n_composition as f64,
        },
        FeatureGroup {
            n_features: n_abundance,
            weight: (1.0 - COMPOSITION_SHARE) * total / n_abundance as f64,
        },
    ]
}

/// popvae's settings (`popvae.py`, kr-colab/popvae): six layers of 128, ELU, latent 2,
/// batch 32, validation 10%, early-stopping patience 50 (min_delta 0, best weights
/// restored), up to 500 epochs, Keras Adam (lr 1e-3, ε 1e-7, no weight decay).
///
/// popvae minimises BCE(dosage/2)·sites + KL. Binomial(2) log-likelihood of a dosage is
/// twice the Bernoulli log-likelihood of dosage/2 (plus a constant), so the same balance of
/// reconstruction and KL is β = 2 here. What this build cannot copy: popvae's
/// ReduceLROnPlateau (factor 0.5 after 12 flat epochs), its linear first decoder layer, its
/// z = μ + exp(log σ²)·ε sampling, its encoder input dosage/2 (ours sees the dosage), and
/// its dropping of sites with derived-allele count ≤ 2 (use `--min-maf`).
fn popvae(vae: &mut VaeConfig, train: &mut TrainConfig) {
    vae.hidden = vec![128; 6];
    vae.latent = 2;
    vae.activation = Activation::Elu;
    vae.norm = Norm::None;
    vae.dropout = 0.0;
    train.batch_size = 32;
    train.epochs = 500;
    train.early_stopping = Some(EarlyStopping {
        patience: 50,
        ..EarlyStopping::default()
    });
    train.adam_eps = 1e-7;
    train.weight_decay = 0.0;
    train.beta = 2.0;
}

/// vaebio's default for genotypes: popvae's recipe with one hidden layer of 128 instead of
/// six, a 10-dimensional latent instead of 2, and the plain binomial ELBO (β = 1). On
/// msprime island models (bench/popgen, README "Genotypes") popvae's six-layer network
/// reaches a worse validation loss than one layer on a few hundred samples and its 2-D
/// latent falls below PCA's k-means ARI (six demes do not fit in two dimensions); this
/// recipe beats PCA with as many components in 15-NN population accuracy and k-means ARI.
///
/// Early stopping waits [`GENOTYPE_PATIENCE`] epochs instead of popvae's 50: on the panel's
/// tuning half it kept the same best epoch (so the same latent) in 12 of 13 runs, the 13th
/// scoring the same, and ran 24% fewer epochs (bench/notes/bench-history-2026-12.md,
/// "Genotype panel: patience 20").
///
/// The encoder reads the samples' projections on their principal axes and the network starts
/// at PCA ([`OutputInit::Pca`], `crate::train::pca_start`) instead of from random weights. On
/// the panel's confirmation half (bench/notes/geno20.md) it trains in 57% less CPU time for
/// the same quality within seed noise: 15-NN +0.006 (95% −0.002 to +0.019), k-means ARI
/// −0.032 (−0.082 to +0.010). Where other settings leave no network the start fits (more
/// hidden layers, another input), the CLI falls back to raw dosages and a random start.
fn genotypes(vae: &mut VaeConfig, train: &mut TrainConfig) {
    popvae(vae, train);
    vae.hidden = vec![128];
    vae.latent = 10;
    vae.input_transform = InputTransform::PrincipalAxes;
    vae.output_init = OutputInit::Pca;
    train.beta = 1.0;
    train.early_stopping = Some(EarlyStopping {
        patience: GENOTYPE_PATIENCE,
        ..EarlyStopping::default()
    });
    train.weight_averaging = WEIGHT_AVERAGING;
}

/// Early-stopping patience of the genotype default, in epochs ([`genotypes`]).
const GENOTYPE_PATIENCE: usize = 20;

/// EVE: encoder [2000, 1000, 300], latent 50, decoder mirrored, L2 on weights; sequence
/// weights enter the loss through the dataset.
///
/// Up to 300 epochs, stopped when the held-out 10% has not improved for
/// [`PROTEIN_PATIENCE`] epochs, keeping the best epoch's weights. EVE trains far longer but
/// regularises with a Bayesian decoder (a KL term on its weights), which L2 does not replace:
/// on EVE's TP53 alignment (bench/notes/bench-history-2026-12.md, "Real data: TP53 ClinVar
/// variants") the validation loss is lowest at epoch 47, and by epoch 150 the model has
/// memorised the family: per-position mean scores no longer follow column conservation
/// (Spearman with entropy 0.40 at 40 epochs, −0.02 at 150) and the ClinVar AUROC has dropped.
fn eve(vae: &mut VaeConfig, train: &mut TrainConfig) {
    vae.hidden = vec![2000, 1000, 300];
    vae.latent = 50;
    vae.dropout = 0.0;
    vae.norm = Norm::None;
    train.epochs = 300;
    train.early_stopping = Some(EarlyStopping {
        patience: PROTEIN_PATIENCE,
        ..EarlyStopping::default()
    });
    train.l2 = 1e-4;
    train.adam_eps = 1e-8;
    train.weight_decay = 0.0;
}

/// Early-stopping patience of the protein default, in epochs ([`eve`]). It was 20: on the
/// protein panel's families patience 10 keeps the same best epoch, hence the same model, and
/// trains 10 fewer epochs (bench/README.md, "Issue 18's speed points").
const PROTEIN_PATIENCE: usize = 10;

/// EVE's training steps (`num_training_steps`) and minibatch size.
pub const EVE_TRAINING_STEPS: usize = 400_000;
const EVE_BATCH_SIZE: usize = 256;

/// EVE's own model and schedule (`EVE/default_model_params.json`, `EVE/VAE_model.py`): the
/// network of [`eve`] with the Bayesian decoder ([`BayesianDecoder`]'s defaults: dropout 0.1,
/// a 40-channel dictionary, a learned temperature), Adam lr 1e-4 (ε 1e-8, no weight decay,
/// no L2: the weights' KL regularises), batch 256, every sequence trained on (no validation,
/// no early stopping), minibatches drawn with replacement in proportion to the sequence
/// weights ([`RowSampling::Weighted`]), and as many epochs as make [`EVE_TRAINING_STEPS`]
/// steps.
///
/// What differs: EVE's reconstruction term is a binary cross-entropy on the log-softmax
/// outputs; here it is the categorical log-likelihood.
fn eve_bayesian(vae: &mut VaeConfig, train: &mut TrainConfig, n_rows: usize) {
    eve(vae, train);
    vae.decoder = DecoderKind::Bayesian(BayesianDecoder::default());
    train.learning_rate = 1e-4;
    train.batch_size = EVE_BATCH_SIZE;
    train.l2 = 0.0;
    train.validation_fraction = 0.0;
    train.early_stopping = None;
    train.sampling = RowSampling::Weighted;
    train.epochs = epochs_for_steps(EVE_TRAINING_STEPS, EVE_BATCH_SIZE, n_rows);
}

/// As many epochs as make `steps` minibatches of `batch_size` over `n_rows`.
fn epochs_for_steps(steps: usize, batch_size: usize, n_rows: usize) -> usize {
    steps.div_ceil(n_rows.div_ceil(batch_size).max(1))
}

/// DeepSequence's training steps (`num_updates` of `examples/run_svi.py`).
pub const DEEPSEQUENCE_TRAINING_STEPS: usize = 300_000;
const DEEPSEQUENCE_BATCH_SIZE: usize = 100;

/// DeepSequence's published model (`examples/run_svi.py` over `DeepSequence/model.py`):
/// encoder [1500, 1500], latent 30, decoder [100, 500 · 4 tiles = 2000] with every weight
/// variational (no dropout), logit group sparsity over 4 tiles with prior p 0.001 and σ 4
/// ([`LogitSparsity`]'s defaults), a 40-channel dictionary (`convolve_patterns`,
/// `d_c_size` 40) and a learned temperature (`final_pwm_scale`); Adam lr 1e-3, batch 100,
/// every sequence trained on, and as many epochs as make [`DEEPSEQUENCE_TRAINING_STEPS`].
///
/// What differs: DeepSequence's last hidden layer is a sigmoid (`final_decode_nonlinearity`),
/// here ReLU like the others.
fn deepsequence(vae: &mut VaeConfig, train: &mut TrainConfig, n_rows: usize) {
    eve_bayesian(vae, train, n_rows);
    vae.hidden = vec![1500, 1500];
    vae.decoder_hidden = Some(vec![100, 2000]);
    vae.latent = 30;
    vae.decoder = DecoderKind::Bayesian(BayesianDecoder {
        dropout: 0.0,
        dictionary: 40,
        temperature: true,
        sparsity: Sparsity::Logit(LogitSparsity::default()),
    });
    train.learning_rate = 1e-3;
    train.batch_size = DEEPSEQUENCE_BATCH_SIZE;
    train.epochs = epochs_for_steps(DEEPSEQUENCE_TRAINING_STEPS, DEEPSEQUENCE_BATCH_SIZE, n_rows);
}

/// Real-valued features and protein composition: a small scVI-shaped network on z-scored
/// input with early stopping.
fn generic(vae: &mut VaeConfig, train: &mut TrainConfig) {
    vae.hidden = vec![128];
    vae.latent = 10;
    train.epochs = 200;
    train.early_stopping = Some(EarlyStopping::default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_fit_their_own_kind_only() {
        assert!(Preset::Scvi.fits(DataKind::Counts));
        assert!(!Preset::Scvi.fits(DataKind::Dna));
        assert!(Preset::Default.fits(DataKind::Alignment));
        let dna = DataDescription::new(DataKind::Dna, 100, 103);
        assert!(Recipe::new(&dna, Preset::Popvae, None).is_err());
        let error = Recipe::new(&dna, Preset::Popvae, None).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("Popvae is for Genotypes data, not Dna"),
            "{error}"
        );
        let recipe = Recipe::new(&dna, Preset::Vamb, None).unwrap();
        assert_eq!(
            (recipe.vae.hidden.as_slice(), recipe.vae.latent),
            (&[512, 512][..], 32)
        );
        assert!(recipe.vae.standardize);
    }

    #[test]
    fn genotype_default_averages_weights_and_the_others_do_not() {
        let averaging = |kind, n_features, preset| {
            let data = DataDescription::new(kind, 100, n_features);
            Recipe::new(&data, preset, None)
                .unwrap()
                .train
                .weight_averaging
        };
        assert_eq!(averaging(DataKind::Dna, 103, Preset::Default), 0.0);
        assert_eq!(averaging(DataKind::Genotypes, 500, Preset::Default), 0.8);
        assert_eq!(averaging(DataKind::Dna, 103, Preset::Vamb), 0.0);
        assert_eq!(averaging(DataKind::Genotypes, 500, Preset::Popvae), 0.0);
    }

    #[test]
    fn eve_preset_is_eves_bayesian_model_and_schedule() {
        let family = DataDescription {
            n_states: Some(21),
            ..DataDescription::new(DataKind::Alignment, 3_270, 21 * 300)
        };
        let recipe = Recipe::new(&family, Preset::Eve, None).unwrap();
        assert_eq!(
            recipe.vae.decoder,
            DecoderKind::Bayesian(BayesianDecoder {
                dropout: 0.1,
                dictionary: 40,
                temperature: true,
                sparsity: Sparsity::None,
            })
        );
        assert_eq!(recipe.vae.decoder_layers(), [300, 1000, 2000]);
        assert_eq!(
            (recipe.train.learning_rate, recipe.train.batch_size),
            (1e-4, 256)
        );
        // 3,270 rows in minibatches of 256: 13 steps per epoch; ⌈400,000 / 13⌉ = 30,770.
        assert_eq!(recipe.train.epochs, 30_770);
        assert!(recipe.train.early_stopping.is_none());
        assert_eq!(recipe.train.sampling, RowSampling::Weighted);
        recipe.validate().unwrap();
        // The default recipe keeps the standard decoder and its sampling.
        let default = Recipe::new(&family, Preset::Default, None).unwrap();
        assert_eq!(default.vae.decoder, DecoderKind::Standard);
        assert_eq!(default.train.sampling, RowSampling::Uniform);
        let counts = DataDescription::new(DataKind::Counts, 10, 10);
        assert!(Recipe::new(&counts, Preset::Eve, None).is_err());
    }

    #[test]
    fn deepsequence_preset_is_its_sparse_bayesian_model_and_schedule() {
        let family = DataDescription {
            n_states: Some(21),
            ..DataDescription::new(DataKind::Alignment, 3_270, 21 * 300)
        };
        let recipe = Recipe::new(&family, Preset::DeepSequence, None).unwrap();
        let DecoderKind::Bayesian(decoder) = recipe.vae.decoder else {
            panic!("{:?}", recipe.vae.decoder);
        };
        assert_eq!((decoder.dropout, decoder.dictionary), (0.0, 40));
        assert!(decoder.temperature);
        // run_svi.py: n_pat 4, logit_p 0.001; model.py: logit_sigma 4.
        let Sparsity::Logit(sparsity) = decoder.sparsity else {
            panic!("{:?}", decoder.sparsity);
        };
        assert_eq!((sparsity.tiles, sparsity.prior_sigma), (4, 4.0));
        assert!((sparsity.prior_mean - -12.3609).abs() < 1e-4);
        assert_eq!(recipe.vae.hidden, [1500, 1500]);
        assert_eq!(recipe.vae.decoder_layers(), [100, 2000]);
        assert_eq!(recipe.vae.latent, 30);
        assert_eq!(
            (recipe.train.learning_rate, recipe.train.batch_size),
            (1e-3, 100)
        );
        // 3,270 rows in minibatches of 100: 33 steps per epoch; ⌈300,000 / 33⌉ = 9,091.
        assert_eq!(recipe.train.epochs, 9_091);
        assert!(recipe.train.early_stopping.is_none());
        assert_eq!(recipe.train.sampling, RowSampling::Weighted);
        recipe.validate().unwrap();
    }

    #[test]
    fn composition_carries_its_share_of_the_loss() {
        // By hand: 103 TNF + 3 abundance columns = 106; TNF weight 0.85·106/103 ≈ 0.874757,
        // abundance 0.15·106/3 = 5.3; TNF total 0.85·106 = 90.1 of 106.
        let groups = abundance_feature_groups(106, 3);
        assert_eq!(groups[0].n_features, 103);
        assert_eq!(groups[1].n_features, 3);
        assert!((groups[0].weight - 0.874_757).abs() < 1e-6);
        assert!((groups[1].weight - 5.3).abs() < 1e-12);
        let sum = groups[0].weight * 103.0 + groups[1].weight * 3.0;
        assert!((sum - 106.0).abs() < 1e-9);
    }
}
