#!/usr/bin/env python3
"""Reads for the BAM fixtures (see bench/make_bam.sh): single-end 100 bp reads sampled
from testdata/contigs.fa, both strands, per-genome depths that differ between two samples.
Most reads carry 1% substitutions; one in ten carries 6% (below jgi's 97% identity), one in
twenty a 3 bp deletion or insertion; one in fifty is random sequence (unmapped).

    python3 bench/make_bam.py testdata/contigs.fa SAMPLE_INDEX SEED > reads.fa
"""
import random
import sys

contigs, name = {}, None
for line in open(sys.argv[1]):
    if line.startswith(">"):
        name = line[1:].split()[0]
        contigs[name] = []
    else:
        contigs[name].append(line.strip())
contigs = {k: "".join(v) for k, v in contigs.items()}
sample = int(sys.argv[2])
rng = random.Random(int(sys.argv[3]))
# reads per contig: genome1 heavy in sample 0, genome2 in sample 1 (like contigs_depth.txt)
per_genome = {"genome1": (12, 2), "genome2": (3, 10), "genome3": (6, 6)}
COMPLEMENT = str.maketrans("ACGT", "TGCA")
READ = 100


def mutate(seq, rate):
    return "".join(rng.choice("ACGT".replace(b, "")) if rng.random() < rate else b for b in seq)


n = 0
for contig, seq in contigs.items():
    reads = per_genome[contig.split("_")[0]][sample]
    for _ in range(reads):
        start = rng.randrange(0, len(seq) - READ - 3)
        read = seq[start:start + READ + 3]
        roll = rng.random()
        if roll < 0.05:  # a 3 bp deletion in the read
            cut = rng.randrange(20, 80)
            read = read[:cut] + read[cut + 3:]
        elif roll < 0.10:  # a 3 bp insertion
            cut = rng.randrange(20, 80)
            read = read[:cut] + "".join(rng.choice("ACGT") for _ in range(3)) + read[cut:]
        read = read[:READ]
        read = mutate(read, 0.06 if rng.random() < 0.1 else 0.01)
        if rng.random() < 0.5:
            read = read.translate(COMPLEMENT)[::-1]
        n += 1
        print(f">r{sample}_{n}\n{read}")
    if rng.random() < 0.5:
        n += 1
        print(f">r{sample}_{n}\n" + "".join(rng.choice("ACGT") for _ in range(READ)))
