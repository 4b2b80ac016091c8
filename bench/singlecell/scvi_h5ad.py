#!/usr/bin/env python3
"""scvi-tools end to end on an .h5ad of counts: read, `setup_anndata`, `SCVI` with default settings,
`train(max_epochs=E)`, `get_latent_representation`, write the latent as TSV (id, z1..z10).

The reference side of bench/scvi_speed.sh (issue 19: one epoch of 100k x 2,000 end to end).
Prints one JSON line with the wall and CPU seconds of each step.

    python bench/singlecell/scvi_h5ad.py counts.h5ad --epochs 1 --threads 2 --out latent.tsv
"""

import argparse
import json
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("h5ad")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="latent TSV to write")
    args = parser.parse_args()

    steps = {}
    start = time.time()
    cpu = time.process_time()

    def mark(name):
        nonlocal start, cpu
        steps[name] = {"wall": round(time.time() - start, 2),
                       "cpu": round(time.process_time() - cpu, 2)}
        start, cpu = time.time(), time.process_time()

    import anndata
    import numpy as np
    import scvi
    import torch

    torch.set_num_threads(args.threads)
    scvi.settings.seed = args.seed
    scvi.settings.dl_num_workers = 0
    mark("import")
    adata = anndata.read_h5ad(args.h5ad)
    mark("read")
    scvi.model.SCVI.setup_anndata(adata)
    model = scvi.model.SCVI(adata)
    mark("setup")
    model.train(max_epochs=args.epochs, enable_progress_bar=False)
    mark("train")
    latent = model.get_latent_representation()
    mark("encode")
    header = "id\t" + "\t".join(f"z{i + 1}" for i in range(latent.shape[1]))
    np.savetxt(args.out, np.column_stack([adata.obs_names.to_numpy(), latent]), fmt="%s",
               delimiter="\t", header=header, comments="")
    mark("write")
    print(json.dumps({"scvi": scvi.__version__, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "cells": adata.n_obs,
                      "genes": adata.n_vars, "epochs": args.epochs, "steps": steps}))


if __name__ == "__main__":
    main()
