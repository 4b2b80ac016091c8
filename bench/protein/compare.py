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

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from family import difference_with_interval, read_scores  # noqa: E402
from panel import PANEL, figure  # noqa: E402
from panel_common import read_panel  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench/out/protein-panel")
    parser.add_argument("--families", required=True, help="sets, comma-separated")
    parser.add_argument("--seeds", default="42")
    parser.add_argument("--baseline", default="default", help="the baseline's tag")
    parser.add_argument("--candidate", required=True, help="the candidate's tag")
    args = parser.parse_args()
    rows = {row["name"]: row for row in read_panel(PANEL)}
    print(f"\n`{args.candidate}` against `{args.baseline}`\n")
    print("| set | seed | baseline | candidate | site model | candidate − baseline [95%] |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in args.families.split(","):
        data = os.path.join(args.out, name)
        kind = rows[name]["kind"]
        labels = pd.read_csv(os.path.join(data, "labels.tsv"), sep="\t")
        site = read_scores(os.path.join(data, "site_scores.tsv"))
        for seed in args.seeds.split(","):
            scores = [read_scores(os.path.join(data, f"scores_{tag}_s{seed}.tsv"))
                      for tag in (args.baseline, args.candidate)]
            base, cand = (figure(kind, labels, s)[0] for s in scores)
            diff, low, high = difference_with_interval(
                kind, labels.label.to_numpy(), scores[1].loc[labels.mutation].to_numpy(),
                scores[0].loc[labels.mutation].to_numpy())
            print(f"| {name} | {seed} | {base:.3f} | {cand:.3f} | "
                  f"{figure(kind, labels, site)[0]:.3f} | {diff:+.3f} [{low:+.3f}, {high:+.3f}] |")


if __name__ == "__main__":
    main()
