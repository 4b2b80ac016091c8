#!/usr/bin/env bash
# VCF parsing: vaebio-io (VCF -> u8 dosage matrix) vs `bcftools query -f '[%GT\t]\n'` on the
# same bgzipped VCF (and the same data as BCF). Both single process, default threads.
#   bash bench/variants_vs_bcftools.sh [samples] [sites]
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-500}
sites=${2:-200000}
out=bench/out
mkdir -p "$out"
vcf=$out/cohort_${samples}x${sites}.vcf
if [ ! -f "$vcf.gz" ]; then
  python3 bench/make_vcf.py --samples "$samples" --sites "$sites" --out "$vcf"
  bgzip -k -f "$vcf"
  bcftools view -Ob -o "${vcf%.vcf}.bcf" "$vcf.gz"
fi
cargo build --release -q -p vaebio-io --example matrix_timing
timer=target/release/examples/matrix_timing
for file in "$vcf.gz" "${vcf%.vcf}.bcf" "$vcf"; do
  echo "== $file ($(du -h "$file" | cut -f1))"
  for run in 1 2 3; do
    /usr/bin/time -f "%e s wall, %M KB max RSS" -o "$out/time.txt" \
      bcftools query -f '[%GT\t]\n' "$file" > /dev/null
    echo "bcftools query: $(cat "$out/time.txt")"
    /usr/bin/time -f "%e s wall, %M KB max RSS" -o "$out/time.txt" \
      "$timer" vcf "$file" > "$out/vaebio.txt" 2>/dev/null
    echo "vaebio-io:      $(cat "$out/time.txt")  [$(cat "$out/vaebio.txt")]"
  done
done
