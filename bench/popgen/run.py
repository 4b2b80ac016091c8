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
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from panel_common import evaluate  # noqa: E402

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


def simulate(flags, prefix):
    """Write PREFIX.vcf and PREFIX_labels.tsv with simulate.py FLAGS, unless they exist."""
    if os.path.exists(prefix + ".vcf") and os.path.exists(prefix + "_labels.tsv"):
        return
    subprocess.run(
        [sys.executable, os.path.join(HERE, "simulate.py"), *flags, "--out", prefix],
        check=True, stdout=sys.stderr,
    )


def embed_and_score(vaebio, vcf, labels, stem, seed, flags):
    """`vaebio embed` VCF (writing STEM.tsv, STEM_pca.tsv, STEM_model/), then score the latent
    and the PCA table (as many components as the latent, same dosages) with `vaebio evaluate`.
    Returns dims, epochs, embed seconds, and kNN / ARI for both."""
    latent, pca, model = stem + ".tsv", stem + "_pca.tsv", stem + "_model"
    command = [vaebio, "embed", "--vcf", vcf, "-q", "--seed", str(seed),
               *shlex.split(flags), "-o", latent, "--pca", pca, "--save-model", model]
    start = time.time()
    subprocess.run(command, check=True)
    seconds = time.time() - start
    with open(os.path.join(model, "history.tsv")) as history:
        epochs = sum(1 for _ in history) - 1
    with open(latent) as table:
        dims = len(table.readline().split("\t")) - 1
    knn, ari = evaluate(vaebio, latent, labels)
    pca_knn, pca_ari = evaluate(vaebio, pca, labels)
    return {"dims": dims, "epochs": epochs, "seconds": seconds, "knn": knn, "ari": ari,
            "pca_knn": pca_knn, "pca_ari": pca_ari}


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
        simulate(SCENARIOS[scenario], prefix)
        for name, flags in configs.items():
            for seed in args.seeds.split(","):
                r = embed_and_score(args.vaebio, vcf, labels, f"{prefix}_{name}_s{seed}",
                                    seed, flags)
                print(f"| {scenario} | {name} | {seed} | {r['dims']} | {r['epochs']} | "
                      f"{r['seconds']:.0f} | {r['knn']:.3f} | {r['ari']:.3f} | "
                      f"{r['pca_knn']:.3f} | {r['pca_ari']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
