"""Train vaebio's scVI-default VAE in PyTorch and print samples per second.

Same architecture, loss and optimiser as `vaebio-model` with
`VaeConfig::new(genes, Likelihood::NegativeBinomial)` and `TrainConfig` defaults:
encoder log1p(x) -> Linear(genes, 128) -> BatchNorm1d(momentum 0.01, eps 1e-3) -> ReLU ->
Dropout(0.1) -> two Linear(128, 10) heads (mean, log-variance); z = mean + exp(logvar / 2) * eps;
decoder Linear(10, 128) -> BatchNorm1d -> ReLU -> Linear(128, genes) -> softmax * library size;
per-gene dispersion theta = exp(px_r); loss = mean over rows of (-NB log-likelihood as scVI's
log_nb_positive + KL); AdamW(lr 1e-3, eps 0.01, weight decay 1e-6); batch 128; every row
trains (no validation split).

    python bench/torch_vae.py --counts bench/out/counts.f32 --genes 1000 --threads 1

The counts file is raw little-endian float32, cells x genes row-major (written by
`cargo run --release -p vaebio-model --example train_speed -- --write-counts PATH`).
"""
import argparse
import time

import numpy as np
import torch
from torch import nn


def log_nb_positive(x, mu, theta, eps=1e-8):
    """scvi-tools' NB log-likelihood, element-wise."""
    log_theta_mu_eps = torch.log(theta + mu + eps)
    return (
        theta * (torch.log(theta + eps) - log_theta_mu_eps)
        + x * (torch.log(mu + eps) - log_theta_mu_eps)
        + torch.lgamma(x + theta)
        - torch.lgamma(theta)
        - torch.lgamma(x + 1)
    )


class Vae(nn.Module):
    def __init__(self, genes, hidden=128, latent=10, dropout=0.1):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(genes, hidden),
            nn.BatchNorm1d(hidden, momentum=0.01, eps=1e-3),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.mean = nn.Linear(hidden, latent)
        self.log_var = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden),
            nn.BatchNorm1d(hidden, momentum=0.01, eps=1e-3),
            nn.ReLU(),
            nn.Linear(hidden, genes),
        )
        self.px_r = nn.Parameter(torch.randn(genes))

    def loss(self, x):
        h = self.encoder(torch.log1p(x))
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        library = x.sum(1, keepdim=True)
        mu = torch.softmax(self.decoder(z), dim=-1) * library
        recon = -log_nb_positive(x, mu, torch.exp(self.px_r)).sum(1)
        kl = 0.5 * (mean.pow(2) + log_var.exp() - log_var - 1).sum(1)
        return (recon + kl).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", required=True)
    parser.add_argument("--genes", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    counts = torch.from_numpy(np.fromfile(args.counts, dtype="<f4").reshape(-1, args.genes))
    cells = counts.shape[0]
    model = Vae(args.genes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, eps=0.01, weight_decay=1e-6)
    model.train()

    def epoch():
        loss = None
        for idx in torch.randperm(cells).split(args.batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss = model.loss(counts[idx])
            loss.backward()
            optimizer.step()
        return loss.item()

    epoch()  # warm-up
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.epochs):
        last = epoch()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    print(
        f"pytorch samples/s: {cells * args.epochs / seconds:.0f} ({args.epochs} epochs, "
        f"{seconds * 1e3 / args.epochs:.1f} ms/epoch, threads {torch.get_num_threads()}, "
        f"samples per CPU-second {cells * args.epochs / cpu:.0f}, torch {torch.__version__}, "
        f"last loss {last:.2f})"
    )


if __name__ == "__main__":
    main()
