//! Tetranucleotide frequencies projected to 103 dimensions, as VAMB computes them.
//!
//! VAMB (`src/create_kernel.py`, after Kislyuk et al. 2009) counts the 256 forward-strand
//! 4-mers, divides by their total, subtracts 1/256 and multiplies by a 256×103 kernel
//! `K = R·L`: `R` averages each 4-mer with its reverse complement and `L` is an
//! orthonormal basis of the null space of 185 linear constraints (frequencies sum to one;
//! a 4-mer equals its reverse complement, 120 rows; for each trimer the 4-mers starting
//! with it equal those ending with it, 64 rows; rank 153). Any orthonormal basis gives the
//! same distances between contigs; we build ours deterministically by Gram–Schmidt in
//! `f64` on first use (about a millisecond), so no kernel file ships with the crate.
//!
//! Null-space vectors give a 4-mer and its reverse complement the same weight, so `R·L = L`
//! and we work in the 136-dimensional space of reverse-complement classes: the basis is
//! found there and projection sums each class's two frequencies once.

use std::sync::OnceLock;

use crate::features::kmer::reverse_complement;

/// Number of tetramers.
pub const TETRAMERS: usize = 256;
/// Dimensions after projection.
pub const TNF_DIM: usize = 103;

/// The 256×103 projection kernel, row-major `f32`.
pub fn kernel() -> &'static [f32] {
    &tables().kernel
}

/// Kernel plus the reverse-complement classes used to project.
struct Tables {
    kernel: Vec<f32>,
    /// `(kmer, reverse complement)` with `kmer ≤ rc`: 120 pairs and 16 palindromes.
    classes: Vec<(usize, usize)>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| Tables {
        kernel: build_kernel().iter().map(|&v| v as f32).collect(),
        classes: classes(),
    })
}

/// Projects 256 tetramer counts (index 64·b0 + 16·b1 + 4·b2 + b3) to `out` (103 values).
/// Returns false, leaving `out` untouched, when no tetramer was counted.
pub fn project_counts(counts: &[u32], out: &mut [f32]) -> bool {
    assert!(counts.len() == TETRAMERS && out.len() == TNF_DIM);
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if total == 0 {
        return false;
    }
    let tables = tables();
    let scale = 1.0 / total as f32;
    let uniform = 1.0 / TETRAMERS as f32;
    out.fill(0.0);
    for &(kmer, rc) in &tables.classes {
        // Rows kmer and rc of the kernel are equal: add both centred frequencies once.
        let mut centred = counts[kmer] as f32 * scale - uniform;
        if rc != kmer {
            centred += counts[rc] as f32 * scale - uniform;
        }
        let row = &tables.kernel[kmer * TNF_DIM..(kmer + 1) * TNF_DIM];
        for (slot, &weight) in out.iter_mut().zip(row) {
            *slot += centred * weight;
        }
    }
    true
}

fn classes() -> Vec<(usize, usize)> {
    (0..TETRAMERS)
        .map(|kmer| (kmer, reverse_complement(kmer, 4)))
        .filter(|&(kmer, rc)| kmer <= rc)
        .collect()
}

/// Number of reverse-complement constraint rows (after the sum row in [`constraints`]).
const RC_ROWS: usize = 120;

/// The 185 constraint rows, each a 256-vector: sum, 120 reverse-complement, 64 trimer.
fn constraints() -> Vec<Vec<f64>> {
    let mut rows = vec![vec![1.0; TETRAMERS]];
    for kmer in 0..TETRAMERS {
        let rc = reverse_complement(kmer, 4);
        if kmer < rc {
            let mut row = vec![0.0; TETRAMERS];
            row[kmer] = 1.0;
            row[rc] = -1.0;
            rows.push(row);
        }
    }
    for trimer in 0..64 {
        let mut row = vec![0.0; TETRAMERS];
        for base in 0..4 {
            row[(trimer << 2) | base] += 1.0;
            row[(base << 6) | trimer] -= 1.0;
        }
        rows.push(row);
    }
    rows
}

