#!/usr/bin/env python3
"""`vaebio embed --pca` on counts against scanpy's pipeline (normalize_total 1e4, log1p,
scale(max_value=10), PCA-10: run.py's `pca_latent`, the baseline of both single-cell panels) on
the real panel's prepared sets: the largest score difference per set (each component's sign
matched) and both tables' 15-NN accuracy and k-means ARI from `vaebio evaluate`.

    bench/.venv/bin/python bench/singlecell/pca_check.py --sets pbmc3k,baron_mouse
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import evaluate  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/singlecell-real")
    parser.add_argument("--sets", default="pbmc3k,baron_mouse")
    args = parser.parse_args()
    print("| set | largest score difference (largest score) | 15-NN: vaebio --pca / scanpy "
          "| k-means ARI: vaebio --pca / scanpy |")
    print("| --- | --- | --- | --- |")
    for name in args.sets.split(","):
        prefix = os.path.join(args.out, "panel", name)
        with tempfile.TemporaryDirectory() as tmp:
            ours = os.path.join(tmp, "pca.tsv")
            subprocess.run([args.vaebio, "embed", "--matrix", prefix + ".tsv", "--epochs", "1",
                            "-q", "-o", os.path.join(tmp, "latent.tsv"), "--pca", ours],
                           check=True)
            a = pd.read_csv(ours, sep="\t", index_col=0)
            b = pd.read_csv(prefix + "_pca10.tsv", sep="\t", index_col=0).loc[a.index]
            signs = np.sign(np.sum(a.to_numpy() * b.to_numpy(), axis=0))
            difference = np.abs(a.to_numpy() - signs * b.to_numpy()).max()
            mine = evaluate(args.vaebio, ours, prefix + "_labels.tsv", None)
            theirs = evaluate(args.vaebio, prefix + "_pca10.tsv", prefix + "_labels.tsv", None)
        print(f"| {name} | {difference:.1e} ({np.abs(b.to_numpy()).max():.0f}) | "
              f"{mine[0]:.3f} / {theirs[0]:.3f} | {mine[1]:.3f} / {theirs[1]:.3f} |")


if __name__ == "__main__":
    main()
