#!/usr/bin/env python3
"""Genotype recipe vs PCA on simulated structured populations (issue 5, section 3).

For each scenario: simulate (msprime, bench/popgen/simulate.py) unless the VCF exists, then
for each configuration run `vaebio embed --vcf ... --pca ...` and score the latent table and
the PCA table (same dosages, same number of components as the latent) with
`vaebio evaluate` (15-NN population accuracy, k-means ARI). Prints a Markdown table.

    bench/.venv/bin/python bench/popgen/run.py --vaebio target/release/vaebio \
        --out bench/out/popgen --configs popvae,default --seeds 42,7

Extra configurations: `--extra 'name=--preset popvae --latent-dim 6'` (repeatable).
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Clear: 4 demes x 50 diploids, 4Nm = 0.4. Weak: 6 demes x 50 diploids, 4Nm = 4, 5% ./.
SCENARIOS = {
    "clear": ["--demes", "4", "--deme-size", "50", "--migration", "1e-4", "--seed", "1"],
    "weak": ["--demes", "6", "--deme-size", "50", "--migration", "1e-3",
             "--missing", "0.05", "--seed", "2"],
}

CONFIGS = {
    "popvae": "--preset popvae",
    "default": "--preset default",
}


def evaluate(vaebio, table, labels):
    out = subprocess.run(
        [vaebio, "evaluate", "--latent", table, "--labels", labels, "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    report = json.loads(out)
    return report["knn_accuracy"], report["kmeans_ari"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/popgen")
    parser.add_argument("--scenarios", default="clear,weak")
    parser.add_argument("--configs", default="popvae,default")
    parser.add_argument("--extra", action="append", default=[], metavar="NAME=FLAGS")
    parser.add_argument("--seeds", default="42", help="vaebio --seed values, comma-separated")
    args = parser.parse_args()

    configs = {name: CONFIGS[name] for name in args.configs.split(",") if name}
    for item in args.extra:
        name, flags = item.split("=", 1)
        configs[name] = flags
    os.makedirs(args.out, exist_ok=True)
    print("| data | config | seed | dims | epochs | seconds | kNN | ARI | PCA kNN | PCA ARI |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for scenario in args.scenarios.split(","):
        prefix = os.path.join(args.out, scenario)
        vcf, labels = prefix + ".vcf", prefix + "_labels.tsv"
        if not os.path.exists(vcf):
            subprocess.run(
                [sys.executable, os.path.join(HERE, "simulate.py"), *SCENARIOS[scenario],
                 "--out", prefix],
                check=True, stdout=sys.stderr,
            )
        for name, flags in configs.items():
            for seed in args.seeds.split(","):
                stem = f"{prefix}_{name}_s{seed}"
                latent, pca, model = stem + ".tsv", stem + "_pca.tsv", stem + "_model"
                command = [args.vaebio, "embed", "--vcf", vcf, "-q", "--seed", seed,
                           *shlex.split(flags), "-o", latent, "--pca", pca,
                           "--save-model", model]
                start = time.time()
                subprocess.run(command, check=True)
                seconds = time.time() - start
                with open(os.path.join(model, "history.tsv")) as history:
                    epochs = sum(1 for _ in history) - 1
                with open(latent) as table:
                    dims = len(table.readline().split("\t")) - 1
                knn, ari = evaluate(args.vaebio, latent, labels)
                pca_knn, pca_ari = evaluate(args.vaebio, pca, labels)
                print(f"| {scenario} | {name} | {seed} | {dims} | {epochs} | {seconds:.0f} | "
                      f"{knn:.3f} | {ari:.3f} | {pca_knn:.3f} | {pca_ari:.3f} |", flush=True)


if __name__ == "__main__":
    main()
