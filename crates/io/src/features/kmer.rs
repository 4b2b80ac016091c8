//! k-mer counting for DNA (k = 1..8, optionally canonical) and protein (k = 1..3).
//!
//! Counting is one pass with a rolling code and a 256-entry lookup table; a window
//! containing `N` or another IUPAC ambiguity code is not counted. DNA k-mer `b0 b1 … b(k-1)`
//! has index `Σ 4^(k-1-i)·code(bi)` with A=0, C=1, G=2, T/U=3, so index order is
//! lexicographic order (`AAAA` = 0, `AAAC` = 1, …), as VAMB numbers tetramers.

/// Largest DNA k supported (4^8 = 65,536 columns).
pub const MAX_DNA_K: usize = 8;
/// Largest protein k supported (20^3 = 8,000 columns).
pub const MAX_PROTEIN_K: usize = 3;

/// DNA bases in code order.
pub const DNA_BASES: &[u8; 4] = b"ACGT";
/// The 20 standard amino acids in code order (as EVE orders them).
pub const AMINO_ACIDS: &[u8; 20] = b"ACDEFGHIKLMNPQRSTVWY";

/// Code for a recognised character that breaks k-mer windows (`N`, IUPAC, `X`, `*`).
const AMBIGUOUS: u8 = 0xfe;
/// Code for a character outside the alphabet.
const INVALID: u8 = 0xff;

/// Bits per residue in protein k-mer indices (20 codes fit in 5 bits).
const PROTEIN_BITS: usize = 5;

/// Byte → DNA code 0..3, [`AMBIGUOUS`] or [`INVALID`].
static DNA_CODE: [u8; 256] = dna_table();
/// Byte → amino-acid code 0..19, [`AMBIGUOUS`] or [`INVALID`].
static PROTEIN_CODE: [u8; 256] = protein_table();

const fn dna_table() -> [u8; 256] {
    let mut table = [INVALID; 256];
    let ambiguous = b"NRYSWKMBDHV";
    let mut i = 0;
    while i < ambiguous.len() {
        table[ambiguous[i] as usize] = AMBIGUOUS;
        table[ambiguous[i].to_ascii_lowercase() as usize] = AMBIGUOUS;
        i += 1;
    }
    let bases = b"ACGTU";
    let codes = [0, 1, 2, 3, 3];
    let mut i = 0;
    while i < bases.len() {
        table[bases[i] as usize] = codes[i];
        table[bases[i].to_ascii_lowercase() as usize] = codes[i];
        i += 1;
    }
    table
}

const fn protein_table() -> [u8; 256] {
    let mut table = [INVALID; 256];
    let ambiguous = b"XBZJUO*";
    let mut i = 0;
    while i < ambiguous.len() {
        table[ambiguous[i] as usize] = AMBIGUOUS;
        table[ambiguous[i].to_ascii_lowercase() as usize] = AMBIGUOUS;
        i += 1;
    }
    let mut code = 0;
    while code < AMINO_ACIDS.len() {
        table[AMINO_ACIDS[code] as usize] = code as u8;
        table[AMINO_ACIDS[code].to_ascii_lowercase() as usize] = code as u8;
        code += 1;
    }
    table
}

/// A character outside the alphabet, found at `position` (0-based) of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidResidue {
    /// 0-based offset in the sequence.
    pub position: usize,
    /// The offending byte.
    pub byte: u8,
}

/// Length of the count array [`count_dna_kmers`] needs for `k`.
pub fn dna_count_len(k: usize) -> usize {
    1 << (2 * k)
}

/// Adds the overlapping forward-strand k-mers of `sequence` to `counts`
/// (`counts.len() == dna_count_len(k)`, 1 ≤ k ≤ [`MAX_DNA_K`]) and returns how many were
/// counted. Windows holding `N`/IUPAC codes are skipped; any other non-ACGTU byte is an error.
pub fn count_dna_kmers(
    sequence: &[u8],
    k: usize,
    counts: &mut [u32],
) -> Result<u64, InvalidResidue> {
    assert!((1..=MAX_DNA_K).contains(&k) && counts.len() == dna_count_len(k));
    count_kmers(sequence, k, counts, &DNA_CODE, 2)
}

