#!/bin/bash
# Issue 20's GPU target on the GPU machine: the 1,000,000 x 2,000 NB-VAE (the single-cell
# default network) trained with `--device cuda` at atlas batch sizes, seconds per epoch and
# cells per second, against the same network in PyTorch on the same GPU (torch_atlas.py).
# Run from the repository root with `.gpu/` carried (.gpu/vaebio.gz from build_cuda.sh, .gpu/lib
# as gputest.sh says). The counts are drawn there on the GPU (make_scale_counts.py --torch-device
# cuda; 28% non-zero, 4.5 GB of .h5ad).
#   bash bench/gpu/atlas.sh [EPOCHS] [BATCH SIZES] [BUILDS]   # defaults: 3 "1024 4096" vaebio
# BUILDS names .gpu/NAME.gz binaries to compare (e.g. "vaebio_base vaebio"); PyTorch runs when
# TORCH=1 (the default).
set -o pipefail
epochs=${1:-3}
sizes=${2:-1024 4096}
builds=${3:-vaebio}
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$PWD/.gpu/lib:/usr/local/cuda/lib64
for b in $builds; do gunzip -c .gpu/$b.gz > /tmp/$b && chmod +x /tmp/$b; done
D=/tmp/atlas
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "$(date -u +%FT%TZ), $(nproc) cores"
TIMEFORMAT='  wall %R s, user %U s, sys %S s'
if [ ! -s $D/counts.h5ad ]; then
  echo "== counts"
  time python3 bench/make_scale_counts.py --cells 1000000 --genes 2000 --seed 19 --h5ad-only \
    --torch-device cuda --out $D | tail -n 1
fi
for b in $builds; do  # the driver compiles the PTX on a fresh machine's first run: not timed
  for run in 1 2; do
    /tmp/$b embed --matrix testdata/counts2batch.tsv --device cuda --epochs 3 --seed 3 -q \
      -o /tmp/warm_$run.tsv || echo "$b: warm-up failed"
  done
  cmp -s /tmp/warm_1.tsv /tmp/warm_2.tsv && echo "$b: same seed, same latent on cuda"
done
for size in $sizes; do
  for b in $builds; do
    echo "== $b, batch $size, $epochs epochs"
    time timeout 240 /tmp/$b train --h5ad $D/counts.h5ad --device cuda --batch-size "$size" \
      --epochs "$epochs" -o /tmp/model_$size 2>&1 | grep -E "^(trained|training time|error)"
  done
done
[ "${TORCH:-1}" = 1 ] || exit 0
for size in $sizes; do
  echo "== pytorch, batch $size"
  timeout 240 python3 bench/gpu/torch_atlas.py --h5ad $D/counts.h5ad --batch-size "$size" \
    --epochs "$epochs"
done
