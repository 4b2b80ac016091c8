#!/usr/bin/env python3
"""Contig panel: denoised PCA in the likelihood's metric (issue 17, bins with abundance).

`vaebio bin` clusters PCA-10 of the decoder's reconstructions z-scored as the features
(`Vae::denoised_pca`). With `--abundance` the model is fitted with the recipe's balance —
composition 0.85 of the reconstruction loss, abundance 0.15, i.e. each z-scored TNF column
weighs w = 0.85·n/n_tnf and each depth column w = 0.15·n/n_depth in ½·Σ w·(x − x̂)² — but PCA of
the z-scored reconstructions weighs every column alike (7 depth columns: 7/110). This script
measures the reconstructions in the likelihood's own metric instead: each z-scored column times
√w before the PCA. Without abundance every w is 1 and nothing changes, so only sets with a
`_depth.txt` are scored.

Reads what `bench/contigs/denoised.py` kept per set and seed (`STEM_features.tsv`,
`STEM_recon.tsv`, `STEM_denoised_bins.tsv` = the current default's bins), writes
`STEM_metric10.tsv` and clusters it with `vaebio bin --latent` as denoised.py clusters the
default's; prints per set the bin ARI and genomes recovered of both and the paired differences
(metric − default) with bootstrap 95% intervals over set × seed cells.

    bench/.venv/bin/python bench/contigs/metric_denoised.py --half tuning --seeds 1,2
"""

import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from panel_common import bootstrap_interval, read_panel  # noqa: E402
from bins import bin_scores  # noqa: E402
from denoised import denoised_pca  # noqa: E402
from panel import PANEL, PRECISION, RECALL  # noqa: E402

COMPONENTS = 10


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/contig-panel")
    parser.add_argument("--half", choices=["tuning", "confirmation"], required=True)
    parser.add_argument("--seeds", default="1,2")
    args = parser.parse_args()
    rows, cells = [], []
    for row in read_panel(PANEL):
        prefix = os.path.join(args.out, "sets", row["name"])
        if row["half"] != args.half or not os.path.exists(prefix + "_depth.txt"):
            continue
        labels, fasta = prefix + "_labels.tsv", prefix + ".fa"
        mine = []
        for seed in args.seeds.split(","):
            stem = f"{prefix}_denoised_s{seed}"
            denoised_pca(stem + "_features.tsv", stem + "_recon.tsv", stem + "_metric10.tsv",
                         COMPONENTS, metric=True)
            subprocess.run([args.vaebio, "bin", "-q", "--fasta", fasta, "--latent",
                            stem + "_metric10.tsv", "--seed", seed,
                            "-o", stem + "_metric_bins.tsv"], check=True)
            cell = {}
            for tag, bins in (("default", "_denoised_bins.tsv"), ("metric", "_metric_bins.tsv")):
                cell[tag + "_bin_ari"], cell[tag + "_recovered"], _ = bin_scores(
                    stem + bins, labels, fasta, PRECISION, RECALL)
            print(row["name"], seed, cell, file=sys.stderr, flush=True)
            mine.append(cell)
        cells += mine
        rows.append((row["name"], {k: np.mean([c[k] for c in mine]) for k in mine[0]}))
    print("| set | bin ARI: default / metric | recovered: default / metric |")
    print("| --- | --- | --- |")
    for name, m in rows:
        print(f"| {name} | {m['default_bin_ari']:.3f} / {m['metric_bin_ari']:.3f} | "
              f"{m['default_recovered']:.2f} / {m['metric_recovered']:.2f} |")
    for key in ("bin_ari", "recovered"):
        diffs = [c["metric_" + key] - c["default_" + key] for c in cells]
        low, high = bootstrap_interval(diffs)
        above = sum(m["metric_" + key] >= m["default_" + key] for _, m in rows)
        print(f"- {key}: metric − default {np.mean(diffs):+.3f} ({low:+.3f} to {high:+.3f}) "
              f"over {len(diffs)} cells; at or above on {above} of {len(rows)} sets")


if __name__ == "__main__":
    main()
