#!/usr/bin/env python3
"""Single-cell recipe vs scvi-tools SCVI (issue 5, section 1).

Data from bench/singlecell/make_data.py (made if missing): `pbmc` (real PBMC counts, 10
FACS-derived cell types) and `sim2` (simulated, 6 cell types x 2 batches). For each data set
and seed, scvi-tools `SCVI` with default settings (bench/singlecell/scvi_ref.py; with
batch_key on sim2) and `vaebio embed` with its defaults (with `--batch` on sim2; also
without, to show the batch effect) see the same cells and genes, and so does plain PCA
(scanpy's standard normalize/log1p/scale pipeline, 10 components); every latent is scored by
`vaebio evaluate` (15-NN cell-type accuracy, k-means ARI, batch-mixing entropy). Then the
normalised expression of both tools is compared (`vaebio reconstruct` vs
`get_normalized_expression`), and on sim2 the batch-corrected expression
(`--transform-batch A` vs `transform_batch="A"`). Prints Markdown tables.

    bench/.venv/bin/python bench/singlecell/run.py --vaebio target/release/vaebio \
        --out bench/out/singlecell --seeds 0,1,2

Runs are cached in OUT/runs (`*.json` hold their times; delete them to re-run); vaebio runs
are keyed by `--tag`, so a changed recipe or binary can be compared against the same scVI
runs. Extra vaebio flags: `--flags '--epochs 200'`.
"""

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))


def evaluate(vaebio, latent, labels, batches=None):
    command = [vaebio, "evaluate", "--latent", latent, "--labels", labels, "--json"]
    if batches:
        command += ["--batch", batches]
    report = json.loads(subprocess.run(command, check=True, capture_output=True,
                                       text=True).stdout)
    return report["knn_accuracy"], report["kmeans_ari"], report.get("batch_mixing_entropy")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def read_matrix(path):
    return pd.read_csv(path, sep="\t", index_col=0)


def per_gene_correlation(a, b):
    """Median over genes of the Pearson correlation across cells of log(a) and log(b)."""
    la, lb = np.log(a.to_numpy() + 1e-8), np.log(b.loc[a.index, a.columns].to_numpy() + 1e-8)
    la, lb = la - la.mean(0), lb - lb.mean(0)
    r = (la * lb).sum(0) / np.sqrt((la * la).sum(0) * (lb * lb).sum(0))
    return float(np.nanmedian(r))


def batch_gap(expression, labels, batches):
    """RMS over (cell type, gene) of log(mean in batch B / mean in batch A): the batch effect
    left in an expression table (0 when the batches agree within each cell type)."""
    logs = []
    for cell_type in sorted(labels.unique()):
        in_type = labels == cell_type
        a = expression[(in_type & (batches == "A")).to_numpy()].mean(0)
        b = expression[(in_type & (batches == "B")).to_numpy()].mean(0)
        logs.append(np.log((b + 1e-8) / (a + 1e-8)))
    return float(np.sqrt(np.mean(np.square(logs))))


def truth_error(expression, labels, truth):
    """RMS over (cell type, gene) of log(mean expression share of the type's cells, both
    batches / the simulation's true share of that type in batch A): how far output decoded
    as batch A is from the truth (normalised counts carry batch B's effect and noise)."""
    logs = []
    for cell_type in sorted(labels.unique()):
        mean = expression[(labels == cell_type).to_numpy()].mean(0)
        logs.append(np.log((mean + 1e-8) / truth.loc[f"{cell_type}_A"].to_numpy()))
    return float(np.sqrt(np.mean(np.square(logs))))


