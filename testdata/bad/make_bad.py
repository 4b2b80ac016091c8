#!/usr/bin/env python3
"""Writes the bad-input corpus of testdata/bad/ (see README.md there for the table).

Every file is tiny and deterministic; run from the repository root:
    python3 testdata/bad/make_bad.py
The model-directory cases are derived from `model_ok/`, which vaebio itself wrote (see
README.md); the script reads it and does not rewrite it.
"""
import gzip
import io
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def put(name, data):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return buf.getvalue()


rng = random.Random(6)
garbage = bytes(rng.randrange(256) for _ in range(512))


def seq(n):
    return "".join(rng.choice("ACGT") for _ in range(n))


# ---- sequences
put("fasta_empty.fa", b"")
put("fasta_garbage.fa", garbage)
long_fa = "".join(f">c{i}\n{seq(300)}\n" for i in range(20))
put("fasta_truncated.fa.gz", gz(long_fa)[:400])
put("fasta_no_sequence.fa", f">c1\n{seq(200)}\n>c2\n>c3\n{seq(200)}\n")
put("fasta_duplicate_ids.fa", f">c1\n{seq(200)}\n>c2\n{seq(200)}\n>c1 again\n{seq(200)}\n")
put("fasta_non_utf8_name.fa", f">c1\n{seq(200)}\n".encode() + b">c\xff\xfe2\n" + seq(200).encode() + b"\n")
put("fasta_no_header.fa", f"{seq(60)}\n>c1\n{seq(200)}\n")
put("fasta_bad_residue.fa", f">c1\n{seq(100)}\n>c2\nACGT1234ACGT\n")
put("fastq_missing_quality.fq", f"@r1\n{seq(50)}\n+\n{'I' * 50}\n@r2\n{seq(50)}\n+\n")
put("fastq_quality_length.fq", f"@r1\n{seq(50)}\n+\n{'I' * 50}\n@r2\n{seq(50)}\n+\n{'I' * 20}\n")

# ---- alignments
aln = [("focus/1-30", "MKVLAAGIVGLLLAAQPAMAHHHHHHEFKL"),
       ("s2/1-30", "MKVLAAGIVGLLLA-QPAMAHHHHHHEFKL"),
       ("s3/1-30", "MRVLSAGIVGLLLAAQPAMAHHHHHHEFKL")]
put("msa_ragged.a2m", "".join(f">{n}\n{s}\n" for n, s in aln[:2]) + f">{aln[2][0]}\n{aln[2][1][:-4]}\n")
put("msa_empty.a2m", b"")
put("msa_garbage.a2m", garbage)
put("msa_no_sequence.a2m", f">{aln[0][0]}\n{aln[0][1]}\n>s2/1-30\n>{aln[2][0]}\n{aln[2][1]}\n")
put("msa_bad_residue.a2m", "".join(f">{n}\n{s}\n" for n, s in aln[:2]) + f">{aln[2][0]}\n{aln[2][1][:10]}12345{aln[2][1][15:]}\n")
# `score` mutation files, for model_msa_ok/ and crlf_family.a2m (the aln above, CRLF; focus 1-30;
# column 15 is a gap in 1 of 3 rows, so the default 0.3 --max-gap-frac drops it)
put("mutations_outside_focus.txt", "M1A\nK2R\nL31P\n")
put("mutations_wild_type.txt", "mutant\nM1A\nK2R:G3I\n")
put("mutations_gap_column.txt", "M1A\nK2R:A15C\n")

