#!/usr/bin/env python3
"""Diagnostic (issue 18): does the wild type's own context cost the VAE the site model's
ranking?

A single mutant's ΔELBO is, to first order, the decoder's log p(mutant) − log p(wild type) at
the wild type's posterior: the residues the model expects *in sequences like the wild type*.
For a human protein whose alignment holds many close orthologs, that neighbourhood conserves
nearly every column, and the ranking across columns may follow the family less than the
site-independent model does. This script reads the same decoder in two places, per member of
the ensemble that bench/protein/ensemble.py trained (OUT/models/STEM_ensembleN_sS/member_i):

- `posterior`: its probabilities at the focus sequence's posterior mean (`vaebio reconstruct`
  of the focus alone, as bench/protein/floor.py), log-odds of mutant against wild type;
- `prior`: its log-probabilities averaged over DRAWS draws from the prior (`vaebio generate`,
  which writes the decoder's probabilities per draw), the same log-odds: the family's
  expectation with no wild-type context.

Prints per set the members' mean figure of both, of the default's scores
(`scores_ensembleN_sS_member{i}_shrinkage-site.tsv`, ΔELBO with the site shrinkage) and of the
site model. Scoring-time only: nothing is retrained.

    bench/.venv/bin/python bench/protein/context.py \
        --families TP53-clinvar,TP53-kotler,GFP-sarkisyan,DHFR-thompson
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
from family import read_scores  # noqa: E402
from floor import member_probabilities  # noqa: E402
from panel import PANEL, figure  # noqa: E402
from panel_common import read_panel  # noqa: E402


def prior_log_odds(args, model, mutations, path):
    """Mean over prior draws of the decoder's log p(mutant) − log p(wild type)."""
    if not os.path.exists(path):
        subprocess.run([args.vaebio, "generate", "--model", model, "-n", str(args.draws),
                        "--seed", "1", "-q", "-o", path], check=True)
    mean_log = np.log(pd.read_csv(path, sep="\t", index_col=0)).mean(axis=0)
    return pd.Series({m: mean_log[f"{m[1:-1]}:{m[-1]}"] - mean_log[f"{m[1:-1]}:{m[0]}"]
                      for m in mutations})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/protein-panel")
    parser.add_argument("--families", required=True, help="sets, comma-separated")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args()
    rows = {row["name"]: row for row in read_panel(PANEL)}
    tag = f"ensemble{args.members}_s{args.seed}"
    print("| set | default (ΔELBO, shrunk) | decoder at the wild type's posterior | "
          "decoder over prior draws | site model |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.families.split(","):
        data = os.path.join(args.out, name)
        msa = open(os.path.join(data, "alignment_path")).read().strip()
        focus = os.path.join(data, "focus.a2m")
        focus_only(msa, focus)
        labels = pd.read_csv(os.path.join(data, "labels.tsv"), sep="\t")
        kind = rows[name]["kind"]
        stem = os.path.splitext(os.path.basename(msa))[0]
        ensemble = os.path.join(args.out, "models", f"{stem}_{tag}")
        found = {"default": [], "posterior": [], "prior": []}
        for i in range(1, args.members + 1):
            model = os.path.join(ensemble, f"member_{i}")
            posterior = member_probabilities(
                args, model, focus, os.path.join(data, f"focus_reconstructed_{tag}_member{i}.tsv"))
            prior = prior_log_odds(args, model, labels.mutation,
                                   os.path.join(data, f"prior_draws_{tag}_member{i}.tsv"))
            default = read_scores(os.path.join(data, f"scores_{tag}_member{i}_shrinkage-site.tsv"))
            found["posterior"].append(figure(kind, labels, log_odds(posterior, labels.mutation))[0])
            found["prior"].append(figure(kind, labels, prior)[0])
            found["default"].append(figure(kind, labels, default)[0])
        site = figure(kind, labels, read_scores(os.path.join(data, "site_scores.tsv")))[0]
        cells = " | ".join(f"{np.mean(v):.3f} ({min(v):.3f}–{max(v):.3f})" for v in found.values())
        print(f"| {name} | {cells} | {site:.3f} |", flush=True)


if __name__ == "__main__":
    main()
