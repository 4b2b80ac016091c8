"""Generate a genes x cells count table (TSV or CSV) shaped like single-cell data.

Counts are negative-binomial with gene-specific means (log-normal) and cell-specific
library sizes, so most entries are zero as in droplet data. Seeded: same arguments,
same file.

    python bench/make_counts.py --genes 40 --cells 30 --seed 1 > testdata/counts.tsv
    python bench/make_counts.py --genes 20000 --cells 5000 --out bench/out/counts.tsv
"""
import argparse
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--genes", type=int, default=40)
    parser.add_argument("--cells", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sep", default="\t")
    parser.add_argument("--out", default="-")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    gene_mean = rng.lognormal(mean=-1.5, sigma=1.5, size=args.genes)
    library = rng.lognormal(mean=0.0, sigma=0.4, size=args.cells)
    out = sys.stdout if args.out == "-" else open(args.out, "w")
    sep = args.sep
    out.write("gene" + sep + sep.join(f"cell_{j}" for j in range(args.cells)) + "\n")
    theta = 2.0
    for i in range(args.genes):
        mu = gene_mean[i] * library
        counts = rng.negative_binomial(theta, theta / (theta + mu))
        out.write(f"gene_{i}" + sep + sep.join(map(str, counts)) + "\n")


if __name__ == "__main__":
    main()
