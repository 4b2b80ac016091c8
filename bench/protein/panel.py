#!/usr/bin/env python3
"""Protein family panel (issue 18): vaebio against the independent-site model, one half at a time.

Reads bench/protein/families.tsv (labelled sets, each fixed in the tuning or the confirmation
half) and the sets prepared by bench/protein/get_families.sh under `--out`. For each set of
`--half`: the independent-site model's figure (bench/protein/family.py, on the same weighted
alignment), then unless `--site-only`, per seed, `vaebio train --msa A --seed S [--epochs N]
[--train-flags]` (one model per alignment, shared by its sets) and `vaebio score --mutations
mutations.txt --samples K --seed S`. The figure is Spearman of the score (ΔELBO, site
log-odds) with the DMS value, or the AUROC of the damage (minus the score) for pathogenic.
Prints one Markdown table per half: per set the means over seeds, the site model, the
difference, the epochs kept and run, the published single-model figure where one exists (families.tsv); then the
number of sets at or above the site model and the paired mean difference with a bootstrap
95% interval over set x seed cells.

    bench/.venv/bin/python bench/protein/panel.py --half tuning --seeds 42

Tune on `--half tuning` only; `--half confirmation` is for the claims made afterwards.
`--families a,b` runs only those; `--reuse` reads results kept from an earlier run with the
same flags instead of training and scoring again.
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from family import auroc_with_interval, read_scores, spearman_with_interval  # noqa: E402
from panel_common import cached_cell, flags_tag, paired_line, read_panel  # noqa: E402

PANEL = os.path.join(HERE, "families.tsv")


def figure(kind, labels, scores):
    """The set's figure of SCORES (higher = fitter) with its bootstrap 95% interval."""
    scores = scores.loc[labels.mutation].to_numpy()
    if kind == "dms":
        return spearman_with_interval(labels.label.to_numpy(), scores)
    return auroc_with_interval(labels.label.to_numpy(), -scores)


def alignment_and_model(args, data, seed, tag):
    """The set's alignment, and the model folder of that alignment, flags and seed."""
    msa = open(os.path.join(data, "alignment_path")).read().strip()
    stem = os.path.splitext(os.path.basename(msa))[0]
    return msa, os.path.join(args.out, "models", f"{stem}_{tag}_s{seed}")


def epochs(model):
    """`kept/run`: the epoch with the lowest held-out loss (the weights kept: validation recon
    + KL weight x KL, penalties on parameters left out as vaebio does) and the epochs trained,
    from the model's history.tsv."""
    history = pd.read_csv(os.path.join(model, "history.tsv"), sep="\t")
    if history.validation_total.isna().all():
        return f"{len(history)}/{len(history)}"
    held_out = history.validation_recon + history.kl_weight * history.validation_kl
    return f"{int(history.epoch[held_out.idxmin()])}/{len(history)}"


def score_mutants(args, model, msa, data, seed, path, flags=()):
    """`vaebio score` of the set's mutants (DATA/mutations.txt) with MODEL (one model or an
    ensemble) into PATH, with `args.samples` draws from SEED on `args.threads` threads and any
    further FLAGS."""
    subprocess.run([args.vaebio, "score", "--model", model, "--msa", msa,
                    "--mutations", os.path.join(data, "mutations.txt"),
                    "--samples", str(args.samples), "--seed", str(seed), "-q",
                    "--threads", str(args.threads), "-o", path, *flags], check=True)


def train_and_score(args, row, data, seed, tag):
    """Train on the set's alignment (or reuse that alignment's model) and score its mutants."""
    msa, model = alignment_and_model(args, data, seed, tag)
    train_seconds = None
    if not os.path.exists(os.path.join(model, "config.json")):
        command = [args.vaebio, "train", "--msa", msa, "--seed", str(seed), "-q",
                   "--threads", str(args.threads), "-o", model] + args.train_flags.split()
        if args.epochs:
            command += ["--epochs", str(args.epochs)]
        start = time.time()
        subprocess.run(command, check=True)
        train_seconds = time.time() - start
        with open(model + ".seconds", "w") as kept:
            kept.write(f"{train_seconds:.1f}\n")
    elif os.path.exists(model + ".seconds"):
        train_seconds = float(open(model + ".seconds").read())
    scores_path = os.path.join(data, f"scores_{tag}_s{seed}.tsv")
    start = time.time()
    score_mutants(args, model, msa, data, seed, scores_path)
    labels = pd.read_csv(os.path.join(data, "labels.tsv"), sep="\t")
    value, low, high = figure(row["kind"], labels, read_scores(scores_path))
    site, _, _ = figure(row["kind"], labels, read_scores(os.path.join(data, "site_scores.tsv")))
    return {"vaebio": value, "low": low, "high": high, "site": site,
            "train_seconds": train_seconds, "score_seconds": time.time() - start}


