#!/usr/bin/env python3
"""Graph clustering of kept single-cell embeddings, as scanpy/scVI users cluster: a 15-NN graph
of the table (`sc.pp.neighbors(use_rep=...)`), Leiden at resolution 1 (igraph flavour, 2
iterations, random_state 0), ARI against the labels. Reads the real panel's kept tables
(bench/singlecell/real_panel.py: NAME_TAG_sS.tsv and NAME_pca10.tsv under OUT/panel) and
prints per set the latent's and PCA-10's Leiden ARI and cluster counts, then the paired mean
over set x seed cells per half (needs leidenalg and igraph in the venv).

    bench/.venv/bin/python bench/singlecell/graph_clusters.py --seeds 1,2
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from panel_common import read_panel  # noqa: E402


def leiden(table, labels):
    """Leiden ARI and cluster count of the embedding in TABLE against LABELS (a Series)."""
    import anndata
    import scanpy as sc
    from sklearn.metrics import adjusted_rand_score
    frame = pd.read_csv(table, sep="\t", index_col=0).loc[labels.index]
    adata = anndata.AnnData(np.zeros((len(frame), 1), np.float32))
    adata.obsm["X_emb"] = frame.to_numpy(np.float64)
    sc.pp.neighbors(adata, n_neighbors=15, use_rep="X_emb", random_state=0)
    sc.tl.leiden(adata, resolution=1.0, flavor="igraph", n_iterations=2, directed=False,
                 random_state=0)
    clusters = adata.obs["leiden"].to_numpy()
    return adjusted_rand_score(labels.to_numpy(), clusters), len(set(clusters))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench/out/singlecell-real")
    parser.add_argument("--tag", default="default", help="embed-flags tag of the kept tables")
    parser.add_argument("--seeds", default="1,2")
    args = parser.parse_args()
    seeds = [s for s in args.seeds.split(",") if s]
    rows = read_panel(os.path.join(HERE, "real_panel.tsv"))
    print("| half | set | types | Leiden ARI: latent / PCA-10 | clusters: latent / PCA-10 |")
    print("| --- | --- | --- | --- | --- |")
    differences = {}
    for row in rows:
        prefix = os.path.join(args.out, "panel", row["name"])
        labels = pd.read_csv(prefix + "_labels.tsv", sep="\t", index_col=0).iloc[:, 0]
        pca, pca_n = leiden(prefix + "_pca10.tsv", labels)
        cells = [leiden(f"{prefix}_{args.tag}_s{seed}.tsv", labels) for seed in seeds]
        ari = np.mean([c[0] for c in cells])
        differences.setdefault(row["half"], []).extend(c[0] - pca for c in cells)
        print(f"| {row['half']} | {row['name']} | {labels.nunique()} | {ari:.3f} / {pca:.3f} "
              f"| {np.mean([c[1] for c in cells]):.0f} / {pca_n} |", flush=True)
    for half, values in differences.items():
        print(f"- {half}: latent − PCA-10 Leiden ARI {np.mean(values):+.3f} over "
              f"{len(values)} set x seed cells, at or above on {sum(v >= 0 for v in values)}")


if __name__ == "__main__":
    main()
