#!/usr/bin/env python3
"""Judges `vaebio score` output against the simulated family's known landscape.

    python3 bench/protein/evaluate.py TRUTH.tsv SCORES.tsv [FAMILY.a2m]

Prints: mean ΔELBO of single mutants (negative = the wild type scores above random
mutants) and the fraction below zero; Spearman of ΔELBO with the true effect dE; Spearman of
each position's mean ΔELBO with the column's entropy (conserved columns should get the most
negative scores, so a positive correlation is expected). With FAMILY.a2m, the same figures
for an independent-site baseline (log-odds of column frequencies, pseudocount 0.5), the
simplest model a VAE must match. numpy only.
"""
import sys

import numpy as np


def ranks(x):
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    # Average ranks over ties.
    values, inverse = np.unique(x, return_inverse=True)
    sums = np.bincount(inverse, weights=r)
    return (sums / np.bincount(inverse))[inverse]


def spearman(a, b):
    return float(np.corrcoef(ranks(np.asarray(a)), ranks(np.asarray(b)))[0, 1])


def site_model_scores(msa, wild_type_names):
    alphabet = "ACDEFGHIKLMNPQRSTVWY-"
    rows = [l.strip() for l in open(msa) if not l.startswith(">")]
    freq = np.full((len(rows[0]), len(alphabet)), 0.5)
    for row in rows:
        for i, c in enumerate(row):
            freq[i, alphabet.index(c)] += 1
    freq /= freq.sum(axis=1, keepdims=True)
    logf = np.log(freq)
    return {
        n: logf[int(n[1:-1]) - 1, alphabet.index(n[-1])]
        - logf[int(n[1:-1]) - 1, alphabet.index(n[0])]
        for n in wild_type_names
    }


def report(label, truth, scores):
    names = [n for n in truth if n in scores]
    delta = np.array([scores[n] for n in names])
    true_effect = np.array([truth[n][0] for n in names])
    positions = np.array([truth[n][1] for n in names])
    entropy = {truth[n][1]: truth[n][2] for n in names}
    per_position = {p: delta[positions == p].mean() for p in sorted(set(positions))}
    print(f"{label}\tmutants scored\t{len(names)}")
    print(f"{label}\tmean_delta\t{delta.mean():.3f}")
    print(f"{label}\tfraction_below_wild_type\t{(delta < 0).mean():.3f}")
    print(f"{label}\tspearman_vs_true_effect\t{spearman(delta, true_effect):.3f}")
    print(
        "%s\tspearman_position_mean_vs_entropy\t%.3f"
        % (label, spearman(list(per_position.values()), [entropy[p] for p in per_position]))
    )


truth = {}
for line in open(sys.argv[1]).read().splitlines()[1:]:
    name, de, pos, ent = line.split("\t")
    truth[name] = (float(de), int(pos), float(ent))
scores = {}
for line in open(sys.argv[2]).read().splitlines()[1:]:
    name, value = line.split("\t")
    scores[name] = float(value)
report("vaebio", truth, scores)
if len(sys.argv) > 3:
    report("site_model", truth, site_model_scores(sys.argv[3], list(truth)))
