"""vaebio's scVI-default NB-VAE in PyTorch on a GPU, from an .h5ad: seconds per epoch and
cells per second at a given batch size, for issue 20's atlas comparison (bench/gpu/atlas.sh).

The network, loss and optimiser are bench/torch_vae.py's (the same as vaebio's defaults). The
counts go to the GPU once, dense (1,000,000 x 2,000 float32 is 8 GB), and each minibatch is
an index into them: PyTorch's fastest plain form, with no host transfer per step. Every row
trains (no validation split); the first epoch is a warm-up and is not timed.

    python3 bench/gpu/torch_atlas.py --h5ad counts.h5ad --batch-size 1024 --epochs 3
"""
import argparse
import os
import sys
import time

import h5py
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from torch_vae import Vae  # noqa: E402


def read_counts(path, device):
    """X of an .h5ad written as CSR (anndata's on-disk layout), dense on `device`."""
    with h5py.File(path, "r") as h5:
        x = h5["X"]
        shape = tuple(int(n) for n in x.attrs["shape"])
        crow = torch.from_numpy(x["indptr"][:].astype("int64"))
        col = torch.from_numpy(x["indices"][:].astype("int64"))
        values = torch.from_numpy(x["data"][:])
    csr = torch.sparse_csr_tensor(crow, col, values, size=shape).to(device)
    return csr.to_dense()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--h5ad", required=True)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    torch.manual_seed(0)
    device = torch.device(args.device)
    start = time.perf_counter()
    counts = read_counts(args.h5ad, device)
    cells, genes = counts.shape
    print(f"read {cells} x {genes} to {device} in {time.perf_counter() - start:.1f} s", flush=True)
    model = Vae(genes).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, eps=0.01, weight_decay=1e-6)
    model.train()

    def epoch():
        loss = None
        for idx in torch.randperm(cells, device=device).split(args.batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss = model.loss(counts[idx])
            loss.backward()
            optimizer.step()
        return loss.item()  # the one host synchronisation, at the end of the epoch

    epoch()  # warm-up
    times = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        last = epoch()
        times.append(time.perf_counter() - start)
    median = sorted(times)[len(times) // 2]
    print(
        f"pytorch {device} batch {args.batch_size}: median epoch {median:.2f} s "
        f"({', '.join(f'{t:.2f}' for t in times)}), {cells / median:,.0f} cells/s, "
        f"torch {torch.__version__}, last loss {last:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
