#!/usr/bin/env bash
# Builds fuzz/corpus/<target>/ from testdata/ and testdata/bad/. Every target reads one
# options byte first, so each seed is the file with a 0x00 byte in front (plus, for the
# first few, the other option bytes). MTX seeds are matrix.mtx, features.tsv and
# barcodes.tsv joined by NUL bytes after the options byte (plain files only).
set -euo pipefail
cd "$(dirname "$0")"
testdata=../testdata
seed() { # target file prefix-byte
    local out=corpus/$1/$(basename "$2").$3
    { printf "\\x$3"; cat "$2"; } > "$out"
}
for target in fasta alignment stockholm vcf expression mtx h5ad bam_depth aemb tenx_h5; do mkdir -p "corpus/$target"; done
for f in $testdata/*.fa $testdata/*.fa.gz $testdata/*.fastq* $testdata/bad/fasta_* $testdata/bad/fastq_* \
         $testdata/bad/crlf_fasta.fa $testdata/bad/crlf_reads.fq; do
    for byte in 00 01 02 03; do seed fasta "$f" $byte; done
done
for f in $testdata/*.a2m $testdata/bad/msa_* $testdata/bad/crlf_family.a2m; do
    for byte in 00 01 02; do seed alignment "$f" $byte; done
done
for f in $testdata/*.sto $testdata/*.a2m $testdata/*.afa $testdata/bad/sto_* $testdata/bad/afa_*; do
    for byte in 00 01 02 03 04; do seed stockholm "$f" $byte; done
done
for f in $testdata/*.vcf $testdata/*.vcf.gz $testdata/*.bcf $testdata/bad/vcf_* $testdata/bad/bcf_* \
         $testdata/bad/crlf_variants.vcf; do
    for byte in 00 01 02 3c; do seed vcf "$f" $byte; done
done
for f in $testdata/counts*.tsv $testdata/counts.csv.gz $testdata/bad/matrix_* $testdata/bad/crlf_matrix.*; do
    for byte in 00 01 02 03; do seed expression "$f" $byte; done
done
for dir in $testdata/bad/mtx_* $testdata/bad/crlf_mtx; do
    [ -f "$dir/matrix.mtx" ] || continue
    features=$dir/features.tsv; [ -f "$features" ] || features=$dir/genes.tsv
    barcodes=$dir/barcodes.tsv
    for byte in 00 01; do
        { printf "\\x$byte"; cat "$dir/matrix.mtx"; printf '\0'; cat "$features" 2>/dev/null || true;
          printf '\0'; cat "$barcodes" 2>/dev/null || true; } > "corpus/mtx/$(basename "$dir").$byte"
    done
done
# The committed 10x directory is gzip; its decompressed text is a seed too.
dir=$testdata/counts_10x
{ printf '\x00'; gzip -dc "$dir/matrix.mtx.gz"; printf '\0'; gzip -dc "$dir"/features.tsv.gz; printf '\0';
  gzip -dc "$dir/barcodes.tsv.gz"; } > corpus/mtx/counts_10x.00
for f in $testdata/*.h5ad $testdata/bad/h5ad_*; do
    for byte in 00 01 02 03; do seed h5ad "$f" $byte; done
done
for f in $testdata/bam/*.bam $testdata/bad/bam_*; do
    for byte in 00 01 02 04 08; do seed bam_depth "$f" $byte; done
done
for f in $testdata/bam/aemb/*.tsv $testdata/bad/aemb_*; do seed aemb "$f" 00; done
for f in $testdata/*.h5 $testdata/bad/tenx_*; do
    for byte in 00 01 02 04 08; do seed tenx_h5 "$f" $byte; done
done
for target in fasta alignment stockholm vcf expression mtx h5ad bam_depth aemb tenx_h5; do echo "$target: $(ls corpus/$target | wc -l) seeds"; done
