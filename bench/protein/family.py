"""A protein family's alignment as vaebio reads it, its sequence weights, the independent-site
model and the metrics the protein benches report. Shared by bench/protein/clinvar.py and
bench/protein/panel.py. numpy, pandas, scipy and scikit-learn (bench/.venv).

- Reads the A2M as vaebio does (crates/io/src/formats/alignment.rs): lower case and '.' are
  insertions and are removed; focus columns are the remaining columns where the focus (first)
  sequence has a residue, numbered from the `/start-end` of its name, counting every residue
  of the focus, lower case included (= UniProt numbering, as EVE); fragments with > 50% gaps
  over the focus columns dropped, then columns with > 30% gaps, then sequences with
  X/B/Z/J/U/O in a kept column. Weights 1 / #{j: matches/residues(i) > 0.8} (EVE, theta 0.2).
- The independent-site model: weighted column frequencies over 21 states with a pseudocount
  of 0.5 per state; a substitution scores log f(mutant) - log f(wild type).
"""
import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
STATES = AMINO_ACIDS + "-"
AMBIGUOUS = set("XBZJUO")
THETA = 0.2
PSEUDOCOUNT = 0.5


def read_a2m(path):
    """Names (first word after '>') and sequences of an A2M / aligned FASTA file."""
    names, seqs = [], []
    for line in open(path):
        line = line.strip()
        if line.startswith(">"):
            names.append(line[1:].split()[0])
            seqs.append([])
        elif line:
            seqs[-1].append(line)
    return names, ["".join(s) for s in seqs]


def focus_start(name):
    """Residue number of the focus's first residue: the `start` of `NAME/start-end`, else 1."""
    return int(name.rsplit("/", 1)[1].split("-")[0]) if "/" in name else 1


def vaebio_processing(names, seqs):
    """Focus positions, kept rows' codes on kept columns, weights — as vaebio computes them."""
    focus_name, focus = names[0], seqs[0]
    start = focus_start(focus_name)
    aligned = [[c for c in s if not c.islower() and c != "."] for s in seqs]
    columns, positions, residues_seen, column = [], [], 0, 0
    for c in focus:
        if not c.islower() and c != ".":
            if c.isalpha():
                columns.append(column)
                positions.append(start + residues_seen)
            column += 1
        if c.isalpha():
            residues_seen += 1
    table = np.array([[row[c] for c in columns] for row in aligned])
    gaps = table == "-"
    rows = np.flatnonzero((gaps.mean(axis=1) <= 0.5) | (np.arange(len(seqs)) == 0))
    col_gap = gaps[rows].mean(axis=0)
    ambiguous = np.isin(table, list(AMBIGUOUS))
    keep_cols = np.flatnonzero((col_gap <= 0.3) & ~ambiguous[0])
    rows_before = len(rows)
    rows = rows[~ambiguous[np.ix_(rows, keep_cols)].any(axis=1)]
    kept = table[np.ix_(rows, keep_cols)]
    codes = np.vectorize(STATES.index)(kept).astype(np.int64)
    report = {
        "sequences_read": len(seqs),
        "dropped_fragments": len(seqs) - rows_before,
        "dropped_ambiguous": rows_before - len(rows),
        "aligned_columns": len(aligned[0]),
        "focus_columns": len(columns),
        "kept_columns": len(keep_cols),
    }
    return [positions[c] for c in keep_cols], codes, weights(codes), report


def weights(codes):
    """EVE's sequence weights: 1 / the number of rows sharing > 1 - THETA of the residues."""
    n, length = codes.shape
    onehot = np.zeros((n, length * 20), dtype=np.float32)
    rows, cols = np.nonzero(codes < 20)
    onehot[rows, cols * 20 + codes[rows, cols]] = 1.0
    matches = onehot @ onehot.T  # same residue, gaps never match
    residues = np.diag(matches).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        similar = (matches / residues[:, None]) > 1 - THETA
    count = similar.sum(axis=1)
    return np.where(residues > 0, 1.0 / np.maximum(count, 1), 0.0)


def column_counts(codes, w):
    """Weighted count of each of the 21 states per kept column (columns x states)."""
    counts = np.zeros((codes.shape[1], len(STATES)))
    for state in range(len(STATES)):
        counts[:, state] = ((codes == state) * w[:, None]).sum(axis=0)
    return counts


def site_scores(positions, codes, w, pseudocount=PSEUDOCOUNT):
    """Independent-site log-odds of every single substitution of the focus, by mutation name
    (`A23V`); higher = more like the family."""
    counts = column_counts(codes, w)
    logf = np.log((counts + pseudocount) / (counts.sum(axis=1, keepdims=True) + pseudocount * len(STATES)))
    names, values = [], []
    for i, (p, wt_code) in enumerate(zip(positions, codes[0])):
        wt = STATES[wt_code]
        for aa in AMINO_ACIDS:
            if aa != wt:
                names.append(f"{wt}{p}{aa}")
                values.append(logf[i, STATES.index(aa)] - logf[i, wt_code])
    return pd.Series(values, index=names, name="site_log_odds")


def _with_interval(metric, label, score, resamples, seed=0):
    """METRIC(label, score) with a 95% bootstrap interval over resampled variants."""
    label, score = np.asarray(label), np.asarray(score)
    value = metric(label, score)
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(resamples):
        idx = rng.integers(0, len(label), len(label))
        if len(np.unique(label[idx])) > 1:
            boot.append(metric(label[idx], score[idx]))
    low, high = np.percentile(boot, [2.5, 97.5])
    return value, low, high


def auroc_with_interval(label, damage, resamples=2000):
    """AUROC of DAMAGE for the positive LABEL (1), with its bootstrap 95% interval."""
    return _with_interval(roc_auc_score, label, damage, resamples)


def spearman_with_interval(measured, score, resamples=1000):
    """Spearman of SCORE with MEASURED, with its bootstrap 95% interval."""
    return _with_interval(lambda a, b: spearmanr(a, b)[0], measured, score, resamples)


def difference_with_interval(kind, label, score, baseline, resamples=1000):
    """The set's figure (Spearman for `dms`, else AUROC of the damage, minus the score) of
    SCORE minus that of BASELINE on the same variants, with its paired bootstrap 95% interval
    over resampled variants."""
    def figure(y, x):
        return spearmanr(y, x)[0] if kind == "dms" else roc_auc_score(y, -x)

    both = np.column_stack([score, baseline])
    return _with_interval(lambda y, b: figure(y, b[:, 0]) - figure(y, b[:, 1]), label, both,
                          resamples)


def read_scores(path):
    """The first value column of a `vaebio score` table (or site_scores.tsv), by mutation."""
    return pd.read_csv(path, sep="\t", index_col=0).iloc[:, 0]
