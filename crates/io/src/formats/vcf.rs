//! Genotypes from VCF/BCF → a samples × sites dosage matrix.
//!
//! Rows are samples (header order), columns are sites named `chrom:pos`, values are the
//! number of alternate alleles in each genotype (0/1/2 diploid, 0/1 haploid, phased or
//! not), held as one byte per genotype from the first record to the returned
//! [`FeatureMatrix`] (`Storage::Dosage`). Input may be plain, gzip or BGZF text VCF, or BCF
//! (plain or BGZF); `-` reads stdin. VCFs written by msprime/tskit (REF `0`, ALT `1`) are
//! ordinary biallelic SNPs here.
//!
//! Per site, in this order: multi-allelic sites, non-SNPs (when `snps_only`), sites with
//! no ALT or no alternate allele observed (monomorphic), sites with no called genotype,
//! sites with missing genotypes (under [`MissingPolicy::DropSites`]), repeated positions,
//! and sites below `min_maf` are skipped and counted in the [`VcfReport`]. Thinning to
//! `max_sites` comes last.
//!
//! ```no_run
//! use vaebio_io::formats::vcf::{read_genotypes, MissingPolicy, VcfOptions};
//! let options = VcfOptions { missing: MissingPolicy::Binomial, seed: 7, ..VcfOptions::default() };
//! let genotypes = read_genotypes("cohort.vcf.gz", &options)?;
//! eprintln!("{} samples × {} sites, ploidy {}", genotypes.matrix.n_rows(),
//!     genotypes.matrix.n_cols(), genotypes.ploidy);
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use self::bcf::BcfSites;
use self::sites::{SiteTable, intern};
use self::text::TextVcf;
use crate::error::{Error, Result, Where};
use crate::input::{self, Input};
use crate::matrix::{DOSAGE_MISSING, FeatureMatrix};

mod bcf;
mod sites;
mod text;

/// What to do with missing genotypes (`./.`, `.`, or a partly missing call like `0/.`).
///
/// In a saved [`Featurization`](crate::Featurization) it is written `mean`, `binomial` or
/// `dropsites` (as vaebio always has); `drop-sites`, the command-line spelling, is read too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// Read as the site's mean dosage among called genotypes (stored as a per-site fill
    /// value, so the byte storage is kept).
    #[default]
    Mean,
    /// Draw Binomial(ploidy, alternate-allele frequency) with a seeded RNG, as popvae does.
    Binomial,
    /// Drop every site with a missing genotype.
    #[serde(alias = "drop-sites")]
    DropSites,
}

/// How `max_sites` picks sites when more pass the filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Thinning {
    /// Sites at evenly spaced ranks among the passing sites in file order (rank
    /// `floor(i · n / max_sites)` for `i = 0..max_sites`); holds all passing sites in memory
    /// until the end.
    #[default]
    EvenlySpaced,
    /// A uniform random subset drawn with the seed (reservoir sampling), returned in file
    /// order; holds only `max_sites` sites in memory.
    Random,
}

/// Options for [`read_genotypes`]; check them with [`VcfOptions::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct VcfOptions {
    /// Missing-genotype policy.
    pub missing: MissingPolicy,
    /// Seed for binomial imputation and random thinning.
    pub seed: u64,
    /// Minimum minor-allele frequency among called alleles, in `[0, 0.5]`.
    pub min_maf: f64,
    /// Keep at most this many sites (`None`: all).
    pub max_sites: Option<usize>,
    /// How sites are picked when `max_sites` applies.
    pub thinning: Thinning,
    /// Keep only biallelic SNPs (REF and ALT one base each); false also keeps biallelic
    /// indels. Multi-allelic sites are always skipped.
    pub snps_only: bool,
}

impl Default for VcfOptions {
    fn default() -> Self {
        Self {
            missing: MissingPolicy::Mean,
            seed: 0,
            min_maf: 0.0,
            max_sites: None,
            thinning: Thinning::EvenlySpaced,
            snps_only: true,
        }
    }
}

