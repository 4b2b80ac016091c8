#!/usr/bin/env python3
"""Contig quality harness: PCA of the TNF against vaebio's latent spaces on contigs cut from
public genomes (see bench/contigs/README.md for how to get them).

For each setting, `vaebio bin --fasta` trains, writes the latent means and bins them, and
`vaebio evaluate` scores them against the genome labels (15-NN genome accuracy, k-means ARI
and NMI with k = number of genomes). PCA (numpy, on the z-scored TNF that `vaebio featurize`
writes) is the baseline. The bins are scored by their adjusted Rand index against the genomes
and the number of genomes recovered (a bin of precision >= 0.9 and recall >= 0.5 in bp).
Prints one markdown row per setting and seed.

With `--abundance DEPTH` (a jgi depth table, e.g. from simulate_depth.py) every vaebio run gets
`--abundance DEPTH`, and PCA is of the same table `vaebio featurize --abundance` writes (TNF
plus the abundance features vaebio makes of the depths: VAMB-style profile and log total
depth), z-scored per column, once unweighted and once weighed as vaebio's loss weighs it
(composition 0.85, abundance 0.15). `--tag` keeps the output files of runs apart.
`VAEBIO=/path/to/binary` runs another build.

    python3 bench/contigs/run.py --seeds 1,2,3 \
        --setting 'default=' --setting 'vamb=--preset vamb'
    python3 bench/contigs/run.py --seeds 1,2,3 --setting 'default=' \
        --abundance bench/out/contigs/depth_s6.txt --tag s6
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "bench", "out", "contigs")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bins import bin_scores  # noqa: E402

VAEBIO = os.environ.get("VAEBIO", os.path.join(ROOT, "target", "release", "vaebio"))


def evaluate(latent, labels, seed):
    """`vaebio evaluate --json`."""
    result = subprocess.run(
        [VAEBIO, "evaluate", "--latent", latent, "--labels", labels, "--json",
         "--seed", str(seed)],
        check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fasta", default=os.path.join(OUT, "contigs.fa"))
    p.add_argument("--labels", default=os.path.join(OUT, "labels.tsv"))
    p.add_argument("--setting", action="append", default=[],
                   help="NAME=FLAGS for `vaebio embed` (repeatable)")
    p.add_argument("--pca", default="10,32", help="PCA components to report")
    p.add_argument("--seeds", default="1")
    p.add_argument("--abundance", help="depth table passed to vaebio and added to PCA's input")
    p.add_argument("--tag", default="", help="suffix for the output file names")
    args = p.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    depth = ["--abundance", args.abundance] if args.abundance else []
    tag = f"_{args.tag}" if args.tag else ""
    tnf = os.path.join(OUT, f"tnf{tag}.tsv")
    subprocess.run([VAEBIO, "-q", "featurize", "--fasta", args.fasta, *depth, "-o", tnf],
                   check=True)
    # (name, pca.py flags): the PCA baselines.
    baselines = [("z-scored TNF", [])]
    if args.abundance:
        baselines = [("z-scored TNF + depths", []),
                     ("z-scored TNF + depths, weighed 0.85/0.15", ["--alpha", "0.85"])]
    print("| setting | seed | kNN accuracy (k=15) | k-means ARI | k-means NMI "
          "| bins | bin ARI | genomes recovered | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for k in [int(c) for c in args.pca.split(",") if c]:
        for b, (what, pca_flags) in enumerate(baselines):
            latent = os.path.join(OUT, f"pca{k}{tag}{'w' * b}.tsv")
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "contigs", "pca.py"),
                            tnf, "--components", str(k), *pca_flags, "-o", latent], check=True)
            m = evaluate(latent, args.labels, 42)
            # The same medoid clustering on the PCA scores (`bin --latent` skips training).
            bins = os.path.join(OUT, f"bins_pca{k}{tag}{'w' * b}.tsv")
            subprocess.run([VAEBIO, "-q", "bin", "--fasta", args.fasta, "--latent", latent,
                            "-o", bins], check=True)
            ari, recovered, n_bins = bin_scores(bins, args.labels, args.fasta)
            print(f"| PCA {k} of {what} | - | {m['knn_accuracy']:.4f} | "
                  f"{m['kmeans_ari']:.4f} | {m['kmeans_nmi']:.4f} | {n_bins} | {ari:.4f} | "
                  f"{recovered} | - |", flush=True)
    for setting in args.setting:
        name, _, flags = setting.partition("=")
        for seed in seeds:
            latent = os.path.join(OUT, f"latent_{name}{tag}_{seed}.tsv")
            bins = os.path.join(OUT, f"bins_{name}{tag}_{seed}.tsv")
            start = time.time()
            # `bin` trains exactly as `embed` would (all contigs here are >= 2,000 bp), writes
            # the latent means and clusters them.
            subprocess.run([VAEBIO, "-q", "bin", "--fasta", args.fasta, "--seed", str(seed),
                            *depth, *shlex.split(flags), "--latent-out", latent, "-o", bins],
                           check=True)
            seconds = time.time() - start
            m = evaluate(latent, args.labels, 42)
            ari, recovered, n_bins = bin_scores(bins, args.labels, args.fasta)
            print(f"| {name} (`{flags}`) | {seed} | {m['knn_accuracy']:.4f} | "
                  f"{m['kmeans_ari']:.4f} | {m['kmeans_nmi']:.4f} | {n_bins} | {ari:.4f} | "
                  f"{recovered} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
