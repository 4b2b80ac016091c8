#!/usr/bin/env python3
"""Why k-means (and kNN) on the latent falls below PCA on the dominant-genome sets: the same
scores in several spaces, and how much of each space's spread lies inside the dominant genome.

For one panel cell (files bench/contigs/panel.py leaves in its --out/sets/), per space:
15-NN genome accuracy and k-means ARI (k = genomes; sklearn, 10 restarts, so figures differ
slightly from `vaebio evaluate` but compare the spaces on one footing), the dominant genome's
share of the total sum of squares around the overall centroid (k-means minimises the
within-cluster sum of squares, so a genome holding most of it is cheaper to split than to
keep), and the k-means cluster count the dominant genome is spread over (clusters holding
>= 10% of it). Spaces: the latent means (STEM.tsv), the same divided
per dimension by the RMS posterior SD (STEM_clustered.tsv: what `vaebio bin` clusters, which
panel.py has it write with `--clustered-out`), PCA of the same features (STEM_pca.tsv), and
that PCA whitened (each score over its SD: what a beta = 1 latent looks like to a linear
model).

With `--features F` (`vaebio featurize --fasta SET.fa [--abundance SET_depth.txt] -o F`), also
the eigenvalues of the dominant genome's covariance of the z-scored TNF columns: with a unit
Gaussian noise and beta = 1 a VAE keeps (and whitens) every direction of variance above 1,
as probabilistic PCA does; and a space of the latent mapped back to the z-scored features by
least squares (a linear stand-in for the decoder: distances as in feature space); and when the
set has abundance, per latent dimension in use (SD > 0.1), its SD over all contigs and within
the dominant genome, and the share of its variance within the dominant genome that the
abundance columns explain linearly (R^2): is the genome's spread depth or composition?

    bench/.venv/bin/python bench/contigs/diagnose_latent.py \
        bench/out/contig-panel/sets/dominant-short-tnf-a default 1,2,3 --features F

numpy and scikit-learn.
"""
import argparse
import os
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import KNeighborsClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bins import read_table  # noqa: E402
from diagnose_bins import read_latent  # noqa: E402

NEIGHBOURS = 15


def knn_accuracy(scores, labels):
    """Leave-one-out 15-NN majority-vote accuracy (the point itself excluded)."""
    model = KNeighborsClassifier(n_neighbors=NEIGHBOURS + 1).fit(scores, labels)
    _, index = model.kneighbors(scores)
    hits = 0
    for row, neighbours in enumerate(index):
        votes = labels[[n for n in neighbours if n != row][:NEIGHBOURS]]
        values, counts = np.unique(votes, return_counts=True)
        hits += values[np.argmax(counts)] == labels[row]
    return hits / len(labels)


def describe(name, scores, labels, dominant, seed):
    k = len(np.unique(labels))
    clusters = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(scores)
    centred = scores - scores.mean(axis=0)
    inside = labels == dominant
    within = ((scores[inside] - scores[inside].mean(axis=0)) ** 2).sum()
    share = within / (centred ** 2).sum()
    _, counts = np.unique(clusters[inside], return_counts=True)
    pieces = int((counts >= 0.1 * inside.sum()).sum())
    return (f"| {name} | {knn_accuracy(scores, labels):.3f} | "
            f"{adjusted_rand_score(labels, clusters):.3f} | {share:.2f} | {pieces} |")


def z_scored(features):
    """Row ids, the z-scored TNF columns and the abundance columns of a `vaebio featurize`
    table."""
    names, values = read_latent(features)
    with open(features) as table:
        header = table.readline().rstrip("\n").split("\t")[1:]
    tnf = values[:, np.array([c.startswith("tnf_") for c in header])]
    depth = values[:, np.array([c.startswith("abundance:") for c in header])]
    return names, (tnf - tnf.mean(axis=0)) / tnf.std(axis=0), depth


def depth_share(means, depth, inside):
    """Per latent dimension in use: SD overall, SD within INSIDE, and R^2 of the dimension
    on the abundance columns within INSIDE (least squares with an intercept)."""
    design = np.column_stack([depth[inside], np.ones(inside.sum())])
    for dim in np.flatnonzero(means.std(axis=0) > 0.1):
        values = means[inside, dim]
        residual = values - design @ np.linalg.lstsq(design, values, rcond=None)[0]
        print(f"| z{dim + 1} | {means[:, dim].std():.2f} | {values.std():.2f} | "
              f"{1 - residual.var() / values.var():.2f} |")


def mapped(means, tnf):
    """The latent means mapped to the z-scored TNF columns by least squares."""
    centred = means - means.mean(axis=0)
    return centred @ np.linalg.lstsq(centred, tnf, rcond=None)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("prefix", help="a set's prefix, e.g. bench/out/contig-panel/sets/NAME")
    parser.add_argument("tag", help="the embed-flags tag of panel.py, e.g. default")
    parser.add_argument("seeds", help="comma-separated")
    parser.add_argument("--features", help="the set's `vaebio featurize` table")
    args = parser.parse_args()
    genome_of = read_table(args.prefix + "_labels.tsv")
    print(f"\n{os.path.basename(args.prefix)}, tag {args.tag}\n")
    if args.features:
        names, tnf, depth = z_scored(args.features)
        labels = np.array([genome_of[i] for i in names])
        values, counts = np.unique(labels, return_counts=True)
        eigen = np.linalg.eigvalsh(np.cov(tnf[labels == values[np.argmax(counts)]].T))[::-1]
        print(f"Dominant genome, z-scored TNF: {(eigen > 1).sum()} covariance eigenvalues above"
              f" 1, the largest {', '.join(f'{e:.1f}' for e in eigen[:6])}.\n")
    print("| seed / space | 15-NN | k-means ARI | dominant genome's share of the SS | "
          "k-means clusters holding >= 10% of it |")
    print("| --- | --- | --- | --- | --- |")
    for seed in args.seeds.split(","):
        stem = f"{args.prefix}_{args.tag}_s{seed}"
        ids, means = read_latent(stem + ".tsv")
        labels = np.array([genome_of[i] for i in ids])
        values, counts = np.unique(labels, return_counts=True)
        dominant = values[np.argmax(counts)]
        pca = read_latent(stem + "_pca.tsv")[1]
        spaces = [("means", means)]
        if os.path.exists(stem + "_clustered.tsv"):
            spaces.append(("posterior-scaled means", read_latent(stem + "_clustered.tsv")[1]))
        spaces += [("PCA", pca), ("PCA whitened", pca / pca.std(axis=0))]
        if args.features:
            if names != ids:
                sys.exit(f"{args.features}: other rows than the latent's — featurize SET.fa")
            spaces.append(("latent mapped to the TNF", mapped(means, tnf)))
        for name, scores in spaces:
            print(describe(f"{seed} {name}", scores, labels, dominant, int(seed)))
        if args.features and depth.shape[1]:
            print(f"\n| seed {seed}: dimension | SD | SD in the dominant genome | R^2 on "
                  "abundance in it |\n| --- | --- | --- | --- |")
            depth_share(means, depth, labels == dominant)
            print()


if __name__ == "__main__":
    main()
