#!/usr/bin/env python3
"""Simulated read coverage for the contig harness, written as `jgi_summarize_bam_contig_depths`
output (what `vaebio --abundance` and VAMB read), so abundance input can be scored without
read mapping.

Model, per genome g and sample s (all seeded, numpy only):

- mean coverage c[g,s] = exp(m_g + sigma * z[g,s]): m_g ~ Normal(log(--mean-coverage),
  --genome-sd) is the genome's typical level, z[g,s] ~ Normal(0, 1) its per-sample
  fluctuation (--sample-sd). A log-normal spread of abundances is what shotgun samples show.
- correlated profiles (--correlated A,B:RHO, repeatable): z[B,s] = RHO * z[A,s] +
  sqrt(1 - RHO^2) * e[s], and m_B = m_A, so the two genomes rise and fall together across
  samples at the same level; only composition can tell them apart.
- per contig i and sample s: a gamma overdispersion factor G ~ Gamma(k, 1/k) (mean 1,
  --gamma-shape k; local coverage bias from GC, mappability, copy number) and a read count
  N ~ Poisson(c[g,s] * G * length_i / read_length); depth = N * read_length / length_i.
- the `-var` column is the per-base depth variance a BAM would give: depth + depth^2 / 10
  (negative-binomial-like; vaebio and VAMB ignore it).

Columns as `jgi_summarize_bam_contig_depths` writes them: contigName, contigLen,
totalAvgDepth (sum of the sample depths), then `<sample>.bam` and `<sample>.bam-var` per sample.

    python3 bench/contigs/simulate_depth.py bench/out/contigs/contigs.fa \
        --labels bench/out/contigs/labels.tsv --samples 6 --seed 1 -o depth.txt
"""
import argparse
import sys

import numpy as np

from bins import fasta_lengths, read_table as read_labels


def write_depths(path, contigs, lengths, genome_rows, coverage, gamma_shape, read_length, rng):
    """Per contig and sample: a Gamma(k, 1/k) bias factor times the genome's mean coverage
    (COVERAGE[genome_rows[i], s]), a Poisson read count of READ_LENGTH reads turned back into
    a mean depth; written as a jgi table of samples `sample1..`."""
    n_s = coverage.shape[1]
    length = np.array(lengths, dtype=np.float64)
    expected = coverage[genome_rows]
    k = gamma_shape
    expected = expected * rng.gamma(k, 1.0 / k, expected.shape)
    reads = rng.poisson(expected * length[:, None] / read_length)
    depth = reads * read_length / length[:, None]
    variance = depth + depth * depth / 10.0

    sample_names = [f"sample{s + 1}" for s in range(n_s)]
    with open(path, "w") as out:
        out.write("contigName\tcontigLen\ttotalAvgDepth\t"
                  + "\t".join(f"{s}.bam\t{s}.bam-var" for s in sample_names) + "\n")
        for i, contig in enumerate(contigs):
            cells = "\t".join(f"{depth[i, s]:.4f}\t{variance[i, s]:.4f}" for s in range(n_s))
            out.write(f"{contig}\t{int(length[i])}\t{depth[i].sum():.4f}\t{cells}\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("fasta")
    p.add_argument("--labels", required=True, help="id<TAB>genome (header line)")
    p.add_argument("--samples", type=int, default=6)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mean-coverage", type=float, default=10.0,
                   help="geometric mean coverage of a genome (default 10)")
    p.add_argument("--genome-sd", type=float, default=1.0,
                   help="sd of a genome's log mean coverage across genomes (default 1.0)")
    p.add_argument("--sample-sd", type=float, default=1.0,
                   help="sd of a genome's log coverage across samples (default 1.0)")
    p.add_argument("--gamma-shape", type=float, default=10.0,
                   help="shape of the per-contig gamma factor (mean 1, CV 1/sqrt(k); default 10)")
    p.add_argument("--read-length", type=int, default=150)
    p.add_argument("--correlated", action="append", default=None, metavar="A,B:RHO",
                   help="genomes A and B share their log level and have correlated profiles "
                        "(default ecoli_mg1655,saureus_col:0.95; 'none' for none)")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args()

    lengths = fasta_lengths(args.fasta)
    genome_of = read_labels(args.labels)
    contigs = [c for c in lengths if c in genome_of]
    genomes = sorted({genome_of[c] for c in contigs})
    rng = np.random.default_rng(args.seed)
    n_g, n_s = len(genomes), args.samples
    level = rng.normal(np.log(args.mean_coverage), args.genome_sd, n_g)
    z = rng.normal(0.0, 1.0, (n_g, n_s))
    pairs = args.correlated if args.correlated is not None else ["ecoli_mg1655,saureus_col:0.95"]
    for spec in pairs:
        if spec == "none":
            continue
        names, rho = spec.split(":")
        a, b = (genomes.index(n) for n in names.split(","))
        rho = float(rho)
        z[b] = rho * z[a] + np.sqrt(1 - rho * rho) * rng.normal(0.0, 1.0, n_s)
        level[b] = level[a]
    coverage = np.exp(level[:, None] + args.sample_sd * z)

    index = {g: i for i, g in enumerate(genomes)}
    write_depths(args.output, contigs, [lengths[c] for c in contigs],
                 [index[genome_of[c]] for c in contigs], coverage, args.gamma_shape,
                 args.read_length, rng)
    print(f"{len(contigs)} contigs, {n_s} samples; mean coverage per genome and sample:",
          file=sys.stderr)
    for g, row in zip(genomes, coverage):
        print(f"  {g:<22}" + " ".join(f"{v:8.2f}" for v in row), file=sys.stderr)


if __name__ == "__main__":
    main()
