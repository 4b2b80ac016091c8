#!/usr/bin/env bash
# Five complete public genomes of distinct species, taken from Debian packages that ship them as
# example data (no other network access needed). Writes bench/out/contigs/genomes/<name>.fa.
#
#   genome                     package (Debian bookworm)            file inside the package
#   Escherichia coli K-12      ragout-examples 2.3-4                examples/E.Coli/references/MG1655-K12.fasta.gz
#   Helicobacter pylori G27    ragout-examples 2.3-4                examples/H.Pylori/references/G27.fasta.gz (NC_011333.1)
#   Staphylococcus aureus COL  ragout-examples 2.3-4                examples/S.Aureus/references/COL.fasta.gz (NC_002951.2)
#   Klebsiella pneumoniae      kleborate-examples 2.3.1-2           examples/data/Klebs_HS11286.fna.xz (chromosome CP003200.1 only)
#     HS11286
#   Streptococcus suis SC84    abacas-examples 1.3.1-9              SS_SC84.dna.gz
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/bench/out/contigs/genomes
work=$root/bench/out/contigs/debs
mkdir -p "$out" "$work"
cd "$work"
apt-get download ragout-examples=2.3-4 kleborate-examples=2.3.1-2 abacas-examples=1.3.1-9
for deb in ./*.deb; do dpkg-deb -x "$deb" x; done
doc=x/usr/share/doc
zcat "$doc/ragout/examples/E.Coli/references/MG1655-K12.fasta.gz" > "$out/ecoli_mg1655.fa"
zcat "$doc/ragout/examples/H.Pylori/references/G27.fasta.gz" > "$out/hpylori_g27.fa"
zcat "$doc/ragout/examples/S.Aureus/references/COL.fasta.gz" > "$out/saureus_col.fa"
# The first record is the chromosome; the six plasmids follow it.
xzcat "$doc/kleborate/examples/data/Klebs_HS11286.fna.xz" \
    | awk '/^>/ { n++ } n == 1' > "$out/kpneumoniae_hs11286.fa"
zcat "$doc/abacas-examples/SS_SC84.dna.gz" > "$out/ssuis_sc84.fa"
for f in "$out"/*.fa; do
    printf '%s\t%s bp\n' "$(basename "$f" .fa)" "$(grep -v '>' "$f" | tr -d '\n\r' | wc -c)"
done
