#!/usr/bin/env python3
"""Is a gap between two latents on PBMC larger than the choice of cells? (issue 5, section 1)

For plain PCA, scVI and vaebio latents cached by run.py, each cell gets a 15-NN vote
(correct or not) and a k-means cluster (k = number of types, sklearn, 50 inits, fixed seed)
once; then the cells are resampled with replacement and the 15-NN accuracy and k-means ARI
of the resample recomputed for each latent (tool means over the seeds). Prints the observed
difference and its 95% bootstrap interval for each pair. What it leaves out: the k-means
partitions are not re-run per resample, and sklearn breaks kNN ties differently from
`vaebio evaluate`, so its figures differ from run.py's in the third decimal.

    bench/.venv/bin/python bench/singlecell/cell_bootstrap.py --seeds 0,1,2,3,4,5 \
        --tag default
"""

import argparse
import os

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors


def per_cell(path, labels, k=15):
    """(per-cell 15-NN correctness, k-means cluster per cell) of the latent at `path`."""
    z = pd.read_csv(path, sep="\t", index_col=0).loc[labels.index].to_numpy()
    y = labels.to_numpy()
    _, neighbours = NearestNeighbors(n_neighbors=k + 1).fit(z).kneighbors(z)
    correct = np.empty(len(y))
    for i, row in enumerate(neighbours):
        votes = y[[j for j in row if j != i][:k]]
        values, counts = np.unique(votes, return_counts=True)
        correct[i] = values[np.argmax(counts)] == y[i]
    clusters = KMeans(len(np.unique(y)), n_init=50, random_state=0).fit_predict(z)
    return correct, clusters


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench/out/singlecell")
    parser.add_argument("--data", default="pbmc")
    parser.add_argument("--seeds", default="0,1,2,3,4,5")
    parser.add_argument("--tag", default="default", help="vaebio run tag in run.py's cache")
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()

    runs = os.path.join(args.out, "runs")
    labels = pd.read_csv(os.path.join(args.out, f"{args.data}_labels.tsv"), sep="\t",
                         index_col=0).iloc[:, 0]
    y = labels.to_numpy()
    seeds = args.seeds.split(",")
    tools = {
        "PCA": [per_cell(os.path.join(runs, f"{args.data}_pca10.tsv"), labels)],
        "scVI": [per_cell(os.path.join(runs, f"{args.data}_scvi_s{s}_latent.tsv"), labels)
                 for s in seeds],
        "vaebio": [per_cell(os.path.join(runs, f"{args.data}_vaebio_{args.tag}_s{s}.tsv"),
                            labels) for s in seeds],
    }

    def scores(cells):
        return {name: (np.mean([r[0][cells].mean() for r in results]),
                       np.mean([adjusted_rand_score(y[cells], r[1][cells]) for r in results]))
                for name, results in tools.items()}

    observed = scores(np.arange(len(y)))
    rng = np.random.default_rng(0)
    resampled = [scores(rng.integers(0, len(y), len(y))) for _ in range(args.resamples)]
    print(f"{args.data}, {len(y)} cells, seeds {args.seeds}, {args.resamples} resamples")
    print("| pair | metric | difference | 95% interval |")
    print("| --- | --- | --- | --- |")
    for a, b in [("PCA", "scVI"), ("PCA", "vaebio"), ("vaebio", "scVI")]:
        for m, metric in enumerate(["15-NN accuracy", "k-means ARI"]):
            diffs = [r[a][m] - r[b][m] for r in resampled]
            low, high = np.percentile(diffs, [2.5, 97.5])
            print(f"| {a} − {b} | {metric} | {observed[a][m] - observed[b][m]:+.3f} | "
                  f"{low:+.3f} to {high:+.3f} |")


if __name__ == "__main__":
    main()
