#!/usr/bin/env python3
"""Splatter-like single-cell counts (numpy): the sets of the single-cell panel
(bench/singlecell/panel.tsv) and make_data.py's `sim2` and test data.

The model (after splatter, Zappia et al. 2017): gene means from a gamma (5% outlier genes
scaled up log-normally); per-gene negative-binomial inverse dispersion, log-normal around
`--theta`; cell types in `--lineages` lineages, each lineage and then each type multiplying a
share of the genes by a log-normal fold up or down (`--lineage-de` / `--type-de` PROB:FOLD: the
share of genes hit and the median |ln fold|); per-batch log-normal gene factors (`--batch-sd`)
and library scales (1, 0.6, 0.8 for batches 1-3), type proportions that differ between batches;
log-normal library sizes around `--library` UMIs; and, with `--dropout MID`, splatter's
dropout: each count zeroed with probability 1 / (1 + exp(ln mean - MID)). Then the `--hvg`
most variable genes (scanpy's 'seurat' flavour on normalize_total + log1p) are written:
PREFIX.tsv (genes x cells counts, vaebio's default orientation), PREFIX_labels.tsv
(`id<TAB>cell_type`) and, with batches, PREFIX_batches.tsv (`id<TAB>batch`).

    bench/.venv/bin/python bench/singlecell/simulate.py --cells 3000 --types 6 --seed 201 \
        --out bench/out/singlecell-panel/even6-a
"""

import argparse
from dataclasses import dataclass

import numpy as np

BATCH_LIBRARY = (1.0, 0.6, 0.8)


@dataclass
class Scenario:
    """One simulated data set's parameters (the flags of this script)."""
    cells: int = 3000
    genes: int = 2000
    types: int = 6
    lineages: int = 2
    lineage_de: tuple = (0.08, 0.8)
    type_de: tuple = (0.04, 0.7)
    library: float = 3000.0
    library_sd: float = 0.35
    theta: float = 4.0
    rare: tuple = ()
    batches: int = 1
    batch_sd: float = 0.35
    proportions: list = None  # per batch; drawn around the type shares when None
    dropout: float = None


def type_shares(s):
    """Each type's share of cells: the last len(s.rare) types take `rare`, the rest the
    remainder evenly."""
    common = s.types - len(s.rare)
    shares = [(1.0 - sum(s.rare)) / common] * common + list(s.rare)
    return np.array(shares)


