#!/usr/bin/env python3
"""Genotype panel: is PCA of the VAE's expected dosages ("denoised PCA", what `vaebio bin`
clusters for contigs) a better map of the samples than the latent means or PCA of the
dosages? (issue 17, point 4: why PCA wins.)

Per scenario of `--half` and seed: `vaebio embed --vcf X --save-model M --pca pca.tsv`
(latent means; PCA-10 of the imputed dosages, each site centred and scaled by
1/sqrt(2p(1-p)) as smartpca does), `vaebio reconstruct --model M` (the expected dosage of every
call), and PCA-10 of those: "denoised" centred only, "dscaled" centred and scaled as the
baseline is, p = the site's mean expected dosage / 2 (bench/notes/geno19.md). The tables
scored by `vaebio evaluate` (15-NN population accuracy, k-means ARI); prints per scenario rows
and the paired differences (against PCA and against the latent) with bootstrap 95% intervals
over scenario x seed cells. `--data DIR` links DIR's VCFs into `--out`.

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
    tables = {"latent": stem + ".tsv", "pca": stem + "_pca.tsv", "denoised": stem + "_dpca.tsv",
              "dscaled": stem + "_spca.tsv"}
    vcf = ["--vcf", prefix + ".vcf"]
    subprocess.run([vaebio, "embed", "-q", *vcf, "--seed", str(seed), "--save-model", model,
                    "--pca", tables["pca"], "-o", tables["latent"]], check=True)
    subprocess.run([vaebio, "reconstruct", "-q", "--model", model, *vcf,
                    "-o", stem + "_recon.tsv"], check=True)
    ids, _, recon = read_table(stem + "_recon.tsv")
    mean = recon.mean(axis=0)
    recon -= mean
    p = mean / 2.0
    variance = 2.0 * p * (1.0 - p)
    scale = np.where(variance > 1e-12, 1.0 / np.sqrt(np.maximum(variance, 1e-12)), 0.0)
    for tag, matrix in (("denoised", recon), ("dscaled", recon * scale)):
        _, _, vt = np.linalg.svd(matrix, full_matrices=False)
        write_table(tables[tag], ids, matrix @ vt[:COMPONENTS].T)
    cell = {}
    for tag, table in tables.items():
        cell[tag + "_knn"], cell[tag + "_ari"] = evaluate(vaebio, table, prefix + "_labels.tsv")
    return cell


def link_panel_data(data, prefix):
    """Link DATA's VCF and labels of PREFIX's scenario, when kept there."""
    panel_prefix = os.path.join(data, os.path.basename(prefix))
    for suffix in (".vcf", "_labels.tsv"):
        source, target = panel_prefix + suffix, prefix + suffix
        if os.path.abspath(source) != os.path.abspath(target) and os.path.exists(source) \
                and not os.path.exists(target):
            os.symlink(os.path.abspath(source), target)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/popgen-panel")
    parser.add_argument("--data", default="bench/out/popgen-panel",
                        help="a directory holding the scenarios' VCFs (linked into --out)")
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
        link_panel_data(args.data, prefix)
        simulate(row["flags"].split(), prefix)
        samples, sites = shape(prefix)
        if args.max_cells is not None and samples * sites > args.max_cells:
            continue
        mine = kept_seed_cells(row["name"], f"{prefix}_denoised", args.seeds.split(","),
                               lambda stem, seed: run_cell(args.vaebio, prefix, stem, seed))
        cells += mine
        rows.append((row["name"], {k: np.mean([c[k] for c in mine]) for k in mine[0]}))
    tags = ("latent", "pca", "denoised", "dscaled")
    print("| scenario | kNN: " + " / ".join(tags) + " | ARI: " + " / ".join(tags) + " |")
    print("| --- | --- | --- |")
    for name, m in rows:
        print(f"| {name} | " + " | ".join(
            " / ".join(f"{m[tag + '_' + k]:.3f}" for tag in tags) for k in ("knn", "ari")) + " |")
    for key in ("knn", "ari"):
        latent_above = sum(m[f"latent_{key}"] >= m[f"pca_{key}"] for _, m in rows)
        print(f"- {key}: latent at or above PCA on {latent_above} of {len(rows)}")
        for tag in ("denoised", "dscaled"):
            above = sum(m[f"{tag}_{key}"] >= m[f"pca_{key}"] for _, m in rows)
            worst = min(c[f"{tag}_{key}"] - c[f"latent_{key}"] for c in cells)
            print(f"  - {tag} - PCA {paired_cells(cells, key, tag, 'pca')}, at or above PCA on "
                  f"{above}; {tag} - latent {paired_cells(cells, key, tag, 'latent')}, worst "
                  f"cell {worst:+.3f}")


if __name__ == "__main__":
    main()
