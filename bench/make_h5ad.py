"""Write the AnnData (.h5ad) fixtures of testdata/ and testdata/bad/ with the `anndata` package.

    python3 -m venv bench/.venv && bench/.venv/bin/pip install anndata
    bench/.venv/bin/python bench/make_h5ad.py

testdata/ (the counts of testdata/counts.tsv, genes x cells there, cells x genes here):
  counts.h5ad         X = CSR int64 counts, layers["counts"] = the same as CSC, obs with a
                      categorical `batch` and a string `note`, var with a bool
                      `highly_variable`; uncompressed
  counts_gzip.h5ad    the same, every dataset gzip-compressed
  counts_lognorm.h5ad X = dense float32 log1p(counts / library size * 1e4), as scanpy's
                      normalize_total + log1p leave it; the counts in layers["counts"] (CSC)
testdata/bad/: small (5 cells x 4 genes) files for the bad-input table of testdata/bad/README.md.
(`bench/.venv/bin/python -c 'import make_h5ad; make_h5ad.write_covariates()'` from bench/
writes only h5ad_covariates.h5ad.)
"""
import os

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TESTDATA = os.path.join(ROOT, "testdata")
BAD = os.path.join(TESTDATA, "bad")


def read_counts(path):
    table = pd.read_csv(path, sep="\t", index_col=0)
    return table.T  # cells x genes


def annotate(counts):
    n_cells, n_genes = counts.shape
    obs = pd.DataFrame(
        {
            "batch": pd.Categorical(["A" if i % 2 == 0 else "B" for i in range(n_cells)]),
            "note": [f"note_{i % 3}" for i in range(n_cells)],
        },
        index=list(counts.index),
    )
    variances = counts.var(axis=0).to_numpy()
    var = pd.DataFrame(
        {"highly_variable": variances >= np.median(variances)}, index=list(counts.columns)
    )
    return obs, var


def anndata_of(counts):
    obs, var = annotate(counts)
    values = counts.to_numpy().astype(np.int64)
    adata = ad.AnnData(X=sp.csr_matrix(values), obs=obs, var=var)
    adata.layers["counts"] = sp.csc_matrix(values)
    return adata


def lognorm(adata):
    counts = adata.layers["counts"].toarray().astype(np.float64)
    library = counts.sum(axis=1, keepdims=True)
    return np.log1p(counts / library * 1e4).astype(np.float32)


def main():
    counts = read_counts(os.path.join(TESTDATA, "counts.tsv"))
    adata = anndata_of(counts)
    adata.write_h5ad(os.path.join(TESTDATA, "counts.h5ad"))
    adata.write_h5ad(os.path.join(TESTDATA, "counts_gzip.h5ad"), compression="gzip")
    adata.X = lognorm(adata)
    adata.write_h5ad(os.path.join(TESTDATA, "counts_lognorm.h5ad"))
    write_bad()


def small():
    values = np.array(
        [[1, 0, 3, 0], [0, 2, 0, 1], [4, 0, 0, 2], [0, 1, 5, 0], [2, 3, 0, 1]], dtype=np.int64
    )
    counts = pd.DataFrame(
        values, index=[f"cell{i}" for i in range(5)], columns=[f"g{i}" for i in range(4)]
    )
    return anndata_of(counts)


def write_bad():
    small().write_h5ad(os.path.join(BAD, "h5ad_ok.h5ad"))
    for name in ["h5ad_missing_layer.h5ad", "h5ad_missing_obs_key.h5ad"]:
        small().write_h5ad(os.path.join(BAD, name))
    with open(os.path.join(BAD, "h5ad_not_hdf5.h5ad"), "w") as f:
        f.write("gene\tcell0\tcell1\ng1\t1\t2\n")
    whole = open(os.path.join(BAD, "h5ad_ok.h5ad"), "rb").read()
    with open(os.path.join(BAD, "h5ad_truncated.h5ad"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    # pandas' nullable Int64 is written as encoding 'nullable-integer', which the reader refuses.
    adata = small()
    adata.obs["donor"] = pd.array([1, 2, None, 1, 2], dtype="Int64")
    adata.write_h5ad(os.path.join(BAD, "h5ad_nullable_obs.h5ad"))
    # X's shape attribute says 6 cells; obs has 5.
    path = os.path.join(BAD, "h5ad_shape_mismatch.h5ad")
    small().write_h5ad(path)
    with h5py.File(path, "r+") as f:
        f["X"].attrs["shape"] = np.array([6, 4])
    # Log-normalised X (what scanpy leaves), the counts in layers["counts"].
    adata = small()
    adata.X = lognorm(adata)
    adata.write_h5ad(os.path.join(BAD, "h5ad_lognorm_x.h5ad"))
    write_covariates()


def write_covariates():
    """testdata/bad/h5ad_covariates.h5ad: `h5ad_ok.h5ad` with obs columns for the extra
    covariates: `age` float, `n_genes` int, `donor` categorical with a missing value (cell2),
    `age_nan` float with NaN (cell1)."""
    adata = small()
    adata.obs["age"] = np.array([30.0, 41.5, 52.0, 28.0, 35.0])
    adata.obs["n_genes"] = np.array([2, 2, 2, 3, 3], dtype=np.int64)
    adata.obs["donor"] = pd.Categorical(["d1", "d2", None, "d1", "d2"])
    adata.obs["age_nan"] = np.array([30.0, np.nan, 52.0, 28.0, 35.0])
    adata.write_h5ad(os.path.join(BAD, "h5ad_covariates.h5ad"))


if __name__ == "__main__":
    main()
