#!/usr/bin/env python3
"""Simulated protein family with a known fitness landscape, for judging `vaebio score`.

Sequences are drawn by Gibbs sampling from a Potts model E(s) = sum_i h_i(s_i) +
sum_(i,j) J_ij(s_i, s_j) (higher = fitter) with position-specific fields and sparse pairwise
couplings, the shape of model that real families are fitted with (EVcouplings, DCA). Because
the landscape is known, every single mutant of the focus sequence has a true effect
dE = E(mutant) - E(wild type), a deep-mutational-scan stand-in.

Writes FAMILY.a2m (focus first, upper case, a few gaps), MUTATIONS.txt (every single
mutant of the focus, e.g. A1C) and TRUTH.tsv (mutant, dE, position, column entropy).

    python3 bench/protein/simulate_family.py --out bench/out/protein --seqs 2000 --length 60
"""
import argparse
import os

import numpy as np

AA = "ACDEFGHIKLMNPQRSTVWY"

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--seqs", type=int, default=2000)
p.add_argument("--length", type=int, default=60)
p.add_argument("--pairs", type=int, default=40, help="coupled position pairs")
p.add_argument("--sweeps", type=int, default=60)
p.add_argument("--gap-rate", type=float, default=0.03)
p.add_argument("--seed", type=int, default=11)
args = p.parse_args()

rng = np.random.default_rng(args.seed)
L, Q, N = args.length, len(AA), args.seqs
# Fields: a few preferred residues per position, with position-specific strength so some
# columns are conserved and others variable.
strength = rng.gamma(2.0, 1.0, size=L)
h = rng.normal(0, 1, size=(L, Q)) * strength[:, None]
J = np.zeros((L, L, Q, Q))
for _ in range(args.pairs):
    i, j = rng.choice(L, size=2, replace=False)
    block = rng.normal(0, 0.8, size=(Q, Q))
    J[i, j] += block
    J[j, i] += block.T
# Each position's coupled partners: the local field sums over these only (the other blocks
# are zero), which keeps 8,000 x 250 families fast. Same sums, same order, so the same
# sequences as summing over every position.
partners = [np.flatnonzero(np.abs(J[i]).sum(axis=(1, 2)) > 0) for i in range(L)]


def energy(seqs):
    e = h[np.arange(L), seqs].sum(axis=1)
    for i in range(L):
        e += 0.5 * J[i, np.arange(L)[None, :], seqs[:, i : i + 1], seqs].sum(axis=1)
    return e


seqs = rng.integers(0, Q, size=(N, L))
for sweep in range(args.sweeps):
    for i in rng.permutation(L):
        # Local field of position i for every chain: h_i(a) + sum_j J_ij(a, s_j).
        local = h[i][None, :] + J[i, partners[i][None, :], :, seqs[:, partners[i]]].sum(axis=1)
        p_state = np.exp(local - local.max(axis=1, keepdims=True))
        p_state /= p_state.sum(axis=1, keepdims=True)
        u = rng.random((N, 1))
        seqs[:, i] = (p_state.cumsum(axis=1) < u).sum(axis=1).clip(0, Q - 1)

energies = energy(seqs)
focus = int(np.argmax(energies))
order = [focus] + [k for k in range(N) if k != focus]
wild_type = seqs[focus]

os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "family.a2m"), "w") as out:
    for rank, k in enumerate(order):
        row = [AA[a] for a in seqs[k]]
        if rank > 0:
            for pos in np.nonzero(rng.random(L) < args.gap_rate)[0]:
                row[pos] = "-"
        name = "FOCUS/1-%d" % L if rank == 0 else "SIM%05d/1-%d" % (rank, L)
        out.write(">%s\n%s\n" % (name, "".join(row)))

counts = np.stack([(seqs == a).sum(axis=0) for a in range(Q)], axis=1) / N
entropy = -(counts * np.log(np.where(counts > 0, counts, 1.0))).sum(axis=1)
e_wt = energy(wild_type[None, :])[0]
with open(os.path.join(args.out, "mutations.txt"), "w") as muts, open(
    os.path.join(args.out, "truth.tsv"), "w"
) as truth:
    truth.write("mutant\tdelta_energy\tposition\tentropy\n")
    for i in range(L):
        for a in range(Q):
            if a == wild_type[i]:
                continue
            mutant = wild_type.copy()
            mutant[i] = a
            name = "%s%d%s" % (AA[wild_type[i]], i + 1, AA[a])
            muts.write(name + "\n")
            de = energy(mutant[None, :])[0] - e_wt
            truth.write("%s\t%.6f\t%d\t%.6f\n" % (name, de, i + 1, entropy[i]))
print("wrote %d sequences of length %d to %s" % (N, L, args.out))
