//! [`Featurization`]: how a feature matrix was made from its input file, so that new input
//! can be featurized the same way. A saved model stores it (as JSON, in `config.json`) and
//! `encode`, `reconstruct`, `score` and `train --resume` read it back.
//!
//! The JSON layout is the one every vaebio version has written: an object tagged by
//! `input` (`fasta`, `msa`, `vcf`, `matrix`, `mtx`, `h5ad`, `tenx-h5`) with the settings beside
//! the tag, e.g.
//!
//! ```
//! use vaebio_io::{Alphabet, Featurization, SequenceFeatures};
//!
//! let saved = r#"{"input": "fasta", "features": "kmer:4", "alphabet": "dna",
//!     "min_length": 0, "abundance": false, "abundance_transform": ""}"#;
//! let featurization: Featurization = serde_json::from_str(saved).unwrap();
//! assert_eq!(
//!     featurization,
//!     Featurization::Fasta {
//!         features: SequenceFeatures::Kmer { k: 4, canonical: false },
//!         alphabet: Alphabet::Dna,
//!         min_length: 0,
//!         abundance: None,
//!     }
//! );
//! ```

use serde::{Deserialize, Serialize};

use crate::features::composition::{Alphabet, SequenceFeatures};
use crate::formats::alignment::MsaFormat;
use crate::formats::vcf::MissingPolicy;

/// How a feature matrix was made: the input kind and the settings that decide its columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "wire::Featurization", try_from = "wire::Featurization")]
pub enum Featurization {
    /// FASTA/FASTQ records → composition
    /// ([`featurize_sequences`](crate::featurize_sequences)), optionally with contig
    /// abundance appended.
    Fasta {
        /// The features computed, resolved (never [`SequenceFeatures::Auto`]).
        features: SequenceFeatures,
        /// The residue alphabet.
        alphabet: Alphabet,
        /// Records shorter than this were skipped.
        min_length: usize,
        /// How contig depths were appended (`--abundance`); `None` for composition alone.
        abundance: Option<AbundanceTransform>,
    },
    /// An aligned family → one-hot focus columns and sequence weights
    /// ([`alignment_from_reader`](crate::formats::alignment::alignment_from_reader)).
    Msa {
        /// Focus columns with a larger gap fraction were dropped.
        max_gap_frac: f64,
        /// Sequence-weight threshold: neighbours share identity above `1 − theta`.
        theta: f64,
        /// The format given (`--msa-format`), replayed on new input; `None` decides each
        /// file's format from its content. Written as `msa_format` only when given, so a
        /// model directory reads the same as before formats were told apart (earlier
        /// versions, which always read A2M/A3M, load as `None`).
        format: Option<MsaFormat>,
    },
    /// VCF/BCF → alternate-allele dosages
    /// ([`read_genotypes`](crate::formats::vcf::read_genotypes)).
    Vcf {
        /// What was done with missing genotypes.
        missing: MissingPolicy,
        /// Sites below this minor-allele frequency were dropped.
        min_maf: f64,
        /// Alleles per genotype.
        ploidy: u8,
        /// ALT alleles and called alleles per site (the model's features, in order) in the
        /// training file: new samples' missing calls, and sites their file lacks, are
        /// imputed at these frequencies
        /// ([`ModelSites`](crate::formats::vcf::ModelSites)). Empty in models saved before
        /// they were kept (2026-12-05).
        site_alleles: Vec<(u32, u32)>,
    },
    /// A delimited expression table ([`read_expression`](crate::formats::table::read_expression)).
    Matrix {
        /// The file had observations in rows.
        transpose: bool,
    },
    /// A 10x Matrix Market directory ([`read_10x_mtx`](crate::formats::mtx::read_10x_mtx)).
    Mtx {
        /// The feature type kept (`--feature-type`); `None`: every feature, as models saved
        /// before feature types were told apart read them.
        feature_type: Option<String>,
    },
    /// An AnnData `.h5ad` file ([`read_h5ad`](crate::formats::h5ad::read_h5ad)).
    H5ad {
        /// The layer read (`None`: `X`).
        layer: Option<String>,
        /// The boolean `var` column that chose the genes (`None`: every gene).
        var_mask: Option<String>,
    },
    /// A 10x Genomics `.h5` file ([`read_10x_h5`](crate::formats::tenx_h5::read_10x_h5)).
    TenxH5 {
        /// The feature type kept (`--feature-type`); `None`: every feature.
        feature_type: Option<String>,
        /// The genome group read from a Cell Ranger 2 file (`--genome`).
        genome: Option<String>,
    },
}

