//! Genotypes from VCF/BCF → a samples × sites dosage matrix.
//!
//! Rows are samples (header order), columns are sites named `chrom:pos`, values are the
//! number of alternate alleles in each genotype (0/1/2 diploid, 0/1 haploid, phased or
//! not), held as one byte per genotype from the first record to the returned
//! [`FeatureMatrix`] (`Storage::Dosage`). Each genotype keeps its own ploidy: a file may mix
//! haploid and diploid calls (chrX in males), and [`Genotypes::ploidies`] says which is
//! which; allele frequencies count each genotype's own alleles. Input may be plain, gzip or BGZF text VCF, or BCF
//! (plain or BGZF); `-` reads stdin. VCFs written by msprime/tskit (REF `0`, ALT `1`) are
//! ordinary biallelic SNPs here.
//!
//! Per site, in this order: multi-allelic sites, non-SNPs (when `snps_only`), records
//! without a GT field (likelihood-only records), sites with no ALT or no alternate allele
//! observed (monomorphic), sites with no called genotype,
//! sites with missing genotypes (under [`MissingPolicy::DropSites`]), repeated positions,
//! and sites below `min_maf` are skipped and counted in the [`VcfReport`]. Thinning to
//! `max_sites` comes last. A file in which no record has GT is an error.
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
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use self::model_sites::ModelSites;

use self::bcf::BcfSites;
use self::sites::{PassingSite, SitePloidy, SiteTable, intern};
use self::text::TextVcf;
use crate::error::{Error, Result, Where};
use crate::input::{self, Input};
use crate::matrix::{DOSAGE_MISSING, FeatureMatrix};

mod bcf;
mod model_sites;
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
    /// Read as the site's mean dosage (as [`MissingPolicy::Mean`]) and give the call a ploidy
    /// of 0 in [`Genotypes::ploidies`]: the model's encoder reads the mean, its binomial
    /// likelihood leaves the call out (0 trials), so no fill value is fitted as if observed.
    Mask,
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
    /// Read new samples into a trained model's sites ([`ModelSites`]): only those sites are
    /// kept, none is skipped for being monomorphic, rare (`min_maf`) or uncalled in this file,
    /// `max_sites` does not apply, a site is found whether its chromosome is written `chr1` or
    /// `1`, and a site missing from the file is added with every call missing. Missing calls
    /// are imputed at the training allele frequency where the model has it (under
    /// [`MissingPolicy::DropSites`] as under [`MissingPolicy::Mean`]). A file lacking more
    /// than half of the model's sites, or all of them, is an error.
    pub model_sites: Option<Arc<ModelSites>>,
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
            model_sites: None,
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
    /// Skipped: no GT field (e.g. GL or PL only).
    pub no_genotype: u64,
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
    /// Skipped: not one of [`VcfOptions::model_sites`].
    pub not_in_model: u64,
    /// Sites of [`VcfOptions::model_sites`] missing from the file, added with every call
    /// imputed at the training frequency.
    pub absent: u64,
    /// Sites of [`VcfOptions::model_sites`] found under the other spelling of their
    /// chromosome (`chr1` in the file for the model's `1`, or the reverse).
    pub renamed_contig: u64,
    /// Missing genotypes in the returned matrix (filled by the site mean or drawn).
    pub imputed: u64,
    /// Genotypes in the returned matrix whose ploidy is below [`Genotypes::ploidy`]
    /// (haploid calls in a diploid file).
    pub lower_ploidy: u64,
}

/// A dosage matrix with its ploidy and what was skipped.
#[derive(Debug, Clone)]
pub struct Genotypes {
    /// Samples × sites, `Storage::Dosage`.
    pub matrix: FeatureMatrix,
    /// Alleles per genotype (1 haploid, 2 diploid), the largest when they differ; dosages
    /// run from 0 to ploidy.
    pub ploidy: u8,
    /// Each genotype's ploidy, samples × sites row-major like the matrix, when not every one
    /// is [`Genotypes::ploidy`]; a haploid ALT call is dosage 1 of ploidy 1. A missing
    /// genotype written with one allele or none (`.`) counts as the site's largest ploidy,
    /// except under [`MissingPolicy::Mask`], where every missing genotype has ploidy 0.
    pub ploidies: Option<Vec<u8>>,
    /// ALT alleles and called alleles per kept site, among this file's calls (what
    /// [`ModelSites::new`] takes back when new samples are read into a model's sites).
    pub allele_counts: Vec<(u32, u32)>,
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
    /// missing genotypes, and each genotype's ploidy (alleles written; 0 when the sample
    /// has no GT value); false when the record has no GT field.
    fn genotypes(&mut self, dosages: &mut [u8], ploidies: &mut [u8]) -> Result<bool>;
    /// Error position of the current record.
    fn here(&self) -> Where;
}

