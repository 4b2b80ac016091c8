"""Regenerates the small sequence test inputs in testdata/ (seeded, numpy only).

    python3 bench/make_seq_testdata.py

- testdata/contigs4.fa.gz: the first 4 records of testdata/contigs.fa, 60-column lines,
  CRLF line ends, gzip (mtime 0).
- testdata/reads.fastq and reads.fastq.gz: 24 reads of 100 bp sampled from
  testdata/contigs.fa (both strands, 1% substitutions, a few N), Phred+33 qualities.
- testdata/family.a2m: a synthetic protein family in A2M, 50 sequences; the focus
  SYNTH_HUMAN/5-127 (120 aligned residues and a 3-residue insertion) and homologues drawn from a few clades by
  substitution, with deletions ('-'), insertions (lower case, '.' padding in other rows),
  N-terminal fragments and a few X residues, so every filter of vaebio-io has work.
"""

import gzip
import io

import numpy as np

AA = "ACDEFGHIKLMNPQRSTVWY"
rng = np.random.default_rng(2026)


def read_fasta(path):
    records, name, seq = [], None, []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith(">"):
            if name:
                records.append((name, "".join(seq)))
            name, seq = line[1:], []
        else:
            seq.append(line)
    records.append((name, "".join(seq)))
    return records


def gzip_bytes(data):
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as out:
        out.write(data)
    return buffer.getvalue()


def contigs4(records):
    text = ""
    for name, seq in records[:4]:
        text += f">{name}\r\n" + "".join(seq[i : i + 60] + "\r\n" for i in range(0, len(seq), 60))
    open("testdata/contigs4.fa.gz", "wb").write(gzip_bytes(text.encode()))


def reads(records):
    comp = str.maketrans("ACGT", "TGCA")
    out = []
    for i in range(24):
        name, seq = records[rng.integers(len(records))]
        start = rng.integers(0, len(seq) - 100)
        read = list(seq[start : start + 100])
        if rng.random() < 0.5:
            read = list("".join(read).translate(comp)[::-1])
        for j in range(100):
            if rng.random() < 0.01:
                read[j] = "ACGT"[rng.integers(4)]
        if i % 6 == 5:
            read[rng.integers(100)] = "N"
        qual = "".join(chr(33 + int(q)) for q in np.clip(rng.normal(35, 4, 100), 2, 41))
        out.append(f"@read{i + 1} {name.split()[0]}:{start + 1}\n{''.join(read)}\n+\n{qual}\n")
    text = "".join(out).encode()
    open("testdata/reads.fastq", "wb").write(text)
    open("testdata/reads.fastq.gz", "wb").write(gzip_bytes(text))


def family():
    length = 120
    focus = [AA[i] for i in rng.integers(0, 20, length)]
    clades = []
    for _ in range(5):
        clade = list(focus)
        for j in rng.choice(length, 25, replace=False):
            clade[j] = AA[rng.integers(20)]
        clades.append(clade)
    insert_after = {30: 3, 77: 2}  # insertion columns after these focus columns
    rows = [("SYNTH_HUMAN/5-127", focus, {30: "kad"})]
    for i in range(49):
        seq = list(clades[rng.integers(len(clades))])
        for j in range(length):
            if rng.random() < 0.08:
                seq[j] = AA[rng.integers(20)]
        if rng.random() < 0.3:  # deletion
            start = rng.integers(0, length - 10)
            width = int(rng.integers(3, 10))
            seq[start : start + width] = ["-"] * width
        if i % 12 == 3:  # N-terminal fragment (dropped by the 50% gap filter)
            seq[: int(length * 0.7)] = ["-"] * int(length * 0.7)
        if i % 16 == 7:
            seq[rng.integers(length)] = "X"
        if i % 20 == 19:  # a gappy column block shared by several rows
            seq[100:104] = ["-"] * 4
        inserts = {}
        for col, size in insert_after.items():
            if rng.random() < 0.4:
                inserts[col] = "".join(AA[k].lower() for k in rng.integers(0, 20, rng.integers(1, size + 1)))
        rows.append((f"UniRef100_SYN{i + 1:03d}/1-{length}", seq, inserts))
    lines = []
    for name, seq, inserts in rows:
        text = ""
        for j, residue in enumerate(seq):
            text += residue
            if j in insert_after:
                ins = inserts.get(j, "")
                text += ins + "." * (insert_after[j] - len(ins))
        lines.append(f">{name}\n" + "".join(text[k : k + 60] + "\n" for k in range(0, len(text), 60)))
    open("testdata/family.a2m", "w").write("".join(lines))


records = read_fasta("testdata/contigs.fa")
contigs4(records)
reads(records)
family()
