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


def bin_scores(bins_path, labels_path, fasta_path, precision=0.9, recall=0.5):
    """Adjusted Rand index of the bins against the genomes (pairs of binned contigs), the
    number of genomes with a bin of at least PRECISION and RECALL (in bp, recall against the
    genome's binned bp), and the number of bins."""
    lengths = fasta_lengths(fasta_path)
    genome_of, bin_of = read_table(labels_path), read_table(bins_path)
    pairs = lambda n: n * (n - 1) / 2
    table, by_bin, by_genome = {}, {}, {}
    for contig, b in bin_of.items():
        g = genome_of[contig]
        table[(b, g)] = table.get((b, g), 0) + 1
        by_bin[b] = by_bin.get(b, 0) + 1
        by_genome[g] = by_genome.get(g, 0) + 1
    index = sum(pairs(n) for n in table.values())
    a, b_ = sum(pairs(n) for n in by_bin.values()), sum(pairs(n) for n in by_genome.values())
    expected = a * b_ / pairs(len(bin_of))
    ari = (index - expected) / (0.5 * (a + b_) - expected) if a + b_ != 2 * expected else 1.0
    bp, bin_bp, genome_bp = {}, {}, {}
    for contig, b in bin_of.items():
        g, n = genome_of[contig], lengths[contig]
        bp[(b, g)] = bp.get((b, g), 0) + n
        bin_bp[b] = bin_bp.get(b, 0) + n
        genome_bp[g] = genome_bp.get(g, 0) + n
    recovered = sum(
        1 for g in genome_bp
        if any(n / bin_bp[b] >= precision and n / genome_bp[g] >= recall
               for (b, g2), n in bp.items() if g2 == g))
    return ari, recovered, len(by_bin)


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
