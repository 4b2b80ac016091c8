//! The recipe for the loaded data (`vaebio_model::recipes`, the per-kind defaults a library
//! user gets too), then overridden by explicit flags.

use anyhow::Result;
use clap::ValueEnum;
use vaebio_io::Featurization;
use vaebio_io::formats::vcf::MissingPolicy;
use vaebio_io::matrix::{DOSAGE_MISSING, Storage};
use vaebio_model::recipes::{DEFAULT_GENE_WEIGHT_POWER, DataDescription, DataKind, Preset, Recipe};
use vaebio_model::{
    BayesianDecoder, DecoderKind, EarlyStopping, InputTransform, KlWarmup, Likelihood,
    LogitSparsity, LrSchedule, OutputInit, RowSampling, Sparsity, TrainConfig, VaeConfig,
};

use crate::cli::{
    DecoderArg, GeneWeightsArg, InputTransformArg, LikelihoodArg, LrScheduleArg, ModelArgs,
    OutputInitArg, PresetArg, SamplingArg, SparsityArg, Switch,
};
use crate::commands::BadInput;
use crate::load::Loaded;

/// `--missing mean` reads a missing genotype as its site's mean dosage, a fraction that the
/// binomial likelihood cannot fit: refused where a call is missing, saying what to use.
fn check_missing_fill(loaded: &Loaded, likelihood: &Likelihood) -> Result<()> {
    let Featurization::Vcf {
        missing: MissingPolicy::Mean,
        ..
    } = loaded.featurization
    else {
        return Ok(());
    };
    let Storage::Dosage(dosage) = loaded.matrix.storage() else {
        return Ok(());
    };
    if !matches!(likelihood, Likelihood::Binomial { .. })
        || !dosage.codes().contains(&DOSAGE_MISSING)
    {
        return Ok(());
    }
    Err(BadInput(
        "--missing mean reads each missing genotype as its site's mean dosage, a fraction the \
         binomial likelihood of genotypes cannot fit — use --missing binomial (the default), \
         mask or drop-sites, or a likelihood for real values (--likelihood gaussian)"
            .into(),
    )
    .into())
}

/// Model and training configuration for `loaded`, validated.
pub fn configure(
    loaded: &Loaded,
    args: &ModelArgs,
    n_batches: usize,
) -> Result<(VaeConfig, TrainConfig)> {
    check_preset(loaded.kind, args.preset)?;
    let data = DataDescription {
        abundance_columns: loaded.abundance_columns,
        ploidy: loaded.ploidy,
        n_states: loaded.n_states,
        n_batches,
        ..DataDescription::new(loaded.kind, loaded.matrix.n_rows(), loaded.matrix.n_cols())
    };
    let preset = preset(args.preset);
    let likelihood = likelihood(&data, args.likelihood)?;
    let mut recipe = Recipe::new(&data, preset, likelihood)?.with_seed(args.seed);
    check_missing_fill(loaded, &recipe.vae.likelihood)?;
    apply_flags(args, &mut recipe.vae, &mut recipe.train);
    check_sampling(args, loaded.kind)?;
    gene_weights(args, &mut recipe.vae)?;
    decoder(args, loaded.kind, &mut recipe.vae)?;
    output_init(args, loaded.kind, &mut recipe.vae)?;
    recipe.fit_to_rows(data.n_rows);
    recipe.validate()?;
    Ok((recipe.vae, recipe.train))
}

/// `--sampling weighted` draws rows by their weights, which only alignments have.
fn check_sampling(args: &ModelArgs, kind: DataKind) -> Result<()> {
    if args.sampling == Some(SamplingArg::Weighted) && kind != DataKind::Alignment {
        return Err(BadInput(
            "--sampling weighted draws sequences by their weights, which only protein family \
             alignments (--msa) have — leave --sampling out"
                .into(),
        )
        .into());
    }
    Ok(())
}

fn preset(arg: PresetArg) -> Preset {
    match arg {
        PresetArg::Default => Preset::Default,
        PresetArg::Scvi => Preset::Scvi,
        PresetArg::Vamb => Preset::Vamb,
        PresetArg::Popvae => Preset::Popvae,
        PresetArg::Eve => Preset::Eve,
        PresetArg::Deepsequence => Preset::DeepSequence,
    }
}

