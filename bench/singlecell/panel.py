#!/usr/bin/env python3
"""Single-cell panel: vaebio's single-cell embedding against PCA, one half at a time.

Reads bench/singlecell/panel.tsv (simulated sets, each fixed in the tuning or the confirmation
half). For each set of `--half`: simulate it unless kept under `--out`
(bench/singlecell/simulate.py), write the PCA baseline once (scanpy's normalize_total, log1p,
scale, PCA-10: run.py's `pca_latent`), and for each seed run `vaebio embed --matrix X.tsv
[--batch X_batches.tsv] --seed S --threads 1 [--embed-flags]`; score both tables with
`vaebio evaluate` (15-NN cell-type accuracy, k-means ARI, and batch mixing where the set has
batches). `--jobs` runs that many embeds at once (one thread each). Prints one Markdown table
per half: per set the means over seeds, the mean over sets, and per metric the number of sets
where the embedding is at or above PCA and the paired mean difference (embedding - PCA) with
a bootstrap 95% interval over set x seed cells.

    bench/.venv/bin/python bench/singlecell/panel.py --vaebio target/release/vaebio \
        --half tuning --seeds 1,2 --jobs 2

Tune on `--half tuning` only; `--half confirmation` is for the claims made afterwards.
`--sets a,b` runs only those; `--reuse` reads results kept from an earlier run with the same
embed flags instead of embedding again. `--versus F` also runs the same cells with embed flags
F instead (`--versus ""`: the default) and prints the paired differences (embed flags − F) with
their bootstrap intervals, as a default is judged.
"""

import argparse
import os
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from panel_common import cached_cell, flags_tag, paired_line, read_panel  # noqa: E402
from run import evaluate, pca_latent  # noqa: E402

PANEL = os.path.join(HERE, "panel.tsv")
METRICS = ("knn", "ari", "mixing")


def prepare(row, out, python):
    """Simulate ROW's set (unless kept) and its PCA baseline; returns the file prefix."""
    prefix = os.path.join(out, row["name"])
    if not os.path.exists(prefix + "_labels.tsv"):
        subprocess.run([python, os.path.join(HERE, "simulate.py"), *row["flags"].split(),
                        "--out", prefix], check=True, stdout=sys.stderr)
    pca_latent(python, prefix + ".tsv", prefix + "_pca10.tsv")
    return prefix


def batches_of(prefix):
    path = prefix + "_batches.tsv"
    return path if os.path.exists(path) else None


def scores(vaebio, table, prefix):
    knn, ari, mixing = evaluate(vaebio, table, prefix + "_labels.tsv", batches_of(prefix))
    return {"knn": knn, "ari": ari, "mixing": mixing}


def embed_and_score(vaebio, prefix, stem, seed, flags):
    """`vaebio embed` of the set (STEM.tsv, STEM_model/), scored beside its PCA table."""
    batches = batches_of(prefix)
    command = [vaebio, "embed", "--matrix", prefix + ".tsv", "-q", "--seed", str(seed),
               "--threads", "1", *(["--batch", batches] if batches else []),
               *shlex.split(flags), "-o", stem + ".tsv", "--save-model", stem + "_model"]
    start = time.time()
    subprocess.run(command, check=True)
    seconds = time.time() - start
    with open(os.path.join(stem + "_model", "history.tsv")) as history:
        epochs = sum(1 for _ in history) - 1
    cell = {"seconds": seconds, "epochs": epochs, **scores(vaebio, stem + ".tsv", prefix)}
    cell.update({"pca_" + k: v for k, v in scores(vaebio, prefix + "_pca10.tsv", prefix).items()})
    return cell


def shape(prefix):
    """Cells, genes and cell types of a simulated set."""
    with open(prefix + ".tsv") as counts:
        cells = len(counts.readline().split("\t")) - 1
        genes = sum(1 for _ in counts)
    with open(prefix + "_labels.tsv") as labels:
        types = len({line.rstrip("\n").split("\t")[1] for line in list(labels)[1:]})
    return cells, genes, types


def score_sets(vaebio, prefixes, seeds, flags, jobs, reuse):
    """Every set (PREFIXES: name -> file prefix) x seed embedded and scored
    ([`embed_and_score`], kept as STEM.json; read back with REUSE), JOBS at once; returns per
    set its shape and its cells in seed order, as `report` reads them."""
    tag = flags_tag(flags)

    def run(job):
        name, seed = job
        stem = f"{prefixes[name]}_{tag}_s{seed}"
        cell = cached_cell(stem + ".json", reuse, lambda: embed_and_score(
            vaebio, prefixes[name], stem, seed, flags))
        print(f"{name} seed {seed}: kNN {cell['knn']:.3f} (PCA {cell['pca_knn']:.3f}), "
              f"ARI {cell['ari']:.3f} (PCA {cell['pca_ari']:.3f}), {cell['seconds']:.0f} s",
              file=sys.stderr, flush=True)
        return cell

    work = [(name, seed) for name in prefixes for seed in seeds]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        done = dict(zip(work, pool.map(run, work)))
    return {name: {"shape": shape(prefix), "cells": [done[(name, seed)] for seed in seeds]}
            for name, prefix in prefixes.items()}


