#!/usr/bin/env python3
"""Ensembles on the protein panel (issue 18): is the default's gap to the site model the
seed noise of one model? `vaebio train --ensemble N --seed S` on each set's alignment (members
seeded S .. S+N-1, one held-out split), then every member scored alone and the ensemble's
score: the mean of the members' ΔELBO (what `vaebio score` on the ensemble folder writes,
checked on the first set). Prints per set the members' figures, their mean, the ensemble's and
the site model's, and paired lines: ensemble against the site model, against its members'
mean, and each member against the site model.

With `--score-flags` (argparse needs the `=`: `--score-flags="--shrinkage none"`) every score
is taken with those `vaebio score` flags, kept apart from the plain ones (no flags: the
binary's defaults), and a further paired line sets each member so scored against the same
member scored plainly. With `--train-flags` (e.g. `--train-flags=--site-mixture`) the members
are trained with those flags, in a folder of their own, and that paired line is left out.

    bench/.venv/bin/python bench/protein/ensemble.py --half tuning --members 5 --seed 42 \
        --families TP53-clinvar,TP53-kotler,GFP-sarkisyan,DHFR-thompson

Sets are prepared by bench/protein/get_families.sh; models go to OUT/models/STEM_ensembleN_sS.
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
from family import read_scores  # noqa: E402
from panel import PANEL, figure, metric_name, score_mutants  # noqa: E402
from panel_common import paired_line, read_panel  # noqa: E402


def train_tag(args):
    """`ensembleN_sS`, with the `--train-flags` appended (`_site-mixture`) when given."""
    return f"ensemble{args.members}_s{args.seed}" + flags_suffix(args.train_flags.split())


def ensemble_dir(args, msa):
    stem = os.path.splitext(os.path.basename(msa))[0]
    return os.path.join(args.out, "models", f"{stem}_{train_tag(args)}")


def score(args, model, msa, data, path, flags=()):
    """`vaebio score` of the set's mutants with MODEL (a member or the ensemble) and FLAGS,
    kept at PATH."""
    if not os.path.exists(path):
        score_mutants(args, model, msa, data, args.seed, path, flags)
    return read_scores(path)


def flags_suffix(flags):
    """File-name suffix of a set of `vaebio` flags (`--shrinkage site` → `_shrinkage-site`)."""
    return "_" + "-".join(f.lstrip("-") for f in flags) if flags else ""


def run_set(args, row, check_ensemble):
    data = os.path.join(args.out, row["name"])
    msa = open(os.path.join(data, "alignment_path")).read().strip()
    model = ensemble_dir(args, msa)
    if not os.path.exists(os.path.join(model, "ensemble.json")):
        subprocess.run([args.vaebio, "train", "--msa", msa, "--seed", str(args.seed),
                        "--ensemble", str(args.members), "-q", "--threads", str(args.threads),
                        "-o", model, *args.train_flags.split()], check=True)
    labels = pd.read_csv(os.path.join(data, "labels.tsv"), sep="\t")
    tag = train_tag(args)
    flags = args.score_flags.split()

    def members_scored(flags):
        return [score(args, os.path.join(model, f"member_{i}"), msa, data,
                      os.path.join(data, f"scores_{tag}_member{i}{flags_suffix(flags)}.tsv"),
                      flags)
                for i in range(1, args.members + 1)]
    members = members_scored(flags)
    # the same models scored without the flags (a scoring comparison: no train flags)
    versus_plain = bool(flags) and not args.train_flags
    plain = members_scored(()) if versus_plain else members
    averaged = sum(members) / len(members)
    if check_ensemble:
        written = score(args, model, msa, data,
                        os.path.join(data, f"scores_{tag}{flags_suffix(flags)}.tsv"), flags)
        gap = np.abs(written.loc[averaged.index] - averaged).max()
        assert gap < 1e-3, f"vaebio score on the ensemble differs from the members' mean by {gap}"
    site = figure(row["kind"], labels, read_scores(os.path.join(data, "site_scores.tsv")))[0]
    return {
        "members": [figure(row["kind"], labels, m)[0] for m in members],
        "plain": [figure(row["kind"], labels, m)[0] for m in plain],
        "ensemble": figure(row["kind"], labels, averaged),
        "site": site,
        "variants": len(labels),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/protein-panel")
    parser.add_argument("--half", choices=["tuning", "confirmation"], required=True)
    parser.add_argument("--families", default=None, help="only these sets, comma-separated")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--score-flags", default="", help="further `vaebio score` flags")
    parser.add_argument("--train-flags", default="", help="further `vaebio train` flags")
    args = parser.parse_args()

    wanted = set(args.families.split(",")) if args.families else None
    rows = [row for row in read_panel(PANEL)
            if row["half"] == args.half and (not wanted or row["name"] in wanted)]
    print(f"\n### {args.half} half: ensemble of {args.members} (seeds {args.seed}–"
          f"{args.seed + args.members - 1}) against its members and the site model\n")
    print("| set | metric | variants | members | members' mean | ensemble [95%] | site model | ensemble − site |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    against_site, against_members, member_cells, against_plain = {}, {}, {}, {}
    for i, row in enumerate(rows):
        result = run_set(args, row, check_ensemble=(i == 0))
        value, low, high = result["ensemble"]
        mean_member = float(np.mean(result["members"]))
        print(f"| {row['name']} | {metric_name(row['kind'])} | {result['variants']} | "
              f"{', '.join(f'{m:.3f}' for m in result['members'])} | {mean_member:.3f} | "
              f"{value:.3f} [{low:.3f}, {high:.3f}] | {result['site']:.3f} | "
              f"{value - result['site']:+.3f} |", flush=True)
        cell = {"ensemble": value, "site": result["site"], "members": mean_member}
        against_site[row["name"]] = {"mean": cell, "cells": [cell]}
        against_members[row["name"]] = {"mean": cell, "cells": [cell]}
        member_cells[row["name"]] = {
            "mean": {"member": mean_member, "site": result["site"]},
            "cells": [{"member": m, "site": result["site"]} for m in result["members"]],
        }
        against_plain[row["name"]] = {
            "mean": {"flags": mean_member, "plain": float(np.mean(result["plain"]))},
            "cells": [{"flags": m, "plain": p} for m, p in zip(result["members"], result["plain"])],
        }
    print()
    print(paired_line("ensemble against the site model", against_site, "ensemble", "site",
                      baseline="the site model"))
    print(paired_line("ensemble against its members' mean", against_members, "ensemble",
                      "members", baseline="the members' mean"))
    print(paired_line("one member against the site model", member_cells, "member", "site",
                      baseline="the site model"))
    if args.score_flags and not args.train_flags:
        print(paired_line(f"one member scored with `{args.score_flags}` against plainly",
                          against_plain, "flags", "plain", baseline="plain scores"))


if __name__ == "__main__":
    main()
