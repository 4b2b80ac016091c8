//! Passing sites of a VCF/BCF, stored site-major as they stream in (one byte per
//! genotype, in large blocks), thinned to `max_sites` and transposed at the end to the
//! samples × sites matrix.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Thinning, VcfOptions};

/// Index of `contig` in `contigs`, appended if new (records are grouped by contig, so the
/// last entry is checked first).
pub(super) fn intern(contigs: &mut Vec<Vec<u8>>, contig: &[u8]) -> u32 {
    if let Some(last) = contigs.last()
        && last == contig
    {
        return (contigs.len() - 1) as u32;
    }
    if let Some(index) = contigs.iter().position(|c| c == contig) {
        return index as u32;
    }
    contigs.push(contig.to_vec());
    (contigs.len() - 1) as u32
}

/// Bytes per block of site-major codes: above glibc's largest mmap threshold (32 MiB), so a
/// block freed during the transpose goes back to the OS and peak memory stays near one byte
/// per kept genotype plus one block.
const BLOCK_BYTES: usize = 64 << 20;

/// The ploidy of a site's genotypes: one value for all, or one per sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SitePloidy {
    /// Every genotype has this ploidy.
    Uniform(u8),
    /// Ploidy per sample (chrX in males: 1 among 2s).
    Mixed(Box<[u8]>),
}

impl SitePloidy {
    /// `Uniform` when every entry of `ploidies` is the same.
    pub(super) fn of(ploidies: &[u8]) -> Self {
        match ploidies.split_first() {
            Some((&first, rest)) if rest.iter().any(|&p| p != first) => {
                SitePloidy::Mixed(ploidies.into())
            }
            Some((&first, _)) => SitePloidy::Uniform(first),
            None => SitePloidy::Uniform(0),
        }
    }

    fn max(&self) -> u8 {
        match self {
            SitePloidy::Uniform(ploidy) => *ploidy,
            SitePloidy::Mixed(ploidies) => ploidies.iter().copied().max().unwrap_or(0),
        }
    }

    fn get(&self, sample: usize) -> u8 {
        match self {
            SitePloidy::Uniform(ploidy) => *ploidy,
            SitePloidy::Mixed(ploidies) => ploidies[sample],
        }
    }
}

/// One site that passed the filters.
pub(super) struct PassingSite<'a> {
    pub(super) contig: u32,
    pub(super) position: u64,
    /// Dosage per sample.
    pub(super) row: &'a [u8],
    pub(super) ploidy: SitePloidy,
    /// Value read for a missing genotype.
    pub(super) fill: f32,
    /// Missing genotypes.
    pub(super) missing: u32,
    /// ALT alleles and called alleles among the file's genotypes at the site.
    pub(super) alleles: (u32, u32),
}

/// The kept sites, samples × sites, in file order.
pub(super) struct KeptSites {
    pub(super) col_names: Vec<String>,
    /// Dosages, row-major.
    pub(super) codes: Vec<u8>,
    /// Fill value per site.
    pub(super) fill: Vec<f32>,
    /// ALT alleles and called alleles per site.
    pub(super) alleles: Vec<(u32, u32)>,
    /// Missing genotypes kept (filled).
    pub(super) imputed: u64,
    /// Passing sites left out by `max_sites`.
    pub(super) thinned: u64,
    /// The largest ploidy of a kept genotype.
    pub(super) ploidy: u8,
    /// Ploidy per genotype (like `codes`), when not every one is `ploidy`.
    pub(super) ploidies: Option<Vec<u8>>,
}

/// Passing sites, site-major (one row of `n_samples` bytes per site) in blocks of
/// `block_sites` sites, plus what names them.
pub(super) struct SiteTable {
    n_samples: usize,
    block_sites: usize,
    blocks: Vec<Vec<u8>>,
    fill: Vec<f32>,
    missing: Vec<u32>,
    alleles: Vec<(u32, u32)>,
    ploidy: Vec<SitePloidy>,
    contig: Vec<u32>,
    position: Vec<u64>,
    /// Rank of each stored site among passing sites (reservoir slots are out of order).
    rank: Vec<u64>,
    passed: u64,
    max_sites: Option<usize>,
    thinning: Thinning,
    rng: ChaCha8Rng,
}

impl SiteTable {
    pub(super) fn new(n_samples: usize, options: &VcfOptions) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        // A separate stream, so thinning does not change which genotypes imputation draws.
        rng.set_stream(1);
        Self {
            n_samples,
            block_sites: (BLOCK_BYTES / n_samples.max(1)).max(1),
            blocks: Vec::new(),
            fill: Vec::new(),
            missing: Vec::new(),
            alleles: Vec::new(),
            ploidy: Vec::new(),
            contig: Vec::new(),
            position: Vec::new(),
            rank: Vec::new(),
            passed: 0,
            max_sites: options.max_sites,
            thinning: options.thinning,
            rng,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rank.is_empty()
    }

