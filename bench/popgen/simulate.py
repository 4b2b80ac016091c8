#!/usr/bin/env python3
"""Simulate structured diploid populations with msprime and write a VCF plus a labels table.

Three models (`--model`), each per-deme effective size `--ne`:
- `island` (default): `--demes` demes of `--deme-size` diploids each exchanging migrants at
  rate `--migration` per generation with every other deme.
- `stepping-stone`: demes on a `--grid RxC` lattice (isolation by distance); each deme
  exchanges migrants at rate `--migration` with each of its 2-4 lattice neighbours only.
- `admixture`: two source populations split `--split-time` generations ago from an ancestor;
  a third was formed `--admixture-time` generations ago taking a fraction
  `--admixture-proportion` of its ancestry from the first source and the rest from the
  second. Labels are the three sampled populations (pop_a, pop_b, pop_admixed).

`--deme-sizes 20,50,80` samples unequal numbers of diploids per deme (one value per deme,
in deme order; it sets the number of island demes and overrides `--deme-size`).
Biallelic mutations only (BinaryMutationModel), so every site is a SNP. `--missing F` sets a
random fraction F of genotypes to `./.`; `--max-sites N` keeps N sites evenly spread along
the sequence.

    python bench/popgen/simulate.py --demes 4 --deme-size 50 --migration 1e-4 \
        --seed 1 --out /tmp/popgen/clear
writes /tmp/popgen/clear.vcf and /tmp/popgen/clear_labels.tsv (id<TAB>population).
Island runs give the same sites and calls as before the other models were added.
"""

import argparse
import os

import msprime
import numpy as np

# Every call is three bytes: phased haplotype pair, or missing.
CALLS = np.array([list(b"0|0"), list(b"0|1"), list(b"1|0"), list(b"1|1"), list(b"./.")],
                 dtype=np.uint8)


def parse_sizes(text):
    return [int(value) for value in text.split(",") if value]


def island(args, sizes):
    demography = msprime.Demography.island_model(
        [args.ne] * len(sizes), migration_rate=args.migration
    )
    return demography, {f"pop_{d}": size for d, size in enumerate(sizes)}


def stepping_stone(args, sizes):
    rows, cols = (int(value) for value in args.grid.lower().split("x"))
    names = [f"pop_{r}_{c}" for r in range(rows) for c in range(cols)]
    if len(sizes) == 1:
        sizes = sizes * len(names)
    if len(sizes) != len(names):
        raise SystemExit(f"--deme-sizes has {len(sizes)} values, the {args.grid} grid has "
                         f"{len(names)} demes")
    demography = msprime.Demography()
    for name in names:
        demography.add_population(name=name, initial_size=args.ne)
    for r in range(rows):
        for c in range(cols):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < rows and c + dc < cols:
                    demography.set_symmetric_migration_rate(
                        [f"pop_{r}_{c}", f"pop_{r + dr}_{c + dc}"], args.migration
                    )
    return demography, dict(zip(names, sizes))


def admixture(args, sizes):
    if len(sizes) == 1:
        sizes = sizes * 3
    if len(sizes) != 3:
        raise SystemExit("--deme-sizes for --model admixture needs three values "
                         "(pop_a, pop_b, pop_admixed)")
    if not args.admixture_time < args.split_time:
        raise SystemExit("--admixture-time must be more recent than --split-time")
    demography = msprime.Demography()
    for name in ("pop_a", "pop_b", "pop_admixed", "ancestral"):
        demography.add_population(name=name, initial_size=args.ne)
    p = args.admixture_proportion
    demography.add_admixture(time=args.admixture_time, derived="pop_admixed",
                             ancestral=["pop_a", "pop_b"], proportions=[p, 1 - p])
    demography.add_population_split(time=args.split_time, derived=["pop_a", "pop_b"],
                                    ancestral="ancestral")
    demography.sort_events()
    return demography, dict(zip(["pop_a", "pop_b", "pop_admixed"], sizes))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["island", "stepping-stone", "admixture"],
                        default="island")
    parser.add_argument("--demes", type=int, default=4)
    parser.add_argument("--deme-size", type=int, default=50, help="diploids sampled per deme")
    parser.add_argument("--deme-sizes", default=None,
                        help="diploids sampled per deme, comma-separated (unequal demes)")
    parser.add_argument("--grid", default="3x3", help="stepping-stone lattice, ROWSxCOLS")
    parser.add_argument("--ne", type=float, default=1000.0, help="effective size of each deme")
    parser.add_argument("--migration", type=float, default=1e-4,
                        help="migration rate (island: to each other deme; "
                             "stepping-stone: to each neighbour)")
    parser.add_argument("--split-time", type=float, default=2000.0,
                        help="admixture: generations since the two sources split")
    parser.add_argument("--admixture-time", type=float, default=50.0,
                        help="admixture: generations since the admixed population formed")
    parser.add_argument("--admixture-proportion", type=float, default=0.3,
                        help="admixture: ancestry fraction from pop_a (the rest from pop_b)")
    parser.add_argument("--length", type=float, default=5e6, help="sequence length (bp)")
    parser.add_argument("--recombination", type=float, default=1e-8)
    parser.add_argument("--mutation", type=float, default=1e-8)
    parser.add_argument("--missing", type=float, default=0.0, help="fraction of genotypes set to ./.")
    parser.add_argument("--max-sites", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="output prefix")
    args = parser.parse_args()

    if args.deme_sizes is not None:
        sizes = parse_sizes(args.deme_sizes)
    elif args.model == "island":
        sizes = [args.deme_size] * args.demes
    else:
        sizes = [args.deme_size]
    build = {"island": island, "stepping-stone": stepping_stone, "admixture": admixture}
    demography, samples = build[args.model](args, sizes)
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

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    missing_calls = 0
    with open(args.out + ".vcf", "wb") as vcf:
        header = ("##fileformat=VCFv4.2\n"
                  f"##source=bench/popgen/simulate.py msprime {msprime.__version__} {vars(args)}\n"
                  f"##contig=<ID=1,length={int(args.length)}>\n"
                  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
                  "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t"
                  + "\t".join(names) + "\n")
        vcf.write(header.encode())
        # Rows in chunks: the missing-call mask draws the same numbers as one
        # rng.random((sites, individuals)) call, without holding it all in memory.
        chunk = max(1, 2_000_000 // max(n_ind, 1))
        for start in range(0, genotypes.shape[0], chunk):
            block = genotypes[start:start + chunk]
            missing = rng.random((block.shape[0], n_ind)) < args.missing
            missing_calls += int(missing.sum())
            code = 2 * block[:, 0::2].astype(np.uint8) + block[:, 1::2]
            code[missing] = 4
            text = np.empty((block.shape[0], n_ind, 4), dtype=np.uint8)
            text[:, :, :3] = CALLS[code]
            text[:, :, 3] = ord("\t")
            text[:, -1, 3] = ord("\n")
            for row, pos in zip(text, integer_positions[start:start + chunk]):
                vcf.write(f"1\t{pos}\t.\tA\tT\t.\tPASS\t.\tGT\t".encode())
                vcf.write(row.tobytes())
    with open(args.out + "_labels.tsv", "w") as table:
        table.write("id\tpopulation\n")
        for name, label in zip(names, labels):
            table.write(f"{name}\t{label}\n")
    total = max(genotypes.shape[0] * n_ind, 1)
    print(f"{args.out}.vcf: {n_ind} individuals, {genotypes.shape[0]} sites, "
          f"{missing_calls / total:.3f} missing")


if __name__ == "__main__":
    main()
