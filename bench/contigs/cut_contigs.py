#!/usr/bin/env python3
"""Cut non-overlapping contigs from whole genomes, as an assembler's output might look.

Each genome is split into N equal slots; one contig per slot, its length drawn log-uniformly
between --min-length and --max-length, its start uniform within the slot, and its strand at
random (TNF is strand-symmetric, but the FASTA should not be). Seeded, standard library only.

    python3 bench/contigs/cut_contigs.py bench/out/contigs/genomes/*.fa --per-genome 120 \
        --seed 1 --labels bench/out/contigs/labels.tsv > bench/out/contigs/contigs.fa

Labels are `id<TAB>genome` with a header line, genome = the FASTA file name without `.fa`.
"""
import argparse
import math
import os
import random
import sys

COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def read_sequence(path):
    """Concatenated sequence of the records of a FASTA file (one genome per file)."""
    with open(path) as handle:
        return "".join(line.strip() for line in handle if not line.startswith(">")).upper()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("genomes", nargs="+", help="one FASTA file per genome")
    p.add_argument("--per-genome", type=int, default=120, help="contigs per genome (at most)")
    p.add_argument("--min-length", type=int, default=2000)
    p.add_argument("--max-length", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--labels", required=True, help="labels table to write")
    p.add_argument("--width", type=int, default=80)
    args = p.parse_args()
    rng = random.Random(args.seed)
    out = sys.stdout
    with open(args.labels, "w") as labels:
        labels.write("id\tgenome\n")
        for path in args.genomes:
            name = os.path.basename(path).rsplit(".", 1)[0]
            genome = read_sequence(path)
            slots = min(args.per_genome, len(genome) // args.max_length)
            slot = len(genome) // slots
            for i in range(slots):
                length = round(math.exp(rng.uniform(math.log(args.min_length),
                                                    math.log(args.max_length))))
                start = i * slot + rng.randrange(slot - length + 1)
                contig = genome[start:start + length]
                if rng.random() < 0.5:
                    contig = contig.translate(COMPLEMENT)[::-1]
                contig_id = f"{name}_{i + 1}"
                out.write(f">{contig_id} {name}:{start + 1}-{start + length}\n")
                for j in range(0, len(contig), args.width):
                    out.write(contig[j:j + args.width] + "\n")
                labels.write(f"{contig_id}\t{name}\n")


if __name__ == "__main__":
    main()
