#!/usr/bin/env python3
"""Turns one panel set's labels into vaebio's mutation file (driven by get_families.sh).

    python3 labels.py ALIGNMENT.a2m LABELS.csv KIND LABEL_COLUMN OUT_DIR

KIND (bench/protein/families.tsv):
  clinvar            EVE's ClinVar table (protein_name, mutations, LABEL_COLUMN 1/0): the
                     focus protein's pathogenic (1) and benign (0) variants.
  clinvar-vs-random  its pathogenic variants (1) against 300 random single substitutions at
                     kept focus positions that the table does not list for the protein (0),
                     drawn with numpy's default_rng(0).
  dms                a DMS table (`mutant`, LABEL_COLUMN): single substitutions with a
                     measured value; synonymous, stop (`X`, `*`) and multiple mutants dropped.
Keeps the variants at kept focus positions (bench/protein/family.py, vaebio's processing)
whose stated wild type matches the focus. Writes to OUT_DIR: mutations.txt (`mutation`
header, one per line, for `vaebio score --mutations`), labels.tsv (mutation, label),
site_scores.tsv (the independent-site log-odds of those mutations) and prepare.json (counts
kept and dropped, with the reasons, and the alignment's shape).
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from family import AMINO_ACIDS, STATES, read_a2m, site_scores, vaebio_processing  # noqa: E402

RANDOM_VARIANTS = 300


def clinvar_table(labels_csv, protein, label_column):
    """The protein's ClinVar variants as (mutation, label)."""
    table = pd.read_csv(labels_csv)
    table = table[table.protein_name == protein]
    return pd.DataFrame({"mutation": table.mutations, "label": table[label_column].astype(int)})


def dms_table(labels_csv, label_column):
    """Single substitutions of a DMS table with a measured value, and what was dropped."""
    table = pd.read_csv(labels_csv)
    table = table[["mutant", label_column]].dropna()
    single = table.mutant.str.fullmatch(r"[A-Z]\d+[A-Z]") & (table.mutant.str[0] != table.mutant.str[-1])
    standard = table.mutant.str[-1].isin(list(AMINO_ACIDS))
    kept = table[single & standard]
    dropped = {"not a single substitution to a standard amino acid": int((~(single & standard)).sum())}
    return pd.DataFrame({"mutation": kept.mutant, "label": kept[label_column].astype(float)}), dropped


def at_focus(variants, wild_type):
    """VARIANTS whose position is a kept focus column and whose wild type matches the focus."""
    position = variants.mutation.str[1:-1].astype(int)
    in_focus = position.isin(list(wild_type))
    matches = np.array([wild_type.get(p) == m[0] for p, m in zip(position, variants.mutation)])
    dropped = {
        "position not a kept focus column": int((~in_focus).sum()),
        "wild type differs from the focus": int((in_focus & ~matches).sum()),
    }
    return variants[in_focus & matches], dropped


def random_variants(wild_type, exclude, count, seed=0):
    """COUNT distinct random single substitutions at the focus positions, none in EXCLUDE."""
    candidates = sorted(
        f"{wt}{p}{aa}" for p, wt in wild_type.items() for aa in AMINO_ACIDS
        if aa != wt and f"{wt}{p}{aa}" not in exclude
    )
    rng = np.random.default_rng(seed)
    return [candidates[i] for i in sorted(rng.choice(len(candidates), size=count, replace=False))]


def main(alignment, labels_csv, kind, label_column, out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names, seqs = read_a2m(alignment)
    positions, codes, w, report = vaebio_processing(names, seqs)
    wild_type = {p: STATES[c] for p, c in zip(positions, codes[0])}
    dropped = {}
    if kind == "dms":
        variants, dropped = dms_table(labels_csv, label_column)
    elif kind in ("clinvar", "clinvar-vs-random"):
        variants = clinvar_table(labels_csv, names[0].split("/")[0], label_column)
    else:
        sys.exit(f"{kind}: unknown kind (dms, clinvar or clinvar-vs-random)")
    listed = set(variants.mutation)
    before = len(variants)
    variants = variants.drop_duplicates("mutation")
    dropped["repeated"] = before - len(variants)
    variants, focus_dropped = at_focus(variants, wild_type)
    dropped.update(focus_dropped)
    if kind == "clinvar-vs-random":
        dropped["benign (not used against random)"] = int((variants.label == 0).sum())
        variants = variants[variants.label == 1]
        random = random_variants(wild_type, listed, RANDOM_VARIANTS)
        variants = pd.concat([variants, pd.DataFrame({"mutation": random, "label": 0})])
    if len(variants) == 0 or variants.label.nunique() < 2:
        sys.exit(f"{labels_csv}: fewer than two distinct labels left at the focus columns of {alignment}")
    variants.to_csv(out / "labels.tsv", sep="\t", index=False)
    variants[["mutation"]].to_csv(out / "mutations.txt", sep="\t", index=False)
    site = site_scores(positions, codes, w)
    site.loc[variants.mutation].rename_axis("mutation").to_csv(out / "site_scores.tsv", sep="\t")
    summary = {
        "alignment": report,
        "effective_sequences": round(float(w.sum()), 1),
        "focus_positions": [positions[0], positions[-1]],
        "variants_scored": len(variants),
        "positive_or_mean_label": round(float(variants.label.mean()), 4),
        "dropped": dropped,
    }
    (out / "prepare.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"{out.name}: {len(variants)} variants kept; dropped {dropped}")


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(*sys.argv[1:])
