#!/usr/bin/env bash
# One epoch end to end, vaebio against scvi-tools, on the same .h5ad of counts (issue 19: 100k x
# 2,000, >= 3x faster). Each side reads the file, sets up, trains E epochs with its default
# single-cell model and writes the latent means as TSV; wall time and peak RSS from
# /usr/bin/time -v. Runs alternate (vaebio, scvi-tools) REPEATS times.
#
#   bench/scvi_speed.sh [CELLS] [GENES] [EPOCHS] [THREADS] [REPEATS]   # 100000 2000 1 2 2
#
# Data: bench/make_scale_counts.py --h5ad-only, seed 19 (numpy and h5py). scvi-tools and anndata
# in SCVI_PYTHON's environment (default bench/.venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
cells=${1:-100000}
genes=${2:-2000}
epochs=${3:-1}
threads=${4:-2}
repeats=${5:-2}
data=bench/out/scale_${cells}x${genes}
python=${PYTHON:-bench/.venv/bin/python}
scvi_python=${SCVI_PYTHON:-$python}
vaebio=${VAEBIO:-target/release/vaebio}

[[ -n ${VAEBIO:-} ]] || cargo build --release -q -p vaebio
source bench/scale_lib.sh
scale_h5ad
echo "$cells cells x $genes genes, $epochs epoch(s), $threads thread(s); $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg)"

for ((i = 1; i <= repeats; i++)); do
  measure vaebio "$vaebio" embed --h5ad "$data/counts.h5ad" --epochs "$epochs" \
    --threads "$threads" --seed 0 --quiet -o "$data/latent_vaebio.tsv"
  measure scvi-tools "$scvi_python" bench/singlecell/scvi_h5ad.py "$data/counts.h5ad" \
    --epochs "$epochs" --threads "$threads" --out "$data/latent_scvi.tsv"
  tail -1 "$data/stdout_scvi-tools.txt"
done
