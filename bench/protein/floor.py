#!/usr/bin/env python3
"""Diagnostic (issue 18): does a pseudocount floor on the decoder's probabilities rank
mutants as the site model does at conserved columns?

For each set, each member of the ensemble that bench/protein/ensemble.py trained
(OUT/models/STEM_ensembleN_sS/member_i): the decoder's probabilities at the focus sequence's
posterior mean (`vaebio reconstruct` of the focus alone), and the log-odds
log p'(mutant) − log p'(wild type) with p' = (1 − ε)·p + ε/21, for ε = 0 and for the site
model's pseudocount share ε = 0.5·21 / (N_eff + 0.5·21) (N_eff from bench/protein/family.py).
Prints each member's figure, their mean and the figure of the members' averaged log-odds.
Scoring-time only: nothing is retrained. The decoder's log-odds at the wild type track ΔELBO
closely (bench/protein/diagnose.py).

    bench/.venv/bin/python bench/protein/floor.py --families TP53-clinvar,TP53-kotler
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from diagnose import focus_only, log_odds  # noqa: E402
from family import read_a2m, read_scores, vaebio_processing  # noqa: E402
from panel import PANEL, figure  # noqa: E402
from panel_common import read_panel  # noqa: E402


def member_probabilities(args, model, focus, path):
    if not os.path.exists(path):
        subprocess.run([args.vaebio, "reconstruct", "--model", model, "--msa", focus, "-q",
                        "-o", path], check=True)
    return pd.read_csv(path, sep="\t", index_col=0).iloc[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/protein-panel")
    parser.add_argument("--families", required=True, help="sets, comma-separated")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rows = {row["name"]: row for row in read_panel(PANEL)}
    print("| set | N_eff | ε | members | members' mean | averaged | site model |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.families.split(","):
        data = os.path.join(args.out, name)
        msa = open(os.path.join(data, "alignment_path")).read().strip()
        names, seqs = read_a2m(msa)
        n_eff = vaebio_processing(names, seqs)[2].sum()
        focus = os.path.join(data, "focus.a2m")
        focus_only(msa, focus)
        labels = pd.read_csv(os.path.join(data, "labels.tsv"), sep="\t")
        kind = rows[name]["kind"]
        site = figure(kind, labels, read_scores(os.path.join(data, "site_scores.tsv")))[0]
        stem = os.path.splitext(os.path.basename(msa))[0]
        ensemble = os.path.join(args.out, "models", f"{stem}_ensemble{args.members}_s{args.seed}")
        probabilities = [member_probabilities(
            args, os.path.join(ensemble, f"member_{i}"), focus,
            os.path.join(data, f"focus_reconstructed_ensemble{args.members}_s{args.seed}_member{i}.tsv"))
            for i in range(1, args.members + 1)]
        for floor in (0.0, 0.5 * 21 / (n_eff + 0.5 * 21)):
            scores = [log_odds(p, labels.mutation, floor) for p in probabilities]
            figures = [figure(kind, labels, s)[0] for s in scores]
            averaged = figure(kind, labels, sum(scores) / len(scores))[0]
            print(f"| {name} | {n_eff:.0f} | {floor:.4f} | {', '.join(f'{f:.3f}' for f in figures)} | "
                  f"{np.mean(figures):.3f} | {averaged:.3f} | {site:.3f} |", flush=True)


if __name__ == "__main__":
    main()