fn load<S: SiteSource>(mut source: S, name: &str, options: &VcfOptions) -> Result<Genotypes> {
    let samples = source.samples().to_vec();
    check_unique_samples(&samples, name)?;
    let n_samples = samples.len();
    let model = options.model_sites.as_deref();
    let mut report = VcfReport::default();
    let mut table = match model {
        // the model's sites are kept whole
        Some(_) => SiteTable::new(
            n_samples,
            &VcfOptions {
                max_sites: None,
                ..options.clone()
            },
        ),
        None => SiteTable::new(n_samples, options),
    };
    let mut impute_rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut row = vec![0u8; n_samples];
    let mut ploidies = vec![0u8; n_samples];
    let mut contigs: Vec<Vec<u8>> = Vec::new();
    let mut last_kept: Option<(u32, u64)> = None;
    let mut genotyped = 0u64;
    let mut first_without_gt: Option<Where> = None;
    let mut seen = vec![false; model.map_or(0, |model| model.loci.len())];
    let mut first_other_site: Option<String> = None;

    while source.next_site()? {
        report.records += 1;
        // a model's site that this file shows without ALT is read (every call REF)
        let no_alternate_in_model = model.is_some() && source.alleles() == AlleleKind::NoAlternate;
        if !no_alternate_in_model && !biallelic(source.alleles(), options, &mut report) {
            continue;
        }
        if !source.genotypes(&mut row, &mut ploidies)? {
            report.no_genotype += 1;
            first_without_gt.get_or_insert_with(|| source.here());
            continue;
        }
        genotyped += 1;
        let model_site = match model {
            Some(model) => match model.find(source.contig(), source.position()) {
                Some((site, _)) if seen[site] => {
                    report.duplicate_position += 1;
                    continue;
                }
                Some((site, renamed)) => {
                    report.renamed_contig += u64::from(renamed);
                    Some((model, site))
                }
                None => {
                    report.not_in_model += 1;
                    first_other_site.get_or_insert_with(|| {
                        let contig = String::from_utf8_lossy(source.contig());
                        format!("{contig}:{}", source.position())
                    });
                    continue;
                }
            },
            None => None,
        };
        let counts = match model_site {
            Some((model, site)) => SiteCounts::in_model(
                &row,
                &mut ploidies,
                model.training_frequency(site),
                &mut report,
            ),
            None => SiteCounts::of(&row, &mut ploidies, options, &mut report),
        };
        let Some(counts) = counts else {
            continue;
        };
        // a model's site is named as the model names it
        let contig = match model_site {
            Some((model, site)) => intern(&mut contigs, model.loci[site].0.as_bytes()),
            None => intern(&mut contigs, source.contig()),
        };
        let position = source.position();
        if last_kept == Some((contig, position)) {
            report.duplicate_position += 1;
            continue;
        }
        last_kept = Some((contig, position));
        if let Some((_, site)) = model_site {
            seen[site] = true;
        }
        let locus = (contig, position);
        let mut site = ReadSite {
            row: &mut row,
            ploidies: &mut ploidies,
            counts: &counts,
        };
        site.impute_and_push(locus, options.missing, &mut impute_rng, &mut table);
    }

    if genotyped == 0
        && let Some(at) = first_without_gt
    {
        return Err(no_gt_anywhere(at, report.no_genotype));
    }
    if let Some(model) = model {
        if !seen.contains(&true) {
            return Err(no_model_site(model, first_other_site, name));
        }
        let unseen = seen.iter().filter(|seen| !**seen).count();
        if unseen * 2 > seen.len() {
            return Err(most_model_sites_absent(unseen, seen.len(), name));
        }
        for (site, _) in seen.iter().enumerate().filter(|(_, seen)| !**seen) {
            // without the training frequency the site stays out (and the caller says so)
            let Some(frequency) = model.training_frequency(site) else {
                continue;
            };
            report.absent += 1;
            row.fill(DOSAGE_MISSING);
            ploidies.fill(model.ploidy);
            // every call missing: filled at the training frequency, as a read site's are
            let Some(counts) =
                SiteCounts::in_model(&row, &mut ploidies, Some(frequency), &mut report)
            else {
                continue;
            };
            let (contig, position) = &model.loci[site];
            let locus = (intern(&mut contigs, contig.as_bytes()), *position);
            let mut site = ReadSite {
                row: &mut row,
                ploidies: &mut ploidies,
                counts: &counts,
            };
            site.impute_and_push(locus, options.missing, &mut impute_rng, &mut table);
        }
    }
    if table.is_empty() {
        return Err(no_passing_site(&report, name));
    }
    finish(table, &contigs, samples, report, name)
}

