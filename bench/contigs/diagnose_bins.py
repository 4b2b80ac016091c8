#!/usr/bin/env python3
"""Why a genome is split or merged by `vaebio bin`: per genome, its geometry in a latent table
(and in PCA-10 of the same features) as the cosine medoid clustering sees it, and its bins.

For one panel cell (the files bench/contigs/panel.py leaves in its --out/sets/), per table
(the latent as clustered, STEM_clustered.tsv, else the latent means STEM.tsv; PCA-10
scores STEM_pca10.tsv) and per genome:
contigs, bp, median depth (jgi totalAvgDepth, when the set has abundance), the norm of the
genome's centroid, the RMS distance of its contigs from that centroid, their ratio (a genome
whose centroid sits near the origin compared with its spread points every way, so cosine
distance splits it), the median half-cosine distance of its contigs to their mean direction
(the medoid search looks within 0.05 and the histogram to 0.3), and the share in bp of the
genome in its best bin. Also the active latent dimensions (variance > 0.01).

    bench/.venv/bin/python bench/contigs/diagnose_bins.py bench/out/contig-panel/sets/dominant-mid-depth6-b 1

numpy only.
"""
import argparse
import os
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bins import fasta_lengths, read_table  # noqa: E402


def read_latent(path):
    """Contig ids and the score matrix of a latent/PCA table."""
    with open(path) as table:
        table.readline()
        rows = [line.rstrip("\n").split("\t") for line in table if line.strip()]
    return [row[0] for row in rows], np.array([[float(v) for v in row[1:]] for row in rows])


def read_depth(path):
    """Contig id -> jgi totalAvgDepth, or {} when the set has no abundance."""
    if not os.path.exists(path):
        return {}
    with open(path) as table:
        table.readline()
        return {f[0]: float(f[2]) for f in (line.split("\t") for line in table)}


def best_bin_share(bins, genome_of, lengths):
    """Genome -> share of its bp in the bin holding most of it, and that bin's precision."""
    bp = defaultdict(lambda: defaultdict(int))
    bin_bp = defaultdict(int)
    for contig, b in read_table(bins).items():
        bp[genome_of[contig]][b] += lengths[contig]
        bin_bp[b] += lengths[contig]
    shares = {}
    for genome, by_bin in bp.items():
        best = max(by_bin, key=by_bin.get)
        shares[genome] = (by_bin[best] / sum(by_bin.values()), by_bin[best] / bin_bp[best],
                          len(by_bin))
    return shares


def describe(title, ids, scores, bins, genome_of, lengths, depth):
    variances = scores.var(axis=0)
    print(f"\n{title}: {scores.shape[1]} columns, {int((variances > 0.01).sum())} with variance"
          f" > 0.01; norm of the overall centroid {np.linalg.norm(scores.mean(axis=0)):.2f},"
          f" median row norm {np.median(np.linalg.norm(scores, axis=1)):.2f}")
    print("| genome | contigs | kbp | depth | centroid norm | RMS spread | ratio "
          "| median half-cos to mean | best bin share / precision / bins |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    shares = best_bin_share(bins, genome_of, lengths)
    genomes = sorted({genome_of[i] for i in ids},
                     key=lambda g: -sum(lengths[i] for i in ids if genome_of[i] == g))
    for genome in genomes:
        rows = [k for k, i in enumerate(ids) if genome_of[i] == genome]
        points = scores[rows]
        centroid = points.mean(axis=0)
        spread = np.sqrt(((points - centroid) ** 2).sum(axis=1).mean())
        unit = points / np.linalg.norm(points, axis=1, keepdims=True)
        direction = unit.mean(axis=0)
        direction /= np.linalg.norm(direction)
        half_cos = np.median(0.5 * (1.0 - unit @ direction))
        depths = [depth[ids[k]] for k in rows if ids[k] in depth]
        share, precision, n_bins = shares[genome]
        print(f"| {genome} | {len(rows)} | {sum(lengths[ids[k]] for k in rows) / 1e3:.0f} | "
              f"{np.median(depths) if depths else float('nan'):.1f} | "
              f"{np.linalg.norm(centroid):.2f} | {spread:.2f} | "
              f"{np.linalg.norm(centroid) / spread:.2f} | {half_cos:.3f} | "
              f"{share:.2f} / {precision:.2f} / {n_bins} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("prefix", help="a set's prefix, e.g. bench/out/contig-panel/sets/NAME")
    parser.add_argument("seed")
    parser.add_argument("--tag", default="default", help="the embed-flags tag of panel.py")
    args = parser.parse_args()
    stem = f"{args.prefix}_{args.tag}_s{args.seed}"
    lengths = fasta_lengths(args.prefix + ".fa")
    genome_of = read_table(args.prefix + "_labels.tsv")
    depth = read_depth(args.prefix + "_depth.txt")
    clustered = stem + "_clustered.tsv"  # what `vaebio bin` clustered, when panel.py kept it
    latent = clustered if os.path.exists(clustered) else stem + ".tsv"
    for title, table, bins in ((f"latent ({os.path.basename(latent)})", latent, stem + "_bins.tsv"),
                               ("PCA-10", stem + "_pca10.tsv", stem + "_pca_bins.tsv")):
        ids, scores = read_latent(table)
        describe(title, ids, scores, bins, genome_of, lengths, depth)


if __name__ == "__main__":
    main()
