#!/usr/bin/env python3
"""Would a shorter early-stopping patience give the same model? (issue 17, genotype speed)

Training is deterministic, so a run with patience P is the recorded run cut at the first epoch
after which P epochs have passed without improvement of the held-out loss (the monitored
`validation_total`; genotypes have no penalty term). Where that cut keeps the recorded best
epoch, the model and latent are byte-identical and only the epochs after it are saved. For each
model folder (its `history.tsv`) prints the recorded best epoch and, per patience, the best
epoch and the last epoch run, then the total.

    python3 bench/popgen/patience.py --patience 10 DIR/*_default_s*_model
"""

import argparse
import csv
import os


def cut(losses, patience):
    """(best epoch, last epoch run) of early stopping with PATIENCE over LOSSES (1-based)."""
    best, best_epoch, since = float("inf"), None, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < best:
            best, best_epoch, since = loss, epoch, 0
        else:
            since += 1
        if since >= patience:
            return best_epoch, epoch
    return best_epoch, len(losses)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patience", default="10", help="patience values, comma-separated")
    parser.add_argument("--recorded", type=int, default=20, help="the runs' own patience")
    parser.add_argument("models", nargs="+", help="model folders with a history.tsv")
    args = parser.parse_args()
    values = [int(p) for p in args.patience.split(",")]
    same, epochs, recorded = dict.fromkeys(values, 0), dict.fromkeys(values, 0), 0
    for model in args.models:
        with open(os.path.join(model, "history.tsv")) as handle:
            losses = [float(r["validation_total"]) for r in csv.DictReader(handle, delimiter="\t")]
        best, last = cut(losses, args.recorded)
        if last != len(losses):
            raise SystemExit(f"{model}: its history does not end at patience {args.recorded}")
        recorded += last
        line = [f"{os.path.basename(model)}: best {best} of {last}"]
        for p in values:
            p_best, p_last = cut(losses, p)
            same[p] += p_best == best
            epochs[p] += p_last
            line.append(f"patience {p}: best {p_best} of {p_last}" + ("" if p_best == best else " (differs)"))
        print(" | ".join(line))
    for p in values:
        print(f"patience {p}: the same best epoch in {same[p]} of {len(args.models)} runs; "
              f"epochs {epochs[p]} against {recorded} ({(epochs[p] / recorded - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
