#!/usr/bin/env python3
"""Contig panel (issue 17): vaebio's contig embedding and bins against PCA, one half at a time.

Reads bench/contigs/panel.tsv (sets, each fixed in the tuning or the confirmation half). For
each set of `--half`: cut it with simulate_panel.py unless cached under `--out`, then per seed

- `vaebio bin --fasta SET.fa [--abundance SET_depth.txt] --seed S -o bins.tsv --latent-out
  latent.tsv --clustered-out clustered.tsv --pca pca.tsv`: one training gives the default's
  bins, the latent means (the same as `vaebio embed --seed S` writes), the latent as
  clustered (for bench/contigs/diagnose_latent.py) and PCA of the same z-scored features (as
  many components as the latent); latent and PCA scored with `vaebio evaluate` (15-NN genome
  accuracy, k-means ARI with k = genomes);
- `vaebio bin --latent pca10.tsv --seed S`: the same medoid clustering on PCA-10 scores (the
  first 10 columns of pca.tsv).

Bins are scored by their ARI against the genomes (pairs of binned contigs) and the genomes
recovered: genomes with a bin of >= 95% precision and >= 90% recall in bp (VAMB's "NC"
threshold), recall against the genome's bp among the binned contigs (those vaebio keeps,
>= 2,000 bp by default). Prints one Markdown table per half (means over seeds per set), the
mean over sets, and per metric the sets at or above PCA and the paired mean difference
(vaebio - PCA) with a bootstrap 95% interval over set x seed cells; bins also split by
abundance.

    bench/.venv/bin/python bench/contigs/genomes.py
    bench/.venv/bin/python bench/contigs/panel.py --half tuning --seeds 1,2

`--bin-flags F` (e.g. `--latent-scale posterior`) adds F to the training run and also
clusters the plain latent means (`vaebio bin --latent latent.tsv`, i.e. `--latent-scale
none`); the report adds F's bins against those and against PCA-10's (issue 17's comparison of
the latent scaling, bench/notes/bench-history-2026-12.md, "Contig panel: `--latent-scale
posterior`").

`--versus F` also runs the same cells with embed flags F instead (`--versus ""`: the default)
on the same build and adds the paired differences of `--embed-flags` against F (kNN, k-means
ARI, bin ARI, genomes recovered), e.g. `--embed-flags "--tnf-weight length" --versus ""`.

Tune on `--half tuning` only; `--half confirmation` is for the claims made afterwards.
`--sets a,b` runs only those; `--reuse` reads results kept from an earlier run with the same
embed flags instead of embedding again.
"""

import argparse
import os
import shlex
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from panel_common import cached_cell, evaluate, flags_tag, paired_line, read_panel  # noqa: E402
from bins import bin_scores  # noqa: E402

PANEL = os.path.join(HERE, "panel.tsv")
PRECISION, RECALL = 0.95, 0.90
BIN_PCA = 10
METRICS = (("knn", "15-NN accuracy"), ("ari", "k-means ARI"), ("bin_ari", "bin ARI"),
           ("recovered", "genomes recovered"))
KEYS = ("knn", "pca_knn", "ari", "pca_ari", "bin_ari", "pca_bin_ari", "recovered",
        "pca_recovered", "seconds")


def simulate(flags, prefix, genome_dir):
    """Write PREFIX.fa, PREFIX_labels.tsv (and PREFIX_depth.txt) unless they exist."""
    if os.path.exists(prefix + ".fa") and os.path.exists(prefix + "_labels.tsv"):
        return
    subprocess.run([sys.executable, os.path.join(HERE, "simulate_panel.py"), *flags,
                    "--genome-dir", genome_dir, "--out", prefix], check=True)


def first_columns(table, columns, path):
    """Write the id and the first COLUMNS score columns of TABLE to PATH."""
    with open(table) as source, open(path, "w") as out:
        for line in source:
            out.write("\t".join(line.rstrip("\n").split("\t")[:columns + 1]) + "\n")


