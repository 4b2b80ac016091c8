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
/// 0 for a sequence without residues. Pairs are compared once, in parallel, each row's
/// comparisons compiled for the widest SIMD the CPU has (pulp's runtime dispatch: AVX2 on
/// x86-64 where present, instead of the SSE2 baseline).
pub fn sequence_weights(states: &[u8], length: usize, gap: u8, theta: f64) -> Vec<f32> {
    let n = states.len().checked_div(length).unwrap_or(0);
    if n == 0 {
        return Vec::new();
    }
    // Rows padded to whole SIMD blocks, so no comparison has a scalar tail: the padding is
    // a gap in `rows` and another code in `recoded`, as every gap is, so it never matches.
    let other_gap = gap.wrapping_add(1);
    let stride = length.div_ceil(BLOCK) * BLOCK;
    let pad = |recode: bool| -> Vec<u8> {
        let code = |s: u8| if recode && s == gap { other_gap } else { s };
        let filler = code(gap);
        states
            .chunks_exact(length)
            .flat_map(|row| {
                row.iter()
                    .map(|&s| code(s))
                    .chain(std::iter::repeat_n(filler, stride - length))
            })
            .collect()
    };
    let (rows, recoded) = (pad(false), pad(true));
    let residues: Vec<u32> = states
        .chunks_exact(length)
        .map(|row| row.iter().filter(|&&s| s != gap).count() as u32)
        .collect();
    // The fewest matches that make j a neighbour of i, decided once per row with the very
    // comparison EVE makes, so the pair loop compares integers.
    let needed: Vec<u32> = residues
        .iter()
        .map(|&r| min_matches(r, 1.0 - theta))
        .collect();
    let arch = pulp::Arch::new();
    let neighbours = (0..n)
        .into_par_iter()
        .with_min_len(8)
        .fold(
            || vec![0u32; n],
            |mut counts, i| {
                let own = arch.dispatch(LaterRows {
                    row: &rows[i * stride..(i + 1) * stride],
                    later: &recoded[(i + 1) * stride..],
                    needed_by_row: needed[i],
                    needed_by_later: &needed[i + 1..],
                    counts_of_later: &mut counts[i + 1..],
                });
                counts[i] += own + u32::from(residues[i] > 0);
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

/// Bytes compared per block, and rows are padded to a multiple of it: 4 × 32, what the
/// compiler unrolls an AVX2 loop into (so no block has a narrow remainder), and small enough
/// that a block's count fits a byte.
const BLOCK: usize = 128;

/// One row against every later row: counts the later rows that are the row's neighbours
/// (returned) and adds one to each later row of which the row is a neighbour. A pulp
/// operation, so the loop is compiled once per instruction set and picked at run time.
struct LaterRows<'a> {
    row: &'a [u8],
    later: &'a [u8],
    needed_by_row: u32,
    needed_by_later: &'a [u32],
    counts_of_later: &'a mut [u32],
}

impl pulp::WithSimd for LaterRows<'_> {
    type Output = u32;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> u32 {
        let mut own = 0;
        let others = self.later.chunks_exact(self.row.len());
        for ((other, &needed), count) in others
            .zip(self.needed_by_later)
            .zip(self.counts_of_later.iter_mut())
        {
            let m = matches(self.row, other);
            own += u32::from(m >= self.needed_by_row);
            *count += u32::from(m >= needed);
        }
        own
    }
}

/// The fewest matches `m` with `m / residues > threshold` in f64, as EVE compares; one more
/// than `residues` (never reached) for a sequence without residues or a threshold >= 1.
fn min_matches(residues: u32, threshold: f64) -> u32 {
    if residues == 0 {
        return 1;
    }
    let similar = |m: u32| f64::from(m) / f64::from(residues) > threshold;
    // Start at the rounded product and step to the exact boundary of the f64 comparison.
    let mut m = (threshold * f64::from(residues))
        .floor()
        .clamp(0.0, f64::from(residues)) as u32;
    while m > 0 && similar(m - 1) {
        m -= 1;
    }
    while m <= residues && !similar(m) {
        m += 1;
    }
    m
}

/// Positions where `a` and `b` hold the same byte, in blocks the compiler vectorizes (a
/// block's count fits a byte).
#[inline(always)]
fn matches(a: &[u8], b: &[u8]) -> u32 {
    let mut total = 0u32;
    for (block_a, block_b) in a.chunks(BLOCK).zip(b.chunks(BLOCK)) {
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

    /// The integer boundary equals EVE's f64 comparison m / r > 1 − θ for every m and r
    /// (θ 0.2 and others; 4 of 5 residues, 0.8, is not > 0.8).
    #[test]
    fn min_matches_is_the_boundary_of_the_f64_comparison() {
        for theta in [0.0, 0.1, 0.2, 0.3, 0.5, 0.9, 1.0] {
            let threshold: f64 = 1.0 - theta;
            for r in 1..=600u32 {
                let need = min_matches(r, threshold);
                for m in 0..=r {
                    assert_eq!(
                        m >= need,
                        f64::from(m) / f64::from(r) > threshold,
                        "{theta} {r} {m}"
                    );
                }
            }
        }
        assert_eq!(min_matches(5, 0.8), 5);
        assert_eq!(min_matches(0, 0.8), 1);
    }
}
