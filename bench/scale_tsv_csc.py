"""Rewrite the CSR counts.h5ad that bench/make_scale_counts.py made as the two layouts the
TSV and CSC rows of bench/scale_memory.sh read (issue 19): OUT/counts.tsv, genes x cells
(the table reader's default orientation, so it is transposed while read), and
OUT/counts_csc.h5ad, the same AnnData with X stored as a csc_matrix (converted to CSR while
read). Same counts, so the stored values and bytes per value compare across rows.

    bench/.venv/bin/python bench/scale_tsv_csc.py bench/out/scale_50000x2000 [--no-tsv]
"""
import argparse
import os
import shutil

import h5py
import numpy as np


def read_csr(path):
    with h5py.File(path, "r") as h5:
        x = h5["X"]
        shape = tuple(int(n) for n in x.attrs["shape"])
        return shape, x["indptr"][:], x["indices"][:], x["data"][:]


def write_tsv(path, shape, indptr, indices, data):
    n_cells, n_genes = shape
    dense = np.zeros((n_cells, n_genes), dtype=np.uint32)
    rows = np.repeat(np.arange(n_cells), np.diff(indptr))
    dense[rows, indices] = data.astype(np.uint32)
    del rows
    with open(path, "w") as out:
        out.write("gene\t" + "\t".join(f"cell_{c}" for c in range(n_cells)) + "\n")
        for gene in range(n_genes):
            out.write(f"gene_{gene}\t" + "\t".join(map(str, dense[:, gene].tolist())) + "\n")


def write_csc(source, path, shape, indptr, indices, data):
    n_cells, n_genes = shape
    rows = np.repeat(np.arange(n_cells, dtype=np.int32), np.diff(indptr))
    order = np.argsort(indices, kind="stable")  # cells ascending within each gene
    col_ptr = np.zeros(n_genes + 1, dtype=np.int64)
    np.cumsum(np.bincount(indices, minlength=n_genes), out=col_ptr[1:])
    shutil.copyfile(source, path)
    with h5py.File(path, "r+") as h5:
        del h5["X"]
        x = h5.create_group("X")
        x.attrs["encoding-type"] = "csc_matrix"
        x.attrs["encoding-version"] = "0.1.0"
        x.attrs["shape"] = np.array(shape, dtype=np.int64)
        x.create_dataset("data", data=data[order], chunks=(1 << 20,))
        x.create_dataset("indices", data=rows[order], chunks=(1 << 20,))
        x.create_dataset("indptr", data=col_ptr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", help="a bench/make_scale_counts.py output directory")
    parser.add_argument("--no-tsv", action="store_true", help="only the CSC .h5ad")
    args = parser.parse_args()
    source = os.path.join(args.dir, "counts.h5ad")
    shape, indptr, indices, data = read_csr(source)
    if not args.no_tsv:
        write_tsv(os.path.join(args.dir, "counts.tsv"), shape, indptr, indices, data)
    write_csc(source, os.path.join(args.dir, "counts_csc.h5ad"), shape, indptr, indices, data)


if __name__ == "__main__":
    main()
