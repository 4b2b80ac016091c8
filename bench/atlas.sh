#!/usr/bin/env bash
# Issue 19's atlas target: 1,000,000 cells x 2,000 genes from an .h5ad, scVI's default 8 epochs,
# end to end (`vaebio embed`: read, gene and library weights, train, encode, write the latent),
# then `vaebio encode` of the same cells with the saved model. Wall, CPU and peak RSS from
# /usr/bin/time -v; all cores (the default --threads).
#
#   bench/atlas.sh [CELLS] [GENES] [EPOCHS]     # defaults: 1000000 2000 8
#
# Data: bench/make_scale_counts.py --h5ad-only, seed 19 (about 10 minutes at a million cells).
set -euo pipefail
cd "$(dirname "$0")/.."
cells=${1:-1000000}
genes=${2:-2000}
epochs=${3:-8}
data=bench/out/scale_${cells}x${genes}
python=${PYTHON:-bench/.venv/bin/python}
vaebio=${VAEBIO:-target/release/vaebio}

[[ -n ${VAEBIO:-} ]] || cargo build --release -q -p vaebio
source bench/scale_lib.sh
scale_h5ad
echo "$cells x $genes, $epochs epochs, $(nproc) cores; $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"

rm -rf "$data/model"
measure embed "$vaebio" embed --h5ad "$data/counts.h5ad" --epochs "$epochs" --quiet \
  --save-model "$data/model" -o "$data/latent.tsv"
measure encode "$vaebio" encode --model "$data/model" --h5ad "$data/counts.h5ad" --quiet \
  -o "$data/latent_encode.tsv"
cmp -s "$data/latent.tsv" "$data/latent_encode.tsv" && echo "encode reproduces embed's latent"
