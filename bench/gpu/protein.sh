#!/bin/bash
# Where the GPU pays off: the EVE-sized protein model (6,909 one-hot inputs → 2000 → 1000 →
# 300 → latent 50 and back, ~30 M weights) on TP53, cuda against 16 CPU threads. Run on the
# GPU machine from the repository root with .gpu/vaebio.gz, .gpu/lib/ (see gputest.sh) and
# .gpu/data/ holding P53_HUMAN_b0.1.a2m and clinvar_mutations.txt (bench/protein/clinvar.sh's
# outputs) carried.
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$PWD/.gpu/lib
gunzip -c .gpu/vaebio.gz > /tmp/vaebio && chmod +x /tmp/vaebio
B=/tmp/vaebio; M=.gpu/data/P53_HUMAN_b0.1.a2m
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
TIMEFORMAT='  wall %R s, user %U s'
run() { echo "+ $*"; time "$@"; }
echo "== warm-up (the driver compiles the PTX on first use)"
run $B train --msa $M --epochs 1 --device cuda -q -o /tmp/warm
echo "== 10 epochs, cuda / 16 CPU threads"
run $B train --msa $M --epochs 10 --device cuda -q -o /tmp/mg
cut -f1,6,9 /tmp/mg/history.tsv | sed -n '1p;2p;$p'
run $B train --msa $M --epochs 10 --threads 16 -q -o /tmp/mc
cut -f1,6,9 /tmp/mc/history.tsv | sed -n '1p;2p;$p'
echo "== the GPU-trained model scores on the CPU"
run $B score --model /tmp/mg --msa $M --mutations .gpu/data/clinvar_mutations.txt --samples 50 \
  --threads 16 -q -o "${OUT:-/tmp}/p53_gpu_model_scores.tsv"
head -n 3 "${OUT:-/tmp}/p53_gpu_model_scores.tsv"
