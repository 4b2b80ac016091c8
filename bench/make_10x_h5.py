"""Write the 10x Genomics HDF5 (.h5) fixtures of testdata/ and testdata/bad/ with h5py, in
Cell Ranger's layouts (fixed-width `S` strings, gzip-compressed datasets, CSC by barcode).

    python3 -m venv bench/.venv && bench/.venv/bin/pip install h5py numpy
    bench/.venv/bin/python bench/make_10x_h5.py
    bench/.venv/bin/python bench/make_10x_h5.py --large OUT.h5 CELLS GENES DENSITY   (bench)

testdata/ (the counts of testdata/counts.tsv and the ids of testdata/counts_10x/features.tsv.gz):
  counts_10x.h5       Cell Ranger >= 3 layout, every feature "Gene Expression"
  multiome_10x.h5     the same genes plus 12 "Peaks" features interleaved (as a multiome
                      file mixes them), the peaks with their own counts
  counts_10x_v2.h5    Cell Ranger 2 layout, one genome group "GRCh38"
testdata/bad/: small (5 barcodes x 4 genes) files for the table of testdata/bad/README.md.

`--large` writes the Cell Ranger >= 3 file of bench/tenx_h5_speed.sh: each (cell, gene) is
stored with probability DENSITY, its count 1 + Poisson(2) (seeded).
"""
import gzip
import os
import sys

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TESTDATA = os.path.join(ROOT, "testdata")
BAD = os.path.join(TESTDATA, "bad")
GZIP = {"compression": "gzip", "compression_opts": 4, "shuffle": True}


def read_counts():
    """genes x cells int counts, gene ids/names from the 10x directory, cell barcodes."""
    with open(os.path.join(TESTDATA, "counts.tsv")) as table:
        cells = table.readline().rstrip("\n").split("\t")[1:]
        rows = [line.rstrip("\n").split("\t") for line in table]
    counts = np.array([[int(v) for v in row[1:]] for row in rows], dtype=np.int32)
    with gzip.open(os.path.join(TESTDATA, "counts_10x", "features.tsv.gz"), "rt") as features:
        listed = [line.rstrip("\n").split("\t") for line in features]
    ids = [fields[0] for fields in listed]
    names = [fields[1] for fields in listed]
    assert names == [row[0] for row in rows]
    return counts, ids, names, cells


def csc_by_barcode(counts):
    """features x barcodes dense -> (data, indices, indptr) compressed by barcode (column)."""
    data, indices, indptr = [], [], [0]
    for barcode in range(counts.shape[1]):
        rows = np.nonzero(counts[:, barcode])[0]
        indices.extend(rows.tolist())
        data.extend(counts[rows, barcode].tolist())
        indptr.append(len(indices))
    return (
        np.array(data, dtype=np.int32),
        np.array(indices, dtype=np.int64),
        np.array(indptr, dtype=np.int64),
    )


def strings(values):
    return np.array([v.encode() if isinstance(v, str) else v for v in values], dtype="S")


def write_matrix_datasets(group, csc, barcodes):
    """`csc` = (data, indices, indptr) compressed by barcode; shape is features x barcodes."""
    data, indices, indptr = csc
    group.create_dataset("barcodes", data=strings(barcodes), **GZIP)
    group.create_dataset("data", data=data, **GZIP)
    group.create_dataset("indices", data=indices, **GZIP)
    group.create_dataset("indptr", data=indptr, **GZIP)


def write_v3(path, counts, ids, names, types, barcodes, csc=None):
    """Cell Ranger >= 3: /matrix/{barcodes,data,indices,indptr,shape,features/...}; `csc`
    (data, indices, indptr) instead of dense `counts` for large files."""
    csc = csc if csc is not None else csc_by_barcode(counts)
    with h5py.File(path, "w") as out:
        out.attrs["filetype"] = "matrix"
        out.attrs["version"] = 2
        matrix = out.create_group("matrix")
        write_matrix_datasets(matrix, csc, barcodes)
        shape = np.array([len(ids), len(barcodes)], dtype=np.int32)
        matrix.create_dataset("shape", data=shape, **GZIP)
        features = matrix.create_group("features")
        features.create_dataset("_all_tag_keys", data=strings(["genome"]))
        features.create_dataset("id", data=strings(ids), **GZIP)
        features.create_dataset("name", data=strings(names), **GZIP)
        features.create_dataset("feature_type", data=strings(types), **GZIP)
        features.create_dataset("genome", data=strings(["GRCh38"] * len(ids)), **GZIP)


def write_v2(path, genomes):
    """Cell Ranger 2: one /<genome>/{barcodes,data,indices,indptr,shape,genes,gene_names}."""
    with h5py.File(path, "w") as out:
        for genome, (counts, ids, names, barcodes) in genomes.items():
            group = out.create_group(genome)
            write_matrix_datasets(group, csc_by_barcode(counts), barcodes)
            shape = np.array(counts.shape, dtype=np.int32)
            group.create_dataset("shape", data=shape, **GZIP)
            group.create_dataset("genes", data=strings(ids), **GZIP)
            group.create_dataset("gene_names", data=strings(names), **GZIP)


