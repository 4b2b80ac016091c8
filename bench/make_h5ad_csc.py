"""Write testdata/bad/h5ad_csc.h5ad: testdata/bad/h5ad_ok.h5ad (5 cells x 4 genes) with three
more csc_matrix layers of its X counts, for the CSC -> CSR reader (issue 19):

  unsorted      the same counts, cells in decreasing order within each gene (scipy allows
                unsorted indices; must read equal to X)
  repeated      gene g1 stores cell3 twice (its cell4 entry moved to cell3)
  out_of_range  gene g3's last entry names cell index 5 (there are 5 cells)

h5py only (no anndata needed), deterministic:

    bench/.venv/bin/python bench/make_h5ad_csc.py
"""
import os
import shutil

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BAD = os.path.join(HERE, "..", "testdata", "bad")


def csc(h5):
    """X (CSR) as per-gene lists of (cell, count)."""
    x = h5["X"]
    indptr, indices, data = x["indptr"][:], x["indices"][:], x["data"][:]
    n_cells, n_genes = (int(n) for n in x.attrs["shape"])
    genes = [[] for _ in range(n_genes)]
    for cell in range(n_cells):
        for at in range(indptr[cell], indptr[cell + 1]):
            genes[indices[at]].append((cell, int(data[at])))
    return (n_cells, n_genes), genes


def write_layer(layers, name, shape, genes):
    group = layers.create_group(name)
    group.attrs["encoding-type"] = "csc_matrix"
    group.attrs["encoding-version"] = "0.1.0"
    group.attrs["shape"] = np.array(shape, dtype=np.int64)
    indptr = np.cumsum([0] + [len(gene) for gene in genes]).astype(np.int64)
    group.create_dataset("indptr", data=indptr)
    group.create_dataset("indices", data=np.array([c for g in genes for c, _ in g], dtype=np.int32))
    group.create_dataset("data", data=np.array([v for g in genes for _, v in g], dtype=np.int64))


def main():
    path = os.path.join(BAD, "h5ad_csc.h5ad")
    shutil.copyfile(os.path.join(BAD, "h5ad_ok.h5ad"), path)
    with h5py.File(path, "r+") as h5:
        shape, genes = csc(h5)
        layers = h5["layers"]
        write_layer(layers, "unsorted", shape, [sorted(g, reverse=True) for g in genes])
        repeated = [list(g) for g in genes]
        assert repeated[1][-1][0] == 4
        repeated[1][-1] = (3, repeated[1][-1][1])
        write_layer(layers, "repeated", shape, repeated)
        out_of_range = [list(g) for g in genes]
        out_of_range[3][-1] = (shape[0], out_of_range[3][-1][1])
        write_layer(layers, "out_of_range", shape, out_of_range)


if __name__ == "__main__":
    main()
