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
import os, sys
import numpy as np
sys.path.insert(0, 'bench'); sys.path.insert(0, 'bench/contigs')
from panel_common import evaluate, read_panel, read_table, write_table, bootstrap_interval
from panel import PANEL
from metric_denoised import COMPOSITION_SHARE
vaebio = sys.argv[1]; half = sys.argv[2]
cells = []; rows = []
for row in read_panel(PANEL):
    if row['half'] != half: continue
    prefix = os.path.join('bench/out/contig-panel/sets', row['name'])
    mine = []
    for seed in ('1', '2'):
        stem = f'{prefix}_denoised_s{seed}'
        ids, header, x = read_table(stem + '_features.tsv')
        _, _, r = read_table(stem + '_recon.tsv')
        mean, std = x.mean(0), x.std(0); std[std == 0] = 1
        z = (r - mean) / std
        depth = np.array([h.startswith('abundance:') for h in header]); n, nd = len(header), depth.sum()
        if nd:
            w = np.where(depth, (1 - COMPOSITION_SHARE) * n / nd, COMPOSITION_SHARE * n / (n - nd))
            z = z * np.sqrt(w)
        z -= z.mean(0)
        _, _, vt = np.linalg.svd(z, full_matrices=False)
        write_table(stem + '_metric16.tsv', ids, z @ vt[:16].T)
        labels = prefix + '_labels.tsv'
        cell = {}
        cell['d_knn'], cell['d_ari'] = evaluate(vaebio, stem + '_metric16.tsv', labels)
        cell['l_knn'], cell['l_ari'] = evaluate(vaebio, stem + '.tsv', labels)
        cell['p_knn'], cell['p_ari'] = evaluate(vaebio, stem + '_pca.tsv', labels)
        mine.append(cell)
    cells += mine
    m = {k: np.mean([c[k] for c in mine]) for k in mine[0]}
    rows.append((row['name'], m))
    print(f"| {row['name']} | {m['l_knn']:.3f} / {m['d_knn']:.3f} / {m['p_knn']:.3f} | {m['l_ari']:.3f} / {m['d_ari']:.3f} / {m['p_ari']:.3f} |", flush=True)
for k in ('knn', 'ari'):
    d = [c['d_' + k] - c['l_' + k] for c in cells]; lo, hi = bootstrap_interval(d)
    dp = [c['d_' + k] - c['p_' + k] for c in cells]; lo2, hi2 = bootstrap_interval(dp)
    print(f"- {k}: D - latent {np.mean(d):+.3f} ({lo:+.3f} to {hi:+.3f}); D - PCA {np.mean(dp):+.3f} ({lo2:+.3f} to {hi2:+.3f}); D >= PCA on {sum(m['d_'+k] >= m['p_'+k] for _, m in rows)} of {len(rows)}; latent >= PCA on {sum(m['l_'+k] >= m['p_'+k] for _, m in rows)}")
