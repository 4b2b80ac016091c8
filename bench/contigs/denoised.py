#!/usr/bin/env python3
"""Contig panel: is PCA of the VAE's reconstructions ("denoised PCA") a better map than the
latent means or PCA of the features? (issue 17, point 4: why PCA wins.)

Why: PCA keeps the data's geometry (each direction in proportion to its spread, a dominant
genome away from the origin), and the VAE latent is close to whitened (every used dimension
about unit variance; a dominant genome at the prior's centre). The decoder's mean for a
contig is its features with what the model calls noise removed, in the data's own space; PCA
of those keeps PCA's geometry with the VAE's denoising.

Per set of `--half` and seed: `vaebio embed --save-model` (the default's latent means and
PCA of the features, as many components as the latent), `vaebio reconstruct` (decoder means
of the latent means), `vaebio featurize` (the features: their column means and SDs z-score
the reconstructions as PCA z-scores the data). Scores the latent, PCA-16, and PCA-16 of the
z-scored reconstructions with `vaebio evaluate` (15-NN, k-means ARI), and the bins of
`vaebio bin` (the default, trained again with the same seed) and of `vaebio bin --latent` on
the first 10 columns of PCA and of the denoised PCA (bin ARI,
genomes recovered). Prints per-set rows and the paired differences (denoised - PCA,
denoised - latent) with bootstrap 95% intervals over set x seed cells.

    bench/.venv/bin/python bench/contigs/denoised.py --half tuning --seeds 1,2
"""

import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from panel_common import (  # noqa: E402
    evaluate, kept_seed_cells, paired_cells, read_panel, read_table, write_table)
from bins import bin_scores  # noqa: E402
from panel import PANEL, PRECISION, RECALL, first_columns, simulate  # noqa: E402

COMPONENTS, BIN_COMPONENTS = 16, 10
# the contigs recipe's share of the reconstruction loss for composition with abundance
# (crates/model/src/recipes.rs, COMPOSITION_SHARE)
COMPOSITION_SHARE = 0.85


def denoised_pca(features, reconstruction, out, components=COMPONENTS, metric=False):
    """PCA (COMPONENTS) of the reconstructions z-scored with the features' column means and SDs;
    with METRIC, each column also times √ of its weight in the recipe's loss (composition 0.85,
    the `abundance:` columns 0.15; all 1 without abundance), as `Vae::denoised_pca` does since
    session 25."""
    ids, header, x = read_table(features)
    rids, rheader, r = read_table(reconstruction)
    assert rids == ids and rheader == header, "reconstruction rows or columns differ"
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    z = (r - mean) / std
    depth = np.array([name.startswith("abundance:") for name in header])
    if metric and depth.any():
        n, n_depth = len(header), depth.sum()
        z *= np.sqrt(np.where(depth, (1 - COMPOSITION_SHARE) * n / n_depth,
                              COMPOSITION_SHARE * n / (n - n_depth)))
    z -= z.mean(axis=0)
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    write_table(out, ids, z @ vt[:components].T)


def run_cell(vaebio, prefix, stem, seed):
    depth = prefix + "_depth.txt"
    abundance = ["--abundance", depth] if os.path.exists(depth) else []
    inputs = ["--fasta", prefix + ".fa", *abundance]
    labels = prefix + "_labels.tsv"
    model = stem + "_model"
    tables = {"latent": stem + ".tsv", "pca": stem + "_pca.tsv", "denoised": stem + "_dpca.tsv"}
    subprocess.run([vaebio, "embed", "-q", *inputs, "--seed", str(seed), "--save-model", model,
                    "--pca", tables["pca"], "-o", tables["latent"]], check=True)
    subprocess.run([vaebio, "reconstruct", "-q", "--model", model, *inputs,
                    "-o", stem + "_recon.tsv"], check=True)
    subprocess.run([vaebio, "featurize", "-q", *inputs, "-o", stem + "_features.tsv"],
                   check=True)
    denoised_pca(stem + "_features.tsv", stem + "_recon.tsv", tables["denoised"])
    # The default's own bins: the same training (same seed), clustered as `vaebio bin` does.
    subprocess.run([vaebio, "bin", "-q", *inputs, "--seed", str(seed),
                    "-o", stem + "_latent_bins.tsv"], check=True)
    cell = {}
    cell["latent_bin_ari"], cell["latent_recovered"], _ = bin_scores(
        stem + "_latent_bins.tsv", labels, prefix + ".fa", PRECISION, RECALL)
    for tag, table in tables.items():
        cell[tag + "_knn"], cell[tag + "_ari"] = evaluate(vaebio, table, labels)
    for tag in ("pca", "denoised"):
        short = f"{stem}_{tag}10.tsv"
        first_columns(tables[tag], BIN_COMPONENTS, short)
        bins = f"{stem}_{tag}_bins.tsv"
        subprocess.run([vaebio, "bin", "-q", "--fasta", prefix + ".fa", "--latent", short,
                        "--seed", str(seed), "-o", bins], check=True)
        cell[tag + "_bin_ari"], cell[tag + "_recovered"], _ = bin_scores(
            bins, labels, prefix + ".fa", PRECISION, RECALL)
    return cell


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/contig-panel")
    parser.add_argument("--genome-dir", default="bench/out/contig-panel/genomes")
    parser.add_argument("--half", choices=["tuning", "confirmation"], required=True)
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--sets", default=None, help="only these names, comma-separated")
    args = parser.parse_args()
    wanted = set(args.sets.split(",")) if args.sets else None
    rows, cells = [], []
    for row in read_panel(PANEL):
        if row["half"] != args.half or (wanted and row["name"] not in wanted):
            continue
        prefix = os.path.join(args.out, "sets", row["name"])
        simulate(row["flags"].split(), prefix, args.genome_dir)
        mine = kept_seed_cells(row["name"], f"{prefix}_denoised", args.seeds.split(","),
                               lambda stem, seed: run_cell(args.vaebio, prefix, stem, seed))
        cells += mine
        rows.append((row["name"], {k: np.mean([c[k] for c in mine]) for k in mine[0]}))
    keys = ("knn", "ari", "bin_ari", "recovered")
    print("| set | " + " | ".join(f"{k}: latent / PCA / denoised" for k in keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, m in rows:
        print(f"| {name} | " + " | ".join(
            (f"{m['latent_' + k]:.3f} / " if "latent_" + k in m else "– / ")
            + f"{m['pca_' + k]:.3f} / {m['denoised_' + k]:.3f}" for k in keys) + " |")
    for key in keys:
        above = sum(m[f"denoised_{key}"] >= m[f"pca_{key}"] for _, m in rows)
        line = f"- {key}: denoised - PCA {paired_cells(cells, key, 'denoised', 'pca')}, " \
               f"at or above PCA on {above} of {len(rows)}"
        if f"latent_{key}" in cells[0]:
            above = sum(m[f"latent_{key}"] >= m[f"pca_{key}"] for _, m in rows)
            line += f"; denoised - latent {paired_cells(cells, key, 'denoised', 'latent')}; " \
                    f"latent at or above PCA on {above}"
        print(line)


if __name__ == "__main__":
    main()
