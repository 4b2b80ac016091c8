#!/usr/bin/env python3
"""EVE's published ClinVar check (TP53, SCN5A, ...), for `vaebio score` (driven by bench/protein/clinvar.sh).

    python3 clinvar.py prepare  MSA.a2m LABELS.csv OUT_DIR
    python3 clinvar.py evaluate OUT_DIR MODEL_DIR CLINVAR_SCORES.tsv [...] [--random RANDOM_SCORES.tsv]

prepare:
  - Reads and weights the alignment as vaebio does (bench/protein/family.py).
  - Also states what EVE's own MSA_processing would keep (it upper-cases the whole alignment
    and re-derives the focus columns from gap fractions), to show which labelled variants the
    two codes can score.
  - Keeps ClinVar variants of the focus's protein (its name before the '/', e.g. P53_HUMAN) at kept focus positions whose stated wild type matches
    the focus; writes clinvar_mutations.txt (mutation<TAB>label), random_mutations.txt (all 19
    substitutions at 60 random kept positions, seed 0), site_scores.tsv (independent-site
    log-odds of every single substitution, family.site_scores) and column_entropy.tsv
    (weighted, no pseudocount); prepare.txt also gives the site model's AUROC with
    pseudocounts 0.1 / 0.5 / 2, weighted and unweighted, to show how robust the baseline is.
evaluate:
  - AUROC of the damage score (-delta ELBO: lower ELBO than the wild type = more damaging)
    with pathogenic as the positive class, with a bootstrap 95% interval (2,000 resamples of
    variants, seed 0); the same for the site model (-log-odds). With --random: the wild-type-
    above-mutants fraction and Spearman of per-position mean score with column entropy, for
    vaebio and the site model.
numpy, pandas and scikit-learn (bench/.venv).
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from family import (  # noqa: E402
    AMINO_ACIDS, PSEUDOCOUNT, STATES, auroc_with_interval, column_counts, focus_start, read_a2m,
    read_scores, site_scores, vaebio_processing,
)


def eve_focus_positions(names, seqs):
    """Focus positions EVE's MSA_processing (utils/data_utils.py, defaults) would use."""
    start = focus_start(names[0])
    upper = np.array([list(s.replace(".", "-").upper()) for s in seqs])
    upper = upper[:, upper[0] != "-"]
    gaps = upper == "-"
    fragments_kept = gaps.mean(axis=1) <= 0.5
    focus_cols = np.flatnonzero(gaps[fragments_kept].mean(axis=0) <= 0.3)
    return [int(c) + start for c in focus_cols]