def metric_name(kind):
    return "Spearman" if kind == "dms" else "AUROC"


def report(half, rows, results, seeds, label):
    print(f"\n### {half} half: `{label}` against the independent-site model, seeds {','.join(seeds)}\n")
    if any(results.values()):
        print("| set | metric | variants | vaebio [95%] | site model [95%] | difference | epochs kept/run | train s | published |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    else:
        print("| set | metric | variants | site model [95%] | published |")
        print("| --- | --- | --- | --- | --- |")
    compared = {}
    for row in rows:
        name, site = row["name"], row["site_figure"]
        cells = results[name]
        site_text = f"{site[0]:.3f} [{site[1]:.3f}, {site[2]:.3f}]"
        if not cells:
            print(f"| {name} | {metric_name(row['kind'])} | {row['variants']} | {site_text} | "
                  f"{row['published']} |")
            continue
        mean = {key: np.mean([cell[key] for cell in cells]) for key in ("vaebio", "low", "high", "site")}
        seconds = [cell["train_seconds"] for cell in cells if cell["train_seconds"] is not None]
        train = f"{np.mean(seconds):.0f}" if seconds else "reused"
        print(f"| {name} | {metric_name(row['kind'])} | {row['variants']} | "
              f"{mean['vaebio']:.3f} [{mean['low']:.3f}, {mean['high']:.3f}] | {site_text} | "
              f"{mean['vaebio'] - mean['site']:+.3f} | {', '.join(cell['epochs'] for cell in cells)} | "
              f"{train} | {row['published']} |")
        compared[name] = {"mean": mean, "cells": cells}
    if compared:
        print()
        print(paired_line("AUROC or Spearman", compared, "vaebio", "site",
                          baseline="the site model", unit="sets"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--panel", default=PANEL)
    parser.add_argument("--out", default="bench/out/protein-panel")
    parser.add_argument("--half", choices=["tuning", "confirmation", "all"], required=True)
    parser.add_argument("--seeds", default="42", help="vaebio --seed values, comma-separated")
    parser.add_argument("--train-flags", default="", help="extra `vaebio train` flags, e.g. '--preset eve'")
    parser.add_argument("--epochs", type=int, default=None, help="cap training at this many epochs")
    parser.add_argument("--samples", type=int, default=50, help="`vaebio score --samples`")
    parser.add_argument("--threads", type=int, default=1, help="`vaebio --threads`")
    parser.add_argument("--families", default=None, help="only these sets, comma-separated")
    parser.add_argument("--site-only", action="store_true", help="only the independent-site model")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse kept results of the same set, seed and flags")
    args = parser.parse_args()

    panel = read_panel(args.panel)
    halves = ["tuning", "confirmation"] if args.half == "all" else [args.half]
    wanted = set(args.families.split(",")) if args.families else None
    seeds = [seed for seed in args.seeds.split(",") if seed]
    label = " ".join(filter(None, [args.train_flags, f"--epochs {args.epochs}" if args.epochs else ""])) \
        or "default"
    tag = flags_tag(label)
    for half in halves:
        rows, results = [], {}
        for row in panel:
            if row["half"] != half or (wanted and row["name"] not in wanted):
                continue
            data = os.path.join(args.out, row["name"])
            if not os.path.exists(os.path.join(data, "labels.tsv")):
                sys.exit(f"{data}: not prepared; run bench/protein/get_families.sh {row['name']}")
            labels = pd.read_csv(os.path.join(data, "labels.tsv"), sep="\t")
            row["variants"] = len(labels)
            row["site_figure"] = figure(row["kind"], labels, read_scores(os.path.join(data, "site_scores.tsv")))
            results[row["name"]] = []
            for seed in ([] if args.site_only else seeds):
                cell = cached_cell(os.path.join(data, f"result_{tag}_s{seed}.json"), args.reuse,
                                   lambda: train_and_score(args, row, data, seed, tag))
                print(f"{row['name']} seed {seed}: vaebio {cell['vaebio']:.3f}, site {cell['site']:.3f}",
                      file=sys.stderr, flush=True)
                cell["epochs"] = epochs(alignment_and_model(args, data, seed, tag)[1])
                results[row["name"]].append(cell)
            rows.append(row)
        report(half, rows, results, seeds, label)


if __name__ == "__main__":
    main()