def run_seed(vaebio, prefix, stem, seed, flags, bin_flags):
    """Embed, bin and score one set with one seed; returns the cell's figures. With
    BIN_FLAGS, `vaebio bin BIN_FLAGS` trains instead of embed and its bins are scored too."""
    depth = prefix + "_depth.txt"
    abundance = ["--abundance", depth] if os.path.exists(depth) else []
    latent, pca, pca10 = stem + ".tsv", stem + "_pca.tsv", stem + "_pca10.tsv"
    labels = prefix + "_labels.tsv"
    trained_bins = stem + ("_option_bins.tsv" if bin_flags else "_bins.tsv")
    start = time.time()
    subprocess.run([vaebio, "bin", "-q", "--fasta", prefix + ".fa", *abundance,
                    "--seed", str(seed), *shlex.split(flags), *shlex.split(bin_flags),
                    "--pca", pca, "--latent-out", latent, "--clustered-out", stem + "_clustered.tsv",
                    "-o", trained_bins], check=True)
    seconds = time.time() - start
    first_columns(pca, BIN_PCA, pca10)
    cell = {"seconds": seconds}
    if bin_flags:
        cell["option_bin_ari"], cell["option_recovered"], cell["option_bins"] = bin_scores(
            stem + "_option_bins.tsv", labels, prefix + ".fa", PRECISION, RECALL)
    for tag, table in (("", latent), ("pca_", pca)):
        cell[tag + "knn"], cell[tag + "ari"] = evaluate(vaebio, table, labels)
    for tag, table in (("", latent), ("pca_", pca10)):
        bins = f"{stem}_{tag}bins.tsv"
        if tag or bin_flags:  # else the trained run wrote the default's bins there
            subprocess.run([vaebio, "bin", "-q", "--fasta", prefix + ".fa", "--latent", table,
                            "--seed", str(seed), "-o", bins], check=True)
        ari, recovered, n_bins = bin_scores(bins, labels, prefix + ".fa", PRECISION, RECALL)
        cell[tag + "bin_ari"], cell[tag + "recovered"], cell[tag + "bins"] = \
            ari, recovered, n_bins
    with open(latent) as table:
        cell["contigs"] = sum(1 for _ in table) - 1
    return cell


def report_versus(results, embed_flags, versus):
    """The paired differences of EMBED_FLAGS against VERSUS, from each cell's `base_` keys."""
    name = f"`{versus or 'default'}`"
    means = ", ".join(
        f"{title} {np.mean([info['mean'][key] for info in results.values()]):.3f} against "
        f"{np.mean([info['mean']['base_' + key] for info in results.values()]):.3f}"
        for key, title in METRICS)
    print(f"- `{embed_flags}` against {name}, mean of {len(results)} sets: {means}")
    for key, title in METRICS:
        print(paired_line(f"{title}, `{embed_flags}` − {name}", results, key, "base_" + key,
                          baseline=name))


