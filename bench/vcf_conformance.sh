#!/usr/bin/env bash
# Every valid, GT-bearing VCF of the hts-specs conformance suite (test/vcf/*/passed/) plus
# htslib's test/vcf44_1.vcf through `vaebio featurize --vcf` (issue 21, point 2). Prints one
# line per file that fails and the counts; a failure should only ever be "no site passed the
# filters" (files without a biallelic SNP).
#
#   bench/vcf_conformance.sh HTS_SPECS_DIR [HTSLIB_DIR]
#
# The directories are git checkouts (or bare clones) of github.com/samtools/hts-specs and
# github.com/samtools/htslib; files are read from their HEAD commit.
set -euo pipefail
cd "$(dirname "$0")/.."
specs=$1
htslib=${2:-}
cargo build --release -q -p vaebio
bin=$PWD/target/release/vaebio
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$specs" ls-tree -r --name-only HEAD test/vcf | grep '/passed/.*\.vcf$' | while read -r f; do
  git -C "$specs" show "HEAD:$f" > "$work/$(cut -d/ -f3 <<<"$f")_$(basename "$f")"
done
[ -n "$htslib" ] && git -C "$htslib" show HEAD:test/vcf44_1.vcf > "$work/htslib_vcf44_1.vcf"
echo "hts-specs $(git -C "$specs" rev-parse --short HEAD)${htslib:+, htslib $(git -C "$htslib" rev-parse --short HEAD)}"
total=0 gt=0 loaded=0
for f in "$work"/*.vcf; do
  total=$((total + 1))
  # GT-bearing: some data line has GT among its FORMAT keys
  awk -F'\t' '!/^#/ && NF >= 10 && $9 ~ /(^|:)GT(:|$)/ { found = 1; exit } END { exit !found }' "$f" || continue
  gt=$((gt + 1))
  if out=$("$bin" featurize --vcf "$f" -o "$work/out.tsv" --quiet 2>&1); then
    loaded=$((loaded + 1))
  else
    echo "$(basename "$f"): $out"
  fi
done
echo "valid files $total, GT-bearing $gt, loaded $loaded, failed $((gt - loaded))"
