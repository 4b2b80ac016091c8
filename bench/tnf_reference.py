"""Independent TNF reference for vaebio-io's tests (numpy + scipy, VAMB's recipe).

Builds the kernel exactly as VAMB's src/create_kernel.py does (scipy.linalg.null_space of
the 185 constraints, times the reverse-complement averaging matrix), projects the
tetranucleotide frequencies of a few short sequences in float32 like VAMB, and prints
the pairwise Euclidean distances pasted into crates/io/src/features/tnf.rs's test.

    python3 bench/tnf_reference.py
"""

import itertools

import numpy as np
from scipy.linalg import null_space

SEQUENCES = {
    "s1": "ACGTTGCAAGGCTTAACCGGTATGCATGCAAATTTGGGCCCAGTCAGTACGATCGATCGGATC",
    "s2": "TTTTAAAACCCCGGGGATATATGCGCGCTAGCTAGNNNNACGTACGTTGCAACGTTGCAAGCT",
    "s3": "GATTACAGATTACAGATTACACCCTTTGGGAAATCTCTCTAGAGAGAcgtacgtacgtTTAGC",
    "s4": "AAAAAAAAAAAAAAAAAAAACCCCCCCCCCGGGGGGGGGGTTTTTTTTTTAAACCCGGGTTTAC",
}


def revcomp(kmer):
    return kmer[::-1].translate(str.maketrans("ACGT", "TGCA"))


def kernel():
    kmers = ["".join(p) for p in itertools.product("ACGT", repeat=4)]
    index = {k: i for i, k in enumerate(kmers)}
    rows = [[1] * 256]
    for k in kmers:
        rc = revcomp(k)
        if k >= rc:
            continue
        row = [0] * 256
        row[index[k]] = 1
        row[index[rc]] = -1
        rows.append(row)
    for trimer in ("".join(p) for p in itertools.product("ACGT", repeat=3)):
        row = [0] * 256
        for b in "ACGT":
            row[index[trimer + b]] += 1
            row[index[b + trimer]] -= 1
        rows.append(row)
    null = null_space(np.array(rows, dtype=float))
    assert null.shape == (256, 103)
    r = np.zeros((256, 256))
    for col, k in enumerate(kmers):
        r[index[k], col] += 0.5
        r[index[revcomp(k)], col] += 0.5
    return (r @ null).astype(np.float32), index


def tnf(sequence, k, index):
    counts = np.zeros(256, dtype=np.float32)
    s = sequence.upper()
    for i in range(len(s) - 3):
        window = s[i : i + 4]
        if all(c in "ACGT" for c in window):
            counts[index[window]] += 1
    freqs = counts / counts.sum()
    return (freqs - np.float32(1 / 256)) @ k


def main():
    k, index = kernel()
    vectors = {name: tnf(seq, k, index) for name, seq in SEQUENCES.items()}
    names = list(vectors)
    for a, b in itertools.combinations(names, 2):
        d = float(np.linalg.norm(vectors[a].astype(np.float64) - vectors[b].astype(np.float64)))
        print(f"{a} {b} {d:.9f}")
    for name in names:
        print(f"norm {name} {float(np.linalg.norm(vectors[name].astype(np.float64))):.9f}")


if __name__ == "__main__":
    main()
