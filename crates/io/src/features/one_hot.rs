//! One-hot encoding of aligned residues: each focus position becomes `n_states` columns,
//! one per residue of the alphabet and a last one for the gap, named `position:state`
//! (e.g. `23:A`, `23:-`), stored sparse (one nonzero per position).
//!
//! State codes number the alphabet's letters from 0 ([`letters`]: `ACGT` for DNA, the 20
//! amino acids `ACDEFGHIKLMNPQRSTVWY` for protein) and give the gap the next code
//! ([`gap_state`]), as DeepSequence and EVE lay out their one-hot.
//!
//! ```
//! use vaebio_io::Alphabet;
//! use vaebio_io::features::one_hot::{column_names, encode_residues};
//!
//! assert_eq!(column_names(&[7], Alphabet::Dna), ["7:A", "7:C", "7:G", "7:T", "7:-"]);
//! assert_eq!(encode_residues(b"G", Alphabet::Dna), [0.0, 0.0, 1.0, 0.0, 0.0]);
//! ```

use crate::error::Result;
use crate::features::composition::Alphabet;
use crate::features::kmer::{AMINO_ACIDS, DNA_BASES};
use crate::matrix::FeatureMatrix;

/// The residues of `alphabet` in state-code order.
pub fn letters(alphabet: Alphabet) -> &'static [u8] {
    match alphabet {
        Alphabet::Dna => DNA_BASES,
        Alphabet::Protein => AMINO_ACIDS,
    }
}

/// The state code of a gap: one past the last residue.
pub fn gap_state(alphabet: Alphabet) -> u8 {
    letters(alphabet).len() as u8
}

/// States per position: the residues and the gap (5 for DNA, 21 for protein).
pub fn n_states(alphabet: Alphabet) -> usize {
    letters(alphabet).len() + 1
}

/// Column names `position:state` for each focus position, residues then `-`.
pub fn column_names(positions: &[usize], alphabet: Alphabet) -> Vec<String> {
    positions
        .iter()
        .flat_map(|&p| {
            letters(alphabet)
                .iter()
                .chain(b"-")
                .map(move |&l| format!("{p}:{}", l as char))
        })
        .collect()
}

/// The sparse one-hot matrix of `states` (row-major state codes, one row per name in
/// `row_names`, one column per entry of `positions`).
pub fn one_hot_matrix(
    row_names: Vec<String>,
    states: &[u8],
    positions: &[usize],
    alphabet: Alphabet,
) -> Result<FeatureMatrix> {
    let length = positions.len();
    let n_states = n_states(alphabet);
    let indptr: Vec<usize> = (0..=row_names.len()).map(|r| r * length).collect();
    let indices: Vec<u32> = states
        .chunks_exact(length.max(1))
        .flat_map(|row| {
            row.iter()
                .enumerate()
                .map(|(c, &s)| (c * n_states + usize::from(s)) as u32)
        })
        .collect();
    let values = vec![1.0; indices.len()];
    FeatureMatrix::from_csr(
        row_names,
        column_names(positions, alphabet),
        indptr,
        indices,
        values,
    )
}

/// The dense one-hot row of a sequence of residues (upper case), one position per
/// residue; a byte outside the alphabet leaves its position all zero.
pub fn encode_residues(residues: &[u8], alphabet: Alphabet) -> Vec<f32> {
    let letters = letters(alphabet);
    let n_states = n_states(alphabet);
    let mut row = vec![0.0; residues.len() * n_states];
    for (column, residue) in residues.iter().enumerate() {
        if let Some(state) = letters.iter().position(|l| l == residue) {
            row[column * n_states + state] = 1.0;
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protein_positions_have_21_states_gap_last() {
        let names = column_names(&[3, 4], Alphabet::Protein);
        assert_eq!(names.len(), 42);
        assert_eq!((names[0].as_str(), names[20].as_str()), ("3:A", "3:-"));
        assert_eq!(names[21], "4:A");
        assert_eq!(gap_state(Alphabet::Protein), 20);
    }

    #[test]
    fn matrix_rows_hold_one_state_per_position() {
        // Rows: "AC" and "G-" over DNA positions 1 and 2.
        let states = [0, 1, 2, 4];
        let matrix = one_hot_matrix(
            vec!["a".into(), "b".into()],
            &states,
            &[1, 2],
            Alphabet::Dna,
        )
        .unwrap();
        let dense = matrix.to_dense();
        let hot = |row: usize| -> Vec<&str> {
            dense[row * 10..(row + 1) * 10]
                .iter()
                .zip(matrix.col_names())
                .filter(|(v, _)| **v == 1.0)
                .map(|(_, n)| n.as_str())
                .collect()
        };
        assert_eq!(hot(0), ["1:A", "2:C"]);
        assert_eq!(hot(1), ["1:G", "2:-"]);
        assert_eq!(encode_residues(b"AC", Alphabet::Dna), &dense[..10]);
    }
}
