"""Write a large cells x genes count matrix as a 10x MTX directory and an AnnData .h5ad,
for the memory benchmark bench/scale_memory.sh (issue 19).

Counts are negative-binomial (gamma-Poisson, theta 2) around log-normal gene means, with
ten cell types that each shift 10% of the genes and a log-normal library size per cell;
about 28% of the entries are non-zero (~57 million at 100,000 x 2,000), as in the issue's
measurement. Generated a block of cells at a time, so the generator's own memory stays
small at a million cells. Seeded: same arguments, same files.

    bench/.venv/bin/python bench/make_scale_counts.py --cells 100000 --genes 2000 \
        --seed 19 --out bench/out/scale_100k

writes OUT/counts_10x/{matrix.mtx,features.tsv,barcodes.tsv} (Cell Ranger order: sorted
by barcode, genes ascending within) and OUT/counts.h5ad (X = CSR float32, anndata's
on-disk layout written with h5py, uncompressed); --h5ad-only skips the MTX text, most of
the time at a million cells. --torch-device cuda draws the counts with PyTorch on that
device (same model, another random stream): a million cells in seconds on the GPU machine,
where the benchmark data must be made (bench/gpu/atlas.sh).
"""
import argparse
import os

import h5py
import numpy as np

BLOCK = 20_000  # cells generated at a time