def prepare(msa, labels_csv, out):
    out = Path(out)
    names, seqs = read_a2m(msa)
    positions, codes, w, report = vaebio_processing(names, seqs)
    neff = float(w.sum())
    wild_type = {p: STATES[c] for p, c in zip(positions, codes[0])}
    lines = [f"alignment {msa}: {json.dumps(report)}; effective sequences {neff:.1f}"]
    first = focus_start(names[0])
    lines.append(
        f"focus positions kept: {len(positions)} ({positions[0]}..{positions[-1]}); "
        f"focus residues not in them: {sorted(set(range(first, first + len(seqs[0].replace('.', '').replace('-', '')))) - set(positions))}"
    )
    eve_positions = eve_focus_positions(names, seqs)

    # Independent-site model and column entropy, weighted.
    freq = column_counts(codes, w)
    raw = freq / freq.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.nansum(np.where(raw > 0, raw * np.log(raw), 0.0), axis=1)
    site_scores(positions, codes, w).rename_axis("mutation").to_csv(out / "site_scores.tsv", sep="\t")
    pd.DataFrame({"position": positions, "entropy": entropy}).to_csv(out / "column_entropy.tsv", sep="\t", index=False)

    labels = pd.read_csv(labels_csv)
    protein = names[0].split("/")[0]
    labels = labels[labels.protein_name == protein].copy()
    labels["wt"] = labels.mutations.str[0]
    labels["pos"] = labels.mutations.str[1:-1].astype(int)
    reason = np.where(
        ~labels.pos.isin(positions),
        "position not a kept focus column (lower case in the A2M, or dropped for gaps)",
        np.where([wild_type.get(p) != a for p, a in zip(labels.pos, labels.wt)], "wild type differs from focus", ""),
    )
    labels["dropped"] = reason
    lines.append(
        f"ClinVar {protein}: {len(labels)} variants ({(labels.ClinVar_labels == 1).sum()} pathogenic, "
        f"{(labels.ClinVar_labels == 0).sum()} benign)"
    )
    for why, group in labels[labels.dropped != ""].groupby("dropped"):
        lines.append(
            f"  dropped {len(group)} ({(group.ClinVar_labels == 1).sum()} pathogenic, "
            f"{(group.ClinVar_labels == 0).sum()} benign): {why}: {' '.join(group.mutations)}"
        )
    kept = labels[labels.dropped == ""]
    lines.append(
        f"  scored {len(kept)} ({(kept.ClinVar_labels == 1).sum()} pathogenic, {(kept.ClinVar_labels == 0).sum()} benign)"
    )
    in_eve = labels.pos.isin(eve_positions)
    lines.append(
        f"EVE's own preprocessing (upper-cases the A2M, focus = columns with <= 30% gaps) would keep "
        f"{len(eve_positions)} positions ({eve_positions[0]}..{eve_positions[-1]}) and "
        f"{int(in_eve.sum())} of the {len(labels)} variants; positions EVE keeps that vaebio does not: "
        f"{sorted(set(eve_positions) - set(positions))}; vaebio keeps, EVE not: {sorted(set(positions) - set(eve_positions))}"
    )
    # How much the baseline depends on its pseudocount and on the weights.
    y = kept.ClinVar_labels.to_numpy()
    index = [positions.index(p) for p in kept.pos]
    cells = []
    for label, counts in (("weighted", freq), ("unweighted", column_counts(codes, np.ones(len(codes))))):
        for pc in (0.1, 0.5, 2.0):
            lf = np.log(counts + pc)
            damage = lf[index, [STATES.index(a) for a in kept.wt]] - lf[index, [STATES.index(m[-1]) for m in kept.mutations]]
            cells.append(f"{label} pc {pc}: {roc_auc_score(y, damage):.3f}")
    lines.append("site-model AUROC by pseudocount: " + "; ".join(cells))
    kept[["mutations", "ClinVar_labels_category"]].to_csv(
        out / "clinvar_mutations.txt", sep="\t", index=False, header=["mutation", "label"]
    )
    rng = np.random.default_rng(0)
    chosen = sorted(rng.choice(len(positions), size=min(60, len(positions)), replace=False))
    with open(out / "random_mutations.txt", "w") as f:
        f.write("mutation\n")
        for i in chosen:
            p = positions[i]
            for aa in AMINO_ACIDS:
                if aa != wild_type[p]:
                    f.write(f"{wild_type[p]}{p}{aa}\n")
    (out / "prepare.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def auroc_text(label, damage):
    """AUROC with its bootstrap 95% interval, as text."""
    return "{:.3f} [{:.3f}, {:.3f}]".format(*auroc_with_interval(label, damage))


def evaluate(out, model_dir, score_files, random_file):
    out = Path(out)
    entropy = pd.read_csv(out / "column_entropy.tsv", sep="\t", index_col=0).entropy
    config = json.load(open(Path(model_dir) / "config.json"))
    model_positions = sorted({int(name.split(":")[0]) for name in config["feature_names"]})
    assert model_positions == sorted(entropy.index), "model focus positions differ from this harness's"
    site = read_scores(out / "site_scores.tsv")
    clinvar = pd.read_csv(out / "clinvar_mutations.txt", sep="\t")
    y = (clinvar.label == "pathogenic").astype(int).to_numpy()
    print(f"variants\t{len(y)} ({y.sum()} pathogenic, {len(y) - y.sum()} benign)")
    print("model\tAUROC pathogenic vs benign [bootstrap 95%]")
    for path in score_files:
        delta = read_scores(path).loc[clinvar.mutation].to_numpy()
        print(f"vaebio {Path(path).name}\t{auroc_text(y, -delta)}")
    print(f"site model (pseudocount {PSEUDOCOUNT})\t{auroc_text(y, -site.loc[clinvar.mutation].to_numpy())}")
    if score_files[1:]:
        first, last = (read_scores(p).loc[clinvar.mutation] for p in (score_files[0], score_files[-1]))
        print(f"spearman {Path(score_files[0]).name} vs {Path(score_files[-1]).name}\t{spearmanr(first, last)[0]:.4f}")
    print(f"spearman vaebio ({Path(score_files[-1]).name}) vs site model on the ClinVar variants\t"
          f"{spearmanr(read_scores(score_files[-1]).loc[clinvar.mutation], site.loc[clinvar.mutation])[0]:.3f}")
    if random_file:
        delta = read_scores(random_file)
        for label, scores in (("vaebio", delta), ("site model", site.loc[delta.index])):
            position = scores.index.str[1:-1].astype(int)
            per_position = scores.groupby(position).mean()
            print(
                f"{label}\trandom single mutants {len(scores)} at {len(per_position)} positions: "
                f"fraction below wild type {(scores < 0).mean():.3f}, mean {scores.mean():.3f}; "
                f"spearman position mean vs column entropy {spearmanr(per_position, entropy.loc[per_position.index])[0]:.3f}"
            )
        print(f"spearman vaebio vs site model on the random mutants\t{spearmanr(delta, site.loc[delta.index])[0]:.3f}")


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(*sys.argv[2:5])
    elif sys.argv[1] == "evaluate":
        args = sys.argv[4:]
        random_file = None
        if "--random" in args:
            i = args.index("--random")
            random_file = args[i + 1]
            args = args[:i] + args[i + 2 :]
        evaluate(sys.argv[2], sys.argv[3], args, random_file)
    else:
        sys.exit(__doc__)
