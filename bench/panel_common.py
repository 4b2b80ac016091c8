"""Helpers shared by the benchmark panels (bench/popgen/panel.py, bench/contigs/panel.py, the
two denoised.py): reading a panel file, reading and writing vaebio tables, scoring a table
with `vaebio evaluate`, keeping each set x seed result on disk for `--reuse`, and the paired
comparison of an embedding with its baseline (mean difference with a bootstrap interval).
numpy only."""

import json
import os
import subprocess
import sys

import numpy as np


def flags_tag(flags):
    """The file-name tag of a run with FLAGS (`default` without any): every character other
    than a letter or digit becomes `_`."""
    flags = flags.strip()
    return "default" if not flags else "".join(c if c.isalnum() else "_" for c in flags)


def read_panel(path):
    """Rows of a panel TSV (`#` lines are its header notes) as dicts keyed by the column row."""
    with open(path) as panel:
        lines = [line.rstrip("\n") for line in panel if not line.startswith("#") and line.strip()]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def cached_cell(kept, reuse, run):
    """The result of one set x seed: read from the JSON file `kept` when `reuse` and it exists,
    else `run()` and written there."""
    if reuse and os.path.exists(kept):
        with open(kept) as saved:
            return json.load(saved)
    cell = run()
    with open(kept, "w") as saved:
        json.dump(cell, saved)
    return cell


def evaluate(vaebio, table, labels):
    """15-NN accuracy and k-means ARI of TABLE against LABELS (`vaebio evaluate --json`)."""
    out = subprocess.run(
        [vaebio, "evaluate", "--latent", table, "--labels", labels, "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    report = json.loads(out)
    return report["knn_accuracy"], report["kmeans_ari"]


def bootstrap_interval(differences, draws=10000, seed=0):
    """95% percentile bootstrap interval of the mean of DIFFERENCES."""
    differences = np.asarray(differences, dtype=float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(differences), size=(draws, len(differences)))
    means = differences[picks].mean(axis=1)
    return np.percentile(means, 2.5), np.percentile(means, 97.5)


def paired_line(title, results, key, baseline_key, baseline="PCA", unit="sets"):
    """One Markdown bullet: on how many of RESULTS (name -> {"mean": ..., "cells": [...]}) the
    mean of KEY is at or above BASELINE_KEY (named BASELINE), and the paired mean difference over all cells
    with its bootstrap interval."""
    at_or_above = sum(info["mean"][key] >= info["mean"][baseline_key]
                      for info in results.values())
    differences = [cell[key] - cell[baseline_key]
                   for info in results.values() for cell in info["cells"]]
    low, high = bootstrap_interval(differences)
    return (f"- {title}: at or above {baseline} on {at_or_above} of {len(results)} {unit}; "
            f"paired mean difference {np.mean(differences):+.3f} "
            f"(bootstrap 95% interval {low:+.3f} to {high:+.3f}, "
            f"{len(differences)} {unit[:-1]} x seed cells)")


def read_table(path):
    """(ids, header, float matrix) of a vaebio table."""
    with open(path) as handle:
        header = handle.readline().rstrip("\n").split("\t")[1:]
        rows = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    return [r[0] for r in rows], header, np.array([[float(v) for v in r[1:]] for r in rows])


def write_table(path, ids, scores):
    """Write SCORES (rows x k) as a vaebio latent table (`id`, `z1..zk`) to PATH."""
    with open(path, "w") as out:
        out.write("id\t" + "\t".join(f"z{i + 1}" for i in range(scores.shape[1])) + "\n")
        for name, row in zip(ids, scores):
            out.write(name + "\t" + "\t".join(f"{v:.6g}" for v in row) + "\n")


def kept_seed_cells(name, stem, seeds, run):
    """One cell per seed: read from STEM_sS.json when kept there, else `run(STEM_sS, seed)`
    and kept; each printed to stderr under NAME (the denoised.py comparisons)."""
    cells = []
    for seed in seeds:
        cell = cached_cell(f"{stem}_s{seed}.json", True, lambda: run(f"{stem}_s{seed}", seed))
        print(name, seed, json.dumps({k: round(v, 3) for k, v in cell.items()}),
              file=sys.stderr, flush=True)
        cells.append(cell)
    return cells


def paired_cells(cells, key, a, b):
    """Mean of A_KEY - B_KEY over CELLS with its bootstrap 95% interval, as text."""
    diffs = [c[f"{a}_{key}"] - c[f"{b}_{key}"] for c in cells]
    low, high = bootstrap_interval(diffs)
    return f"{np.mean(diffs):+.3f} ({low:+.3f} to {high:+.3f})"