def cell_blocks(args):
    """Yields (first cell, CSR indptr, indices, values) per block of cells."""
    rng = np.random.default_rng(args.seed)
    gene_mean = rng.lognormal(mean=-1.4, sigma=1.3, size=args.genes)
    n_types = 10
    shift = np.ones((n_types, args.genes))
    for t in range(n_types):
        genes = rng.choice(args.genes, size=args.genes // 10, replace=False)
        shift[t, genes] = rng.lognormal(mean=0.0, sigma=1.0, size=genes.size)
    theta = 2.0
    for start in range(0, args.cells, BLOCK):
        n = min(BLOCK, args.cells - start)
        types = rng.integers(0, n_types, size=n)
        library = rng.lognormal(mean=0.0, sigma=0.4, size=n)
        mean = library[:, None] * gene_mean[None, :] * shift[types]
        counts = rng.poisson(rng.gamma(theta, mean / theta)).astype(np.float32)
        rows, cols = np.nonzero(counts)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        yield start, indptr, cols.astype(np.int32), counts[rows, cols]


def cell_blocks_torch(args):
    """cell_blocks' model drawn by PyTorch on args.torch_device, in blocks of 100,000 cells."""
    import torch
    device = torch.device(args.torch_device)
    torch.manual_seed(args.seed)  # _standard_gamma draws from the default generator
    gen = torch.Generator(device=device).manual_seed(args.seed)
    genes, n_types, theta, block = args.genes, 10, 2.0, 100_000
    normal = lambda *shape: torch.randn(*shape, generator=gen, device=device)
    gene_mean = torch.exp(-1.4 + 1.3 * normal(genes))
    shift = torch.ones(n_types, genes, device=device)
    for t in range(n_types):
        chosen = torch.randperm(genes, generator=gen, device=device)[: genes // 10]
        shift[t, chosen] = torch.exp(normal(chosen.numel()))
    for start in range(0, args.cells, block):
        n = min(block, args.cells - start)
        types = torch.randint(0, n_types, (n,), generator=gen, device=device)
        library = torch.exp(0.4 * normal(n))
        mean = library[:, None] * gene_mean[None, :] * shift[types]
        rate = torch._standard_gamma(torch.full_like(mean, theta)) * mean / theta
        counts = torch.poisson(rate, generator=gen).to_sparse_csr()
        yield (start, counts.crow_indices().cpu().numpy(),
               counts.col_indices().to(torch.int32).cpu().numpy(),
               counts.values().to(torch.float32).cpu().numpy())


def write_strings(group, name, values):
    dataset = group.create_dataset(name, data=np.array(values, dtype=object),
                                   dtype=h5py.string_dtype())
    dataset.attrs["encoding-type"] = "string-array"
    dataset.attrs["encoding-version"] = "0.2.0"


def write_frame(h5, name, index):
    group = h5.create_group(name)
    group.attrs["encoding-type"] = "dataframe"
    group.attrs["encoding-version"] = "0.2.0"
    group.attrs["_index"] = "_index"
    group.attrs["column-order"] = np.array([], dtype=object).astype(h5py.string_dtype())
    write_strings(group, "_index", index)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--genes", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--out", required=True)
    parser.add_argument("--h5ad-only", action="store_true",
                        help="skip the MTX directory (its text is most of the time at 1M cells)")
    parser.add_argument("--torch-device", help="draw the counts with PyTorch on this device")
    args = parser.parse_args()
    tenx = os.path.join(args.out, "counts_10x")
    os.makedirs(tenx, exist_ok=True)
    genes = [f"gene_{g}" for g in range(args.genes)]
    barcodes = [f"cell_{c}" for c in range(args.cells)]
    with open(os.path.join(tenx, "features.tsv"), "w") as out:
        out.writelines(f"ENSG{g:08d}\t{name}\tGene Expression\n" for g, name in enumerate(genes))
    with open(os.path.join(tenx, "barcodes.tsv"), "w") as out:
        out.writelines(f"{b}\n" for b in barcodes)

    blocks = cell_blocks_torch if args.torch_device else cell_blocks
    with h5py.File(os.path.join(args.out, "counts.h5ad"), "w") as h5:
        h5.attrs["encoding-type"] = "anndata"
        h5.attrs["encoding-version"] = "0.1.0"
        write_frame(h5, "obs", barcodes)
        write_frame(h5, "var", genes)
        x = h5.create_group("X")
        x.attrs["encoding-type"] = "csr_matrix"
        x.attrs["encoding-version"] = "0.1.0"
        x.attrs["shape"] = np.array([args.cells, args.genes], dtype=np.int64)
        data = x.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32,
                                chunks=(1 << 20,))
        indices = x.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32,
                                   chunks=(1 << 20,))
        pointers = [np.zeros(1, dtype=np.int64)]
        body = os.path.join(tenx, "matrix.body")
        stored = 0
        with open(body, "w") as mtx:
            for start, indptr, cols, values in blocks(args):
                n = values.size
                data.resize((stored + n,))
                data[stored:] = values
                indices.resize((stored + n,))
                indices[stored:] = cols
                pointers.append(indptr[1:] + stored)
                stored += n
                print(f"cells {start + indptr.size - 1}: {stored} stored values", flush=True)
                if args.h5ad_only:
                    continue
                cells = np.repeat(np.arange(start + 1, start + indptr.size), np.diff(indptr))
                lines = np.char.add(np.char.add(np.char.add(np.char.add(
                    (cols + 1).astype(str), " "), cells.astype(str)), " "),
                    values.astype(np.int64).astype(str))
                mtx.write("\n".join(lines.tolist()))
                mtx.write("\n")
        x.create_dataset("indptr", data=np.concatenate(pointers))
    if args.h5ad_only:
        os.remove(body)
    else:
        write_mtx(tenx, args, stored, body)
    print(f"{args.cells} cells x {args.genes} genes, {stored} stored values "
          f"({stored / args.cells / args.genes:.1%})")


def write_mtx(tenx, args, stored, body):
    with open(os.path.join(tenx, "matrix.mtx"), "w") as mtx:
        mtx.write("%%MatrixMarket matrix coordinate integer general\n")
        mtx.write(f"{args.genes} {args.cells} {stored}\n")
        with open(body) as source:
            while chunk := source.read(1 << 24):
                mtx.write(chunk)
    os.remove(body)


if __name__ == "__main__":
    main()
