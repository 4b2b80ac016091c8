"""Write the `--backed` fixtures from committed ones, with h5py and numpy only.

    bench/.venv/bin/python bench/make_backed_h5ad.py

testdata/counts_csr_layer.h5ad  testdata/counts_gzip.h5ad with the counts in a CSR
    layers["counts"] (uncompressed, chunks of 64 entries, so rows straddle chunks: read by
    byte range) and a gzip CSR float32 X = log1p(counts / library size * 1e4), so reading X
    instead of the layer shows
testdata/bad/h5ad_backed_cut.h5ad  testdata/counts.h5ad rewritten with X/data last,
    cut in the middle of X/data and the superblock's end-of-file address set to the new
    length, so the file opens and the read of the later cells' values fails
"""
import os
import shutil
import struct

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TESTDATA = os.path.join(ROOT, "testdata")


def write_csr(group, name, indptr, indices, data, shape, **options):
    if name in group:
        del group[name]
    csr = group.create_group(name)
    csr.attrs["encoding-type"] = "csr_matrix"
    csr.attrs["encoding-version"] = "0.1.0"
    csr.attrs["shape"] = np.array(shape, dtype=np.int64)
    csr.create_dataset("indptr", data=indptr)
    csr.create_dataset("indices", data=indices, **options)
    csr.create_dataset("data", data=data, **options)


def csr_layer():
    path = os.path.join(TESTDATA, "counts_csr_layer.h5ad")
    shutil.copyfile(os.path.join(TESTDATA, "counts_gzip.h5ad"), path)
    with h5py.File(path, "r+") as h5:
        x = h5["X"]
        shape = tuple(x.attrs["shape"])
        indptr, indices, counts = x["indptr"][:], x["indices"][:], x["data"][:]
        chunked = {"chunks": (64,)}
        write_csr(h5["layers"], "counts", indptr, indices, counts, shape, **chunked)
        library = np.add.reduceat(counts.astype(np.float64), indptr[:-1])
        rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
        lognorm = np.log1p(counts / library[rows] * 1e4).astype(np.float32)
        write_csr(h5, "X", indptr, indices, lognorm, shape, compression="gzip")
    repack(path)


def repack(path):
    """Copies every object into a fresh file, so the deleted datasets leave no dead space."""
    packed = path + ".tmp"
    with h5py.File(path, "r") as source, h5py.File(packed, "w") as target:
        for key, value in source.attrs.items():
            target.attrs[key] = value
        for name in source:
            source.copy(source[name], target, name=name)
    os.replace(packed, path)


def cut():
    # Large enough (578 int64 values) for HDF5 to place X/data at the end of the file rather
    # than in a block of small objects.
    source = os.path.join(TESTDATA, "counts.h5ad")
    path = os.path.join(TESTDATA, "bad", "h5ad_backed_cut.h5ad")
    # X/data written last, contiguous, so that cutting into it keeps every object header.
    with h5py.File(source, "r") as h5, h5py.File(path, "w") as out:
        for key, value in h5.attrs.items():
            out.attrs[key] = value
        for name in h5:
            if name != "X":
                h5.copy(h5[name], out, name=name)
        x = out.create_group("X")
        for key, value in h5["X"].attrs.items():
            x.attrs[key] = value
        for name in ["indptr", "indices"]:
            x.create_dataset(name, data=h5["X"][name][:])
        x.create_dataset("data", data=h5["X/data"][:])
    with h5py.File(path, "r") as h5:
        data = h5["X/data"]
        start, size = data.id.get_offset(), data.id.get_storage_size()
    whole = bytearray(open(path, "rb").read())
    assert start + size == len(whole), "X/data should end the file"
    end = start + size // 2
    assert whole[8] == 0, "superblock version 0 expected"
    # Version 0 superblock: the end-of-file address is the third 8-byte address, at 40.
    struct.pack_into("<Q", whole, 40, end)
    with open(path, "wb") as out:
        out.write(whole[:end])


if __name__ == "__main__":
    csr_layer()
    cut()
