//! Starting a model at the independent-site model ([`crate::OutputInit::Site`]): the output
//! bias is each one-hot alignment column's log-frequencies over the weighted training rows, or
//! each genotype site's allele-frequency logit, the output weights are shrunk, so the first
//! step decodes every z to the site model and training moves away from it only as far as the
//! data (and early stopping on the validation rows) let it. For genotypes it is a flag, not
//! the default: it reaches the best epoch sooner on small cohorts but sat near the site model
//! for ~30 epochs on 67k SNPs (bench/notes/bench-history-2026-12.md, "Genotype panel:
//! patience 20").

use std::convert::Infallible;

use candle_core::Tensor;

use crate::allele_frequency::AlleleCounts;
use crate::data::RowSource;
use crate::error::Result;
use crate::vae::{Vae, for_row_chunks};

/// Pseudocount added to every state's weighted count before taking frequencies, as the
/// site-independent model of the panel (`bench/protein/family.py`) does.
pub const SITE_PSEUDOCOUNT: f64 = 0.5;

/// Factor on the output layer's initial weights under [`crate::OutputInit::Site`]: small
/// enough that the first logits are the site model's to about 1%, large enough that the hidden
/// layers get a gradient from the first step.
pub(crate) const WEIGHT_SCALE: f64 = 0.01;

/// log((c + [`SITE_PSEUDOCOUNT`]) / (Σ c + [`SITE_PSEUDOCOUNT`] · n_states)) per feature, where c
/// is the weighted count of the feature's state in its column: the sum of `weights` (one per
/// row of `rows`; 1 each when `None`) over the rows holding that state.
pub fn site_log_frequencies(
    rows: &dyn RowSource,
    weights: Option<&[f32]>,
    n_states: usize,
) -> Vec<f32> {
    let n_cols = rows.n_cols();
    let mut counts = vec![0f64; n_cols];
    let Ok(()) = for_row_chunks::<Infallible>(rows, |chunk, values| {
        for (&row, values) in chunk.iter().zip(values.chunks_exact(n_cols)) {
            let weight = weights.map_or(1.0, |w| f64::from(w[row]));
            for (count, &value) in counts.iter_mut().zip(values) {
                *count += weight * f64::from(value);
            }
        }
        Ok(())
    });
    let mut log_frequencies = Vec::with_capacity(n_cols);
    for column in counts.chunks(n_states) {
        let total: f64 = column.iter().sum::<f64>() + SITE_PSEUDOCOUNT * n_states as f64;
        log_frequencies.extend(
            column
                .iter()
                .map(|&count| ((count + SITE_PSEUDOCOUNT) / total).ln() as f32),
        );
    }
    log_frequencies
}

/// logit((a + [`SITE_PSEUDOCOUNT`]) / (n + 2 · [`SITE_PSEUDOCOUNT`])) per site, a its
/// alternate alleles and n its alleles called: the binomial site model, with the
/// alignments' pseudocount on each of the two alleles.
pub(crate) fn site_logits(counts: &AlleleCounts) -> Vec<f32> {
    counts
        .alternate
        .iter()
        .zip(&counts.alleles)
        .map(|(&alternate, &alleles)| {
            let reference = alleles - alternate;
            ((alternate + SITE_PSEUDOCOUNT) / (reference + SITE_PSEUDOCOUNT)).ln() as f32
        })
        .collect()
}

