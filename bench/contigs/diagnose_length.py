#!/usr/bin/env python3
"""Does a latent's loss against PCA track contig length? For one panel cell (the files
bench/contigs/panel.py leaves in its --out/sets/), the leave-one-out 15-NN genome accuracy of
the latent means (STEM.tsv) and of PCA with as many components (STEM_pca.tsv) per contig, then
averaged within length terciles of the set, within the dominant genome (the one holding most
contigs) and within the others. (Euclidean neighbours and a majority vote, as `vaebio
evaluate`; ties may fall differently, so the overall figures can differ from its by ~0.002.)

    bench/.venv/bin/python bench/contigs/diagnose_length.py \\
        bench/out/contig-panel/sets/dominant-mid-tnf-a __latent_scale_posterior 1,2,3

numpy only.
"""
import argparse
import os
import sys
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bins import fasta_lengths  # noqa: E402
from diagnose_bins import read_latent  # noqa: E402

K = 15


def knn_correct(scores, genomes):
    """Per row: whether the majority genome of its K nearest other rows is its own."""
    squared = (scores ** 2).sum(1)
    distances = squared[:, None] + squared[None, :] - 2 * scores @ scores.T
    np.fill_diagonal(distances, np.inf)
    neighbours = np.argsort(distances, axis=1)[:, :K]
    return np.array([Counter(genomes[neighbours[i]]).most_common(1)[0][0] == genomes[i]
                     for i in range(len(genomes))])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("prefix", help="set prefix, e.g. bench/out/contig-panel/sets/NAME")
    parser.add_argument("tag", help="run tag of the cell files, e.g. default")
    parser.add_argument("seeds", help="comma-separated")
    args = parser.parse_args()
    with open(args.prefix + "_labels.tsv") as table:
        table.readline()
        genome_of = dict(line.rstrip("\n").split("\t") for line in table)
    lengths = fasta_lengths(args.prefix + ".fa")
    for seed in args.seeds.split(","):
        stem = f"{args.prefix}_{args.tag}_s{seed}"
        ids, latent = read_latent(stem + ".tsv")
        pca_ids, pca = read_latent(stem + "_pca.tsv")
        assert ids == pca_ids, "latent and PCA tables list other contigs"
        genomes = np.array([genome_of[i] for i in ids])
        length = np.array([lengths[i] for i in ids])
        ours, theirs = knn_correct(latent, genomes), knn_correct(pca, genomes)
        tercile = np.digitize(length, np.quantile(length, [1 / 3, 2 / 3]))
        dominant = genomes == Counter(genomes).most_common(1)[0][0]
        parts = [f"seed {seed}: {len(ids)} contigs of {length.min()}-{length.max()} bp, "
                 f"latent / PCA 15-NN {ours.mean():.3f} / {theirs.mean():.3f}"]
        for t in range(3):
            chosen = tercile == t
            parts.append(f"tercile {t + 1} (<= {length[chosen].max()} bp) "
                         f"{ours[chosen].mean():.3f} / {theirs[chosen].mean():.3f}")
        parts.append(f"dominant genome ({dominant.mean():.0%} of contigs) "
                     f"{ours[dominant].mean():.3f} / {theirs[dominant].mean():.3f}, others "
                     f"{ours[~dominant].mean():.3f} / {theirs[~dominant].mean():.3f}")
        print("; ".join(parts))


if __name__ == "__main__":
    main()
