#!/usr/bin/env bash
# Contig depths from a BAM: vaebio (`featurize --fasta --bam`, which also computes TNF)
# against jgi_summarize_bam_contig_depths (MetaBAT 2.15) and `samtools depth -a` (1.16.1):
# wall time and peak RSS (/usr/bin/time -v), and how far vaebio's depths are from jgi's.
#
#   bash bench/bam_depth.sh [READS] [CONTIGS]     # default 2000000 reads, 100 contigs
#
# Data: CONTIGS contigs of ~50 kb (bench/make_contigs.py, 5 genomes); READS single-end 150 bp
# reads drawn from them with per-genome depths, ~1% substitutions (one read in ten ~5%), and
# written directly as perfect-placement SAM (CIGAR 150M, NM = substitutions; no mapper, so
# generation stays fast), then BAM sorted by samtools (jgi needs sorted input). Work files in
# bench/out/bam_depth/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
reads=${1:-2000000}
contigs=${2:-100}
work=bench/out/bam_depth
mkdir -p "$work"
vaebio=target/release/vaebio
[ -x "$vaebio" ] || cargo build --release -p vaebio

per_genome=$((contigs / 5))
python3 bench/make_contigs.py --genomes 5 --contigs "$per_genome" --length 50000 --seed 11 \
    --labels "$work/labels.tsv" > "$work/contigs.fa"
python3 - "$work/contigs.fa" "$reads" > "$work/reads.sam" <<'PY'
import random, sys
rng = random.Random(5)
seqs, name = {}, None
for line in open(sys.argv[1]):
    if line.startswith(">"):
        name = line[1:].split()[0]; seqs[name] = []
    else:
        seqs[name].append(line.strip())
seqs = {k: "".join(v) for k, v in seqs.items()}
names = list(seqs)
weight = {g: rng.uniform(1, 10) for g in {n.split("_")[0] for n in names}}
w = [weight[n.split("_")[0]] * len(seqs[n]) for n in names]
out = sys.stdout
out.write("@HD\tVN:1.6\tSO:unsorted\n")
out.writelines(f"@SQ\tSN:{n}\tLN:{len(seqs[n])}\n" for n in names)
alt = {"A": "C", "C": "G", "G": "T", "T": "A"}
n = int(sys.argv[2])
picks = rng.choices(range(len(names)), weights=w, k=n)
# Substitutions per read: Poisson(1.5) (1% of 150 bases); every tenth read 4..11 (5% on
# average: most of those fall below jgi's 97% identity).
subs = rng.choices(range(6), weights=[0.223, 0.335, 0.251, 0.126, 0.047, 0.018], k=n)
for i, c in enumerate(picks):
    seq = seqs[names[c]]
    start = rng.randrange(0, len(seq) - 150)
    read = list(seq[start:start + 150])
    n_sub = subs[i] if i % 10 else rng.randrange(4, 12)
    for p in rng.sample(range(150), n_sub):
        read[p] = alt.get(read[p], "A")
    out.write(f"r{i}\t0\t{names[c]}\t{start + 1}\t60\t150M\t*\t0\t0\t{''.join(read)}\t*\tNM:i:{n_sub}\n")
PY
samtools sort -@ 2 --no-PG -o "$work/sample.bam" "$work/reads.sam"
rm "$work/reads.sam"
ls -l "$work/sample.bam"

measure() { # label command...
    local label=$1; shift
    /usr/bin/time -v "$@" 2> "$work/$label.time" > /dev/null
    awk -v l="$label" -F': ' '/Elapsed \(wall clock\)/ {t=$2} /Maximum resident/ {m=$2}
        END {printf "%-10s wall %s  peak RSS %.0f MB\n", l, t, m / 1024}' "$work/$label.time"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
measure vaebio "$vaebio" featurize --fasta "$work/contigs.fa" --bam "$work/sample.bam" \
    --min-length 0 -q -o "$work/features.tsv"
measure vaebio-tnf "$vaebio" featurize --fasta "$work/contigs.fa" --min-length 0 -q -o "$work/tnf.tsv"
measure jgi jgi_summarize_bam_contig_depths --outputDepth "$work/jgi.txt" "$work/sample.bam"
measure samtools samtools depth -a "$work/sample.bam"

# vaebio's depths against jgi's: with one sample the last feature column is
# ln(10^6 * depth / sum of depths), so exp(it) / 10^6 is each contig's share of the total
# depth, compared with the same share from jgi's column.
python3 - "$work" <<'PY'
import math, sys
work = sys.argv[1]
jgi = {l.split("\t")[0]: float(l.split("\t")[3]) for l in list(open(f"{work}/jgi.txt"))[1:]}
total = sum(jgi.values())
lines = open(f"{work}/features.tsv").read().splitlines()[1:]
ours = {l.split("\t")[0]: math.exp(float(l.split("\t")[-1])) / 1e6 for l in lines}
worst = max(abs(ours[c] - jgi[c] / total) / (jgi[c] / total) for c in jgi)
print(f"{len(jgi)} contigs, jgi mean depth {total / len(jgi):.2f}; "
      f"largest relative difference of vaebio's depth shares from jgi's: {worst:.2e}")
PY
