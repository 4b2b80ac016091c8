#!/usr/bin/env python3
"""Genotype panel: is PCA of the VAE's expected dosages ("denoised PCA", what `vaebio bin`
clusters for contigs) a better map of the samples than the latent means or PCA of the
dosages? (issue 17, point 4: why PCA wins.)

Per scenario of `--half` and seed: `vaebio embed --vcf X --save-model M --pca pca.tsv`
(latent means; PCA-10 of the centred imputed dosages), `vaebio reconstruct --model M` (the
expected dosage of every call), and PCA-10 of those, centred as the baseline PCA is. The three
tables scored by `vaebio evaluate` (15-NN population accuracy, k-means ARI); prints per
scenario rows and the paired differences (denoised - PCA, denoised - latent) with bootstrap 95%
intervals over scenario x seed cells.

    bench/.venv/bin/python bench/popgen/denoised.py --half tuning --seeds 42,7 --max-cells 60e6
"""

import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from panel_common import (  # noqa: E402
    evaluate, kept_seed_cells, paired_cells, read_panel, read_table,
    write_table)
from run import simulate  # noqa: E402
from panel import PANEL, shape  # noqa: E402

COMPONENTS = 10


def run_cell(vaebio, prefix, stem, seed):
    model = stem + "_model"
    tables = {"latent": stem + ".tsv", "pca": stem + "_pca.tsv", "denoised": stem + "_dpca.tsv"}
    vcf = ["--vcf", prefix + ".vcf"]
    subprocess.run([vaebio, "embed", "-q", *vcf, "--seed", str(seed), "--save-model", model,
                    "--pca", tables["pca"], "-o", tables["latent"]], check=True)
    subprocess.run([vaebio, "reconstruct", "-q", "--model", model, *vcf,
                    "-o", stem + "_recon.tsv"], check=True)
    ids, _, recon = read_table(stem + "_recon.tsv")
    recon -= recon.mean(axis=0)
    _, _, vt = np.linalg.svd(recon, full_matrices=False)
    write_table(tables["denoised"], ids, recon @ vt[:COMPONENTS].T)
    cell = {}
    for tag, table in tables.items():
        cell[tag + "_knn"], cell[tag + "_ari"] = evaluate(vaebio, table, prefix + "_labels.tsv")
    return cell


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/popgen-panel")
    parser.add_argument("--half", choices=["tuning", "confirmation"], required=True)
    parser.add_argument("--seeds", default="42,7")
    parser.add_argument("--max-cells", type=float, default=None)
    parser.add_argument("--scenarios", default=None, help="only these names, comma-separated")
    args = parser.parse_args()
    wanted = set(args.scenarios.split(",")) if args.scenarios else None
    os.makedirs(args.out, exist_ok=True)
    rows, cells = [], []
    for row in read_panel(PANEL):
        if row["half"] != args.half or (wanted and row["name"] not in wanted):
            continue
        prefix = os.path.join(args.out, row["name"])
        simulate(row["flags"].split(), prefix)
        samples, sites = shape(prefix)
        if args.max_cells is not None and samples * sites > args.max_cells:
            continue
        mine = kept_seed_cells(row["name"], f"{prefix}_denoised", args.seeds.split(","),
                               lambda stem, seed: run_cell(args.vaebio, prefix, stem, seed))
        cells += mine
        rows.append((row["name"], {k: np.mean([c[k] for c in mine]) for k in mine[0]}))
    print("| scenario | kNN: latent / PCA / denoised | ARI: latent / PCA / denoised |")
    print("| --- | --- | --- |")
    for name, m in rows:
        print(f"| {name} | " + " | ".join(
            f"{m['latent_' + k]:.3f} / {m['pca_' + k]:.3f} / {m['denoised_' + k]:.3f}"
            for k in ("knn", "ari")) + " |")
    for key in ("knn", "ari"):
        above = sum(m[f"denoised_{key}"] >= m[f"pca_{key}"] for _, m in rows)
        latent_above = sum(m[f"latent_{key}"] >= m[f"pca_{key}"] for _, m in rows)
        print(f"- {key}: denoised - PCA {paired_cells(cells, key, 'denoised', 'pca')}, at or above "
              f"PCA on {above} of {len(rows)}; denoised - latent "
              f"{paired_cells(cells, key, 'denoised', 'latent')}; latent at or above PCA on "
              f"{latent_above}")


if __name__ == "__main__":
    main()
