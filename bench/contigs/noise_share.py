#!/usr/bin/env python3
"""How much of a contig's spread around its genome is 4-mer sampling noise? (issue 17, point 4:
"z-scored TNF under a Gaussian likelihood treats the sampling noise of a 1.5 kb contig like
that of a 50 kb one"; a count likelihood would model only that noise.)

For each panel set given: `vaebio featurize --features kmer:4:canonical --min-length 2000`
(the 136 canonical tetramer frequencies of the contigs the default keeps), each column
z-scored over the set. Per contig, its mean squared distance per column to its genome's
centroid, d², is split two ways:

- theory: the multinomial sampling variance of its frequencies, Σ_k f_k (1 − f_k) / (N ·
  SD_k²) / 136 with N = length − 3 tetramers and f its genome's mean frequencies (overlapping
  windows make the true figure somewhat larger);
- fit: d² = a + b / N by least squares over the set's contigs, per genome with ≥ 20 contigs
  (a: spread that does not shrink with length, b / N: what does).

Prints per set the mean d², the sampling share by theory (mean over contigs of the theory
term / d²) and the fitted share (b/N / (a + b/N), averaged over contigs), by genome and pooled.
If most of d² is not sampling noise, no length-aware noise model removes it: it is real
composition that varies along a genome, which the model must learn to ignore.

    bench/.venv/bin/python bench/contigs/noise_share.py bench/out/contig-panel/sets/even-mid-tnf-a
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bins import fasta_lengths, read_table  # noqa: E402


def load(vaebio, prefix):
    out = prefix + "_kmer4c.tsv"
    if not os.path.exists(out):
        subprocess.run([vaebio, "featurize", "-q", "--fasta", prefix + ".fa", "--features",
                        "kmer:4:canonical", "--min-length", "2000", "-o", out], check=True)
    with open(out) as handle:
        handle.readline()
        rows = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    return [r[0] for r in rows], np.array([[float(v) for v in r[1:]] for r in rows])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="+", help="panel set prefixes (…/sets/NAME)")
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--min-contigs", type=int, default=20)
    args = parser.parse_args()
    print("| set | contigs | N (median) | d² | sampling share, theory | sampling share, fit |")
    print("| --- | --- | --- | --- | --- | --- |")
    for prefix in args.prefixes:
        ids, f = load(args.vaebio, prefix)
        genome_of = read_table(prefix + "_labels.tsv")
        lengths = fasta_lengths(prefix + ".fa")
        n = np.array([lengths[i] - 3 for i in ids], dtype=float)
        genomes = np.array([genome_of[i] for i in ids])
        sd = f.std(axis=0)
        sd[sd == 0] = 1.0
        d2, theory, fitted = [], [], []
        for genome in sorted(set(genomes)):
            rows = genomes == genome
            if rows.sum() < args.min_contigs:
                continue
            centroid = f[rows].mean(axis=0)
            dist = (((f[rows] - centroid) / sd) ** 2).mean(axis=1)
            sampling = (centroid * (1 - centroid) / sd ** 2).mean() / n[rows]
            design = np.column_stack([np.ones(rows.sum()), 1 / n[rows]])
            (a, b), *_ = np.linalg.lstsq(design, dist, rcond=None)
            d2.append(dist)
            theory.append(sampling / dist)
            fitted.append(np.clip(b / n[rows] / (a + b / n[rows]), 0, 1))
        d2, theory, fitted = (np.concatenate(v) for v in (d2, theory, fitted))
        print(f"| {os.path.basename(prefix)} | {len(d2)} | {np.median(n):,.0f} | "
              f"{d2.mean():.3f} | {np.median(theory):.2f} | {fitted.mean():.2f} |")


if __name__ == "__main__":
    main()
