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
    /// A file's chromosome name → the id (in `index`'s keys) of the model's chromosome of that
    /// name, and of the model's chromosome under the other spelling (`chr1` for `1`, or `1`
    /// for `chr1`).
    contigs: HashMap<Vec<u8>, (Option<u32>, Option<u32>)>,
    /// (model chromosome, position) → site.
    index: HashMap<(u32, u64), usize>,
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
        let mut model_contigs: HashMap<&str, u32> = HashMap::new();
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
            let next = model_contigs.len() as u32;
            let contig = *model_contigs.entry(locus_contig(name)).or_insert(next);
            // names that parse to one locus (`chr1:100`, `chr1:0100`): the first is found
            index.entry((contig, locus.1)).or_insert(i);
            loci.push(locus);
        }
        let mut contigs: HashMap<Vec<u8>, (Option<u32>, Option<u32>)> = HashMap::new();
        for (&name, &id) in &model_contigs {
            contigs.entry(name.as_bytes().to_vec()).or_default().0 = Some(id);
            let other = match name.strip_prefix("chr") {
                Some(bare) => bare.to_string(),
                None => format!("chr{name}"),
            };
            contigs.entry(other.into_bytes()).or_default().1 = Some(id);
        }
        Ok(Self {
            loci,
            contigs,
            index,
            alleles,
            ploidy,
        })
    }

    /// The site at `contig`:`position`, if it is one of the model's, and whether it was
    /// found under the other spelling of its chromosome (`chr1` for `1`, or `1` for `chr1`:
    /// UCSC's names against Ensembl's and the 1000 Genomes').
    pub(super) fn find(&self, contig: &[u8], position: u64) -> Option<(usize, bool)> {
        let &(same, other) = self.contigs.get(contig)?;
        let at = |id: Option<u32>| self.index.get(&(id?, position)).copied();
        at(same)
            .map(|site| (site, false))
            .or_else(|| at(other).map(|site| (site, true)))
    }

    /// ALT-allele frequency of `site` among the training file's called alleles, if known.
    pub(super) fn training_frequency(&self, site: usize) -> Option<f64> {
        let &(alternate, called) = self.alleles.get(site)?;
        (called > 0).then(|| f64::from(alternate) / f64::from(called))
    }
}

/// The chromosome of a `chrom:pos` name that parsed as one.
fn locus_contig(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(contig, _)| contig)
}
