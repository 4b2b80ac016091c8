#!/usr/bin/env python3
"""Contig panel: is PCA-16 of the reconstructions in the likelihood's metric a better embedding
than the latent means? (issue 17; session 25, not adopted.)

The embedding counterpart of bench/contigs/metric_denoised.py: per set of a half and seeds 1, 2,
from what bench/contigs/denoised.py kept (`STEM_features.tsv`, `STEM_recon.tsv`, the latent
`STEM.tsv`, PCA-16 `STEM_pca.tsv`), the reconstructions z-scored as the features, each column
times √ of its loss weight (composition 0.85, abundance 0.15), centred, their first 16
principal components written to `STEM_metric16.tsv`; latent, candidate and PCA scored with
`vaebio evaluate` (15-NN, k-means ARI). Prints a row per set and the paired differences with
bootstrap 95% intervals over set × seed cells.

    bench/.venv/bin/python bench/contigs/metric_embedding.py target/release/vaebio tuning
"""
import os
import sys

import numpy as np

sys.path.insert(0, "bench")
sys.path.insert(0, "bench/contigs")
from panel_common import bootstrap_interval, evaluate, read_panel  # noqa: E402
from panel import PANEL  # noqa: E402
from denoised import denoised_pca  # noqa: E402

vaebio, half = sys.argv[1], sys.argv[2]
cells, rows = [], []
for row in read_panel(PANEL):
    if row["half"] != half:
        continue
    prefix = os.path.join("bench/out/contig-panel/sets", row["name"])
    mine = []
    for seed in ("1", "2"):
        stem = f"{prefix}_denoised_s{seed}"
        denoised_pca(stem + "_features.tsv", stem + "_recon.tsv", stem + "_metric16.tsv",
                     16, metric=True)
        labels = prefix + "_labels.tsv"
        cell = {}
        cell["d_knn"], cell["d_ari"] = evaluate(vaebio, stem + "_metric16.tsv", labels)
        cell["l_knn"], cell["l_ari"] = evaluate(vaebio, stem + ".tsv", labels)
        cell["p_knn"], cell["p_ari"] = evaluate(vaebio, stem + "_pca.tsv", labels)
        mine.append(cell)
    cells += mine
    m = {k: np.mean([c[k] for c in mine]) for k in mine[0]}
    rows.append((row["name"], m))
    print(f"| {row['name']} | {m['l_knn']:.3f} / {m['d_knn']:.3f} / {m['p_knn']:.3f} | "
          f"{m['l_ari']:.3f} / {m['d_ari']:.3f} / {m['p_ari']:.3f} |", flush=True)
for k in ("knn", "ari"):
    d = [c["d_" + k] - c["l_" + k] for c in cells]
    lo, hi = bootstrap_interval(d)
    dp = [c["d_" + k] - c["p_" + k] for c in cells]
    lo2, hi2 = bootstrap_interval(dp)
    print(f"- {k}: candidate - latent {np.mean(d):+.3f} ({lo:+.3f} to {hi:+.3f}); "
          f"candidate - PCA {np.mean(dp):+.3f} ({lo2:+.3f} to {hi2:+.3f}); candidate >= PCA on "
          f"{sum(m['d_' + k] >= m['p_' + k] for _, m in rows)} of {len(rows)}; latent >= PCA on "
          f"{sum(m['l_' + k] >= m['p_' + k] for _, m in rows)}")