def simulate(rng, s):
    """Counts (cells x genes), cell types, batches and each type x batch's true expression."""
    gene_mean = rng.gamma(shape=0.6, scale=1 / 0.3, size=s.genes)
    outlier = rng.random(s.genes) < 0.05
    gene_mean[outlier] *= rng.lognormal(1.0, 0.5, outlier.sum())
    theta = rng.lognormal(np.log(s.theta), 0.6, s.genes)  # NB inverse dispersion per gene

    def de_factors(prob, loc, scale):
        factors = np.ones(s.genes)
        hit = rng.random(s.genes) < prob
        sign = np.where(rng.random(hit.sum()) < 0.5, -1.0, 1.0)
        factors[hit] = np.exp(sign * rng.lognormal(np.log(loc), scale, hit.sum()))
        return factors

    lineages = [de_factors(*s.lineage_de, 0.4) for _ in range(s.lineages)]
    types = [lineages[t * s.lineages // s.types] * de_factors(*s.type_de, 0.4)
             for t in range(s.types)]
    batch_factor = [rng.lognormal(0.0, s.batch_sd if s.batches > 1 else 0.0, s.genes)
                    for _ in range(s.batches)]
    batch_library = [np.log(s.library * BATCH_LIBRARY[b]) for b in range(s.batches)]
    proportions = s.proportions
    if proportions is None:
        shares = type_shares(s)
        proportions = [shares] if s.batches == 1 else [
            p / p.sum() for p in (shares * rng.lognormal(0.0, 0.5, s.types)
                                  for _ in range(s.batches))]
    cell_type, cell_batch, rows, means = [], [], [], []
    for b in range(s.batches):
        n = s.cells // s.batches
        t = rng.choice(s.types, size=n, p=proportions[b])
        library = rng.lognormal(batch_library[b], s.library_sd, n)
        for type_index, lib in zip(t, library):
            profile = gene_mean * types[type_index] * batch_factor[b]
            mu = profile / profile.sum() * lib
            rows.append(rng.negative_binomial(theta, theta / (theta + mu)))
            means.append(mu)
            cell_type.append(f"type{type_index + 1}")
            cell_batch.append("ABC"[b])
    counts = np.array(rows)
    if s.dropout is not None:
        dropped = rng.random(counts.shape) < 1.0 / (1.0 + np.exp(np.log(means) - s.dropout))
        counts[dropped] = 0
    truth = {f"type{t + 1}_{'ABC'[b]}": gene_mean * types[t] * batch_factor[b]
             for b in range(s.batches) for t in range(s.types)}
    return counts, cell_type, cell_batch, truth


def highly_variable(counts, n_top):
    """Indices of the N_TOP most variable genes with any count (scanpy 'seurat' flavour on
    normalize_total(1e4) + log1p), in gene order."""
    import anndata
    import scanpy as sc

    keep = counts.sum(0) > 0
    adata = anndata.AnnData(counts[:, keep].astype(np.float32))
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    sc.pp.highly_variable_genes(adata, flavor="seurat", n_top_genes=n_top)
    return np.flatnonzero(keep)[adata.var["highly_variable"].to_numpy()]


def write_counts(path, counts, cells, genes):
    """counts: cells x genes integers -> genes x cells TSV (vaebio's default orientation)."""
    with open(path, "w") as out:
        out.write("gene\t" + "\t".join(cells) + "\n")
        for j, gene in enumerate(genes):
            out.write(gene + "\t" + "\t".join(map(str, counts[:, j])) + "\n")


def write_table(path, column, ids, values):
    with open(path, "w") as out:
        out.write(f"id\t{column}\n")
        for i, v in zip(ids, values):
            out.write(f"{i}\t{v}\n")


def write_set(prefix, counts, cell_type, cell_batch, chosen):
    """PREFIX.tsv (the CHOSEN genes), PREFIX_labels.tsv and, with batches, _batches.tsv."""
    cells = [f"cell{i}" for i in range(len(cell_type))]
    write_counts(prefix + ".tsv", counts[:, chosen], cells, [f"gene{j}" for j in chosen])
    write_table(prefix + "_labels.tsv", "cell_type", cells, cell_type)
    if len(set(cell_batch)) > 1:
        write_table(prefix + "_batches.tsv", "batch", cells, cell_batch)


def pair(text):
    prob, fold = text.split(":")
    return float(prob), float(fold)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    defaults = Scenario()
    parser.add_argument("--out", required=True, help="output prefix")
    parser.add_argument("--cells", type=int, default=defaults.cells)
    parser.add_argument("--genes", type=int, default=defaults.genes)
    parser.add_argument("--hvg", type=int, default=1000)
    parser.add_argument("--types", type=int, default=defaults.types)
    parser.add_argument("--lineages", type=int, default=defaults.lineages)
    parser.add_argument("--lineage-de", type=pair, default=defaults.lineage_de)
    parser.add_argument("--type-de", type=pair, default=defaults.type_de)
    parser.add_argument("--library", type=float, default=defaults.library)
    parser.add_argument("--library-sd", type=float, default=defaults.library_sd)
    parser.add_argument("--theta", type=float, default=defaults.theta)
    parser.add_argument("--rare", default="", help="shares of the last types, comma-separated")
    parser.add_argument("--batches", type=int, choices=[1, 2, 3], default=defaults.batches)
    parser.add_argument("--batch-sd", type=float, default=defaults.batch_sd)
    parser.add_argument("--dropout", type=float, default=None, help="splatter dropout midpoint")
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args()
    scenario = Scenario(
        cells=args.cells, genes=args.genes, types=args.types, lineages=args.lineages,
        lineage_de=args.lineage_de, type_de=args.type_de, library=args.library,
        library_sd=args.library_sd, theta=args.theta,
        rare=tuple(float(v) for v in args.rare.split(",") if v), batches=args.batches,
        batch_sd=args.batch_sd, dropout=args.dropout)
    counts, cell_type, cell_batch, _ = simulate(np.random.default_rng(args.seed), scenario)
    chosen = highly_variable(counts, args.hvg)
    write_set(args.out, counts, cell_type, cell_batch, chosen)
    kept = counts[:, chosen]
    print(f"{args.out}: {len(cell_type)} cells x {len(chosen)} HVGs (of {args.genes}), "
          f"{args.types} types x {args.batches} batches, zeros {np.mean(kept == 0):.2f}, "
          f"median UMIs in these genes {np.median(kept.sum(1)):.0f}")


if __name__ == "__main__":
    main()
