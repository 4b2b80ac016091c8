#!/usr/bin/env python3
"""Genotype panel (issue 17): vaebio's genotype embedding against PCA, one half at a time.

Reads bench/popgen/panel.tsv (scenarios, each fixed in the tuning or the confirmation half).
For each scenario of `--half`: simulate it unless cached under `--out`, run
`vaebio embed --vcf X.vcf --pca pca.tsv -o latent.tsv --seed S [--embed-flags]` for each seed,
and score the latent and the PCA table (as many components as the latent, same dosages) with
`vaebio evaluate` (15-NN population accuracy, k-means ARI). Prints one Markdown table per half:
per scenario the means over seeds; then the mean over scenarios, the number of scenarios where
the embedding is at or above PCA, and the paired mean difference (embedding - PCA) with a
bootstrap 95% interval over scenario x seed cells.

    bench/.venv/bin/python bench/popgen/panel.py --vaebio target/release/vaebio \
        --half tuning --seeds 42

Tune on `--half tuning` only; `--half confirmation` is for the claims made afterwards.
`--max-cells N` skips scenarios with more than N samples x SNPs (listed as skipped);
`--scenarios a,b` runs only those; `--reuse` reads results kept from an earlier run with the
same embed flags instead of embedding again.
"""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from panel_common import cached_cell, flags_tag, paired_line, read_panel  # noqa: E402
from run import embed_and_score, simulate  # noqa: E402

PANEL = os.path.join(HERE, "panel.tsv")


def shape(prefix):
    """Samples and SNPs of a simulated scenario."""
    with open(prefix + "_labels.tsv") as labels:
        samples = sum(1 for _ in labels) - 1
    sites = 0
    with open(prefix + ".vcf", "rb") as vcf:
        for line in vcf:
            if not line.startswith(b"#"):
                sites += 1
    return samples, sites


def report(half, results, skipped, seeds, embed_flags):
    label = embed_flags or "default"
    print(f"\n### {half} half: `{label}` against PCA, seeds {','.join(seeds)}\n")
    print("| scenario | samples | SNPs | kNN | PCA kNN | ARI | PCA ARI | embed s | epochs |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, info in results.items():
        cells = info["cells"]
        mean = {key: np.mean([cell[key] for cell in cells])
                for key in ("knn", "pca_knn", "ari", "pca_ari", "seconds", "epochs")}
        print(f"| {name} | {info['samples']} | {info['sites']:,} | {mean['knn']:.3f} | "
              f"{mean['pca_knn']:.3f} | {mean['ari']:.3f} | {mean['pca_ari']:.3f} | "
              f"{mean['seconds']:.0f} | {mean['epochs']:.0f} |")
        info["mean"] = mean
    for name, why in skipped:
        print(f"| {name} | skipped: {why} | | | | | | | |")
    if not results:
        return
    means = [info["mean"] for info in results.values()]
    overall = {key: np.mean([m[key] for m in means]) for key in means[0]}
    print(f"| **mean of {len(means)}** | | | {overall['knn']:.3f} | {overall['pca_knn']:.3f} | "
          f"{overall['ari']:.3f} | {overall['pca_ari']:.3f} | {overall['seconds']:.0f} | |")
    print()
    for metric, name in (("knn", "15-NN accuracy"), ("ari", "k-means ARI")):
        print(paired_line(name, results, metric, "pca_" + metric, unit="scenarios"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--panel", default=PANEL)
    parser.add_argument("--out", default="bench/out/popgen-panel")
    parser.add_argument("--half", choices=["tuning", "confirmation", "all"], required=True)
    parser.add_argument("--seeds", default="42", help="vaebio --seed values, comma-separated")
    parser.add_argument("--embed-flags", default="", help="extra `vaebio embed` flags")
    parser.add_argument("--scenarios", default=None, help="only these names, comma-separated")
    parser.add_argument("--max-cells", type=float, default=None,
                        help="skip scenarios with more than this many samples x SNPs")
    parser.add_argument("--simulate-only", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse kept results of the same scenario, seed and embed flags")
    args = parser.parse_args()

    panel = read_panel(args.panel)
    halves = ["tuning", "confirmation"] if args.half == "all" else [args.half]
    wanted = set(args.scenarios.split(",")) if args.scenarios else None
    seeds = [seed for seed in args.seeds.split(",") if seed]
    tag = flags_tag(args.embed_flags)
    os.makedirs(args.out, exist_ok=True)
    for half in halves:
        results, skipped = {}, []
        for row in panel:
            if row["half"] != half or (wanted and row["name"] not in wanted):
                continue
            prefix = os.path.join(args.out, row["name"])
            start = time.time()
            simulate(row["flags"].split(), prefix)
            samples, sites = shape(prefix)
            print(f"{row['name']}: {samples} samples, {sites} SNPs "
                  f"(ready in {time.time() - start:.0f} s)", file=sys.stderr, flush=True)
            if args.simulate_only:
                continue
            if args.max_cells is not None and samples * sites > args.max_cells:
                skipped.append((row["name"], f"{samples} x {sites:,} over --max-cells"))
                continue
            cells = []
            for seed in seeds:
                stem = f"{prefix}_{tag}_s{seed}"
                cell = cached_cell(stem + ".json", args.reuse, lambda: embed_and_score(
                    args.vaebio, prefix + ".vcf", prefix + "_labels.tsv", stem, seed,
                    args.embed_flags))
                print(f"  seed {seed}: kNN {cell['knn']:.3f} (PCA {cell['pca_knn']:.3f}), "
                      f"ARI {cell['ari']:.3f} (PCA {cell['pca_ari']:.3f}), "
                      f"{cell['seconds']:.0f} s", file=sys.stderr, flush=True)
                cells.append(cell)
            results[row["name"]] = {"samples": samples, "sites": sites, "cells": cells}
        if not args.simulate_only:
            report(half, results, skipped, seeds, args.embed_flags)


if __name__ == "__main__":
    main()