/// How contig depths became features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbundanceTransform {
    /// VAMB 5's per-sample scaling, per-contig profile and log total depth
    /// ([`append_abundance`](crate::features::abundance::append_abundance)); written
    /// `"abundance_transform": "vamb"`.
    Vamb,
    /// Raw depths, as vaebio versions before the VAMB transform fed them (they wrote
    /// `"abundance": true` with no or an empty `abundance_transform`). This version cannot
    /// featurize new input that way.
    RawDepths,
}

impl AbundanceTransform {
    /// The `abundance_transform` text of a saved featurization.
    fn name(self) -> &'static str {
        match self {
            AbundanceTransform::Vamb => "vamb",
            AbundanceTransform::RawDepths => "",
        }
    }
}

/// The JSON layout, kept as earlier versions wrote it: loose `abundance` and
/// `abundance_transform` fields that [`Featurization::Fasta`] holds as one typed value.
mod wire {
    use serde::{Deserialize, Serialize};

    use super::AbundanceTransform;
    use crate::features::composition::{Alphabet, SequenceFeatures};
    use crate::formats::alignment::MsaFormat;
    use crate::formats::vcf::MissingPolicy;

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "input", rename_all = "kebab-case")]
    pub(super) enum Featurization {
        Fasta {
            features: SequenceFeatures,
            alphabet: Alphabet,
            min_length: usize,
            #[serde(default)]
            abundance: bool,
            #[serde(default)]
            abundance_transform: String,
        },
        Msa {
            max_gap_frac: f64,
            theta: f64,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            msa_format: Option<MsaFormat>,
        },
        Vcf {
            missing: MissingPolicy,
            min_maf: f64,
            ploidy: u8,
            #[serde(default, skip_serializing_if = "Vec::is_empty", with = "site_alleles")]
            site_alleles: Vec<(u32, u32)>,
        },
        Matrix {
            transpose: bool,
        },
        Mtx {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            feature_type: Option<String>,
        },
        H5ad {
            #[serde(default)]
            layer: Option<String>,
            #[serde(default)]
            var_mask: Option<String>,
        },
        TenxH5 {
            #[serde(default)]
            feature_type: Option<String>,
            #[serde(default)]
            genome: Option<String>,
        },
    }

    impl From<super::Featurization> for Featurization {
        fn from(typed: super::Featurization) -> Self {
            match typed {
                super::Featurization::Fasta {
                    features,
                    alphabet,
                    min_length,
                    abundance,
                } => Featurization::Fasta {
                    features,
                    alphabet,
                    min_length,
                    abundance: abundance.is_some(),
                    abundance_transform: abundance.map_or("", AbundanceTransform::name).to_string(),
                },
                super::Featurization::Msa {
                    max_gap_frac,
                    theta,
                    format,
                } => Featurization::Msa {
                    max_gap_frac,
                    theta,
                    msa_format: format,
                },
                super::Featurization::Vcf {
                    missing,
                    min_maf,
                    ploidy,
                    site_alleles,
                } => Featurization::Vcf {
                    missing,
                    min_maf,
                    ploidy,
                    site_alleles,
                },
                super::Featurization::Matrix { transpose } => Featurization::Matrix { transpose },
                super::Featurization::Mtx { feature_type } => Featurization::Mtx { feature_type },
                super::Featurization::H5ad { layer, var_mask } => {
                    Featurization::H5ad { layer, var_mask }
                }
                super::Featurization::TenxH5 {
                    feature_type,
                    genome,
                } => Featurization::TenxH5 {
                    feature_type,
                    genome,
                },
            }
        }
    }

    /// Per-site `(ALT alleles, called alleles)` written as one string, `"3/40 0/38 …"`:
    /// pretty-printed, a JSON array takes a line per number (~40 bytes a site).
    mod site_alleles {
        use std::fmt::Write;

        use serde::de::Error;
        use serde::{Deserialize, Deserializer, Serializer};

        pub(super) fn serialize<S: Serializer>(
            pairs: &[(u32, u32)],
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            let mut text = String::with_capacity(pairs.len() * 8);
            for (i, (alternate, called)) in pairs.iter().enumerate() {
                let gap = if i > 0 { " " } else { "" };
                let _ = write!(text, "{gap}{alternate}/{called}");
            }
            serializer.serialize_str(&text)
        }

        pub(super) fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Vec<(u32, u32)>, D::Error> {
            let text = String::deserialize(deserializer)?;
            text.split_ascii_whitespace()
                .map(|pair| {
                    let parsed = pair.split_once('/').and_then(|(alternate, called)| {
                        Some((alternate.parse::<u32>().ok()?, called.parse::<u32>().ok()?))
                    });
                    match parsed {
                        Some((alternate, called)) if alternate <= called => Ok((alternate, called)),
                        _ => Err(D::Error::custom(format!(
                            "site_alleles: '{pair}' is not ALT/called allele counts"
                        ))),
                    }
                })
                .collect()
        }
    }

    impl TryFrom<Featurization> for super::Featurization {
        type Error = String;

        fn try_from(wire: Featurization) -> Result<Self, String> {
            Ok(match wire {
                Featurization::Fasta {
                    features,
                    alphabet,
                    min_length,
                    abundance,
                    abundance_transform,
                } => super::Featurization::Fasta {
                    features,
                    alphabet,
                    min_length,
                    abundance: abundance
                        .then(|| transform(&abundance_transform))
                        .transpose()?,
                },
                Featurization::Msa {
                    max_gap_frac,
                    theta,
                    msa_format,
                } => super::Featurization::Msa {
                    max_gap_frac,
                    theta,
                    format: msa_format,
                },
                Featurization::Vcf {
                    missing,
                    min_maf,
                    ploidy,
                    site_alleles,
                } => super::Featurization::Vcf {
                    missing,
                    min_maf,
                    ploidy,
                    site_alleles,
                },
                Featurization::Matrix { transpose } => super::Featurization::Matrix { transpose },
                Featurization::Mtx { feature_type } => super::Featurization::Mtx { feature_type },
                Featurization::H5ad { layer, var_mask } => {
                    super::Featurization::H5ad { layer, var_mask }
                }
                Featurization::TenxH5 {
                    feature_type,
                    genome,
                } => super::Featurization::TenxH5 {
                    feature_type,
                    genome,
                },
            })
        }
    }

    fn transform(name: &str) -> Result<AbundanceTransform, String> {
        [AbundanceTransform::Vamb, AbundanceTransform::RawDepths]
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                format!("unknown abundance_transform '{name}' (this version knows 'vamb')")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `featurization` objects of `config.json` as the build before the typed
    /// featurization wrote them (`vaebio train --fasta/--msa/--vcf/--matrix/--mtx ...
    /// --epochs 2`, copied verbatim from the model directories), with what they mean.
    fn written_by_the_previous_build() -> Vec<(&'static str, Featurization)> {
        vec![
            (
                r#"{"abundance": false, "abundance_transform": "", "alphabet": "dna", "features": "tnf", "input": "fasta", "min_length": 2000}"#,
                Featurization::Fasta {
                    features: SequenceFeatures::Tnf,
                    alphabet: Alphabet::Dna,
                    min_length: 2000,
                    abundance: None,
                },
            ),
            (
                r#"{"abundance": true, "abundance_transform": "vamb", "alphabet": "dna", "features": "tnf", "input": "fasta", "min_length": 2000}"#,
                Featurization::Fasta {
                    features: SequenceFeatures::Tnf,
                    alphabet: Alphabet::Dna,
                    min_length: 2000,
                    abundance: Some(AbundanceTransform::Vamb),
                },
            ),
            (
                r#"{"abundance": false, "abundance_transform": "", "alphabet": "dna", "features": "kmer:3:canonical", "input": "fasta", "min_length": 100}"#,
                Featurization::Fasta {
                    features: SequenceFeatures::Kmer {
                        k: 3,
                        canonical: true,
                    },
                    alphabet: Alphabet::Dna,
                    min_length: 100,
                    abundance: None,
                },
            ),
            (
                r#"{"input": "msa", "max_gap_frac": 0.3, "theta": 0.2}"#,
                Featurization::Msa {
                    max_gap_frac: 0.3,
                    theta: 0.2,
                    format: None,
                },
            ),
            (
                r#"{"input": "vcf", "min_maf": 0.0, "missing": "binomial", "ploidy": 2}"#,
                Featurization::Vcf {
                    missing: MissingPolicy::Binomial,
                    min_maf: 0.0,
                    ploidy: 2,
                    site_alleles: Vec::new(),
                },
            ),
            (
                r#"{"input": "vcf", "min_maf": 0.05, "missing": "dropsites", "ploidy": 2}"#,
                Featurization::Vcf {
                    missing: MissingPolicy::DropSites,
                    min_maf: 0.05,
                    ploidy: 2,
                    site_alleles: Vec::new(),
                },
            ),
            (
                r#"{"input": "matrix", "transpose": false}"#,
                Featurization::Matrix { transpose: false },
            ),
            (
                r#"{"input": "mtx"}"#,
                Featurization::Mtx { feature_type: None },
            ),
        ]
    }

    #[test]
    fn reads_what_the_previous_build_wrote_and_writes_it_back_unchanged() {
        for (json, expected) in written_by_the_previous_build() {
            let featurization: Featurization = serde_json::from_str(json).unwrap();
            assert_eq!(featurization, expected, "{json}");
            let written = serde_json::to_value(&featurization).unwrap();
            let old: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(written, old, "{json}");
        }
    }

    #[test]
    fn a_given_msa_format_is_written_and_read_back() {
        let json = r#"{"input": "msa", "max_gap_frac": 0.3, "theta": 0.2, "msa_format": "sto"}"#;
        let featurization: Featurization = serde_json::from_str(json).unwrap();
        assert_eq!(
            featurization,
            Featurization::Msa {
                max_gap_frac: 0.3,
                theta: 0.2,
                format: Some(MsaFormat::Sto),
            }
        );
        let written = serde_json::to_value(&featurization).unwrap();
        assert_eq!(
            written,
            serde_json::from_str::<serde_json::Value>(json).unwrap()
        );
        let error = serde_json::from_str::<Featurization>(
            r#"{"input": "msa", "max_gap_frac": 0.3, "theta": 0.2, "msa_format": "clustal"}"#,
        )
        .unwrap_err();
        assert!(error.to_string().contains("clustal"), "{error}");
    }

    #[test]
    fn older_models_without_a_transform_read_as_raw_depths() {
        // Written before abundance_transform existed, and before abundance did.
        let raw = r#"{"input": "fasta", "features": "tnf", "alphabet": "dna", "min_length": 2000, "abundance": true}"#;
        let composition =
            r#"{"input": "fasta", "features": "aa:2", "alphabet": "protein", "min_length": 0}"#;
        let raw: Featurization = serde_json::from_str(raw).unwrap();
        assert!(matches!(
            raw,
            Featurization::Fasta {
                abundance: Some(AbundanceTransform::RawDepths),
                ..
            }
        ));
        let composition: Featurization = serde_json::from_str(composition).unwrap();
        assert_eq!(
            composition,
            Featurization::Fasta {
                features: SequenceFeatures::AminoAcid { k: 2 },
                alphabet: Alphabet::Protein,
                min_length: 0,
                abundance: None,
            }
        );
    }

    #[test]
    fn h5ad_keeps_its_layer_and_var_mask() {
        let featurization = Featurization::H5ad {
            layer: Some("counts".into()),
            var_mask: Some("highly_variable".into()),
        };
        let json = serde_json::to_string(&featurization).unwrap();
        assert_eq!(
            json,
            r#"{"input":"h5ad","layer":"counts","var_mask":"highly_variable"}"#
        );
        assert_eq!(
            serde_json::from_str::<Featurization>(&json).unwrap(),
            featurization
        );
        let plain: Featurization = serde_json::from_str(r#"{"input": "h5ad"}"#).unwrap();
        assert_eq!(
            plain,
            Featurization::H5ad {
                layer: None,
                var_mask: None
            }
        );
    }

    #[test]
    fn tenx_inputs_keep_their_feature_type_and_genome() {
        let mtx = Featurization::Mtx {
            feature_type: Some("Gene Expression".into()),
        };
        let json = serde_json::to_string(&mtx).unwrap();
        assert_eq!(json, r#"{"input":"mtx","feature_type":"Gene Expression"}"#);
        assert_eq!(serde_json::from_str::<Featurization>(&json).unwrap(), mtx);
        let h5 = Featurization::TenxH5 {
            feature_type: Some("Peaks".into()),
            genome: None,
        };
        let json = serde_json::to_string(&h5).unwrap();
        assert_eq!(
            json,
            r#"{"input":"tenx-h5","feature_type":"Peaks","genome":null}"#
        );
        assert_eq!(serde_json::from_str::<Featurization>(&json).unwrap(), h5);
    }

    #[test]
    fn the_command_line_spelling_of_drop_sites_is_read_too() {
        let json = r#"{"input": "vcf", "min_maf": 0.0, "missing": "drop-sites", "ploidy": 1}"#;
        let featurization: Featurization = serde_json::from_str(json).unwrap();
        assert!(matches!(
            featurization,
            Featurization::Vcf {
                missing: MissingPolicy::DropSites,
                ..
            }
        ));
    }

    #[test]
    fn site_allele_counts_round_trip_and_stay_out_when_empty() {
        let vcf = Featurization::Vcf {
            missing: MissingPolicy::Binomial,
            min_maf: 0.0,
            ploidy: 2,
            site_alleles: vec![(3, 40), (0, 38)],
        };
        let json = serde_json::to_string(&vcf).unwrap();
        assert!(json.ends_with(r#""site_alleles":"3/40 0/38"}"#), "{json}");
        assert_eq!(serde_json::from_str::<Featurization>(&json).unwrap(), vcf);
        let without = Featurization::Vcf {
            missing: MissingPolicy::Binomial,
            min_maf: 0.0,
            ploidy: 2,
            site_alleles: Vec::new(),
        };
        let json = serde_json::to_string(&without).unwrap();
        assert!(!json.contains("site_alleles"), "{json}");
        let bad = r#"{"input": "vcf", "min_maf": 0.0, "missing": "mean", "ploidy": 2, "site_alleles": "3/40 41/40"}"#;
        let error = serde_json::from_str::<Featurization>(bad)
            .unwrap_err()
            .to_string();
        assert!(error.contains("'41/40'"), "{error}");
    }

    #[test]
    fn unknown_values_are_errors_naming_them() {
        for (json, named) in [
            (
                r#"{"input": "fasta", "features": "tnf", "alphabet": "rna", "min_length": 0}"#,
                "rna",
            ),
            (
                r#"{"input": "fasta", "features": "kmer:x", "alphabet": "dna", "min_length": 0}"#,
                "'x' is not a k-mer length",
            ),
            (
                r#"{"input": "fasta", "features": "tnf", "alphabet": "dna", "min_length": 0, "abundance": true, "abundance_transform": "raw"}"#,
                "unknown abundance_transform 'raw'",
            ),
            (
                r#"{"input": "vcf", "min_maf": 0.0, "missing": "zero", "ploidy": 2}"#,
                "zero",
            ),
            (r#"{"input": "zarr"}"#, "zarr"),
        ] {
            let error = serde_json::from_str::<Featurization>(json)
                .unwrap_err()
                .to_string();
            assert!(error.contains(named), "{json}: {error}");
        }
    }
}
