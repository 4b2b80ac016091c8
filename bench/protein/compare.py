#!/usr/bin/env python3
"""Paired comparison of two settings on the protein panel (issue 18).

Reads the score files `scores_TAG_sSEED.tsv` of a baseline and a candidate tag in each set's
folder (panel.py's tag is its train flags with every non-alphanumeric character as `_`,
`default` without flags; a score of the same model by another build can be kept under another
tag) and prints one Markdown row per set x seed: each
setting's figure (AUROC or Spearman, as panel.py), the site model's, and the candidate minus
the baseline with a paired bootstrap 95% interval over the set's variants.

    bench/.venv/bin/python bench/protein/compare.py --families GFP-sarkisyan --seeds 42,7 \\
        --candidate __init_output_site
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from family import difference_with_interval, read_scores  # noqa: E402
from panel import PANEL, figure  # noqa: E402
from panel_common import paired_line, read_panel  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench/out/protein-panel")
    parser.add_argument("--families", required=True, help="sets, comma-separated")
    parser.add_argument("--seeds", default="42")
    parser.add_argument("--baseline", default="default", help="the baseline's tag")
    parser.add_argument("--candidate", required=True, help="the candidate's tag")
    parser.add_argument("--digits", type=int, default=3, help="decimals of the figures")
    args = parser.parse_args()
    d = args.digits
    rows = {row["name"]: row for row in read_panel(PANEL)}
    print(f"\n`{args.candidate}` against `{args.baseline}`\n")
    print("| set | seed | baseline | candidate | site model | candidate − baseline [95%] "
          "| Spearman of the two scores |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    compared = {}
    for name in args.families.split(","):
        data = os.path.join(args.out, name)
        kind = rows[name]["kind"]
        labels = pd.read_csv(os.path.join(data, "labels.tsv"), sep="\t")
        site = read_scores(os.path.join(data, "site_scores.tsv"))
        for seed in args.seeds.split(","):
            scores = [read_scores(os.path.join(data, f"scores_{tag}_s{seed}.tsv"))
                      for tag in (args.baseline, args.candidate)]
            base, cand = (figure(kind, labels, s)[0] for s in scores)
            compared.setdefault(name, {"cells": []})["cells"].append(
                {"candidate": cand, "baseline": base})
            diff, low, high = difference_with_interval(
                kind, labels.label.to_numpy(), scores[1].loc[labels.mutation].to_numpy(),
                scores[0].loc[labels.mutation].to_numpy())
            agreement = spearmanr(scores[0], scores[1].loc[scores[0].index])[0]
            print(f"| {name} | {seed} | {base:.{d}f} | {cand:.{d}f} | "
                  f"{figure(kind, labels, site)[0]:.{d}f} | "
                  f"{diff:+.{d}f} [{low:+.{d}f}, {high:+.{d}f}] | {agreement:.4f} |")
    for info in compared.values():
        info["mean"] = {key: np.mean([cell[key] for cell in info["cells"]])
                        for key in ("candidate", "baseline")}
    print()
    print(paired_line("AUROC or Spearman", compared, "candidate", "baseline",
                      baseline=f"`{args.baseline}`", unit="sets"))


if __name__ == "__main__":
    main()
