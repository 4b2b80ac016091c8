#!/usr/bin/env python3
"""One set of the contig panel (bench/contigs/panel.tsv): contigs cut from the panel's genomes
in a community shape, with their true genome as the label and, with `--samples K`, simulated
coverage in K samples (a jgi depth table, what `vaebio --abundance` reads).

- Contigs: genome g (weight w_g, length L_g) gets n_g = N * w_g * L_g / sum(w * L) of the
  `--contigs N` contigs (at least 5), capped at L_g / (mean contig length of the band), so
  that a dominant genome cannot give more than its length holds. Its sequence (records
  joined) is cut into n_g equal slots, one contig per slot, length log-uniform in
  [--min-length, --max-length] (clipped to the slot), start uniform within the slot, strand
  at random: the way bench/contigs/cut_contigs.py cuts.
- Abundance: genome g's mean coverage in sample s is 10 x w_g / mean(w) x exp(z - 1/2),
  z ~ Normal(0, 1) per genome and sample (log-normal spread across samples, mean kept); per
  contig a Gamma(10, 1/10) bias and Poisson read counts of 150-bp reads give the depth
  (bench/contigs/simulate_depth.py's model, so noise falls with contig length).

Writes PREFIX.fa, PREFIX_labels.tsv (`id<TAB>genome`, header line) and, with --samples,
PREFIX_depth.txt. Seeded; numpy for the abundance only.

    bench/.venv/bin/python bench/contigs/simulate_panel.py \
        --genomes saureus_col:10,ecoli_536:1.3,hpylori_g27:0.6 --min-length 2000 \
        --max-length 10000 --contigs 800 --samples 6 --seed 7 --out bench/out/x/set
"""
import argparse
import math
import os
import random

import numpy as np

from cut_contigs import COMPLEMENT, read_sequence
from simulate_depth import write_depths

MEAN_COVERAGE = 10.0
SAMPLE_SD = 1.0
GAMMA_SHAPE = 10.0
READ_LENGTH = 150
MIN_CONTIGS = 5


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--genomes", required=True, help="NAME:WEIGHT,... (genome FASTA stems)")
    p.add_argument("--genome-dir", default="bench/out/contig-panel/genomes",
                   help="where bench/contigs/genomes.py wrote the genomes")
    p.add_argument("--min-length", type=int, required=True)
    p.add_argument("--max-length", type=int, required=True)
    p.add_argument("--contigs", type=int, required=True, help="contigs cut in all")
    p.add_argument("--samples", type=int, default=0, help="abundance samples (0: none)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True, help="output prefix")
    args = p.parse_args()

    picks = [item.rsplit(":", 1) for item in args.genomes.split(",")]
    names = [name for name, _ in picks]
    weights = np.array([float(w) for _, w in picks])
    sequences = [read_sequence(os.path.join(args.genome_dir, name + ".fa")) for name in names]
    sizes = np.array([len(s) for s in sequences], dtype=np.float64)
    low, high = args.min_length, args.max_length
    mean_length = (high - low) / math.log(high / low)
    share = weights * sizes / (weights * sizes).sum()
    counts = [int(min(max(MIN_CONTIGS, round(args.contigs * f)), size // mean_length))
              for f, size in zip(share, sizes)]

    rng = random.Random(args.seed)
    contigs, lengths, rows = [], [], []
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".fa", "w") as fasta, open(args.out + "_labels.tsv", "w") as labels:
        labels.write("id\tgenome\n")
        for row, (name, genome, n) in enumerate(zip(names, sequences, counts)):
            slot = len(genome) // n
            for i in range(n):
                length = min(slot, round(math.exp(rng.uniform(math.log(low), math.log(high)))))
                start = i * slot + rng.randrange(slot - length + 1)
                contig = genome[start:start + length]
                if rng.random() < 0.5:
                    contig = contig.translate(COMPLEMENT)[::-1]
                contig_id = f"{name}_{i + 1}"
                fasta.write(f">{contig_id}\n")
                for j in range(0, len(contig), 80):
                    fasta.write(contig[j:j + 80] + "\n")
                labels.write(f"{contig_id}\t{name}\n")
                contigs.append(contig_id)
                lengths.append(length)
                rows.append(row)
    if args.samples:
        np_rng = np.random.default_rng(args.seed)
        z = np_rng.normal(0.0, 1.0, (len(names), args.samples))
        level = MEAN_COVERAGE * weights / weights.mean()
        coverage = level[:, None] * np.exp(SAMPLE_SD * z - SAMPLE_SD ** 2 / 2)
        write_depths(args.out + "_depth.txt", contigs, lengths, rows, coverage, GAMMA_SHAPE,
                     READ_LENGTH, np_rng)


if __name__ == "__main__":
    main()