    pub(super) fn push(&mut self, site: PassingSite<'_>) {
        let PassingSite {
            contig,
            position,
            row,
            ploidy,
            fill,
            missing,
            alleles,
        } = site;
        let rank = self.passed;
        self.passed += 1;
        let slot = match (self.max_sites, self.thinning) {
            (Some(max), Thinning::Random) if self.rank.len() >= max => {
                let pick = self.rng.random_range(0..self.passed) as usize;
                if pick >= max {
                    return;
                }
                pick
            }
            _ => self.rank.len(),
        };
        if slot == self.rank.len() {
            let block_bytes = self.block_sites * self.n_samples;
            if self
                .blocks
                .last()
                .is_none_or(|block| block.len() == block_bytes)
            {
                self.blocks.push(Vec::with_capacity(block_bytes));
            }
            if let Some(block) = self.blocks.last_mut() {
                block.extend_from_slice(row);
            }
            self.fill.push(fill);
            self.missing.push(missing);
            self.alleles.push(alleles);
            self.ploidy.push(ploidy);
            self.contig.push(contig);
            self.position.push(position);
            self.rank.push(rank);
        } else {
            let start = (slot % self.block_sites) * self.n_samples;
            self.blocks[slot / self.block_sites][start..start + self.n_samples]
                .copy_from_slice(row);
            self.fill[slot] = fill;
            self.missing[slot] = missing;
            self.alleles[slot] = alleles;
            self.ploidy[slot] = ploidy;
            self.contig[slot] = contig;
            self.position[slot] = position;
            self.rank[slot] = rank;
        }
    }

    /// Picks the kept sites in file order and transposes them to samples × sites.
    pub(super) fn finish(self, contigs: &[Vec<u8>]) -> KeptSites {
        let stored = self.rank.len();
        let mut slots: Vec<usize> = (0..stored).collect();
        slots.sort_unstable_by_key(|&slot| self.rank[slot]);
        if let (Some(max), Thinning::EvenlySpaced) = (self.max_sites, self.thinning)
            && stored > max
        {
            slots = (0..max).map(|i| slots[i * stored / max]).collect();
        }
        let thinned = self.passed - slots.len() as u64;
        let contig_names: Vec<String> = contigs
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let col_names = slots
            .iter()
            .map(|&slot| {
                format!(
                    "{}:{}",
                    contig_names[self.contig[slot] as usize], self.position[slot]
                )
            })
            .collect();
        let fill = slots.iter().map(|&slot| self.fill[slot]).collect();
        let alleles = slots.iter().map(|&slot| self.alleles[slot]).collect();
        let imputed = slots
            .iter()
            .map(|&slot| u64::from(self.missing[slot]))
            .sum();
        let (ploidy, ploidies) = ploidies(&self.ploidy, &slots, self.n_samples);
        let codes = transpose(self.blocks, self.block_sites, self.n_samples, &slots);
        KeptSites {
            col_names,
            codes,
            fill,
            alleles,
            imputed,
            thinned,
            ploidy,
            ploidies,
        }
    }
}

/// The largest ploidy of the kept sites, and the ploidy of every genotype (samples × kept
/// sites) unless each is that largest one.
fn ploidies(sites: &[SitePloidy], slots: &[usize], n_samples: usize) -> (u8, Option<Vec<u8>>) {
    let ploidy = slots.iter().map(|&s| sites[s].max()).max().unwrap_or(0);
    if slots
        .iter()
        .all(|&s| sites[s] == SitePloidy::Uniform(ploidy))
    {
        return (ploidy, None);
    }
    let per_genotype = (0..n_samples)
        .flat_map(|sample| slots.iter().map(move |&s| sites[s].get(sample)))
        .collect();
    (ploidy, Some(per_genotype))
}

/// Site-major blocks (`blocks[slot / block_sites]`, row `slot % block_sites`) for the given
/// slots → samples × slots row-major, in cache-sized tiles. When slots increase (no random
/// thinning) each block is freed once its sites are copied, and the zeroed output is
/// committed page by page as it is written, so the two never both hold everything.
fn transpose(
    mut blocks: Vec<Vec<u8>>,
    block_sites: usize,
    n_samples: usize,
    slots: &[usize],
) -> Vec<u8> {
    const TILE: usize = 64;
    let n_sites = slots.len();
    let increasing = slots.windows(2).all(|pair| pair[0] < pair[1]);
    let mut out = vec![0u8; n_samples * n_sites];
    let mut freed = 0;
    for site_start in (0..n_sites).step_by(TILE) {
        let site_end = (site_start + TILE).min(n_sites);
        for sample_start in (0..n_samples).step_by(TILE) {
            let sample_end = (sample_start + TILE).min(n_samples);
            for (k, &slot) in slots[site_start..site_end].iter().enumerate() {
                let offset = (slot % block_sites) * n_samples;
                let source = &blocks[slot / block_sites][offset..offset + n_samples];
                for sample in sample_start..sample_end {
                    out[sample * n_sites + site_start + k] = source[sample];
                }
            }
        }
        if increasing {
            let next_block = slots
                .get(site_end)
                .map_or(blocks.len(), |slot| slot / block_sites);
            while freed < next_block {
                blocks[freed] = Vec::new();
                freed += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_across_blocks_in_any_slot_order() {
        // 5 sites × 3 samples in blocks of 2 sites; site s, sample j holds 10·s + j.
        let blocks = vec![
            vec![0, 1, 2, 10, 11, 12],
            vec![20, 21, 22, 30, 31, 32],
            vec![40, 41, 42],
        ];
        assert_eq!(
            transpose(blocks.clone(), 2, 3, &[0, 1, 2, 3, 4]),
            [0, 10, 20, 30, 40, 1, 11, 21, 31, 41, 2, 12, 22, 32, 42]
        );
        assert_eq!(
            transpose(blocks.clone(), 2, 3, &[1, 4]),
            [10, 40, 11, 41, 12, 42]
        );
        assert_eq!(transpose(blocks, 2, 3, &[4, 0]), [40, 0, 41, 1, 42, 2]);
    }
}
