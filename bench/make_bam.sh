#!/usr/bin/env bash
# BAM fixtures for the --bam depth reader, with jgi_summarize_bam_contig_depths' output for
# them as the expected values (MetaBAT 2.15, Debian package metabat 2.15-4; minimap2 2.24;
# samtools 1.16.1).
#
#   bash bench/make_bam.sh        # writes testdata/bam/*
#
# sample1.bam: reads of bench/make_bam.py (seed 1) mapped with minimap2 -ax sr, sorted.
# sample2.bam: the same for sample index 1 (seed 2), left in mapping order (unsorted);
#              jgi reads a sorted copy (it refuses unsorted files).
# edge_cases.bam: hand-written alignments for each rule (flags, identity, indels, =/X, a read
#              ending at the contig end, a contig shorter than 2 x 75 + 1).
# short_reads.bam: 60 bp reads, so that jgi trims less than 75 bases off a contig.
# *.jgi.txt:   jgi_summarize_bam_contig_depths --outputDepth for them.
# aemb/sample1.tsv, aemb/sample2.tsv: tables in strobealign --aemb's format (contig, mean
#              depth = aligned bases / length, %.6f) computed with samtools depth -a -Q 0
#              from the BAMs (strobealign is not packaged here; the format is what matters).
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/bam
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/aemb"

for i in 1 2; do
    python3 bench/make_bam.py testdata/contigs.fa $((i - 1)) "$i" > "$tmp/reads$i.fa"
    minimap2 -ax sr --secondary=no -t 1 testdata/contigs.fa "$tmp/reads$i.fa" 2>/dev/null \
        | grep -v '^@PG' \
        | samtools view -b --no-PG -o "$tmp/unsorted$i.bam" -
    samtools sort --no-PG -o "$tmp/sample$i.bam" "$tmp/unsorted$i.bam"
done
cp "$tmp/sample1.bam" "$out/sample1.bam"
cp "$tmp/unsorted2.bam" "$out/sample2.bam"
(cd "$tmp" && jgi_summarize_bam_contig_depths --outputDepth depth.txt sample1.bam sample2.bam 2>/dev/null)
cp "$tmp/depth.txt" "$out/samples.jgi.txt"

for i in 1 2; do
    samtools depth -a -Q 0 -g 0 "$tmp/sample$i.bam" | awk -v OFS='\t' '
        { sum[$1] += $3; len[$1]++; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
        END { for (i = 1; i <= n; i++) printf "%s\t%.6f\n", order[i], sum[order[i]] / len[order[i]] }' \
        > "$out/aemb/sample$i.tsv"
done

python3 - "$tmp" <<'PY'
import sys
lengths = {"c1": 1000, "c2": 120, "c3": 1000}
def rec(name, flag, contig, pos, cigar, seqlen, nm=0, mapq=60):
    return f"{name}\t{flag}\t{contig}\t{pos}\t{mapq}\t{cigar}\t*\t0\t0\t{'A' * seqlen or '*'}\t*\tNM:i:{nm}"
rows = [
    rec("plain1", 0, "c1", 1, "150M", 150), rec("plain2", 0, "c1", 101, "150M", 150),
    rec("plain3", 0, "c1", 851, "150M", 150),
    rec("secondary", 256, "c1", 301, "150M", 150), rec("supplementary", 2048, "c1", 311, "150M", 150),
    rec("duplicate", 1024, "c1", 321, "150M", 150), rec("qcfail", 512, "c1", 331, "150M", 150),
    rec("mapq0", 0, "c1", 341, "150M", 150, mapq=0),
    rec("del10", 0, "c1", 401, "70M10D80M", 150, nm=10), rec("del2", 0, "c1", 411, "70M2D80M", 150, nm=2),
    rec("ins2", 0, "c1", 421, "70M2I78M", 150, nm=2), rec("nm4", 0, "c1", 431, "150M", 150, nm=4),
    rec("nm5", 0, "c1", 441, "150M", 150, nm=5), rec("soft", 0, "c1", 451, "20S130M", 150),
    rec("eqx", 0, "c1", 461, "70=3X77=", 150, nm=3), rec("eqx6", 0, "c1", 471, "70=6X74=", 150, nm=6),
    rec("short1", 0, "c2", 1, "100M", 100), rec("short2", 0, "c2", 21, "100M", 100),
    rec("atend", 0, "c3", 901, "50M2D48M", 98, nm=2), rec("unmapped", 4, "*", 0, "*", 150),
]
rows.sort(key=lambda r: (r.split("\t")[2] == "*", r.split("\t")[2], int(r.split("\t")[3])))
# Short reads: jgi trims a contig by min(75, running average read length) when the
# alignments leave it; the record without a sequence first pulls that average below 75.
short = [rec("empty", 4, "*", 0, "*", 0), rec("a", 0, "c1", 1, "60M", 60), rec("b", 0, "c1", 41, "60M", 60),
         rec("c", 0, "c1", 500, "60M", 60), rec("d", 0, "c3", 1, "150M", 150), rec("e", 0, "c3", 400, "150M", 150)]
for name, records in (("edge_cases", rows), ("short_reads", short)):
    with open(f"{sys.argv[1]}/{name}.sam", "w") as f:
        f.write("@HD\tVN:1.6\tSO:coordinate\n")
        f.writelines(f"@SQ\tSN:{k}\tLN:{v}\n" for k, v in lengths.items())
        f.write("\n".join(records) + "\n")
PY
for name in edge_cases short_reads; do
    samtools view -b --no-PG -o "$out/$name.bam" "$tmp/$name.sam"
    (cd "$out" && jgi_summarize_bam_contig_depths --outputDepth "$name.jgi.txt" "$name.bam" 2>/dev/null)
done
ls -l "$out"
