#!/usr/bin/env python3
"""Synthetic metagenome contigs: G genomes, each an order-3 Markov chain with its own random
transition table (so genomes differ in tetranucleotide composition, as real ones do), cut into
contigs. Writes FASTA to stdout and `id<TAB>genome` labels to --labels.

    python3 bench/make_contigs.py --genomes 3 --contigs 12 --length 2500 --seed 7 \
        --labels testdata/contigs_labels.tsv > testdata/contigs.fa
"""
import argparse
import random

p = argparse.ArgumentParser()
p.add_argument("--genomes", type=int, default=3)
p.add_argument("--contigs", type=int, default=12, help="contigs per genome")
p.add_argument("--length", type=int, default=2500, help="mean contig length")
p.add_argument("--seed", type=int, default=7)
p.add_argument("--labels", required=True)
p.add_argument("--width", type=int, default=80)
args = p.parse_args()

rng = random.Random(args.seed)
bases = "ACGT"
with open(args.labels, "w") as labels:
    labels.write("id\tgenome\n")
    for g in range(args.genomes):
        # Dirichlet(1,1,1,1)-like next-base weights for each 3-mer context.
        table = {}
        for i in range(64):
            w = [rng.expovariate(1.0) for _ in range(4)]
            table[i] = w
        for c in range(args.contigs):
            n = max(200, int(rng.gauss(args.length, args.length * 0.2)))
            ctx = rng.randrange(64)
            seq = []
            for _ in range(n):
                b = rng.choices(range(4), weights=table[ctx])[0]
                seq.append(bases[b])
                ctx = ((ctx << 2) | b) & 63
            name = f"genome{g + 1}_contig{c + 1}"
            labels.write(f"{name}\tgenome{g + 1}\n")
            print(f">{name} synthetic order-3 Markov genome {g + 1}")
            s = "".join(seq)
            for i in range(0, len(s), args.width):
                print(s[i : i + args.width])
