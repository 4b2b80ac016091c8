#!/usr/bin/env python3
"""How much of a kNN gap on PBMC is the neighbour count and the tie rule? (issue 5, section 1)

For plain PCA, scVI and vaebio latents cached by run.py, the leave-one-out k-NN cell-type
accuracy for k = 5, 10, 15, 20, 30 under two tie rules: `vaebio evaluate`'s (a tied vote goes
to the label of the nearest neighbour among the tied labels) and sklearn's
`KNeighborsClassifier` (the first label in sorted order). Tool means over the seeds.

    bench/.venv/bin/python bench/singlecell/knn_ties.py --seeds 0,1,2,3,4,5 --tag default
"""

import argparse
import os

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

KS = (5, 10, 15, 20, 30)


def accuracies(path, labels):
    """{(rule, k): accuracy} of the latent at `path`."""
    z = pd.read_csv(path, sep="\t", index_col=0).loc[labels.index].to_numpy()
    y = labels.to_numpy()
    _, neighbours = NearestNeighbors(n_neighbors=max(KS) + 1).fit(z).kneighbors(z)
    out = {}
    for k in KS:
        hits = {"nearest": 0, "sorted": 0}
        for i, row in enumerate(neighbours):
            votes = y[[j for j in row if j != i][:k]]
            values, counts = np.unique(votes, return_counts=True)
            top = set(values[counts == counts.max()])
            hits["sorted"] += min(top) == y[i]
            hits["nearest"] += next(v for v in votes if v in top) == y[i]
        for rule, n in hits.items():
            out[(rule, k)] = n / len(y)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4,5,6,7,8,9,10,11")
    parser.add_argument("--tag", default="default", help="vaebio runs' tag in run.py's cache")
    parser.add_argument("--runs", default="bench/out/singlecell/runs")
    args = parser.parse_args()
    root = os.path.dirname(args.runs.rstrip("/"))
    labels = pd.read_csv(f"{root}/pbmc_labels.tsv", sep="\t", index_col=0).iloc[:, 0]
    seeds = [int(s) for s in args.seeds.split(",")]
    tools = {
        "PCA-10": [f"{args.runs}/pbmc_pca10.tsv"],
        "scVI": [f"{args.runs}/pbmc_scvi_s{s}_latent.tsv" for s in seeds],
        "vaebio": [f"{args.runs}/pbmc_vaebio_{args.tag}_s{s}.tsv" for s in seeds],
    }
    print("| tool | seeds | tie rule | " + " | ".join(f"k = {k}" for k in KS) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in KS) + " |")
    for tool, paths in tools.items():
        paths = [p for p in paths if os.path.exists(p)]
        runs = [accuracies(p, labels) for p in paths]
        for rule in ("nearest", "sorted"):
            cells = [f"{np.mean([r[(rule, k)] for r in runs]):.4f}" for k in KS]
            print(f"| {tool} | {len(runs)} | {rule} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
