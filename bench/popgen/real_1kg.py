#!/usr/bin/env python3
"""Real genotypes: the 1000 Genomes phase-3 reference panel that peddy ships, default vs PCA.

peddy 0.4.8's sdist (PyPI, MIT; the 1000 Genomes data are open access) holds
`peddy/GRCH37.sites` (chrom:pos:ref:alt of 23,770 biallelic autosomal SNPs) and
`peddy/GRCH37.sites.bin.gz` (ALT-allele counts 0/1/2 as uint8, site-major, 2,504 samples in
the phase-3 panel's order, no missing call), and in `peddy/pca.py` the samples'
superpopulations (`_str`: AFR 661, AMR 347, EAS 504, EUR 503, SAS 489). The package has no
sample names, so the rows are named kg0000..kg2503 in panel order. Not part of any panel
half: no setting was chosen on it.

    bench/.venv/bin/python bench/popgen/real_1kg.py --vaebio target/release/vaebio --seeds 42,7

downloads the sdist with pip into --out (default bench/out/real1kg), writes 1kg.vcf and
1kg_labels.tsv there, embeds with the default recipe (`--pca` beside it) and prints 15-NN
accuracy and k-means ARI of the latent and of PCA with as many components.
"""

import argparse
import gzip
import os
import re
import subprocess
import sys
import tarfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from panel_common import evaluate  # noqa: E402

VERSION = "0.4.8"
PREFIX = f"peddy-{VERSION}/peddy/"
N_SAMPLES = 2504
SUPERPOPULATIONS = ["AFR", "AMR", "EAS", "EUR", "SAS"]


def sdist(out):
    path = os.path.join(out, f"peddy-{VERSION}.tar.gz")
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--no-binary", ":all:", f"peddy=={VERSION}", "-d", out], check=True)
    return path


def write_vcf(out):
    vcf, labels = os.path.join(out, "1kg.vcf"), os.path.join(out, "1kg_labels.tsv")
    if os.path.exists(vcf) and os.path.exists(labels):
        return vcf, labels
    with tarfile.open(sdist(out)) as tar:
        sites = tar.extractfile(PREFIX + "GRCH37.sites").read().decode().split()
        codes = np.frombuffer(gzip.decompress(
            tar.extractfile(PREFIX + "GRCH37.sites.bin.gz").read()), dtype=np.uint8)
        source = tar.extractfile(PREFIX + "pca.py").read().decode()
    codes = codes.reshape(len(sites), N_SAMPLES)
    assert codes.max() <= 2
    groups = [int(x) for x in re.search(r'_str = "([0-9|]+)"', source).group(1).split("|")]
    assert len(groups) == N_SAMPLES and max(groups) < len(SUPERPOPULATIONS)
    records = []
    for index, site in enumerate(sites):
        chrom, pos, ref, alt = site.split(":")
        if len(ref) == 1 and len(alt) == 1 and ref != alt:
            records.append((int(chrom), int(pos), ref, alt, index))
    records.sort()
    ids = [f"kg{i:04d}" for i in range(N_SAMPLES)]
    calls = np.array(["0/0", "0/1", "1/1"])
    with open(vcf + ".part", "w") as handle:
        handle.write("##fileformat=VCFv4.2\n##reference=GRCh37\n"
                     f"##source=peddy {VERSION} GRCH37.sites.bin.gz (1000 Genomes phase 3)\n"
                     '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        handle.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t"
                     + "\t".join(ids) + "\n")
        last = None
        for chrom, pos, ref, alt, index in records:
            if (chrom, pos) == last:
                continue
            last = (chrom, pos)
            handle.write(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT\t"
                         + "\t".join(calls[codes[index]]) + "\n")
    os.replace(vcf + ".part", vcf)
    with open(labels, "w") as handle:
        handle.write("id\tpopulation\n")
        for sample, group in zip(ids, groups):
            handle.write(f"{sample}\t{SUPERPOPULATIONS[group]}\n")
    return vcf, labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/real1kg")
    parser.add_argument("--seeds", default="42,7")
    parser.add_argument("--embed-flags", default="", help="extra flags for vaebio embed")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    vcf, labels = write_vcf(args.out)
    print("| seed | epochs | seconds | latent 15-NN | latent ARI | PCA 15-NN | PCA ARI |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for seed in args.seeds.split(","):
        stem = os.path.join(args.out, f"seed{seed}")
        command = [args.vaebio, "embed", "--vcf", vcf, "-q", "--seed", seed,
                   *args.embed_flags.split(), "-o", stem + ".tsv", "--pca", stem + "_pca.tsv",
                   "--save-model", stem + "_model"]
        seconds = -os.times().elapsed
        subprocess.run(command, check=True)
        seconds += os.times().elapsed
        with open(os.path.join(stem + "_model", "history.tsv")) as history:
            epochs = sum(1 for _ in history) - 1
        knn, ari = evaluate(args.vaebio, stem + ".tsv", labels)
        pca_knn, pca_ari = evaluate(args.vaebio, stem + "_pca.tsv", labels)
        print(f"| {seed} | {epochs} | {seconds:.0f} | {knn:.3f} | {ari:.3f} | "
              f"{pca_knn:.3f} | {pca_ari:.3f} |", flush=True)


if __name__ == "__main__":
    main()