def fmt(value):
    return "" if value is None else f"{value:.3f}"


def report(half, results, seeds, embed_flags):
    print(f"\n### {half} half: `{embed_flags or 'default'}` against PCA-10, "
          f"seeds {','.join(seeds)}\n")
    print("| set | cells | genes | types | kNN | PCA kNN | ARI | PCA ARI | mixing | PCA mixing "
          "| embed s | epochs |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, info in results.items():
        cells = info["cells"]
        mean = {key: (None if cells[0][key] is None else np.mean([c[key] for c in cells]))
                for key in cells[0]}
        info["mean"] = mean
        print(f"| {name} | {info['shape'][0]:,} | {info['shape'][1]:,} | {info['shape'][2]} | "
              + " | ".join(fmt(mean[p + m]) for m in METRICS for p in ("", "pca_"))
              + f" | {mean['seconds']:.0f} | {mean['epochs']:.0f} |")
    overall = {key: np.mean([i["mean"][key] for i in results.values()])
               for key in ("knn", "pca_knn", "ari", "pca_ari", "seconds")}
    print(f"| **mean of {len(results)}** | | | | {overall['knn']:.3f} | {overall['pca_knn']:.3f} "
          f"| {overall['ari']:.3f} | {overall['pca_ari']:.3f} | | | {overall['seconds']:.0f} | |")
    print()
    for metric, title in (("knn", "15-NN accuracy"), ("ari", "k-means ARI")):
        print(paired_line(title, results, metric, "pca_" + metric, baseline="PCA-10"))
    batched = {name: info for name, info in results.items()
               if info["cells"][0]["mixing"] is not None}
    if batched:
        print(paired_line("batch mixing (sets with batches)", batched, "mixing", "pca_mixing",
                          baseline="PCA-10"))


def report_versus(results, base, embed_flags, versus):
    """Paired differences of RESULTS (EMBED_FLAGS) against BASE (VERSUS), cell by cell."""
    paired = {name: {"mean": {}, "cells": [
        {**cell, **{"base_" + key: other[key] for key in METRICS}}
        for cell, other in zip(info["cells"], base[name]["cells"])]}
        for name, info in results.items()}
    name = f"`{versus.strip() or 'default'}`"
    for key, title in (("knn", "15-NN accuracy"), ("ari", "k-means ARI"), ("mixing", "batch mixing")):
        sets = {n: i for n, i in paired.items()
                if None not in (i["cells"][0][key], i["cells"][0]["base_" + key])}
        for info in sets.values():
            info["mean"] = {k: np.mean([c[k] for c in info["cells"]]) for k in (key, "base_" + key)}
        if sets:
            print(paired_line(f"{title}, `{embed_flags.strip() or 'default'}` − {name}", sets,
                              key, "base_" + key, baseline=name))


def run_arguments(description, out):
    """The command line a panel of either kind runs a half with (`--out` defaults to OUT)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--out", default=out)
    parser.add_argument("--half", choices=["tuning", "confirmation", "all"], required=True)
    parser.add_argument("--seeds", default="1,2", help="vaebio --seed values, comma-separated")
    parser.add_argument("--embed-flags", default="", help="extra `vaebio embed` flags")
    parser.add_argument("--jobs", type=int, default=2, help="embeds at once, one thread each")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse kept results of the same set, seed and embed flags")
    parser.add_argument("--versus", default=None,
                        help="embed flags to compare with, paired (\"\": the default)")
    return parser


def main():
    parser = run_arguments(__doc__.split("\n")[0], "bench/out/singlecell-panel")
    parser.add_argument("--panel", default=PANEL)
    parser.add_argument("--sets", default=None, help="only these names, comma-separated")
    args = parser.parse_args()

    panel = read_panel(args.panel)
    halves = ["tuning", "confirmation"] if args.half == "all" else [args.half]
    wanted = set(args.sets.split(",")) if args.sets else None
    seeds = [seed for seed in args.seeds.split(",") if seed]
    os.makedirs(args.out, exist_ok=True)
    for half in halves:
        rows = [row for row in panel
                if row["half"] == half and (not wanted or row["name"] in wanted)]
        prefixes = {row["name"]: prepare(row, args.out, args.python) for row in rows}
        results = score_sets(args.vaebio, prefixes, seeds, args.embed_flags, args.jobs,
                             args.reuse)
        report(half, results, seeds, args.embed_flags)
        if args.versus is not None:
            base = score_sets(args.vaebio, prefixes, seeds, args.versus, args.jobs, args.reuse)
            report_versus(results, base, args.embed_flags, args.versus)


if __name__ == "__main__":
    main()