impl VcfOptions {
    /// Checks ranges before any file is opened.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=0.5).contains(&self.min_maf) {
            return Err(Error::option(
                "min_maf",
                format!("{} is outside [0, 0.5]", self.min_maf),
                "give a minor-allele frequency between 0 and 0.5, e.g. 0.05",
            ));
        }
        if self.max_sites == Some(0) {
            return Err(Error::option(
                "max_sites",
                "0 keeps no site",
                "give a positive number of sites, or leave it unset to keep all",
            ));
        }
        Ok(())
    }
}

/// Counts of records read and sites skipped, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VcfReport {
    /// Data records read.
    pub records: u64,
    /// Sites in the returned matrix.
    pub kept: usize,
    /// Skipped: more than one ALT allele.
    pub multiallelic: u64,
    /// Skipped: indel or symbolic allele (with `snps_only`).
    pub not_snp: u64,
    /// Skipped: no ALT, or only one allele observed among called genotypes.
    pub monomorphic: u64,
    /// Skipped: no called genotype at all.
    pub all_missing: u64,
    /// Skipped: a missing genotype under [`MissingPolicy::DropSites`].
    pub dropped_missing: u64,
    /// Skipped: same `chrom:pos` as the previous kept site.
    pub duplicate_position: u64,
    /// Skipped: minor-allele frequency below `min_maf`.
    pub low_maf: u64,
    /// Passed the filters but left out by `max_sites`.
    pub thinned: u64,
    /// Missing genotypes in the returned matrix (filled by the site mean or drawn).
    pub imputed: u64,
}

/// A dosage matrix with its ploidy and what was skipped.
#[derive(Debug, Clone)]
pub struct Genotypes {
    /// Samples × sites, `Storage::Dosage`.
    pub matrix: FeatureMatrix,
    /// Alleles per genotype (1 haploid, 2 diploid); dosages run from 0 to ploidy.
    pub ploidy: u8,
    /// Records read and sites skipped.
    pub report: VcfReport,
}

/// Reads a VCF or BCF file (plain, gzip or BGZF; `-` for stdin) into dosages.
pub fn read_genotypes(path: impl AsRef<Path>, options: &VcfOptions) -> Result<Genotypes> {
    options.validate()?;
    read_genotypes_from(input::open(path)?, options)
}

/// Like [`read_genotypes`] for an already opened input (e.g. bytes in memory).
pub fn read_genotypes_from(mut input: Input, options: &VcfOptions) -> Result<Genotypes> {
    options.validate()?;
    let name = input.name().to_string();
    let head = input
        .fill_buf()
        .map_err(|e| Error::from_read(Where::file(name.clone()), e))?;
    if head.is_empty() {
        return Err(Error::Empty {
            at: Where::file(name),
            what: "VCF header".into(),
        });
    }
    if head.starts_with(b"BCF") {
        load(BcfSites::new(input, &name)?, &name, options)
    } else {
        load(TextVcf::new(input, &name)?, &name, options)
    }
}

/// Alleles of a record as far as dosages care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlleleKind {
    /// One REF and one ALT base.
    Snp,
    /// Biallelic, but an indel or symbolic allele.
    NotSnp,
    /// More than one ALT allele.
    MultiAllelic,
    /// ALT is `.`.
    NoAlternate,
}

/// A reader of sites, one record at a time (text VCF or BCF).
pub(crate) trait SiteSource {
    /// Sample names from the header.
    fn samples(&self) -> &[String];
    /// Advances to the next record; false at the end.
    fn next_site(&mut self) -> Result<bool>;
    /// CHROM of the current record.
    fn contig(&self) -> &[u8];
    /// 1-based POS of the current record.
    fn position(&self) -> u64;
    /// REF/ALT class of the current record.
    fn alleles(&self) -> AlleleKind;
    /// Alternate-allele dosages of the current (biallelic) record, [`DOSAGE_MISSING`] for
    /// missing genotypes; sets or checks the ploidy.
    fn genotypes(&mut self, dosages: &mut [u8], ploidy: &mut Option<u8>) -> Result<()>;
    /// Error position of the current record.
    fn here(&self) -> Where;
}

