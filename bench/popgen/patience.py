#!/usr/bin/env python3
"""What a shorter early-stopping patience would have done to runs already made.

Training is deterministic and early stopping only reads the validation losses, so a run with
patience P is the first epochs of the same run with a longer patience: from a kept
`history.tsv` (trained with patience >= P) this prints, per run and per P, the epoch where
training would have stopped and the epoch whose weights it would have kept (with that
epoch's validation total), and the shortest patience that keeps the longest one's epoch (the
longest wait between two improvements before it). Where the kept epoch is the same as the full run's, the model and
the latent are the same bits; elsewhere the run has to be repeated to score it.

    bench/.venv/bin/python bench/popgen/patience.py --patience 50,20 \\
        bench/out/popgen-panel/*_model/history.tsv
"""

import argparse


def validation_totals(path):
    with open(path) as history:
        header = history.readline().rstrip("\n").split("\t")
        column = header.index("validation_total")
        return [float(line.rstrip("\n").split("\t")[column]) for line in history]


def stop(totals, patience):
    """(epochs run, best epoch) under `patience`, as the trainer counts (min_delta 0)."""
    best, best_epoch, since_best = float("inf"), 0, 0
    for epoch, total in enumerate(totals, 1):
        if total < best:
            best, best_epoch, since_best = total, epoch, 0
        else:
            since_best += 1
        if since_best >= patience:
            return epoch, best_epoch
    return len(totals), best_epoch


def shortest_patience(totals, best_epoch):
    """The least patience that still reaches BEST_EPOCH: the longest run of epochs without a
    new best before it, plus one."""
    best, since_best, longest = float("inf"), 0, 0
    for total in totals[:best_epoch]:
        if total < best:
            best, longest, since_best = total, max(longest, since_best + 1), 0
        else:
            since_best += 1
    return longest


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patience", default="50,20", help="comma-separated, longest first")
    parser.add_argument("histories", nargs="+")
    args = parser.parse_args()
    patiences = [int(p) for p in args.patience.split(",")]
    print("| run | " + " | ".join(f"P{p}: epochs, best (validation)" for p in patiences)
          + " | same weights | shortest patience keeping P" + str(patiences[0]) + "'s |")
    print("| --- |" + " --- |" * (len(patiences) + 2))
    for path in args.histories:
        totals = validation_totals(path)
        cells = [stop(totals, p) for p in patiences]
        same = len({best for _, best in cells}) == 1
        print(f"| {path} | " + " | ".join(
            f"{epochs}, {best} ({totals[best - 1]:.1f})" for epochs, best in cells)
            + f" | {'yes' if same else 'no'} | {shortest_patience(totals, cells[0][1])} |")


if __name__ == "__main__":
    main()
