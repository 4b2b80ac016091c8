"""Write a genes x cells count TSV as a 10x Matrix Market directory (gzip), as Cell Ranger 3 does.

    python bench/counts_to_10x.py testdata/counts.tsv testdata/counts_10x
"""
import gzip
import os
import sys


def main():
    source, target = sys.argv[1], sys.argv[2]
    os.makedirs(target, exist_ok=True)
    with open(source) as table:
        cells = table.readline().rstrip("\n").split("\t")[1:]
        genes, entries = [], []
        for i, line in enumerate(table):
            fields = line.rstrip("\n").split("\t")
            genes.append(fields[0])
            for j, value in enumerate(fields[1:]):
                if value != "0":
                    entries.append((j, i, value))
    entries.sort()  # Cell Ranger writes column (barcode) major
    with gzip.GzipFile(os.path.join(target, "matrix.mtx.gz"), "wb", mtime=0) as out:
        out.write(b"%%MatrixMarket matrix coordinate integer general\n")
        out.write(b'%metadata_json: {"software_version": "synthetic"}\n')
        out.write(f"{len(genes)} {len(cells)} {len(entries)}\n".encode())
        for j, i, value in entries:
            out.write(f"{i + 1} {j + 1} {value}\n".encode())
    with gzip.GzipFile(os.path.join(target, "features.tsv.gz"), "wb", mtime=0) as out:
        for i, gene in enumerate(genes):
            out.write(f"ENSG{i:011d}\t{gene}\tGene Expression\n".encode())
    with gzip.GzipFile(os.path.join(target, "barcodes.tsv.gz"), "wb", mtime=0) as out:
        for cell in cells:
            out.write(f"{cell}\n".encode())


if __name__ == "__main__":
    main()