fn load<S: SiteSource>(mut source: S, name: &str, options: &VcfOptions) -> Result<Genotypes> {
    let samples = source.samples().to_vec();
    check_unique_samples(&samples, name)?;
    let n_samples = samples.len();
    let mut report = VcfReport::default();
    let mut table = SiteTable::new(n_samples, options);
    let mut impute_rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut row = vec![0u8; n_samples];
    let mut ploidy: Option<u8> = None;
    let mut contigs: Vec<Vec<u8>> = Vec::new();
    let mut last_kept: Option<(u32, u64)> = None;

    while source.next_site()? {
        report.records += 1;
        match source.alleles() {
            AlleleKind::MultiAllelic => {
                report.multiallelic += 1;
                continue;
            }
            AlleleKind::NotSnp if options.snps_only => {
                report.not_snp += 1;
                continue;
            }
            AlleleKind::NoAlternate => {
                report.monomorphic += 1;
                continue;
            }
            AlleleKind::Snp | AlleleKind::NotSnp => {}
        }
        source.genotypes(&mut row, &mut ploidy)?;
        let site_ploidy = u64::from(ploidy.unwrap_or(1));
        let (mut alternate, mut missing) = (0u64, 0u64);
        for &dosage in &row {
            if dosage == DOSAGE_MISSING {
                missing += 1;
            } else {
                alternate += u64::from(dosage);
            }
        }
        let called = n_samples as u64 - missing;
        if called == 0 {
            report.all_missing += 1;
            continue;
        }
        let called_alleles = called * site_ploidy;
        if alternate == 0 || alternate == called_alleles {
            report.monomorphic += 1;
            continue;
        }
        if missing > 0 && options.missing == MissingPolicy::DropSites {
            report.dropped_missing += 1;
            continue;
        }
        let frequency = alternate as f64 / called_alleles as f64;
        if frequency.min(1.0 - frequency) < options.min_maf {
            report.low_maf += 1;
            continue;
        }
        let contig = intern(&mut contigs, source.contig());
        let position = source.position();
        if last_kept == Some((contig, position)) {
            report.duplicate_position += 1;
            continue;
        }
        last_kept = Some((contig, position));
        if missing > 0 && options.missing == MissingPolicy::Binomial {
            for dosage in row.iter_mut().filter(|d| **d == DOSAGE_MISSING) {
                *dosage = (0..site_ploidy)
                    .filter(|_| impute_rng.random_bool(frequency))
                    .count() as u8;
            }
        }
        let fill = (alternate as f64 / called as f64) as f32;
        table.push(contig, position, &row, fill, missing as u32);
    }

    let (Some(ploidy), false) = (ploidy, table.is_empty()) else {
        return Err(no_passing_site(&report, name));
    };
    let (col_names, codes, fill, imputed, thinned) = table.finish(&contigs);
    report.kept = col_names.len();
    report.imputed = imputed;
    report.thinned = thinned;
    let matrix = FeatureMatrix::from_dosage(samples, col_names, codes, fill)
        .map_err(|error| unsorted(error, name))?;
    Ok(Genotypes {
        matrix,
        ploidy,
        report,
    })
}

/// Sample names must be unique: they name the rows.
fn check_unique_samples(samples: &[String], name: &str) -> Result<()> {
    let mut seen = HashSet::with_capacity(samples.len());
    for sample in samples {
        if !seen.insert(sample.as_str()) {
            return Err(Error::DuplicateName {
                at: Where::other(name, "header"),
                kind: "sample".into(),
                name: sample.clone(),
            });
        }
    }
    Ok(())
}

/// The error when every site was skipped, with the counts by reason.
fn no_passing_site(report: &VcfReport, name: &str) -> Error {
    Error::invalid(
        Where::file(name),
        format!(
            "no site passed the filters ({} records: {} multi-allelic, {} not SNPs, {} monomorphic, {} without calls, {} with missing genotypes dropped, {} below min_maf)",
            report.records,
            report.multiallelic,
            report.not_snp,
            report.monomorphic,
            report.all_missing,
            report.dropped_missing,
            report.low_maf
        ),
        "give a VCF with polymorphic biallelic sites, or relax min_maf / snps_only / the missing policy",
    )
}