def pca_latent(python, counts, path, n_comps=10):
    """scanpy's standard pipeline (normalize_total 1e4, log1p, scale clipped at 10, PCA) on the
    same cells and genes: the plain-PCA baseline. Deterministic; written once to `path`."""
    if os.path.exists(path):
        return
    script = f"""
import anndata, numpy as np, pandas as pd, scanpy as sc
counts = pd.read_csv({counts!r}, sep="\\t", index_col=0).T
adata = anndata.AnnData(counts.to_numpy(dtype=np.float32))
adata.obs_names = counts.index.astype(str)
sc.pp.normalize_total(adata, target_sum=1e4)
sc.pp.log1p(adata)
sc.pp.scale(adata, max_value=10)
sc.tl.pca(adata, n_comps={n_comps}, random_state=0)
frame = pd.DataFrame(adata.obsm["X_pca"], index=adata.obs_names,
                     columns=[f"PC{{i + 1}}" for i in range({n_comps})])
frame.index.name = "id"
frame.to_csv({path!r}, sep="\\t")
"""
    subprocess.run([python, "-c", script], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--out", default="bench/out/singlecell")
    parser.add_argument("--data", default="pbmc,sim2")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--tag", default="default", help="name of this vaebio configuration")
    parser.add_argument("--flags", default="", help="extra vaebio embed flags")
    parser.add_argument("--skip-scvi", action="store_true", help="vaebio only")
    args = parser.parse_args()

    out, runs = args.out, os.path.join(args.out, "runs")
    os.makedirs(runs, exist_ok=True)
    if not os.path.exists(os.path.join(out, "sim2.tsv")):
        subprocess.run([args.python, os.path.join(HERE, "make_data.py"), "--out", out],
                       check=True, stdout=sys.stderr)

    rows, expression_rows = [], []
    for data in args.data.split(","):
        counts, labels = os.path.join(out, f"{data}.tsv"), os.path.join(out, f"{data}_labels.tsv")
        batches = os.path.join(out, f"{data}_batches.tsv")
        batches = batches if os.path.exists(batches) else None
        label_series = pd.read_csv(labels, sep="\t", index_col=0).iloc[:, 0]
        batch_series = (pd.read_csv(batches, sep="\t", index_col=0, dtype=str).iloc[:, 0]
                        if batches else None)
        if not args.skip_scvi:
            pca = os.path.join(runs, f"{data}_pca10.tsv")
            pca_latent(args.python, counts, pca)
            rows.append((data, "PCA-10 (scanpy, scaled)", "-", 0, float("nan"), float("nan"),
                         *evaluate(args.vaebio, pca, labels, batches)))
        for seed in args.seeds.split(","):
            # scvi-tools, cached.
            scvi_prefix = os.path.join(runs, f"{data}_scvi_s{seed}")
            timing = scvi_prefix + ".json"
            if not args.skip_scvi and not os.path.exists(timing):
                command = [args.python, os.path.join(HERE, "scvi_ref.py"), counts,
                           "--seed", seed, "--prefix", scvi_prefix]
                if batches:
                    command += ["--batch", batches]
                result = subprocess.run(command, check=True, capture_output=True, text=True)
                with open(timing, "w") as f:
                    f.write(result.stdout.strip().splitlines()[-1])
            if os.path.exists(timing):
                with open(timing) as f:
                    info = json.load(f)
                name = "scVI (batch_key)" if batches else "scVI"
                rows.append((data, name, seed, info["epochs"], info["seconds"],
                             info.get("cpu_seconds", float("nan")),
                             *evaluate(args.vaebio, scvi_prefix + "_latent.tsv", labels,
                                       batches)))

            # vaebio, with and (on two-batch data) without the batch covariate.
            variants = [("--batch", ["--batch", batches])] if batches else []
            variants.append(("", []))
            for variant, batch_flags in variants:
                stem = os.path.join(runs, f"{data}_vaebio_{args.tag}{variant.replace('-', '_')}"
                                          f"_s{seed}")
                model = stem + "_model"
                command = [args.vaebio, "embed", "--matrix", counts, "-q", "--seed", seed,
                           *batch_flags, *shlex.split(args.flags), "-o", stem + ".tsv",
                           "--save-model", model]
                cached = stem + ".json"
                if not os.path.exists(cached):
                    start, cpu_start = time.time(), children_cpu()
                    subprocess.run(command, check=True)
                    seconds, cpu_seconds = time.time() - start, children_cpu() - cpu_start
                    with open(os.path.join(model, "history.tsv")) as history:
                        epochs = sum(1 for _ in history) - 1
                    with open(cached, "w") as f:
                        json.dump({"seconds": seconds, "cpu_seconds": cpu_seconds,
                                   "epochs": epochs, "command": command}, f)
                with open(cached) as f:
                    info = json.load(f)
                seconds, cpu_seconds, epochs = info["seconds"], info["cpu_seconds"], info["epochs"]
                name = f"vaebio {args.tag} {variant}".strip()
                rows.append((data, name, seed, epochs, seconds, cpu_seconds,
                             *evaluate(args.vaebio, stem + ".tsv", labels, batches)))
                print(rows[-1], file=sys.stderr, flush=True)
                if variant == "" and batches:
                    continue
                if not os.path.exists(scvi_prefix + "_norm.tsv"):
                    continue
                # Normalised (and batch-corrected) expression against scVI's.
                norm = stem + "_norm.tsv"
                subprocess.run([args.vaebio, "reconstruct", "--model", model, "--matrix",
                                counts, "-q", *batch_flags, "-o", norm], check=True)
                ours, theirs = read_matrix(norm), read_matrix(scvi_prefix + "_norm.tsv")
                record = {"data": data, "seed": seed,
                          "norm_r": per_gene_correlation(ours, theirs)}
                first_seed = args.seeds.split(",")[0]
                first_scvi = os.path.join(runs, f"{data}_scvi_s{first_seed}_norm.tsv")
                if first_scvi != scvi_prefix + "_norm.tsv":
                    # How far two scVI runs (other seeds) agree: the ceiling for norm_r.
                    record["scvi_seed_r"] = per_gene_correlation(theirs, read_matrix(first_scvi))
                if batches:
                    corrected = stem + "_norm_A.tsv"
                    subprocess.run([args.vaebio, "reconstruct", "--model", model, "--matrix",
                                    counts, "-q", *batch_flags, "--transform-batch", "A",
                                    "-o", corrected], check=True)
                    ours_a = read_matrix(corrected)
                    theirs_a = read_matrix(scvi_prefix + "_norm_A.tsv").loc[ours_a.index]
                    raw = read_matrix(counts).T.loc[ours.index]
                    raw = raw.div(raw.sum(1), axis=0)
                    labels_in = label_series.loc[ours.index]
                    batches_in = batch_series.loc[ours.index]
                    truth = read_matrix(os.path.join(out, f"{data}_truth.tsv"))[ours.columns]
                    record["corrected_r"] = per_gene_correlation(ours_a, theirs_a)
                    if first_scvi != scvi_prefix + "_norm.tsv":
                        record["scvi_seed_corrected_r"] = per_gene_correlation(
                            theirs_a, read_matrix(first_scvi.replace("_norm", "_norm_A")))
                    for key, table in (("raw", raw), ("vaebio", ours),
                                       ("vaebio_A", ours_a),
                                       ("scvi", theirs.loc[ours.index]), ("scvi_A", theirs_a)):
                        record["gap_" + key] = batch_gap(table.to_numpy(), labels_in,
                                                         batches_in)
                        if key in ("raw", "vaebio_A", "scvi_A"):
                            record["truth_" + key] = truth_error(table.to_numpy(), labels_in,
                                                                 truth)
                expression_rows.append(record)
                print(record, file=sys.stderr, flush=True)

    print("| data | tool | seed | epochs | wall s | CPU s | 15-NN acc | k-means ARI | "
          "batch mixing |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for data, name, seed, epochs, seconds, cpu_seconds, knn, ari, mixing in rows:
        # + 0.0 turns PCA's -0.0 mixing (no neighbour from the other batch) into 0.000.
        mixing = "" if mixing is None else f"{mixing + 0.0:.3f}"
        timing = ("| | | " if np.isnan(seconds) else
                  f"| {epochs} | {seconds:.0f} | {cpu_seconds:.0f} ")
        print(f"| {data} | {name} | {seed} {timing}| {knn:.3f} | {ari:.3f} | {mixing} |")
    if expression_rows:
        print()
        columns = [
            ("normalised r", "norm_r"), ("scVI–scVI r", "scvi_seed_r"),
            ("corrected r", "corrected_r"), ("scVI–scVI corrected r", "scvi_seed_corrected_r"),
            ("gap counts", "gap_raw"), ("gap vaebio", "gap_vaebio"),
            ("gap vaebio →A", "gap_vaebio_A"), ("gap scVI", "gap_scvi"),
            ("gap scVI →A", "gap_scvi_A"), ("truth err counts", "truth_raw"),
            ("truth err vaebio →A", "truth_vaebio_A"), ("truth err scVI →A", "truth_scvi_A"),
        ]
        print("| data | seed | " + " | ".join(title for title, _ in columns) + " |")
        print("| --- | --- |" + " --- |" * len(columns))
        for r in expression_rows:
            cells = [f"{r[key]:.3f}" if key in r else "" for _, key in columns]
            print(f"| {r['data']} | {r['seed']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
