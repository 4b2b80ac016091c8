"""Opens a vaebio .h5ad output with the `anndata` package and checks it against the
expectations the Rust test wrote (crates/cli/tests/h5ad_output.rs).

    python read_h5ad.py OUTPUT.h5ad EXPECTED.json
"""
import json
import sys

import anndata
import numpy as np

adata = anndata.read_h5ad(sys.argv[1])
with open(sys.argv[2]) as handle:
    want = json.load(handle)

assert list(adata.obs_names) == want["obs_names"], "obs names"
assert list(adata.var_names) == want["var_names"], "var names"
x = adata.X.toarray() if hasattr(adata.X, "toarray") else np.asarray(adata.X)
assert x.dtype == np.float32, x.dtype
np.testing.assert_array_equal(x.astype(np.float64).ravel(), want["X"])
if want["latent"]:
    latent = adata.obsm["X_vaebio"]
    assert latent.dtype == np.float32 and latent.shape == x.shape, latent.shape
    np.testing.assert_array_equal(latent, x)
else:
    assert "X_vaebio" not in adata.obsm
assert list(adata.obs.columns) == list(want["obs"]), list(adata.obs.columns)
for column, values in want["obs"].items():
    assert [str(v) for v in adata.obs[column]] == values, column
for path, value in want["uns"].items():
    node = adata.uns["vaebio"]
    for key in path.split("/"):
        node = node[key]
    same = np.array_equal(node, value) if isinstance(node, np.ndarray) else node == value
    assert same, (path, node, value)
print(f"anndata {anndata.__version__} read {sys.argv[1]}: {adata.n_obs} x {adata.n_vars}")
