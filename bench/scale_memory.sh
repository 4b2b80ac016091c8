#!/usr/bin/env bash
# Wall time and peak RSS of reading and training single-cell counts at atlas scale (issue 19):
# `vaebio featurize` and `vaebio train --epochs E` (default recipe, one thread) on the same
# synthetic counts as 10x MTX, as .h5ad (X CSR, also `--backed`: read from the file a minibatch
# at a time, and X CSC), and as a genes × cells TSV. Prints one line per run with bytes of peak
# RSS per stored value.
#
#   bench/scale_memory.sh [CELLS] [GENES] [EPOCHS]     # defaults: 100000 2000 1
#
# Generates the data once into bench/out/scale_<CELLS>x<GENES>/ (bench/make_scale_counts.py,
# seed 19, then bench/scale_tsv_csc.py for the TSV and CSC copies; needs numpy and h5py in
# bench/.venv; NO_TSV=1 skips the TSV, about 5 bytes of text per entry). Skip runs with
# SKIP="featurize-h5ad ..." ("encode" skips both encode runs and the model they need).
set -euo pipefail
cd "$(dirname "$0")/.."
cells=${1:-100000}
genes=${2:-2000}
epochs=${3:-1}
skip=${SKIP:-}
data=bench/out/scale_${cells}x${genes}
python=${PYTHON:-bench/.venv/bin/python}
vaebio=${VAEBIO:-target/release/vaebio}  # another build to compare with

[[ -n ${VAEBIO:-} ]] || cargo build --release -q -p vaebio
if [[ ! -f $data/counts.h5ad ]]; then
  "$python" bench/make_scale_counts.py --cells "$cells" --genes "$genes" --seed 19 --out "$data"
fi
if [[ ! -f $data/counts_csc.h5ad ]]; then
  "$python" bench/scale_tsv_csc.py "$data" ${NO_TSV:+--no-tsv}
fi
stored=$(sed -n 2p "$data/counts_10x/matrix.mtx" | awk '{ print $3 }')
echo "$cells cells x $genes genes, $stored stored values; $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg)"

run() { # name, then the vaebio arguments
  local name=$1
  shift
  [[ " $skip " == *" $name "* ]] && return
  rm -rf "$data/out_$name"
  /usr/bin/time -v -o "$data/time_$name.txt" "$vaebio" "$@" --quiet --threads 1 \
    -o "$data/out_$name"
  rm -rf "$data/out_$name"
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$data/time_$name.txt")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$data/time_$name.txt")
  awk -v n="$name" -v w="$wall" -v r="$rss" -v s="$stored" \
    'BEGIN { printf "%-16s wall %8s  peak RSS %6.2f GB  %5.1f B/stored value\n", n, w, r / 1e6, r * 1e3 / s }'
}

run featurize-mtx featurize --mtx "$data/counts_10x"
run featurize-h5ad featurize --h5ad "$data/counts.h5ad"
run train-mtx train --mtx "$data/counts_10x" --epochs "$epochs"
run train-h5ad train --h5ad "$data/counts.h5ad" --epochs "$epochs"
run featurize-csc featurize --h5ad "$data/counts_csc.h5ad"
run train-csc train --h5ad "$data/counts_csc.h5ad" --epochs "$epochs"
if [[ -f $data/counts.tsv ]]; then
  run featurize-tsv featurize --matrix "$data/counts.tsv"
  run train-tsv train --matrix "$data/counts.tsv" --epochs "$epochs"
fi
run train-h5ad-backed train --h5ad "$data/counts.h5ad" --backed --epochs "$epochs"
# encode with a model trained here (not timed), in memory and --backed.
if [[ " $skip " != *" encode "* ]]; then
  model=$data/model
  rm -rf "$model"
  "$vaebio" train --h5ad "$data/counts.h5ad" --backed --epochs "$epochs" --quiet --threads 1 -o "$model"
  run encode-h5ad encode --model "$model" --h5ad "$data/counts.h5ad"
  run encode-h5ad-backed encode --model "$model" --h5ad "$data/counts.h5ad" --backed
  rm -rf "$model"
fi