/// `--decoder`, `--sparsity` and `--temperature` over the recipe's decoder.
fn decoder(args: &ModelArgs, kind: DataKind, vae: &mut VaeConfig) -> Result<()> {
    match args.decoder {
        Some(DecoderArg::Standard) => vae.decoder = DecoderKind::Standard,
        Some(DecoderArg::Bayesian) if kind != DataKind::Alignment => {
            return Err(BadInput(
                "--decoder bayesian is for protein family alignments (--msa), not this input — \
                 leave --decoder out"
                    .into(),
            )
            .into());
        }
        // A preset's Bayesian settings stay; otherwise EVE's.
        Some(DecoderArg::Bayesian) if vae.decoder == DecoderKind::Standard => {
            vae.decoder = DecoderKind::Bayesian(BayesianDecoder::default());
        }
        _ => {}
    }
    let DecoderKind::Bayesian(settings) = &mut vae.decoder else {
        let flag = match (args.sparsity, args.temperature) {
            (Some(_), _) => "--sparsity",
            (None, Some(_)) => "--temperature",
            (None, None) => return Ok(()),
        };
        return Err(BadInput(format!(
            "{flag} is a setting of the Bayesian decoder — add --decoder bayesian (protein \
             alignments, --msa)"
        ))
        .into());
    };
    if let Some(sparsity) = args.sparsity {
        settings.sparsity = match sparsity {
            SparsityArg::None => Sparsity::None,
            SparsityArg::Logit => Sparsity::Logit(LogitSparsity::default()),
        };
    }
    if let Some(temperature) = args.temperature {
        settings.temperature = temperature == Switch::On;
    }
    Ok(())
}

/// `--init-output` over the recipe's choice: the site start is for alignments and genotypes
/// with the standard decoder; `--site-mixture` for alignments.
fn output_init(args: &ModelArgs, kind: DataKind, vae: &mut VaeConfig) -> Result<()> {
    if args.site_mixture {
        if kind != DataKind::Alignment {
            return Err(BadInput(
                "--site-mixture mixes alignment columns with their site model: it is for \
                 protein family alignments (--msa) — leave it out"
                    .into(),
            )
            .into());
        }
        vae.site_mixture = true;
    }
    match args.init_output {
        // The genotype default starts at PCA; where other flags leave a network the start does
        // not fit (more layers, another input), it falls back to raw dosages and a random start.
        None if vae.output_init == OutputInit::Pca && vae.validate_pca_start().is_err() => {
            vae.output_init = OutputInit::Random;
            if args.input_transform.is_none() {
                vae.input_transform = InputTransform::Auto;
            }
        }
        None => {}
        Some(OutputInitArg::Random) => vae.output_init = OutputInit::Random,
        Some(OutputInitArg::Site) if !matches!(kind, DataKind::Alignment | DataKind::Genotypes) => {
            return Err(BadInput(
                "--init-output site starts from column or allele frequencies: it is for \
                 protein family alignments (--msa) and genotypes (--vcf), not this input — \
                 leave it out"
                    .into(),
            )
            .into());
        }
        Some(OutputInitArg::Site) if vae.decoder != DecoderKind::Standard => {
            return Err(BadInput(
                "--init-output site needs the standard decoder — add --decoder standard, or \
                 leave --init-output out with the Bayesian decoder"
                    .into(),
            )
            .into());
        }
        Some(OutputInitArg::Site) => vae.output_init = OutputInit::Site,
        Some(OutputInitArg::Pca) if kind != DataKind::Genotypes => {
            return Err(BadInput(
                "--init-output pca starts genotype models at PCA: it is for --vcf/--bcf \
                 input — leave it out"
                    .into(),
            )
            .into());
        }
        Some(OutputInitArg::Pca) => {
            match args.input_transform {
                None => vae.input_transform = InputTransform::PrincipalAxes,
                Some(InputTransformArg::PrincipalAxes) => {}
                Some(_) => {
                    return Err(BadInput(
                        "--init-output pca reads the samples through their principal axes — \
                         leave --input-transform out or give principal-axes"
                            .into(),
                    )
                    .into());
                }
            }
            vae.output_init = OutputInit::Pca;
        }
    }
    Ok(())
}

/// `--gene-weights` and `--gene-weight-power` over the recipe's choice (no recipe weighs
/// genes; `--gene-weight-power P` alone means `--gene-weights neighbours` with that P).
fn gene_weights(args: &ModelArgs, vae: &mut VaeConfig) -> Result<()> {
    let power = args.gene_weight_power;
    let kind = args
        .gene_weights
        .or(power.map(|_| GeneWeightsArg::Neighbours));
    match kind {
        Some(GeneWeightsArg::None) => {
            if let Some(power) = power {
                return Err(BadInput(format!(
                    "--gene-weight-power {power} has no effect with --gene-weights none — drop one of them"
                ))
                .into());
            }
            vae.gene_weight_power = 0.0;
            vae.gene_weight_neighbours = false;
        }
        Some(kind) => {
            vae.gene_weight_power = power.unwrap_or(DEFAULT_GENE_WEIGHT_POWER);
            vae.gene_weight_neighbours = kind == GeneWeightsArg::Neighbours;
        }
        None => {}
    }
    Ok(())
}