/// One site's calls as read, with their counts.
struct ReadSite<'a> {
    row: &'a mut [u8],
    ploidies: &'a mut [u8],
    counts: &'a SiteCounts,
}

impl ReadSite<'_> {
    /// Applies the missing-call `policy` (masked calls get ploidy 0, binomial ones a draw
    /// from `rng`) and stores the site at `locus` (contig index, position).
    fn impute_and_push(
        &mut self,
        locus: (u32, u64),
        policy: MissingPolicy,
        rng: &mut ChaCha8Rng,
        table: &mut SiteTable,
    ) {
        let counts = self.counts;
        if counts.missing > 0 && policy == MissingPolicy::Mask {
            for (&dosage, ploidy) in self.row.iter().zip(self.ploidies.iter_mut()) {
                if dosage == DOSAGE_MISSING {
                    *ploidy = 0;
                }
            }
        }
        if counts.missing > 0 && policy == MissingPolicy::Binomial {
            for (dosage, &ploidy) in self.row.iter_mut().zip(self.ploidies.iter()) {
                if *dosage == DOSAGE_MISSING {
                    *dosage = (0..ploidy)
                        .filter(|_| rng.random_bool(counts.frequency))
                        .count() as u8;
                }
            }
        }
        table.push(PassingSite {
            contig: locus.0,
            position: locus.1,
            row: self.row,
            ploidy: SitePloidy::of(self.ploidies),
            fill: counts.mean_dosage,
            missing: counts.missing as u32,
            alleles: counts.alleles,
        });
    }
}

/// The error when none of a model's sites is in the file.
fn no_model_site(model: &ModelSites, file_site: Option<String>, name: &str) -> Error {
    let example = model
        .loci
        .first()
        .map_or(String::new(), |(contig, position)| {
            format!("{contig}:{position}")
        });
    let file_site = file_site.map_or(String::new(), |site| format!(", this file's e.g. {site}"));
    Error::invalid(
        Where::file(name),
        format!(
            "none of the model's {} sites is in the file (the model's e.g. {example}{file_site})",
            model.loci.len()
        ),
        "give a VCF of the same sites and reference build as the training input (check chromosome names: chr1 against 1)",
    )
}

/// Imputing more than half of a model's sites at their training frequencies would place
/// every sample near the middle of the map.
fn most_model_sites_absent(absent: usize, sites: usize, name: &str) -> Error {
    Error::invalid(
        Where::file(name),
        format!(
            "{absent} of the model's {sites} sites are not in the file (imputing more than half of them at the training allele frequency would place every sample near the middle)"
        ),
        "give a VCF genotyped or imputed at the model's sites (same reference build and chromosome names), or train on this file",
    )
}

/// Counts a record skipped for its alleles; true for a biallelic site to read.
fn biallelic(alleles: AlleleKind, options: &VcfOptions, report: &mut VcfReport) -> bool {
    match alleles {
        AlleleKind::MultiAllelic => report.multiallelic += 1,
        AlleleKind::NotSnp if options.snps_only => report.not_snp += 1,
        AlleleKind::NoAlternate => report.monomorphic += 1,
        AlleleKind::Snp | AlleleKind::NotSnp => return true,
    }
    false
}

/// Allele counts of one site's genotypes.
struct SiteCounts {
    missing: u64,
    /// ALT alleles among called alleles (the frequency missing calls are imputed at).
    frequency: f64,
    /// The fill for missing genotypes: the mean dosage of the called ones, or under
    /// [`VcfOptions::model_sites`] the site's ploidy × the training frequency.
    mean_dosage: f32,
    /// ALT alleles and called alleles among the file's genotypes.
    alleles: (u32, u32),
}

/// What one site's genotypes hold.
struct Tally {
    alternate: u64,
    missing: u64,
    called: u64,
    called_alleles: u64,
    largest: u8,
}

