//! Contig length weights: how much a contig's composition is to be trusted, for weighting its
//! reconstruction in training.
//!
//! A contig of `L` bp yields about `L` overlapping 4-mers, so the sampling variance of each of
//! its tetranucleotide frequencies falls as 1/`L` (multinomial counts): its precision grows
//! with its length. Past some length the genome's own variation in composition, not sampling,
//! dominates, so the length is capped before weighting. Weights are scaled to average 1 over
//! the contigs, which keeps the balance of reconstruction and KL that the recipe was tuned at.
//!
//! ```
//! use vaebio_io::features::length_weights::length_weights;
//!
//! // 2, 4 and 30 kb (capped at 20 kb): 2 : 4 : 20, mean 26 / 3.
//! let weights = length_weights(&[2_000, 4_000, 30_000], 20_000);
//! let expected = [6.0 / 26.0, 12.0 / 26.0, 60.0 / 26.0];
//! for (w, e) in weights.iter().zip(expected) {
//!     assert!((w - e).abs() < 1e-6);
//! }
//! ```

/// The length, in bp, above which a contig's composition weighs no more: 20 kb, the order of
/// the windows over which a genome's own tetranucleotide frequencies vary (genomic islands,
/// rRNA operons), beyond which more sequence no longer tightens a contig's TNF towards its
/// genome's.
pub const LENGTH_WEIGHT_CAP_BP: u64 = 20_000;

/// Each contig's weight: min(length, `cap`) divided by the mean of that over all contigs, so
/// the weights average 1. Empty for no contigs; all 1 when every length is 0.
pub fn length_weights(lengths: &[u64], cap: u64) -> Vec<f32> {
    let capped: Vec<f64> = lengths.iter().map(|&l| l.min(cap) as f64).collect();
    let mean = capped.iter().sum::<f64>() / capped.len().max(1) as f64;
    if mean == 0.0 {
        return vec![1.0; capped.len()];
    }
    capped.iter().map(|&l| (l / mean) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand: lengths 1,000 / 3,000 / 50,000 / 25,000 bp capped at 20 kb are
    /// 1 : 3 : 20 : 20, mean 11, so 1/11, 3/11, 20/11, 20/11.
    #[test]
    fn weights_are_capped_lengths_over_their_mean() {
        let weights = length_weights(&[1_000, 3_000, 50_000, 25_000], LENGTH_WEIGHT_CAP_BP);
        let expected = [1.0 / 11.0, 3.0 / 11.0, 20.0 / 11.0, 20.0 / 11.0];
        for (w, e) in weights.iter().zip(expected) {
            assert!((f64::from(*w) - e).abs() < 1e-6, "{w} vs {e}");
        }
        let mean = weights.iter().map(|&w| f64::from(w)).sum::<f64>() / 4.0;
        assert!((mean - 1.0).abs() < 1e-6);
    }

    #[test]
    fn equal_lengths_weigh_one_and_degenerate_input_is_safe() {
        assert_eq!(length_weights(&[2_500; 3], LENGTH_WEIGHT_CAP_BP), [1.0; 3]);
        assert_eq!(length_weights(&[0, 0], LENGTH_WEIGHT_CAP_BP), [1.0, 1.0]);
        assert!(length_weights(&[], LENGTH_WEIGHT_CAP_BP).is_empty());
    }
}
