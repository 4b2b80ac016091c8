#!/usr/bin/env python3
"""Inputs for the single-cell comparison (issue 5, section 1): genes x cells count TSVs,
`id<TAB>cell_type` labels and, for the simulation, `id<TAB>batch` tables.

pbmc  Real PBMC counts with cell types, offline: scanpy's bundled `pbmc68k_reduced`
      (700 cells of Zheng et al. 2017, 10x 68k PBMC; 765 highly variable genes chosen by
      scanpy's own processing; `bulk_labels` = the FACS-sorted population each cell
      correlates best with, 10 types). Its `.raw.X` holds log1p(counts / n_counts * 1e4),
      and `obs.n_counts` the cell's total UMIs, so the integer UMI counts are recovered as
      round(expm1(raw) * n_counts / 1e4); the largest rounding residual (float32 storage)
      is printed, < 0.1.
sim2  Splatter-like simulation (numpy), two batches: gamma gene means, log-normal library
      sizes, 6 cell types in two lineages (lineage and type differential-expression
      factors), per-gene log-normal batch factors plus a lower library size in batch B,
      type proportions that differ between batches, negative-binomial counts with per-gene
      dispersion. 2,000 genes are simulated; the 1,000 most highly variable (scanpy,
      flavour 'seurat', on normalize_total + log1p) are written, so both tools see the
      same cells and genes. `sim2_truth.tsv`: the true expression share of each HVG per
      cell type and batch (rows `type1_A`..`type6_B`), to score batch-corrected output.

    bench/.venv/bin/python bench/singlecell/make_data.py --out bench/out/singlecell

`--testdata PREFIX` writes only a tiny two-batch set for the end-to-end tests (all simulated
genes, no HVG step; PREFIX.tsv, PREFIX_labels.tsv, PREFIX_batches.tsv):

    bench/.venv/bin/python bench/singlecell/make_data.py --cells 80 --genes 100 --seed 3 \
        --testdata testdata/counts2batch
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simulate import (  # noqa: E402
    Scenario, highly_variable, simulate, write_counts, write_set, write_table)


def sim2_scenario(n_cells, n_genes):
    """sim2's parameters: 6 types in 2 lineages, 2 batches of libraries 2,500 and 1,500 UMIs,
    type proportions that differ between the batches."""
    return Scenario(cells=n_cells, genes=n_genes, library=2500.0, batches=2, proportions=[
        np.array([0.25, 0.2, 0.15, 0.15, 0.15, 0.10]),
        np.array([0.10, 0.15, 0.15, 0.25, 0.25, 0.10]),
    ])


def pbmc(out):
    import scanpy as sc

    adata = sc.datasets.pbmc68k_reduced()
    raw = adata.raw.X
    raw = raw.toarray() if hasattr(raw, "toarray") else np.asarray(raw)
    scaled = np.expm1(raw.astype(np.float64)) * adata.obs["n_counts"].to_numpy()[:, None] / 1e4
    counts = np.rint(scaled).astype(np.int64)
    residual = np.abs(scaled - counts).max()
    cells = list(adata.obs_names)
    genes = list(adata.raw.var_names)
    labels = [label.replace(" ", "_") for label in adata.obs["bulk_labels"].astype(str)]
    write_counts(os.path.join(out, "pbmc.tsv"), counts, cells, genes)
    write_table(os.path.join(out, "pbmc_labels.tsv"), "cell_type", cells, labels)
    print(f"pbmc: {len(cells)} cells x {len(genes)} genes, {len(set(labels))} types, "
          f"largest rounding residual {residual:.2g}, zeros {np.mean(counts == 0):.2f}, "
          f"median UMIs in these genes {np.median(counts.sum(1)):.0f}")


def tiny(prefix, n_cells, n_genes, seed):
    rng = np.random.default_rng(seed)
    counts, cell_type, cell_batch, _ = simulate(rng, sim2_scenario(n_cells, n_genes))
    write_set(prefix, counts, cell_type, cell_batch, np.arange(n_genes))


def sim2(out, n_cells, n_genes, n_top, seed):
    rng = np.random.default_rng(seed)
    counts, cell_type, cell_batch, truth = simulate(rng, sim2_scenario(n_cells, n_genes))
    chosen = highly_variable(counts, n_top)
    write_set(os.path.join(out, "sim2"), counts, cell_type, cell_batch, chosen)
    with open(os.path.join(out, "sim2_truth.tsv"), "w") as table:
        table.write("id\t" + "\t".join(f"gene{j}" for j in chosen) + "\n")
        for name, profile in truth.items():
            share = profile[chosen] / profile[chosen].sum()
            table.write(name + "\t" + "\t".join(f"{v:.6g}" for v in share) + "\n")
    print(f"sim2: {len(cell_type)} cells x {len(chosen)} HVGs (of {n_genes}), 6 types x 2 batches, "
          f"zeros {np.mean(counts[:, chosen] == 0):.2f}, "
          f"median UMIs in these genes {np.median(counts[:, chosen].sum(1)):.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench/out/singlecell")
    parser.add_argument("--cells", type=int, default=2400, help="simulated cells (both batches)")
    parser.add_argument("--genes", type=int, default=2000, help="simulated genes")
    parser.add_argument("--n-top-genes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--testdata", metavar="PREFIX", help="write only a tiny two-batch set")
    args = parser.parse_args()
    if args.testdata:
        tiny(args.testdata, args.cells, args.genes, args.seed)
        return
    os.makedirs(args.out, exist_ok=True)
    pbmc(args.out)
    sim2(args.out, args.cells, args.genes, args.n_top_genes, args.seed)


if __name__ == "__main__":
    main()
