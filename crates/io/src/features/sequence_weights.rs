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
/// 0 for a sequence without residues. Pairs are compared once, a tile of 128 rows
/// against each later row (so a later row is read from memory once per tile, not once per
/// row), tiles in parallel; a pair's comparison stops at the first 128-column block after
/// which neither sequence can reach its threshold. Comparisons are compiled for the widest
/// SIMD the CPU has (pulp's runtime dispatch: AVX2 on x86-64 where present). Neighbour
/// counts are integers, so the result does not depend on the number of threads.
pub fn sequence_weights(states: &[u8], length: usize, gap: u8, theta: f64) -> Vec<f32> {
    let n = states.len().checked_div(length).unwrap_or(0);
    if n == 0 {
        return Vec::new();
    }
    // Rows padded to whole SIMD blocks, so no comparison has a scalar tail: the padding is
    // a gap in `rows` and another code in `recoded`, as every gap is, so it never matches.
    let other_gap = gap.wrapping_add(1);
    let blocks = length.div_ceil(BLOCK);
    let stride = blocks * BLOCK;
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
    let reach = reach_by_block(&rows, gap, &needed);
    let (rows, recoded) = (rows.as_chunks().0, recoded.as_chunks().0);
    let arch = pulp::Arch::new();
    let neighbours = (0..n.div_ceil(TILE))
        .into_par_iter()
        .fold(
            || vec![0u32; n],
            |mut counts, tile| {
                let first = tile * TILE;
                let end = (first + TILE).min(n);
                arch.dispatch(TileAgainstLater {
                    blocks,
                    tile: &rows[first * blocks..end * blocks],
                    later: &recoded[first * blocks..],
                    reach: &reach[first * blocks..],
                    needed: &needed[first..],
                    counts: &mut counts[first..],
                });
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
    // Every sequence with residues is its own neighbour.
    neighbours
        .iter()
        .zip(&residues)
        .map(|(&count, &r)| match count + u32::from(r > 0) {
            0 => 0.0,
            total => 1.0 / total as f32,
        })
        .collect()
}

/// Bytes compared per block, and rows are padded to a multiple of it: 4 × 32, what the
/// compiler unrolls an AVX2 loop into (so no block has a narrow remainder), and small enough
/// that a block's count fits a byte. A pair's comparison may stop after any block.
const BLOCK: usize = 128;

/// Rows compared against each later row while it is in L1: the later rows stream from
/// memory once per tile instead of once per row, and the tile's first blocks (16 KB, most
/// pairs stop there) stay in L1, the whole tile (64 KB at 500 columns) in L2. Measured on
/// 100,000 × 500 (bench/README.md): 16 rows 44 CPU-s, 32 40, 64 35, 128 30, 256 29; 128
/// keeps ~800 tiles there for the threads to share.
const TILE: usize = 128;

/// For each row and block, the matches a pair must have reached after that block for the
/// row to still be able to count the other as a neighbour: its needed matches minus its
/// residues in the blocks after (gaps never match, so no more matches can come than that).
/// After the last block it is the needed matches themselves.
fn reach_by_block(rows: &[u8], gap: u8, needed: &[u32]) -> Vec<i32> {
    let stride = rows.len() / needed.len();
    rows.chunks_exact(stride)
        .zip(needed)
        .flat_map(|(row, &needed)| {
            let mut later = row.iter().filter(|&&s| s != gap).count() as i64;
            row.chunks_exact(BLOCK).map(move |block| {
                later -= block.iter().filter(|&&s| s != gap).count() as i64;
                (i64::from(needed) - later) as i32
            })
        })
        .collect()
}

/// A tile of rows against itself and every later row: adds to each row's count the rows
/// after it that are its neighbours, and to each later row's count the tile rows that are.
/// A pulp operation, so the loops are compiled once per instruction set and picked at run
/// time.
struct TileAgainstLater<'a> {
    /// Blocks per row.
    blocks: usize,
    /// The tile's rows (gaps as `gap`).
    tile: &'a [[u8; BLOCK]],
    /// The rows from the tile's first to the last (gaps recoded, so they never match).
    later: &'a [[u8; BLOCK]],
    /// [`reach_by_block`] from the tile's first row.
    reach: &'a [i32],
    /// Needed matches from the tile's first row.
    needed: &'a [u32],
    /// Neighbour counts from the tile's first row.
    counts: &'a mut [u32],
}

impl pulp::WithSimd for TileAgainstLater<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let blocks = self.blocks;
        let tile_rows = self.tile.len() / blocks;
        let reach = |row: usize| &self.reach[row * blocks..(row + 1) * blocks];
        for (j, other) in self.later.chunks_exact(blocks).enumerate().skip(1) {
            let mut count_j = 0;
            for (i, row) in self
                .tile
                .chunks_exact(blocks)
                .enumerate()
                .take(j.min(tile_rows))
            {
                let m = pair_matches(row, other, reach(i), reach(j));
                self.counts[i] += u32::from(m >= self.needed[i]);
                count_j += u32::from(m >= self.needed[j]);
            }
            self.counts[j] += count_j;
        }
    }
}