def report(half, results, seeds, embed_flags, bin_flags):
    label = embed_flags or "default"
    print(f"\n### {half} half: `{label}` against PCA, seeds {','.join(seeds)}\n")
    print("| set | contigs | genomes | kNN | PCA kNN | ARI | PCA ARI | bin ARI | PCA-10 bin ARI "
          "| recovered | PCA-10 recovered | embed s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, info in results.items():
        m = info["mean"] = {key: np.mean([cell[key] for cell in info["cells"]])
                            for key in info["cells"][0] if key != "contigs"}
        print(f"| {name} | {info['cells'][0]['contigs']} | {info['genomes']} | "
              f"{m['knn']:.3f} | {m['pca_knn']:.3f} | {m['ari']:.3f} | {m['pca_ari']:.3f} | "
              f"{m['bin_ari']:.3f} | {m['pca_bin_ari']:.3f} | {m['recovered']:.1f} | "
              f"{m['pca_recovered']:.1f} | {m['seconds']:.0f} |")
    if not results:
        return
    overall = {key: np.mean([info["mean"][key] for info in results.values()]) for key in KEYS}
    print(f"| **mean of {len(results)}** | | | {overall['knn']:.3f} | {overall['pca_knn']:.3f} "
          f"| {overall['ari']:.3f} | {overall['pca_ari']:.3f} | {overall['bin_ari']:.3f} | "
          f"{overall['pca_bin_ari']:.3f} | {overall['recovered']:.2f} | "
          f"{overall['pca_recovered']:.2f} | {overall['seconds']:.0f} |")
    print()
    for key, title in (("knn", "15-NN accuracy"), ("ari", "k-means ARI")):
        print(paired_line(title, results, key, "pca_" + key))
    option = "option_bin_ari" in next(iter(results.values()))["cells"][0]
    comparisons = [("", "pca_", "PCA-10 bins")]
    if option:
        comparisons += [("option_", "", "the plain means' bins (`--latent-scale none`)"), ("option_", "pca_", "PCA-10 bins")]
        print(f"- `{bin_flags}` bins, mean of {len(results)} sets: bin ARI "
              f"{np.mean([info['mean']['option_bin_ari'] for info in results.values()]):.3f}, "
              "genomes recovered "
              f"{np.mean([info['mean']['option_recovered'] for info in results.values()]):.2f}")
    for subset, keep in (("all sets", lambda n: True),
                         ("without abundance", lambda n: "-tnf-" in n),
                         ("with abundance", lambda n: "-depth" in n)):
        chosen = {n: info for n, info in results.items() if keep(n)}
        for tag, baseline_tag, baseline in comparisons:
            who = f"`{bin_flags}` " if tag else ""
            for key, title in (("bin_ari", "bin ARI"), ("recovered", "genomes recovered")):
                print(paired_line(f"{who}{title}, {subset}", chosen, tag + key,
                                  baseline_tag + key, baseline=baseline))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--panel", default=PANEL)
    parser.add_argument("--out", default="bench/out/contig-panel")
    parser.add_argument("--genome-dir", default="bench/out/contig-panel/genomes")
    parser.add_argument("--half", choices=["tuning", "confirmation", "all"], required=True)
    parser.add_argument("--seeds", default="1,2", help="vaebio --seed values, comma-separated")
    parser.add_argument("--embed-flags", default="", help="extra `vaebio embed` flags")
    parser.add_argument("--bin-flags", default="",
                        help="a `vaebio bin` option to compare with the default's bins")
    parser.add_argument("--versus", default=None,
                        help="embed flags of a baseline run on the same cells (\"\": the default)")
    parser.add_argument("--sets", default=None, help="only these names, comma-separated")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse kept results of the same set, seed and embed flags")
    args = parser.parse_args()

    halves = ["tuning", "confirmation"] if args.half == "all" else [args.half]
    wanted = set(args.sets.split(",")) if args.sets else None
    seeds = [seed for seed in args.seeds.split(",") if seed]
    flags = " ".join(f for f in (args.embed_flags.strip(), args.bin_flags.strip()) if f)
    tag = flags_tag(flags)
    panel = read_panel(args.panel)
    for half in halves:
        results = {}
        for row in panel:
            if row["half"] != half or (wanted and row["name"] not in wanted):
                continue
            prefix = os.path.join(args.out, "sets", row["name"])
            simulate(row["flags"].split(), prefix, args.genome_dir)
            cells = []
            for seed in seeds:
                stem = f"{prefix}_{tag}_s{seed}"
                cell = cached_cell(stem + ".json", args.reuse, lambda: run_seed(
                    args.vaebio, prefix, stem, seed, args.embed_flags, args.bin_flags))
                print(f"{row['name']} seed {seed}: kNN {cell['knn']:.3f} "
                      f"(PCA {cell['pca_knn']:.3f}), ARI {cell['ari']:.3f} "
                      f"(PCA {cell['pca_ari']:.3f}), bin ARI {cell['bin_ari']:.3f} "
                      f"(PCA-10 {cell['pca_bin_ari']:.3f}), {cell['seconds']:.0f} s",
                      file=sys.stderr, flush=True)
                if args.versus is not None:
                    base_stem = f"{prefix}_{flags_tag(args.versus.strip())}_s{seed}"
                    base = cached_cell(base_stem + ".json", args.reuse, lambda: run_seed(
                        args.vaebio, prefix, base_stem, seed, args.versus, ""))
                    cell.update({"base_" + key: base[key] for key, _ in METRICS})
                    print(f"  versus `{args.versus}`: kNN {base['knn']:.3f}, ARI "
                          f"{base['ari']:.3f}, bin ARI {base['bin_ari']:.3f}, recovered "
                          f"{base['recovered']:.1f}", file=sys.stderr, flush=True)
                cells.append(cell)
            genomes = row["flags"].split("--genomes ")[1].split()[0].count(",") + 1
            results[row["name"]] = {"genomes": genomes, "cells": cells}
        report(half, results, seeds, args.embed_flags, args.bin_flags)
        if args.versus is not None and results:
            report_versus(results, args.embed_flags, args.versus.strip())


if __name__ == "__main__":
    main()
