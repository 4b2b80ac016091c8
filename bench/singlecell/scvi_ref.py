#!/usr/bin/env python3
"""The reference side: scvi-tools `SCVI` with default settings on a genes x cells count TSV.

Writes `<prefix>_latent.tsv` (id, z1..z10: the posterior means, `get_latent_representation`),
`<prefix>_norm.tsv` (cells x genes, `get_normalized_expression`, library size 1, averaged
over 25 posterior draws) and with a batch table `<prefix>_norm_<B>.tsv` for each batch B
(`transform_batch=B`). Prints one JSON line: wall and CPU seconds of setup + `train()`, epochs.

    bench/.venv/bin/python bench/singlecell/scvi_ref.py bench/out/singlecell/sim2.tsv \
        --batch bench/out/singlecell/sim2_batches.tsv --seed 0 --prefix bench/out/singlecell/sim2_scvi
"""

import argparse
import json
import time

import numpy as np
import pandas as pd


def write_matrix(path, ids, columns, values):
    frame = pd.DataFrame(values, index=ids, columns=columns)
    frame.index.name = "id"
    frame.to_csv(path, sep="\t", float_format="%.6g")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("counts", help="genes x cells TSV")
    parser.add_argument("--batch", help="id<TAB>batch table")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--gene-likelihood", help="SCVI's gene_likelihood (its default: zinb); "
                        "'nb' matches vaebio's default")
    parser.add_argument("--kl-warmup", type=int, help="n_epochs_kl_warmup of the training "
                        "plan (its default: 400); 200 is vaebio's half-of-training ramp")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (0: torch default). 1, like vaebio's default: on the "
                        "shared 2-core machine torch's 2 OpenMP threads ran ~25x slower")
    args = parser.parse_args()

    import anndata
    import scvi
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    counts = pd.read_csv(args.counts, sep="\t", index_col=0).T
    adata = anndata.AnnData(counts.to_numpy(dtype=np.float32))
    adata.obs_names = counts.index.astype(str)
    adata.var_names = counts.columns.astype(str)
    batch_key = None
    if args.batch:
        batches = pd.read_csv(args.batch, sep="\t", index_col=0, dtype=str)
        adata.obs["batch"] = batches.loc[adata.obs_names].iloc[:, 0].to_numpy()
        batch_key = "batch"

    scvi.settings.seed = args.seed
    start, cpu_start = time.time(), time.process_time()
    scvi.model.SCVI.setup_anndata(adata, batch_key=batch_key)
    model = scvi.model.SCVI(adata, **({"gene_likelihood": args.gene_likelihood}
                                      if args.gene_likelihood else {}))
    model.train(**({"plan_kwargs": {"n_epochs_kl_warmup": args.kl_warmup}}
                   if args.kl_warmup else {}))
    seconds, cpu_seconds = time.time() - start, time.process_time() - cpu_start
    epochs = len(model.history["elbo_train"])

    latent = model.get_latent_representation()
    write_matrix(args.prefix + "_latent.tsv", adata.obs_names,
                 [f"z{i + 1}" for i in range(latent.shape[1])], latent)
    norm = model.get_normalized_expression(n_samples=25, return_numpy=True)
    write_matrix(args.prefix + "_norm.tsv", adata.obs_names, adata.var_names, norm)
    if batch_key:
        for name in sorted(adata.obs["batch"].unique()):
            corrected = model.get_normalized_expression(
                transform_batch=name, n_samples=25, return_numpy=True)
            write_matrix(f"{args.prefix}_norm_{name}.tsv", adata.obs_names, adata.var_names,
                         corrected)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "epochs": epochs,
                      "threads": torch.get_num_threads(), "scvi": scvi.__version__}))


if __name__ == "__main__":
    main()
