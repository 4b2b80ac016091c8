//! DeepSequence/EVE sequence weights: each sequence of an alignment counts as 1 / (the
//! number of sequences at least `1 − θ` identical to it), so clusters of close homologues
//! weigh as much as one distinct sequence.
//!
//! Weight of sequence `i` = 1 / #{j : matches(i, j) / residues(i) > 1 − θ}, where matches
//! count columns holding the same residue (gaps never match) and residues(i) counts `i`'s
//! non-gap columns — exactly EVE's `np.dot(list_seq, seq) / np.dot(seq, seq) > 1 - theta`
//! on its gap-free one-hot. A sequence with no residues gets weight 0.
//!
//! ```
//! use vaebio_io::features::sequence_weights::sequence_weights;
//!
//! // Three sequences of two columns, states 0..=1 residues and 2 the gap: the first two
//! // are identical and share their weight, the third stands alone.
//! let states = [0, 1, 0, 1, 1, 0];
//! assert_eq!(sequence_weights(&states, 2, 2, 0.2), [0.5, 0.5, 1.0]);
//! ```

use rayon::prelude::*;

/// DeepSequence/EVE weights for `states` (row-major, `length` columns, `gap` = gap code):
/// weight(i) = 1 / #{j : matches(i, j) / residues(i) > 1 − theta}, gaps never matching,
/// 0 for a sequence without residues. Pairs are compared once, in parallel.
pub fn sequence_weights(states: &[u8], length: usize, gap: u8, theta: f64) -> Vec<f32> {
    let n = states.len().checked_div(length).unwrap_or(0);
    // A second copy with gaps recoded so that comparing the copies never matches gaps.
    let other_gap = gap.wrapping_add(1);
    let recoded: Vec<u8> = states
        .iter()
        .map(|&s| if s == gap { other_gap } else { s })
        .collect();
    let residues: Vec<u32> = states
        .chunks_exact(length.max(1))
        .map(|row| row.iter().filter(|&&s| s != gap).count() as u32)
        .collect();
    let threshold = 1.0 - theta;
    let similar =
        |m: u32, i: usize| residues[i] > 0 && f64::from(m) / f64::from(residues[i]) > threshold;
    let neighbours = (0..n)
        .into_par_iter()
        .with_min_len(8)
        .fold(
            || vec![0u32; n],
            |mut counts, i| {
                let row = &states[i * length..(i + 1) * length];
                counts[i] += u32::from(residues[i] > 0);
                for j in i + 1..n {
                    let m = matches(row, &recoded[j * length..(j + 1) * length]);
                    counts[i] += u32::from(similar(m, i));
                    counts[j] += u32::from(similar(m, j));
                }
                counts
            },
        )
        .reduce(
            || vec![0u32; n],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    neighbours
        .iter()
        .map(|&count| if count == 0 { 0.0 } else { 1.0 / count as f32 })
        .collect()
}

/// Positions where `a` and `b` hold the same byte, in blocks the compiler vectorizes.
fn matches(a: &[u8], b: &[u8]) -> u32 {
    let mut total = 0u32;
    for (block_a, block_b) in a.chunks(255).zip(b.chunks(255)) {
        let block: u8 = block_a
            .iter()
            .zip(block_b)
            .fold(0u8, |sum, (x, y)| sum + u8::from(x == y));
        total += u32::from(block);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The family of `formats::alignment`'s `weights_by_hand` as state codes (protein: M=10,
    /// K=8, V=17, L=9, A=0, C=1, gap=20): focus MKVLA, s1 MKVLA, s2 MKVLC, s3 MK---.
    /// Identities by hand (> 0.8 counts): focus and s1 share (1/2 each), s2 is alone (4/5
    /// = 0.8 is not > 0.8), s3's two residues match all four (1/4).
    #[test]
    fn weights_by_hand() {
        let states = [
            10, 8, 17, 9, 0, //
            10, 8, 17, 9, 0, //
            10, 8, 17, 9, 1, //
            10, 8, 20, 20, 20,
        ];
        assert_eq!(sequence_weights(&states, 5, 20, 0.2), [0.5, 0.5, 1.0, 0.25]);
    }

    #[test]
    fn a_sequence_of_gaps_weighs_nothing_and_matches_nothing() {
        let states = [0, 1, 2, 2, 0, 1];
        assert_eq!(sequence_weights(&states, 2, 2, 0.2), [0.5, 0.0, 0.5]);
        assert!(sequence_weights(&[], 0, 2, 0.2).is_empty());
    }

    #[test]
    fn matches_count_equal_bytes_across_block_boundaries() {
        let a = vec![3u8; 600];
        let mut b = a.clone();
        b[0] = 4;
        b[599] = 4;
        assert_eq!(matches(&a, &b), 598);
    }
}