fn apply_flags(args: &ModelArgs, vae: &mut VaeConfig, train: &mut TrainConfig) {
    if let Some(latent) = args.latent_dim {
        vae.latent = latent;
    }
    if let Some(hidden) = &args.hidden {
        vae.hidden = hidden.clone();
        // The decoder mirrors the layers given, also where a preset had its own.
        vae.decoder_hidden = None;
    }
    if let Some(input_dropout) = args.input_dropout {
        vae.input_dropout = input_dropout;
    }
    if let Some(transform) = args.input_transform {
        vae.input_transform = match transform {
            InputTransformArg::Auto => InputTransform::Auto,
            InputTransformArg::Identity => InputTransform::Identity,
            InputTransformArg::Log1p => InputTransform::Log1p,
            InputTransformArg::AlleleFrequency => InputTransform::AlleleFrequency,
            InputTransformArg::PrincipalAxes => InputTransform::PrincipalAxes,
        };
    }
    if let Some(power) = args.library_weight {
        vae.library_weight_power = power;
    }
    if let Some(epochs) = args.epochs {
        train.epochs = epochs;
    }
    if let Some(batch_size) = args.batch_size {
        train.batch_size = batch_size;
    }
    if let Some(lr) = args.lr {
        train.learning_rate = lr;
    }
    if let Some(schedule) = args.lr_schedule {
        train.lr_schedule = match schedule {
            LrScheduleArg::Constant => LrSchedule::Constant,
            LrScheduleArg::Cosine => LrSchedule::Cosine,
        };
    }
    if let Some(steps) = args.lr_warmup {
        train.lr_warmup_steps = steps;
    }
    if let Some(beta) = args.beta {
        train.beta = beta;
    }
    if let Some(warmup) = args.kl_warmup {
        train.kl_warmup = (warmup > 0).then_some(KlWarmup::Epochs(warmup));
    }
    if let Some(l1) = args.l1 {
        train.l1 = l1;
    }
    if let Some(l2) = args.l2 {
        train.l2 = l2;
    }
    if let Some(val_frac) = args.val_frac {
        train.validation_fraction = val_frac;
    }
    if let Some(decay) = args.weight_averaging {
        train.weight_averaging = decay;
    }
    if let Some(sampling) = args.sampling {
        train.sampling = match sampling {
            SamplingArg::Uniform => RowSampling::Uniform,
            SamplingArg::Weighted => RowSampling::Weighted,
        };
    }
    if let Some(patience) = args.patience {
        train.early_stopping = (patience > 0).then_some(EarlyStopping {
            patience,
            ..EarlyStopping::default()
        });
    }
}

/// `--likelihood` over the recipe's choice (`None`: the recipe picks).
fn likelihood(data: &DataDescription, choice: LikelihoodArg) -> Result<Option<Likelihood>> {
    let trials = u32::from(data.ploidy.unwrap_or(2));
    Ok(Some(match choice {
        LikelihoodArg::Auto => return Ok(None),
        LikelihoodArg::Gaussian => Likelihood::Gaussian {
            learned_variance: false,
        },
        LikelihoodArg::Bernoulli => Likelihood::Bernoulli,
        LikelihoodArg::Binomial => Likelihood::Binomial { trials },
        LikelihoodArg::Categorical => match data.n_states {
            Some(n_states) => Likelihood::Categorical { n_states },
            None => {
                return Err(BadInput(
                    "--likelihood categorical needs one-hot alignment input — use --msa".into(),
                )
                .into());
            }
        },
        LikelihoodArg::Poisson => Likelihood::Poisson,
        LikelihoodArg::Nb => Likelihood::NegativeBinomial,
        LikelihoodArg::Zinb => Likelihood::ZeroInflatedNegativeBinomial,
    }))
}

/// A reference tool's preset applies to its own kind of data only.
fn check_preset(kind: DataKind, arg: PresetArg) -> Result<()> {
    // Which kind a preset is for is the library's (`Preset::kind`); here only its wording.
    let Some(own) = preset(arg).kind().filter(|&own| own != kind) else {
        return Ok(());
    };
    let input = match own {
        DataKind::Genotypes => "genotypes (--vcf)",
        DataKind::Dna => "DNA contigs (--fasta)",
        DataKind::Alignment => "protein family alignments (--msa)",
        // Counts: no preset is for the other kinds.
        _ => "integer counts (--matrix, --mtx, --h5ad or --10x-h5)",
    };
    // The name as the user typed it, from clap's own value list.
    let name = arg
        .to_possible_value()
        .map(|value| value.get_name().to_string())
        .unwrap_or_default();
    Err(BadInput(format!(
        "--preset {name} is for {input}, not this input — leave --preset out to use the \
         default recipe for it"
    ))
    .into())
}
