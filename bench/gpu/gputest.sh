#!/bin/bash
# The cuda build of vaebio on the GPU machine: does it train, and how does it compare to the CPU?
# Run on the GPU machine from the repository root, with `.gpu/` carried: .gpu/vaebio.gz
# (bench/gpu/build_cuda.sh), .gpu/lib/ (libfontconfig.so.1, libfreetype.so.6, libpng16.so.16,
# libexpat.so.1, libbrotlidec.so.1, libbrotlicommon.so.1 from this VM: plotters links them and
# that image lacks them) and .gpu/data/ (bench/out/singlecell's pbmc and sim2 tables).
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$PWD/.gpu/lib:/usr/local/cuda/lib64; gunzip -c .gpu/vaebio.gz > /tmp/vaebio && chmod +x /tmp/vaebio; B=/tmp/vaebio; D=.gpu/data; T=testdata
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
ldd $B | grep -E "cuda|cublas|curand|nvrtc|not found"
TIMEFORMAT='  wall %R s, user %U s'
run() { echo "+ $*"; time "$@"; }
echo "== 1. README commands on cuda (small testdata)"
run $B embed --fasta $T/contigs.fa --device cuda -q -o $OUT/contigs_cuda.tsv
head -c 300 $OUT/contigs_cuda.tsv; echo
run $B embed --matrix $T/counts2batch.tsv --batch $T/counts2batch_batches.tsv --device cuda --epochs 30 -q -o /tmp/l.tsv --save-model /tmp/m
tail -n 2 /tmp/m/history.tsv
run $B encode --model /tmp/m --matrix $T/counts2batch.tsv --batch $T/counts2batch_batches.tsv --device cuda -q -o /tmp/e.tsv
run $B train --vcf $T/popgen2.vcf --device cuda --epochs 20 -q -o /tmp/mv
tail -n 1 /tmp/mv/history.tsv
run $B train --msa $T/family.a2m --device cuda --epochs 10 -q -o /tmp/mp
tail -n 1 /tmp/mp/history.tsv
echo "== 2. single-cell default on PBMC and sim2, cuda vs cpu (16 threads)"
for s in 0 1; do
  run $B embed --matrix $D/pbmc.tsv --seed $s --device cuda -q -o /tmp/pg$s.tsv
  $B evaluate --latent /tmp/pg$s.tsv --labels $D/pbmc_labels.tsv --json | tr -d '\n '; echo
done
run $B embed --matrix $D/pbmc.tsv --seed 0 --threads 16 -q -o /tmp/pc16.tsv
$B evaluate --latent /tmp/pc16.tsv --labels $D/pbmc_labels.tsv --json | tr -d '\n '; echo
run $B embed --matrix $D/sim2.tsv --batch $D/sim2_batches.tsv --seed 0 --device cuda -q -o /tmp/sg.tsv
$B evaluate --latent /tmp/sg.tsv --labels $D/sim2_labels.tsv --batch $D/sim2_batches.tsv --json | tr -d '\n '; echo
run $B embed --matrix $D/sim2.tsv --batch $D/sim2_batches.tsv --seed 0 --threads 16 -q -o /tmp/sc.tsv
$B evaluate --latent /tmp/sc.tsv --labels $D/sim2_labels.tsv --batch $D/sim2_batches.tsv --json | tr -d '\n '; echo
echo "== 3. a bad device name and reproducibility on cuda"
$B embed --matrix $T/counts2batch.tsv --device cuda:7 --epochs 2 -q -o /tmp/x.tsv; echo "exit $?"
$B embed --matrix $T/counts2batch.tsv --device cuda --epochs 5 --seed 3 -q -o /tmp/r1.tsv
$B embed --matrix $T/counts2batch.tsv --device cuda --epochs 5 --seed 3 -q -o /tmp/r2.tsv
cmp /tmp/r1.tsv /tmp/r2.tsv && echo "cuda: same seed, same latent" || echo "cuda: same seed, different latent"
