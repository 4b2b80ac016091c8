#!/usr/bin/env bash
# Genotype speed and memory (issue 17, point 5): wall, user and system CPU and peak RSS of
#   - `vaebio train --vcf` with the default recipe (full training, early stopping, as
#     `embed` trains) on 200 samples x 67,000 sites, and with `--epochs 10` on the same file;
#   - `vaebio train --vcf --epochs 1` on 2,000 samples x 200,000 sites.
# One thread unless THREADS=N, /usr/bin/time. Interleave two builds by running it with each:
#
#   bench/popgen/speed_memory.sh                  # target/release/vaebio (built first)
#   VAEBIO=path/to/old/vaebio bench/popgen/speed_memory.sh
#   SKIP="embed large" bench/popgen/speed_memory.sh   # only the 10-epoch run
#   THREADS=2 bench/popgen/speed_memory.sh            # both cores (same bits as one thread)
#
# The VCFs come from bench/make_vcf.py (seed 1; needs numpy in bench/.venv), generated once
# into bench/out/ (the large one is 1.6 GB of text).
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-bench/.venv/bin/python}
vaebio=${VAEBIO:-target/release/vaebio}
skip=${SKIP:-}
threads=${THREADS:-1}
out=bench/out/genotype_speed
mkdir -p "$out"

[[ -n ${VAEBIO:-} ]] || cargo build --release -q -p vaebio
vcf() { # samples, sites -> path
  local path=bench/out/genotypes_$1x$2.vcf
  [[ -f $path ]] || "$python" bench/make_vcf.py --samples "$1" --sites "$2" --out "$path"
  echo "$path"
}

run() { # name, then the vaebio arguments
  local name=$1
  shift
  [[ " $skip " == *" $name "* ]] && return
  rm -rf "$out/model_$name"
  /usr/bin/time -f "%e %U %S %M" -o "$out/time_$name.txt" "$vaebio" train "$@" --quiet \
    --threads "$threads" -o "$out/model_$name"
  local epochs
  epochs=$(($(wc -l < "$out/model_$name/history.tsv") - 1))
  read -r wall user sys rss < "$out/time_$name.txt"
  printf '%-8s %d thread(s) %4d epochs  wall %7.1f s  user %6.1f s  sys %5.1f s  peak RSS %5.2f GB  (load %s)\n' \
    "$name" "$threads" "$epochs" "$wall" "$user" "$sys" "$(echo "$rss / 1000000" | bc -l)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
}

small=$(vcf 200 67000)
run epochs10 --vcf "$small" --epochs 10
run embed --vcf "$small"
[[ " $skip " == *" large "* ]] || large=$(vcf 2000 200000)
run large --vcf "${large:-}" --epochs 1
