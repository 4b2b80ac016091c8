#!/usr/bin/env python3
"""Simulate structured diploid populations with msprime and write a VCF plus a labels table.

Island model: `--demes` demes of `--deme-size` diploids each exchanging migrants at rate
`--migration` per generation (per-deme effective size `--ne`). Biallelic mutations only
(BinaryMutationModel), so every site is a SNP. `--missing F` sets a random fraction F of
genotypes to `./.`; `--max-sites N` keeps N sites evenly spread along the sequence.

    python bench/popgen/simulate.py --demes 4 --deme-size 50 --migration 1e-4 \
        --seed 1 --out /tmp/popgen/clear
writes /tmp/popgen/clear.vcf and /tmp/popgen/clear_labels.tsv (id<TAB>population).
"""

import argparse
import os

import msprime
import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demes", type=int, default=4)
    parser.add_argument("--deme-size", type=int, default=50, help="diploids sampled per deme")
    parser.add_argument("--ne", type=float, default=1000.0, help="effective size of each deme")
    parser.add_argument("--migration", type=float, default=1e-4, help="island-model migration rate")
    parser.add_argument("--length", type=float, default=5e6, help="sequence length (bp)")
    parser.add_argument("--recombination", type=float, default=1e-8)
    parser.add_argument("--mutation", type=float, default=1e-8)
    parser.add_argument("--missing", type=float, default=0.0, help="fraction of genotypes set to ./.")
    parser.add_argument("--max-sites", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="output prefix")
    args = parser.parse_args()

    demography = msprime.Demography.island_model(
        [args.ne] * args.demes, migration_rate=args.migration
    )
    samples = {f"pop_{d}": args.deme_size for d in range(args.demes)}
    ts = msprime.sim_ancestry(
        samples=samples,
        demography=demography,
        sequence_length=args.length,
        recombination_rate=args.recombination,
        ploidy=2,
        random_seed=args.seed,
    )
    ts = msprime.sim_mutations(
        ts, rate=args.mutation, model=msprime.BinaryMutationModel(), random_seed=args.seed
    )
    genotypes = ts.genotype_matrix()  # sites x haplotypes, 0/1
    positions = ts.tables.sites.position
    # Sites at the same integer position would collide in a VCF; keep the first.
    integer_positions = np.floor(positions).astype(np.int64) + 1
    keep = np.concatenate([[True], np.diff(integer_positions) > 0])
    genotypes, integer_positions = genotypes[keep], integer_positions[keep]
    if args.max_sites is not None and genotypes.shape[0] > args.max_sites:
        chosen = np.linspace(0, genotypes.shape[0] - 1, args.max_sites).round().astype(int)
        genotypes, integer_positions = genotypes[chosen], integer_positions[chosen]

    rng = np.random.default_rng(args.seed)
    n_ind = ts.num_individuals
    names, labels = [], []
    for ind in ts.individuals():
        population = ts.population(ts.node(ind.nodes[0]).population).metadata["name"]
        names.append(f"{population}_i{len(names)}")
        labels.append(population)
    missing = rng.random((genotypes.shape[0], n_ind)) < args.missing

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".vcf", "w") as vcf:
        vcf.write("##fileformat=VCFv4.2\n")
        vcf.write(f"##source=bench/popgen/simulate.py msprime {msprime.__version__} {vars(args)}\n")
        vcf.write(f"##contig=<ID=1,length={int(args.length)}>\n")
        vcf.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        vcf.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(names) + "\n")
        for site, (row, pos) in enumerate(zip(genotypes, integer_positions)):
            calls = [
                "./." if missing[site, i] else f"{row[2 * i]}|{row[2 * i + 1]}"
                for i in range(n_ind)
            ]
            vcf.write(f"1\t{pos}\t.\tA\tT\t.\tPASS\t.\tGT\t" + "\t".join(calls) + "\n")
    with open(args.out + "_labels.tsv", "w") as table:
        table.write("id\tpopulation\n")
        for name, label in zip(names, labels):
            table.write(f"{name}\t{label}\n")
    print(f"{args.out}.vcf: {n_ind} individuals, {genotypes.shape[0]} sites, "
          f"{missing.mean():.3f} missing")


if __name__ == "__main__":
    main()
