#!/usr/bin/env python3
"""Paired comparison of two embed-flag settings on the genotype panel, quality and cost.

Reads what bench/popgen/panel.py kept under `--out` (`{scenario}_{tag}_s{seed}.json` and
`_model/history.tsv`) and a CPU log with one line per `vaebio embed` run: the latent path, then
user, sys and wall seconds and max RSS (KB), as `/usr/bin/time -f "%U %S %e %M"` writes them
(the last line per latent wins). Prints per cell the epochs, CPU seconds and first-epoch train
loss of A and B (**!** where B's is over twice A's: a first-epoch blow-up), then per metric the
mean of B - A over the scenario x seed cells with its bootstrap 95% interval
(bench/panel_common.py) and on how many cells B is at or above A.

    bench/.venv/bin/python bench/popgen/paired_cost.py --out bench/out/popgen-panel \\
        --cpu-log bench/out/popgen-panel/cpu.log --tags default,__lr_2e_3 --seeds 42,7
"""

import argparse
import csv
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from panel_common import bootstrap_interval  # noqa: E402


def cpu_seconds(log):
    """{latent path basename: user + sys seconds} from the CPU log."""
    seconds = {}
    if os.path.exists(log):
        with open(log) as lines:
            for line in lines:
                fields = line.split()
                if len(fields) >= 3:
                    seconds[os.path.basename(fields[0])] = float(fields[1]) + float(fields[2])
    return seconds


def history(model):
    """First-epoch train total and KL, best validation total and its epoch."""
    with open(os.path.join(model, "history.tsv")) as table:
        rows = list(csv.DictReader(table, delimiter="\t"))
    best = min(rows, key=lambda row: float(row["validation_total"]))
    return {"loss1": float(rows[0]["train_total"]), "kl1": float(rows[0]["train_kl"]),
            "best_val": float(best["validation_total"]), "best_epoch": int(best["epoch"])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench/out/popgen-panel")
    parser.add_argument("--cpu-log", default="bench/out/popgen-panel/cpu.log")
    parser.add_argument("--tags", required=True, help="embed-flag tags A,B")
    parser.add_argument("--seeds", default="42,7")
    parser.add_argument("--scenarios", default=None, help="only these, comma-separated")
    args = parser.parse_args()
    first, second = args.tags.split(",")
    cpu = cpu_seconds(args.cpu_log)
    wanted = args.scenarios.split(",") if args.scenarios else None
    names = sorted({f[: -len(f"_{first}_s{s}.json")] for s in args.seeds.split(",")
                    for f in os.listdir(args.out) if f.endswith(f"_{first}_s{s}.json")})
    cells = []
    for name in (wanted or names):
        for seed in args.seeds.split(","):
            pair = []
            for tag in (first, second):
                stem = os.path.join(args.out, f"{name}_{tag}_s{seed}")
                if not os.path.exists(stem + ".json"):
                    break
                with open(stem + ".json") as kept:
                    cell = json.load(kept)
                cell.update(history(stem + "_model"))
                cell["cpu"] = cpu.get(os.path.basename(stem) + ".tsv", float("nan"))
                pair.append(cell)
            if len(pair) == 2:
                # the model's own objective, relative to A's: comparable across sets
                pair[0]["best_val_pct"] = 0.0
                pair[1]["best_val_pct"] = 100 * (pair[1]["best_val"] / pair[0]["best_val"] - 1)
            if len(pair) == 2:
                cells.append((name, seed, pair[0], pair[1]))
    if not cells:
        sys.exit("no cells found for both tags")
    print(f"A = {first}, B = {second}\n")
    print("| scenario | seed | epochs A / B | CPU-s A / B | first-epoch loss A / B | "
          "best val A / B | kNN A / B | ARI A / B |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, seed, a, b in cells:
        flag = " **!**" if b["loss1"] > 2 * a["loss1"] else ""
        print(f"| {name} | {seed} | {a['epochs']} / {b['epochs']} | {a['cpu']:.1f} / "
              f"{b['cpu']:.1f} | {a['loss1']:,.0f} / {b['loss1']:,.0f}{flag} | "
              f"{a['best_val']:,.0f} / {b['best_val']:,.0f} | {a['knn']:.3f} / {b['knn']:.3f} | "
              f"{a['ari']:.3f} / {b['ari']:.3f} |")
    print()
    for key, title in (("knn", "15-NN"), ("ari", "k-means ARI"), ("epochs", "epochs"),
                       ("cpu", "CPU-s"), ("seconds", "wall s"),
                       ("best_val_pct", "best validation loss, % of A's")):
        a = np.array([c[2][key] for c in cells], dtype=float)
        b = np.array([c[3][key] for c in cells], dtype=float)
        low, high = bootstrap_interval(b - a)
        rel = f", {100 * (b.sum() / a.sum() - 1):+.1f}% of the total" if key in (
            "epochs", "cpu", "seconds") else ""
        print(f"- {title}: A {a.mean():.3f}, B {b.mean():.3f}, B - A {np.mean(b - a):+.3f} "
              f"(95% {low:+.3f} to {high:+.3f}); B >= A on {int((b >= a).sum())} of {len(a)}"
              f"{rel}")


if __name__ == "__main__":
    main()