/// Matches of `a` and `b`, or fewer once, after some block, neither can reach its
/// threshold (`reach_a` and `reach_b` from [`reach_by_block`]): the neighbour decisions are
/// the same either way.
#[inline(always)]
fn pair_matches(a: &[[u8; BLOCK]], b: &[[u8; BLOCK]], reach_a: &[i32], reach_b: &[i32]) -> u32 {
    let mut total = 0u32;
    for ((block_a, block_b), (&ra, &rb)) in a.iter().zip(b).zip(reach_a.iter().zip(reach_b)) {
        total += block_matches(block_a, block_b);
        if (total as i32) < ra.min(rb) {
            break;
        }
    }
    total
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

/// Positions where two blocks hold the same byte, in one pass the compiler vectorizes (a
/// block's count fits a byte).
#[inline(always)]
fn block_matches(a: &[u8; BLOCK], b: &[u8; BLOCK]) -> u32 {
    let count = a
        .iter()
        .zip(b)
        .fold(0u8, |sum, (x, y)| sum + u8::from(x == y));
    u32::from(count)
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
    fn pair_matches_count_equal_bytes_across_blocks_and_stop_when_hopeless() {
        let a = [[3u8; BLOCK]; 5];
        let mut b = a;
        b[0][0] = 4;
        b[4][BLOCK - 1] = 4;
        let never = [i32::MIN; 5];
        assert_eq!(pair_matches(&a, &b, &never, &never), 5 * 128 - 2);
        // 127 matches after the first block: both rows still able to reach 127, then one
        // needing 128 stops the pair there (the other's reach does not matter).
        let hopeless = [128; 5];
        let open = [0; 5];
        assert_eq!(pair_matches(&a, &b, &hopeless, &hopeless), 127);
        assert_eq!(pair_matches(&a, &b, &hopeless, &open), 5 * 128 - 2);
    }

    /// The definition, one pair at a time with EVE's f64 comparison, no padding, tiling,
    /// early stop or SIMD: the reference the fast code must equal exactly.
    fn weights_pair_by_pair(states: &[u8], length: usize, gap: u8, theta: f64) -> Vec<f32> {
        let rows: Vec<&[u8]> = states.chunks_exact(length.max(1)).collect();
        rows.iter()
            .map(|row| {
                let residues = row.iter().filter(|&&s| s != gap).count();
                let neighbours = rows
                    .iter()
                    .filter(|other| {
                        let m = row.iter().zip(other.iter());
                        let matches = m.filter(|(x, y)| x == y && **x != gap).count();
                        residues > 0 && matches as f64 / residues as f64 > 1.0 - theta
                    })
                    .count();
                if neighbours == 0 {
                    0.0
                } else {
                    1.0 / neighbours as f32
                }
            })
            .collect()
    }

    /// Seeded families of close homologues over `alphabet` residue codes (gap = `alphabet`),
    /// with all-gap rows and varied gap density, so pairs fall on both sides of the threshold.
    fn random_family(seed: u64, n: usize, length: usize, alphabet: u8) -> Vec<u8> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let ancestors: Vec<Vec<u8>> = (0..1 + n / 8)
            .map(|_| (0..length).map(|_| rng.random_range(0..alphabet)).collect())
            .collect();
        (0..n)
            .flat_map(|_| {
                let ancestor = &ancestors[rng.random_range(0..ancestors.len())];
                let (redraw, gaps) = (rng.random_range(0.0..0.3), rng.random_range(0.0..0.4));
                let all_gaps = rng.random_bool(0.05);
                let row: Vec<u8> = ancestor
                    .iter()
                    .map(|&s| match rng.random::<f64>() {
                        _ if all_gaps => alphabet,
                        x if x < gaps => alphabet,
                        x if x < gaps + redraw => rng.random_range(0..alphabet),
                        _ => s,
                    })
                    .collect();
                row
            })
            .collect()
    }

    /// Awkward sizes: 0 and 1 rows, rows not a multiple of the tile, lengths not a multiple
    /// of the block or of a SIMD lane, small and protein alphabets, several thresholds.
    #[test]
    fn tiled_weights_equal_the_pair_by_pair_definition() {
        let mut seed = 0;
        for n in [0, 1, 2, TILE - 1, TILE, TILE + 1, 3 * TILE + 5] {
            for length in [1, 7, 33, BLOCK - 1, BLOCK, BLOCK + 1, 300] {
                for (alphabet, theta) in [(4, 0.2), (20, 0.2), (20, 0.5), (3, 0.05)] {
                    seed += 1;
                    let states = random_family(seed, n, length, alphabet);
                    assert_eq!(
                        sequence_weights(&states, length, alphabet, theta),
                        weights_pair_by_pair(&states, length, alphabet, theta),
                        "{n} rows × {length}, alphabet {alphabet}, θ {theta}, seed {seed}"
                    );
                }
            }
        }
    }

    #[test]
    fn one_and_two_threads_agree_bit_for_bit() {
        let states = random_family(99, 5 * TILE + 3, 260, 20);
        let on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
            pool.unwrap()
                .install(|| sequence_weights(&states, 260, 20, 0.2))
        };
        let (one, two) = (on(1), on(2));
        let bits = |w: &[f32]| w.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one), bits(&two));
        assert!(
            one.iter().any(|&w| w > 0.0 && w < 1.0),
            "some rows share weight"
        );
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