/// Repeats next to each other are skipped while reading; a duplicate site name left in the
/// matrix means the repeats are apart (unsorted input).
fn unsorted(error: Error, name: &str) -> Error {
    match error {
        Error::DuplicateName { name: site, .. } => Error::invalid(
            Where::file(name),
            format!("site {site} appears twice, apart from each other"),
            "sort the file (bcftools sort) and remove duplicate records (bcftools norm -d exact)",
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;
    use crate::matrix::Storage;
    use crate::testdata::testdata;

    fn from_text(text: &str, options: &VcfOptions) -> Result<Genotypes> {
        let input = input::from_reader("test.vcf", Cursor::new(text.as_bytes().to_vec()))?;
        read_genotypes_from(input, options)
    }

    const HEADER: &str =
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\n";

    /// testdata/variants.vcf, dosages worked out by hand from its GT columns:
    /// chr1:100 0/0 0/1 1/1 ./.  → 0 1 2 missing; 3 ALT of 6 called alleles, mean dosage 3/3 = 1
    /// chr1:200 multi-allelic, chr1:300 indel, chr1:400 and chr1:500 monomorphic
    /// chr2:150 1|0 0|0 ./. 0|1  → 1 0 missing 1; mean dosage 2/3
    /// chr2:250 1/1 1/1 1/1 0/1  → 2 2 2 1; ALT frequency 7/8, MAF 0.125
    /// chr2:350 all missing
    fn expected_mean_dosages() -> Vec<f32> {
        vec![
            0.0,
            1.0,
            2.0, //
            1.0,
            0.0,
            2.0, //
            2.0,
            2.0 / 3.0,
            2.0, //
            1.0,
            1.0,
            1.0,
        ]
    }

    #[test]
    fn hand_written_vcf_gives_hand_computed_dosages() {
        let genotypes = read_genotypes(testdata("variants.vcf"), &VcfOptions::default()).unwrap();
        let matrix = &genotypes.matrix;
        assert_eq!(matrix.row_names(), ["s1", "s2", "s3", "s4"]);
        assert_eq!(matrix.col_names(), ["chr1:100", "chr2:150", "chr2:250"]);
        assert_eq!(genotypes.ploidy, 2);
        let dense = matrix.to_dense();
        for (got, want) in dense.iter().zip(expected_mean_dosages()) {
            assert!((got - want).abs() < 1e-6, "{dense:?}");
        }
        assert!(matches!(matrix.storage(), Storage::Dosage(_)));
        let report = &genotypes.report;
        assert_eq!(report.records, 8);
        assert_eq!(report.kept, 3);
        assert_eq!(report.multiallelic, 1);
        assert_eq!(report.not_snp, 1);
        assert_eq!(report.monomorphic, 2);
        assert_eq!(report.all_missing, 1);
        assert_eq!(report.imputed, 2);
    }

    #[test]
    fn bgzip_and_bcf_give_the_same_matrix_as_plain_text() {
        let options = VcfOptions::default();
        let plain = read_genotypes(testdata("variants.vcf"), &options).unwrap();
        for name in ["variants.vcf.gz", "variants.bcf"] {
            let other = read_genotypes(testdata(name), &options).unwrap();
            assert_eq!(other.matrix, plain.matrix, "{name}");
            assert_eq!(other.report, plain.report, "{name}");
            assert_eq!(other.ploidy, 2);
        }
    }

    #[test]
    fn min_maf_drop_sites_and_binomial() {
        let options = VcfOptions {
            min_maf: 0.2,
            ..VcfOptions::default()
        };
        let genotypes = read_genotypes(testdata("variants.vcf"), &options).unwrap();
        assert_eq!(genotypes.matrix.col_names(), ["chr1:100", "chr2:150"]);
        assert_eq!(genotypes.report.low_maf, 1);

        let options = VcfOptions {
            missing: MissingPolicy::DropSites,
            ..VcfOptions::default()
        };
        let genotypes = read_genotypes(testdata("variants.vcf"), &options).unwrap();
        assert_eq!(genotypes.matrix.col_names(), ["chr2:250"]);
        assert_eq!(genotypes.report.dropped_missing, 2);
        assert_eq!(genotypes.matrix.to_dense(), [2.0, 2.0, 2.0, 1.0]);

        let options = VcfOptions {
            missing: MissingPolicy::Binomial,
            seed: 3,
            ..VcfOptions::default()
        };
        let first = read_genotypes(testdata("variants.vcf"), &options).unwrap();
        let again = read_genotypes(testdata("variants.vcf"), &options).unwrap();
        assert_eq!(first.matrix, again.matrix, "same seed, same draws");
        let Storage::Dosage(dosage) = first.matrix.storage() else {
            panic!("dosage storage expected");
        };
        assert!(
            dosage.codes().iter().all(|&c| c <= 2),
            "every missing genotype drawn"
        );
        // Called genotypes are untouched.
        let dense = first.matrix.to_dense();
        for (index, (got, want)) in dense.iter().zip(expected_mean_dosages()).enumerate() {
            if index != 7 && index != 9 {
                assert_eq!(*got, want);
            }
        }
    }

    #[test]
    fn msprime_haploid_vcf_and_indels_when_asked() {
        let text = format!(
            "{HEADER}1\t10\t0\t0\t1\t.\tPASS\t.\tGT\t0\t1\t1\n1\t20\t1\t0\t1\t.\tPASS\t.\tGT\t1\t0\t.\n1\t30\t.\tA\tAT\t.\tPASS\t.\tGT\t1\t0\t0\n"
        );
        let genotypes = from_text(&text, &VcfOptions::default()).unwrap();
        assert_eq!(genotypes.ploidy, 1);
        assert_eq!(genotypes.matrix.col_names(), ["1:10", "1:20"]);
        // Site 1:20 mean among called = 1/2.
        assert_eq!(genotypes.matrix.to_dense(), [0.0, 1.0, 1.0, 0.0, 1.0, 0.5]);
        let with_indels = VcfOptions {
            snps_only: false,
            ..VcfOptions::default()
        };
        let genotypes = from_text(&text, &with_indels).unwrap();
        assert_eq!(genotypes.matrix.n_cols(), 3);
    }

    #[test]
    fn thinning_keeps_file_order_and_is_seeded() {
        let mut text = HEADER.to_string();
        for position in 1..=10 {
            text.push_str(&format!(
                "c\t{position}\t.\tA\tC\t.\t.\t.\tGT\t0/1\t0/0\t1/1\n"
            ));
        }
        let even = VcfOptions {
            max_sites: Some(4),
            ..VcfOptions::default()
        };
        let genotypes = from_text(&text, &even).unwrap();
        // Ranks floor(i * 10 / 4) = 0, 2, 5, 7 → positions 1, 3, 6, 8.
        assert_eq!(genotypes.matrix.col_names(), ["c:1", "c:3", "c:6", "c:8"]);
        assert_eq!(genotypes.report.thinned, 6);
        let random = VcfOptions {
            max_sites: Some(4),
            thinning: Thinning::Random,
            seed: 11,
            ..VcfOptions::default()
        };
        let first = from_text(&text, &random).unwrap();
        let again = from_text(&text, &random).unwrap();
        assert_eq!(first.matrix.col_names(), again.matrix.col_names());
        assert_eq!(first.matrix.n_cols(), 4);
        let positions: Vec<u64> = first
            .matrix
            .col_names()
            .iter()
            .map(|name| name[2..].parse().unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }

    #[test]
    fn vcf_without_gt_is_an_error_naming_the_line() {
        let text = format!("{HEADER}1\t10\t.\tA\tC\t.\t.\t.\tDP\t3\t4\t5\n");
        let error = from_text(&text, &VcfOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("test.vcf:line 3: FORMAT has no GT field"),
            "{error}"
        );
    }

    #[test]
    fn mixed_ploidy_is_an_error_naming_sample_and_line() {
        let text = format!("{HEADER}1\t10\t.\tA\tC\t.\t.\t.\tGT\t0/1\t1\t0/0\n");
        let error = from_text(&text, &VcfOptions::default()).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("test.vcf:line 3: sample 'b' has ploidy 1"),
            "{message}"
        );
    }

    #[test]
    fn malformed_lines_are_errors_naming_the_line() {
        let short = format!("{HEADER}1\t10\t.\tA\n");
        let error = from_text(&short, &VcfOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("test.vcf:line 3: 4 tab-separated fields"),
            "{error}"
        );

        let ragged = format!("{HEADER}1\t10\t.\tA\tC\t.\t.\t.\tGT\t0/1\t1/1\n");
        let error = from_text(&ragged, &VcfOptions::default()).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Ragged {
                    found: 11,
                    expected: 12,
                    ..
                }
            ),
            "{error}"
        );

        let bad_position = format!("{HEADER}1\tten\t.\tA\tC\t.\t.\t.\tGT\t0/1\t1/1\t0/0\n");
        let error = from_text(&bad_position, &VcfOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("line 3: POS is not a positive integer"),
            "{error}"
        );

        let bad_allele = format!("{HEADER}1\t10\t.\tA\tC\t.\t.\t.\tGT\t0/1\tA/C\t0/0\n");
        let error = from_text(&bad_allele, &VcfOptions::default()).unwrap_err();
        assert!(
            error.to_string().contains("line 3: sample 'b' has a GT"),
            "{error}"
        );
    }

    #[test]
    fn headers_are_checked() {
        let error = from_text("", &VcfOptions::default()).unwrap_err();
        assert!(matches!(error, Error::Empty { .. }), "{error}");
        let error = from_text("gene\tcell\n", &VcfOptions::default()).unwrap_err();
        assert!(error.to_string().contains("not a VCF file"), "{error}");
        let duplicate =
            "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\ta\n";
        let error = from_text(duplicate, &VcfOptions::default()).unwrap_err();
        assert!(matches!(error, Error::DuplicateName { .. }), "{error}");
        let sites_only = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
        let error = from_text(sites_only, &VcfOptions::default()).unwrap_err();
        assert!(error.to_string().contains("names no samples"), "{error}");
    }

    #[test]
    fn repeated_positions_are_skipped_or_reported() {
        let site = |position: u32| format!("1\t{position}\t.\tA\tC\t.\t.\t.\tGT\t0/1\t1/1\t0/0\n");
        let adjacent = format!("{HEADER}{}{}{}", site(10), site(10), site(20));
        let genotypes = from_text(&adjacent, &VcfOptions::default()).unwrap();
        assert_eq!(genotypes.matrix.col_names(), ["1:10", "1:20"]);
        assert_eq!(genotypes.report.duplicate_position, 1);
        let apart = format!("{HEADER}{}{}{}", site(10), site(20), site(10));
        let error = from_text(&apart, &VcfOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("test.vcf: site 1:10 appears twice"),
            "{error}"
        );
    }

    #[test]
    fn no_passing_site_is_an_error_with_the_counts() {
        let text = format!("{HEADER}1\t10\t.\tA\tC,G\t.\t.\t.\tGT\t0/1\t1/2\t0/0\n");
        let error = from_text(&text, &VcfOptions::default()).unwrap_err();
        assert!(error.to_string().contains("1 multi-allelic"), "{error}");
    }

    #[test]
    fn truncated_bgzf_and_bcf_are_typed_errors() {
        let bytes = std::fs::read(testdata("variants.vcf.gz")).unwrap();
        let cut = bytes[..bytes.len() * 2 / 3].to_vec();
        let input = input::from_reader("cut.vcf.gz", Cursor::new(cut)).unwrap();
        let error = read_genotypes_from(input, &VcfOptions::default()).unwrap_err();
        assert!(matches!(error, Error::Truncated { .. }), "{error}");

        // Decompress the BCF, then cut a record in half.
        let mut bcf = Vec::new();
        input::open(testdata("variants.bcf"))
            .unwrap()
            .read_to_end(&mut bcf)
            .unwrap();
        bcf.truncate(bcf.len() - 10);
        let input = input::from_reader("cut.bcf", Cursor::new(bcf)).unwrap();
        let error = read_genotypes_from(input, &VcfOptions::default()).unwrap_err();
        assert!(matches!(error, Error::Truncated { .. }), "{error}");
        assert!(error.to_string().starts_with("cut.bcf:record 8"), "{error}");
    }

    #[test]
    fn options_are_validated() {
        let bad_maf = VcfOptions {
            min_maf: 0.7,
            ..VcfOptions::default()
        };
        assert!(matches!(
            bad_maf.validate(),
            Err(Error::InvalidOption { .. })
        ));
        let no_sites = VcfOptions {
            max_sites: Some(0),
            ..VcfOptions::default()
        };
        assert!(no_sites.validate().is_err());
    }
}
