#!/usr/bin/env python3
"""How far a panel model is from the independent-site model, per set and seed (issue 18).

For models that bench/protein/panel.py trained and scored (same `--out`, `--train-flags`,
seeds), prints one Markdown row per set x seed:
- Spearman of the model's ΔELBO with the site model's log-odds, over the set's variants;
- the decoder's own per-site log-odds at z = the posterior mean of the wild type,
  log p(mutant) - log p(wild type) of that column (`vaebio reconstruct` of the focus
  sequence alone): its Spearman with the site model's log-odds, and its figure on the labels
  (AUROC or Spearman, as panel.py).

    bench/.venv/bin/python bench/protein/diagnose.py --families GFP-sarkisyan --seeds 42,7 \\
        --train-flags '--init-output site'
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from family import read_a2m, read_scores  # noqa: E402
from panel import PANEL, alignment_and_model, figure  # noqa: E402
from panel_common import flags_tag, read_panel  # noqa: E402


def focus_only(msa, path):
    """Write the alignment's first (focus) record alone to PATH."""
    names, seqs = read_a2m(msa)
    with open(path, "w") as out:
        out.write(f">{names[0]}\n{seqs[0]}\n")


def decoder_log_odds(args, msa, model, data, tag, seed):
    """The decoder's log p(mutant) - log p(wild type) at the wild type's posterior mean, by
    mutation name, for the set's variants."""
    focus = os.path.join(data, "focus.a2m")
    focus_only(msa, focus)
    reconstructed = os.path.join(data, f"focus_reconstructed_{tag}_s{seed}.tsv")
    subprocess.run([args.vaebio, "reconstruct", "--model", model, "--msa", focus, "-q",
                    "-o", reconstructed], check=True)
    probabilities = pd.read_csv(reconstructed, sep="\t", index_col=0).iloc[0]
    labels = pd.read_csv(os.path.join(data, "labels.tsv"), sep="\t")
    return log_odds(probabilities, labels.mutation)


def log_odds(probabilities, mutations, floor=0.0):
    """log p'(mutant) - log p'(wild type) of each mutation (`A23V`) from PROBABILITIES (a
    `vaebio reconstruct` row: `23:V` -> p), p' = (1 - FLOOR) p + FLOOR / 21."""
    def log_p(position, residue):
        return np.log((1 - floor) * probabilities[f"{position}:{residue}"] + floor / 21)
    return pd.Series({m: log_p(m[1:-1], m[-1]) - log_p(m[1:-1], m[0]) for m in mutations})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/protein-panel")
    parser.add_argument("--families", required=True, help="sets, comma-separated")
    parser.add_argument("--seeds", default="42")
    parser.add_argument("--train-flags", default="")
    args = parser.parse_args()
    label = args.train_flags.strip() or "default"
    tag = flags_tag(label)
    rows = {row["name"]: row for row in read_panel(PANEL)}
    print(f"\n`{label}`\n")
    print("| set | seed | Spearman ΔELBO vs site | decoder log-odds at wild type: Spearman vs site | its figure |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.families.split(","):
        data = os.path.join(args.out, name)
        labels = pd.read_csv(os.path.join(data, "labels.tsv"), sep="\t")
        site = read_scores(os.path.join(data, "site_scores.tsv")).loc[labels.mutation]
        for seed in args.seeds.split(","):
            msa, model = alignment_and_model(args, data, seed, tag)
            delta = read_scores(os.path.join(data, f"scores_{tag}_s{seed}.tsv")).loc[labels.mutation]
            decoder = decoder_log_odds(args, msa, model, data, tag, seed).loc[labels.mutation]
            value, _, _ = figure(rows[name]["kind"], labels, decoder)
            print(f"| {name} | {seed} | {spearmanr(delta, site)[0]:.3f} | "
                  f"{spearmanr(decoder, site)[0]:.3f} | {value:.3f} |")


if __name__ == "__main__":
    main()