# ---- variants
vcf_head = ("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=10000>\n"
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
            '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\ts3\n")
gts = ["0/0", "0/1", "1/1"]


def site(pos, fmt="GT", samples=None):
    samples = samples or [rng.choice(gts) for _ in range(3)]
    return f"chr1\t{pos}\t.\tA\tG\t.\tPASS\t.\t{fmt}\t" + "\t".join(samples) + "\n"


good_sites = "".join(site(100 * i) for i in range(1, 7))
put("vcf_header_only.vcf", vcf_head)
put("vcf_no_gt.vcf", vcf_head + site(100) + site(200, "DP", ["10", "12", "8"]) + site(300))
put("vcf_mixed_ploidy.vcf", vcf_head + site(100) + site(200, "GT", ["0/1", "1", "0/0"]) + site(300))
put("vcf_ragged.vcf", vcf_head + site(100) + "chr1\t200\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1\n" + site(300))
put("vcf_bad_pos.vcf", vcf_head + site(100) + site("2x0") + site(300))
put("vcf_bad_gt.vcf", vcf_head + site(100) + site(200, "GT", ["0/1", "A/G", "0/0"]) + site(300))
put("vcf_no_chrom_line.vcf", vcf_head.split("#CHROM")[0] + good_sites)
put("vcf_duplicate_samples.vcf", vcf_head.replace("s2\ts3", "s1\ts3") + good_sites)
put("vcf_garbage.vcf", garbage)
with open(os.path.join(HERE, "..", "variants.vcf.gz"), "rb") as f:
    bgzf = f.read()
put("vcf_truncated_bgzf.vcf.gz", bgzf[: len(bgzf) // 2])
with open(os.path.join(HERE, "..", "variants.bcf"), "rb") as f:
    bcf = f.read()
put("bcf_truncated.bcf", bcf[: len(bcf) * 2 // 3])

# ---- delimited matrices (genes x cells)
cells = [f"cell{j}" for j in range(5)]


def matrix(rows, sep="\t", eol="\n"):
    lines = [sep.join(["gene"] + cells)] + [sep.join([g] + [str(v) for v in vals]) for g, vals in rows]
    return eol.join(lines) + eol


counts = [(f"g{i}", [rng.randrange(0, 9) for _ in cells]) for i in range(6)]
put("matrix_empty.tsv", b"")
put("matrix_header_only.tsv", matrix([]))
ragged = matrix(counts).splitlines(True)
ragged[3] = "\t".join(ragged[3].rstrip("\n").split("\t")[:-1]) + "\n"
put("matrix_ragged.tsv", "".join(ragged))


def with_value(row, col, value, sep="\t"):
    rows = [(g, list(v)) for g, v in counts]
    rows[row][1][col] = value
    return matrix(rows, sep)


put("matrix_non_numeric.tsv", with_value(2, 3, "abc"))
put("matrix_nan.tsv", with_value(1, 1, "NaN"))
put("matrix_inf.csv", with_value(4, 0, "inf", ","))
put("matrix_negative_counts.tsv", with_value(3, 2, "-2"))
put("matrix_fractional_counts.tsv", with_value(2, 4, "2.5"))
dup = [(g, v) for g, v in counts]
dup[4] = ("g1", dup[4][1])
put("matrix_duplicate_features.tsv", matrix(dup))
put("matrix_duplicate_cells.tsv", matrix(counts).replace("cell3", "cell1", 1))
put("matrix_truncated.tsv.gz", gz(matrix([(f"g{i}", [rng.randrange(0, 99) for _ in cells]) for i in range(200)]))[:300])
put("matrix_garbage.tsv", garbage)

# ---- 10x Matrix Market directories (3 genes x 4 cells)
features = "".join(f"ENSG{i}\tgene{i}\tGene Expression\n" for i in range(3))
barcodes = "".join(f"AAAC-{j}\n" for j in range(4))
entries = [(1, 1, 3), (2, 1, 1), (3, 2, 5), (1, 3, 2), (2, 4, 7)]


def mtx(dims=(3, 4), body=entries, banner="%%MatrixMarket matrix coordinate integer general\n", nnz=None):
    nnz = len(body) if nnz is None else nnz
    return banner + f"{dims[0]} {dims[1]} {nnz}\n" + "".join(f"{r} {c} {v}\n" for r, c, v in body)


def mtx_dir(name, matrix_text=None, feats=features, bars=barcodes):
    put(f"{name}/matrix.mtx", matrix_text if matrix_text is not None else mtx())
    if feats is not None:
        put(f"{name}/features.tsv", feats)
    if bars is not None:
        put(f"{name}/barcodes.tsv", bars)


mtx_dir("mtx_dims_features", mtx(dims=(4, 4)))
mtx_dir("mtx_dims_barcodes", bars=barcodes + "AAAC-4\n")
mtx_dir("mtx_entry_out_of_range", mtx(body=entries + [(3, 9, 1)]))
mtx_dir("mtx_no_banner", mtx(banner=""))
mtx_dir("mtx_missing_barcodes", bars=None)
mtx_dir("mtx_short_entries", mtx(nnz=9))
mtx_dir("mtx_negative_count", mtx(body=entries[:2] + [(3, 2, -5)] + entries[3:]))
# Found while writing the fuzz/ mtx target: the promised entry count was reserved up front.
mtx_dir("mtx_absurd_entry_count", mtx(nnz=2**64 - 1))
# A (feature, barcode) pair twice: next to each other (found while reading, with its line),
# and apart, out of Cell Ranger's order (found when the entries are sorted, by the pair).
mtx_dir("mtx_repeated_entry", mtx(body=entries + [(2, 4, 5)]))
mtx_dir("mtx_repeated_entry_apart", mtx(body=entries + [(1, 1, 5)]))

# ---- label / batch tables (ids of matrix_ok.tsv: cell0..cell4)
put("labels_no_match.tsv", "id\tbatch\n" + "".join(f"other{j}\tb{j % 2}\n" for j in range(5)))
put("labels_ragged.tsv", "id\tbatch\ncell0\tb0\ncell1\ncell2\tb1\n")
put("labels_duplicate_ids.tsv", "id\tbatch\n" + "".join(f"cell{j}\tb{j % 2}\n" for j in range(5)) + "cell2\tb1\n")
put("labels_empty.tsv", b"")

# ---- extra covariate tables (--covariates; ids of matrix_ok.tsv: cell0..cell4)
def covariates(rows, header="id\tdonor\tage\n"):
    return header + "".join("\t".join(row) + "\n" for row in rows)


good_covariates = [(f"cell{j}", f"d{j % 2}", f"{30 + 7 * j}") for j in range(5)]
put("covariates_ok.tsv", covariates(good_covariates))
put("covariates_nan.tsv", covariates(good_covariates[:3] + [("cell3", "d1", "NaN")] + good_covariates[4:]))
put("covariates_inf.tsv", covariates(good_covariates[:3] + [("cell3", "d1", "inf")] + good_covariates[4:]))
put("covariates_missing_category.tsv", covariates(good_covariates[:2] + [("cell2", "NA", "44")] + good_covariates[3:]))
put("covariates_missing_rows.tsv", covariates(good_covariates[:4]))
put("covariates_ragged.tsv", covariates(good_covariates[:1] + [("cell1", "d1")] + good_covariates[2:]))

# ---- must work: a valid matrix for the table cases, and CRLF variants of each text kind
put("matrix_ok.tsv", matrix(counts))
put("crlf_matrix.tsv", matrix(counts, eol="\r\n"))
put("crlf_matrix.csv", matrix(counts, sep=",", eol="\r\n"))
put("crlf_fasta.fa", "".join(f">c{i} some description\r\n{seq(60)}\r\n{seq(60)}\r\n" for i in range(4)))
put("crlf_reads.fq", "".join(f"@r{i}\r\n{seq(40)}\r\n+\r\n{'I' * 40}\r\n" for i in range(4)))
put("crlf_family.a2m", "".join(f">{n}\r\n{s}\r\n" for n, s in aln))
put("mutations_ok.txt", "mutant\nM1A\nK2R:V3I\n")  # for model_msa_ok/, trained on crlf_family.a2m
put("crlf_variants.vcf", (vcf_head + good_sites).replace("\n", "\r\n"))
put("crlf_labels.tsv", "id\tbatch\r\n" + "".join(f"cell{j}\tb{j % 2}\r\n" for j in range(5)))
mtx_dir("crlf_mtx", mtx().replace("\n", "\r\n"), features.replace("\n", "\r\n"), barcodes.replace("\n", "\r\n"))

# ---- model directories, derived from model_ok/ (written by
# `vaebio train --matrix testdata/bad/matrix_ok.tsv --epochs 2 --hidden 4 --latent-dim 2 -o testdata/bad/model_ok`)
with open(os.path.join(HERE, "model_ok", "config.json")) as f:
    config = f.read()
with open(os.path.join(HERE, "model_ok", "model.safetensors"), "rb") as f:
    weights = f.read()
put("model_missing_weights/config.json", config)
put("model_missing_config/model.safetensors", weights)
put("model_corrupt_weights/config.json", config)
put("model_corrupt_weights/model.safetensors", garbage)
put("model_truncated_weights/config.json", config)
put("model_truncated_weights/model.safetensors", weights[: len(weights) // 2])
put("model_future_version/config.json", config.replace('"version": 1,', '"version": 99,', 1))
put("model_future_version/model.safetensors", weights)
put("model_config_garbage/config.json", garbage)
put("model_config_garbage/model.safetensors", weights)
put("model_shape_mismatch/config.json", config.replace('"latent": 2,', '"latent": 3,', 1))
put("model_shape_mismatch/model.safetensors", weights)

# ---- alignment formats and genotype cases of issue 21 (no rng: the files above keep their bytes)
sto_rows = [(n, s) for n, s in aln[:3]]


def sto(blocks, rf=True, end="//\n"):
    """A Stockholm file with `blocks` column ranges of the first three rows of `aln`."""
    text = "# STOCKHOLM 1.0\n#=GF ID bad_case\n"
    for lo, hi in blocks:
        text += "\n" + "".join(f"{n:<12} {s[lo:hi]}\n" for n, s in sto_rows)
        if rf:
            text += f"{'#=GC RF':<12} {'x' * (hi - lo)}\n"
    return text + end


put("sto_no_terminator.sto", sto([(0, 15), (15, 30)], end=""))
put("sto_ragged.sto", sto([(0, 15), (15, 30)]).replace(sto_rows[1][1][15:30] + "\n", sto_rows[1][1][15:26] + "\n", 1))
put("sto_rf_length.sto", sto([(0, 15), (15, 30)]).replace("x" * 15 + "\n//", "x" * 12 + "\n//"))
put("sto_two_families.sto", sto([(0, 30)]) + sto([(0, 30)]))
put("sto_bad_row.sto", sto([(0, 30)]).replace(sto_rows[2][1], sto_rows[2][1][:10] + " " + sto_rows[2][1][10:], 1))
put("afa_ragged.afa", "".join(f">{n}\n{s.lower()}\n" for n, s in aln[:2]) + f">{aln[2][0]}\n{aln[2][1][:-4].lower()}\n")
put("msa_all_lower.a2m", "".join(f">{n}\n{s.lower()}\n" for n, s in aln))
gl_head = ("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=10000>\n"
           '##FORMAT=<ID=GL,Number=G,Type=Float,Description="Genotype likelihoods">\n'
           "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\ts3\n")
put("vcf_gl_only.vcf", gl_head + "".join(site(100 * i, "GL", ["-0.1,-1,-5", "-1,-0.1,-5", "-5,-1,-0.1"]) for i in range(1, 4)))

# ---- contig depths: --bam and --aemb (from ../bam/, which bench/make_bam.sh wrote)
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
with open(os.path.join(HERE, "..", "bam", "sample1.bam"), "rb") as f:
    bam = f.read()
put("bam_not_bam.bam", "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:genome1_contig1\tLN:3395\n")
put("bam_empty.bam", b"")
put("bam_truncated.bam", bam[:6000])
put("bam_truncated_record.bam", bam[:6000] + BGZF_EOF)
with open(os.path.join(HERE, "..", "bam", "edge_cases.bam"), "rb") as f:
    put("bam_missing_contig.bam", f.read())
with open(os.path.join(HERE, "..", "bam", "aemb", "sample1.tsv")) as f:
    aemb = f.read().splitlines(keepends=True)
put("aemb_ragged.tsv", "".join(aemb[:2]) + aemb[2].rstrip("\n") + "\t7\n" + "".join(aemb[3:]))
put("aemb_nan.tsv", aemb[0] + aemb[1].split("\t")[0] + "\tnan\n" + "".join(aemb[2:]))
put("aemb_negative.tsv", "".join(aemb[:3]) + aemb[3].split("\t")[0] + "\t-0.5\n" + "".join(aemb[4:]))
put("aemb_unknown_contig.tsv", "".join(line.replace("genome", "bin") for line in aemb))
put("aemb_non_utf8.tsv", aemb[0].encode() + b"genome\xff1_contig2\t0.5\n" + "".join(aemb[2:]).encode())
put("aemb_empty.tsv", b"")


def bgzf_block(data):
    """One BGZF block (gzip member with the BC extra field) holding `data` (< 64 KiB)."""
    import struct
    import zlib
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = packer.compress(data) + packer.flush()
    head = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00"
    size = len(head) + 2 + len(body) + 8
    return head + struct.pack("<H", size - 1) + body + struct.pack("<II", zlib.crc32(data), len(data))


def bam_header(contigs):
    """An alignment-free BAM: header text and reference list of `(name, length)` pairs."""
    import struct
    text = b"@HD\tVN:1.6\tSO:coordinate\n"
    refs = b"".join(struct.pack("<I", len(n) + 1) + n.encode() + b"\0" + struct.pack("<I", l) for n, l in contigs)
    return bgzf_block(b"BAM\1" + struct.pack("<I", len(text)) + text + struct.pack("<I", len(contigs)) + refs) + BGZF_EOF


fa_lengths = []
for line in open(os.path.join(HERE, "..", "contigs.fa")):
    if line.startswith(">"):
        fa_lengths.append([line[1:].split()[0], 0])
    else:
        fa_lengths[-1][1] += len(line.strip())
fa_lengths[0][1] += 5  # genome1_contig1: 3400 bp in the header, 3395 in contigs.fa
put("bam_length_mismatch.bam", bam_header(fa_lengths))