def multiome(counts, ids, names):
    """Interleave 12 peaks (their own counts) among the genes, every fifth feature."""
    rng = np.random.default_rng(21)
    peaks = rng.poisson(0.8, size=(12, counts.shape[1])).astype(np.int32)
    rows, f_ids, f_names, f_types = [], [], [], []
    peak = 0
    for gene in range(counts.shape[0]):
        if gene % 5 == 2 and peak < len(peaks):
            region = f"chr1:{1000 * peak + 100}-{1000 * peak + 600}"
            rows.append(peaks[peak])
            f_ids.append(region)
            f_names.append(region)
            f_types.append("Peaks")
            peak += 1
        rows.append(counts[gene])
        f_ids.append(ids[gene])
        f_names.append(names[gene])
        f_types.append("Gene Expression")
    return np.array(rows, dtype=np.int32), f_ids, f_names, f_types


def write_bad():
    counts = np.array(
        [[1, 0, 3, 0, 2], [0, 4, 0, 1, 0], [5, 0, 0, 0, 1], [0, 2, 1, 0, 0]], dtype=np.int32
    )  # 4 genes x 5 barcodes
    ids = [f"ENSG{i}" for i in range(4)]
    names = [f"g{i}" for i in range(4)]
    types = ["Gene Expression"] * 4
    barcodes = [f"AAAC-{i}" for i in range(5)]
    bad = lambda name: os.path.join(BAD, name)
    write_v3(bad("tenx_ok.h5"), counts, ids, names, types, barcodes)
    with open(bad("tenx_not_hdf5.h5"), "w") as out:
        out.write("gene\tcell_0\ng0\t1\n")
    whole = open(bad("tenx_ok.h5"), "rb").read()
    with open(bad("tenx_truncated.h5"), "wb") as out:
        out.write(whole[: len(whole) // 2])
    write_v3(bad("tenx_missing_indptr.h5"), counts, ids, names, types, barcodes)
    with h5py.File(bad("tenx_missing_indptr.h5"), "a") as out:
        del out["matrix/indptr"]
    _, _, indptr = csc_by_barcode(counts)
    write_v3(bad("tenx_indptr_short.h5"), counts, ids, names, types, barcodes)
    with h5py.File(bad("tenx_indptr_short.h5"), "a") as out:
        del out["matrix/indptr"]
        out["matrix"].create_dataset("indptr", data=indptr[:-1], **GZIP)
    write_v3(bad("tenx_shape_mismatch.h5"), counts, ids, names, types, barcodes)
    with h5py.File(bad("tenx_shape_mismatch.h5"), "a") as out:
        out["matrix/shape"][...] = np.array([4, 6], dtype=np.int32)
    bytes_barcodes = [b.encode() for b in barcodes]
    bytes_barcodes[2] = b"AA\xffC-2"
    write_v3(bad("tenx_non_utf8_barcode.h5"), counts, ids, names, types, bytes_barcodes)
    write_v2(
        bad("tenx_two_genomes.h5"),
        {"GRCh38": (counts, ids, names, barcodes), "mm10": (counts, ids, names, barcodes)},
    )


def main():
    counts, ids, names, cells = read_counts()
    write_v3(
        os.path.join(TESTDATA, "counts_10x.h5"),
        counts, ids, names, ["Gene Expression"] * len(ids), cells,
    )
    rows, f_ids, f_names, f_types = multiome(counts, ids, names)
    write_v3(os.path.join(TESTDATA, "multiome_10x.h5"), rows, f_ids, f_names, f_types, cells)
    write_v2(os.path.join(TESTDATA, "counts_10x_v2.h5"), {"GRCh38": (counts, ids, names, cells)})
    write_bad()


def write_large(path, n_cells, n_genes, density):
    rng = np.random.default_rng(5)
    data, indices, indptr = [], [], [np.zeros(1, dtype=np.int64)]
    stored = 0
    for start in range(0, n_cells, 10000):
        block = rng.random((min(10000, n_cells - start), n_genes)) < density
        rows, cols = np.nonzero(block)
        indices.append(cols.astype(np.int64))
        data.append((1 + rng.poisson(2.0, size=len(cols))).astype(np.int32))
        indptr.append(stored + np.cumsum(block.sum(axis=1), dtype=np.int64))
        stored += len(cols)
    csc = (np.concatenate(data), np.concatenate(indices), np.concatenate(indptr))
    ids = [f"ENSG{i:011d}" for i in range(n_genes)]
    names = [f"gene_{i}" for i in range(n_genes)]
    barcodes = [f"{i:016d}-1" for i in range(n_cells)]
    write_v3(path, None, ids, names, ["Gene Expression"] * n_genes, barcodes, csc)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--large":
        write_large(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        main()