/// Set the standard decoder's output bias (`decoder.loc.bias`) to the site model's `bias`
/// ([`site_log_frequencies`] or [`site_logits`]) and scale its weights
/// (`decoder.loc.weight`) by [`WEIGHT_SCALE`].
pub(crate) fn start_at_site_model(vae: &Vae, bias: &[f32]) -> Result<()> {
    let vars = vae.varmap.data().lock().unwrap_or_else(|e| e.into_inner());
    let (Some(loc_bias), Some(weight)) =
        (vars.get("decoder.loc.bias"), vars.get("decoder.loc.weight"))
    else {
        // Config validation admits the site start only for the standard decoder, which has both.
        unreachable!("the standard decoder has decoder.loc.bias and decoder.loc.weight");
    };
    loc_bias.set(&Tensor::new(bias, &vae.device)?)?;
    weight.set(&(weight.as_tensor() * WEIGHT_SCALE)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;
    use crate::config::{DecoderKind, OutputInit, TrainConfig, VaeConfig};
    use crate::data::{Dataset, DenseMatrix};
    use crate::likelihood::Likelihood;
    use crate::train::Trainer;

    /// Two columns of three states, four rows weighted 1, 0.5, 0.5, 1:
    /// column 0 holds states 0, 0, 1, 2; column 1 holds 2, 2, 2, 0.
    const ROWS: [f32; 24] = [
        1., 0., 0., 0., 0., 1., //
        1., 0., 0., 0., 0., 1., //
        0., 1., 0., 0., 0., 1., //
        0., 0., 1., 1., 0., 0., //
    ];
    const WEIGHTS: [f32; 4] = [1.0, 0.5, 0.5, 1.0];

    /// By hand: column 0 weighted counts 1.5, 0.5, 1 (total 3), column 1 1, 0, 2; with 0.5
    /// per state the denominators are 3 + 1.5 = 4.5.
    fn hand_frequencies() -> [f64; 6] {
        [
            2.0 / 4.5,
            1.0 / 4.5,
            1.5 / 4.5,
            1.5 / 4.5,
            0.5 / 4.5,
            2.5 / 4.5,
        ]
    }

    #[test]
    fn log_frequencies_are_the_weighted_site_model() {
        let rows = DenseMatrix::new(ROWS.to_vec(), 4, 6).unwrap();
        let got = site_log_frequencies(&rows, Some(&WEIGHTS), 3);
        for (got, want) in got.iter().zip(hand_frequencies()) {
            assert!(
                (f64::from(*got) - want.ln()).abs() < 1e-6,
                "{got} vs {}",
                want.ln()
            );
        }
    }

    #[test]
    fn the_site_start_is_for_alignments_and_genotypes_with_the_standard_decoder() {
        let alignment = VaeConfig {
            output_init: OutputInit::Site,
            ..VaeConfig::new(6, Likelihood::Categorical { n_states: 3 })
        };
        alignment.validate().unwrap();
        let genotypes = VaeConfig {
            likelihood: Likelihood::Binomial { trials: 2 },
            ..alignment.clone()
        };
        genotypes.validate().unwrap();
        let gaussian = VaeConfig {
            likelihood: Likelihood::Gaussian {
                learned_variance: false,
            },
            ..alignment.clone()
        };
        let error = gaussian.validate().unwrap_err().to_string();
        assert!(error.contains("one-hot alignments"), "{error}");
        let bayesian = VaeConfig {
            decoder: DecoderKind::Bayesian(Default::default()),
            norm: crate::config::Norm::None,
            ..alignment
        };
        let error = bayesian.validate().unwrap_err().to_string();
        assert!(error.contains("standard decoder"), "{error}");
    }

    #[test]
    fn the_untrained_model_decodes_to_the_site_model() {
        let config = VaeConfig {
            hidden: vec![16],
            latent: 2,
            output_init: OutputInit::Site,
            seed: 3,
            ..VaeConfig::new(6, Likelihood::Categorical { n_states: 3 })
        };
        let mut vae = Vae::new(config, &Device::Cpu).unwrap();
        let rows = DenseMatrix::new(ROWS.to_vec(), 4, 6).unwrap();
        let data = Dataset::new(&rows).with_weights(&WEIGHTS).unwrap();
        let train = TrainConfig {
            validation_fraction: 0.0,
            ..TrainConfig::default()
        };
        Trainer::new(&mut vae, data, &train).unwrap();
        // softmax(bias) per column is the weighted frequency exactly.
        let bias: Vec<f32> = vae.varmap.data().lock().unwrap()["decoder.loc.bias"]
            .as_tensor()
            .to_vec1()
            .unwrap();
        let want = hand_frequencies();
        for (column, want) in bias.chunks(3).zip(want.chunks(3)) {
            let norm: f64 = column.iter().map(|&b| f64::from(b).exp()).sum();
            for (&b, &f) in column.iter().zip(want) {
                assert!((f64::from(b).exp() / norm - f).abs() < 1e-6);
            }
        }
        // And every z decodes to those frequencies, to within about 1%.
        let decoded = vae.generate(5, 1, None).unwrap();
        for row in decoded.values().chunks(6) {
            for (&p, &f) in row.iter().zip(&want) {
                assert!((f64::from(p) - f).abs() < 0.01, "{p} vs {f}");
            }
        }
    }

    /// Three diploid samples × two sites: site 0 holds dosages 0, 1, 2 (3 of 6 alleles), site 1
    /// 0, 0, 1 (1 of 6). By hand: logit(3.5 / 7) = 0, ln(1.5 / 5.5) = −1.29928.
    const DOSAGES: [f32; 6] = [0.0, 0.0, 1.0, 0.0, 2.0, 1.0];

    #[test]
    fn genotype_logits_are_the_allele_frequency_site_model() {
        let rows = DenseMatrix::new(DOSAGES.to_vec(), 3, 2).unwrap();
        let counts = AlleleCounts::fit(&rows, &[0, 1, 2], None, 2);
        let got = site_logits(&counts);
        assert!(got[0].abs() < 1e-6, "{got:?}");
        assert!((got[1] + 1.29928).abs() < 1e-5, "{got:?}");
    }

    #[test]
    fn an_untrained_genotype_model_decodes_to_the_allele_frequencies() {
        let config = VaeConfig {
            hidden: vec![16],
            latent: 2,
            output_init: OutputInit::Site,
            seed: 3,
            ..VaeConfig::new(2, Likelihood::Binomial { trials: 2 })
        };
        let mut vae = Vae::new(config, &Device::Cpu).unwrap();
        let rows = DenseMatrix::new(DOSAGES.to_vec(), 3, 2).unwrap();
        let train = TrainConfig {
            validation_fraction: 0.0,
            ..TrainConfig::default()
        };
        Trainer::new(&mut vae, Dataset::new(&rows), &train).unwrap();
        // Expected dosage 2·p with p = 3.5 / 7 and 1.5 / 7 (pseudocount 0.5 per allele), to
        // within about 1% of a logit.
        let decoded = vae.generate(5, 1, None).unwrap();
        for row in decoded.values().chunks(2) {
            assert!((row[0] - 1.0).abs() < 0.02, "{row:?}");
            assert!((row[1] - 2.0 * 1.5 / 7.0).abs() < 0.02, "{row:?}");
        }
    }
}
