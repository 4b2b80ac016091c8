#!/usr/bin/env python3
"""Does a model map the samples it trained on worse than samples it never saw (memorising)?

Splits a labelled set into two halves by alternate samples (VCF columns, or the columns of a
genes x cells count table), trains the default recipe on half A (`vaebio train`), encodes both
halves with that model (`vaebio encode`) and scores each half's latent against its labels
(`vaebio evaluate`: 15-NN accuracy, k-means ARI). VCF sites monomorphic in either half are
dropped from both, so that the model's sites exist in both. Prints one line per seed and half.

    bench/.venv/bin/python bench/half_split.py --vcf bench/out/popgen-tun29/island10.vcf \\
        --labels bench/out/popgen-tun29/island10_labels.tsv --seeds 42,7
    bench/.venv/bin/python bench/half_split.py --matrix bench/out/singlecell-real/zeisel.tsv \\
        --labels bench/out/singlecell-real/zeisel_labels.tsv --seeds 1,2
"""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from panel_common import evaluate  # noqa: E402


def polymorphic(calls):
    alleles = {a for c in calls for a in c.split(":")[0].replace("|", "/").split("/") if a != "."}
    return len(alleles) > 1


def split_vcf(source, out):
    """Two VCFs of alternate samples, keeping sites polymorphic in both; the sample ids."""
    halves = [open(out + "_A.vcf", "w"), open(out + "_B.vcf", "w")]
    ids = None
    with open(source) as vcf:
        for line in vcf:
            if line.startswith("##"):
                for half in halves:
                    half.write(line)
                continue
            fields = line.rstrip("\n").split("\t")
            parts = [fields[9::2], fields[10::2]]
            if line.startswith("#"):
                ids = parts
            elif not all(polymorphic(part) for part in parts):
                continue
            for half, part in zip(halves, parts):
                half.write("\t".join(fields[:9] + part) + "\n")
    for half in halves:
        half.close()
    return ids


def split_matrix(source, out):
    """Two count tables (genes x cells) of alternate cells; the cell ids."""
    halves = [open(out + "_A.tsv", "w"), open(out + "_B.tsv", "w")]
    ids = None
    with open(source) as table:
        for line in table:
            fields = line.rstrip("\n").split("\t")
            parts = [fields[1:][0::2], fields[1:][1::2]]
            ids = ids or parts
            for half, part in zip(halves, parts):
                half.write("\t".join([fields[0]] + part) + "\n")
    for half in halves:
        half.close()
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--vcf")
    source.add_argument("--matrix")
    parser.add_argument("--labels", required=True, help="TSV: id, label (with a header)")
    parser.add_argument("--seeds", default="42")
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--out", default="bench/out/half_split")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    path = args.vcf or args.matrix
    stem = os.path.join(args.out, os.path.basename(path).split(".")[0])
    kind, ext = ("--vcf", ".vcf") if args.vcf else ("--matrix", ".tsv")
    ids = (split_vcf if args.vcf else split_matrix)(path, stem)
    with open(args.labels) as table:
        header = table.readline()
        labels = dict(line.rstrip("\n").split("\t")[:2] for line in table)
    for half, members in zip("AB", ids):
        with open(f"{stem}_{half}_labels.tsv", "w") as table:
            table.write(header)
            table.writelines(f"{m}\t{labels[m]}\n" for m in members)

    for seed in args.seeds.split(","):
        model = f"{stem}_model_s{seed}"
        subprocess.run([args.vaebio, "train", kind, stem + "_A" + ext, "--seed", seed, "-q",
                        "-o", model], check=True)
        for half, role in (("A", "trained on"), ("B", "held out")):
            latent = f"{stem}_{half}_s{seed}.tsv"
            subprocess.run([args.vaebio, "encode", "--model", model, kind,
                            stem + "_" + half + ext, "-o", latent, "-q"], check=True)
            knn, ari = evaluate(args.vaebio, latent, f"{stem}_{half}_labels.tsv")
            print(f"{os.path.basename(stem)} seed {seed} half {half} ({role}, "
                  f"{len(ids['AB'.index(half)])} samples): 15-NN {knn:.3f}, k-means ARI {ari:.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
