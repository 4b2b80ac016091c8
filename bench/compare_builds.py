#!/usr/bin/env python3
"""Paired comparison of two vaebio builds on the same data and seeds (issue 20.3: what the
data-parallel shards cost in quality). Prints, per metric, the mean of B - A over the
data x seed cells, its bootstrap 95% interval and on how many cells B is at or above A.

single-cell: the latents bench/singlecell/run.py wrote under RUNS with `--tag A` and
`--tag B` (`{data}_vaebio_{tag}{variant}_s{seed}.tsv`), scored here by `vaebio evaluate
--json` (15-NN cell-type accuracy, k-means ARI, silhouette; batch-mixing entropy where the
data has batches):

    bench/.venv/bin/python bench/singlecell/run.py --vaebio OLD --tag main --data pbmc \\
        --seeds 0,1,2 --skip-scvi     # and the same with --vaebio NEW --tag par
    bench/.venv/bin/python bench/compare_builds.py singlecell --tags main,par --data pbmc \\
        --seeds 0,1,2

genotypes: two embed-flag settings of one build on the genotype panel, as kept by
bench/popgen/panel.py under one `--out` (tag `default`, else the flags with every
non-alphanumeric character as `_`):

    bench/.venv/bin/python bench/compare_builds.py genotypes --out bench/out/popgen-panel \\
        --tags default,__input_transform_allele_frequency --seeds 42,7

contigs: the set x seed result files bench/contigs/panel.py kept under two `--out`
directories (`sets/{set}_default_s{seed}.json`): kNN, ARI and bin ARI of the embedding.

    bench/.venv/bin/python bench/compare_builds.py contigs \\
        --dirs bench/out/panel-main,bench/out/panel-par --seeds 1,2,3
"""

import argparse
import glob
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from panel_common import bootstrap_interval  # noqa: E402


def scored(vaebio, latent, labels, batches):
    command = [vaebio, "evaluate", "--latent", latent, "--labels", labels, "--json"]
    if batches:
        command += ["--batch", batches]
    report = json.loads(subprocess.run(command, check=True, capture_output=True,
                                       text=True).stdout)
    return {key: report[key] for key in ("knn_accuracy", "kmeans_ari", "silhouette",
                                         "batch_mixing_entropy") if key in report}


def singlecell_cells(args):
    """{(data, seed): (scores of A, scores of B)} for every data set and seed."""
    cells = {}
    for data in args.data.split(","):
        labels = os.path.join(args.out, f"{data}_labels.tsv")
        batches = os.path.join(args.out, f"{data}_batches.tsv")
        batches = batches if os.path.exists(batches) else None
        variant = "__batch" if batches else ""
        for seed in args.seeds.split(","):
            pair = [os.path.join(args.out, "runs", f"{data}_vaebio_{tag}{variant}_s{seed}.tsv")
                    for tag in args.tags.split(",")]
            cells[(data, seed)] = tuple(scored(args.vaebio, p, labels, batches) for p in pair)
    return cells


def contig_cells(args):
    """{(set, seed): (cell of A, cell of B)} for the sets both directories hold."""
    first, second = args.dirs.split(",")
    cells = {}
    for seed in args.seeds.split(","):
        for path in sorted(glob.glob(os.path.join(first, "sets", f"*_default_s{seed}.json"))):
            other = os.path.join(second, "sets", os.path.basename(path))
            if not os.path.exists(other):
                continue
            name = os.path.basename(path)[: -len(f"_default_s{seed}.json")]
            with open(path) as a, open(other) as b:
                pair = json.load(a), json.load(b)
            cells[(name, seed)] = tuple({k: cell[k] for k in ("knn", "ari", "bin_ari")}
                                        for cell in pair)
    return cells


def genotype_cells(args):
    """{(scenario, seed): (cell of A, cell of B)}: bench/popgen/panel.py's kept results under
    `--out` (`{scenario}_{tag}_s{seed}.json`) for embed-flag tags A and B, same build."""
    first, second = args.tags.split(",")
    cells = {}
    for seed in args.seeds.split(","):
        suffix = f"_{first}_s{seed}.json"
        for path in sorted(glob.glob(os.path.join(args.out, f"*{suffix}"))):
            name = os.path.basename(path)[: -len(suffix)]
            other = os.path.join(args.out, f"{name}_{second}_s{seed}.json")
            if not os.path.exists(other):
                continue
            with open(path) as a, open(other) as b:
                pair = json.load(a), json.load(b)
            cells[(name, seed)] = tuple({k: cell[k] for k in ("knn", "ari")} for cell in pair)
    return cells


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["singlecell", "contigs", "genotypes"])
    parser.add_argument("--vaebio", default="target/release/vaebio", help="for evaluate")
    parser.add_argument("--out", default="bench/out/singlecell",
                        help="run.py's (genotypes: panel.py's) --out")
    parser.add_argument("--tags", default="main,par",
                        help="run.py tags A,B (genotypes: panel.py's embed-flag tags)")
    parser.add_argument("--data", default="pbmc,sim2")
    parser.add_argument("--dirs", help="panel.py --out directories A,B")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    cells = {"singlecell": singlecell_cells, "contigs": contig_cells,
             "genotypes": genotype_cells}[args.kind](args)
    if not cells:
        sys.exit("no cells found in both builds' results")
    print(f"{len(cells)} cells: {', '.join(f'{name} s{seed}' for name, seed in cells)}")
    for metric in next(iter(cells.values()))[0]:
        a = np.array([pair[0][metric] for pair in cells.values()])
        b = np.array([pair[1][metric] for pair in cells.values()])
        low, high = bootstrap_interval(b - a)
        print(f"- {metric}: A {a.mean():.3f}, B {b.mean():.3f}, B - A {np.mean(b - a):+.4f} "
              f"(95% {low:+.4f} to {high:+.4f}); B >= A on {int((b >= a).sum())} of {len(a)}")


if __name__ == "__main__":
    main()
