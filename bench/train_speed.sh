#!/usr/bin/env bash
# vaebio vs PyTorch training speed on the scVI-default shape (1,000 genes -> 128 -> 10, NB,
# batch 128), same synthetic counts, same thread count. Prints samples/s for both and the ratio.
#
#   bench/train_speed.sh [THREADS] [EPOCHS]     # defaults: 1 thread, 5 epochs
#
# Needs PyTorch in bench/.venv:  python3 -m venv bench/.venv &&
#   bench/.venv/bin/pip install numpy torch --index-url https://download.pytorch.org/whl/cpu
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-1}
epochs=${2:-5}
mkdir -p bench/out
counts=bench/out/counts_4096x1000.f32

cargo build --release -q -p vaebio-model --example train_speed
# The environment the `vaebio` binary sets for itself: candle's element-wise pool off (the
# training shards are the parallelism) and mimalloc keeping freed memory.
export CANDLE_NUM_THREADS=1 MIMALLOC_PURGE_DELAY=-1 MIMALLOC_ARENA_EAGER_COMMIT=1
vaebio=$(RAYON_NUM_THREADS=$threads target/release/examples/train_speed \
  --cells 4096 --genes 1000 --epochs "$epochs" --write-counts "$counts")
echo "$vaebio"
torch=$(OMP_NUM_THREADS=$threads bench/.venv/bin/python bench/torch_vae.py \
  --counts "$counts" --genes 1000 --epochs "$epochs" --threads "$threads")
echo "$torch"
rate() { sed -nE 's/.*samples\/s: ([0-9.]+).*/\1/p' <<<"$1"; }
awk -v a="$(rate "$vaebio")" -v b="$(rate "$torch")" \
  'BEGIN { printf "ratio vaebio/pytorch: %.2f\n", a / b }'
