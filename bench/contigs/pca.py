#!/usr/bin/env python3
"""PCA baseline: z-score each column of a feature table (as VAMB does before training), project
on the first K principal components, write a latent-style table (`id`, `z1..zK`).

    python3 bench/contigs/pca.py bench/out/contigs/tnf.tsv --components 32 -o pca.tsv
"""
import argparse

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("features", help="TSV written by `vaebio featurize`")
    p.add_argument("--components", type=int, default=32)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--alpha", type=float, default=None,
                   help="with `abundance:` columns: weigh the z-scored columns as vaebio's loss "
                        "does (composition share ALPHA, abundance 1 - ALPHA; vaebio: 0.85)")
    args = p.parse_args()
    with open(args.features) as handle:
        header = handle.readline().rstrip("\n").split("\t")[1:]
        rows = [line.rstrip("\n").split("\t") for line in handle]
    ids = [row[0] for row in rows]
    x = np.array([[float(v) for v in row[1:]] for row in rows], dtype=np.float64)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    x = (x - x.mean(axis=0)) / std
    abundance = np.array([name.startswith("abundance:") for name in header])
    if args.alpha is not None and abundance.any():
        # A weighted squared error is the plain one on columns scaled by sqrt(weight).
        n = len(header)
        x[:, ~abundance] *= np.sqrt(args.alpha * n / (~abundance).sum())
        x[:, abundance] *= np.sqrt((1 - args.alpha) * n / abundance.sum())
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    scores = x @ vt[: args.components].T
    with open(args.output, "w") as out:
        out.write("id\t" + "\t".join(f"z{i + 1}" for i in range(scores.shape[1])) + "\n")
        for name, row in zip(ids, scores):
            out.write(name + "\t" + "\t".join(f"{v:.6g}" for v in row) + "\n")


if __name__ == "__main__":
    main()
