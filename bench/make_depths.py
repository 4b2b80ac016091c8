#!/usr/bin/env python3
"""Synthetic jgi_summarize_bam_contig_depths table for testdata/contigs.fa: each genome has
its own mean depth per sample (gamma-distributed around it), as co-abundance binning expects.

    python3 bench/make_depths.py testdata/contigs.fa > testdata/contigs_depth.txt
"""
import random
import sys

rng = random.Random(3)
means = {"genome1": (12.0, 2.0), "genome2": (3.0, 9.0), "genome3": (6.0, 6.0)}
print("contigName\tcontigLen\ttotalAvgDepth\ts1.bam\ts1.bam-var\ts2.bam\ts2.bam-var")
name, length = None, 0


def emit(name, length):
    genome = name.split("_")[0]
    depths = [rng.gammavariate(20, m / 20) for m in means[genome]]
    cells = "\t".join(f"{d:.4f}\t{d * 1.3:.4f}" for d in depths)
    print(f"{name}\t{length}\t{sum(depths):.4f}\t{cells}")


for line in open(sys.argv[1]):
    if line.startswith(">"):
        if name:
            emit(name, length)
        name, length = line[1:].split()[0], 0
    else:
        length += len(line.strip())
emit(name, length)
