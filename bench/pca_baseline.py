#!/usr/bin/env python3
"""`vaebio --pca` against numpy: time and exactness of the PCA baseline (bench/README.md,
"PCA baseline").

For each data set: `vaebio embed --epochs 1` with and without `--pca` (the difference is the
PCA's wall time), then the largest score difference per component against numpy's SVD of the
same centred features, up to each component's sign. Count matrices are drawn here (seeded
Poisson counts of 5 groups, genes in rows as `--matrix` reads them); VCFs are given with
`--vcf` and must have no missing calls (the dosages are then exactly the VCF's; numpy reads
them from `vaebio featurize`).

    bench/.venv/bin/python bench/pca_baseline.py --vaebio target/release/vaebio \\
        --counts 20000x2000,6000x5000 --vcf bench/out/popgen-panel/unequal3.vcf
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd


def draw_counts(cells, genes, path, seed=1):
    rng = np.random.default_rng(seed)
    mu = rng.gamma(0.5, 2.0, size=genes)
    groups = rng.integers(0, 5, cells)
    effect = rng.lognormal(0, 0.5, size=(5, genes))
    counts = rng.poisson(mu[None, :] * effect[groups])
    table = pd.DataFrame(counts.T, index=[f"g{g}" for g in range(genes)],
                         columns=[f"c{c}" for c in range(cells)])
    table.index.name = "gene"
    table.to_csv(path, sep="\t")
    return counts.astype(np.float64)


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def compare(vaebio, flag, path, features, workdir, components):
    latent = os.path.join(workdir, "latent.tsv")
    pca = os.path.join(workdir, "pca.tsv")
    base = [vaebio, "embed", flag, path, "--epochs", "1", "-q", "-o", latent]
    without = timed(base)
    with_pca = timed(base + ["--pca", pca, "--pca-components", str(components)])
    scores = pd.read_csv(pca, sep="\t", index_col=0).to_numpy()
    centred = features - features.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    reference = u[:, :components] * s[:components]
    error = np.minimum(np.abs(scores - reference).max(axis=0),
                       np.abs(scores + reference).max(axis=0))
    largest = np.abs(reference).max(axis=0)
    print(f"| {os.path.basename(path)} {features.shape[0]} x {features.shape[1]} | "
          f"{with_pca - without:.2f} s | {' '.join(f'{e:.1e}' for e in error)} | "
          f"{largest.max():.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--counts", default="20000x2000", help="CELLSxGENES, comma-separated")
    parser.add_argument("--vcf", default="", help="VCFs without missing calls, comma-separated")
    parser.add_argument("--components", type=int, default=10)
    args = parser.parse_args()
    print("| data | `--pca` wall s | largest score error per component, up to sign | "
          "largest score |")
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as workdir:
        for shape in filter(None, args.counts.split(",")):
            cells, genes = (int(v) for v in shape.split("x"))
            path = os.path.join(workdir, f"counts_{shape}.tsv")
            features = draw_counts(cells, genes, path)
            compare(args.vaebio, "--matrix", path, features, workdir, args.components)
        for vcf in filter(None, args.vcf.split(",")):
            dosages = os.path.join(workdir, "dosages.tsv")
            subprocess.run([args.vaebio, "featurize", "--vcf", vcf, "-q", "-o", dosages],
                           check=True)
            table = pd.read_csv(dosages, sep="\t", index_col=0)
            features = table.to_numpy(dtype=np.float64)
            if features.shape[0] > features.shape[1]:
                features = features.T
            compare(args.vaebio, "--vcf", vcf, features, workdir, args.components)


if __name__ == "__main__":
    sys.exit(main())