/// Removes from `v` its components along the orthonormal `basis` (twice, for accuracy)
/// and returns the remaining norm.
fn orthogonalize(v: &mut [f64], basis: &[Vec<f64>]) -> f64 {
    for _ in 0..2 {
        for b in basis {
            let dot: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
            for (x, y) in v.iter_mut().zip(b) {
                *x -= dot * y;
            }
        }
    }
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// `K = R·L` in `f64`, 256×103 row-major.
fn build_kernel() -> Vec<f64> {
    // Reverse-complement-symmetric vectors are `U·w` with U's columns (e_i + e_rc)/√2 for
    // pairs and e_i for palindromes (orthonormal), so the null space is U times the null
    // space of the other 65 constraints (sum, trimers) written in class coordinates.
    let classes = classes();
    let to_classes = |row: &[f64]| -> Vec<f64> {
        classes
            .iter()
            .map(|&(kmer, rc)| {
                if kmer == rc {
                    row[kmer]
                } else {
                    (row[kmer] + row[rc]) * std::f64::consts::FRAC_1_SQRT_2
                }
            })
            .collect()
    };
    let all = constraints();
    let others = std::iter::once(&all[0]).chain(&all[1 + RC_ROWS..]);
    // Orthonormal basis of the constraints' row space, then extend it with unit vectors;
    // the extension is an orthonormal basis of the null space.
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(classes.len());
    for row in others {
        let mut row = to_classes(row);
        let norm = orthogonalize(&mut row, &basis);
        if norm > 1e-8 {
            row.iter_mut().for_each(|x| *x /= norm);
            basis.push(row);
        }
    }
    let rank = basis.len();
    for unit in 0..classes.len() {
        if basis.len() == classes.len() {
            break;
        }
        let mut v = vec![0.0; classes.len()];
        v[unit] = 1.0;
        let norm = orthogonalize(&mut v, &basis);
        if norm > 1e-6 {
            v.iter_mut().for_each(|x| *x /= norm);
            basis.push(v);
        }
    }
    let null_space = &basis[rank..];
    debug_assert_eq!(null_space.len(), TNF_DIM);
    let mut kernel = vec![0.0; TETRAMERS * TNF_DIM];
    for (class, &(kmer, rc)) in classes.iter().enumerate() {
        let share = if kmer == rc {
            1.0
        } else {
            std::f64::consts::FRAC_1_SQRT_2
        };
        for (dim, vector) in null_space.iter().enumerate() {
            kernel[kmer * TNF_DIM + dim] = vector[class] * share;
            kernel[rc * TNF_DIM + dim] = vector[class] * share;
        }
    }
    kernel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_has_rank_153_constraints_and_orthonormal_columns() {
        let kernel = build_kernel();
        assert_eq!(kernel.len(), TETRAMERS * TNF_DIM);
        for a in 0..TNF_DIM {
            for b in 0..TNF_DIM {
                let dot: f64 = (0..TETRAMERS)
                    .map(|i| kernel[i * TNF_DIM + a] * kernel[i * TNF_DIM + b])
                    .sum();
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-10, "columns {a},{b}: {dot}");
            }
        }
        for row in constraints() {
            for dim in 0..TNF_DIM {
                let dot: f64 = (0..TETRAMERS)
                    .map(|i| row[i] * kernel[i * TNF_DIM + dim])
                    .sum();
                assert!(dot.abs() < 1e-10);
            }
        }
    }

    /// Pairwise distances and norms from `bench/tnf_reference.py` (numpy + scipy
    /// `null_space`, VAMB's create_kernel.py recipe, float32 projection). Both are the
    /// same for any orthonormal basis of the null space, so they must match ours.
    #[test]
    fn distances_match_independent_numpy_computation() {
        let sequences: [&[u8]; 4] = [
            b"ACGTTGCAAGGCTTAACCGGTATGCATGCAAATTTGGGCCCAGTCAGTACGATCGATCGGATC",
            b"TTTTAAAACCCCGGGGATATATGCGCGCTAGCTAGNNNNACGTACGTTGCAACGTTGCAAGCT",
            b"GATTACAGATTACAGATTACACCCTTTGGGAAATCTCTCTAGAGAGAcgtacgtacgtTTAGC",
            b"AAAAAAAAAAAAAAAAAAAACCCCCCCCCCGGGGGGGGGGTTTTTTTTTTAAACCCGGGTTTAC",
        ];
        let vectors: Vec<Vec<f32>> = sequences
            .iter()
            .map(|sequence| {
                let mut counts = vec![0; TETRAMERS];
                crate::features::kmer::count_dna_kmers(sequence, 4, &mut counts).unwrap();
                let mut out = vec![0.0; TNF_DIM];
                assert!(project_counts(&counts, &mut out));
                out
            })
            .collect();
        let distance = |a: &[f32], b: &[f32]| -> f64 {
            a.iter()
                .zip(b)
                .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let expected_distances = [
            (0, 1, 0.166198263),
            (0, 2, 0.185498586),
            (0, 3, 0.361688097),
            (1, 2, 0.182666055),
            (1, 3, 0.326898828),
            (2, 3, 0.365154685),
        ];
        for (a, b, expected) in expected_distances {
            let got = distance(&vectors[a], &vectors[b]);
            assert!(
                (got - expected).abs() < 1e-6,
                "s{} s{}: {got} vs {expected}",
                a + 1,
                b + 1
            );
        }
        let zero = [0.0; TNF_DIM];
        let expected_norms = [0.121117370, 0.146473467, 0.135210853, 0.333273836];
        for (vector, expected) in vectors.iter().zip(expected_norms) {
            assert!((distance(vector, &zero) - expected).abs() < 1e-6);
        }
    }

    #[test]
    fn no_tetramers_gives_no_projection() {
        let mut out = [7.0; TNF_DIM];
        assert!(!project_counts(&[0; TETRAMERS], &mut out));
        assert_eq!(out[0], 7.0);
    }
}
