#!/usr/bin/env python3
"""Per-bin precision and recall of a `vaebio bin` table against the true genome of each contig.

For each bin: its dominant genome (most bp), precision = bp of that genome in the bin / bp in
the bin, recall = bp of that genome in the bin / bp of that genome among the binned contigs.
Bins smaller than --min-bin-size bp are listed together on one line. Standard library only.

    python3 bench/contigs/bins.py bins.tsv --labels labels.tsv --fasta contigs.fa
"""
import argparse
from collections import defaultdict


def fasta_lengths(path):
    lengths, name = {}, None
    with open(path) as handle:
        for line in handle:
            if line.startswith(">"):
                name = line[1:].split()[0]
                lengths[name] = 0
            else:
                lengths[name] += len(line.strip())
    return lengths


def read_table(path):
    with open(path) as handle:
        handle.readline()
        return dict(line.rstrip("\n").split("\t")[:2] for line in handle if line.strip())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bins")
    p.add_argument("--labels", required=True)
    p.add_argument("--fasta", required=True)
    p.add_argument("--min-bin-size", type=int, default=200000)
    args = p.parse_args()
    lengths = fasta_lengths(args.fasta)
    genome_of = read_table(args.labels)
    bin_of = read_table(args.bins)
    content = defaultdict(lambda: defaultdict(int))  # bin -> genome -> bp
    genome_bp = defaultdict(int)
    for contig, bin_name in bin_of.items():
        genome = genome_of[contig]
        content[bin_name][genome] += lengths[contig]
        genome_bp[genome] += lengths[contig]
    print("| bin | bp | contigs | genome | precision | recall |")
    print("| --- | --- | --- | --- | --- | --- |")
    small_bins = small_bp = 0
    counts = defaultdict(int)
    for contig, bin_name in bin_of.items():
        counts[bin_name] += 1
    rows = sorted(content.items(), key=lambda item: -sum(item[1].values()))
    for bin_name, genomes in rows:
        size = sum(genomes.values())
        if size < args.min_bin_size:
            small_bins += 1
            small_bp += size
            continue
        genome, bp = max(genomes.items(), key=lambda item: item[1])
        print(f"| {bin_name} | {size} | {counts[bin_name]} | {genome} | {bp / size:.4f} | "
              f"{bp / genome_bp[genome]:.4f} |")
    total = sum(genome_bp.values())
    print(f"\n{small_bins} bins below {args.min_bin_size} bp hold {small_bp} bp "
          f"({small_bp / total:.1%} of {total} bp binned).")
    # Best bin per genome: how much of each genome one bin recovers, and how cleanly.
    print("\n| genome | bp | best bin | its precision | its recall |")
    print("| --- | --- | --- | --- | --- |")
    for genome in sorted(genome_bp):
        best = max(content, key=lambda b: content[b].get(genome, 0))
        bp = content[best][genome]
        print(f"| {genome} | {genome_bp[genome]} | {best} | "
              f"{bp / sum(content[best].values()):.4f} | {bp / genome_bp[genome]:.4f} |")


if __name__ == "__main__":
    main()