/// Length of the count array [`count_protein_kmers`] needs for `k` (5 bits per residue).
pub fn protein_count_len(k: usize) -> usize {
    1 << (PROTEIN_BITS * k)
}

/// Adds the overlapping amino-acid k-mers of `sequence` to `counts`
/// (`counts.len() == protein_count_len(k)`, 1 ≤ k ≤ [`MAX_PROTEIN_K`]) and returns how many
/// were counted. `X`, `B`, `Z`, `J`, `U`, `O` and `*` break windows; other non-amino-acid
/// bytes are an error. Use [`protein_columns`] to pick the 20^k meaningful entries.
pub fn count_protein_kmers(
    sequence: &[u8],
    k: usize,
    counts: &mut [u32],
) -> Result<u64, InvalidResidue> {
    assert!((1..=MAX_PROTEIN_K).contains(&k) && counts.len() == protein_count_len(k));
    count_kmers(sequence, k, counts, &PROTEIN_CODE, PROTEIN_BITS)
}

/// The rolling count behind [`count_dna_kmers`] and [`count_protein_kmers`]: each byte's code
/// from `codes` (a residue, [`AMBIGUOUS`] or [`INVALID`]) shifted in at `bits` bits per
/// residue; `counts.len()` is 2^(bits·k).
#[inline(always)]
fn count_kmers(
    sequence: &[u8],
    k: usize,
    counts: &mut [u32],
    codes: &[u8; 256],
    bits: usize,
) -> Result<u64, InvalidResidue> {
    let mask = counts.len() - 1;
    let mut kmer = 0usize;
    let mut valid = 0usize;
    let mut total = 0u64;
    for (position, &byte) in sequence.iter().enumerate() {
        let code = codes[byte as usize];
        if code < AMBIGUOUS {
            kmer = ((kmer << bits) | code as usize) & mask;
            valid += 1;
            if valid >= k {
                counts[kmer] += 1;
                total += 1;
            }
        } else if code == AMBIGUOUS {
            valid = 0;
        } else {
            return Err(InvalidResidue { position, byte });
        }
    }
    Ok(total)
}

/// The count-array indices of the 20^k amino-acid k-mers, in lexicographic order of
/// [`AMINO_ACIDS`], with their names (`"A"`, …, or `"AC"`, …).
pub fn protein_columns(k: usize) -> (Vec<usize>, Vec<String>) {
    let mut indices = Vec::with_capacity(20usize.pow(k as u32));
    let mut names = Vec::with_capacity(indices.capacity());
    for rank in 0..20usize.pow(k as u32) {
        let mut index = 0;
        let mut name = String::with_capacity(k);
        for digit in (0..k).rev() {
            let code = rank / 20usize.pow(digit as u32) % 20;
            index = (index << PROTEIN_BITS) | code;
            name.push(AMINO_ACIDS[code] as char);
        }
        indices.push(index);
        names.push(name);
    }
    (indices, names)
}

/// The DNA k-mer with index `index`, as text.
pub fn dna_kmer_name(index: usize, k: usize) -> String {
    (0..k)
        .rev()
        .map(|digit| DNA_BASES[(index >> (2 * digit)) & 3] as char)
        .collect()
}

/// Index of the reverse complement of DNA k-mer `index`.
pub fn reverse_complement(index: usize, k: usize) -> usize {
    let mut rc = 0;
    let mut rest = index;
    for _ in 0..k {
        rc = (rc << 2) | (3 - (rest & 3));
        rest >>= 2;
    }
    rc
}

