#!/usr/bin/env python3
"""Writes bench/contigs/panel.tsv, the contig benchmark panel of issue 17: 36 sets in 18
matched pairs (3 community shapes x 3 length bands x with / without simulated abundance), each
set's genomes, weights, contig count and seed drawn here once (seeded) and then fixed in the
file. Run once, before any vaebio run on the panel; the file, not this script, is the panel.

    python3 bench/contigs/make_panel.py > bench/contigs/panel.tsv
"""
import random

# Species of bench/contigs/genomes.tsv and their strains there.
SPECIES = {
    "ecoli": ["ecoli_mg1655", "ecoli_dh1", "ecoli_536"],
    "kpneumoniae": ["kpneumoniae_hs11286", "kpneumoniae_mgh78578", "kpneumoniae_ntuh_k2044"],
    "vcholerae": ["vcholerae_n16961", "vcholerae_o395"],
    "hpylori": ["hpylori_g27", "hpylori_puno120", "hpylori_els37", "hpylori_sjm180",
                "hpylori_gambia94"],
    "saureus": ["saureus_col", "saureus_n315", "saureus_usa300", "saureus_rf122"],
    "ssuis": ["ssuis_sc84"],
    "cdiphtheriae": ["cdiphtheriae_nctc11397"],
    "mtuberculosis": ["mtuberculosis_h37rv"],
    "lkirschneri": ["lkirschneri_h1"],
    "ssonnei_plasmid": ["ssonnei_53g_pa"],
}
# Band: (min length, max length, contigs cut per set before vaebio's 2,000-bp minimum).
BANDS = {"short": (1000, 2500, 2400), "mid": (2000, 10000, 800), "long": (10000, 50000, 400)}
SHAPES = ("even", "dominant", "strains")
DEPTHS = (0, 6)  # samples of simulated abundance; 0: composition only

HEADER = """\
# Contig benchmark panel (issue 17): 36 sets cut from the genomes of bench/contigs/genomes.tsv
# (22 genomes, 8 species + 1 plasmid, 5 phyla, GC 33-66%) by bench/contigs/simulate_panel.py.
# Fixed before any tuning: this file was committed before any vaebio run on any set of it.
# Defaults are chosen on the `tuning` half only; the `confirmation` half is for claims after.
#
# Design: 3 community shapes x 3 length bands x abundance (none, or 6 simulated samples) = 18
# cells; each cell holds a matched pair (members a and b: same shape, band and abundance,
# genomes, weights and seed drawn independently). Shapes: even (6-8 species, one strain each,
# equal weights), dominant (6-8 species, one weighs 10 and the others log-normal around 1),
# strains (3 strains of one species, plus 3-5 other species, log-normal weights). Bands:
# short 1-2.5 kb (2,400 contigs cut; vaebio keeps those of >= 2,000 bp), mid 2-10 kb (800),
# long 10-50 kb (400). A genome's contigs are in proportion to weight x length, capped by
# what its length holds without overlap; with abundance, its coverage is in proportion to its
# weight (see simulate_panel.py).
#
# Split rule. The pairs are listed in the order shape, band, abundance (as in the loops of
# bench/contigs/make_panel.py). In pair k (counted from 1) member a goes to tuning when k is
# odd, member b when k is even; the other member to confirmation. So each half holds one set
# of every cell (every shape x band x abundance), and 9 a- and 9 b-members.
# Columns: name, half, simulate_panel.py flags (without --out), description.
name\thalf\tflags\tdescription"""


def draw(rng, shape):
    """(genome, weight) pairs of one set."""
    names = list(SPECIES)
    if shape == "strains":
        species = rng.choice([s for s in names if len(SPECIES[s]) >= 3])
        strains = rng.sample(SPECIES[species], 3)
        others = rng.sample([s for s in names if s != species], rng.randint(3, 5))
        genomes = strains + [rng.choice(SPECIES[s]) for s in others]
        weights = [rng.lognormvariate(0, 0.7) for _ in genomes]
    else:
        chosen = rng.sample(names, rng.randint(6, 8))
        genomes = [rng.choice(SPECIES[s]) for s in chosen]
        weights = [1.0] * len(genomes)
        if shape == "dominant":
            weights = [10.0] + [rng.lognormvariate(0, 0.7) for _ in genomes[1:]]
    return [(g, round(w, 2)) for g, w in zip(genomes, weights)]


def main():
    rng = random.Random(17)
    print(HEADER)
    k = 0
    for shape in SHAPES:
        for band, (low, high, contigs) in BANDS.items():
            for samples in DEPTHS:
                k += 1
                for member in "ab":
                    seed = 1000 + 2 * k + (member == "b")
                    picks = draw(rng, shape)
                    half = "tuning" if (member == "a") == (k % 2 == 1) else "confirmation"
                    name = f"{shape}-{band}-{'depth6' if samples else 'tnf'}-{member}"
                    genomes = ",".join(f"{g}:{w}" for g, w in picks)
                    flags = (f"--genomes {genomes} --min-length {low} --max-length {high} "
                             f"--contigs {contigs} --samples {samples} --seed {seed}")
                    what = (f"{shape}, {len(picks)} genomes, {low // 1000 if low >= 1000 else low}"
                            f"-{high / 1000:g} kb, {contigs} contigs cut, "
                            f"{f'{samples} samples' if samples else 'no abundance'}")
                    print(f"{name}\t{half}\t{flags}\t{what}")


if __name__ == "__main__":
    main()