impl Tally {
    /// Counts the site, giving missing genotypes written with fewer than two alleles the
    /// site's largest ploidy.
    fn of(row: &[u8], ploidies: &mut [u8]) -> Self {
        let (mut alternate, mut missing, mut called, mut called_alleles) = (0u64, 0u64, 0u64, 0u64);
        let mut largest = 0u8;
        for (&dosage, &ploidy) in row.iter().zip(ploidies.iter()) {
            largest = largest.max(ploidy);
            if dosage == DOSAGE_MISSING {
                missing += 1;
            } else {
                alternate += u64::from(dosage);
                called += 1;
                called_alleles += u64::from(ploidy);
            }
        }
        for (&dosage, ploidy) in row.iter().zip(ploidies.iter_mut()) {
            if dosage == DOSAGE_MISSING && *ploidy < 2 {
                *ploidy = largest;
            }
        }
        Self {
            alternate,
            missing,
            called,
            called_alleles,
            largest,
        }
    }

    fn alleles(&self) -> (u32, u32) {
        let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        (clamp(self.alternate), clamp(self.called_alleles))
    }
}

impl SiteCounts {
    /// Counts the site; `None` (counted in `report`) when the site is skipped for having no
    /// call, one allele only, a missing genotype under `DropSites`, or its MAF.
    fn of(
        row: &[u8],
        ploidies: &mut [u8],
        options: &VcfOptions,
        report: &mut VcfReport,
    ) -> Option<Self> {
        let tally = Tally::of(row, ploidies);
        let skipped = if tally.called == 0 {
            &mut report.all_missing
        } else if tally.alternate == 0 || tally.alternate == tally.called_alleles {
            &mut report.monomorphic
        } else if tally.missing > 0 && options.missing == MissingPolicy::DropSites {
            &mut report.dropped_missing
        } else {
            let frequency = tally.alternate as f64 / tally.called_alleles as f64;
            if frequency.min(1.0 - frequency) >= options.min_maf {
                return Some(Self {
                    missing: tally.missing,
                    frequency,
                    mean_dosage: (tally.alternate as f64 / tally.called as f64) as f32,
                    alleles: tally.alleles(),
                });
            }
            &mut report.low_maf
        };
        *skipped += 1;
        None
    }

    /// Counts one of a model's sites, skipping none that can be imputed: missing calls at
    /// the `training` frequency where known, else at this file's; `None` (counted as
    /// all-missing) when neither is known.
    fn in_model(
        row: &[u8],
        ploidies: &mut [u8],
        training: Option<f64>,
        report: &mut VcfReport,
    ) -> Option<Self> {
        let tally = Tally::of(row, ploidies);
        let (frequency, mean_dosage) = match training {
            Some(frequency) => (frequency, frequency * f64::from(tally.largest)),
            None if tally.called > 0 => (
                tally.alternate as f64 / tally.called_alleles as f64,
                tally.alternate as f64 / tally.called as f64,
            ),
            None => {
                report.all_missing += 1;
                return None;
            }
        };
        Some(Self {
            missing: tally.missing,
            frequency,
            mean_dosage: mean_dosage as f32,
            alleles: tally.alleles(),
        })
    }
}

/// The matrix of the kept sites.
fn finish(
    table: SiteTable,
    contigs: &[Vec<u8>],
    samples: Vec<String>,
    mut report: VcfReport,
    name: &str,
) -> Result<Genotypes> {
    let kept = table.finish(contigs);
    report.kept = kept.col_names.len();
    report.imputed = kept.imputed;
    report.thinned = kept.thinned;
    report.lower_ploidy = kept.ploidies.as_ref().map_or(0, |ploidies| {
        // 0: a masked missing call, not a lower ploidy
        ploidies
            .iter()
            .filter(|&&p| p > 0 && p < kept.ploidy)
            .count() as u64
    });
    let matrix = FeatureMatrix::from_dosage(samples, kept.col_names, kept.codes, kept.fill)
        .map_err(|error| unsorted(error, name))?;
    Ok(Genotypes {
        matrix,
        ploidy: kept.ploidy,
        ploidies: kept.ploidies,
        allele_counts: kept.alleles,
        report,
    })
}

/// The error when no record has a GT field, at the first record without one.
fn no_gt_anywhere(at: Where, without: u64) -> Error {
    Error::invalid(
        at,
        format!(
            "FORMAT has no GT field, and no other biallelic record has one ({without} records without GT)"
        ),
        "give a VCF with genotypes (GT); likelihood-only (GL/PL) or sites-only VCFs hold no dosages — call genotypes first (e.g. bcftools call)",
    )
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
    let without_gt = if report.no_genotype > 0 {
        format!(", {} without GT", report.no_genotype)
    } else {
        String::new()
    };
    Error::invalid(
        Where::file(name),
        format!(
            "no site passed the filters ({} records: {} multi-allelic, {} not SNPs{without_gt}, {} monomorphic, {} without calls, {} with missing genotypes dropped, {} below min_maf)",
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
mod tests;