/// For each k-mer index, its column when a k-mer and its reverse complement share a
/// column; columns are numbered in order of the lexicographically smaller of the pair.
/// Returns the map and the number of columns.
pub fn canonical_columns(k: usize) -> (Vec<u32>, usize) {
    let n = dna_count_len(k);
    let mut column = vec![u32::MAX; n];
    let mut next = 0u32;
    for index in 0..n {
        let rc = reverse_complement(index, k);
        if rc >= index {
            column[index] = next;
            column[rc] = next;
            next += 1;
        }
    }
    (column, next as usize)
}

/// Alphabet-detection rule: true when at least 90% of the letters are A, C, G, T, U or N.
pub fn looks_like_dna(residues: &[u8]) -> bool {
    let mut letters = 0usize;
    let mut nucleotides = 0usize;
    for &byte in residues {
        if byte.is_ascii_alphabetic() {
            letters += 1;
            if matches!(
                byte.to_ascii_uppercase(),
                b'A' | b'C' | b'G' | b'T' | b'U' | b'N'
            ) {
                nucleotides += 1;
            }
        }
    }
    letters > 0 && nucleotides * 10 >= letters * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimer_counts_by_hand() {
        // ACGTNAC: windows AC, CG, GT, (TN, NA skipped), AC → AC=2, CG=1, GT=1 (counted by hand).
        let mut counts = vec![0; 16];
        let total = count_dna_kmers(b"ACGTNAC", 2, &mut counts).unwrap();
        assert_eq!(total, 4);
        assert_eq!(counts[1], 2); // AC = 0*4+1
        assert_eq!(counts[6], 1); // CG = 1*4+2
        assert_eq!(counts[11], 1); // GT = 2*4+3
        assert_eq!(counts.iter().sum::<u32>(), 4);
    }

    #[test]
    fn lowercase_and_u_count_like_upper_t() {
        let mut upper = vec![0; 64];
        let mut lower = vec![0; 64];
        count_dna_kmers(b"ACGTTGCA", 3, &mut upper).unwrap();
        count_dna_kmers(b"acguugca", 3, &mut lower).unwrap();
        assert_eq!(upper, lower);
    }

    #[test]
    fn invalid_byte_is_reported_with_position() {
        let mut counts = vec![0; 4];
        assert_eq!(
            count_dna_kmers(b"ACJ", 1, &mut counts),
            Err(InvalidResidue {
                position: 2,
                byte: b'J'
            })
        );
    }

    #[test]
    fn canonical_column_counts() {
        // (4^k + 4^(k/2)) / 2 for even k, 4^k / 2 for odd k.
        assert_eq!(canonical_columns(1).1, 2);
        assert_eq!(canonical_columns(2).1, 10);
        assert_eq!(canonical_columns(4).1, 136);
        let (map, _) = canonical_columns(4);
        let aaaa = 0;
        let tttt = 255;
        assert_eq!(map[aaaa], map[tttt]);
        assert_eq!(
            dna_kmer_name(reverse_complement(0b00_01_10_11, 4), 4),
            "ACGT"
        );
        assert_eq!(dna_kmer_name(reverse_complement(1, 4), 4), "GTTT");
    }

    #[test]
    fn protein_dipeptides_by_hand() {
        // MKX*MK: windows MK, (KX, X*, *M skipped), MK → MK = 2.
        let mut counts = vec![0; protein_count_len(2)];
        let total = count_protein_kmers(b"MKX*MK", 2, &mut counts).unwrap();
        assert_eq!(total, 2);
        let (indices, names) = protein_columns(2);
        let mk = names.iter().position(|n| n == "MK").unwrap();
        assert_eq!(counts[indices[mk]], 2);
        assert_eq!(names.len(), 400);
        assert_eq!(names[0], "AA");
        assert!(count_protein_kmers(b"MK1", 1, &mut [0; 32]).is_err());
    }

    #[test]
    fn alphabet_detection() {
        assert!(looks_like_dna(b"ACGTNNacgu"));
        assert!(!looks_like_dna(b"MKVLAAGIEEFRQ"));
        assert!(!looks_like_dna(b""));
    }
}
