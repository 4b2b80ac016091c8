//! The sites of a trained model, for reading new samples into them
//! ([`VcfOptions::model_sites`](super::VcfOptions::model_sites)).

use std::collections::HashMap;

use crate::error::{Error, Result};

/// The sites a model was trained on, with their training allele counts where known
/// ([`VcfOptions::model_sites`](super::VcfOptions::model_sites)).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSites {
    /// `chrom:pos` names in the model's order, with their loci.
    pub(super) loci: Vec<(String, u64)>,
    index: HashMap<String, usize>,
    /// ALT alleles and called alleles per site in the training file; empty when unknown.
    alleles: Vec<(u32, u32)>,
    /// Alleles per genotype at a site absent from the file.
    pub(super) ploidy: u8,
}

impl ModelSites {
    /// The sites named `chrom:pos` in `names` (a model's feature names), with `alleles` (ALT
    /// and called alleles per site in the training file, as
    /// [`Genotypes::allele_counts`](super::Genotypes::allele_counts); empty when the model was
    /// saved without them) and the training `ploidy`.
    pub fn new(names: &[String], alleles: Vec<(u32, u32)>, ploidy: u8) -> Result<Self> {
        if !alleles.is_empty() && alleles.len() != names.len() {
            return Err(Error::option(
                "model_sites",
                format!("{} allele counts for {} sites", alleles.len(), names.len()),
                "save the model again (its site allele counts do not match its features)",
            ));
        }
        let mut loci = Vec::with_capacity(names.len());
        let mut index = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let locus = name
                .rsplit_once(':')
                .and_then(|(contig, position)| Some((contig.to_string(), position.parse().ok()?)));
            let Some(locus) = locus else {
                return Err(Error::option(
                    "model_sites",
                    format!("feature '{name}' is not a site named chrom:pos"),
                    "use a model trained on a VCF/BCF (--vcf)",
                ));
            };
            loci.push(locus);
            index.insert(name.clone(), i);
        }
        Ok(Self {
            loci,
            index,
            alleles,
            ploidy,
        })
    }

    /// The site at `contig`:`position`, if it is one of the model's, and whether it was
    /// found under the other spelling of its chromosome (`chr1` for `1`, or `1` for `chr1`:
    /// UCSC's names against Ensembl's and the 1000 Genomes').
    pub(super) fn find(&self, contig: &[u8], position: u64) -> Option<(usize, bool)> {
        let contig = String::from_utf8_lossy(contig);
        if let Some(&site) = self.index.get(&format!("{contig}:{position}")) {
            return Some((site, false));
        }
        let other = match contig.strip_prefix("chr") {
            Some(bare) => format!("{bare}:{position}"),
            None => format!("chr{contig}:{position}"),
        };
        self.index.get(&other).map(|&site| (site, true))
    }

    /// ALT-allele frequency of `site` among the training file's called alleles, if known.
    pub(super) fn training_frequency(&self, site: usize) -> Option<f64> {
        let &(alternate, called) = self.alleles.get(site)?;
        (called > 0).then(|| f64::from(alternate) / f64::from(called))
    }
}
